package session

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/runtime/jsbox"
)

// ReplayOptions change what a replay computes; the recorded history is never rewritten.
type ReplayOptions struct {
	// UpTo is the last step to replay; 0 replays every step.
	UpTo int64
	// Skip lists steps to leave out: a skipped step changes no state (the debugger's
	// skip / unskip, kept as its own state).
	Skip map[int64]bool
	// PageReducer, when set, runs instead of the recorded page reducer versions (also at steps
	// recorded without a page reducer): an edited reducer text that was not saved. Give it a key (ID, Version) that recorded scripts do not
	// use, such as version 0, so that the two do not evict each other from the program cache.
	PageReducer *jsbox.Program
	// Timeout overrides the sandbox's per-call deadline when > 0.
	Timeout time.Duration
}

// Replay recomputes a session's states from its start and recorded steps (which must be steps
// 1, 2, 3, ... in order). It returns one Outcome per step, preceded by the initial state at
// index 0, so outcomes[n] is the state after step n.
func Replay(ctx context.Context, r *Runner, started *domain.SessionStarted, steps []*domain.SessionActionDispatched, opts ReplayOptions) ([]Outcome, error) {
	if err := checkSteps(steps); err != nil {
		return nil, err
	}
	out := []Outcome{{State: InitialState(started)}}
	err := r.replay(ctx, InitialState(started), steps, opts, func(o Outcome) error {
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReplaySeq is Replay as an iterator, for long histories whose states should not all be held at
// once: it yields the initial state and then each step's outcome. After an error it yields the
// error once and stops.
func ReplaySeq(ctx context.Context, r *Runner, started *domain.SessionStarted, steps []*domain.SessionActionDispatched, opts ReplayOptions) iter.Seq2[Outcome, error] {
	return func(yield func(Outcome, error) bool) {
		if err := checkSteps(steps); err != nil {
			yield(Outcome{}, err)
			return
		}
		if !yield(Outcome{State: InitialState(started)}, nil) {
			return
		}
		err := r.replay(ctx, InitialState(started), steps, opts, func(o Outcome) error {
			if !yield(o, nil) {
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			yield(Outcome{}, err)
		}
	}
}

// errStop ends a replay early when an iterator's consumer stops.
var errStop = errors.New("stop")

// checkSteps verifies that steps are numbered 1, 2, 3, ... so that steps[n-1] is step n.
func checkSteps(steps []*domain.SessionActionDispatched) error {
	for i, d := range steps {
		if d == nil || d.Step != int64(i)+1 {
			return fmt.Errorf("%w: steps[%d] is not step %d", ErrBadInput, i, i+1)
		}
	}
	return nil
}

// replay applies the steps after from.Step up to opts.UpTo, calling yield after each.
func (r *Runner) replay(ctx context.Context, from State, steps []*domain.SessionActionDispatched, opts ReplayOptions, yield func(Outcome) error) error {
	upTo := int64(len(steps))
	if opts.UpTo > 0 && opts.UpTo < upTo {
		upTo = opts.UpTo
	}
	st := from
	for n := from.Step + 1; n <= upTo; n++ {
		o, err := r.advance(ctx, st, steps[n-1], opts)
		if err != nil {
			return err
		}
		st = o.State
		if err := yield(o); err != nil {
			return err
		}
	}
	return nil
}

// advance applies step d to st, or leaves st as it is when opts skips d.
func (r *Runner) advance(ctx context.Context, st State, d *domain.SessionActionDispatched, opts ReplayOptions) (Outcome, error) {
	if opts.Skip[d.Step] {
		return Outcome{State: State{Step: d.Step, Page: st.Page, App: st.App}, Skipped: true}, nil
	}
	return r.step(ctx, st, d, opts.PageReducer, opts.Timeout)
}

// Difference is the first step whose outcome changed.
type Difference struct {
	Step     int64
	Original Outcome // with the recorded reducer versions
	Edited   Outcome // with the edited page reducer
}

// FirstDifference replays the history twice in lockstep, with the recorded page reducer versions
// and with edited (opts.PageReducer is ignored), and returns the first step whose resulting state
// or error differs; found is false when none does up to opts.UpTo. It stops at that step, so an early
// difference costs little.
func FirstDifference(ctx context.Context, r *Runner, started *domain.SessionStarted, steps []*domain.SessionActionDispatched, edited jsbox.Program, opts ReplayOptions) (diff Difference, found bool, err error) {
	if err := checkSteps(steps); err != nil {
		return Difference{}, false, err
	}
	origOpts, editOpts := opts, opts
	origOpts.PageReducer, editOpts.PageReducer = nil, &edited
	orig, edit := InitialState(started), InitialState(started)
	upTo := int64(len(steps))
	if opts.UpTo > 0 && opts.UpTo < upTo {
		upTo = opts.UpTo
	}
	// The original and the edited replay are independent until compared: run the original on
	// its own goroutine, a bounded stretch ahead, so that the two use both cores (the sandbox
	// pools a runtime per core) and a re-run costs about one replay, not two.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type outcome struct {
		o   Outcome
		err error
	}
	origs := make(chan outcome, 256)
	go func() {
		defer close(origs)
		st := orig
		for n := int64(1); n <= upTo; n++ {
			a, err := r.advance(ctx, st, steps[n-1], origOpts)
			select {
			case origs <- outcome{a, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
			st = a.State
		}
	}()
	for n := int64(1); n <= upTo; n++ {
		b, err := r.advance(ctx, edit, steps[n-1], editOpts)
		if err != nil {
			return Difference{}, false, err
		}
		got, ok := <-origs
		if !ok {
			return Difference{}, false, ctx.Err()
		}
		if got.err != nil {
			return Difference{}, false, got.err
		}
		a := got.o
		if a.Error != b.Error || !jsonEqual(a.State.Page, b.State.Page) || !jsonEqual(a.State.App, b.State.App) {
			return Difference{Step: n, Original: a, Edited: b}, true, nil
		}
		edit = b.State
	}
	return Difference{}, false, nil
}

// jsonEqual compares two JSON values by meaning (key order and number spelling aside); both
// empty means both undefined.
func jsonEqual(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	changes, err := Diff(a, b)
	return err == nil && len(changes) == 0
}
