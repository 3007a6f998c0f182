package realtime

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/coder/websocket"

	"github.com/goflow-dev/goflow/domain"
)

// Access is what the server needs of the accounts layer (web implements it).
type Access interface {
	// Allow returns nil if user may do perm on doc (a stream id: "page-<id>", "script-<id>"), or
	// an error saying why not, shown to the client.
	Allow(ctx context.Context, user string, perm domain.Permission, doc string) error
}

// ServerConfig configures a Server.
type ServerConfig struct {
	Engine *Engine
	Access Access
	// User returns the authenticated user of an upgrade request; "" refuses it with 401.
	User func(r *http.Request) string
	// StillValid re-checks the upgrade request's credentials every AuthCheckInterval; false
	// closes the connection with CloseAuthFailed (the session ended, the user was disabled).
	// Nil skips the re-check.
	StillValid func(r *http.Request) bool
	// AuthCheckInterval defaults to 1 minute.
	AuthCheckInterval time.Duration
	// OriginPatterns are the other origins browsers may connect from (the server's own origin
	// is always allowed; requests without an Origin header are not browsers and are allowed).
	OriginPatterns []string
	Logger         *slog.Logger
	// SendQueue is how many messages may wait for a slow client before it is disconnected with
	// CloseOverload; default 256 (each committed batch is one message, however many ops it holds).
	SendQueue int
	// PresenceInterval is the least time between two presence messages relayed for one client on
	// one document (later ones within it are coalesced); default 50ms.
	PresenceInterval time.Duration
	// HelloTimeout bounds the wait for the first message; default 10s.
	HelloTimeout time.Duration
	// AllowCacheTTL is how long an Allow answer is reused for the same document and permission;
	// default 5s.
	AllowCacheTTL time.Duration
	// Runtime runs pages (run, component_event); nil answers run with runtime_unavailable.
	Runtime Runtime
}

// Server accepts co-editing WebSocket connections.
type Server struct {
	cfg ServerConfig
	log *slog.Logger

	mu    sync.Mutex
	conns map[*Session]struct{}
	// authOnce starts the one loop that re-checks every connection's credentials (one loop, not
	// a goroutine and ticker per idle connection); done stops it.
	authOnce sync.Once
	done     chan struct{}
}

// NewServer validates cfg and returns a server; mount it as an http.Handler.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Engine == nil || cfg.Access == nil || cfg.User == nil {
		return nil, errors.New("realtime: ServerConfig needs Engine, Access and User")
	}
	cfg.Logger = cmp.Or(cfg.Logger, slog.Default())
	cfg.SendQueue = cmp.Or(cfg.SendQueue, 256)
	cfg.PresenceInterval = cmp.Or(cfg.PresenceInterval, 50*time.Millisecond)
	cfg.HelloTimeout = cmp.Or(cfg.HelloTimeout, 10*time.Second)
	cfg.AuthCheckInterval = cmp.Or(cfg.AuthCheckInterval, time.Minute)
	cfg.AllowCacheTTL = cmp.Or(cfg.AllowCacheTTL, 5*time.Second)
	return &Server{cfg: cfg, log: cfg.Logger, conns: map[*Session]struct{}{}, done: make(chan struct{})}, nil
}

// ServeHTTP upgrades an authenticated request to a co-editing connection and serves it until
// either side closes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user := s.cfg.User(r)
	if user == "" {
		http.Error(w, "sign in first", http.StatusUnauthorized)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		OriginPatterns:  s.cfg.OriginPatterns,
		CompressionMode: websocket.CompressionDisabled, // small messages; saves memory per connection
	})
	if err != nil {
		return // Accept has answered (403 for a foreign origin, 426 for a plain request)
	}
	ws.SetReadLimit(MaxMessageBytes)
	// The connection outlives the request's handler deadline; it ends with the socket.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	t := &wsConn{ws: ws, cancel: cancel, out: make(chan []byte, s.cfg.SendQueue)}
	c := s.NewSession(ctx, user, t)
	c.req = r
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	go t.writeLoop(ctx)
	if s.cfg.StillValid != nil {
		s.authOnce.Do(func() { go s.authLoop() })
	}
	defer c.Close()
	for {
		typ, data, err := ws.Read(ctx)
		if err != nil {
			t.closeAfterReadError(err)
			return
		}
		if typ != websocket.MessageText {
			c.sendError("binary_message", "Messages are JSON text.", "", "")
			continue
		}
		if !c.Handle(data) {
			return
		}
	}
}

