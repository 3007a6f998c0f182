package session

import (
	"context"
	"fmt"

	"github.com/goflow-dev/goflow/domain"
)

// DefaultSnapshotEvery is how many steps apart Snapshots keeps states by default.
const DefaultSnapshotEvery = 100

// Snapshots keeps the recorded history's state every K steps, so that StateAt replays at most
// K-1 steps (OutcomeAt at most K, plus any skipped stretch). It covers a prefix of the history
// that Extend and Append grow. The snapshots reflect the recorded history only (no edited
// reducers); skips are replayed from the last snapshot before the first skipped step. It is not
// safe for concurrent use.
type Snapshots struct {
	runner *Runner
	steps  []*domain.SessionActionDispatched
	every  int64
	// states[i] is the state after step i*every.
	states []State
	// last is the state after the last step, where Extend resumes.
	last State
	// stateBytes is the JSON size of states, for callers that bound what they keep.
	stateBytes int64
}

// NewSnapshots replays the history once and keeps every every-th state (every <= 0 means
// DefaultSnapshotEvery).
func NewSnapshots(ctx context.Context, r *Runner, started *domain.SessionStarted, steps []*domain.SessionActionDispatched, every int64) (*Snapshots, error) {
	if err := checkSteps(steps); err != nil {
		return nil, err
	}
	if every <= 0 {
		every = DefaultSnapshotEvery
	}
	s := &Snapshots{runner: r, every: every, last: InitialState(started)}
	s.keep(s.last)
	if err := s.Extend(ctx, steps); err != nil {
		return nil, err
	}
	return s, nil
}

// Extend replays the recorded steps that follow the known ones (steps[0] must be step
// Steps()+1, and so on) from the last known state, so a grown history costs only its new steps.
// On error Snapshots is left as it was.
func (s *Snapshots) Extend(ctx context.Context, steps []*domain.SessionActionDispatched) error {
	for i, d := range steps {
		if want := s.Steps() + int64(i) + 1; d == nil || d.Step != want {
			return fmt.Errorf("%w: extending steps[%d] is not step %d", ErrBadInput, i, want)
		}
	}
	if len(steps) == 0 {
		return nil
	}
	// Clip so that appending never writes into an array a caller (or an earlier Steps) shares.
	all := append(s.steps[:len(s.steps):len(s.steps)], steps...)
	kept, bytes, last := len(s.states), s.stateBytes, s.last
	err := s.runner.replay(ctx, s.last, all, ReplayOptions{}, func(o Outcome) error {
		s.last = o.State
		s.keep(o.State)
		return nil
	})
	if err != nil {
		s.states, s.stateBytes, s.last = s.states[:kept], bytes, last
		return err
	}
	s.steps = all
	return nil
}

// Append records a new step of a live session and the state it produced (from Dispatch).
func (s *Snapshots) Append(d *domain.SessionActionDispatched, after State) error {
	want := int64(len(s.steps)) + 1
	if d == nil || d.Step != want || after.Step != want {
		return fmt.Errorf("%w: appended step is not step %d", ErrBadInput, want)
	}
	s.steps = append(s.steps, d)
	s.last = after
	s.keep(after)
	return nil
}

func (s *Snapshots) keep(st State) {
	if st.Step%s.every == 0 {
		s.states = append(s.states, st)
		s.stateBytes += int64(len(st.Page) + len(st.App))
	}
}

// Steps is the number of steps known.
func (s *Snapshots) Steps() int64 { return int64(len(s.steps)) }

// StateBytes is the JSON size of the snapshot states held (the steps aside).
func (s *Snapshots) StateBytes() int64 { return s.stateBytes }

// StateAt returns the state after step n (0: the initial state), replaying from the nearest
// snapshot at or before n.
func (s *Snapshots) StateAt(ctx context.Context, n int64) (State, error) {
	if err := s.checkStep(n); err != nil {
		return State{}, err
	}
	if n == s.Steps() {
		return s.last, nil
	}
	st := s.states[n/s.every]
	if st.Step == n {
		return st, nil // also keeps UpTo 0 (meaning "all") out of the replay below
	}
	err := s.runner.replay(ctx, st, s.steps, ReplayOptions{UpTo: n}, func(o Outcome) error {
		st = o.State
		return nil
	})
	if err != nil {
		return State{}, err
	}
	return st, nil
}

// OutcomeAt returns step n's outcome (its state, its reducer error, whether it was skipped) as
// Replay with ReplayOptions{Skip: skip} computes it; step 0 is the initial state. It replays
// step n itself, so the error is known, starting from the nearest snapshot at or before both
// n-1 and the state before the first skipped step.
func (s *Snapshots) OutcomeAt(ctx context.Context, n int64, skip map[int64]bool) (Outcome, error) {
	if err := s.checkStep(n); err != nil {
		return Outcome{}, err
	}
	if n == 0 {
		return Outcome{State: s.states[0]}, nil
	}
	from := n - 1
	for k, ok := range skip {
		if ok && k >= 1 && k-1 < from {
			from = k - 1
		}
	}
	var out Outcome
	err := s.runner.replay(ctx, s.states[from/s.every], s.steps, ReplayOptions{UpTo: n, Skip: skip}, func(o Outcome) error {
		out = o
		return nil
	})
	if err != nil {
		return Outcome{}, err
	}
	return out, nil
}

// StateAtSkipping returns the state after step n of a replay that leaves out the steps in skip.
func (s *Snapshots) StateAtSkipping(ctx context.Context, n int64, skip map[int64]bool) (State, error) {
	o, err := s.OutcomeAt(ctx, n, skip)
	return o.State, err
}

// Walk replays steps from+1 through to of the recorded history (no skips), from the nearest
// snapshot at or before from, calling fn with each of their outcomes in order.
func (s *Snapshots) Walk(ctx context.Context, from, to int64, fn func(Outcome) error) error {
	if err := s.checkStep(from); err != nil {
		return err
	}
	if err := s.checkStep(to); err != nil {
		return err
	}
	if to <= from {
		return nil
	}
	return s.runner.replay(ctx, s.states[from/s.every], s.steps, ReplayOptions{UpTo: to}, func(o Outcome) error {
		if o.State.Step <= from {
			return nil
		}
		return fn(o)
	})
}

func (s *Snapshots) checkStep(n int64) error {
	if n < 0 || n > s.Steps() {
		return fmt.Errorf("%w: step %d outside 0..%d", ErrBadInput, n, s.Steps())
	}
	return nil
}
