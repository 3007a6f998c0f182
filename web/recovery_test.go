package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/web"
)

// syncBuffer is a log sink that handlers on server goroutines can write to while a test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRecoveryTurnsAPanicIntoA500Problem(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	h := web.Recovery(log)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL + "/explode")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	require.Equal(t, web.ProblemContentType, resp.Header.Get("Content-Type"))
	var p web.Problem
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&p))
	require.Equal(t, http.StatusInternalServerError, p.Status)
	require.Equal(t, "/explode", p.Instance)

	require.Contains(t, logs.String(), `"msg":"panic in http handler"`)
	require.Contains(t, logs.String(), `"panic":"boom"`)

	// The server survived and still answers.
	resp2, err := http.Get(srv.URL + "/again")
	require.NoError(t, err)
	resp2.Body.Close()
	require.Equal(t, http.StatusInternalServerError, resp2.StatusCode)
}

func TestRecoveryAbortsAResponseThatHasStarted(t *testing.T) {
	t.Parallel()
	h := web.Recovery(slog.New(slog.DiscardHandler))(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("partial"))
		if err := http.NewResponseController(w).Flush(); err != nil { // reaches the real writer through Unwrap
			panic(err)
		}
		panic("mid-response")
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	require.Error(t, err, "the client sees a truncated body, not a clean success")
}
