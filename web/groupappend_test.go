package web

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/postgres"
	"github.com/goflow-dev/goflow/eventstore/postgres/pgtest"
	"github.com/goflow-dev/goflow/eventstore/sqlite"
)

// batchStore is a store that implements eventstore.BatchAppender (both backends do).
type batchStore interface {
	eventstore.Store
	eventstore.BatchAppender
	Migrate(ctx context.Context) (int, error)
}

// slowFirst delays the first single append, so that the appends arriving meanwhile queue up and
// must be written as one batch; it counts batches and their sizes.
type slowFirst struct {
	batchStore
	first    atomic.Bool
	batches  atomic.Int32
	maxBatch atomic.Int32
}

func (s *slowFirst) Append(ctx context.Context, id string, exp eventstore.Expected, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if s.first.CompareAndSwap(false, true) {
		time.Sleep(100 * time.Millisecond)
	}
	return s.batchStore.Append(ctx, id, exp, events)
}

func (s *slowFirst) AppendBatch(ctx context.Context, batch []eventstore.StreamAppend) ([]eventstore.BatchResult, error) {
	s.batches.Add(1)
	for {
		m := s.maxBatch.Load()
		if int32(len(batch)) <= m || s.maxBatch.CompareAndSwap(m, int32(len(batch))) {
			break
		}
	}
	return s.batchStore.AppendBatch(ctx, batch)
}

func openBatchStore(t *testing.T, backend string) batchStore {
	t.Helper()
	ctx := context.Background()
	var st batchStore
	switch backend {
	case "sqlite":
		s, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "g.db")})
		require.NoError(t, err)
		st = s
	case "postgres":
		s, err := postgres.Open(ctx, postgres.Config{URL: pgtest.URL(t)})
		require.NoError(t, err)
		st = s
	}
	t.Cleanup(func() { _ = st.Close() })
	_, err := st.Migrate(ctx)
	require.NoError(t, err)
	return st
}

func event(i int) []eventstore.EventData {
	return []eventstore.EventData{{Type: "test.ticked", Data: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))}}
}

// TestGroupAppender: concurrent appends to many streams are written in shared batches, each
// caller gets its own result, and a stale expected version fails only its own append.
func TestGroupAppender(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			st := &slowFirst{batchStore: openBatchStore(t, backend)}
			g := newGroupAppender(st)
			require.NotNil(t, g.batch)
			ctx := context.Background()
			const streams, appends = 30, 20
			var wg sync.WaitGroup
			errs := make(chan error, streams*appends)
			for s := range streams {
				wg.Add(1)
				go func() {
					defer wg.Done()
					id := fmt.Sprintf("session-g%d", s)
					for v := range appends {
						res, err := g.Append(ctx, id, eventstore.Exact(int64(v)), event(v))
						if err == nil && res.StreamVersion != int64(v+1) {
							err = fmt.Errorf("%s: version %d after append %d", id, res.StreamVersion, v)
						}
						if err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			require.Greater(t, st.maxBatch.Load(), int32(1), "appends that arrived during a write were batched")
			require.Less(t, st.batches.Load(), int32(streams*appends), "fewer commits than appends")
			for s := range streams {
				v, err := st.StreamVersion(ctx, fmt.Sprintf("session-g%d", s))
				require.NoError(t, err)
				require.Equal(t, int64(appends), v)
			}

			// A stale expected version fails alone.
			var stale, fresh error
			var wg2 sync.WaitGroup
			wg2.Add(2)
			go func() { defer wg2.Done(); _, stale = g.Append(ctx, "session-g0", eventstore.Exact(1), event(0)) }()
			go func() { defer wg2.Done(); _, fresh = g.Append(ctx, "session-g1", eventstore.Exact(appends), event(0)) }()
			wg2.Wait()
			require.ErrorIs(t, stale, eventstore.ErrWrongExpectedVersion)
			require.NoError(t, fresh)
		})
	}
}
