package projections_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/projections"
)

func waitFor(t *testing.T, r *projections.Runner, position int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, r.WaitFor(ctx, position))
}

// TestRunnerProjectsTheLog: events appended before the runner starts are caught up, events
// appended while it runs are projected live, WaitFor returns once every projection has applied a
// position, and a restarted runner resumes from the projections' own checkpoints.
func TestRunnerProjectsTheLog(t *testing.T) {
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			b := bk.open(t)
			for i := range 3 {
				appendN(t, b.store, fmt.Sprintf("page-%d", i), "test.a", "test.b", "test.c")
			}
			r, stop := runRunner(t, b, counter{"one"}, counter{"two"})

			var wg sync.WaitGroup
			lasts := make([]eventstore.Envelope, 4)
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 5 {
						lasts[w] = appendN(t, b.store, fmt.Sprintf("app-%d", (w+i)%3), fmt.Sprintf("test.w%d", w))
					}
				}()
			}
			wg.Wait()
			for _, e := range lasts {
				waitFor(t, r, e.GlobalPosition)
			}
			// Positions are cursors: in Postgres a later position may have committed first, so
			// only the test's own view of what it appended is compared, not "the highest".
			requireCounted(t, b, "one")
			requireCounted(t, b, "two")
			for _, name := range []string{"one", "two"} {
				_, n, err := b.docs.Checkpoint(context.Background(), name)
				require.NoError(t, err)
				require.EqualValues(t, 9+20, n, "each event applied once")
			}

			// Stopped, the runner makes no progress: WaitFor times out.
			stop()
			e := appendN(t, b.store, "app-9", "test.late")
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			require.ErrorIs(t, r.WaitFor(ctx, e.GlobalPosition), context.DeadlineExceeded)

			r2, _ := runRunner(t, b, counter{"one"}, counter{"two"})
			waitFor(t, r2, e.GlobalPosition)
			e = appendN(t, b.store, "app-9", "test.later")
			waitFor(t, r2, e.GlobalPosition)
			requireCounted(t, b, "one")
			requireCounted(t, b, "two")
			_, n, err := b.docs.Checkpoint(context.Background(), "one")
			require.NoError(t, err)
			require.EqualValues(t, 31, n)
		})
	}
}

func TestRunnerWaitForAPositionNotInTheLog(t *testing.T) {
	t.Parallel()
	b := backends[1].open(t)
	e := appendN(t, b.store, "s-1", "test.a")
	r, _ := runRunner(t, b, counter{"one"})
	waitFor(t, r, e.GlobalPosition)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, r.WaitFor(ctx, e.GlobalPosition+100), context.DeadlineExceeded)
	require.NoError(t, r.WaitFor(context.Background(), 0), "position 0 is always reached")
}

// flaky fails its first attempts at one event type after writing, to show that a failed attempt
// writes nothing and the event is retried until it applies, once.
type flaky struct {
	counter
	failures *atomic.Int32
}

func (f flaky) Apply(ctx context.Context, tx projections.DocTx, e eventstore.Envelope) error {
	if err := f.counter.Apply(ctx, tx, e); err != nil {
		return err
	}
	if e.Type == "test.flaky" && f.failures.Add(1) <= 3 {
		return errors.New("transient failure")
	}
	return nil
}

func TestRunnerRetriesAFailingEvent(t *testing.T) {
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			b := bk.open(t)
			f := flaky{counter{"flaky"}, &atomic.Int32{}}
			r, _ := runRunner(t, b, f)
			appendN(t, b.store, "s-1", "test.a")
			appendN(t, b.store, "s-1", "test.flaky")
			e := appendN(t, b.store, "s-1", "test.b")
			waitFor(t, r, e.GlobalPosition)
			require.Greater(t, f.failures.Load(), int32(3))
			requireCounted(t, b, "flaky")
		})
	}
}

