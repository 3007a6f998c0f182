package main

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testNATSURL is the NATS server (with JetStream) of the fan-out tests; like pgtest, a missing
// server skips a local run and fails a CI one.
func testNATSURL(t *testing.T) string {
	t.Helper()
	addr := "127.0.0.1:4222"
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("NATS at %s is unreachable and CI is set: %v", addr, err)
		}
		t.Skipf("NATS at %s is unreachable: %v", addr, err)
	}
	require.NoError(t, conn.Close())
	return "nats://" + addr
}

func TestServeWithFanout(t *testing.T) {
	t.Parallel()
	a, _, stderr := testApp(map[string]string{envFanout: testNATSURL(t)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- a.run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json", "--data-dir", t.TempDir()})
	}()
	stderr.waitForJSONLog(t, "co-editing fan-out connected")
	stderr.waitForJSONLog(t, "http server listening")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, "stderr:\n%s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s of cancellation")
	}
	stderr.waitForJSONLog(t, "goflow stopped")
}

func TestServeFailsWhenTheFanoutIsUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	a, _, _ := testApp(nil)
	err = a.run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--fanout", "nats://" + addr})
	require.ErrorContains(t, err, "co-editing fan-out")
	require.NotErrorIs(t, err, errUsage, "a server that is down is not a command-line mistake")
}
