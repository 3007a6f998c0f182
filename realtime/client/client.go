package client

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/realtime"
)

// Backoff is the wait between reconnect attempts: Initial, doubling up to Max.
type Backoff struct {
	Initial time.Duration // default 100ms
	Max     time.Duration // default 5s
}

// Config configures a Client.
type Config struct {
	// URL is the co-editing endpoint, e.g. ws://host/api/realtime.
	URL string
	// Header is sent with every upgrade request (Authorization: Bearer gft_...).
	Header http.Header
	// ClientID identifies this client across reconnects (1..64 printable characters).
	ClientID string
	Logger   *slog.Logger
	Backoff  Backoff
	// Catalog, NewID and Now tune local page decisions (see SessionConfig).
	Catalog *domain.Catalog
	NewID   func() string
	Now     func() time.Time
	// HTTPClient dials; default http.DefaultClient.
	HTTPClient *http.Client
	// PingInterval is how often a WebSocket ping checks the connection (an unanswered one ends
	// it and the client reconnects); default 30s, negative disables.
	PingInterval time.Duration
	// ReadLimit caps one server message (page snapshots can be large); default 64 MiB.
	ReadLimit int64
	// ChangesBuffer is the capacity of the Changes channel; default 256.
	ChangesBuffer int
}

// Client runs a Session over a WebSocket, reconnecting with backoff when the connection is lost.
// It is safe for concurrent use.
type Client struct {
	cfg     Config
	log     *slog.Logger
	s       *Session
	changes chan string
	wake    chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}

	mu        sync.Mutex
	notify    chan struct{} // closed and replaced whenever anything changed
	ws        *websocket.Conn
	connected bool
	connects  int
	lastErr   error // what ended the last connection
	fatal     error // why the client stopped reconnecting
	closed    bool
}

// Dial connects, says hello and returns a running client; the first connection must succeed.
// ctx bounds only that first connection.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.URL == "" || cfg.ClientID == "" {
		return nil, errors.New("realtime client: Config needs URL and ClientID")
	}
	if len(cfg.ClientID) > realtime.MaxClientIDLength {
		return nil, fmt.Errorf("realtime client: ClientID is longer than %d bytes", realtime.MaxClientIDLength)
	}
	cfg.Logger = cmp.Or(cfg.Logger, slog.Default())
	cfg.Backoff.Initial = cmp.Or(cfg.Backoff.Initial, 100*time.Millisecond)
	cfg.Backoff.Max = cmp.Or(cfg.Backoff.Max, 5*time.Second)
	cfg.PingInterval = cmp.Or(cfg.PingInterval, 30*time.Second)
	cfg.ReadLimit = cmp.Or(cfg.ReadLimit, 64<<20)
	cfg.ChangesBuffer = cmp.Or(cfg.ChangesBuffer, 256)
	c := &Client{
		cfg:     cfg,
		log:     cfg.Logger,
		changes: make(chan string, cfg.ChangesBuffer),
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		notify:  make(chan struct{}),
	}
	c.s = NewSessionWith(SessionConfig{
		ClientID: cfg.ClientID, Catalog: cfg.Catalog, NewID: cfg.NewID, Now: cfg.Now, Logger: cfg.Logger,
		OnChange: c.onChange, OnOutbox: c.onOutbox,
	})
	ws, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	go c.run(ws)
	return c, nil
}

func (c *Client) onChange(doc string) {
	select {
	case c.changes <- doc:
	default: // a slow reader misses a notification, not the state
	}
}

func (c *Client) onOutbox() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// broadcast wakes every waiter.
func (c *Client) broadcast() {
	c.mu.Lock()
	close(c.notify)
	c.notify = make(chan struct{})
	c.mu.Unlock()
}

