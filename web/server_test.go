package web_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/web"
)

func TestServeShutsDownGracefullyWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	pingStarted := make(chan struct{})
	releasePing := make(chan struct{})
	s, err := web.New(web.Config{
		Logger:       slog.New(slog.DiscardHandler),
		ReadyTimeout: time.Minute,
		Store: pingerFunc(func(ctx context.Context) error {
			close(pingStarted)
			<-releasePing
			return nil
		}),
	})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	require.Equal(t, http.StatusOK, get(t, base+"/healthz").status)

	// A request in flight when shutdown starts still completes.
	type result struct {
		status int
		err    error
	}
	inflight := make(chan result, 1)
	go func() { // no require here: FailNow must run on the test goroutine
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			inflight <- result{err: err}
			return
		}
		resp.Body.Close()
		inflight <- result{status: resp.StatusCode}
	}()
	<-pingStarted
	cancel()
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) while a request was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(releasePing)
	r := <-inflight
	require.NoError(t, r.err)
	require.Equal(t, http.StatusOK, r.status)
	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the in-flight request finished")
	}

	_, err = http.Get(base + "/healthz")
	require.Error(t, err, "the listener is closed after shutdown")
}
