package eventstore_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/goflow-dev/goflow/eventstore"
)

func TestPrepareAppendFillsDefaults(t *testing.T) {
	t.Parallel()
	given := uuid.Must(uuid.NewV7())
	out, err := eventstore.PrepareAppend("page-1", eventstore.Any(), []eventstore.EventData{
		{Type: "a", Data: json.RawMessage(`{}`)},
		{ID: given, Type: "b", Data: json.RawMessage(`1`), SchemaVersion: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].ID.Version() != 7 || out[0].SchemaVersion != 1 {
		t.Errorf("defaults: id version %d, schema version %d; want 7 and 1", out[0].ID.Version(), out[0].SchemaVersion)
	}
	if out[1].ID != given || out[1].SchemaVersion != 3 {
		t.Errorf("given values changed: %v %d", out[1].ID, out[1].SchemaVersion)
	}
}

func TestCheckExpected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expected eventstore.Expected
		current  int64
		ok       bool
	}{
		{eventstore.Any(), 0, true},
		{eventstore.Any(), 5, true},
		{eventstore.NoStream(), 0, true},
		{eventstore.NoStream(), 1, false},
		{eventstore.StreamExists(), 0, false},
		{eventstore.StreamExists(), 2, true},
		{eventstore.Exact(0), 0, true},
		{eventstore.Exact(3), 3, true},
		{eventstore.Exact(3), 4, false},
	}
	for _, tt := range tests {
		err := eventstore.CheckExpected("s", tt.expected, tt.current)
		if (err == nil) != tt.ok {
			t.Errorf("%s at %d: got %v, want ok=%v", tt.expected, tt.current, err, tt.ok)
		}
		var vc *eventstore.VersionConflictError
		if err != nil && (!errors.Is(err, eventstore.ErrWrongExpectedVersion) || !errors.As(err, &vc) || vc.Actual != tt.current) {
			t.Errorf("%s at %d: error %v does not carry the actual version", tt.expected, tt.current, err)
		}
	}
}

func TestExpectedString(t *testing.T) {
	t.Parallel()
	for e, want := range map[eventstore.Expected]string{
		eventstore.Any(): "any", eventstore.NoStream(): "no_stream", eventstore.StreamExists(): "stream_exists",
		eventstore.Exact(7): "exact(7)", {Kind: 42}: "unknown",
	} {
		if got := e.String(); got != want {
			t.Errorf("%#v: got %q, want %q", e, got, want)
		}
	}
}