// NewSession starts a client session over a transport: the WebSocket connection in ServeHTTP,
// or an in-process transport (tests and tools). The first message it handles must be a hello.
func (s *Server) NewSession(ctx context.Context, user string, t Transport) *Session {
	ctx, cancel := context.WithCancel(ctx)
	c := &Session{
		s: s, t: t, user: user, ctx: ctx, cancel: cancel,
		rooms:    map[string]*room{},
		allowed:  map[allowKey]time.Time{},
		presence: map[string]*presenceSlot{},
		runs:     map[string]string{},
	}
	if s.cfg.HelloTimeout > 0 {
		c.helloTimer = time.AfterFunc(s.cfg.HelloTimeout, func() {
			if !c.greeted.Load() {
				c.fail(CloseProtocolError, "no hello in time")
			}
		})
	}
	return c
}

// Transport carries a session's messages to its client.
type Transport interface {
	// Send queues one encoded message without blocking; false means the client is not keeping
	// up (the session then closes with CloseOverload).
	Send(msg []byte) bool
	// Close ends the connection with a close code and reason.
	Close(code int, reason string)
}

// wsConn is the WebSocket transport.
type wsConn struct {
	ws     *websocket.Conn
	cancel context.CancelFunc
	out    chan []byte
	closed atomic.Bool
}

func (t *wsConn) Send(b []byte) bool {
	if t.closed.Load() {
		return true
	}
	select {
	case t.out <- b:
		return true
	default:
		return false
	}
}

func (t *wsConn) Close(code int, reason string) {
	if t.closed.Swap(true) {
		return
	}
	_ = t.ws.Close(websocket.StatusCode(code), reason)
	t.cancel()
}

// closeAfterReadError closes after a failed read: the library has already answered a message
// over the limit with 1009 and a peer's close with its echo.
func (t *wsConn) closeAfterReadError(err error) {
	if websocket.CloseStatus(err) == -1 {
		// Not a close from the peer: the library has closed with 1009 if the message was too
		// big; otherwise the connection broke.
		t.Close(int(websocket.StatusGoingAway), "read failed")
		return
	}
	t.Close(int(websocket.StatusNormalClosure), "")
}

func (t *wsConn) writeLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-t.out:
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := t.ws.Write(wctx, websocket.MessageText, b)
			cancel()
			if err != nil {
				t.Close(int(websocket.StatusGoingAway), "write failed")
				return
			}
		}
	}
}

// authLoop re-checks, every AuthCheckInterval, the credentials each WebSocket was opened with
// and the subscriptions they hold.
func (s *Server) authLoop() {
	tk := time.NewTicker(s.cfg.AuthCheckInterval)
	defer tk.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-tk.C:
		}
		s.mu.Lock()
		conns := make([]*Session, 0, len(s.conns))
		for c := range s.conns {
			if c.req != nil {
				conns = append(conns, c)
			}
		}
		s.mu.Unlock()
		for _, c := range conns {
			if !s.cfg.StillValid(c.req) {
				c.fail(CloseAuthFailed, "credentials no longer valid: sign in again")
				continue
			}
			c.recheckSubscriptions()
		}
	}
}

// Connections reports how many connections are open.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Shutdown closes every connection with 1001 (going away); clients reconnect elsewhere.
func (s *Server) Shutdown() {
	s.mu.Lock()
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	conns := make([]*Session, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.fail(int(websocket.StatusGoingAway), "server shutting down")
	}
}

