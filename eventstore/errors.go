package eventstore

import (
	"errors"
	"fmt"
)

// Sentinel errors; callers test them with errors.Is.
var (
	// ErrWrongExpectedVersion: the stream was not in the expected state; nothing was written.
	ErrWrongExpectedVersion = errors.New("wrong expected version")
	// ErrInvalidInput: the request was malformed; nothing was written.
	ErrInvalidInput = errors.New("invalid input")
	// ErrNotFound: no such snapshot (or other named thing).
	ErrNotFound = errors.New("not found")
	// ErrDuplicateEventID: an event id already exists but the append is not an exact retry.
	ErrDuplicateEventID = errors.New("duplicate event id")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("event store closed")
)

// VersionConflictError carries the stream's actual version with ErrWrongExpectedVersion.
type VersionConflictError struct {
	StreamID string
	Expected Expected
	Actual   int64
}

func (e *VersionConflictError) Error() string {
	return fmt.Sprintf("append to %s: expected %s, stream is at version %d: %v",
		e.StreamID, e.Expected, e.Actual, ErrWrongExpectedVersion)
}

// Unwrap makes errors.Is(err, ErrWrongExpectedVersion) hold.
func (e *VersionConflictError) Unwrap() error { return ErrWrongExpectedVersion }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidInput, fmt.Sprintf(format, args...))
}
