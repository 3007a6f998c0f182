package jsbox

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dlclark/regexp2/v2"
	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

//go:embed prelude.js
var preludeSource string

// runtimeMaxUses retires a pooled runtime after this many calls. Frozen
// intrinsics keep calls apart; retiring bounds what they cannot, such as the
// global Symbol.for registry growing.
const runtimeMaxUses = 10_000

type runKind int

const (
	handlerRun runKind = iota
	reducerRun
)

// runState is one call's record, filled by the host natives.
type runState struct {
	kind      runKind
	deadline  time.Time
	component *ComponentInfo
	// inputs, built into script values when the prelude asks (host.input)
	payload, state, props json.RawMessage

	actions     []Action
	updates     []ComponentUpdate
	resultBytes int
	newState    json.RawMessage
	logs        []LogLine
	logBytes    int
	logsFull    bool
	err         *Error // first failure recorded by the prelude or a guard
}

func (r *runState) fail(e *Error) {
	if r.err == nil {
		r.err = e
	}
}

// vm is one goja runtime with the prelude installed. It is used by one
// goroutine at a time.
type vm struct {
	rt      *goja.Runtime
	lim     *Limits
	handler goja.Callable
	reducer goja.Callable
	run     *runState
	uses    int
	// the original Object.freeze and Object.preventExtensions
	freeze, preventExtensions goja.Callable

	// regexps caches, per "flags/source", the backtracking patterns that
	// host.regexpGuard pre-runs; linear caches, per source, whether Go's
	// regexp runs the pattern.
	regexps map[string]*regexp2.Regexp
	linear  map[string]bool
}

func newVM(prelude *goja.Program, lim *Limits, harden bool) (*vm, error) {
	rt := goja.New()
	// The parser would otherwise read files named by //# sourceMappingURL.
	rt.SetParserOptions(parser.WithDisableSourceMaps)
	rt.SetMaxCallStackSize(lim.MaxCallStack)
	v := &vm{
		rt:      rt,
		lim:     lim,
		regexps: map[string]*regexp2.Regexp{},
		linear:  map[string]bool{},
	}
	object := rt.Get("Object").ToObject(rt)
	var ok bool
	if v.freeze, ok = goja.AssertFunction(object.Get("freeze")); !ok {
		return nil, errors.New("jsbox: Object.freeze is missing")
	}
	if v.preventExtensions, ok = goja.AssertFunction(object.Get("preventExtensions")); !ok {
		return nil, errors.New("jsbox: Object.preventExtensions is missing")
	}
	fnVal, err := rt.RunProgram(prelude)
	if err != nil {
		return nil, fmt.Errorf("jsbox: run prelude: %w", err)
	}
	fn, ok := goja.AssertFunction(fnVal)
	if !ok {
		return nil, errors.New("jsbox: prelude is not a function")
	}
	limits := rt.NewObject()
	for name, val := range map[string]int{
		"maxArrayLength":  lim.MaxArrayLength,
		"maxStringLength": lim.MaxStringLength,
		"maxJSONDepth":    lim.MaxJSONDepth,
	} {
		if err := limits.Set(name, val); err != nil {
			return nil, fmt.Errorf("jsbox: set limit %s: %w", name, err)
		}
	}
	host, err := v.hostObject()
	if err != nil {
		return nil, err
	}
	entriesVal, err := fn(goja.Undefined(), host, limits, rt.ToValue(harden))
	if err != nil {
		return nil, fmt.Errorf("jsbox: install prelude: %w", err)
	}
	entries := entriesVal.ToObject(rt)
	if v.handler, ok = goja.AssertFunction(entries.Get("handler")); !ok {
		return nil, errors.New("jsbox: prelude has no handler entry")
	}
	if v.reducer, ok = goja.AssertFunction(entries.Get("reducer")); !ok {
		return nil, errors.New("jsbox: prelude has no reducer entry")
	}
	return v, nil
}

// begin prepares the runtime for one call.
func (v *vm) begin(run *runState, det Determinism) {
	v.run = run
	v.uses++
	now := det.Time
	if now.IsZero() {
		now = time.Unix(0, 0).UTC()
	}
	v.rt.SetTimeSource(func() time.Time { return now })
	// PCG is fully determined by its seed: replaying with the recorded seed
	// yields the same Math.random sequence.
	rng := rand.New(rand.NewPCG(uint64(det.Seed), 0x9E3779B97F4A7C15))
	v.rt.SetRandSource(rng.Float64)
}

func (v *vm) callHandler(userFn goja.Value, in *HandlerInput) error {
	_, err := v.handler(goja.Undefined(),
		userFn,
		v.rt.ToValue(in.Event.Name),
		v.rt.ToValue(in.Component.NodeID),
		v.rt.ToValue(in.Component.Type),
	)
	return err
}

func (v *vm) callReducer(userFn goja.Value, in *ReducerInput) error {
	_, err := v.reducer(goja.Undefined(), userFn, v.rt.ToValue(in.Action.Type))
	return err
}

// interruptCanceled is the interrupt value used when the caller's context is
// canceled (as opposed to a deadline).
type interruptCanceled struct{}

// outcome classifies a finished call. Failures recorded by the prelude or a
// guard win over the goja error they caused.
func (v *vm) outcome(callErr error) error {
	if v.run.err != nil {
		return v.run.err
	}
	if callErr == nil {
		return nil
	}
	var ie *goja.InterruptedError
	if errors.As(callErr, &ie) {
		switch val := ie.Value().(type) {
		case *Error:
			return val
		case interruptCanceled:
			return errCanceled
		}
		return newError(ErrTimeout, "interrupted")
	}
	var so *goja.StackOverflowError
	if errors.As(callErr, &so) {
		return newError(ErrStackOverflow, "more than %d nested calls", v.lim.MaxCallStack)
	}
	var ex *goja.Exception
	if errors.As(callErr, &ex) {
		// The prelude catches everything the script throws, so this is a
		// failure of the prelude itself. Exception.Error() could call script
		// code (toString) outside the deadline; only primitives are printed.
		msg := "uncaught exception"
		if s, ok := ex.Value().Export().(string); ok {
			msg = s
		}
		return newError(ErrScript, "%s", msg)
	}
	return newError(ErrScript, "%s", callErr.Error())
}

// errCanceled marks an outcome caused by the caller's context being canceled;
// the Sandbox replaces it with the context's error.
var errCanceled = &Error{Kind: ErrTimeout, Message: "canceled"}

// keep says whether the runtime may serve another call: only after a normal
// return or a script error, never after an interrupt or a panic.
func (v *vm) keep(outcome error) bool {
	if v.uses >= runtimeMaxUses {
		return false
	}
	return outcome == nil || errors.Is(outcome, ErrScript) || errors.Is(outcome, ErrInvalidScript)
}
