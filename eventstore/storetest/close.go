package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
)

// [ES13] Close lets an in-flight append finish; afterwards every method fails with ErrClosed and a
// running subscription ends with ErrClosed.
func testClose(t *testing.T, f *fixture) {
	f.append("close-a", eventstore.NoStream(), batch("a", 2)...)
	running := f.subscribeAsync(f.ctx, eventstore.SubscribeParams{}, func(context.Context, []eventstore.Envelope) error { return nil })

	events := batch("in-flight", 2)
	g := f.hooks.hold("close-b")
	pending := f.appendAsync("close-b", eventstore.NoStream(), events...)
	g.waitReached(t)
	closed := make(chan error, 1)
	go func() { closed <- f.store.Close() }()
	g.let(nil)
	o := f.await(pending, "the append in flight during Close")
	require.NoError(t, o.err, "an append in flight when Close is called completes")
	require.Equal(t, dataIDs(events), ids(o.res.Events))
	require.NoError(t, awaitErr(t, closed, "Close"), "Close")

	require.ErrorIs(t, awaitErr(t, running, "a subscription running at Close"), eventstore.ErrClosed,
		"a subscription running when the store closes ends with ErrClosed")

	ctx := f.ctx
	noop := func(context.Context, []eventstore.Envelope) error { return nil }
	calls := map[string]func() error{
		"Append": func() error {
			_, err := f.store.Append(ctx, "close-c", eventstore.Any(), batch("late", 1))
			return err
		},
		"ReadStream": func() error { _, err := f.store.ReadStream(ctx, "close-a", 0, 0); return err },
		"ReadAll":    func() error { _, err := f.store.ReadAll(ctx, eventstore.ReadAllParams{}); return err },
		"Subscribe": func() error {
			return awaitErr(t, f.subscribeAsync(ctx, eventstore.SubscribeParams{}, noop), "Subscribe after Close")
		},
		"StreamVersion": func() error { _, err := f.store.StreamVersion(ctx, "close-a"); return err },
		"SnapshotSave": func() error {
			return f.store.SnapshotSave(ctx, eventstore.Snapshot{StreamID: "close-a", Version: 1, Data: mustJSON(1)})
		},
		"SnapshotLoad":   func() error { _, err := f.store.SnapshotLoad(ctx, "close-a", 0); return err },
		"CheckpointLoad": func() error { _, err := f.store.CheckpointLoad(ctx, "c"); return err },
		"CheckpointSwap": func() error { _, err := f.store.CheckpointSwap(ctx, "c", 0, 1); return err },
		"Ping":           func() error { return f.store.Ping(ctx) },
	}
	for name, call := range calls {
		require.ErrorIs(t, call(), eventstore.ErrClosed, "%s after Close", name)
	}
}
