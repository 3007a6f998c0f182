package realtime

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
)

// Sentinel errors of the engine; test with errors.Is.
var (
	// ErrUnknownDoc: the doc id is not "page-<id>" or "script-<id>", or no such document exists.
	ErrUnknownDoc = errors.New("unknown document")
	// ErrClosed: the engine has stopped.
	ErrClosed = errors.New("engine stopped")
)

// Fanout tells other nodes about commits faster than the event log's wake-ups can (NATS
// JetStream in production: package realtime/natsfanout). It is an optimisation: the engine keeps
// following the log, which stays the source of truth and the fallback.
type Fanout interface {
	// Publish announces that doc reached version on this node. Best effort.
	Publish(ctx context.Context, doc string, version int64) error
	// Subscribe calls fn for every announcement (its own included) until ctx ends.
	Subscribe(ctx context.Context, fn func(doc string, version int64)) error
}

// EngineConfig configures an Engine.
type EngineConfig struct {
	Store   eventstore.Store
	Catalog *domain.Catalog
	Logger  *slog.Logger
	// BatchWindow is how long a room waits after the first op of a batch for more ops to join
	// the same append; default 2ms. Zero-cost when the room is idle: it only delays ops that
	// would otherwise wait for the previous append anyway.
	BatchWindow time.Duration
	// CatchUpLimit is the most missed events a subscribe answers with; a client further behind
	// gets a snapshot. Default 1000.
	CatchUpLimit int64
	// ScriptHistory is how many recent text changes a script room keeps to transform late
	// edits against; an edit based on an older version is rejected (base_too_old) and the client
	// resubscribes. Default 1000.
	ScriptHistory int
	// Now is the clock of event times; default time.Now.
	Now func() time.Time
	// NewID generates ids for nodes the server creates; default a UUID v7.
	NewID func() string
	// AfterCommit, if set, runs after each append a room commits, under the room's lock, with the
	// state after it (*domain.Page or *domain.Script; read it, do not keep it). The web layer
	// saves page snapshots with it, as it does for its own writes.
	AfterCommit func(ctx context.Context, doc string, before, after int64, state any)
	// Fanout, if set, announces this node's commits to the others and hands theirs to the rooms
	// here as soon as they arrive.
	Fanout Fanout
	// FollowLog, when false, stops Run from following the log, leaving Fanout as the only way
	// other writers' changes arrive (tests of the fan-out use it). Default true.
	FollowLog *bool
	// Inline commits each submit before Session.Handle returns, instead of on the room's
	// flusher goroutine: no group commit, but a deterministic order for simulations and tools.
	Inline bool
}

// Engine keeps the open documents' rooms and fans committed events out to their subscribers.
type Engine struct {
	cfg EngineConfig
	log *slog.Logger

	mu     sync.Mutex
	rooms  map[string]*room
	closed bool
}

// NewEngine validates cfg and returns an engine. Call Run to follow other writers' events.
func NewEngine(cfg EngineConfig) (*Engine, error) {
	if cfg.Store == nil {
		return nil, errors.New("realtime: EngineConfig.Store is required")
	}
	if cfg.Catalog == nil {
		cat, err := domain.DefaultCatalog()
		if err != nil {
			return nil, err
		}
		cfg.Catalog = cat
	}
	cfg.Logger = cmp.Or(cfg.Logger, slog.Default())
	cfg.BatchWindow = cmp.Or(cfg.BatchWindow, 2*time.Millisecond)
	cfg.CatchUpLimit = cmp.Or(cfg.CatchUpLimit, 1000)
	cfg.ScriptHistory = cmp.Or(cfg.ScriptHistory, 1000)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = newUUID
	}
	return &Engine{cfg: cfg, log: cfg.Logger, rooms: map[string]*room{}}, nil
}

// Run follows the global log from its current head and hands every event of an open document
// to its room, so that changes appended elsewhere (another node, the HTTP API) reach the room's
// subscribers. Events the room appended itself are recognised by version and skipped. It returns
// when ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	if f := e.cfg.Fanout; f != nil {
		go func() {
			err := f.Subscribe(ctx, func(doc string, version int64) {
				if r := e.lookup(doc); r != nil {
					r.external(ctx, version)
				}
			})
			if err != nil && ctx.Err() == nil {
				e.log.Error("realtime: fan-out subscription ended; following the log only", "err", err)
			}
		}()
	}
	if e.cfg.FollowLog != nil && !*e.cfg.FollowLog {
		<-ctx.Done()
		e.mu.Lock()
		e.closed = true
		e.mu.Unlock()
		return nil
	}
	head, err := e.cfg.Store.Head(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("realtime: head of the log: %w", err)
	}
	// Rooms opened before Run reached the head may have missed events appended meanwhile:
	// catch every open room up once the subscription is in place.
	for _, r := range e.openRooms() {
		r.external(ctx, 0)
	}
	err = e.cfg.Store.Subscribe(ctx, eventstore.SubscribeParams{After: head}, func(ctx context.Context, events []eventstore.Envelope) error {
		for _, env := range events {
			if r := e.lookup(env.StreamID); r != nil {
				r.external(ctx, env.StreamVersion)
			}
		}
		return nil
	})
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil
	}
	return err
}

func (e *Engine) openRooms() []*room {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*room, 0, len(e.rooms))
	for _, r := range e.rooms {
		out = append(out, r)
	}
	return out
}

func (e *Engine) lookup(stream string) *room {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rooms[stream]
}

// docKind returns the kind of a doc id ("page" or "script") and the aggregate id.
func docKind(doc string) (kind, id string, ok bool) {
	kind, id, ok = strings.Cut(doc, "-")
	if !ok || id == "" || len(id) > domain.MaxIDLen || (kind != domain.CategoryPage && kind != domain.CategoryScript) {
		return "", "", false
	}
	return kind, id, true
}

// open returns the room of doc, loading it on first use. The caller must release it.
func (e *Engine) open(ctx context.Context, doc string) (*room, error) {
	kind, _, ok := docKind(doc)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownDoc, truncate(doc, 60))
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	r, ok := e.rooms[doc]
	if !ok {
		r = newRoom(e, doc, kind)
		e.rooms[doc] = r
	}
	r.refs++
	e.mu.Unlock()
	if err := r.ensureLoaded(ctx); err != nil {
		e.release(r)
		return nil, err
	}
	return r, nil
}

// release drops a reference to a room; the last one closes it (its state is dropped, the log
// keeps everything).
func (e *Engine) release(r *room) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r.refs--
	if r.refs == 0 && e.rooms[r.doc] == r {
		delete(e.rooms, r.doc)
	}
}

// RoomCount reports how many documents are open (for metrics and tests).
func (e *Engine) RoomCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.rooms)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