// connect dials, says hello, reads the welcome and queues the resubscribes.
func (c *Client) connect(ctx context.Context) (*websocket.Conn, error) {
	ws, resp, err := websocket.Dial(ctx, c.cfg.URL, &websocket.DialOptions{HTTPHeader: c.cfg.Header, HTTPClient: c.cfg.HTTPClient})
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
			return nil, &DialError{Status: resp.StatusCode, err: err}
		}
		return nil, fmt.Errorf("realtime client: dial %s: %w", c.cfg.URL, err)
	}
	ws.SetReadLimit(c.cfg.ReadLimit)
	hello, err := json.Marshal(c.s.Hello())
	if err != nil {
		_ = ws.CloseNow()
		return nil, err
	}
	if err := ws.Write(ctx, websocket.MessageText, hello); err != nil {
		_ = ws.CloseNow()
		return nil, fmt.Errorf("realtime client: hello: %w", err)
	}
	_, data, err := ws.Read(ctx)
	if err != nil {
		_ = ws.CloseNow()
		return nil, fmt.Errorf("realtime client: waiting for welcome: %w", err)
	}
	var env realtime.Envelope
	if json.Unmarshal(data, &env) != nil || env.Type != realtime.TypeWelcome {
		_ = ws.Close(realtime.CloseProtocolError, "expected a welcome")
		return nil, fmt.Errorf("realtime client: expected a welcome, got %.100s", data)
	}
	if err := c.s.Receive(data); err != nil {
		_ = ws.Close(realtime.CloseProtocolError, "bad welcome")
		return nil, err
	}
	c.s.Reconnected()
	c.mu.Lock()
	c.ws, c.connected = ws, true
	c.connects++
	c.mu.Unlock()
	c.broadcast()
	return ws, nil
}

// DialError is an upgrade the server refused for the credentials (401 or 403); the client does
// not retry it.
type DialError struct {
	Status int
	err    error
}

func (e *DialError) Error() string {
	return fmt.Sprintf("realtime client: upgrade refused with HTTP %d: %v", e.Status, e.err)
}

func (e *DialError) Unwrap() error { return e.err }

// CloseCode returns the WebSocket close code in err (realtime.CloseAuthFailed, ...), or -1.
func CloseCode(err error) int { return int(websocket.CloseStatus(err)) }

// fatal reports whether err ends the client instead of a reconnect.
func fatal(err error) bool {
	var de *DialError
	if errors.As(err, &de) {
		return true
	}
	switch CloseCode(err) {
	case realtime.CloseAuthFailed, realtime.CloseProtocolVersion, realtime.CloseProtocolError:
		return true
	}
	return false
}

// run serves connections until Close or a fatal error.
func (c *Client) run(ws *websocket.Conn) {
	defer close(c.done)
	defer c.broadcast()
	wait := c.cfg.Backoff.Initial
	for {
		err := c.serve(ws)
		c.mu.Lock()
		c.ws, c.connected, c.lastErr = nil, false, err
		c.mu.Unlock()
		c.broadcast()
		for {
			if c.ctx.Err() != nil || errors.Is(c.Err(), ErrClosed) {
				return
			}
			if fatal(err) {
				c.log.Error("realtime client: giving up", "err", err)
				c.mu.Lock()
				c.fatal = err
				c.mu.Unlock()
				return
			}
			c.log.Info("realtime client: connection lost; reconnecting", "err", err, "in", wait)
			select {
			case <-c.ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(2*wait, c.cfg.Backoff.Max)
			dctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
			ws, err = c.connect(dctx)
			cancel()
			if err == nil {
				wait = c.cfg.Backoff.Initial
				break
			}
			c.mu.Lock()
			c.lastErr = err
			c.mu.Unlock()
		}
	}
}

// serve reads and writes one connection until it fails or the client closes.
func (c *Client) serve(ws *websocket.Conn) error {
	ctx, cancel := context.WithCancel(c.ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() {
		if err := c.writeLoop(ctx, ws); err != nil && ctx.Err() == nil {
			c.log.Debug("realtime client: write failed", "err", err)
			_ = ws.CloseNow() // ends the read below
		}
	})
	if c.cfg.PingInterval > 0 {
		wg.Go(func() { c.pingLoop(ctx, ws) })
	}
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return err
		}
		if err := c.s.Receive(data); err != nil {
			c.log.Warn("realtime client: bad message", "err", err)
		}
		c.broadcast()
	}
}

func (c *Client) writeLoop(ctx context.Context, ws *websocket.Conn) error {
	for {
		for _, m := range c.s.Outbox() {
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := ws.Write(wctx, websocket.MessageText, m)
			cancel()
			if err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-c.wake:
		}
	}
}

