package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/runtime/jsbox"
)

// Scripts loads one version of a script; the caller backs it with the script projection.
type Scripts interface {
	Program(ctx context.Context, scriptID string, version int64) (jsbox.Program, error)
}

// State is the page and app state after Step (0: the initial state). Empty JSON means undefined,
// so the reducers' default parameters apply.
type State struct {
	Step int64           `json:"step"`
	Page json.RawMessage `json:"page,omitempty"`
	App  json.RawMessage `json:"app,omitempty"`
}

// InitialState is the state a session starts from.
func InitialState(started *domain.SessionStarted) State {
	return State{Page: started.InitialState.Page, App: started.InitialState.App}
}

// ComponentEvent is a component event whose bound handler script runs.
type ComponentEvent struct {
	Handler   domain.ScriptRef
	Component jsbox.ComponentInfo
	Event     jsbox.Event // the payload is validated by the caller against the manifest
}

// QuickEvent is a component event bound to quick actions: Actions are what PlanQuickActions
// planned, in order (they may include ActionSetState).
type QuickEvent struct {
	Source  domain.SessionSource
	Actions []jsbox.Action
}

// DispatchInput is a component event run by a script (Event), one run by quick actions (Quick)
// or a direct action (Action): exactly one is set.
type DispatchInput struct {
	Event  *ComponentEvent
	Quick  *QuickEvent
	Action *jsbox.Action
	// PageReducer and AppReducer are the script versions every resulting step runs; a zero ref
	// means no reducer, so that state passes through unchanged.
	PageReducer domain.ScriptRef
	AppReducer  domain.ScriptRef
	// Time is Date.now() for the handler and the reducers; it is recorded in milliseconds, so
	// it is truncated to them here too.
	Time time.Time
	// Seed seeds Math.random for the handler; the i-th action (from 0) it dispatches is reduced
	// with Seed+i, so that steps of one event do not all draw the same numbers.
	Seed uint64
	// Timeout overrides the sandbox's per-call deadline when > 0 (a per-app setting).
	Timeout time.Duration
}

// Runner runs the dispatch pipeline. It is safe for concurrent use; the State passed to
// Dispatch is the caller's to serialize per session.
type Runner struct {
	box     *jsbox.Sandbox
	scripts Scripts
}

// NewRunner returns a Runner running scripts from scripts in box.
func NewRunner(box *jsbox.Sandbox, scripts Scripts) *Runner {
	return &Runner{box: box, scripts: scripts}
}

// ErrBadInput: a DispatchInput with neither or both of Event and Action, or a step sequence
// that is not 1, 2, 3, ...
var ErrBadInput = errors.New("session: invalid input")

// ErrInvalidAction: the handler (or the caller, for a direct action) produced an action the
// session stream cannot record: an empty or overlong type, or more actions than one record
// holds (domain.MaxDispatchesPerRecord). Nothing is recorded.
var ErrInvalidAction = errors.New("session: invalid action")

// Dispatch runs one component event or direct action from st and returns the new state, the
// session.action_dispatched events to record (one per action, in order) and the component
// updates the handler asked for.
//
// A reducer that fails is not an error: its step is recorded with the error and leaves the state
// as it was. A handler that fails is an error (wrapping the *jsbox.Error) and nothing is
// recorded; so is a failure to load a script or a cancelled context, which leave st unchanged.
func (r *Runner) Dispatch(ctx context.Context, st State, in DispatchInput) (State, []domain.Event, []jsbox.ComponentUpdate, error) {
	if n := btoi(in.Event != nil) + btoi(in.Quick != nil) + btoi(in.Action != nil); n != 1 {
		return st, nil, nil, fmt.Errorf("%w: exactly one of Event, Quick and Action", ErrBadInput)
	}
	ms := in.Time.UnixMilli()
	var (
		actions []jsbox.Action
		updates []jsbox.ComponentUpdate
		source  *domain.SessionSource
		handler *domain.ScriptRef
	)
	if ev := in.Event; ev != nil {
		prog, err := r.scripts.Program(ctx, ev.Handler.ScriptID, ev.Handler.Version)
		if err != nil {
			return st, nil, nil, fmt.Errorf("load handler %s@%d: %w", ev.Handler.ScriptID, ev.Handler.Version, err)
		}
		res, err := r.box.RunHandler(ctx, jsbox.HandlerInput{
			Script:    prog,
			Event:     ev.Event,
			State:     st.Page, // ctx.state is the page's state
			Component: ev.Component,
			Det:       jsbox.Determinism{Time: time.UnixMilli(ms).UTC(), Seed: int64(in.Seed)},
			Timeout:   in.Timeout,
		})
		if err != nil {
			return st, nil, nil, fmt.Errorf("handler %s@%d: %w", ev.Handler.ScriptID, ev.Handler.Version, err)
		}
		actions, updates = res.Actions, res.ComponentUpdates
		source = &domain.SessionSource{NodeID: ev.Component.NodeID, Event: ev.Event.Name, Payload: ev.Event.Payload}
		h := ev.Handler
		handler = &h
	} else if in.Quick != nil {
		actions = in.Quick.Actions
		src := in.Quick.Source
		source = &src
	} else {
		actions = []jsbox.Action{*in.Action}
	}
	if len(actions) > domain.MaxDispatchesPerRecord {
		return st, nil, nil, fmt.Errorf("%w: %d actions in one dispatch, at most %d", ErrInvalidAction, len(actions), domain.MaxDispatchesPerRecord)
	}
	for _, a := range actions {
		if a.Type == "" || len(a.Type) > domain.MaxActionTypeLen || !utf8.ValidString(a.Type) {
			return st, nil, nil, fmt.Errorf("%w: action type must be 1..%d bytes", ErrInvalidAction, domain.MaxActionTypeLen)
		}
		// Only quick actions, planned by the runtime, dispatch the runtime's own actions.
		if in.Quick == nil && strings.HasPrefix(a.Type, ReservedActionPrefix) {
			return st, nil, nil, fmt.Errorf("%w: action types starting with %q are reserved", ErrInvalidAction, ReservedActionPrefix)
		}
	}
	next := st
	events := make([]domain.Event, 0, len(actions))
	for i, a := range actions {
		d := &domain.SessionActionDispatched{
			Step:        next.Step + 1,
			Action:      domain.SessionAction{Type: a.Type, Payload: a.Payload},
			Source:      source,
			Handler:     handler,
			PageReducer: in.PageReducer,
			AppReducer:  in.AppReducer,
			Time:        ms,
			Seed:        in.Seed + uint64(i),
		}
		out, err := r.step(ctx, next, d, nil, in.Timeout)
		if err != nil {
			return st, nil, nil, err
		}
		d.Error, d.DurationMicros = out.Error, out.Duration.Microseconds()
		next = out.State
		events = append(events, d)
	}
	return next, events, updates, nil
}

