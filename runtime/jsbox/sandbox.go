package jsbox

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

// abandonGrace is how long a call waits, after interrupting its runtime, for
// the runtime to stop. Interrupts take effect at the next JavaScript
// instruction; only a long native operation (a backtracking regexp waiting
// for regexp2's coarse clock, or an unguarded built-in) takes longer, and
// then the call returns ErrTimeout and leaves the runtime to finish alone.
const abandonGrace = 250 * time.Millisecond

// Sandbox runs handler and reducer scripts. It is safe for concurrent use.
//
// Runtimes are pooled: building one costs ~7ms (hardening freezes every
// intrinsic), a call on a pooled one costs tens of µs, while a fresh runtime
// per call (which needs no hardening but still the guards) costs ~10x more
// per call; see BenchmarkRuntimeStrategy.
type Sandbox struct {
	cfg      Config
	prelude  *goja.Program
	programs *programCache
	// slots holds MaxConcurrent entries: a pooled runtime, or nil when the
	// slot's runtime has not been built or was discarded.
	slots chan *vm

	runs      atomic.Uint64
	abandoned atomic.Uint64
	stuck     atomic.Int64
}

// NewSandbox validates cfg, applies defaults and builds one runtime to check
// the prelude.
func NewSandbox(cfg Config) (*Sandbox, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ast, err := goja.Parse("prelude.js", preludeSource, parser.WithDisableSourceMaps)
	if err != nil {
		return nil, fmt.Errorf("jsbox: parse prelude: %w", err)
	}
	prelude, err := goja.CompileAST(ast, true)
	if err != nil {
		return nil, fmt.Errorf("jsbox: compile prelude: %w", err)
	}
	s := &Sandbox{
		cfg:      cfg,
		prelude:  prelude,
		programs: newProgramCache(cfg.ProgramCacheSize),
		slots:    make(chan *vm, cfg.MaxConcurrent),
	}
	first, err := newVM(prelude, &s.cfg.Limits, !cfg.freshRuntimes)
	if err != nil {
		return nil, err
	}
	if cfg.freshRuntimes {
		first = nil
	}
	s.slots <- first
	for range cfg.MaxConcurrent - 1 {
		s.slots <- nil
	}
	return s, nil
}

// Stats are counters for health checks.
type Stats struct {
	Runs           uint64 // calls that reached a runtime
	Abandoned      uint64 // calls whose runtime did not stop within abandonGrace of the deadline
	Stuck          int64  // abandoned runtimes still running (each holds a core until it ends)
	CachedPrograms int
}

// Stats returns the current counters.
func (s *Sandbox) Stats() Stats {
	return Stats{
		Runs:           s.runs.Load(),
		Abandoned:      s.abandoned.Load(),
		Stuck:          s.stuck.Load(),
		CachedPrograms: s.programs.len(),
	}
}

// Check compiles a script (and caches it), so an editor can reject a script
// that cannot run when it is saved. It does not run it.
func (s *Sandbox) Check(p Program) error {
	_, err := s.programs.get(p, &s.cfg.Limits)
	return err
}

// RunHandler runs `handleEvent(payload, ctx)`. A handler that returns a
// promise is awaited (its jobs run before the call returns, under the same
// deadline).
func (s *Sandbox) RunHandler(ctx context.Context, in HandlerInput) (HandlerResult, error) {
	lim := &s.cfg.Limits
	inputs := []struct {
		what string
		data json.RawMessage
	}{
		{"event payload", in.Event.Payload},
		{"state", in.State},
		{"component props", in.Component.Props},
	}
	for _, input := range inputs {
		if err := checkInput(input.what, input.data, lim.MaxStateBytes, lim.MaxJSONDepth); err != nil {
			return HandlerResult{}, err
		}
	}
	if p := bytes.TrimSpace(in.Component.Props); len(p) > 0 && p[0] != '{' {
		return HandlerResult{}, newError(ErrInvalidInput, "component props must be a JSON object")
	}
	run, dur, err := s.exec(ctx, callSpec{
		kind:      handlerRun,
		script:    in.Script,
		timeout:   in.Timeout,
		det:       in.Det,
		component: &in.Component,
		payload:   in.Event.Payload,
		state:     in.State,
		props:     in.Component.Props,
		invoke:    func(v *vm, userFn goja.Value) error { return v.callHandler(userFn, &in) },
	})
	res := HandlerResult{Duration: dur}
	if run != nil {
		res.Logs = run.logs
	}
	if err != nil {
		return res, err
	}
	res.Actions, res.ComponentUpdates = run.actions, run.updates
	return res, nil
}

