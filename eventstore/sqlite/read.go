package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/goflow-dev/goflow/eventstore"
)

// envelopeColumns are the columns scanEnvelopes reads, in its order.
const envelopeColumns = "global_position, event_id, stream_id, stream_version, event_type, data, " +
	"schema_version, actor, causation_id, correlation_id, client_op_id, created_at"

// The reader pool's hot statements, prepared once per connection (see stmtCache).
const (
	sqlReadStream = "SELECT " + envelopeColumns +
		" FROM events WHERE stream_id = ? AND stream_version >= ? ORDER BY stream_version LIMIT ?"
	sqlReadAll = "SELECT " + envelopeColumns +
		" FROM events WHERE global_position > ? ORDER BY global_position LIMIT ?"
	// "Starts with Topic-" as a byte range, [Topic-, Topic.) since '.' follows '-': exact under the
	// BINARY collation, needs no LIKE escaping, and can use the stream_id index.
	sqlReadAllTopic = "SELECT " + envelopeColumns + " FROM events WHERE global_position > ?" +
		" AND (stream_id = ? OR (stream_id >= ? AND stream_id < ?)) ORDER BY global_position LIMIT ?"
	sqlHead          = "SELECT coalesce(max(global_position), 0) FROM events"
	sqlStreamVersion = "SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = ?"
)

// defaultReadAllLimit is ReadAllParams.Limit's default.
const defaultReadAllLimit = 500

// ReadStream returns up to limit events of a stream from fromVersion on; see eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, streamID string, fromVersion int64, limit int) ([]eventstore.Envelope, error) {
	if err := s.enter(); err != nil {
		return nil, fmt.Errorf("read stream %s: %w", streamID, err)
	}
	defer s.inflight.Done()

	if err := eventstore.ValidateStreamID(streamID); err != nil {
		return nil, fmt.Errorf("read stream: %w", err)
	}
	if limit < 0 {
		return nil, fmt.Errorf("read stream %s: %w", streamID, invalid("negative limit %d", limit))
	}

	sqlLimit := int64(limit)
	if limit == 0 {
		sqlLimit = -1 // SQLite: no limit
	}
	st, err := s.readStmts.get(ctx, sqlReadStream)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", streamID, err)
	}
	rows, err := st.QueryContext(ctx, streamID, fromVersion, sqlLimit)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", streamID, err)
	}
	envs, err := scanEnvelopes(rows, limit)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", streamID, err)
	}
	return envs, nil
}

// ReadAll returns the next page of the global log; see eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, params eventstore.ReadAllParams) ([]eventstore.Envelope, error) {
	if err := s.enter(); err != nil {
		return nil, fmt.Errorf("read all: %w", err)
	}
	defer s.inflight.Done()

	switch {
	case params.After < 0:
		return nil, fmt.Errorf("read all: %w", invalid("negative cursor %d", params.After))
	case params.Limit < 0:
		return nil, fmt.Errorf("read all: %w", invalid("negative limit %d", params.Limit))
	case !utf8.ValidString(params.Topic):
		return nil, fmt.Errorf("read all: %w", invalid("topic is not valid UTF-8"))
	}

	limit := params.Limit
	if limit == 0 {
		limit = defaultReadAllLimit
	}
	query, args := sqlReadAll, []any{params.After, limit}
	if params.Topic != "" {
		query, args = sqlReadAllTopic, []any{params.After, params.Topic, params.Topic + "-", params.Topic + ".", limit}
	}
	st, err := s.readStmts.get(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("read all: %w", err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("read all: %w", err)
	}
	envs, err := scanEnvelopes(rows, limit)
	if err != nil {
		return nil, fmt.Errorf("read all: %w", err)
	}
	return envs, nil
}

// Head returns the cursor of the last event of the log; see eventstore.Store.
func (s *Store) Head(ctx context.Context) (int64, error) {
	if err := s.enter(); err != nil {
		return 0, fmt.Errorf("head: %w", err)
	}
	defer s.inflight.Done()
	st, err := s.readStmts.get(ctx, sqlHead)
	if err != nil {
		return 0, fmt.Errorf("head: %w", err)
	}
	var pos int64
	if err := st.QueryRowContext(ctx).Scan(&pos); err != nil {
		return 0, fmt.Errorf("head: %w", err)
	}
	return pos, nil
}

// StreamVersion returns a stream's current version, 0 if it has no events.
func (s *Store) StreamVersion(ctx context.Context, streamID string) (int64, error) {
	if err := s.enter(); err != nil {
		return 0, fmt.Errorf("stream version of %s: %w", streamID, err)
	}
	defer s.inflight.Done()

	if err := eventstore.ValidateStreamID(streamID); err != nil {
		return 0, fmt.Errorf("stream version: %w", err)
	}
	st, err := s.readStmts.get(ctx, sqlStreamVersion)
	if err != nil {
		return 0, fmt.Errorf("stream version of %s: %w", streamID, err)
	}
	var v int64
	if err := st.QueryRowContext(ctx, streamID).Scan(&v); err != nil {
		return 0, fmt.Errorf("stream version of %s: %w", streamID, err)
	}
	return v, nil
}

// scanEnvelopes reads every row of envelopeColumns and closes rows. sizeHint preallocates.
func scanEnvelopes(rows *sql.Rows, sizeHint int) ([]eventstore.Envelope, error) {
	defer rows.Close()
	envs := make([]eventstore.Envelope, 0, min(max(sizeHint, 0), 1024))
	for rows.Next() {
		var (
			e                      eventstore.Envelope
			id                     string
			causation, correlation sql.NullString
			data                   []byte
			micros                 int64
		)
		if err := rows.Scan(&e.GlobalPosition, &id, &e.StreamID, &e.StreamVersion, &e.Type, &data,
			&e.SchemaVersion, &e.Actor, &causation, &correlation, &e.ClientOpID, &micros); err != nil {
			return nil, err
		}
		var err error
		if e.ID, err = uuid.Parse(id); err != nil {
			return nil, fmt.Errorf("event at position %d: bad event id %q: %w", e.GlobalPosition, id, err)
		}
		if e.CausationID, err = parseNullUUID(causation); err != nil {
			return nil, fmt.Errorf("event at position %d: bad causation id: %w", e.GlobalPosition, err)
		}
		if e.CorrelationID, err = parseNullUUID(correlation); err != nil {
			return nil, fmt.Errorf("event at position %d: bad correlation id: %w", e.GlobalPosition, err)
		}
		e.Data = data
		e.Time = time.UnixMicro(micros).UTC()
		envs = append(envs, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return envs, nil
}

func parseNullUUID(s sql.NullString) (*uuid.UUID, error) {
	if !s.Valid {
		return nil, nil
	}
	id, err := uuid.Parse(s.String)
	if err != nil {
		return nil, err
	}
	return &id, nil
}
