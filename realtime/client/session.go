// Package client is a Go client of GoFlow's co-editing protocol (package realtime), for tests,
// benchmarks and tools.
//
// Session is the protocol's client side as a state machine without I/O: it is fed the server's
// messages with Receive and hands out the messages to send with Outbox, so a deterministic
// simulation can drive it message by message. Client (Dial) runs a Session over a WebSocket and
// reconnects when the connection is lost.
//
// Pages are optimistic: a page op applies locally at once and is sent; the local page is the
// confirmed page (the server's) with the ops still waiting for the server decided again on top.
// Scripts follow the ot.js client: at most one edit is in flight per script, later local edits
// are composed into a buffer, and both are transformed against the edits of others as they
// arrive.
package client

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/realtime"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrUnknownDoc: the doc id is not "page-<id>" or "script-<id>", or the document is not open.
	ErrUnknownDoc = errors.New("unknown document")
	// ErrNotLoaded: the document has no state yet (its subscribe is unanswered).
	ErrNotLoaded = errors.New("document not loaded yet")
	// ErrClosed: the client was closed.
	ErrClosed = errors.New("client closed")
)

// Conn is a connection's outgoing side, for a driver that hands the outbox to something other
// than a WebSocket (an in-process server session in a simulation).
type Conn interface {
	Send(msg []byte) error
}

// SessionConfig configures a Session.
type SessionConfig struct {
	// ClientID identifies this client to the server across reconnects (1..64 printable
	// characters); the server recognises resubmitted ops by it and the seq.
	ClientID string
	// Catalog holds the component manifests local page decisions validate against; default
	// domain.DefaultCatalog.
	Catalog *domain.Catalog
	// NewID names the node of an insert_node op submitted without a nodeId (the id is written
	// into the op, so the local page and the server agree on it); default a UUID v7.
	NewID func() string
	// Now is the clock of local decisions; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// OnChange is called after a document's local state, version or presence changed. It runs
	// without the session's lock held but on the caller's goroutine: it must not block.
	OnChange func(doc string)
	// OnOutbox is called when messages wait in the outbox (without the lock; must not block).
	OnOutbox func()
}

// Session is one logical client: its client id, its seq counter and its open documents. It is
// safe for concurrent use; its documents share its lock.
type Session struct {
	cfg SessionConfig
	log *slog.Logger
	// idPrefix makes the ids of nodes a local decision invents (template children) stable
	// across rebuilds of the local page and distinct between clients.
	idPrefix string

	mu        sync.Mutex
	user      string
	welcomed  bool
	seq       int64
	docs      map[string]document
	order     []string // open order, for a deterministic resubscribe
	outbox    []any
	errs      []realtime.Error
	lastPong  string
	changed   []string // docs changed since the last unlock
	changedIn map[string]bool
}

// maxErrors bounds the error messages a session keeps.
const maxErrors = 100

// NewSession returns a session for clientID with default settings.
func NewSession(clientID string) *Session {
	return NewSessionWith(SessionConfig{ClientID: clientID})
}

// NewSessionWith returns a session configured by cfg.
func NewSessionWith(cfg SessionConfig) *Session {
	cfg.Logger = cmp.Or(cfg.Logger, slog.Default())
	if cfg.NewID == nil {
		cfg.NewID = newUUID
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	sum := sha256.Sum256([]byte(cfg.ClientID))
	return &Session{
		cfg:       cfg,
		log:       cfg.Logger,
		idPrefix:  "l" + hex.EncodeToString(sum[:6]),
		docs:      map[string]document{},
		changedIn: map[string]bool{},
	}
}

func newUUID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// ClientID returns the session's client id.
func (s *Session) ClientID() string { return s.cfg.ClientID }

// User returns the user the server's welcome named ("" before it).
func (s *Session) User() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.user
}

// Hello is the first message of every connection.
func (s *Session) Hello() realtime.Hello {
	return realtime.Hello{Type: realtime.TypeHello, Protocol: realtime.ProtocolVersion, ClientID: s.cfg.ClientID}
}

