package sqlite

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/goflow-dev/goflow/eventstore"
)

// insertColumns are the columns one event row binds, in insertRow order.
const insertColumns = "event_id, stream_id, stream_version, event_type, data, schema_version, " +
	"actor, causation_id, correlation_id, client_op_id, created_at"

const insertColumnCount = 11

// maxVariables is SQLite's default SQLITE_MAX_VARIABLE_NUMBER (since 3.32), which modernc.org/sqlite
// keeps. A full batch (MaxBatchEvents x 11) fits in one statement; chunking only guards the limit.
const maxVariables = 32766

// Append writes events to the end of a stream; see eventstore.Store.
func (s *Store) Append(ctx context.Context, streamID string, expected eventstore.Expected, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if err := s.enter(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", streamID, err)
	}
	defer s.inflight.Done()

	prepared, err := eventstore.PrepareAppend(streamID, expected, events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}

	res, err := s.appendTx(ctx, streamID, expected, prepared)
	if err != nil {
		var conflict *eventstore.VersionConflictError
		if errors.As(err, &conflict) {
			return eventstore.AppendResult{}, err // already names the stream
		}
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", streamID, interpretError(err))
	}
	if !res.AlreadyApplied {
		s.wake.Notify()
	}
	return res, nil
}

func (s *Store) appendTx(ctx context.Context, streamID string, expected eventstore.Expected, events []eventstore.EventData) (eventstore.AppendResult, error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	defer tx.Rollback() // no-op after Commit

	// Idempotency comes before the version check: a retry of an append that committed must
	// succeed even though the stream has moved on since.
	existing, err := eventsByID(ctx, tx, events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if len(existing) > 0 {
		if len(existing) == len(events) && !slices.ContainsFunc(existing, func(e eventstore.Envelope) bool { return e.StreamID != streamID }) {
			slices.SortFunc(existing, func(a, b eventstore.Envelope) int { return cmp.Compare(a.StreamVersion, b.StreamVersion) })
			return eventstore.AppendResult{
				Events:         existing,
				AlreadyApplied: true,
				StreamVersion:  existing[len(existing)-1].StreamVersion,
			}, nil
		}
		return eventstore.AppendResult{}, fmt.Errorf("%w: %d of the %d event ids exist already (%s first)",
			eventstore.ErrDuplicateEventID, len(existing), len(events), existing[0].ID)
	}

	var current int64
	if err := tx.QueryRowContext(ctx,
		`SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = ?`, streamID).Scan(&current); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("read stream version: %w", err)
	}
	if err := eventstore.CheckExpected(streamID, expected, current); err != nil {
		return eventstore.AppendResult{}, err
	}

	now := eventstore.Now()
	out := make([]eventstore.Envelope, len(events))
	for i, e := range events {
		out[i] = eventstore.Envelope{
			ID:            e.ID,
			StreamID:      streamID,
			StreamVersion: current + int64(i) + 1,
			Type:          e.Type,
			Data:          bytes.Clone(e.Data),
			SchemaVersion: e.SchemaVersion,
			Actor:         e.Actor,
			CausationID:   cloneUUID(e.CausationID),
			CorrelationID: cloneUUID(e.CorrelationID),
			ClientOpID:    e.ClientOpID,
			Time:          now,
		}
	}
	const chunk = maxVariables / insertColumnCount
	for start := 0; start < len(out); start += chunk {
		if err := insertEvents(ctx, tx, out[start:min(start+chunk, len(out))], current); err != nil {
			return eventstore.AppendResult{}, err
		}
	}

	if s.cfg.BeforeCommit != nil {
		if err := s.cfg.BeforeCommit(ctx, streamID); err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("before commit: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("commit: %w", err)
	}
	return eventstore.AppendResult{Events: out, StreamVersion: out[len(out)-1].StreamVersion}, nil
}

// insertEvents writes envs with one multi-row INSERT and fills in their global positions.
// current is the stream's version before the batch, which maps a returned row to its envelope.
func insertEvents(ctx context.Context, tx *sql.Tx, envs []eventstore.Envelope, current int64) error {
	var q strings.Builder
	q.WriteString("INSERT INTO events (" + insertColumns + ") VALUES ")
	args := make([]any, 0, len(envs)*insertColumnCount)
	for i, e := range envs {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString("(?,?,?,?,?,?,?,?,?,?,?)")
		args = append(args, e.ID.String(), e.StreamID, e.StreamVersion, e.Type, []byte(e.Data),
			e.SchemaVersion, e.Actor, nullUUID(e.CausationID), nullUUID(e.CorrelationID),
			e.ClientOpID, e.Time.UnixMicro())
	}
	// RETURNING rows come back in no promised order, so each carries its stream version.
	q.WriteString(" RETURNING global_position, stream_version")
	rows, err := tx.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return fmt.Errorf("insert events: %w", err)
	}
	defer rows.Close()
	first := envs[0].StreamVersion
	n := 0
	for rows.Next() {
		var pos, version int64
		if err := rows.Scan(&pos, &version); err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
		i := version - first
		if i < 0 || i >= int64(len(envs)) {
			return fmt.Errorf("insert events: unexpected stream version %d returned", version)
		}
		envs[i].GlobalPosition = pos
		n++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insert events: %w", err)
	}
	if n != len(envs) {
		return fmt.Errorf("insert events: %d rows returned for %d events", n, len(envs))
	}
	return nil
}

// eventsByID returns the stored envelopes among events' ids, in any order.
func eventsByID(ctx context.Context, tx *sql.Tx, events []eventstore.EventData) ([]eventstore.Envelope, error) {
	args := make([]any, len(events))
	for i, e := range events {
		args[i] = e.ID.String()
	}
	q := "SELECT " + envelopeColumns + " FROM events WHERE event_id IN (?" + strings.Repeat(",?", len(events)-1) + ")"
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("look up event ids: %w", err)
	}
	envs, err := scanEnvelopes(rows, 0)
	if err != nil {
		return nil, fmt.Errorf("look up event ids: %w", err)
	}
	return envs, nil
}

func nullUUID(id *uuid.UUID) any {
	if id == nil {
		return nil
	}
	return id.String()
}

func cloneUUID(id *uuid.UUID) *uuid.UUID {
	if id == nil {
		return nil
	}
	c := *id
	return &c
}
