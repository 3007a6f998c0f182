package session_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/runtime/jsbox"
	"github.com/goflow-dev/goflow/runtime/session"
)

// randomSteps records a session of random clicks and direct actions (some of whose reducers
// throw) and returns its steps.
func randomSteps(t *testing.T, f fixture, seed uint64, dispatches int) []*domain.SessionActionDispatched {
	t.Helper()
	steps, _ := f.run(t, randomInputs(rand.New(rand.NewPCG(seed, 99)), dispatches))
	require.NotEmpty(t, steps)
	return steps
}

// TestSnapshotsEqualReplay: whatever K, however the history was extended and whatever is
// skipped, Snapshots answers exactly what a full Replay from step 0 does.
func TestSnapshotsEqualReplay(t *testing.T) {
	t.Parallel()
	f := setup(t, randomPageReducer, randomAppReducer, randomHandler)
	ctx := context.Background()
	for seed := range uint64(3) {
		steps := randomSteps(t, f, seed, 15)
		last := int64(len(steps))
		rng := rand.New(rand.NewPCG(seed, 7))
		skips := []map[int64]bool{nil, {}}
		for range 3 {
			skip := map[int64]bool{}
			for range 1 + rng.IntN(4) {
				skip[1+rng.Int64N(last)] = true
			}
			skips = append(skips, skip)
		}
		skips = append(skips, map[int64]bool{1: true}, map[int64]bool{last: true}, map[int64]bool{2: false})
		fulls := make([][]session.Outcome, len(skips))
		for i, skip := range skips {
			full, err := session.Replay(ctx, f.runner, f.started, steps, session.ReplayOptions{Skip: skip})
			require.NoError(t, err)
			fulls[i] = withoutDurations(full)
		}
		for _, every := range []int64{1, 3, 7, 0} {
			rng := rand.New(rand.NewPCG(seed, uint64(every)))
			t.Run(fmt.Sprintf("seed%d/every%d", seed, every), func(t *testing.T) {
				t.Parallel()
				whole, err := session.NewSnapshots(ctx, f.runner, f.started, steps, every)
				require.NoError(t, err)
				// The same history grown in random chunks, as a cache extends it.
				grown, err := session.NewSnapshots(ctx, f.runner, f.started, steps[:rng.IntN(len(steps))], every)
				require.NoError(t, err)
				for grown.Steps() < last {
					k := grown.Steps()
					next := min(last, k+1+rng.Int64N(8))
					require.NoError(t, grown.Extend(ctx, steps[k:next]))
					require.Equal(t, next, grown.Steps())
				}
				for name, snaps := range map[string]*session.Snapshots{"whole": whole, "grown": grown} {
					for i, skip := range skips {
						for n := range last + 1 {
							o, err := snaps.OutcomeAt(ctx, n, skip)
							require.NoError(t, err)
							o.Duration = 0
							want := fulls[i][n]
							require.Equal(t, want, o, "%s: step %d skipping %v", name, n, skip)
							st, err := snaps.StateAtSkipping(ctx, n, skip)
							require.NoError(t, err)
							require.Equal(t, want.State, st)
							if len(skip) == 0 {
								st, err := snaps.StateAt(ctx, n)
								require.NoError(t, err)
								require.Equal(t, want.State, st, "%s: step %d", name, n)
							}
						}
					}
					full := fulls[0] // no skips
					from, to := rng.Int64N(last+1), rng.Int64N(last+1)
					var walked []session.Outcome
					require.NoError(t, snaps.Walk(ctx, from, to, func(o session.Outcome) error {
						walked = append(walked, o)
						return nil
					}))
					var want []session.Outcome
					if to > from {
						want = full[from+1 : to+1]
					}
					require.Equal(t, want, withoutDurations(walked), "%s: walk %d..%d", name, from, to)
				}
			})
		}
	}
}