func (c *Client) pingLoop(ctx context.Context, ws *websocket.Conn) {
	tk := time.NewTicker(c.cfg.PingInterval)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
			pctx, cancel := context.WithTimeout(ctx, c.cfg.PingInterval)
			err := ws.Ping(pctx)
			cancel()
			if err != nil && ctx.Err() == nil {
				c.log.Info("realtime client: ping unanswered", "err", err)
				_ = ws.CloseNow()
				return
			}
		}
	}
}

// Close ends the connection (normal closure) and stops reconnecting.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	ws := c.ws
	c.mu.Unlock()
	if ws != nil {
		_ = ws.Close(websocket.StatusNormalClosure, "")
	}
	c.cancel()
	<-c.done
	return nil
}

// Session returns the client's session (documents, presence, errors).
func (c *Client) Session() *Session { return c.s }

// Changes delivers the ids of documents whose state changed; when the reader falls behind,
// notifications are dropped (the state can always be read).
func (c *Client) Changes() <-chan string { return c.changes }

// Connected reports whether a connection is up.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connected
}

// Connects counts the successful connections (the first one included).
func (c *Client) Connects() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connects
}

// LastError returns what ended the last connection or connection attempt (nil while the first
// is up); CloseCode gives its close code.
func (c *Client) LastError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

// Err returns why the client stopped: ErrClosed after Close, the fatal error after the server
// refused the credentials or the protocol; nil while it runs.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return ErrClosed
	default:
		return c.fatal
	}
}

// Wait blocks until cond holds (checked after every change), ctx ends, or the client stops.
func (c *Client) Wait(ctx context.Context, cond func(s *Session) bool) error {
	for {
		c.mu.Lock()
		ch := c.notify
		c.mu.Unlock()
		if cond(c.s) {
			return nil
		}
		if err := c.Err(); err != nil {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// OpenPage subscribes to a page (its id, or its doc id "page-<id>") and waits for its state.
func (c *Client) OpenPage(ctx context.Context, pageID string) (*PageDoc, error) {
	doc := docID(domain.CategoryPage, pageID)
	if err := c.open(ctx, doc); err != nil {
		return nil, err
	}
	return c.s.Page(doc), nil
}

// OpenScript subscribes to a script (its id, or "script-<id>") and waits for its state.
func (c *Client) OpenScript(ctx context.Context, scriptID string) (*ScriptDoc, error) {
	doc := docID(domain.CategoryScript, scriptID)
	if err := c.open(ctx, doc); err != nil {
		return nil, err
	}
	return c.s.Script(doc), nil
}

func docID(kind, id string) string {
	if k, ok := docKind(id); ok && k == kind {
		return id
	}
	return kind + "-" + id
}

func (c *Client) open(ctx context.Context, doc string) error {
	if err := c.s.Open(doc); err != nil {
		return err
	}
	var refused error
	err := c.Wait(ctx, func(s *Session) bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		d := s.docs[doc]
		if d == nil {
			refused = fmt.Errorf("%w: %q was closed", ErrUnknownDoc, doc)
			return true
		}
		b := d.base()
		if b.err != nil {
			refused = &SubscribeError{Doc: doc, Code: b.err.Code, Message: b.err.Message}
			return true
		}
		return b.loaded && !b.awaiting
	})
	return cmp.Or(err, refused)
}

// Flush waits until the server has decided every op submitted so far.
func (c *Client) Flush(ctx context.Context) error {
	return c.Wait(ctx, func(s *Session) bool { return s.Pending() == 0 })
}

// WaitVersion waits until doc's confirmed version is at least v.
func (c *Client) WaitVersion(ctx context.Context, doc string, v int64) error {
	return c.Wait(ctx, func(s *Session) bool {
		have, ok := s.version(doc)
		return ok && have >= v
	})
}

// Drop closes the current connection abruptly, as a network failure would; the client
// reconnects. For tests.
func (c *Client) Drop() {
	c.mu.Lock()
	ws := c.ws
	c.mu.Unlock()
	if ws != nil {
		_ = ws.CloseNow()
	}
}
