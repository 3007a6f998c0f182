package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"
)

func TestUIHandler(t *testing.T) {
	t.Parallel()
	built := &uiHandler{
		files: fstest.MapFS{
			"index.html":    {Data: []byte("<!doctype html><title>GoFlow</title>")},
			"assets/app.js": {Data: []byte("console.log(1)")},
		},
		index: []byte("<!doctype html><title>GoFlow</title>"),
		at:    time.Now(),
	}
	tests := []struct {
		name    string
		h       *uiHandler
		path    string
		status  int
		body    string
		cache   string
		problem bool
	}{
		{"not built", &uiHandler{}, "/", 200, "make run", "no-store", false},
		{"not built, any path", &uiHandler{}, "/apps/1", 200, "not built", "no-store", false},
		{"index", built, "/", 200, "<title>GoFlow", "no-cache", false},
		{"client-side route", built, "/workspaces/w1/apps/a1", 200, "<title>GoFlow", "no-cache", false},
		{"asset", built, "/assets/app.js", 200, "console.log", "immutable", false},
		{"missing asset falls back to the app", built, "/assets/nope.js", 200, "<title>GoFlow", "no-cache", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			tt.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			res := rec.Result()
			body, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			require.Equal(t, tt.status, res.StatusCode)
			require.Contains(t, string(body), tt.body)
			require.Contains(t, res.Header.Get("Cache-Control"), tt.cache)
			if tt.problem {
				require.True(t, strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json"))
			} else {
				require.Equal(t, uiCSP, res.Header.Get("Content-Security-Policy"))
			}
		})
	}
}
