// Package eventstore defines GoFlow's append-only event log: streams of immutable events with
// optimistic concurrency, a global log that consumers follow in commit-safe order, and snapshots.
//
// The package knows envelopes, not domain types: event data is opaque JSON. Two backends implement
// Store (eventstore/postgres and eventstore/sqlite), and both also implement BatchAppender (group
// commit of appends to many streams); eventstore/storetest is the conformance suite that both run.
package eventstore

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Limits every backend enforces, so that the two stores accept exactly the same input.
const (
	// MaxBatchEvents is the most events one Append may carry.
	MaxBatchEvents = 1000
	// MaxEventDataBytes is the largest JSON document one event may carry.
	MaxEventDataBytes = 4 << 20
	// MaxStreamIDLength is the longest stream id accepted.
	MaxStreamIDLength = 200
	// MaxTypeLength is the longest event type accepted.
	MaxTypeLength = 200
)

// ExpectedKind says what an append expects of the stream's current version.
type ExpectedKind int

const (
	// ExpectAny appends whatever the stream's version is.
	ExpectAny ExpectedKind = iota + 1
	// ExpectNoStream appends only if the stream has no events yet.
	ExpectNoStream
	// ExpectStreamExists appends only if the stream has at least one event.
	ExpectStreamExists
	// ExpectExact appends only if the stream's version equals Expected.Version.
	ExpectExact
)

// String names the kind as it appears in errors and logs.
func (k ExpectedKind) String() string {
	switch k {
	case ExpectAny:
		return "any"
	case ExpectNoStream:
		return "no_stream"
	case ExpectStreamExists:
		return "stream_exists"
	case ExpectExact:
		return "exact"
	default:
		return "unknown"
	}
}

// Expected is the optimistic-concurrency condition of an append.
type Expected struct {
	Kind    ExpectedKind
	Version int64 // only for ExpectExact; 0 means "no stream", like ExpectNoStream
}

// Any, NoStream, StreamExists and Exact build the four Expected conditions.
func Any() Expected                { return Expected{Kind: ExpectAny} }
func NoStream() Expected           { return Expected{Kind: ExpectNoStream} }
func StreamExists() Expected       { return Expected{Kind: ExpectStreamExists} }
func Exact(version int64) Expected { return Expected{Kind: ExpectExact, Version: version} }

// String renders the condition as "exact(3)", "any", ...
func (e Expected) String() string {
	if e.Kind != ExpectExact {
		return e.Kind.String()
	}
	return e.Kind.String() + "(" + strconv.FormatInt(e.Version, 10) + ")"
}

// EventData is one event as a writer proposes it; the store assigns the rest of the Envelope.
type EventData struct {
	// ID identifies the event; appends are idempotent on it. Zero means "assign a new UUID v7".
	ID uuid.UUID
	// Type names the fact, e.g. "page.node_prop_set".
	Type string
	// Data is the JSON payload.
	Data json.RawMessage
	// SchemaVersion is the payload's schema version (for upcasting); 0 means 1.
	SchemaVersion int
	// Actor is who caused the event (a user id, "system", ...).
	Actor string
	// CausationID is the id of the event or command that caused this one, if any.
	CausationID *uuid.UUID
	// CorrelationID ties together every event of one user action, if any.
	CorrelationID *uuid.UUID
	// ClientOpID is the submitting client's op id ("clientID:seq"), if any.
	ClientOpID string
}

// Envelope is a committed event.
type Envelope struct {
	ID             uuid.UUID       `json:"id"`
	StreamID       string          `json:"streamId"`
	StreamVersion  int64           `json:"streamVersion"`
	GlobalPosition int64           `json:"globalPosition"`
	Type           string          `json:"type"`
	Data           json.RawMessage `json:"data"`
	SchemaVersion  int             `json:"schemaVersion"`
	Actor          string          `json:"actor,omitempty"`
	CausationID    *uuid.UUID      `json:"causationId,omitempty"`
	CorrelationID  *uuid.UUID      `json:"correlationId,omitempty"`
	ClientOpID     string          `json:"clientOpId,omitempty"`
	Time           time.Time       `json:"time"`
}

