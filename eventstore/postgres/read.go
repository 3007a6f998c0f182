package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/goflow-dev/goflow/eventstore"
)

const envelopeColumns = `event_id, stream_id, stream_version, global_position, event_type, data,
schema_version, actor, causation_id, correlation_id, client_op_id, created_at`

// readAllSQL pages the global log after a cursor in (transaction_id, global_position) order, only
// below the oldest transaction still running (pg_snapshot_xmin of the statement's snapshot): every
// transaction below it has ended, so a late commit can never land behind the cursor, and the bound
// never moves backwards. A write transaction held open anywhere on the server (in any database)
// delays delivery until it ends; nothing is lost. Narrower bounds were tried and dropped (see
// docs/architecture.md): one skipped events, the other could move backwards.
const readAllSQL = `SELECT ` + envelopeColumns + ` FROM events
WHERE (transaction_id, global_position) > (
        coalesce((SELECT transaction_id FROM events WHERE global_position = $1), '0'::xid8), $1)
  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
  AND ($3 = '' OR stream_id = $3 OR starts_with(stream_id, $3 || '-'))
ORDER BY transaction_id, global_position
LIMIT $2`

// ReadAll returns the next page of the global log; see eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, p eventstore.ReadAllParams) ([]eventstore.Envelope, error) {
	if err := s.open(); err != nil {
		return nil, err
	}
	if p.After < 0 || p.Limit < 0 {
		return nil, fmt.Errorf("%w: negative cursor or limit", eventstore.ErrInvalidInput)
	}
	if p.Topic != "" {
		if err := eventstore.ValidateStreamID(p.Topic); err != nil {
			return nil, fmt.Errorf("topic: %w", err)
		}
	}
	limit := cmp.Or(p.Limit, 500)
	rows, err := s.pool.Query(ctx, readAllSQL, p.After, limit, p.Topic)
	if err != nil {
		return nil, fmt.Errorf("read global log after %d: %w", p.After, err)
	}
	envs, err := scanEnvelopes(rows, limit)
	if err != nil {
		return nil, fmt.Errorf("read global log after %d: %w", p.After, err)
	}
	return envs, nil
}

// ReadStream returns a stream's events from a version; see eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, streamID string, fromVersion int64, limit int) ([]eventstore.Envelope, error) {
	if err := s.open(); err != nil {
		return nil, err
	}
	if err := eventstore.ValidateStreamID(streamID); err != nil {
		return nil, err
	}
	if fromVersion < 0 || limit < 0 {
		return nil, fmt.Errorf("%w: negative version or limit", eventstore.ErrInvalidInput)
	}
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	rows, err := s.pool.Query(ctx, `SELECT `+envelopeColumns+` FROM events
		WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version LIMIT $3`, streamID, fromVersion, lim)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", streamID, err)
	}
	envs, err := scanEnvelopes(rows, max(limit, 16))
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", streamID, err)
	}
	return envs, nil
}

func (s *Store) readByIDs(ctx context.Context, ids []uuid.UUID) ([]eventstore.Envelope, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+envelopeColumns+` FROM events
		WHERE event_id = ANY ($1) ORDER BY stream_version`, ids)
	if err != nil {
		return nil, err
	}
	return scanEnvelopes(rows, len(ids))
}

// Head returns the cursor of the last event of the readable log; see eventstore.Store. It uses the
// same bound as ReadAll, so no event it could later return orders before the cursor.
func (s *Store) Head(ctx context.Context) (int64, error) {
	if err := s.open(); err != nil {
		return 0, err
	}
	var pos int64
	err := s.pool.QueryRow(ctx, `SELECT global_position FROM events
		WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
		ORDER BY transaction_id DESC, global_position DESC LIMIT 1`).Scan(&pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("head of the global log: %w", err)
	}
	return pos, nil
}

