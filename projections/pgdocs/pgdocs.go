// Package pgdocs is the Postgres DocStore of package projections: tables read_models and
// projection_checkpoints (migrations/postgres/00002_projections.sql) in the event store's database.
//
// An Update is one transaction: it takes a per-projection advisory lock (serializing updates of
// one projection), reads documents on demand (cached by the transaction), and sends every write and
// the checkpoint as one pipelined batch of multi-row statements. Projection transactions run with
// synchronous_commit off: they stay atomic and consistent, and a crash can only lose the last
// moments of projection progress together with its checkpoint, which is then re-applied from the
// log.
package pgdocs

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/goflow-dev/goflow/projections"
	"github.com/goflow-dev/goflow/projections/internal/docbuf"
)

// lockClass keeps the projection locks apart from other advisory locks ('GoFm'; the event store's
// stream locks use 'GoFl').
const lockClass = 1198475885

// Limits of one multi-row upsert statement.
const (
	maxUpsertRows  = 500
	maxUpsertBytes = 16 << 20
)

// Store is the Postgres DocStore.
type Store struct {
	pool *pgxpool.Pool
}

var _ projections.DocStore = (*Store)(nil)

// New returns a DocStore over pool (the event store's: postgres.Store.Pool()). Closing the pool
// is the owner's business.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

const (
	setupSQL = `SET LOCAL synchronous_commit = off`
	lockSQL  = `SELECT pg_advisory_xact_lock($1, hashtext($2))`

	loadSQL = `SELECT key, data, version, updated_at FROM read_models WHERE projection = $1 AND key = ANY ($2)`

	upsertSQL = `INSERT INTO read_models AS r (projection, key, data, version, updated_at)
SELECT $1, u.k, u.d, u.v, now() FROM unnest($2::text[], $3::json[], $4::bigint[]) AS u(k, d, v)
ON CONFLICT (projection, key) DO UPDATE
SET data = excluded.data, version = excluded.version, updated_at = excluded.updated_at`

	deleteSQL = `DELETE FROM read_models WHERE projection = $1 AND key = ANY ($2)`

	checkpointSQL = `INSERT INTO projection_checkpoints AS c (name, position, events, updated_at)
VALUES ($1, $2, $3, now())
ON CONFLICT (name) DO UPDATE
SET position = excluded.position, events = c.events + excluded.events, updated_at = excluded.updated_at`
)

// Update runs fn in one transaction with the projection's checkpoint; see projections.DocStore.
func (s *Store) Update(ctx context.Context, projection string, fn func(tx projections.DocTx) error, checkpoint, events int64) error {
	if err := validateUpdate(projection, checkpoint, events); err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("update %s: begin: %w", projection, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after Commit

	// The lock is taken with the first read, or else in the flush batch: a transaction that only
	// writes (or only moves the checkpoint) costs begin, one batch and commit.
	locked := false
	queueSetup := func(b *pgx.Batch) {
		b.Queue(setupSQL)
		b.Queue(lockSQL, lockClass, projection)
		locked = true
	}
	buf := docbuf.New(func(keys []string) (map[string]projections.Doc, error) {
		if !locked {
			b := &pgx.Batch{}
			queueSetup(b)
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return nil, fmt.Errorf("lock: %w", err)
			}
		}
		return load(ctx, tx, projection, keys)
	})
	if err := fn(buf); err != nil {
		return err
	}
	puts, deletes, err := buf.Flush()
	if err != nil {
		return err
	}
	b := &pgx.Batch{}
	if !locked {
		queueSetup(b)
	}
	queueUpserts(b, projection, puts)
	if len(deletes) > 0 {
		b.Queue(deleteSQL, projection, deletes)
	}
	b.Queue(checkpointSQL, projection, checkpoint, events)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("update %s: write: %w", projection, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("update %s: commit: %w", projection, err)
	}
	return nil
}

func validateUpdate(projection string, checkpoint, events int64) error {
	if err := projections.ValidateName(projection); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if checkpoint < 0 || events < 0 {
		return fmt.Errorf("update %s: %w: negative checkpoint %d or event count %d", projection, projections.ErrInvalid, checkpoint, events)
	}
	return nil
}