// AppendResult reports a committed (or previously committed) append.
type AppendResult struct {
	// Events are the envelopes as stored, in stream order.
	Events []Envelope
	// AlreadyApplied is true when every event id had been appended before (an idempotent retry):
	// nothing was written and Events are the earlier envelopes.
	AlreadyApplied bool
	// StreamVersion is the stream's version after the append.
	StreamVersion int64
}

// Snapshot is a consumer-defined summary of a stream's state at a version.
type Snapshot struct {
	StreamID string          `json:"streamId"`
	Version  int64           `json:"version"`
	Data     json.RawMessage `json:"data"`
	Time     time.Time       `json:"time"`
}

// ReadAllParams selects a page of the global log.
type ReadAllParams struct {
	// After is the cursor: the GlobalPosition of the last event already seen, 0 for the start.
	After int64
	// Limit is the most events returned; 0 means 500.
	Limit int
	// Topic, if set, keeps only streams whose id equals Topic or starts with Topic + "-"
	// ("page" keeps every "page-<id>" stream).
	Topic string
}

// Handler receives committed events from a subscription, a batch at a time, in global-log order.
// Returning an error stops the subscription with that error.
type Handler func(ctx context.Context, events []Envelope) error

// SubscribeParams says where a subscription starts and what it follows.
type SubscribeParams struct {
	// After is the cursor to resume from (the GlobalPosition of the last handled event), 0 for the start.
	After int64
	// Topic filters streams like ReadAllParams.Topic.
	Topic string
	// BatchSize is the most events handed to the handler at once; 0 means 500.
	BatchSize int
}

// Store is the event store every GoFlow component writes to and reads from.
//
// The global log's order is commit-safe: a reader that has seen position P never later finds an
// event ordered before P. Positions are unique cursors; in the Postgres backend their numeric order
// can differ from log order (it follows transaction ids), so treat them as opaque cursors.
type Store interface {
	// Append writes events to the end of a stream if the expected condition holds, atomically.
	Append(ctx context.Context, streamID string, expected Expected, events []EventData) (AppendResult, error)
	// ReadStream returns up to limit events of a stream with StreamVersion >= fromVersion, in order.
	// limit 0 means all.
	ReadStream(ctx context.Context, streamID string, fromVersion int64, limit int) ([]Envelope, error)
	// ReadAll returns the next page of the global log after params.After.
	ReadAll(ctx context.Context, params ReadAllParams) ([]Envelope, error)
	// Subscribe hands every committed event after params.After to handle, first catching up, then
	// live, until ctx ends (returning ctx.Err()) or handle fails (returning its error).
	Subscribe(ctx context.Context, params SubscribeParams, handle Handler) error
	// StreamVersion is the stream's current version, 0 if it has no events.
	StreamVersion(ctx context.Context, streamID string) (int64, error)
	// Head returns the cursor of the last event readable in the global log (0 for an empty log):
	// reading or subscribing after it yields only events committed later. A consumer that cares
	// only about what happens from now on (the co-editing fan-out) starts there.
	Head(ctx context.Context) (int64, error)
	// SnapshotSave stores a snapshot (replacing one at the same version).
	SnapshotSave(ctx context.Context, snap Snapshot) error
	// SnapshotLoad returns the latest snapshot at or below maxVersion (0: any), or ErrNotFound.
	SnapshotLoad(ctx context.Context, streamID string, maxVersion int64) (Snapshot, error)
	// CheckpointLoad returns a named consumer's saved cursor, 0 if it has none.
	CheckpointLoad(ctx context.Context, name string) (int64, error)
	// CheckpointSwap moves a named consumer's cursor from old to new; false if it was not at old
	// (another consumer of the same name moved it).
	CheckpointSwap(ctx context.Context, name string, old, new int64) (bool, error)
	// Ping checks that the store is reachable.
	Ping(ctx context.Context) error
	// Close releases the store's resources after in-flight appends finish.
	Close() error
}

// BeforeCommitFunc is a test hook some backends accept: it runs inside an append's transaction
// after the events are written and before the commit. Blocking in it holds the transaction open;
// returning an error rolls the append back. An AppendBatch calls it once per item it writes, in
// batch order, all before its one commit. Production code leaves it nil.
type BeforeCommitFunc func(ctx context.Context, streamID string) error
