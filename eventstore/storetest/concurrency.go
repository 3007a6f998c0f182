package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
)

// [ES2] Writers racing on one stream with Exact(v) of the same v: in every round exactly one wins,
// every loser gets a conflict carrying the winner's version.
func testConcurrentExactLockstep(t *testing.T, f *fixture) {
	const writers, rounds, k = 6, 8, 4
	const stream = "race-lockstep"
	for r := range rounds {
		start := make(chan struct{})
		outcomes := make([]appendOutcome, writers)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				<-start
				res, err := f.store.Append(f.ctx, stream, eventstore.Exact(int64(r*k)), batch(fmt.Sprintf("r%d-w%d", r, w), k))
				outcomes[w] = appendOutcome{res: res, err: err}
			})
		}
		close(start)
		waitGroup(t, &wg, shortWait, fmt.Sprintf("round %d's appends", r))

		winners := 0
		for w, o := range outcomes {
			if o.err != nil {
				requireConflict(t, o.err, stream, eventstore.Exact(int64(r*k)), int64((r+1)*k))
				continue
			}
			winners++
			require.Len(t, o.res.Events, k, "round %d writer %d", r, w)
			for i, e := range o.res.Events {
				require.Equal(t, int64(r*k+i+1), e.StreamVersion, "round %d writer %d event %d", r, w, i)
			}
			require.Equal(t, int64((r+1)*k), o.res.StreamVersion)
		}
		require.Equal(t, 1, winners, "round %d: exactly one append with exact(%d) must win", r, r*k)
	}
	events := f.readStream(stream)
	require.Len(t, events, rounds*k)
	requireGapless(t, stream, events)
	requireContiguousBatches(t, events, stream)
}

// [ES2] Writers each read the version just before appending with Exact(v), retrying on conflict:
// every version is won exactly once and the stream ends gapless with whole batches.
func testConcurrentExactRetryLoop(t *testing.T, f *fixture) {
	const writers, perWriter, k = 6, 4, 3
	const stream = "race-retry"
	type win struct {
		from int64
		res  eventstore.AppendResult
	}
	var (
		mu   sync.Mutex
		wins []win
		errs []error
		wg   sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for w := range writers {
		wg.Go(func() {
			for b := 0; b < perWriter; {
				v, err := f.store.StreamVersion(f.ctx, stream)
				if err != nil {
					fail(fmt.Errorf("StreamVersion: %w", err))
					return
				}
				res, err := f.store.Append(f.ctx, stream, eventstore.Exact(v), batch(fmt.Sprintf("w%d-b%d", w, b), k))
				var conflict *eventstore.VersionConflictError
				switch {
				case err == nil:
					mu.Lock()
					wins = append(wins, win{from: v, res: res})
					mu.Unlock()
					b++
				case errors.As(err, &conflict) && errors.Is(err, eventstore.ErrWrongExpectedVersion):
					if conflict.Actual <= v {
						fail(fmt.Errorf("conflict on exact(%d) reports actual %d; the stream only grows", v, conflict.Actual))
						return
					}
				default:
					fail(fmt.Errorf("append with exact(%d): %w", v, err))
					return
				}
			}
		})
	}
	waitGroup(t, &wg, longWait, "the writers")
	require.Empty(t, errs)

	require.Len(t, wins, writers*perWriter)
	slices.SortFunc(wins, func(a, b win) int { return int(a.from - b.from) })
	for i, w := range wins {
		require.Equal(t, int64(i*k), w.from, "each version must be won exactly once")
		require.Equal(t, w.from+k, w.res.StreamVersion)
		for j, e := range w.res.Events {
			require.Equal(t, w.from+int64(j)+1, e.StreamVersion)
		}
	}
	events := f.readStream(stream)
	require.Len(t, events, writers*perWriter*k)
	requireGapless(t, stream, events)
	requireContiguousBatches(t, events, stream)
}

// [ES2] Writers appending with Any all succeed; batches stay whole and the stream gapless.
func testConcurrentAny(t *testing.T, f *fixture) {
	const writers, perWriter, k = 6, 5, 4
	const stream = "race-any"
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for w := range writers {
		wg.Go(func() {
			for b := range perWriter {
				res, err := f.store.Append(f.ctx, stream, eventstore.Any(), batch(fmt.Sprintf("w%d-b%d", w, b), k))
				if err == nil {
					for j := 1; j < len(res.Events); j++ {
						if res.Events[j].StreamVersion != res.Events[j-1].StreamVersion+1 {
							err = fmt.Errorf("append result versions are not consecutive: %d after %d",
								res.Events[j].StreamVersion, res.Events[j-1].StreamVersion)
						}
					}
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	waitGroup(t, &wg, longWait, "the writers")
	require.Empty(t, errs, "every append with Any must succeed")
	events := f.readStream(stream)
	require.Len(t, events, writers*perWriter*k)
	requireGapless(t, stream, events)
	require.Len(t, requireContiguousBatches(t, events, stream), writers*perWriter)
}