// TestRebuildEqualsLiveFake: the domain-agnostic half of rebuild equality, across several pages,
// with progress reports.
func TestRebuildEqualsLiveFake(t *testing.T) {
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			b := bk.open(t)
			// Enough events for two full rebuild pages and a partial third.
			const appends = (2*projections.RebuildPageSize)/500 + 9
			const bulk = appends * 500
			for i := range appends {
				types := make([]string, 500)
				for j := range types {
					types[j] = fmt.Sprintf("test.t%d", j%7)
				}
				// A stream per append: the fake projection re-decodes a stream's whole list per event.
				appendN(t, b.store, fmt.Sprintf("bulk-%d", i), types...)
			}
			r, stop := runRunner(t, b, counter{"c"})
			var last eventstore.Envelope
			for i := range 10 {
				last = appendN(t, b.store, fmt.Sprintf("live-%d", i%4), "test.live")
			}
			waitFor(t, r, last.GlobalPosition)
			stop()
			live := dump(t, b.docs, "c")
			require.Equal(t, appends+4+bulk+10, len(live))

			var calls []int64
			stats, err := projections.Rebuild(context.Background(), b.store, b.docs, counter{"c"}, func(done, total int64) {
				require.EqualValues(t, bulk+10, total)
				calls = append(calls, done)
			})
			require.NoError(t, err)
			require.EqualValues(t, bulk+10, stats.Events)
			require.Positive(t, stats.Elapsed)
			require.Positive(t, stats.Rate())
			require.Equal(t, []int64{projections.RebuildPageSize, 2 * projections.RebuildPageSize, bulk + 10}, calls)
			requireSameDocs(t, "c", live, dump(t, b.docs, "c"))
			pos, n, err := b.docs.Checkpoint(context.Background(), "c")
			require.NoError(t, err)
			require.EqualValues(t, bulk+10, n)
			require.Equal(t, last.GlobalPosition, pos)
		})
	}
}

// A projection failing during a rebuild stops it with the event named, and the failed page writes
// nothing.
func TestRebuildStopsAtAFailingEvent(t *testing.T) {
	t.Parallel()
	b := backends[1].open(t)
	appendN(t, b.store, "s-1", "test.a", "test.b")
	poison := appendN(t, b.store, "s-2", "test.poison")
	_, err := projections.Rebuild(context.Background(), b.store, b.docs, counter{"c"}, nil)
	require.ErrorContains(t, err, "poisoned")
	require.ErrorContains(t, err, fmt.Sprintf("at %d", poison.GlobalPosition))
	require.Empty(t, dump(t, b.docs, "c"))
}

func TestNewRunnerValidates(t *testing.T) {
	t.Parallel()
	b := backends[1].open(t)
	for _, cfg := range []projections.RunnerConfig{
		{Docs: b.docs, Projections: []projections.Projection{counter{"a"}}},
		{Log: b.store, Projections: []projections.Projection{counter{"a"}}},
		{Log: b.store, Docs: b.docs},
		{Log: b.store, Docs: b.docs, Projections: []projections.Projection{counter{"a"}, counter{"a"}}},
		{Log: b.store, Docs: b.docs, Projections: []projections.Projection{counter{""}}},
		{Log: b.store, Docs: b.docs, Projections: []projections.Projection{counter{"a"}}, PollInterval: -1},
	} {
		_, err := projections.NewRunner(cfg)
		require.Error(t, err)
	}
}

// pickyCounter is a counter that handles only the streams of one category.
type pickyCounter struct {
	counter
	category string
	applied  *atomic.Int64
}

func (p pickyCounter) Handles(e eventstore.Envelope) bool {
	return strings.HasPrefix(e.StreamID, p.category+"-")
}

func (p pickyCounter) Apply(ctx context.Context, tx projections.DocTx, e eventstore.Envelope) error {
	p.applied.Add(1)
	return p.counter.Apply(ctx, tx, e)
}

// TestRunnerSkipsEventsASelectiveProjectionIgnores: a SelectiveProjection sees only the events
// it handles, its checkpoint still passes the others (WaitFor returns for an ignored event), and
// every event is counted once.
func TestRunnerSkipsEventsASelectiveProjectionIgnores(t *testing.T) {
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			b := bk.open(t)
			var applied atomic.Int64
			r, _ := runRunner(t, b, pickyCounter{counter: counter{"picky"}, category: "page", applied: &applied})
			var last eventstore.Envelope
			for i := range 10 {
				appendN(t, b.store, fmt.Sprintf("page-%d", i%2), "test.p")
				last = appendN(t, b.store, fmt.Sprintf("app-%d", i%3), "test.a1", "test.a2")
			}
			waitFor(t, r, last.GlobalPosition) // an ignored event: the flush moves the checkpoint past it
			require.EqualValues(t, 10, applied.Load(), "only page events reach Apply")
			_, n, err := b.docs.Checkpoint(context.Background(), "picky")
			require.NoError(t, err)
			require.EqualValues(t, 30, n, "every event is counted once")
			docs := dump(t, b.docs, "picky")
			for _, d := range docs {
				require.False(t, strings.HasPrefix(d.Key, "s/app-"), "ignored streams get no documents")
			}
		})
	}
}
