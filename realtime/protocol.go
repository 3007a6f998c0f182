// Package realtime is GoFlow's co-editing service: clients subscribe to pages and scripts over a
// WebSocket, submit ops, and receive every committed change as it happens, with presence.
//
// The wire protocol is specified in docs/protocol.md; rule ids there (P1, P2, ...) are cited by
// the tests. The Engine keeps one room per open document: its state in memory, the ops arriving
// for it batched into one append, and the connections watching it. It follows the event store's
// global log, so changes appended by other nodes (or the HTTP API) reach every watcher.
package realtime

import (
	"encoding/json"

	"github.com/goflow-dev/goflow/realtime/textot"
)

// ProtocolVersion is the version of the wire protocol this server speaks. A hello with another
// version is answered by closing with CloseProtocolVersion.
const ProtocolVersion = 1

// Limits of the protocol.
const (
	// MaxMessageBytes caps one client message; larger ones close the connection with
	// websocket.StatusMessageTooBig (1009).
	MaxMessageBytes = 1 << 20
	// MaxOpsPerSubmit caps the ops of one submit message.
	MaxOpsPerSubmit = 500
	// MaxPresenceBytes caps a presence state.
	MaxPresenceBytes = 4 << 10
	// MaxClientIDLength caps client ids (they are recorded in every event's client op id).
	MaxClientIDLength = 64
	// MaxSubscriptions caps the documents one connection watches.
	MaxSubscriptions = 100
)

// Close codes (RFC 6455 section 7.4.2 reserves 4000-4999 for applications).
const (
	// CloseProtocolError: the first message was not a hello, or a message broke the protocol in
	// a way that cannot be answered with an error message.
	CloseProtocolError = 4000
	// CloseAuthFailed: the connection's credentials stopped being valid (session ended, user
	// disabled). The client signs in again before reconnecting.
	CloseAuthFailed = 4001
	// CloseProtocolVersion: the hello asked for a protocol version this server does not speak.
	CloseProtocolVersion = 4002
	// CloseOverload: the client did not read its messages fast enough (its send queue filled up).
	// The client reconnects and catches up. (A server shutting down closes with 1001.)
	CloseOverload = 4008
	// CloseMessageTooBig is websocket.StatusMessageTooBig, sent for messages over
	// MaxMessageBytes.
	CloseMessageTooBig = 1009
)

// Message types.
const (
	TypeHello       = "hello"
	TypeWelcome     = "welcome"
	TypeSubscribe   = "subscribe"
	TypeSubscribed  = "subscribed"
	TypeUnsubscribe = "unsubscribe"
	TypeSubmit      = "submit"
	TypeAck         = "ack"
	TypeEvents      = "events"
	TypePresence    = "presence"
	TypePing        = "ping"
	TypePong        = "pong"
	TypeError       = "error"
)

// Envelope is what every message has: its type.
type Envelope struct {
	Type string `json:"type"`
}

// Hello is the client's first message.
type Hello struct {
	Type     string `json:"type"`
	Protocol int    `json:"protocol"`
	// ClientID identifies the client instance (a browser tab), stable across its reconnects, so
	// that a resubmitted op is recognised. 1..64 printable characters.
	ClientID string `json:"clientId"`
}

// Welcome answers a hello.
type Welcome struct {
	Type     string `json:"type"`
	Protocol int    `json:"protocol"`
	User     string `json:"user"`
	ClientID string `json:"clientId"`
}

// Subscribe asks for a document's changes after Version (0: the client has nothing).
type Subscribe struct {
	Type string `json:"type"`
	// Doc is the document's stream id: "page-<id>" or "script-<id>".
	Doc     string `json:"doc"`
	Version int64  `json:"version"`
}

// Subscribed answers a subscribe: either the events after the client's version, or, when the
// client has nothing or is too far behind, a snapshot of the state at Version. Live events follow.
type Subscribed struct {
	Type    string `json:"type"`
	Doc     string `json:"doc"`
	Version int64  `json:"version"`
	// Snapshot is the document's state at Version (domain.Page or domain.Script JSON).
	Snapshot json.RawMessage `json:"snapshot,omitempty"`
	Events   []Event         `json:"events,omitempty"`
	// Presence lists the others currently on the document.
	Presence []PresenceInfo `json:"presence,omitempty"`
}

// Unsubscribe stops a document's events.
type Unsubscribe struct {
	Type string `json:"type"`
	Doc  string `json:"doc"`
}

// Submit carries ops for one document.
type Submit struct {
	Type string `json:"type"`
	Doc  string `json:"doc"`
	// BaseVersion is the document version the ops were made against. Page ops apply to the
	// current state whatever it is (last writer wins per property); script edits are transformed
	// against the changes committed after BaseVersion.
	BaseVersion int64 `json:"baseVersion"`
	Ops         []Op  `json:"ops"`
}

// Op is one op of a submit. Seq increases with every op of a client (across documents and
// reconnects); an op whose seq is at or below the highest one the server has committed for that
// user's client on that document is answered as committed again without being applied twice.
type Op struct {
	Seq int64 `json:"seq"`
	// Page is a page op, in the HTTP API's form ({"op": "set_prop", ...}).
	Page json.RawMessage `json:"page,omitempty"`
	// Edits is a script text change in UTF-16 code units against the text at BaseVersion.
	Edits textot.Op `json:"edits,omitempty"`
}

