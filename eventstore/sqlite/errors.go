package sqlite

import (
	"errors"
	"fmt"
	"strings"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/goflow-dev/goflow/eventstore"
)

// interpretError translates driver errors into the eventstore sentinels callers test with
// errors.Is. The constraint checks only fire if another process writes the same file between our
// checks and our insert, since this store's own writes are serialized.
func interpretError(err error) error {
	var se *msqlite.Error
	if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_CONSTRAINT {
		return err
	}
	msg := se.Error()
	switch {
	case strings.Contains(msg, "events.event_id"):
		return fmt.Errorf("%w: %v", eventstore.ErrDuplicateEventID, err)
	case strings.Contains(msg, "events.stream_id"):
		return fmt.Errorf("%w: %v", eventstore.ErrWrongExpectedVersion, err)
	}
	return err
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", eventstore.ErrInvalidInput, fmt.Sprintf(format, args...))
}
