// Package sqlite is the embedded SQLite backend of eventstore.Store (modernc.org/sqlite, pure Go):
// GoFlow's zero-setup default for a single node.
//
// All writes go through one connection, so appends are serialized and an event's global_position
// order is its commit order: a reader of the global log never finds an event behind a position it
// has already passed. Reads use a separate pool; WAL mode lets them run beside the writer.
// Subscriptions are woken after every local commit and poll as a fallback (for instance for appends
// by another process on the same file).
package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/migrations"
)

// Config configures a Store.
type Config struct {
	// Path is the database file; required. Its parent directory is created (0o700) if missing.
	Path string
	// PollInterval bounds how long a caught-up subscription waits without a wake-up; default 1s.
	PollInterval time.Duration
	// BeforeCommit is a test hook (see eventstore.BeforeCommitFunc); nil in production.
	BeforeCommit eventstore.BeforeCommitFunc
	// Logger receives operational messages; default slog.Default().
	Logger *slog.Logger
}

// Store is the SQLite event store.
type Store struct {
	writer *sql.DB // exactly one connection: serializes every write
	reader *sql.DB
	cfg    Config
	log    *slog.Logger
	wake   *eventstore.Signal
	// writeStmts and readStmts hold the prepared hot statements of the writer and the reader pool.
	writeStmts *stmtCache
	readStmts  *stmtCache

	// mu guards closed; inflight counts running operations so that Close can wait for them.
	mu       sync.RWMutex
	closed   bool
	inflight sync.WaitGroup
}

var (
	_ eventstore.Store         = (*Store)(nil)
	_ eventstore.BatchAppender = (*Store)(nil)
)

// busyTimeout is how long a connection waits for a lock held by another connection (or process)
// before failing with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Open opens (creating if needed) the database at cfg.Path. It does not migrate: call Migrate.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := validateConfig(cfg); err != nil {
		return nil, fmt.Errorf("sqlite event store: %w", err)
	}
	cfg.PollInterval = cmp.Or(cfg.PollInterval, time.Second)
	path, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("sqlite event store: path %q: %w", cfg.Path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite event store: create directory: %w", err)
	}

	s := &Store{
		cfg:  cfg,
		log:  cmp.Or(cfg.Logger, slog.Default()),
		wake: eventstore.NewSignal(),
	}
	s.writer, err = sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("sqlite event store: open %s: %w", path, err)
	}
	s.writer.SetMaxOpenConns(1)
	s.writer.SetMaxIdleConns(1)
	// Connect the writer first: it creates the file and switches it to WAL before any reader
	// connection races it for that.
	if err := s.writer.PingContext(ctx); err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("sqlite event store: open %s: %w", path, err)
	}

	s.reader, err = sql.Open("sqlite", dsn(path, false))
	if err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("sqlite event store: open %s: %w", path, err)
	}
	readers := max(4, runtime.NumCPU())
	s.reader.SetMaxOpenConns(readers)
	s.reader.SetMaxIdleConns(readers)
	if err := s.reader.PingContext(ctx); err != nil {
		s.writer.Close()
		s.reader.Close()
		return nil, fmt.Errorf("sqlite event store: open %s: %w", path, err)
	}
	s.writeStmts = newStmtCache(s.writer)
	s.readStmts = newStmtCache(s.reader)
	s.log.Debug("sqlite event store opened", "path", path)
	return s, nil
}

func validateConfig(cfg Config) error {
	switch {
	case cfg.Path == "":
		return invalid("no database path")
	case strings.HasPrefix(cfg.Path, ":memory:") || strings.HasPrefix(cfg.Path, "file:"):
		// The store keeps a writer and a reader pool on one file; an in-memory database or a
		// hand-written URI would give them different databases or lose the pragmas.
		return invalid("path %q must be a plain file path", cfg.Path)
	case cfg.PollInterval < 0:
		return invalid("negative poll interval %s", cfg.PollInterval)
	}
	return nil
}

// dsn builds a file: URI whose pragmas the driver applies to every connection it opens, so that
// pooled connections that come and go are all configured alike. The path is URL-escaped: a '?' or
// '#' in a directory name must not end the path.
func dsn(path string, writer bool) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: file:///C:/...
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)") // durable in WAL mode except on power loss
	q.Add("_pragma", "foreign_keys(1)")
	if writer {
		// Take the write lock at BEGIN: a deferred transaction that reads, then writes, fails
		// with SQLITE_BUSY (no retry) if another process committed in between.
		q.Set("_txlock", "immediate")
	}
	return (&url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}).String()
}

// DB returns the reader pool (for tests and tools).
func (s *Store) DB() *sql.DB { return s.reader }

// Migrate applies pending migrations and returns how many ran. It runs on the writer connection,
// so it never contends with this store's appends.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	if err := s.enter(); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	defer s.inflight.Done()
	return migrations.Up(ctx, s.writer, migrations.SQLite)
}

// MigrationStatus lists every migration and whether it is applied.
func (s *Store) MigrationStatus(ctx context.Context) ([]migrations.Status, error) {
	if err := s.enter(); err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	defer s.inflight.Done()
	return migrations.List(ctx, s.reader, migrations.SQLite)
}

// Ping checks that the database answers. It uses the reader pool, so a long append does not
// make the store look down.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.enter(); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	defer s.inflight.Done()
	if err := s.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	return nil
}

// Close waits for in-flight operations and closes the database. Later calls return ErrClosed;
// running subscriptions end with ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	// Wake caught-up subscriptions so that their next read reports ErrClosed now rather than
	// after a poll interval.
	s.wake.Notify()
	s.inflight.Wait()
	if err := errors.Join(s.writeStmts.close(), s.readStmts.close(), s.writer.Close(), s.reader.Close()); err != nil {
		return fmt.Errorf("close sqlite event store: %w", err)
	}
	return nil
}

// enter registers an in-flight operation, or reports that the store is closed. Callers that get
// nil must call s.inflight.Done.
func (s *Store) enter() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return eventstore.ErrClosed
	}
	s.inflight.Add(1)
	return nil
}

// Subscribe follows the global log; see eventstore.Store.
func (s *Store) Subscribe(ctx context.Context, params eventstore.SubscribeParams, handle eventstore.Handler) error {
	if err := s.enter(); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	// Only the check is registered: a subscription can run for the store's whole life, so Close
	// waits for its reads (each ReadAll registers itself), not for it.
	s.inflight.Done()
	if params.After < 0 || params.BatchSize < 0 {
		return fmt.Errorf("subscribe: %w", invalid("cursor %d, batch size %d", params.After, params.BatchSize))
	}
	if handle == nil {
		return fmt.Errorf("subscribe: %w", invalid("no handler"))
	}
	return eventstore.Follow(ctx, eventstore.FollowParams{
		SubscribeParams: params,
		Read:            s.ReadAll,
		Wake:            s.wake,
		PollInterval:    s.cfg.PollInterval,
	}, handle)
}