type allowKey struct {
	perm domain.Permission
	doc  string
}

// presenceSlot coalesces one document's presence updates of a connection.
type presenceSlot struct {
	last    time.Time
	pending json.RawMessage
	timer   *time.Timer
}

// Session is one client's conversation with the engine: its subscriptions, permissions and
// presence. It is independent of the transport that carries its messages.
type Session struct {
	s      *Server
	t      Transport
	user   string
	ctx    context.Context
	cancel context.CancelFunc
	closed atomic.Bool

	greeted    atomic.Bool
	helloTimer *time.Timer
	clientID   string // set by hello
	// req is the upgrade request of a WebSocket session (its credentials are re-checked).
	req *http.Request

	mu       sync.Mutex
	rooms    map[string]*room
	allowed  map[allowKey]time.Time
	presence map[string]*presenceSlot
	// runs maps the runtime sessions this connection started to their page docs.
	runs map[string]string
}

func (c *Session) identity() (string, string) { return c.user, c.clientID }

// send queues a message; a client too slow to drain its queue is disconnected.
func (c *Session) send(msg any) {
	if c.closed.Load() {
		return
	}
	var b []byte
	if raw, ok := msg.(json.RawMessage); ok {
		b = raw
	} else {
		var err error
		if b, err = json.Marshal(msg); err != nil {
			c.s.log.Error("realtime: encode message", "err", err)
			return
		}
	}
	if !c.t.Send(b) {
		go c.fail(CloseOverload, "send queue full: reconnect and catch up")
	}
}

// fail closes the transport with a code and ends the session.
func (c *Session) fail(code int, reason string) {
	c.t.Close(code, reason)
	c.Close()
}

// Close ends the session: it leaves every document (the others see it leave).
func (c *Session) Close() {
	if c.closed.Swap(true) {
		return
	}
	if c.helloTimer != nil {
		c.helloTimer.Stop()
	}
	c.cancel()
	c.mu.Lock()
	docs := make([]string, 0, len(c.rooms))
	for doc := range c.rooms {
		docs = append(docs, doc)
	}
	c.mu.Unlock()
	for _, doc := range docs {
		c.unsubscribe(doc)
	}
	c.endRuns()
}

// Handle processes one message from the client. It returns false once the session has ended
// (the transport is being closed).
func (c *Session) Handle(data []byte) bool {
	if c.closed.Load() {
		return false
	}
	if !c.greeted.Load() {
		return c.hello(data)
	}
	c.handle(data)
	return !c.closed.Load()
}

// hello checks the first message.
func (c *Session) hello(data []byte) bool {
	var h Hello
	if json.Unmarshal(data, &h) != nil || h.Type != TypeHello {
		c.fail(CloseProtocolError, "the first message must be a hello")
		return false
	}
	if h.Protocol != ProtocolVersion {
		c.fail(CloseProtocolVersion, fmt.Sprintf("protocol %d is not supported; this server speaks %d", h.Protocol, ProtocolVersion))
		return false
	}
	if !validClientID(h.ClientID) {
		c.fail(CloseProtocolError, "clientId must be 1..64 printable characters")
		return false
	}
	c.clientID = h.ClientID
	c.greeted.Store(true)
	if c.helloTimer != nil {
		c.helloTimer.Stop()
	}
	c.send(Welcome{Type: TypeWelcome, Protocol: ProtocolVersion, User: c.user, ClientID: c.clientID})
	return true
}

