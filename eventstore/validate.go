package eventstore

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// PrepareAppend validates an append and fills in defaults (new UUID v7 ids, schema version 1),
// returning a copy of events. Backends call it first so that both reject exactly the same input.
func PrepareAppend(streamID string, expected Expected, events []EventData) ([]EventData, error) {
	if err := ValidateStreamID(streamID); err != nil {
		return nil, err
	}
	switch expected.Kind {
	case ExpectAny, ExpectNoStream, ExpectStreamExists:
	case ExpectExact:
		if expected.Version < 0 {
			return nil, invalid("expected version %d is negative", expected.Version)
		}
	default:
		return nil, invalid("unknown expected-version kind %d", int(expected.Kind))
	}
	if len(events) == 0 {
		return nil, invalid("append to %s: no events", streamID)
	}
	if len(events) > MaxBatchEvents {
		return nil, invalid("append to %s: %d events exceed the batch limit of %d", streamID, len(events), MaxBatchEvents)
	}
	out := make([]EventData, len(events))
	seen := make(map[uuid.UUID]struct{}, len(events))
	for i, e := range events {
		if err := validateEvent(e); err != nil {
			return nil, fmt.Errorf("append to %s: event %d: %w", streamID, i, err)
		}
		if e.ID == uuid.Nil {
			id, err := uuid.NewV7()
			if err != nil {
				return nil, fmt.Errorf("new event id: %w", err)
			}
			e.ID = id
		}
		if _, dup := seen[e.ID]; dup {
			return nil, fmt.Errorf("append to %s: event %d: %w", streamID, i, invalid("event id %s repeated in one batch", e.ID))
		}
		seen[e.ID] = struct{}{}
		if e.SchemaVersion == 0 {
			e.SchemaVersion = 1
		}
		out[i] = e
	}
	return out, nil
}

// ValidateStreamID rejects empty, oversized and non-UTF-8 stream ids.
func ValidateStreamID(streamID string) error {
	switch {
	case streamID == "":
		return invalid("empty stream id")
	case len(streamID) > MaxStreamIDLength:
		return invalid("stream id longer than %d bytes", MaxStreamIDLength)
	}
	return validText("stream id", streamID)
}

// validText rejects text no backend can store faithfully: invalid UTF-8 and NUL bytes (Postgres
// text cannot hold them), so that both backends accept exactly the same input.
func validText(what, s string) error {
	switch {
	case !utf8.ValidString(s):
		return invalid("%s is not valid UTF-8", what)
	case strings.IndexByte(s, 0) >= 0:
		return invalid("%s contains a NUL byte", what)
	}
	return nil
}

func validateEvent(e EventData) error {
	switch {
	case e.Type == "":
		return invalid("empty event type")
	case len(e.Type) > MaxTypeLength:
		return invalid("event type longer than %d bytes", MaxTypeLength)
	case len(e.Data) == 0:
		return invalid("event %q has no data", e.Type)
	case len(e.Data) > MaxEventDataBytes:
		return invalid("event %q data is %d bytes, more than %d", e.Type, len(e.Data), MaxEventDataBytes)
	case !json.Valid(e.Data):
		return invalid("event %q data is not valid JSON", e.Type)
	case e.SchemaVersion < 0:
		return invalid("event %q schema version %d is negative", e.Type, e.SchemaVersion)
	}
	for _, f := range []struct{ what, s string }{{"event type", e.Type}, {"actor", e.Actor}, {"client op id", e.ClientOpID}} {
		if err := validText(f.what, f.s); err != nil {
			return err
		}
	}
	return nil
}

// CheckExpected reports whether a stream at version current satisfies expected.
func CheckExpected(streamID string, expected Expected, current int64) error {
	ok := false
	switch expected.Kind {
	case ExpectAny:
		ok = true
	case ExpectNoStream:
		ok = current == 0
	case ExpectStreamExists:
		ok = current > 0
	case ExpectExact:
		ok = current == expected.Version
	}
	if !ok {
		return &VersionConflictError{StreamID: streamID, Expected: expected, Actual: current}
	}
	return nil
}

// Now is the store's clock, truncated to microseconds so that both backends round-trip it exactly.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// ValidateSnapshot rejects snapshots that no backend may store.
func ValidateSnapshot(snap Snapshot) error {
	if err := ValidateStreamID(snap.StreamID); err != nil {
		return err
	}
	switch {
	case snap.Version < 1:
		return invalid("snapshot of %s at version %d: versions start at 1", snap.StreamID, snap.Version)
	case len(snap.Data) > MaxEventDataBytes:
		return invalid("snapshot of %s is %d bytes, more than %d", snap.StreamID, len(snap.Data), MaxEventDataBytes)
	case !json.Valid(snap.Data):
		return invalid("snapshot of %s is not valid JSON", snap.StreamID)
	}
	return nil
}

// ValidateCheckpointName rejects checkpoint names no backend may store.
func ValidateCheckpointName(name string) error {
	switch {
	case name == "":
		return invalid("empty checkpoint name")
	case len(name) > MaxStreamIDLength:
		return invalid("checkpoint name longer than %d bytes", MaxStreamIDLength)
	}
	return validText("checkpoint name", name)
}
