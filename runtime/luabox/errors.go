package luabox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

const (
	// maxErrorBytes truncates script error messages: error(string.rep("x", 1e6)) must not turn
	// into a megabyte of log or session event.
	maxErrorBytes = 1024
	// maxFaults bounds the faults a run remembers for classification; a script raising limit errors
	// in a pcall loop must not grow it without end.
	maxFaults = 32
)

// runError is the error Run returns for a failed script: its text is kind: message, and it
// unwraps to the kind sentinel and, for host failures, to the host's error.
type runError struct {
	kind  error
	msg   string
	cause error
}

func (e *runError) Error() string   { return e.kind.Error() + ": " + e.msg }
func (e *runError) Unwrap() []error { return []error{e.kind, e.cause} }

// fault remembers an error this package raised inside Lua, so that the run's final error can be
// classified even after the script rethrew it (error(e)) or wrapped it (error("x: " .. e)).
type fault struct {
	msg   string // the message without the "chunk:line:" prefix
	kind  error
	cause error
}

// raise raises a Lua error (catchable by pcall) and remembers its kind for classify.
func (rs *runState) raise(L *lua.LState, kind error, format string, args ...any) {
	rs.raiseCause(L, kind, nil, format, args...)
}

func (rs *runState) raiseCause(L *lua.LState, kind, cause error, format string, args ...any) {
	msg := truncate(fmt.Sprintf(format, args...))
	if len(rs.faults) < maxFaults {
		rs.faults = append(rs.faults, fault{msg: msg, kind: kind, cause: cause})
	}
	L.RaiseError("%s", msg)
}

// raiseHost turns a host error into a catchable Lua error, keeping ErrForbidden and ErrTooLarge
// when the host used them.
func (rs *runState) raiseHost(L *lua.LState, what string, err error) {
	kind := ErrScript
	switch {
	case errors.Is(err, ErrForbidden):
		kind = ErrForbidden
	case errors.Is(err, ErrTooLarge):
		kind = ErrTooLarge
	}
	rs.raiseCause(L, kind, err, "%s failed: %s", what, err.Error())
}

// classify maps an error from PCall to the run error: the context's cause first (a run whose
// deadline passed failed because of it, whatever the script did with the error), then faults this
// package raised, then the interpreter's stack errors, then a plain script error.
func (rs *runState) classify(err error) error {
	if rs.ctx.Err() != nil {
		cause := context.Cause(rs.ctx)
		switch {
		case errors.Is(cause, ErrTimeout):
			return &runError{kind: ErrTimeout, msg: fmt.Sprintf("the run took longer than its %s timeout", rs.limits.Timeout)}
		case errors.Is(cause, context.DeadlineExceeded):
			return &runError{kind: ErrTimeout, msg: "the caller's deadline passed during the run", cause: cause}
		case errors.Is(cause, ErrTooLarge):
			return cause
		default:
			return fmt.Errorf("luabox: run canceled: %w", cause)
		}
	}
	msg := err.Error()
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) && apiErr.Object != nil {
		msg = apiErr.Object.String()
		if t, ok := apiErr.Object.(*lua.LTable); ok {
			// error{code = 1}: show the value rather than "table: 0x...".
			if out, err := rs.encodeJSON(t, maxErrorBytes); err == nil {
				msg = "error value " + string(out)
			}
		}
	}
	for i := len(rs.faults) - 1; i >= 0; i-- {
		if f := rs.faults[i]; strings.HasSuffix(msg, f.msg) {
			return &runError{kind: f.kind, msg: truncate(msg), cause: f.cause}
		}
	}
	if strings.HasSuffix(msg, "stack overflow") || strings.HasSuffix(msg, "registry overflow") {
		return &runError{kind: ErrStackOverflow, msg: truncate(msg)}
	}
	return &runError{kind: ErrScript, msg: truncate(msg)}
}

func (rs *runState) wrapEncodeError(what string, err error) error {
	kind := ErrScript
	if errors.Is(err, ErrTooLarge) {
		kind = ErrTooLarge
	}
	return &runError{kind: kind, msg: what + ": " + err.Error()}
}

// truncate cuts s to maxErrorBytes on a rune boundary.
func truncate(s string) string {
	if len(s) <= maxErrorBytes {
		return s
	}
	cut := maxErrorBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("... (%d bytes truncated)", len(s)-cut)
}
