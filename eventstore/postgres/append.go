package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/goflow-dev/goflow/eventstore"
)

// SQLSTATEs of a failed goflow_append.
const (
	codeWrongVersion = "GF001"
	codeUnique       = "23505"
)

const appendSQL = `SELECT global_position, stream_version
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

	now := eventstore.Now()
	res, err := s.appendRows(ctx, streamID, appendArgs(streamID, expected, events, now), events, now)
	if err == nil {
		s.committed()
		return res, nil
	}
	err = translate(streamID, expected, err)
	// A retry of an append that committed fails on its own event ids or on the version it moved;
	// only then is it worth looking for the earlier append.
	if errors.Is(err, eventstore.ErrDuplicateEventID) || errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		if earlier, ok, rerr := s.earlierAppend(ctx, streamID, events); rerr != nil {
			return eventstore.AppendResult{}, fmt.Errorf("append to %s: look for an earlier append: %w", streamID, rerr)
		} else if ok {
			return earlier, nil
		}
	}
	return eventstore.AppendResult{}, err
}

// earlierAppend reports whether every event of the batch is already stored in this stream (an
// idempotent retry) and returns the stored envelopes.
func (s *Store) earlierAppend(ctx context.Context, streamID string, events []eventstore.EventData) (eventstore.AppendResult, bool, error) {
	ids := make([]uuid.UUID, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	stored, err := s.readByIDs(ctx, ids)
	if err != nil || len(stored) != len(events) {
		return eventstore.AppendResult{}, false, err
	}
	for _, e := range stored {
		if e.StreamID != streamID {
			return eventstore.AppendResult{}, false, nil
		}
	}
	v, err := s.StreamVersion(ctx, streamID)
	if err != nil {
		return eventstore.AppendResult{}, false, err
	}
	return eventstore.AppendResult{Events: stored, AlreadyApplied: true, StreamVersion: v}, true, nil
}

func (s *Store) appendRows(ctx context.Context, streamID string, args []any, events []eventstore.EventData, now time.Time) (eventstore.AppendResult, error) {
	if s.cfg.BeforeCommit == nil {
		// Autocommit: one round trip for the whole append.
		return scanAppend(ctx, s.pool, streamID, args, events, now)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after Commit
	res, err := scanAppend(ctx, tx, streamID, args, events, now)
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

func scanAppend(ctx context.Context, q queryer, streamID string, args []any, events []eventstore.EventData, now time.Time) (eventstore.AppendResult, error) {
	rows, err := q.Query(ctx, appendSQL, args...)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	defer rows.Close()
	res := eventstore.AppendResult{Events: make([]eventstore.Envelope, 0, len(events))}
	for rows.Next() {
		i := len(res.Events)
		if i >= len(events) {
			return res, fmt.Errorf("append returned more rows than its %d events", len(events))
		}
		e := events[i]
		env := eventstore.Envelope{
			ID: e.ID, StreamID: streamID, Type: e.Type, Data: e.Data, SchemaVersion: e.SchemaVersion,
			Actor: e.Actor, CausationID: e.CausationID, CorrelationID: e.CorrelationID,
			ClientOpID: e.ClientOpID, Time: now,
		}
		if err := rows.Scan(&env.GlobalPosition, &env.StreamVersion); err != nil {
			return res, err
		}
		res.Events = append(res.Events, env)
	}
	if err := rows.Err(); err != nil {
		return res, err
	}
	if len(res.Events) != len(events) {
		return res, fmt.Errorf("append returned %d rows for %d events", len(res.Events), len(events))
	}
	res.StreamVersion = res.Events[len(res.Events)-1].StreamVersion
	return res, nil
}

func appendArgs(streamID string, expected eventstore.Expected, events []eventstore.EventData, now time.Time) []any {
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
		causation, correlation, ops, now}
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
		case pgErr.Code == codeUnique && pgErr.ConstraintName == "events_event_id_key":
			return fmt.Errorf("append to %s: %w", streamID, eventstore.ErrDuplicateEventID)
		case pgErr.Code == codeUnique:
			// The stream lock makes this unreachable; the unique index is the last fence.
			return fmt.Errorf("append to %s: %w", streamID, eventstore.ErrWrongExpectedVersion)
		}
	}
	return fmt.Errorf("append to %s: %w", streamID, err)
}
