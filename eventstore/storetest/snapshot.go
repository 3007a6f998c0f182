package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
)

// [ES8] Snapshots: latest at or below maxVersion, ErrNotFound otherwise, data round-trips.
func testSnapshots(t *testing.T, f *fixture) {
	const stream = "snap-a"
	data := func(v int64) []byte {
		return mustJSON(map[string]any{
			"version": v,
			"title":   "Überschrift — 見出し",
			"nodes":   []any{map[string]any{"id": "n1", "props": map[string]any{"w": 1.5, "hidden": false, "x": nil}}},
		})
	}
	for _, v := range []int64{10, 5, 20} { // not in order
		require.NoError(t, f.store.SnapshotSave(f.ctx, eventstore.Snapshot{StreamID: stream, Version: v, Data: data(v)}), "save at %d", v)
	}
	// Another stream's snapshot must not leak into this one.
	require.NoError(t, f.store.SnapshotSave(f.ctx, eventstore.Snapshot{StreamID: "snap-a-1", Version: 12, Data: data(12)}))

	for _, c := range []struct{ max, want int64 }{
		{15, 10}, {0, 20}, {10, 10}, {5, 5}, {19, 10}, {20, 20}, {1000, 20},
	} {
		snap, err := f.store.SnapshotLoad(f.ctx, stream, c.max)
		require.NoError(t, err, "load with max %d", c.max)
		require.Equal(t, stream, snap.StreamID, "load with max %d", c.max)
		require.Equal(t, c.want, snap.Version, "load with max %d", c.max)
		require.JSONEq(t, string(data(c.want)), string(snap.Data), "load with max %d", c.max)
	}
	_, err := f.store.SnapshotLoad(f.ctx, stream, 3)
	require.ErrorIs(t, err, eventstore.ErrNotFound, "nothing at or below 3")
	_, err = f.store.SnapshotLoad(f.ctx, "snap-b", 0)
	require.ErrorIs(t, err, eventstore.ErrNotFound, "a stream without snapshots")
	_, err = f.store.SnapshotLoad(f.ctx, "snap", 0)
	require.ErrorIs(t, err, eventstore.ErrNotFound, "stream ids are matched exactly")

	// Saving at an existing version replaces that snapshot.
	replaced := mustJSON(map[string]any{"replaced": true})
	require.NoError(t, f.store.SnapshotSave(f.ctx, eventstore.Snapshot{StreamID: stream, Version: 10, Data: replaced}))
	snap, err := f.store.SnapshotLoad(f.ctx, stream, 15)
	require.NoError(t, err)
	require.Equal(t, int64(10), snap.Version)
	require.JSONEq(t, string(replaced), string(snap.Data))
	snap, err = f.store.SnapshotLoad(f.ctx, stream, 0)
	require.NoError(t, err)
	require.Equal(t, int64(20), snap.Version, "replacing version 10 leaves 20 the latest")
}
