package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUIRoutes: GETs outside /api/ reach the editor UI (built or not); the API's own 404 and 405
// answers stay problem documents.
func TestUIRoutes(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	tests := []struct {
		method, path string
		status       int
		contentType  string
	}{
		{"GET", "/", 200, "text/html"},
		{"GET", "/w/ws1/apps/a1", 200, "text/html"},
		{"HEAD", "/login", 200, "text/html"},
		{"GET", "/api/nothing-here", 404, "application/problem+json"},
		{"POST", "/somewhere", 404, "application/problem+json"},
		{"DELETE", "/api/openapi.json", 405, "application/problem+json"},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, b.srv.URL+tt.path, nil)
		require.NoError(t, err)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		require.Equal(t, tt.status, res.StatusCode, "%s %s: %s", tt.method, tt.path, body)
		require.True(t, strings.HasPrefix(res.Header.Get("Content-Type"), tt.contentType), "%s %s: %s", tt.method, tt.path, res.Header.Get("Content-Type"))
		if tt.contentType == "text/html" {
			require.Contains(t, res.Header.Get("Content-Security-Policy"), "default-src 'self'")
		}
	}
}