// unlock releases the lock, then tells the hooks what changed.
func (s *Session) unlock() {
	changed := s.changed
	s.changed = nil
	clear(s.changedIn)
	pending := len(s.outbox) > 0
	s.mu.Unlock()
	if pending && s.cfg.OnOutbox != nil {
		s.cfg.OnOutbox()
	}
	if s.cfg.OnChange != nil {
		for _, doc := range changed {
			s.cfg.OnChange(doc)
		}
	}
}

// touch records that doc changed.
func (s *Session) touch(doc string) {
	if !s.changedIn[doc] {
		s.changedIn[doc] = true
		s.changed = append(s.changed, doc)
	}
}

func (s *Session) nextSeq() int64 {
	s.seq++
	return s.seq
}

// docKind returns the kind of a doc id.
func docKind(doc string) (string, bool) {
	kind, id, ok := strings.Cut(doc, "-")
	if !ok || id == "" || (kind != domain.CategoryPage && kind != domain.CategoryScript) {
		return "", false
	}
	return kind, true
}

// Open subscribes to doc ("page-<id>" or "script-<id>"); opening an open document does nothing.
func (s *Session) Open(doc string) error {
	kind, ok := docKind(doc)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownDoc, doc)
	}
	s.mu.Lock()
	defer s.unlock()
	if _, open := s.docs[doc]; open {
		return nil
	}
	b := docBase{s: s, doc: doc, others: map[string]realtime.PresenceInfo{}}
	var d document
	if kind == domain.CategoryPage {
		d = &PageDoc{docBase: b}
	} else {
		d = &ScriptDoc{docBase: b}
	}
	s.docs[doc] = d
	s.order = append(s.order, doc)
	s.subscribe(d, 0)
	return nil
}

// CloseDoc unsubscribes from doc and forgets it (ops not yet acknowledged are dropped).
func (s *Session) CloseDoc(doc string) {
	s.mu.Lock()
	defer s.unlock()
	if _, open := s.docs[doc]; !open {
		return
	}
	delete(s.docs, doc)
	for i, d := range s.order {
		if d == doc {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	s.queue(realtime.Unsubscribe{Type: realtime.TypeUnsubscribe, Doc: doc})
}

// Page returns the open page doc, or nil.
func (s *Session) Page(doc string) *PageDoc {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, _ := s.docs[doc].(*PageDoc)
	return p
}

// Script returns the open script doc, or nil.
func (s *Session) Script(doc string) *ScriptDoc {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, _ := s.docs[doc].(*ScriptDoc)
	return d
}

// Docs lists the open documents in the order they were opened.
func (s *Session) Docs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...)
}

// Pending counts the ops of every document the server has not decided yet (page ops waiting
// for their ack, the script edit in flight, buffered script edits, edits waiting for a rebase).
func (s *Session) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, d := range s.docs {
		n += d.pending()
	}
	return n
}

// Errors returns the error messages the server sent (the most recent ones).
func (s *Session) Errors() []realtime.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]realtime.Error(nil), s.errs...)
}

// LastPong returns the id of the last pong received.
func (s *Session) LastPong() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastPong
}

// Ping queues a ping; the server answers with a pong of the same id.
func (s *Session) Ping(id string) {
	s.mu.Lock()
	defer s.unlock()
	s.queue(realtime.Ping{Type: realtime.TypePing, ID: id})
}

// subscribe queues a subscribe of d at version; events arriving before the answer wait.
func (s *Session) subscribe(d document, version int64) {
	b := d.base()
	b.awaiting = true
	b.err = nil
	s.queue(realtime.Subscribe{Type: realtime.TypeSubscribe, Doc: b.doc, Version: version})
}

// queue adds a message to the outbox.
func (s *Session) queue(msg any) { s.outbox = append(s.outbox, msg) }

// queueOp adds an op to the last submit of doc waiting in the outbox when nothing that changes
// the subscription follows it there, else queues a new submit. Scripts send one op per submit.
func (s *Session) queueOp(doc string, base int64, op realtime.Op, batch bool) {
	if batch {
	search:
		for i := len(s.outbox) - 1; i >= 0; i-- {
			switch m := s.outbox[i].(type) {
			case *realtime.Submit:
				if m.Doc == doc && len(m.Ops) < realtime.MaxOpsPerSubmit {
					m.Ops = append(m.Ops, op)
					m.BaseVersion = base
					return
				}
			case realtime.Subscribe:
				if m.Doc == doc {
					break search
				}
			case realtime.Unsubscribe:
				if m.Doc == doc {
					break search
				}
			}
		}
	}
	s.queue(&realtime.Submit{Type: realtime.TypeSubmit, Doc: doc, BaseVersion: base, Ops: []realtime.Op{op}})
}

