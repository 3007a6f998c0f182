package jsbox

import (
	"encoding/json"
	"time"
)

// Program is one version of a script. (ID, Version) keys the compiled-program
// cache; a different Source under the same key replaces the cached entry, so an
// unsaved draft (the debugger's "re-run with an edited reducer") may reuse a key.
type Program struct {
	ID      string
	Version int64
	Source  string
}

// Determinism is recorded with every action so that a replay reproduces it:
// Date.now(), new Date() and the Date constructor's "now" return Time for the
// whole call, and Math.random is a PRNG seeded with Seed. The zero value is
// valid (the Unix epoch, seed 0).
type Determinism struct {
	Time time.Time
	Seed int64
}

// Action is what handlers dispatch and reducers fold into state.
type Action struct {
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"` // absent when the script gave none
}

// Event is the component event that triggered a handler.
type Event struct {
	Name    string          `json:"name"`              // e.g. "onClick"
	Payload json.RawMessage `json:"payload,omitempty"` // validated by the caller against the manifest
}

// ComponentInfo describes the component whose event is handled.
type ComponentInfo struct {
	NodeID  string
	Type    string
	Props   json.RawMessage // current props (JSON object); empty means {}
	Actions []string        // component actions declared by its manifest; emit accepts only these
}

// UpdateKind says what a ComponentUpdate does.
type UpdateKind string

const (
	// UpdateSetProps merges Props (a JSON object) shallowly into the node's props.
	UpdateSetProps UpdateKind = "setProps"
	// UpdateEmit calls the declared component action Action with Params.
	UpdateEmit UpdateKind = "emit"
)

// ComponentUpdate is a setProps or emit call made by a handler, in call order.
type ComponentUpdate struct {
	NodeID string          `json:"nodeId"`
	Kind   UpdateKind      `json:"kind"`
	Props  json.RawMessage `json:"props,omitempty"`
	Action string          `json:"action,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
}

// LogLine is one utils.log / console.* call.
type LogLine struct {
	Level   string `json:"level"` // "log", "info", "warn", "error" or "debug"
	Message string `json:"message"`
}

// HandlerInput runs `handleEvent(payload, ctx)` of Script.
type HandlerInput struct {
	Script    Program
	Event     Event
	State     json.RawMessage // read by the script as ctx.state (frozen); empty means null
	Component ComponentInfo
	Det       Determinism
	Timeout   time.Duration // overrides Limits.Timeout when > 0
}

// HandlerResult is what a handler asked for. On error, only Logs and Duration
// are filled (so the debugger can show them) and nothing may be applied.
type HandlerResult struct {
	Actions          []Action          // to dispatch, in order
	ComponentUpdates []ComponentUpdate // setProps and emit calls, in order
	Logs             []LogLine
	Duration         time.Duration
}

// ReducerInput runs `reducer(state, action)` of Script (page and app reducers
// share the convention).
type ReducerInput struct {
	Script  Program
	State   json.RawMessage // empty means undefined, so `state = initial` defaults apply
	Action  Action
	Det     Determinism
	Timeout time.Duration // overrides Limits.Timeout when > 0
}

// ReducerResult is the new state. On error, only Logs and Duration are filled.
type ReducerResult struct {
	State    json.RawMessage
	Logs     []LogLine
	Duration time.Duration
}
