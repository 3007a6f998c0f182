package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/goflow-dev/goflow/eventstore"
)

// SQLSTATEs raised by goflow_append.
const (
	codeWrongVersion = "GF001"
	codeDuplicateID  = "GF002"
	codeUnique       = "23505"
)

const appendSQL = `SELECT applied, global_position, stream_version, created_at
FROM goflow_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`

// Append writes events to a stream; see eventstore.Store.
func (s *Store) Append(ctx context.Context, streamID string, expected eventstore.Expected, events []eventstore.EventData) (eventstore.AppendResult, error) {
	events, err := eventstore.PrepareAppend(streamID, expected, events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if err := s.begin(); err != nil {
		return eventstore.AppendResult{}, err
	}
	defer s.inflight.Done()

	args := appendArgs(streamID, expected, events)
	res, err := s.appendRows(ctx, streamID, args, events)
	if err != nil {
		return eventstore.AppendResult{}, translate(streamID, expected, err)
	}
	if res.AlreadyApplied {
		// Return the envelopes as first stored, so a retry sees exactly what the original saw.
		ids := make([]uuid.UUID, len(events))
		for i, e := range events {
			ids[i] = e.ID
		}
		res.Events, err = s.readByIDs(ctx, ids)
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("append to %s: read earlier append: %w", streamID, err)
		}
	} else {
		s.committed()
	}
	if n := len(res.Events); n > 0 {
		res.StreamVersion = res.Events[n-1].StreamVersion
	}
	if res.AlreadyApplied {
		// The stream may have moved on since; report where it is now.
		if v, err := s.StreamVersion(ctx, streamID); err == nil {
			res.StreamVersion = v
		}
	}
	return res, nil
}

func (s *Store) appendRows(ctx context.Context, streamID string, args []any, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if s.cfg.BeforeCommit == nil {
		// Autocommit: one round trip for the whole append.
		return scanAppend(ctx, s.pool, streamID, args, events)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after Commit
	res, err := scanAppend(ctx, tx, streamID, args, events)
	if err != nil {
		return res, err
	}
	if err := s.cfg.BeforeCommit(ctx, streamID); err != nil {
		return res, fmt.Errorf("before commit: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return res, err
	}
	return res, nil
}

func scanAppend(ctx context.Context, q queryer, streamID string, args []any, events []eventstore.EventData) (eventstore.AppendResult, error) {
	rows, err := q.Query(ctx, appendSQL, args...)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	defer rows.Close()
	res := eventstore.AppendResult{Events: make([]eventstore.Envelope, 0, len(events))}
	i := 0
	for rows.Next() {
		var applied bool
		var env eventstore.Envelope
		if err := rows.Scan(&applied, &env.GlobalPosition, &env.StreamVersion, &env.Time); err != nil {
			return res, err
		}
		res.AlreadyApplied = !applied
		if i < len(events) {
			e := events[i]
			env.ID, env.StreamID, env.Type, env.Data = e.ID, streamID, e.Type, e.Data
			env.SchemaVersion, env.Actor, env.ClientOpID = e.SchemaVersion, e.Actor, e.ClientOpID
			env.CausationID, env.CorrelationID = e.CausationID, e.CorrelationID
			env.Time = env.Time.UTC()
		}
		res.Events = append(res.Events, env)
		i++
	}
	if err := rows.Err(); err != nil {
		return res, err
	}
	if len(res.Events) != len(events) {
		return res, fmt.Errorf("append returned %d rows for %d events", len(res.Events), len(events))
	}
	return res, nil
}

func appendArgs(streamID string, expected eventstore.Expected, events []eventstore.EventData) []any {
	n := len(events)
	ids := make([]uuid.UUID, n)
	types := make([]string, n)
	data := make([]string, n)
	schema := make([]int32, n)
	actors := make([]string, n)
	causation := make([]pgtype.UUID, n)
	correlation := make([]pgtype.UUID, n)
	ops := make([]string, n)
	for i, e := range events {
		ids[i], types[i], data[i] = e.ID, e.Type, string(e.Data)
		schema[i], actors[i], ops[i] = int32(e.SchemaVersion), e.Actor, e.ClientOpID
		causation[i] = optUUID(e.CausationID)
		correlation[i] = optUUID(e.CorrelationID)
	}
	return []any{streamID, int(expected.Kind), expected.Version, ids, types, data, schema, actors,
		causation, correlation, ops, eventstore.Now()}
}

func optUUID(id *uuid.UUID) pgtype.UUID {
	if id == nil {
		return pgtype.UUID{}
	}
	return pgtype.UUID{Bytes: *id, Valid: true}
}

// translate turns driver errors into the eventstore's sentinel errors.
func translate(streamID string, expected eventstore.Expected, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == codeWrongVersion:
			actual, _ := strconv.ParseInt(pgErr.Detail, 10, 64)
			return &eventstore.VersionConflictError{StreamID: streamID, Expected: expected, Actual: actual}
		case pgErr.Code == codeDuplicateID,
			pgErr.Code == codeUnique && pgErr.ConstraintName == "events_event_id_key":
			return fmt.Errorf("append to %s: %w", streamID, eventstore.ErrDuplicateEventID)
		case pgErr.Code == codeUnique:
			// The advisory lock makes this unreachable; the unique index is the last fence.
			return fmt.Errorf("append to %s: %w", streamID, eventstore.ErrWrongExpectedVersion)
		}
	}
	return fmt.Errorf("append to %s: %w", streamID, err)
}
