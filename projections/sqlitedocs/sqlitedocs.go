// Package sqlitedocs is the SQLite DocStore of package projections: tables read_models and
// projection_checkpoints (migrations/sqlite/00002_projections.sql) in the event store's file.
//
// Like the event store, it writes through one connection (BEGIN IMMEDIATE, so updates are
// serialized) and reads through a pool; WAL mode lets reads run beside the writers. The event
// store's writer and this one share SQLite's single write lock, waiting for each other up to the
// busy timeout.
package sqlitedocs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/goflow-dev/goflow/projections"
	"github.com/goflow-dev/goflow/projections/internal/docbuf"
)

// upsertRows is the most rows of one multi-row upsert (5 parameters each, far below SQLite's
// limit of 32766).
const upsertRows = 100

// busyTimeout matches the event store's: how long a write waits for the other writer.
const busyTimeout = 10 * time.Second

// Store is the SQLite DocStore.
type Store struct {
	writer *sql.DB // one connection
	reader *sql.DB
}

var _ projections.DocStore = (*Store)(nil)

// Open opens the DocStore on the event store's database file (already migrated by the event
// store's Migrate). Close it before the file goes away.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.HasPrefix(path, ":memory:") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite doc store: %w: path %q must be a plain file path", projections.ErrInvalid, path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite doc store: path %q: %w", path, err)
	}
	s := &Store{}
	if s.writer, err = sql.Open("sqlite", dsn(abs, true)); err != nil {
		return nil, fmt.Errorf("sqlite doc store: open %s: %w", abs, err)
	}
	s.writer.SetMaxOpenConns(1)
	s.writer.SetMaxIdleConns(1)
	if s.reader, err = sql.Open("sqlite", dsn(abs, false)); err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("sqlite doc store: open %s: %w", abs, err)
	}
	readers := max(4, runtime.NumCPU())
	s.reader.SetMaxOpenConns(readers)
	s.reader.SetMaxIdleConns(readers)
	if err := errors.Join(s.writer.PingContext(ctx), s.reader.PingContext(ctx)); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite doc store: open %s: %w", abs, err)
	}
	return s, nil
}

// dsn mirrors the event store's (eventstore/sqlite): the same pragmas on every connection, and
// the write lock taken at BEGIN on the writer.
func dsn(path string, writer bool) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	if writer {
		q.Set("_txlock", "immediate")
	}
	return (&url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}).String()
}

// Close closes the store's connections.
func (s *Store) Close() error {
	if err := errors.Join(s.writer.Close(), s.reader.Close()); err != nil {
		return fmt.Errorf("close sqlite doc store: %w", err)
	}
	return nil
}

const (
	docColumns = `key, data, version, updated_at`

	upsertTail = ` ON CONFLICT (projection, key) DO UPDATE
SET data = excluded.data, version = excluded.version, updated_at = excluded.updated_at`

	checkpointSQL = `INSERT INTO projection_checkpoints AS c (name, position, events, updated_at)
VALUES (?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE
SET position = excluded.position, events = c.events + excluded.events, updated_at = excluded.updated_at`
)

