package session

import (
	"context"
	"fmt"

	"github.com/goflow-dev/goflow/domain"
)

// DefaultSnapshotEvery is how many steps apart Snapshots keeps states by default.
const DefaultSnapshotEvery = 100

// Snapshots keeps the recorded history's state every K steps, so that StateAt replays at most
// K-1 steps. It reflects the recorded history only (no skips, no edited reducers). It is not
// safe for concurrent use.
type Snapshots struct {
	runner *Runner
	steps  []*domain.SessionActionDispatched
	every  int64
	// states[i] is the state after step i*every.
	states []State
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
	s := &Snapshots{runner: r, every: every, states: []State{InitialState(started)}}
	err := r.replay(ctx, InitialState(started), steps, ReplayOptions{}, func(o Outcome) error {
		s.steps = append(s.steps, steps[o.State.Step-1])
		s.keep(o.State)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Append records a new step of a live session and the state it produced (from Dispatch).
func (s *Snapshots) Append(d *domain.SessionActionDispatched, after State) error {
	want := int64(len(s.steps)) + 1
	if d == nil || d.Step != want || after.Step != want {
		return fmt.Errorf("%w: appended step is not step %d", ErrBadInput, want)
	}
	s.steps = append(s.steps, d)
	s.keep(after)
	return nil
}

func (s *Snapshots) keep(st State) {
	if st.Step%s.every == 0 {
		s.states = append(s.states, st)
	}
}

// Steps is the number of steps known.
func (s *Snapshots) Steps() int64 { return int64(len(s.steps)) }

// StateAt returns the state after step n (0: the initial state), replaying from the nearest
// snapshot at or before n.
func (s *Snapshots) StateAt(ctx context.Context, n int64) (State, error) {
	if n < 0 || n > s.Steps() {
		return State{}, fmt.Errorf("%w: step %d outside 0..%d", ErrBadInput, n, s.Steps())
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