// Outbox removes and returns the messages to send, encoded, in order.
func (s *Session) Outbox() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]byte, 0, len(s.outbox))
	for _, m := range s.outbox {
		b, err := json.Marshal(m)
		if err != nil {
			s.log.Error("realtime client: encode message", "err", err)
			continue
		}
		out = append(out, b)
	}
	s.outbox = nil
	return out
}

// SendTo sends the outbox through c, stopping at the first error (the unsent messages are
// generated again by Reconnected on the next connection).
func (s *Session) SendTo(c Conn) error {
	for _, m := range s.Outbox() {
		if err := c.Send(m); err != nil {
			return err
		}
	}
	return nil
}

// Reconnected prepares a new connection, after its hello was welcomed: the outbox of the lost
// connection is dropped and replaced by a subscribe of every open document at its confirmed
// version, its presence, and every op the server has not acknowledged, with the same seqs (the
// server recognises the ones it committed already).
func (s *Session) Reconnected() {
	s.mu.Lock()
	defer s.unlock()
	s.outbox = nil
	for _, doc := range s.order {
		d := s.docs[doc]
		b := d.base()
		b.stash = nil
		s.subscribe(d, d.subscribeVersion())
		if b.me != nil {
			s.queue(realtime.Presence{Type: realtime.TypePresence, Doc: doc, State: b.me})
		}
		d.resubmit()
	}
}

// Receive handles one message from the server. Unknown message types are ignored; a message
// that is not JSON or does not match its type is an error (the session is unchanged).
func (s *Session) Receive(raw []byte) error {
	var env realtime.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("realtime client: malformed message: %w", err)
	}
	s.mu.Lock()
	defer s.unlock()
	switch env.Type {
	case realtime.TypeWelcome:
		var m realtime.Welcome
		if err := decodeMsg(raw, &m); err != nil {
			return err
		}
		if m.Protocol != realtime.ProtocolVersion {
			return fmt.Errorf("realtime client: server speaks protocol %d, not %d", m.Protocol, realtime.ProtocolVersion)
		}
		s.user, s.welcomed = m.User, true
	case realtime.TypeSubscribed:
		var m realtime.Subscribed
		if err := decodeMsg(raw, &m); err != nil {
			return err
		}
		s.subscribed(m)
	case realtime.TypeEvents:
		var m realtime.Events
		if err := decodeMsg(raw, &m); err != nil {
			return err
		}
		if d := s.docs[m.Doc]; d != nil {
			s.inbound(d, []inbound{{events: m.Events}})
		}
	case realtime.TypeAck:
		var m realtime.Ack
		if err := decodeMsg(raw, &m); err != nil {
			return err
		}
		if d := s.docs[m.Doc]; d != nil {
			s.inbound(d, []inbound{{ack: m.Results}})
		}
	case realtime.TypePresence:
		var m realtime.Presence
		if err := decodeMsg(raw, &m); err != nil {
			return err
		}
		// Our own client id shows up when a lost connection of ours is still open on the server.
		if d := s.docs[m.Doc]; d != nil && m.ClientID != "" && m.ClientID != s.cfg.ClientID {
			others := d.base().others
			if m.Left {
				delete(others, m.ClientID)
			} else {
				others[m.ClientID] = realtime.PresenceInfo{User: m.User, ClientID: m.ClientID, State: m.State}
			}
			s.touch(m.Doc)
		}
	case realtime.TypeError:
		var m realtime.Error
		if err := decodeMsg(raw, &m); err != nil {
			return err
		}
		s.serverError(m)
	case realtime.TypePong:
		var m realtime.Ping
		if err := decodeMsg(raw, &m); err != nil {
			return err
		}
		s.lastPong = m.ID
	default:
		s.log.Debug("realtime client: ignoring a message of unknown type", "type", env.Type)
	}
	return nil
}

func decodeMsg(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("realtime client: malformed message: %w", err)
	}
	return nil
}