func TestSnapshotsExtendRejects(t *testing.T) {
	t.Parallel()
	f := setup(t, counterPageReducer, counterAppReducer, counterHandler)
	var inputs []session.DispatchInput
	for range 6 {
		inputs = append(inputs, direct("counter/increment", `{"by":1}`, t0, 0))
	}
	steps, live := f.run(t, inputs)
	ctx := context.Background()
	snaps, err := session.NewSnapshots(ctx, f.runner, f.started, steps[:2], 2)
	require.NoError(t, err)

	for _, tc := range []struct {
		name  string
		steps []*domain.SessionActionDispatched
	}{
		{"a gap", steps[3:]},
		{"a known step", steps[1:]},
		{"a nil step", []*domain.SessionActionDispatched{nil}},
	} {
		require.ErrorIs(t, snaps.Extend(ctx, tc.steps), session.ErrBadInput, tc.name)
		require.Equal(t, int64(2), snaps.Steps(), tc.name)
	}

	// A step whose reducer cannot be loaded fails the extension and leaves Snapshots as it was.
	broken := *steps[2]
	broken.PageReducer = domain.ScriptRef{ScriptID: "missing", Version: 1}
	bytes := snaps.StateBytes()
	require.Error(t, snaps.Extend(ctx, []*domain.SessionActionDispatched{&broken, steps[3]}))
	require.Equal(t, int64(2), snaps.Steps())
	require.Equal(t, bytes, snaps.StateBytes())
	require.NoError(t, snaps.Extend(ctx, steps[2:]))
	st, err := snaps.StateAt(ctx, 6)
	require.NoError(t, err)
	require.Equal(t, live[5], st)
	st, err = snaps.StateAt(ctx, 4)
	require.NoError(t, err)
	require.Equal(t, live[3], st)
	require.Positive(t, snaps.StateBytes())

	_, err = snaps.OutcomeAt(ctx, 7, nil)
	require.ErrorIs(t, err, session.ErrBadInput)
	require.ErrorIs(t, snaps.Walk(ctx, 0, 7, func(session.Outcome) error { return nil }), session.ErrBadInput)
}

// countingScripts counts the script loads of a replay: one per reducer per step replayed.
type countingScripts struct {
	scriptMap
	loads *atomic.Int64
}

func (c countingScripts) Program(ctx context.Context, id string, version int64) (jsbox.Program, error) {
	c.loads.Add(1)
	return c.scriptMap.Program(ctx, id, version)
}

// TestSnapshotsReplayOnlyWhatTheyMust: Extend replays the new steps only, StateAt at most K-1
// steps, OutcomeAt at most K (back to the step before the first skipped one).
func TestSnapshotsReplayOnlyWhatTheyMust(t *testing.T) {
	t.Parallel()
	f := setup(t, counterPageReducer, counterAppReducer, counterHandler)
	var inputs []session.DispatchInput
	for range 20 {
		inputs = append(inputs, direct("counter/increment", `{"by":1}`, t0, 0))
	}
	steps, _ := f.run(t, inputs)
	box, err := jsbox.NewSandbox(jsbox.Config{Limits: jsbox.Limits{Timeout: 2 * time.Second}})
	require.NoError(t, err)
	var loads atomic.Int64
	r := session.NewRunner(box, countingScripts{scriptMap{"page@1": counterPageReducer, "app@1": counterAppReducer}, &loads})
	ctx := context.Background()

	snaps, err := session.NewSnapshots(ctx, r, f.started, steps[:7], 5)
	require.NoError(t, err)
	require.EqualValues(t, 2*7, loads.Swap(0))
	require.NoError(t, snaps.Extend(ctx, steps[7:20]))
	require.EqualValues(t, 2*13, loads.Swap(0), "only the new steps replay")
	for _, tc := range []struct {
		name   string
		replay func() error
		steps  int64
	}{
		{"StateAt a snapshot", func() error { _, err := snaps.StateAt(ctx, 15); return err }, 0},
		{"StateAt the last step", func() error { _, err := snaps.StateAt(ctx, 20); return err }, 0},
		{"StateAt between", func() error { _, err := snaps.StateAt(ctx, 14); return err }, 4},
		{"OutcomeAt", func() error { _, err := snaps.OutcomeAt(ctx, 16, nil); return err }, 1},
		{"OutcomeAt a snapshot", func() error { _, err := snaps.OutcomeAt(ctx, 15, nil); return err }, 5},
		{"OutcomeAt skipping later", func() error { _, err := snaps.OutcomeAt(ctx, 12, map[int64]bool{13: true}); return err }, 2},
		{"OutcomeAt skipping earlier", func() error { _, err := snaps.OutcomeAt(ctx, 18, map[int64]bool{7: true}); return err }, 12}, // from the snapshot at 5: 6..18 but 7
		{"Walk", func() error { return snaps.Walk(ctx, 12, 14, func(session.Outcome) error { return nil }) }, 4},
	} {
		loads.Store(0)
		require.NoError(t, tc.replay(), tc.name)
		// A skipped step loads no script.
		require.EqualValues(t, 2*tc.steps, loads.Load(), tc.name)
	}
}