// queueUpserts queues multi-row upserts of docs, split so that no statement grows too large.
func queueUpserts(b *pgx.Batch, projection string, docs []projections.Doc) {
	for len(docs) > 0 {
		n, size := 0, 0
		for n < len(docs) && n < maxUpsertRows && (n == 0 || size+len(docs[n].Data) <= maxUpsertBytes) {
			size += len(docs[n].Data)
			n++
		}
		keys, data, versions := make([]string, n), make([]string, n), make([]int64, n)
		for i, d := range docs[:n] {
			keys[i], data[i], versions[i] = d.Key, string(d.Data), d.Version
		}
		b.Queue(upsertSQL, projection, keys, data, versions)
		docs = docs[n:]
	}
}

func load(ctx context.Context, q pgx.Tx, projection string, keys []string) (map[string]projections.Doc, error) {
	rows, err := q.Query(ctx, loadSQL, projection, keys)
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

func scanDoc(row pgx.Row) (projections.Doc, error) {
	var d projections.Doc
	var data []byte
	var t time.Time
	if err := row.Scan(&d.Key, &data, &d.Version, &t); err != nil {
		return d, err
	}
	d.Data, d.UpdatedAt = data, t.UTC()
	return d, nil
}

// Checkpoint returns the projection's cursor and event count; see projections.DocStore.
func (s *Store) Checkpoint(ctx context.Context, projection string) (position, events int64, err error) {
	if err := projections.ValidateName(projection); err != nil {
		return 0, 0, fmt.Errorf("checkpoint: %w", err)
	}
	err = s.pool.QueryRow(ctx, `SELECT position, events FROM projection_checkpoints WHERE name = $1`, projection).
		Scan(&position, &events)
	if errors.Is(err, pgx.ErrNoRows) {
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
	d, err := scanDoc(s.pool.QueryRow(ctx,
		`SELECT key, data, version, updated_at FROM read_models WHERE projection = $1 AND key = $2`, projection, key))
	if errors.Is(err, pgx.ErrNoRows) {
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
	err := s.pool.QueryRow(ctx,
		`SELECT version FROM read_models WHERE projection = $1 AND key = $2`, projection, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
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
	// Only the bounds in use go into the query, so that each is an index condition.
	var sb strings.Builder
	sb.WriteString(`SELECT key, data, version, updated_at FROM read_models WHERE projection = $1`)
	args := []any{projection}
	for _, c := range []struct{ op, v string }{{">", r.After}, {">=", r.From}, {"<", r.Below}} {
		if c.v != "" {
			args = append(args, c.v)
			sb.WriteString(" AND key " + c.op + " $" + strconv.Itoa(len(args)))
		}
	}
	args = append(args, r.Limit+1)
	sb.WriteString(" ORDER BY key LIMIT $" + strconv.Itoa(len(args)))
	rows, err := s.pool.Query(ctx, sb.String(), args...)
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(lockSQL, lockClass, projection)
		b.Queue(`DELETE FROM read_models WHERE projection = $1`, projection)
		b.Queue(`DELETE FROM projection_checkpoints WHERE name = $1`, projection)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("reset %s: %w", projection, err)
	}
	return nil
}

// reachedSQL compares two cursors in the log's order, (transaction_id, global_position): see
// docs/architecture.md, "The global log, in commit-safe order".
const reachedSQL = `SELECT EXISTS (
    SELECT 1 FROM projection_checkpoints p
    JOIN events c ON c.global_position = p.position
    JOIN events e ON e.global_position = $2
    WHERE p.name = $1 AND (e.transaction_id, e.global_position) <= (c.transaction_id, c.global_position))`

// Reached reports whether the projection has applied the event at position; see
// projections.DocStore.
func (s *Store) Reached(ctx context.Context, projection string, position int64) (bool, error) {
	if err := projections.ValidateName(projection); err != nil {
		return false, fmt.Errorf("reached: %w", err)
	}
	if position <= 0 {
		return true, nil
	}
	var ok bool
	if err := s.pool.QueryRow(ctx, reachedSQL, projection, position).Scan(&ok); err != nil {
		return false, fmt.Errorf("has %s reached %d: %w", projection, position, err)
	}
	return ok, nil
}

// EventCount returns the number of events in the log.
func (s *Store) EventCount(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}
