package web_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/web"
)

func TestRequestLoggingLogsOneLinePerRequest(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := web.RequestLogging(log, "/quiet")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/teapot":
			w.WriteHeader(http.StatusTeapot)
		case "/broken":
			w.WriteHeader(http.StatusBadGateway)
		}
		_, _ = w.Write([]byte("hello"))
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	for _, path := range []string{"/quiet", "/teapot", "/broken"} {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
	}
	srv.Close() // waits for handlers, hence for their log lines

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		lines = append(lines, m)
	}
	require.Len(t, lines, 3)
	want := []struct {
		path   string
		status float64
		level  string
	}{{"/quiet", 200, "DEBUG"}, {"/teapot", 418, "INFO"}, {"/broken", 502, "ERROR"}}
	for i, w := range want {
		require.Equal(t, "http request", lines[i]["msg"])
		require.Equal(t, "GET", lines[i]["method"])
		require.Equal(t, w.path, lines[i]["path"])
		require.Equal(t, w.status, lines[i]["status"])
		require.Equal(t, w.level, lines[i]["level"])
		require.EqualValues(t, 5, lines[i]["bytes"])
		require.Contains(t, lines[i], "duration")
	}
}