func validClientID(id string) bool {
	if id == "" || len(id) > MaxClientIDLength {
		return false
	}
	for _, r := range id {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// handle dispatches one message after the hello.
func (c *Session) handle(data []byte) {
	var env Envelope
	if err := json.Unmarshal(data, &env); err != nil {
		c.sendError("malformed_json", "The message is not a JSON object with a type.", "", "")
		return
	}
	switch env.Type {
	case TypeSubscribe:
		var m Subscribe
		if c.decode(data, &m) {
			c.subscribe(m)
		}
	case TypeUnsubscribe:
		var m Unsubscribe
		if c.decode(data, &m) {
			c.unsubscribe(m.Doc)
		}
	case TypeSubmit:
		var m Submit
		if c.decode(data, &m) {
			c.submit(m)
		}
	case TypePresence:
		var m Presence
		if c.decode(data, &m) {
			c.setPresence(m)
		}
	case TypePing:
		var m Ping
		if c.decode(data, &m) {
			c.send(Ping{Type: TypePong, ID: m.ID})
		}
	case TypeRun:
		var m Run
		if c.decode(data, &m) {
			c.run(m)
		}
	case TypeComponentEvent:
		var m ComponentEvent
		if c.decode(data, &m) {
			c.componentEvent(m)
		}
	case TypeHello:
		c.sendError("already_greeted", "hello is only the first message.", "", env.Type)
	default:
		c.sendError("unknown_type", fmt.Sprintf("Unknown message type %q.", truncate(env.Type, 40)), "", truncate(env.Type, 40))
	}
}

func (c *Session) decode(data []byte, v any) bool {
	if err := json.Unmarshal(data, v); err != nil {
		var env Envelope
		_ = json.Unmarshal(data, &env)
		c.sendError("malformed_message", "The message does not match its type: "+err.Error(), "", env.Type)
		return false
	}
	return true
}

func (c *Session) sendError(code, msg, doc, ref string) {
	c.send(Error{Type: TypeError, Code: code, Message: msg, Doc: doc, Ref: ref})
}

// recheckSubscriptions drops the subscriptions the user may no longer watch (a role change or a
// removal from the workspace since they subscribed), telling the client with a forbidden error.
func (c *Session) recheckSubscriptions() {
	c.mu.Lock()
	docs := make([]string, 0, len(c.rooms))
	for doc := range c.rooms {
		docs = append(docs, doc)
	}
	c.mu.Unlock()
	for _, doc := range docs {
		if err := c.s.cfg.Access.Allow(c.ctx, c.user, readPermission(doc), doc); err != nil {
			c.unsubscribe(doc)
			c.sendError("forbidden", err.Error(), doc, TypeSubscribe)
		}
	}
}

// allow checks a permission on a document, reusing recent answers.
func (c *Session) allow(perm domain.Permission, doc string) error {
	key := allowKey{perm, doc}
	c.mu.Lock()
	at, ok := c.allowed[key]
	c.mu.Unlock()
	if ok && time.Since(at) < c.s.cfg.AllowCacheTTL {
		return nil
	}
	if err := c.s.cfg.Access.Allow(c.ctx, c.user, perm, doc); err != nil {
		return err
	}
	c.mu.Lock()
	c.allowed[key] = time.Now()
	c.mu.Unlock()
	return nil
}

// readPermission is what watching a document needs: viewers may watch pages; scripts are
// source code, for the roles that may audit.
func readPermission(doc string) domain.Permission {
	if kind, _, _ := docKind(doc); kind == domain.CategoryScript {
		return domain.PermAudit
	}
	return domain.PermView
}

func (c *Session) subscribe(m Subscribe) {
	if _, _, ok := docKind(m.Doc); !ok {
		c.sendError("unknown_doc", "doc must be page-<id> or script-<id>.", truncate(m.Doc, 60), TypeSubscribe)
		return
	}
	if err := c.allow(readPermission(m.Doc), m.Doc); err != nil {
		c.sendError("forbidden", err.Error(), m.Doc, TypeSubscribe)
		return
	}
	c.mu.Lock()
	r, already := c.rooms[m.Doc]
	n := len(c.rooms)
	c.mu.Unlock()
	if !already {
		if n >= MaxSubscriptions {
			c.sendError("too_many_subscriptions", fmt.Sprintf("At most %d documents per connection.", MaxSubscriptions), m.Doc, TypeSubscribe)
			return
		}
		var err error
		if r, err = c.s.cfg.Engine.open(c.ctx, m.Doc); err != nil {
			code := "unavailable"
			if errors.Is(err, ErrUnknownDoc) {
				code = "unknown_doc"
			}
			c.sendError(code, err.Error(), m.Doc, TypeSubscribe)
			return
		}
		c.mu.Lock()
		c.rooms[m.Doc] = r
		c.mu.Unlock()
	}
	if err := r.subscribe(c.ctx, c, m.Version); err != nil {
		c.unsubscribe(m.Doc)
		c.sendError("unavailable", "The document could not be read; retry.", m.Doc, TypeSubscribe)
	}
}

func (c *Session) unsubscribe(doc string) {
	c.mu.Lock()
	r, ok := c.rooms[doc]
	delete(c.rooms, doc)
	if slot := c.presence[doc]; slot != nil && slot.timer != nil {
		slot.timer.Stop()
	}
	delete(c.presence, doc)
	c.mu.Unlock()
	if ok {
		r.unsubscribe(c)
		c.s.cfg.Engine.release(r)
	}
}

func (c *Session) submit(m Submit) {
	c.mu.Lock()
	r, ok := c.rooms[m.Doc]
	c.mu.Unlock()
	reject := func(code, msg string) {
		results := make([]Result, len(m.Ops))
		for i, op := range m.Ops {
			results[i] = Result{Seq: op.Seq, Status: StatusRejected, Code: code, Message: msg}
		}
		c.send(Ack{Type: TypeAck, Doc: m.Doc, Results: results})
	}
	switch {
	case !ok:
		c.sendError("not_subscribed", "Subscribe to the document before submitting ops.", truncate(m.Doc, 60), TypeSubmit)
		return
	case len(m.Ops) == 0 || len(m.Ops) > MaxOpsPerSubmit:
		c.sendError("invalid_ops", fmt.Sprintf("A submit carries 1..%d ops.", MaxOpsPerSubmit), m.Doc, TypeSubmit)
		return
	case r.kind == domain.CategoryScript && len(m.Ops) != 1:
		c.sendError("one_script_op", "A script submit carries one op; send the next after its ack.", m.Doc, TypeSubmit)
		return
	}
	if err := c.allow(domain.PermEdit, m.Doc); err != nil {
		reject("forbidden", err.Error())
		return
	}
	r.submit(submission{p: c, user: c.user, clientID: c.clientID, msg: m})
}

// setPresence relays presence, at most one message per PresenceInterval per document; updates
// within the interval are coalesced into the last one.
func (c *Session) setPresence(m Presence) {
	if len(m.State) > MaxPresenceBytes {
		c.sendError("presence_too_large", fmt.Sprintf("Presence state is at most %d bytes.", MaxPresenceBytes), m.Doc, TypePresence)
		return
	}
	c.mu.Lock()
	r, ok := c.rooms[m.Doc]
	if !ok {
		c.mu.Unlock()
		c.sendError("not_subscribed", "Subscribe to the document before sending presence.", truncate(m.Doc, 60), TypePresence)
		return
	}
	slot := c.presence[m.Doc]
	if slot == nil {
		slot = &presenceSlot{}
		c.presence[m.Doc] = slot
	}
	wait := c.s.cfg.PresenceInterval - time.Since(slot.last)
	if wait <= 0 {
		slot.last = time.Now()
		c.mu.Unlock()
		r.presence(c, m.State)
		return
	}
	first := slot.pending == nil
	slot.pending = m.State
	if first {
		slot.timer = time.AfterFunc(wait, func() {
			c.mu.Lock()
			state := slot.pending
			slot.pending, slot.last = nil, time.Now()
			_, still := c.rooms[m.Doc]
			c.mu.Unlock()
			if still && state != nil && !c.closed.Load() {
				r.presence(c, state)
			}
		})
	}
	c.mu.Unlock()
}
