package web

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/runtime/session"
)

// snapsOf builds snapshots of n steps without reducers (their state passes through, so no
// sandbox runs) from an initial page state of page.
func snapsOf(t *testing.T, n int, page string) *session.Snapshots {
	t.Helper()
	steps := make([]*domain.SessionActionDispatched, n)
	for i := range steps {
		steps[i] = &domain.SessionActionDispatched{Step: int64(i) + 1, Action: domain.SessionAction{Type: "x"}}
	}
	started := &domain.SessionStarted{InitialState: domain.SessionState{Page: json.RawMessage(page)}}
	s, err := session.NewSnapshots(context.Background(), session.NewRunner(nil, nil), started, steps, 0)
	require.NoError(t, err)
	return s
}

func TestSnapshotCacheBounds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	put := func(c *snapshotCache, id string, steps int, page string) {
		require.NoError(t, c.use(ctx, id, func(e *snapshotEntry) error {
			e.snaps = snapsOf(t, steps, page)
			return nil
		}))
	}
	touch := func(c *snapshotCache, id string) {
		require.NoError(t, c.use(ctx, id, func(*snapshotEntry) error { return nil }))
	}
	cached := func(c *snapshotCache) []string {
		c.mu.Lock()
		defer c.mu.Unlock()
		var ids []string
		for el := c.order.Front(); el != nil; el = el.Next() {
			ids = append(ids, el.Value.(*snapshotEntry).id)
		}
		return ids
	}
	for _, tc := range []struct {
		name  string
		cache *snapshotCache
		run   func(c *snapshotCache)
		want  []string // most recent first
		steps int64
	}{
		{"by steps, least recent out", newSnapshotCache(10, 10, 1<<20), func(c *snapshotCache) {
			put(c, "a", 4, "")
			put(c, "b", 4, "")
			touch(c, "a")
			put(c, "c", 4, "")
		}, []string{"c", "a"}, 8},
		{"by entries", newSnapshotCache(2, 100, 1<<20), func(c *snapshotCache) {
			put(c, "a", 1, "")
			put(c, "b", 1, "")
			touch(c, "a")
			put(c, "c", 1, "")
		}, []string{"c", "a"}, 2},
		{"an entry over the bound alone", newSnapshotCache(10, 10, 1<<20), func(c *snapshotCache) {
			put(c, "a", 3, "")
			put(c, "big", 11, "")
		}, []string{"a"}, 3},
		{"by state bytes", newSnapshotCache(10, 100, 20), func(c *snapshotCache) {
			put(c, "a", 1, `{"state":"0123456"}`) // 19 bytes, once (no snapshot at step 1)
			put(c, "b", 1, `{"s":1}`)
		}, []string{"b"}, 1},
		{"a grown entry is accounted again", newSnapshotCache(10, 10, 1<<20), func(c *snapshotCache) {
			put(c, "a", 4, "")
			put(c, "b", 4, "")
			put(c, "b", 7, "")
		}, []string{"b"}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(tc.cache)
			require.Equal(t, tc.want, cached(tc.cache))
			require.Equal(t, tc.steps, tc.cache.steps)
		})
	}
}

// An entry in use makes a second request for the session wait, until its context ends.
func TestSnapshotCacheWaitsForTheEntry(t *testing.T) {
	t.Parallel()
	c := newSnapshotCache(10, 100, 1<<20)
	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- c.use(context.Background(), "a", func(*snapshotEntry) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := c.use(ctx, "a", func(*snapshotEntry) error { ran = true; return nil })
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, ran)
	close(release)
	require.NoError(t, <-done)
	require.NoError(t, c.use(context.Background(), "a", func(*snapshotEntry) error { ran = true; return nil }))
	require.True(t, ran)
}

// Concurrent requests for the same and for different sessions keep the accounting exact (run
// with -race for the locking).
func TestSnapshotCacheConcurrentUse(t *testing.T) {
	t.Parallel()
	c := newSnapshotCache(3, 1000, 1<<20)
	const n = 32
	built := make([]*session.Snapshots, n)
	for i := range built {
		built[i] = snapsOf(t, i%7, "")
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_ = c.use(context.Background(), strconv.Itoa(i%5), func(e *snapshotEntry) error {
				e.snaps = built[i]
				e.changed = append(e.changed, []string{"page"})
				return nil
			})
		})
	}
	wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	require.LessOrEqual(t, c.order.Len(), 3)
	var steps int64
	for el := c.order.Front(); el != nil; el = el.Next() {
		e := el.Value.(*snapshotEntry)
		s, _ := e.cost()
		require.Equal(t, s, e.steps, e.id)
		steps += s
	}
	require.Equal(t, steps, c.steps)
}