// RunReducer runs `reducer(state, action)` and returns the new state.
func (s *Sandbox) RunReducer(ctx context.Context, in ReducerInput) (ReducerResult, error) {
	lim := &s.cfg.Limits
	if in.Action.Type == "" {
		return ReducerResult{}, newError(ErrInvalidInput, "action type is empty")
	}
	if err := checkInput("state", in.State, lim.MaxStateBytes, lim.MaxJSONDepth); err != nil {
		return ReducerResult{}, err
	}
	if err := checkInput("action payload", in.Action.Payload, lim.MaxResultBytes, lim.MaxJSONDepth); err != nil {
		return ReducerResult{}, err
	}
	run, dur, err := s.exec(ctx, callSpec{
		kind:    reducerRun,
		script:  in.Script,
		timeout: in.Timeout,
		det:     in.Det,
		payload: in.Action.Payload,
		state:   in.State,
		invoke:  func(v *vm, userFn goja.Value) error { return v.callReducer(userFn, &in) },
	})
	res := ReducerResult{Duration: dur}
	if run != nil {
		res.Logs = run.logs
	}
	if err != nil {
		return res, err
	}
	res.State = run.newState
	return res, nil
}

type callSpec struct {
	kind      runKind
	script    Program
	timeout   time.Duration
	det       Determinism
	component *ComponentInfo
	payload   json.RawMessage
	state     json.RawMessage
	props     json.RawMessage
	invoke    func(v *vm, userFn goja.Value) error
}

type execResult struct {
	err      error
	dur      time.Duration
	panicked bool
}

// exec runs one call on a pooled runtime, in its own goroutine so that the
// caller can always return: at the deadline the runtime is interrupted, and
// if it does not stop within abandonGrace it is abandoned.
func (s *Sandbox) exec(ctx context.Context, spec callSpec) (*runState, time.Duration, error) {
	lim := &s.cfg.Limits
	prog, err := s.programs.get(spec.script, lim)
	if err != nil {
		return nil, 0, err
	}
	var v *vm
	select {
	case v = <-s.slots:
	case <-ctx.Done():
		return nil, 0, fmt.Errorf("jsbox: waiting for a free runtime: %w", ctx.Err())
	}
	if v == nil || s.cfg.freshRuntimes {
		if v, err = newVM(s.prelude, lim, !s.cfg.freshRuntimes); err != nil {
			s.slots <- nil
			return nil, 0, err
		}
	}

	timeout := cmp.Or(spec.timeout, lim.Timeout)
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	budget := time.Until(deadline)
	run := &runState{
		kind:      spec.kind,
		deadline:  deadline,
		component: spec.component,
		payload:   spec.payload,
		state:     spec.state,
		props:     spec.props,
	}
	v.begin(run, spec.det)
	s.runs.Add(1)

	done := make(chan execResult, 1)
	go func() {
		var res execResult
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				res.err = newError(ErrScript, "runtime panic: %v", p)
				res.panicked = true
			}
			res.dur = time.Since(start)
			done <- res
		}()
		userFn, err := v.rt.RunProgram(prog)
		if err == nil {
			err = spec.invoke(v, userFn)
		}
		res.err = err
	}()

	timer := time.NewTimer(budget)
	defer timer.Stop()
	var res execResult
	select {
	case res = <-done:
	case <-timer.C:
		v.rt.Interrupt(newError(ErrTimeout, "the call ran longer than %v", budget.Round(time.Millisecond)))
		if !s.await(done, &res) {
			return nil, 0, newError(ErrTimeout, "the script did not stop within %v of its deadline; its runtime was abandoned", abandonGrace)
		}
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			v.rt.Interrupt(newError(ErrTimeout, "the caller's deadline passed"))
		} else {
			v.rt.Interrupt(interruptCanceled{})
		}
		if !s.await(done, &res) {
			return nil, 0, newError(ErrTimeout, "the script did not stop within %v of its cancellation; its runtime was abandoned", abandonGrace)
		}
	}
	// Only this goroutine interrupts, and the runtime has stopped: a flag set
	// after the script finished must not hit the next call.
	v.rt.ClearInterrupt()

	outcome := res.err
	if !res.panicked {
		outcome = v.outcome(res.err)
	}
	if outcome == errCanceled {
		outcome = fmt.Errorf("jsbox: call canceled: %w", ctx.Err())
	}
	v.run = nil
	if !res.panicked && !s.cfg.freshRuntimes && v.keep(outcome) {
		s.slots <- v
	} else {
		s.slots <- nil
	}
	return run, res.dur, outcome
}

// await waits abandonGrace for an interrupted runtime. When it does not stop,
// its slot is freed for a new runtime and a goroutine waits for the old one.
func (s *Sandbox) await(done <-chan execResult, res *execResult) bool {
	grace := time.NewTimer(abandonGrace)
	defer grace.Stop()
	select {
	case *res = <-done:
		return true
	case <-grace.C:
		s.abandoned.Add(1)
		s.stuck.Add(1)
		go func() {
			<-done
			s.stuck.Add(-1)
		}()
		s.slots <- nil
		return false
	}
}
