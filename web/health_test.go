package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/web"
)

// pingerFunc adapts a function to web.Pinger, to play a store that is up, down or hanging.
type pingerFunc func(ctx context.Context) error

func (f pingerFunc) Ping(ctx context.Context) error { return f(ctx) }

type testBundle struct {
	srv *httptest.Server
}

func setup(t *testing.T, cfg web.Config) testBundle {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = pingerFunc(func(context.Context) error { return nil })
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := web.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return testBundle{srv: srv}
}

type response struct {
	status      int
	contentType string
	body        map[string]any
}

func get(t *testing.T, url string) response {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var body map[string]any
	require.NoError(t, json.Unmarshal(raw, &body), "body: %s", raw)
	return response{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: body}
}

func TestHealthzIsOK(t *testing.T) {
	t.Parallel()
	b := setup(t, web.Config{Store: pingerFunc(func(context.Context) error {
		return errors.New("liveness must not depend on the store")
	})})

	r := get(t, b.srv.URL+"/healthz")
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, "application/json", r.contentType)
	require.Equal(t, map[string]any{"status": "ok"}, r.body)
}

func TestHealthzRejectsOtherMethods(t *testing.T) {
	t.Parallel()
	b := setup(t, web.Config{})

	resp, err := http.Post(b.srv.URL+"/healthz", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestReadyzIsOKWhenTheStoreAnswers(t *testing.T) {
	t.Parallel()
	pinged := make(chan struct{}, 1)
	b := setup(t, web.Config{Store: pingerFunc(func(context.Context) error {
		pinged <- struct{}{}
		return nil
	})})

	r := get(t, b.srv.URL+"/readyz")
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, map[string]any{"status": "ok"}, r.body)
	require.Len(t, pinged, 1, "readyz pings the store")
}

func TestReadyzIs503WhenThePingFails(t *testing.T) {
	t.Parallel()
	b := setup(t, web.Config{Store: pingerFunc(func(context.Context) error {
		return errors.New("connection refused: secret-host:5432")
	})})

	r := get(t, b.srv.URL+"/readyz")
	require.Equal(t, http.StatusServiceUnavailable, r.status)
	require.Equal(t, web.ProblemContentType, r.contentType)
	require.Equal(t, "about:blank", r.body["type"])
	require.Equal(t, "Not ready", r.body["title"])
	require.EqualValues(t, http.StatusServiceUnavailable, r.body["status"])
	require.Equal(t, "/readyz", r.body["instance"])
	require.NotContains(t, r.body["detail"], "secret-host", "driver errors stay in the log")
}

func TestReadyzIs503WhenThePingHangs(t *testing.T) {
	t.Parallel()
	b := setup(t, web.Config{
		ReadyTimeout: 50 * time.Millisecond,
		Store: pingerFunc(func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		}),
	})

	r := get(t, b.srv.URL+"/readyz")
	require.Equal(t, http.StatusServiceUnavailable, r.status)
	require.Equal(t, web.ProblemContentType, r.contentType)
}

func TestNewRequiresAStore(t *testing.T) {
	t.Parallel()
	_, err := web.New(web.Config{})
	require.ErrorContains(t, err, "Store is required")
}
