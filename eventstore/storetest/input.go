package storetest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
)

// [ES10] Malformed appends fail with ErrInvalidInput and write nothing.
func testBadAppendInput(t *testing.T, f *fixture) {
	const stream = "bad-input"
	good := func() eventstore.EventData { return ev("test.good", map[string]any{"ok": true}) }
	with := func(mod func(e *eventstore.EventData)) []eventstore.EventData {
		e := good()
		mod(&e)
		return []eventstore.EventData{e}
	}
	repeated := newID()
	tooMany := make([]eventstore.EventData, eventstore.MaxBatchEvents+1)
	for i := range tooMany {
		tooMany[i] = good()
	}
	cases := []struct {
		name     string
		stream   string
		expected eventstore.Expected
		events   []eventstore.EventData
	}{
		{"empty stream id", "", eventstore.Any(), with(func(*eventstore.EventData) {})},
		{"stream id too long", strings.Repeat("s", eventstore.MaxStreamIDLength+1), eventstore.Any(), with(func(*eventstore.EventData) {})},
		{"stream id not UTF-8", "bad-\xff\xfe", eventstore.Any(), with(func(*eventstore.EventData) {})},
		{"no events (nil)", stream, eventstore.Any(), nil},
		{"no events (empty)", stream, eventstore.Any(), []eventstore.EventData{}},
		{"too many events", stream, eventstore.Any(), tooMany},
		{"empty type", stream, eventstore.Any(), with(func(e *eventstore.EventData) { e.Type = "" })},
		{"type too long", stream, eventstore.Any(), with(func(e *eventstore.EventData) { e.Type = strings.Repeat("t", eventstore.MaxTypeLength+1) })},
		{"data not JSON", stream, eventstore.Any(), with(func(e *eventstore.EventData) { e.Data = json.RawMessage(`{"a":`) })},
		{"data with trailing garbage", stream, eventstore.Any(), with(func(e *eventstore.EventData) { e.Data = json.RawMessage(`{} {}`) })},
		{"data plain text", stream, eventstore.Any(), with(func(e *eventstore.EventData) { e.Data = json.RawMessage(`hello`) })},
		{"data empty", stream, eventstore.Any(), with(func(e *eventstore.EventData) { e.Data = nil })},
		{"data too large", stream, eventstore.Any(), with(func(e *eventstore.EventData) { e.Data = bigJSON(eventstore.MaxEventDataBytes + 1) })},
		{"negative schema version", stream, eventstore.Any(), with(func(e *eventstore.EventData) { e.SchemaVersion = -1 })},
		{"unknown expected-version kind", stream, eventstore.Expected{Kind: 99}, with(func(*eventstore.EventData) {})},
		{"zero expected-version kind", stream, eventstore.Expected{}, with(func(*eventstore.EventData) {})},
		{"negative exact version", stream, eventstore.Exact(-1), with(func(*eventstore.EventData) {})},
		{"event id repeated in one batch", stream, eventstore.Any(), []eventstore.EventData{evID(repeated, "test.a", 1), evID(repeated, "test.b", 2)}},
		{"one bad event among good ones", stream, eventstore.Any(), []eventstore.EventData{good(), good(), {Type: "test.bad", Data: json.RawMessage(`{`)}, good()}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := *f
			f.t = t
			res, err := f.store.Append(f.ctx, c.stream, c.expected, c.events)
			require.ErrorIs(t, err, eventstore.ErrInvalidInput)
			require.NotEmpty(t, err.Error())
			require.Empty(t, res.Events, "a rejected append returns no envelopes")
			require.Empty(t, f.readAll("", 0), "a rejected append writes nothing")
			if eventstore.ValidateStreamID(c.stream) == nil {
				require.Equal(t, int64(0), f.streamVersion(c.stream))
			}
		})
	}
	// The stream is still untouched: its first append gets version 1.
	res := f.append(stream, eventstore.NoStream(), good())
	require.Equal(t, int64(1), res.Events[0].StreamVersion)
}

// [ES10] Malformed snapshots fail with ErrInvalidInput and store nothing.
func testBadSnapshotInput(t *testing.T, f *fixture) {
	cases := []struct {
		name string
		snap eventstore.Snapshot
	}{
		{"empty stream id", eventstore.Snapshot{StreamID: "", Version: 1, Data: mustJSON(1)}},
		{"data not JSON", eventstore.Snapshot{StreamID: "bad-snap", Version: 1, Data: json.RawMessage(`{"a":`)}},
		{"data empty", eventstore.Snapshot{StreamID: "bad-snap", Version: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := f.store.SnapshotSave(f.ctx, c.snap)
			require.ErrorIs(t, err, eventstore.ErrInvalidInput)
			if c.snap.StreamID != "" {
				_, err = f.store.SnapshotLoad(f.ctx, c.snap.StreamID, 0)
				require.ErrorIs(t, err, eventstore.ErrNotFound, "a rejected snapshot is not stored")
			}
		})
	}
}

// [ES10] Text that json.Valid and utf8.ValidString accept but a database may refuse (NUL bytes,
// lone UTF-16 surrogates) is either stored faithfully or rejected with ErrInvalidInput, never a raw
// driver error, and a rejection writes nothing.
func testUnstorableText(t *testing.T, f *fixture) {
	causation := newID()
	cases := []struct {
		name   string
		stream string
		event  eventstore.EventData
	}{
		{"NUL escape in data", "text-1", eventstore.EventData{Type: "test.t", Data: json.RawMessage(`{"s":"a\u0000b"}`)}},
		{"lone surrogate in data", "text-2", eventstore.EventData{Type: "test.t", Data: json.RawMessage(`{"s":"\ud800"}`)}},
		{"NUL byte in stream id", "text-\x00-3", eventstore.EventData{Type: "test.t", Data: mustJSON(1)}},
		{"NUL byte in type", "text-4", eventstore.EventData{Type: "test.\x00t", Data: mustJSON(1)}},
		{"NUL byte in actor", "text-5", eventstore.EventData{Type: "test.t", Data: mustJSON(1), Actor: "user\x00x"}},
		{"NUL byte in client op id", "text-6", eventstore.EventData{Type: "test.t", Data: mustJSON(1), ClientOpID: "c\x00:1", CausationID: &causation}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := *f
			f.t = t
			logBefore := f.readAll("", 0)
			res, err := f.store.Append(f.ctx, c.stream, eventstore.NoStream(), []eventstore.EventData{c.event})
			if err != nil {
				require.True(t, errors.Is(err, eventstore.ErrInvalidInput),
					"the append must either succeed or fail with ErrInvalidInput, got: %v", err)
				require.Equal(t, ids(logBefore), ids(f.readAll("", 0)), "a rejected append writes nothing")
				return
			}
			require.NotEqual(t, uuid.Nil, res.Events[0].ID)
			stored := f.readStream(c.stream)
			requireEnvelopesEqual(t, res.Events, stored, "ReadStream")
			require.Equal(t, c.event.Type, stored[0].Type)
			require.Equal(t, c.event.Actor, stored[0].Actor)
			require.Equal(t, c.event.ClientOpID, stored[0].ClientOpID)
			require.JSONEq(t, string(c.event.Data), string(stored[0].Data))
			log := f.readAll("", 0)
			requireEnvelopesEqual(t, res.Events, log[len(log)-1:], "ReadAll")
		})
	}
}
