package storetest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
)

// subscribeAsync runs Subscribe in a goroutine and returns its result channel.
func (f *fixture) subscribeAsync(ctx context.Context, params eventstore.SubscribeParams, handle eventstore.Handler) <-chan error {
	done := make(chan error, 1)
	go func() { done <- f.store.Subscribe(ctx, params, handle) }()
	return done
}

func awaitErr(t *testing.T, done <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(shortWait):
		require.FailNowf(t, "Subscribe did not return", "%s: Subscribe still running after %s", what, shortWait)
		return nil
	}
}

// [ES12] Subscribe ends with ctx.Err() when its context ends: while idle, while catching up, on a
// deadline, and when the context is already done.
func testSubscribeCancel(t *testing.T, f *fixture) {
	first := f.append("sub-cancel", eventstore.NoStream(), batch("a", 3)...)

	// Caught up and idle.
	ctx, cancel := context.WithCancel(f.ctx)
	got := make(chan struct{}, 100)
	done := f.subscribeAsync(ctx, eventstore.SubscribeParams{}, func(_ context.Context, events []eventstore.Envelope) error {
		got <- struct{}{}
		return nil
	})
	waitClosed(t, signalOnce(got), shortWait, "the first batch")
	cancel()
	require.ErrorIs(t, awaitErr(t, done, "cancel while idle"), context.Canceled)

	// Cancelled from inside the handler while catching up.
	ctx, cancel = context.WithCancel(f.ctx)
	done = f.subscribeAsync(ctx, eventstore.SubscribeParams{BatchSize: 1}, func(_ context.Context, events []eventstore.Envelope) error {
		cancel()
		return nil
	})
	require.ErrorIs(t, awaitErr(t, done, "cancel while catching up"), context.Canceled)

	// Deadline.
	ctx, cancel = context.WithTimeout(f.ctx, 200*time.Millisecond)
	defer cancel()
	done = f.subscribeAsync(ctx, eventstore.SubscribeParams{After: first.Events[2].GlobalPosition}, func(context.Context, []eventstore.Envelope) error {
		return nil
	})
	require.ErrorIs(t, awaitErr(t, done, "deadline"), context.DeadlineExceeded)

	// Already cancelled.
	ctx, cancel = context.WithCancel(f.ctx)
	cancel()
	done = f.subscribeAsync(ctx, eventstore.SubscribeParams{}, func(context.Context, []eventstore.Envelope) error { return nil })
	require.ErrorIs(t, awaitErr(t, done, "already cancelled"), context.Canceled)
}

// signalOnce turns the first value on ch into a closed channel.
func signalOnce(ch <-chan struct{}) <-chan struct{} {
	out := make(chan struct{})
	go func() { <-ch; close(out) }()
	return out
}

var errHandler = errors.New("storetest: handler failed")

// [ES12] Subscribe ends with the handler's error, during catch-up and live, and calls the handler
// no more after it failed.
func testSubscribeHandlerError(t *testing.T, f *fixture) {
	f.append("sub-fail", eventstore.NoStream(), batch("a", 3)...)

	// During catch-up.
	var calls atomic.Int32
	done := f.subscribeAsync(f.ctx, eventstore.SubscribeParams{BatchSize: 1}, func(context.Context, []eventstore.Envelope) error {
		calls.Add(1)
		return errHandler
	})
	require.ErrorIs(t, awaitErr(t, done, "handler error during catch-up"), errHandler)
	require.Equal(t, int32(1), calls.Load(), "the handler is not called after it failed")

	// Live: the subscription is caught up when the failing event arrives.
	anchor := f.sync()
	var seen []eventstore.Envelope
	done = f.subscribeAsync(f.ctx, eventstore.SubscribeParams{After: anchor.GlobalPosition}, func(_ context.Context, events []eventstore.Envelope) error {
		seen = append(seen, events...)
		return errHandler
	})
	// Nothing to catch up on; whether the append lands before or after the subscription's first
	// read, the first event it sees makes it fail.
	live := f.append("sub-fail", eventstore.Exact(3), batch("b", 1)...)
	require.ErrorIs(t, awaitErr(t, done, "handler error live"), errHandler)
	require.Equal(t, ids(live.Events), ids(seen), "the subscription saw exactly the new event")
}
