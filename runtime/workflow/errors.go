package workflow

import (
	"context"
	"errors"
	"net"

	"github.com/goflow-dev/goflow/runtime/luabox"
)

// capabilityError is a sentinel that also unwraps to luabox.ErrForbidden, so that a run failing on
// it is classified as a forbidden capability (and never retried) while callers can still test for
// the precise reason with errors.Is.
type capabilityError struct{ msg string }

func (e *capabilityError) Error() string { return e.msg }
func (e *capabilityError) Unwrap() error { return luabox.ErrForbidden }

// Sentinel errors; test them with errors.Is.
var (
	// ErrHostNotAllowed: http.request named a host outside the app's allowed hosts (also on a
	// redirect), or a scheme other than http and https. It matches luabox.ErrForbidden too.
	ErrHostNotAllowed error = &capabilityError{"host is not in the app's allowed hosts"}
	// ErrAINotConfigured: ai.complete was called but the workspace has no AI endpoint. It matches
	// luabox.ErrForbidden too.
	ErrAINotConfigured error = &capabilityError{"AI is not configured for this workspace"}
	// ErrQueriesNotConfigured: query was called but the host was built without queries. It matches
	// luabox.ErrForbidden too.
	ErrQueriesNotConfigured error = &capabilityError{"queries are not available to this workflow"}
	// ErrPermanent marks a failure that will not go away by trying again (see [Permanent]).
	ErrPermanent = errors.New("permanent failure")
	// ErrTimeout: an AI call or a flow service call took longer than its timeout. It also matches
	// context.DeadlineExceeded.
	ErrTimeout error = &timeoutError{}
)

type timeoutError struct{}

func (*timeoutError) Error() string { return "timed out" }
func (*timeoutError) Unwrap() error { return context.DeadlineExceeded }

// permanentError wraps an error so that errors.Is(err, ErrPermanent) holds; its text is unchanged.
type permanentError struct{ err error }

func (e *permanentError) Error() string   { return e.err.Error() }
func (e *permanentError) Unwrap() []error { return []error{e.err, ErrPermanent} }

// Permanent marks err as not worth retrying: a [Queries] implementation returns Permanent(err) for a
// failure that depends only on its input (an unknown query, parameters that fail validation), so the
// [Runner] does not retry the workflow for it. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// HostError is how [Host] reports a failed host call (query, http.request, ai.complete) to the
// sandbox: the text is the underlying error's, and its presence in a run's error chain tells
// [Retryable] that the failure came from outside the script.
type HostError struct {
	// Op is "query", "http.request" or "ai.complete".
	Op  string
	Err error
}

func (e *HostError) Error() string { return e.Err.Error() }
func (e *HostError) Unwrap() error { return e.Err }

// Retryable reports whether a failed attempt may succeed when tried again. In order:
//
//   - the sandbox's verdicts on the script are final: luabox.ErrForbidden (which includes
//     [ErrHostNotAllowed] and [ErrAINotConfigured]), luabox.ErrTooLarge, luabox.ErrInvalidScript,
//     luabox.ErrStackOverflow, and anything marked [ErrPermanent] (a 4xx from the flow service or the
//     AI endpoint other than 408 and 429 from the AI endpoint, an invalid request) are not retried;
//   - a cancellation (context.Canceled) is not retried: the caller stopped the run;
//   - timeouts are retried: luabox.ErrTimeout, context.DeadlineExceeded (a flow service or AI call
//     over its timeout), network timeouts;
//   - a flow service failure that is not permanent (5xx, connection refused or reset) is retried,
//     and so is an AI endpoint's 408, 429 or 5xx;
//   - a failed host call ([HostError]: a query error, a connection error of http.request, a 5xx or
//     429 from the AI endpoint) is retried, even though it surfaced as a script error, as long as the
//     script let it end the run;
//   - everything else, notably a script's own runtime error (error(...), indexing nil), is not: it
//     would fail the same way again.
func Retryable(err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, luabox.ErrForbidden), errors.Is(err, luabox.ErrTooLarge),
		errors.Is(err, luabox.ErrInvalidScript), errors.Is(err, luabox.ErrStackOverflow),
		errors.Is(err, ErrPermanent):
		return false
	case errors.Is(err, context.Canceled):
		return false
	case errors.Is(err, luabox.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	// Permanent flow service and AI errors were excluded above.
	var fe *FlowError
	if errors.As(err, &fe) {
		return true
	}
	var ae *AIError
	if errors.As(err, &ae) {
		return true
	}
	var he *HostError
	return errors.As(err, &he)
}
