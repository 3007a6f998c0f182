package jsbox

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/dop251/goja"
)

// perRecordOverhead is charged for every action, update and log line on top
// of its bytes, so that a loop of empty records still hits the cap.
const perRecordOverhead = 16

// hostObject builds the natives the prelude captures. The object itself is
// handed only to the prelude function and never stored where scripts can
// reach it. Natives take and return primitives or JSON; objects given to them
// are only read (walked), never retained.
func (v *vm) hostObject() (*goja.Object, error) {
	host := v.rt.NewObject()
	natives := map[string]func(goja.FunctionCall) goja.Value{
		"abort":          v.hostAbort,
		"input":          v.hostInput,
		"copy":           v.hostCopy,
		"fail":           v.hostFail,
		"invalid":        v.hostInvalid,
		"stringify":      v.hostStringify,
		"checkJSON":      v.hostCheckJSON,
		"dispatch":       v.hostDispatch,
		"setProps":       v.hostSetProps,
		"emit":           v.hostEmit,
		"log":            v.hostLog,
		"formatDate":     v.hostFormatDate,
		"validateSchema": v.hostValidateSchema,
		"setResult":      v.hostSetResult,
		"regexpLinear":   v.hostRegexpLinear,
		"regexpGuard":    v.hostRegexpGuard,
	}
	for name, fn := range natives {
		if err := host.Set(name, fn); err != nil {
			return nil, fmt.Errorf("jsbox: install host.%s: %w", name, err)
		}
	}
	return host, nil
}

// throwType throws a TypeError the script can catch.
func (v *vm) throwType(format string, args ...any) {
	panic(v.rt.NewTypeError(fmt.Sprintf(format, args...)))
}

// abort ends the call with e. Interrupt is not catchable by the script; the
// VM stops at its next instruction, which is right after this native returns.
func (v *vm) abort(e *Error) {
	v.run.fail(e)
	v.rt.Interrupt(e)
}

func (v *vm) argString(call goja.FunctionCall, i int) string {
	a := call.Argument(i)
	if goja.IsUndefined(a) || goja.IsNull(a) {
		return ""
	}
	return a.String()
}

func (v *vm) hostAbort(call goja.FunctionCall) goja.Value {
	v.abort(newError(ErrTooLarge, "%s", v.argString(call, 0)))
	return goja.Undefined()
}

func (v *vm) hostFail(call goja.FunctionCall) goja.Value {
	v.run.fail(&Error{
		Kind:    ErrScript,
		Message: truncate(v.argString(call, 0), maxMessageBytes),
		Stack:   truncate(v.argString(call, 1), maxMessageBytes),
	})
	return goja.Undefined()
}

func (v *vm) hostInvalid(call goja.FunctionCall) goja.Value {
	v.run.fail(newError(ErrInvalidScript, "%s", v.argString(call, 0)))
	return goja.Undefined()
}

// toJSON serializes a script value with the given byte budget. Exceeding the
// budget or the depth aborts the call with ErrTooLarge (what names the
// value); a cycle or a BigInt throws a TypeError, as JSON.stringify does.
func (v *vm) toJSON(val goja.Value, budget int, what string) (string, bool) {
	w := jsonWriter{rt: v.rt, max: budget, maxDepth: v.lim.MaxJSONDepth}
	s, ok, err := w.stringify(val)
	if err != nil {
		v.jsonFail(err, what, budget)
	}
	return s, ok
}

// jsonFail never returns: it aborts or throws.
func (v *vm) jsonFail(err error, what string, budget int) {
	switch err {
	case errJSONTooLarge:
		v.abort(newError(ErrTooLarge, "%s exceeds %d bytes", what, budget))
	case errJSONTooDeep:
		v.abort(newError(ErrTooLarge, "%s is nested deeper than %d levels", what, v.lim.MaxJSONDepth))
	default:
		v.throwType("%s: %s", what, err.Error())
	}
	// After abort the VM stops at its next instruction; the panic stops the
	// Go caller from using a half-written value meanwhile.
	panic(v.rt.NewTypeError(what + " is too large"))
}

// hostInput(name, frozen) builds the call's input "payload", "state" or
// "props", deep-frozen when asked; undefined when the caller gave none.
func (v *vm) hostInput(call goja.FunctionCall) goja.Value {
	var data json.RawMessage
	switch v.argString(call, 0) {
	case "payload":
		data = v.run.payload
	case "state":
		data = v.run.state
	case "props":
		data = v.run.props
	}
	if len(data) == 0 {
		return goja.Undefined()
	}
	return v.mustFromJSON(data, call.Argument(1).ToBoolean())
}

