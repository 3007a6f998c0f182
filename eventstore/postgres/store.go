// Package postgres is the Postgres backend of eventstore.Store (pgx/v5).
//
// An append is one call of the goflow_append SQL function (see migrations/postgres): a per-stream
// advisory lock, the idempotency and expected-version checks, and one multi-row insert, in a single
// round trip. Rows carry the xid8 of the transaction that wrote them; readers of the global log only
// read below the oldest running transaction, so a transaction that commits late is never skipped.
// LISTEN/NOTIFY wakes subscriptions on other nodes; polling is the fallback.
package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/migrations"
)

// NotifyChannel is the LISTEN/NOTIFY channel that announces new events. Its payload is only a
// wake-up: the rows are the truth.
const NotifyChannel = "goflow_events"

// Config configures a Store.
type Config struct {
	// URL is the postgres:// connection string. Required unless Pool is set. A pool_max_conns
	// parameter in it is respected; otherwise the pool gets MaxConns connections.
	URL string
	// Pool, if set, is used instead of opening one from URL; Close does not close it.
	Pool *pgxpool.Pool
	// MaxConns is the pool size when URL sets none; default max(16, 4 x CPUs).
	MaxConns int32
	// PollInterval bounds how long a caught-up subscription waits without a wake-up; default 1s.
	PollInterval time.Duration
	// NotifyInterval is the least time between two NOTIFYs this node sends, bounding how long
	// another node waits to learn of an append; default 5ms.
	NotifyInterval time.Duration
	// NoListen disables LISTEN for other nodes' appends (subscriptions then rely on local wake-ups
	// and polling).
	NoListen bool
	// BeforeCommit is a test hook (see eventstore.BeforeCommitFunc); nil in production.
	BeforeCommit eventstore.BeforeCommitFunc
	// Logger receives background errors (listener reconnects); default slog.Default().
	Logger *slog.Logger
}

// Store is the Postgres event store.
type Store struct {
	pool     *pgxpool.Pool
	ownsPool bool
	cfg      Config
	log      *slog.Logger
	wake     *eventstore.Signal

	// mu guards closed; inflight counts appends so that Close can wait for them; closing ends
	// running subscriptions.
	mu       sync.RWMutex
	closed   bool
	inflight sync.WaitGroup
	closing  context.Context
	close    context.CancelFunc

	notifyPending chan struct{}
	cancel        context.CancelFunc
	background    sync.WaitGroup
}

var (
	_ eventstore.Store         = (*Store)(nil)
	_ eventstore.BatchAppender = (*Store)(nil)
)

// Open connects to Postgres. It does not migrate: call Migrate.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg.PollInterval = cmp.Or(cfg.PollInterval, time.Second)
	cfg.NotifyInterval = cmp.Or(cfg.NotifyInterval, 5*time.Millisecond)
	s := &Store{
		cfg:           cfg,
		log:           cmp.Or(cfg.Logger, slog.Default()),
		wake:          eventstore.NewSignal(),
		notifyPending: make(chan struct{}, 1),
		pool:          cfg.Pool,
	}
	if s.pool == nil {
		if cfg.URL == "" {
			return nil, errors.New("postgres event store: no URL")
		}
		pc, err := pgxpool.ParseConfig(cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("postgres event store: parse URL: %w", err)
		}
		if !strings.Contains(cfg.URL, "pool_max_conns") {
			pc.MaxConns = cmp.Or(cfg.MaxConns, int32(max(16, 4*runtime.NumCPU())))
		}
		s.pool, err = pgxpool.NewWithConfig(ctx, pc)
		if err != nil {
			return nil, fmt.Errorf("postgres event store: connect: %w", err)
		}
		s.ownsPool = true
	}
	if err := s.pool.Ping(ctx); err != nil {
		s.closePool()
		return nil, fmt.Errorf("postgres event store: ping: %w", err)
	}
	s.closing, s.close = context.WithCancel(context.Background())
	bg, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.background.Add(1)
	go s.notifier(bg)
	if !cfg.NoListen {
		s.background.Add(1)
		go s.listen(bg)
	}
	return s, nil
}

// Pool returns the connection pool (for tools and tests).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Migrate applies pending migrations and returns how many ran.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	return migrations.Up(ctx, db, migrations.Postgres)
}

// MigrationStatus lists every migration and whether it is applied.
func (s *Store) MigrationStatus(ctx context.Context) ([]migrations.Status, error) {
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	return migrations.List(ctx, db, migrations.Postgres)
}

// Ping checks the connection.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.open(); err != nil {
		return err
	}
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	return nil
}

// Close waits for in-flight appends, stops background work and closes the pool.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.close()
	s.inflight.Wait()
	s.cancel()
	s.background.Wait()
	s.closePool()
	return nil
}

func (s *Store) closePool() {
	if s.ownsPool {
		s.pool.Close()
	}
}

// open reports ErrClosed once Close has begun.
func (s *Store) open() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return eventstore.ErrClosed
	}
	return nil
}

// begin registers an in-flight append, or reports that the store is closed.
func (s *Store) begin() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return eventstore.ErrClosed
	}
	s.inflight.Add(1)
	return nil
}

// committed wakes local subscriptions at once and asks the notifier to tell other nodes.
func (s *Store) committed() {
	s.wake.Notify()

	select {
	case s.notifyPending <- struct{}{}:
	default: // a NOTIFY is already pending; it covers this commit too
	}
}

// notifier sends NOTIFY outside the append transactions: a NOTIFY inside them would serialize
// every commit on the notification queue lock. Bursts of commits collapse into one NOTIFY.
func (s *Store) notifier(ctx context.Context) {
	defer s.background.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.notifyPending:
		}
		if _, err := s.pool.Exec(ctx, "SELECT pg_notify($1, '')", NotifyChannel); err != nil && ctx.Err() == nil {
			s.log.Warn("event store notify failed; other nodes will poll", "err", err)
		}
		// Commits during this pause share the next NOTIFY: busy nodes send at most one per
		// NotifyInterval instead of one per append.
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.cfg.NotifyInterval):
		}
	}
}

// listen wakes subscriptions when another node appends. It reconnects with backoff and wakes
// everyone after a reconnect, since notifications sent meanwhile are lost.
func (s *Store) listen(ctx context.Context) {
	defer s.background.Done()
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("event store listener lost its connection; reconnecting", "err", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
		s.wake.Notify()
	}
}

func (s *Store) listenOnce(ctx context.Context) error {
	pooled, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection carries LISTEN state, so it must not go back to the pool.
	conn := pooled.Hijack()
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
		return err
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		s.wake.Notify()
	}
}

// Subscribe follows the global log; see eventstore.Store.
func (s *Store) Subscribe(ctx context.Context, params eventstore.SubscribeParams, handle eventstore.Handler) error {
	if err := s.open(); err != nil {
		return err
	}
	// The subscription also ends when the store closes, and then says so.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.closing, cancel)
	defer stop()
	err := eventstore.Follow(ctx, eventstore.FollowParams{
		SubscribeParams: params,
		Read:            s.ReadAll,
		Wake:            s.wake,
		PollInterval:    s.cfg.PollInterval,
	}, handle)
	if s.closing.Err() != nil {
		return fmt.Errorf("subscription: %w", eventstore.ErrClosed)
	}
	return err
}

// queryer is what both a pool and a transaction offer.
type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}
