package jsbox

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by RunHandler and RunReducer because of
// the script (not because of the caller's context) is an *Error whose Kind is
// one of these, so callers use errors.Is.
var (
	// ErrTimeout: the call ran past its deadline (Limits.Timeout, the per-call
	// override or the context deadline), or a regular expression ran past
	// Limits.RegexpTimeout. Not catchable by the script.
	ErrTimeout = errors.New("jsbox: deadline exceeded")
	// ErrStackOverflow: the JavaScript call stack exceeded Limits.MaxCallStack.
	// Not catchable by the script.
	ErrStackOverflow = errors.New("jsbox: call stack exceeded")
	// ErrTooLarge: a size limit was hit: a guarded built-in would have built a
	// string or array beyond the limits, or the state, result, a JSON value or
	// its nesting exceeded its cap. Not catchable by the script.
	ErrTooLarge = errors.New("jsbox: size limit exceeded")
	// ErrScript: the script threw (or a returned promise rejected) and nothing
	// caught it; Error.Message holds the truncated message.
	ErrScript = errors.New("jsbox: script error")
	// ErrInvalidScript: the source does not compile, exceeds the source size or
	// nesting limits, or does not define the entry function.
	ErrInvalidScript = errors.New("jsbox: invalid script")
	// ErrInvalidInput: the caller passed malformed input (invalid JSON, an
	// empty action type). A bug in the caller, never in the script.
	ErrInvalidInput = errors.New("jsbox: invalid input")
)

// maxMessageBytes caps error messages and stacks copied out of the VM, so a
// script cannot make the server store or log megabytes per failure.
const maxMessageBytes = 2048

// Error is a failed run. Kind is one of the sentinel errors above.
type Error struct {
	Kind    error
	Message string // human-readable, truncated to a few KB
	Stack   string // JavaScript stack when the script threw an Error, truncated
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Kind.Error()
	}
	return e.Kind.Error() + ": " + e.Message
}

// Unwrap makes errors.Is(err, ErrTimeout) and friends work.
func (e *Error) Unwrap() error { return e.Kind }

func newError(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: truncate(fmt.Sprintf(format, args...), maxMessageBytes)}
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…(truncated)"
}