// Update runs fn in one transaction with the projection's checkpoint; see projections.DocStore.
func (s *Store) Update(ctx context.Context, projection string, fn func(tx projections.DocTx) error, checkpoint, events int64) error {
	if err := projections.ValidateName(projection); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if checkpoint < 0 || events < 0 {
		return fmt.Errorf("update %s: %w: negative checkpoint %d or event count %d", projection, projections.ErrInvalid, checkpoint, events)
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update %s: begin: %w", projection, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit

	buf := docbuf.New(func(keys []string) (map[string]projections.Doc, error) {
		return load(ctx, tx, projection, keys)
	})
	if err := fn(buf); err != nil {
		return err
	}
	puts, deletes, err := buf.Flush()
	if err != nil {
		return err
	}
	now := time.Now().UnixMicro()
	if err := upsert(ctx, tx, projection, puts, now); err != nil {
		return fmt.Errorf("update %s: write: %w", projection, err)
	}
	if len(deletes) > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM read_models WHERE projection = ? AND key IN (SELECT value FROM json_each(?))`,
			projection, jsonArray(deletes)); err != nil {
			return fmt.Errorf("update %s: delete: %w", projection, err)
		}
	}
	if _, err := tx.ExecContext(ctx, checkpointSQL, projection, checkpoint, events, now); err != nil {
		return fmt.Errorf("update %s: checkpoint: %w", projection, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("update %s: commit: %w", projection, err)
	}
	return nil
}

// upsert writes docs with multi-row statements of upsertRows rows.
func upsert(ctx context.Context, tx *sql.Tx, projection string, docs []projections.Doc, now int64) error {
	var full *sql.Stmt
	for len(docs) > 0 {
		n := min(len(docs), upsertRows)
		args := make([]any, 0, 5*n)
		for _, d := range docs[:n] {
			args = append(args, projection, d.Key, []byte(d.Data), d.Version, now)
		}
		var err error
		if n == upsertRows {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, upsertSQL(upsertRows)); err != nil {
					return err
				}
				defer full.Close()
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, upsertSQL(n), args...)
		}
		if err != nil {
			return err
		}
		docs = docs[n:]
	}
	return nil
}

func upsertSQL(rows int) string {
	var sb strings.Builder
	sb.WriteString(`INSERT INTO read_models (projection, key, data, version, updated_at) VALUES `)
	for i := range rows {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("(?, ?, ?, ?, ?)")
	}
	sb.WriteString(upsertTail)
	return sb.String()
}

// jsonArray encodes keys as a JSON array for json_each: one parameter however many keys.
func jsonArray(keys []string) string {
	b, _ := json.Marshal(keys) // cannot fail: strings marshal
	return string(b)
}

func load(ctx context.Context, tx *sql.Tx, projection string, keys []string) (map[string]projections.Doc, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+docColumns+` FROM read_models
		WHERE projection = ? AND key IN (SELECT value FROM json_each(?))`, projection, jsonArray(keys))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]projections.Doc, len(keys))
	for rows.Next() {
		d, err := scanDoc(rows)
		if err != nil {
			return nil, err
		}
		out[d.Key] = d
	}
	return out, rows.Err()
}

type scanner interface{ Scan(dest ...any) error }

func scanDoc(row scanner) (projections.Doc, error) {
	var d projections.Doc
	var data []byte
	var t int64
	if err := row.Scan(&d.Key, &data, &d.Version, &t); err != nil {
		return d, err
	}
	d.Data, d.UpdatedAt = data, time.UnixMicro(t).UTC()
	return d, nil
}

// Checkpoint returns the projection's cursor and event count; see projections.DocStore.
func (s *Store) Checkpoint(ctx context.Context, projection string) (position, events int64, err error) {
	if err := projections.ValidateName(projection); err != nil {
		return 0, 0, fmt.Errorf("checkpoint: %w", err)
	}
	err = s.reader.QueryRowContext(ctx, `SELECT position, events FROM projection_checkpoints WHERE name = ?`, projection).
		Scan(&position, &events)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("checkpoint of %s: %w", projection, err)
	}
	return position, events, nil
}

// Get returns one document; see projections.DocStore.
func (s *Store) Get(ctx context.Context, projection, key string) (projections.Doc, error) {
	if err := errors.Join(projections.ValidateName(projection), projections.ValidateKey(key)); err != nil {
		return projections.Doc{}, fmt.Errorf("get: %w", err)
	}
	d, err := scanDoc(s.reader.QueryRowContext(ctx,
		`SELECT `+docColumns+` FROM read_models WHERE projection = ? AND key = ?`, projection, key))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("%s %q: %w", projection, key, projections.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("get %s %q: %w", projection, key, err)
	}
	return d, nil
}

// Version returns a document's version without its data; see projections.DocStore.
func (s *Store) Version(ctx context.Context, projection, key string) (int64, error) {
	if err := errors.Join(projections.ValidateName(projection), projections.ValidateKey(key)); err != nil {
		return 0, fmt.Errorf("version: %w", err)
	}
	var v int64
	err := s.reader.QueryRowContext(ctx,
		`SELECT version FROM read_models WHERE projection = ? AND key = ?`, projection, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%s %q: %w", projection, key, projections.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("version of %s %q: %w", projection, key, err)
	}
	return v, nil
}

// List returns a page of documents in key order; see projections.DocStore.
func (s *Store) List(ctx context.Context, projection string, p projections.ListParams) ([]projections.Doc, string, error) {
	if err := projections.ValidateName(projection); err != nil {
		return nil, "", fmt.Errorf("list: %w", err)
	}
	r, err := p.Resolve()
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", projection, err)
	}
	var sb strings.Builder
	sb.WriteString(`SELECT ` + docColumns + ` FROM read_models WHERE projection = ?`)
	args := []any{projection}
	for _, c := range []struct{ op, v string }{{">", r.After}, {">=", r.From}, {"<", r.Below}} {
		if c.v != "" {
			args = append(args, c.v)
			sb.WriteString(" AND key " + c.op + " ?")
		}
	}
	args = append(args, r.Limit+1)
	sb.WriteString(" ORDER BY key LIMIT ?")
	rows, err := s.reader.QueryContext(ctx, sb.String(), args...)
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", projection, err)
	}
	defer rows.Close()
	docs := make([]projections.Doc, 0, min(r.Limit+1, 64))
	for rows.Next() {
		d, err := scanDoc(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list %s: %w", projection, err)
		}
		docs = append(docs, d)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list %s: %w", projection, err)
	}
	docs, next := r.Page(docs)
	return docs, next, nil
}

// Reset deletes the projection's documents and checkpoint; see projections.DocStore.
func (s *Store) Reset(ctx context.Context, projection string) error {
	if err := projections.ValidateName(projection); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("reset %s: %w", projection, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	for _, q := range []string{
		`DELETE FROM read_models WHERE projection = ?`,
		`DELETE FROM projection_checkpoints WHERE name = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, projection); err != nil {
			return fmt.Errorf("reset %s: %w", projection, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("reset %s: %w", projection, err)
	}
	return nil
}

// Reached reports whether the projection has applied the event at position. SQLite commits in
// position order, so positions compare as numbers.
func (s *Store) Reached(ctx context.Context, projection string, position int64) (bool, error) {
	if position <= 0 {
		if err := projections.ValidateName(projection); err != nil {
			return false, fmt.Errorf("reached: %w", err)
		}
		return true, nil
	}
	cp, _, err := s.Checkpoint(ctx, projection)
	if err != nil {
		return false, err
	}
	return position <= cp, nil
}

// EventCount returns the number of events in the log.
func (s *Store) EventCount(ctx context.Context) (int64, error) {
	var n int64
	if err := s.reader.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}