// StreamVersion returns the stream's current version; see eventstore.Store.
func (s *Store) StreamVersion(ctx context.Context, streamID string) (int64, error) {
	if err := s.open(); err != nil {
		return 0, err
	}
	if err := eventstore.ValidateStreamID(streamID); err != nil {
		return 0, err
	}
	var v int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1`, streamID).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("version of %s: %w", streamID, err)
	}
	return v, nil
}

func scanEnvelopes(rows pgx.Rows, capacity int) ([]eventstore.Envelope, error) {
	defer rows.Close()
	out := make([]eventstore.Envelope, 0, capacity)
	var causation, correlation pgtype.UUID
	var data []byte
	var t time.Time
	for rows.Next() {
		var e eventstore.Envelope
		var sv int32
		if err := rows.Scan(&e.ID, &e.StreamID, &e.StreamVersion, &e.GlobalPosition, &e.Type, &data,
			&sv, &e.Actor, &causation, &correlation, &e.ClientOpID, &t); err != nil {
			return nil, err
		}
		e.Data = append([]byte(nil), data...)
		e.SchemaVersion = int(sv)
		e.CausationID = fromPgUUID(causation)
		e.CorrelationID = fromPgUUID(correlation)
		e.Time = t.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

func fromPgUUID(u pgtype.UUID) *uuid.UUID {
	if !u.Valid {
		return nil
	}
	id := uuid.UUID(u.Bytes)
	return &id
}

// SnapshotSave stores a snapshot; see eventstore.Store.
func (s *Store) SnapshotSave(ctx context.Context, snap eventstore.Snapshot) error {
	if err := s.open(); err != nil {
		return err
	}
	if err := eventstore.ValidateSnapshot(snap); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO snapshots (stream_id, version, data, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (stream_id, version) DO UPDATE SET data = excluded.data, created_at = excluded.created_at`,
		snap.StreamID, snap.Version, string(snap.Data), cmp.Or(snap.Time, eventstore.Now()))
	if err != nil {
		return fmt.Errorf("save snapshot of %s at %d: %w", snap.StreamID, snap.Version, err)
	}
	return nil
}

// SnapshotLoad returns the latest snapshot at or below maxVersion; see eventstore.Store.
func (s *Store) SnapshotLoad(ctx context.Context, streamID string, maxVersion int64) (eventstore.Snapshot, error) {
	if err := s.open(); err != nil {
		return eventstore.Snapshot{}, err
	}
	if err := eventstore.ValidateStreamID(streamID); err != nil {
		return eventstore.Snapshot{}, err
	}
	if maxVersion < 0 {
		return eventstore.Snapshot{}, fmt.Errorf("%w: negative max version %d", eventstore.ErrInvalidInput, maxVersion)
	}
	snap := eventstore.Snapshot{StreamID: streamID}
	var data []byte
	err := s.pool.QueryRow(ctx, `SELECT version, data, created_at FROM snapshots
		WHERE stream_id = $1 AND ($2 = 0 OR version <= $2) ORDER BY version DESC LIMIT 1`, streamID, maxVersion).
		Scan(&snap.Version, &data, &snap.Time)
	if errors.Is(err, pgx.ErrNoRows) {
		return snap, fmt.Errorf("snapshot of %s at or below %d: %w", streamID, maxVersion, eventstore.ErrNotFound)
	}
	if err != nil {
		return snap, fmt.Errorf("load snapshot of %s: %w", streamID, err)
	}
	snap.Data, snap.Time = data, snap.Time.UTC()
	return snap, nil
}

// CheckpointLoad returns a consumer's cursor; see eventstore.Store.
func (s *Store) CheckpointLoad(ctx context.Context, name string) (int64, error) {
	if err := s.open(); err != nil {
		return 0, err
	}
	if err := eventstore.ValidateCheckpointName(name); err != nil {
		return 0, err
	}
	var pos int64
	err := s.pool.QueryRow(ctx, `SELECT position FROM checkpoints WHERE name = $1`, name).Scan(&pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("load checkpoint %s: %w", name, err)
	}
	return pos, nil
}

// CheckpointSwap moves a consumer's cursor from old to new; see eventstore.Store.
func (s *Store) CheckpointSwap(ctx context.Context, name string, old, new int64) (bool, error) {
	if err := s.open(); err != nil {
		return false, err
	}
	if err := eventstore.ValidateCheckpointName(name); err != nil {
		return false, err
	}
	var sql string
	if old == 0 {
		sql = `INSERT INTO checkpoints (name, position) VALUES ($1, $3)
			ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = now()
			WHERE checkpoints.position = $2`
	} else {
		sql = `UPDATE checkpoints SET position = $3, updated_at = now() WHERE name = $1 AND position = $2`
	}
	tag, err := s.pool.Exec(ctx, sql, name, old, new)
	if err != nil {
		return false, fmt.Errorf("swap checkpoint %s: %w", name, err)
	}
	return tag.RowsAffected() == 1, nil
}