// subscribed loads a subscribe's answer: a snapshot or the events missed, then the events that
// arrived while it was awaited.
func (s *Session) subscribed(m realtime.Subscribed) {
	d := s.docs[m.Doc]
	if d == nil {
		return
	}
	b := d.base()
	b.awaiting, b.err = false, nil
	stash := b.stash
	b.stash = nil
	b.others = make(map[string]realtime.PresenceInfo, len(m.Presence))
	for _, p := range m.Presence {
		if p.ClientID != s.cfg.ClientID {
			b.others[p.ClientID] = p
		}
	}
	s.touch(b.doc)
	// Resubscribing keeps what waited: it follows whatever the next answer brings.
	again := func(version int64) {
		s.subscribe(d, version)
		b.stash = append(b.stash, stash...)
	}
	if m.Snapshot != nil {
		if err := d.load(m.Version, m.Snapshot); err != nil {
			s.log.Error("realtime client: bad snapshot", "doc", b.doc, "err", err)
			again(0)
			return
		}
		b.loaded = true
	} else if !b.loaded {
		again(0) // events without a state to apply them to: only a snapshot helps
		return
	}
	s.events(d, m.Events)
	if b.awaiting { // a gap in the catch-up: resubscribed
		b.stash = append(b.stash, stash...)
		return
	}
	if b.version < m.Version {
		s.log.Warn("realtime client: subscribed answer short of its version", "doc", b.doc, "have", b.version, "version", m.Version)
		again(b.version)
		return
	}
	s.inbound(d, stash)
}

// inbound handles events and acks in order, or stashes them while a subscribe is unanswered.
func (s *Session) inbound(d document, items []inbound) {
	b := d.base()
	for i, it := range items {
		if b.awaiting {
			b.stash = append(b.stash, items[i:]...)
			return
		}
		if it.ack != nil {
			d.acked(it.ack)
			s.touch(b.doc)
			continue
		}
		s.events(d, it.events)
	}
}

// events applies events in version order: ones already applied are skipped, a gap resubscribes
// from the confirmed version (the rest wait for its answer).
func (s *Session) events(d document, events []realtime.Event) {
	b := d.base()
	for i, ev := range events {
		if ev.Version <= b.version {
			continue
		}
		if ev.Version > b.version+1 {
			s.log.Warn("realtime client: missed events; resubscribing", "doc", b.doc, "have", b.version, "got", ev.Version)
			s.subscribe(d, b.version)
			b.stash = append(b.stash, inbound{events: events[i:]})
			return
		}
		b.version = ev.Version // before apply: an edit it sends is based on this version
		d.apply(ev)
		s.touch(b.doc)
	}
}

// serverError records an error message; a refused subscribe marks its document.
func (s *Session) serverError(m realtime.Error) {
	s.errs = append(s.errs, m)
	if over := len(s.errs) - maxErrors; over > 0 {
		s.errs = append(s.errs[:0:0], s.errs[over:]...)
	}
	s.log.Warn("realtime client: server error", "code", m.Code, "message", m.Message, "doc", m.Doc, "ref", m.Ref)
	if m.Ref != realtime.TypeSubscribe {
		return
	}
	if d := s.docs[m.Doc]; d != nil {
		b := d.base()
		b.awaiting, b.stash = false, nil
		b.err = &m
		s.touch(b.doc)
	}
}

// decode turns a wire event into a domain event, upcasting payloads stored at an older schema
// version (the server sends payloads as stored, with their version).
func (s *Session) decode(ev realtime.Event) (domain.Event, error) {
	return domain.Decode(ev.Type, max(ev.SchemaVersion, 1), ev.Data)
}

// version returns doc's confirmed version and whether it is open and loaded.
func (s *Session) version(doc string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.docs[doc]
	if d == nil || !d.base().loaded {
		return 0, false
	}
	return d.base().version, true
}

// localIDs returns the id source of a local decision of the op seq: the same ids on every
// rebuild of the local page.
func (s *Session) localIDs(seq int64) func() string {
	n := 0
	return func() string {
		n++
		return s.idPrefix + "-" + strconv.FormatInt(seq, 10) + "-" + strconv.Itoa(n)
	}
}
