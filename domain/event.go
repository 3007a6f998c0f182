package domain

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
)

// Event is a domain fact. EventType is its type in the event store ("page.node_inserted").
// Events are plain structs, encoded as JSON; a pointer to the struct implements Event.
type Event interface {
	EventType() string
}

// Upcaster rewrites an event payload written at schema version from into the next version
// (from+1). Codecs chain them up to the current version.
type Upcaster func(data json.RawMessage) (json.RawMessage, error)

// codec knows how to decode one event type.
type codec struct {
	typ reflect.Type // the struct type (not the pointer)
	// version is the current payload schema version written by Encode.
	version int
	// upcasters[v] upgrades a payload from version v+1 to v+2 (index 0: from 1 to 2).
	upcasters []Upcaster
}

// eventDef declares an event type for the registry; each aggregate file lists its own.
type eventDef struct {
	event     Event
	upcasters []Upcaster // empty when the payload is still at version 1
}

// registry maps event types to codecs. It is built once from the per-aggregate lists and never
// changed afterwards.
var registry = sync.OnceValue(func() map[string]codec {
	m := map[string]codec{}
	for _, defs := range [][]eventDef{
		appEvents, pageTreeEvents, pageEvents, scriptEvents, schemaEvents, dataSourceEvents, queryEvents,
		userEvents, authLogEvents, workspaceEvents, sessionEvents, poisonEvents,
	} {
		for _, d := range defs {
			t := reflect.TypeOf(d.event)
			if t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			if _, dup := m[d.event.EventType()]; dup {
				panic("domain: event type registered twice: " + d.event.EventType())
			}
			m[d.event.EventType()] = codec{typ: t, version: 1 + len(d.upcasters), upcasters: d.upcasters}
		}
	}
	return m
})

// EventTypes lists every registered event type.
func EventTypes() []string {
	out := make([]string, 0, len(registry()))
	for t := range registry() {
		out = append(out, t)
	}
	return out
}

// Encode returns an event's store type, JSON payload and payload schema version.
func Encode(e Event) (eventType string, data json.RawMessage, schemaVersion int, err error) {
	c, ok := registry()[e.EventType()]
	if !ok {
		return "", nil, 0, fmt.Errorf("encode: unregistered event type %q", e.EventType())
	}
	data, err = json.Marshal(e)
	if err != nil {
		return "", nil, 0, fmt.Errorf("encode %s: %w", e.EventType(), err)
	}
	return e.EventType(), data, c.version, nil
}

// Decode turns a stored payload back into an event, upcasting it from schemaVersion (0 means 1)
// to the current version first.
func Decode(eventType string, schemaVersion int, data json.RawMessage) (Event, error) {
	c, ok := registry()[eventType]
	if !ok {
		return nil, fmt.Errorf("decode: unknown event type %q", eventType)
	}
	if schemaVersion == 0 {
		schemaVersion = 1
	}
	if schemaVersion > c.version {
		return nil, fmt.Errorf("decode %s: payload version %d is newer than this build's %d", eventType, schemaVersion, c.version)
	}
	for v := schemaVersion; v < c.version; v++ {
		up, err := c.upcasters[v-1](data)
		if err != nil {
			return nil, fmt.Errorf("decode %s: upcast from version %d: %w", eventType, v, err)
		}
		data = up
	}
	e := reflect.New(c.typ).Interface().(Event)
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}
