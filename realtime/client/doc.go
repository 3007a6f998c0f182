package client

import (
	"encoding/json"
	"fmt"

	"github.com/goflow-dev/goflow/realtime"
)

// document is what the session needs of an open page or script.
type document interface {
	base() *docBase
	// load replaces the confirmed state with a snapshot at version.
	load(version int64, snapshot json.RawMessage) error
	// apply folds the next event (version = current+1) into the confirmed state.
	apply(ev realtime.Event)
	// acked handles the results of a submit.
	acked(results []realtime.Result)
	// resubmit queues, after a resubscribe on a new connection, every op not acknowledged.
	resubmit()
	// subscribeVersion is the version to resubscribe at.
	subscribeVersion() int64
	// pending counts the ops the server has not decided yet.
	pending() int
}

// docBase is the state every document has.
type docBase struct {
	s       *Session
	doc     string
	version int64
	loaded  bool
	// awaiting is true from a subscribe until its answer; events and acks arriving meanwhile
	// wait in stash, in order (the server may send live events before the subscribed message,
	// and an ack must not overtake the events before it).
	awaiting bool
	stash    []inbound
	err      *realtime.Error // the refusal of the last subscribe
	me       json.RawMessage // own presence state, sent again after a reconnect
	others   map[string]realtime.PresenceInfo
}

func (b *docBase) base() *docBase { return b }

// Doc returns the document's stream id.
func (b *docBase) Doc() string { return b.doc }

// Version returns the confirmed version.
func (b *docBase) Version() int64 {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	return b.version
}

// Loaded reports whether the document has its first state.
func (b *docBase) Loaded() bool {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	return b.loaded
}

// Err returns the server's refusal of the document's last subscribe, if any.
func (b *docBase) Err() error {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	if b.err == nil {
		return nil
	}
	return &SubscribeError{Doc: b.doc, Code: b.err.Code, Message: b.err.Message}
}

// SubscribeError is the server's refusal of a subscribe.
type SubscribeError struct {
	Doc, Code, Message string
}

func (e *SubscribeError) Error() string {
	return fmt.Sprintf("subscribe %s: %s (%s)", e.Doc, e.Message, e.Code)
}

// Rejection is an op the server refused (or a script edit the client had to give up).
type Rejection struct {
	Doc     string
	Seq     int64
	Code    string
	Message string
	Path    string
	// Op is the page op refused (pages).
	Op json.RawMessage
}

// inbound is a message for a document waiting for a subscribe's answer: events or an ack.
type inbound struct {
	events []realtime.Event
	ack    []realtime.Result
}