// hostCopy(value) is a deep copy through JSON.
func (v *vm) hostCopy(call goja.FunctionCall) goja.Value {
	s, ok := v.toJSON(call.Argument(0), v.lim.MaxStringLength, "the copied value")
	if !ok {
		return goja.Undefined()
	}
	return v.mustFromJSON([]byte(s), false)
}

// mustFromJSON builds a value from JSON that was validated or written by
// jsonWriter; a failure is a bug, reported to the script as a TypeError.
func (v *vm) mustFromJSON(data []byte, frozen bool) goja.Value {
	val, err := v.fromJSON(data, frozen)
	if err != nil {
		v.throwType("internal JSON copy failed: %s", err.Error())
	}
	return val
}

// hostStringify is JSON.stringify(value, replacer, space).
func (v *vm) hostStringify(call goja.FunctionCall) goja.Value {
	w := jsonWriter{rt: v.rt, max: v.lim.MaxStringLength, maxDepth: v.lim.MaxJSONDepth}
	if err := w.setReplacer(call.Argument(1)); err != nil {
		v.throwType("JSON.stringify: %s", err.Error())
	}
	w.setSpace(call.Argument(2))
	s, ok, err := w.stringify(call.Argument(0))
	if err != nil {
		v.jsonFail(err, "JSON.stringify result", v.lim.MaxStringLength)
	}
	if !ok {
		return goja.Undefined()
	}
	return v.rt.ToValue(s)
}

// hostCheckJSON guards JSON.parse: the native parser recurses in Go once per
// nesting level.
func (v *vm) hostCheckJSON(call goja.FunctionCall) goja.Value {
	if d := jsonDepth(v.argString(call, 0)); d > v.lim.MaxJSONDepth {
		v.abort(newError(ErrTooLarge, "JSON.parse input is nested %d levels deep; the limit is %d", d, v.lim.MaxJSONDepth))
	}
	return goja.Undefined()
}

// chargeResult accounts n bytes of handler output.
func (v *vm) chargeResult(n int) {
	v.run.resultBytes += n + perRecordOverhead
	if v.run.resultBytes > v.lim.MaxResultBytes {
		v.abort(newError(ErrTooLarge, "the handler's result exceeds %d bytes", v.lim.MaxResultBytes))
		panic(v.rt.NewTypeError("result too large"))
	}
}

func (v *vm) remainingResult() int {
	return max(v.lim.MaxResultBytes-v.run.resultBytes, 0)
}

func (v *vm) optionalJSON(val goja.Value, what string) json.RawMessage {
	if goja.IsUndefined(val) {
		return nil
	}
	s, ok := v.toJSON(val, v.remainingResult(), what)
	if !ok {
		return nil
	}
	return json.RawMessage(s)
}

func (v *vm) hostDispatch(call goja.FunctionCall) goja.Value {
	if v.run.kind != handlerRun {
		v.throwType("dispatch is only available in event handlers; reducers return the new state")
	}
	typ := v.argString(call, 0)
	payload := v.optionalJSON(call.Argument(1), "the handler's result")
	v.chargeResult(len(typ) + len(payload))
	v.run.actions = append(v.run.actions, Action{Type: typ, Payload: payload})
	return goja.Undefined()
}

func (v *vm) hostSetProps(call goja.FunctionCall) goja.Value {
	s, _ := v.toJSON(call.Argument(0), v.remainingResult(), "the handler's result")
	v.chargeResult(len(s))
	v.run.updates = append(v.run.updates, ComponentUpdate{
		NodeID: v.run.component.NodeID,
		Kind:   UpdateSetProps,
		Props:  json.RawMessage(s),
	})
	return v.mustFromJSON([]byte(s), false)
}

func (v *vm) hostEmit(call goja.FunctionCall) goja.Value {
	c := v.run.component
	name, ok := call.Argument(0).Export().(string)
	if !ok {
		v.throwType("ctx.component.emit(action, params): action must be a string")
	}
	if !slices.Contains(c.Actions, name) {
		declared := "none"
		if len(c.Actions) > 0 {
			declared = strings.Join(c.Actions, ", ")
		}
		v.throwType("ctx.component.emit: %q is not an action of component %s (declared: %s)",
			truncate(name, 100), c.Type, declared)
	}
	params := v.optionalJSON(call.Argument(1), "the handler's result")
	v.chargeResult(len(name) + len(params))
	v.run.updates = append(v.run.updates, ComponentUpdate{
		NodeID: c.NodeID,
		Kind:   UpdateEmit,
		Action: name,
		Params: params,
	})
	return goja.Undefined()
}

func (v *vm) hostSetResult(call goja.FunctionCall) goja.Value {
	s, ok := v.toJSON(call.Argument(0), v.lim.MaxStateBytes, "the new state")
	if !ok {
		v.throwType("the reducer returned a value that is not JSON (a function or a symbol)")
	}
	v.run.newState = json.RawMessage(s)
	return goja.Undefined()
}