// Ack answers a submit, one result per op in order.
type Ack struct {
	Type    string   `json:"type"`
	Doc     string   `json:"doc"`
	Results []Result `json:"results"`
}

// Result is the outcome of one op.
type Result struct {
	Seq int64 `json:"seq"`
	// Status is "committed" or "rejected".
	Status string `json:"status"`
	// Version is the document version that holds the op's change (committed ops). An op that
	// produced no event (a script edit that leaves the text as it was, a resubmit) is committed
	// at the version the room had.
	Version int64 `json:"version,omitempty"`
	// Code and Message say why an op was rejected; Message is for people.
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	Path    string `json:"path,omitempty"`
}

// Result statuses.
const (
	StatusCommitted = "committed"
	StatusRejected  = "rejected"
)

// Events broadcasts committed changes of a document, in version order, to every subscriber
// (the author included: it recognises its own by ClientID and Seq).
type Events struct {
	Type   string  `json:"type"`
	Doc    string  `json:"doc"`
	Events []Event `json:"events"`
}

// Event is one committed event of a document.
type Event struct {
	Version int64           `json:"version"`
	Type    string          `json:"type"`
	Data    json.RawMessage `json:"data"`
	// SchemaVersion is the version of Data's shape, as stored: a client upcasts older ones.
	SchemaVersion int    `json:"schemaVersion"`
	Actor         string `json:"actor,omitempty"`
	ClientID      string `json:"clientId,omitempty"`
	Seq           int64  `json:"seq,omitempty"`
	Time          string `json:"time"`
	// Edits is a script text change in UTF-16 code units against the previous version's text
	// (the stored event counts bytes).
	Edits textot.Op `json:"edits,omitempty"`
}

// Presence is sent by a client to share what it is doing on a document, and relayed to the
// document's other subscribers with the sender's identity. It is never stored.
type Presence struct {
	Type string `json:"type"`
	Doc  string `json:"doc"`
	// State is free-form JSON: selection, cursor, which script is open (at most 4 KiB).
	State json.RawMessage `json:"state,omitempty"`
	// User, ClientID and Left are set by the server on relayed presence.
	User     string `json:"user,omitempty"`
	ClientID string `json:"clientId,omitempty"`
	Left     bool   `json:"left,omitempty"`
}

// PresenceInfo is one other client's presence, as listed in Subscribed.
type PresenceInfo struct {
	User     string          `json:"user"`
	ClientID string          `json:"clientId"`
	State    json.RawMessage `json:"state,omitempty"`
}

// Ping asks for a Pong with the same ID.
type Ping struct {
	Type string `json:"type"`
	ID   string `json:"id,omitempty"`
}

// Error reports a message the server could not act on; the connection stays open.
type Error struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Doc and Ref (the type of the message refused) help the client find what failed.
	Doc string `json:"doc,omitempty"`
	Ref string `json:"ref,omitempty"`
}

// Run message types (docs/protocol.md P33-P38): running a page over the same connection.
const (
	TypeRun            = "run"
	TypeRunStarted     = "run_started"
	TypeComponentEvent = "component_event"
	TypeRunState       = "run_state"
)

// MaxRunsPerConnection caps the runtime sessions one connection may start.
const MaxRunsPerConnection = 100

// Run asks to run a page: a runtime session starts from the page's initial state.
type Run struct {
	Type string `json:"type"`
	// Doc is the page's stream id: "page-<id>".
	Doc string `json:"doc"`
	// Mode is "preview" (the draft app; the default) or "published" (the app's latest release).
	Mode string `json:"mode,omitempty"`
}

// RunValue is a running page's state: the page reducer's and the app reducer's (null while
// undefined).
type RunValue struct {
	Page json.RawMessage `json:"page"`
	App  json.RawMessage `json:"app"`
}

// RunStarted answers a run.
type RunStarted struct {
	Type    string   `json:"type"`
	Session string   `json:"session"`
	Page    string   `json:"page"`
	Step    int64    `json:"step"`
	State   RunValue `json:"state"`
}

// ComponentEvent is a component event of a running page: the handler bound to Event on the
// node runs, and the actions it dispatches go through the reducers.
type ComponentEvent struct {
	Type    string          `json:"type"`
	Session string          `json:"session"`
	NodeID  string          `json:"nodeId"`
	Event   string          `json:"event"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// RunState answers a component event with the state after its dispatches and the component
// updates the handler asked for. Error is a reducer's error: that step was recorded and the
// state stayed as it was.
type RunState struct {
	Type    string            `json:"type"`
	Session string            `json:"session"`
	Step    int64             `json:"step"`
	State   RunValue          `json:"state"`
	Updates []json.RawMessage `json:"updates"`
	// Effects are client actions of quick actions: {"kind": "navigate" | "notify" |
	// "copyToClipboard", "params": {...}}.
	Effects []json.RawMessage `json:"effects"`
	Error   string            `json:"error,omitempty"`
}