// Outcome is the result of one step.
type Outcome struct {
	State State
	// Error is the reducer error the step recorded or reproduced; the state then stayed.
	Error string
	// Skipped is set when ReplayOptions.Skip left the step out.
	Skipped bool
	// Duration is the reducers' run time (machine-dependent: not part of the outcome's meaning).
	Duration time.Duration
}

// step folds one recorded action through the page reducer then the app reducer. If either
// throws, the step keeps both states as they were (a step applies whole or not at all). A zero
// reducer ref (no reducer) leaves its state as it was, unless pageOverride replaces the page
// reducer: an edited reducer runs even where none was recorded.
func (r *Runner) step(ctx context.Context, st State, d *domain.SessionActionDispatched, pageOverride *jsbox.Program, timeout time.Duration) (Outcome, error) {
	det := jsbox.Determinism{Time: time.UnixMilli(d.Time).UTC(), Seed: int64(d.Seed)}
	action := jsbox.Action{Type: d.Action.Type, Payload: d.Action.Payload}
	kept := Outcome{State: State{Step: d.Step, Page: st.Page, App: st.App}}
	var page, app json.RawMessage
	for _, red := range []struct {
		name     string
		ref      domain.ScriptRef
		override *jsbox.Program
		state    json.RawMessage
		out      *json.RawMessage
	}{
		{"page reducer", d.PageReducer, pageOverride, st.Page, &page},
		{"app reducer", d.AppReducer, nil, st.App, &app},
	} {
		var prog jsbox.Program
		switch {
		case red.out == &page && d.Action.Type == ActionSetState:
			// The runtime reduces its own setState in place of any page reducer.
			next, err := applySetState(red.state, d.Action.Payload)
			if err != nil {
				kept.Error = domain.CutDispatchError(err.Error())
				return kept, nil
			}
			*red.out = next
			continue
		case red.override != nil:
			prog = *red.override
		case red.ref.IsZero():
			// No reducer: this state passes through the action unchanged.
			*red.out = red.state
			continue
		default:
			p, err := r.scripts.Program(ctx, red.ref.ScriptID, red.ref.Version)
			if err != nil {
				return Outcome{}, fmt.Errorf("step %d: load %s %s@%d: %w", d.Step, red.name, red.ref.ScriptID, red.ref.Version, err)
			}
			prog = p
		}
		res, err := r.box.RunReducer(ctx, jsbox.ReducerInput{Script: prog, State: red.state, Action: action, Det: det, Timeout: timeout})
		kept.Duration += res.Duration
		var jerr *jsbox.Error
		if err != nil && errors.As(err, &jerr) && !errors.Is(err, jsbox.ErrInvalidInput) {
			kept.Error = domain.CutDispatchError(red.name + ": " + jerr.Error())
			return kept, nil
		}
		if err != nil {
			return Outcome{}, fmt.Errorf("step %d: %s: %w", d.Step, red.name, err)
		}
		*red.out = res.State
	}
	return Outcome{State: State{Step: d.Step, Page: page, App: app}, Duration: kept.Duration}, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
