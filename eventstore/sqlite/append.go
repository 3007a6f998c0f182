package sqlite

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/goflow-dev/goflow/eventstore"
)

// insertColumns are the columns one event row binds, in insertEvents' order.
const insertColumns = "event_id, stream_id, stream_version, event_type, data, schema_version, " +
	"actor, causation_id, correlation_id, client_op_id, created_at"

// The writer's hot statements, prepared once (see stmtCache). Every statement binds a fixed number
// of parameters, so that one prepared statement serves any batch size; rows are written and looked
// up one at a time, which costs little in-process.
const (
	sqlEventByID   = "SELECT " + envelopeColumns + " FROM events WHERE event_id = ?"
	sqlInsertEvent = "INSERT INTO events (" + insertColumns + ") VALUES (?,?,?,?,?,?,?,?,?,?,?)"
	sqlSavepoint   = "SAVEPOINT batch_item"
	sqlRelease     = "RELEASE batch_item"
	sqlRollbackTo  = "ROLLBACK TO batch_item"
)

// warmWriter prepares the statements appends use before their transaction takes the writer.
func (s *Store) warmWriter(ctx context.Context) error {
	return s.writeStmts.warm(ctx, sqlEventByID, sqlStreamVersion, sqlInsertEvent)
}

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
		return eventstore.AppendResult{}, appendError(streamID, err)
	}
	if !res.AlreadyApplied {
		s.wake.Notify()
	}
	return res, nil
}

// appendError wraps an append's error with its stream, translating driver errors.
func appendError(streamID string, err error) error {
	var conflict *eventstore.VersionConflictError
	if errors.As(err, &conflict) {
		return err // already names the stream
	}
	return fmt.Errorf("append to %s: %w", streamID, interpretError(err))
}

func (s *Store) appendTx(ctx context.Context, streamID string, expected eventstore.Expected, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if err := s.warmWriter(ctx); err != nil {
		return eventstore.AppendResult{}, err
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	defer tx.Rollback() // no-op after Commit

	res, err := s.appendInTx(ctx, tx, streamID, expected, events)
	if err != nil || res.AlreadyApplied {
		return res, err
	}
	if s.cfg.BeforeCommit != nil {
		if err := s.cfg.BeforeCommit(ctx, streamID); err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("before commit: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("commit: %w", err)
	}
	return res, nil
}

// AppendBatch appends every item in one transaction and one commit; see eventstore.BatchAppender.
// The single writer connection serializes the batch with every other write, as for Append, and
// BEGIN IMMEDIATE keeps other processes out, so an item's checks (idempotency, expected version)
// run before it writes and decide its outcome: an item that fails them has written nothing, and no
// savepoint is needed. A write that fails anyway (I/O) fails the whole batch.
func (s *Store) AppendBatch(ctx context.Context, batch []eventstore.StreamAppend) ([]eventstore.BatchResult, error) {
	if err := s.enter(); err != nil {
		return nil, fmt.Errorf("append batch: %w", err)
	}
	defer s.inflight.Done()

	prepared, results, err := eventstore.PrepareBatch(batch)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(prepared, func(p []eventstore.EventData) bool { return p != nil }) {
		return results, nil // empty, or every item invalid: no transaction needed
	}

	if err := s.warmWriter(ctx); err != nil {
		return nil, fmt.Errorf("append batch: %w", err)
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("append batch: %w", err)
	}
	defer tx.Rollback() // no-op after Commit

	var written []string
	for i, item := range batch {
		if results[i].Err != nil {
			continue
		}
		res, current, err := s.checkAppend(ctx, tx, item.StreamID, item.Expected, prepared[i])
		switch {
		case errors.Is(err, eventstore.ErrWrongExpectedVersion) || errors.Is(err, eventstore.ErrDuplicateEventID):
			results[i].Err = appendError(item.StreamID, err) // found before writing: the item wrote nothing
			continue
		case err != nil:
			return nil, fmt.Errorf("append batch: item %d (%s): %w", i, item.StreamID, err)
		case res.AlreadyApplied:
			results[i].Result = res
			continue
		}
		if results[i].Result, err = s.writeAppend(ctx, tx, item.StreamID, current, prepared[i]); err != nil {
			// A write that fails may have written part of the item: only the whole batch can go.
			return nil, fmt.Errorf("append batch: item %d (%s): %w", i, item.StreamID, interpretError(err))
		}
		written = append(written, item.StreamID)
	}
	if len(written) == 0 {
		return results, nil // only retries and failures: nothing to commit
	}
	if s.cfg.BeforeCommit != nil {
		for _, streamID := range written {
			if err := s.cfg.BeforeCommit(ctx, streamID); err != nil {
				return nil, fmt.Errorf("append batch: before commit: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("append batch: commit: %w", err)
	}
	s.wake.Notify()
	return results, nil
}

// appendInTx checks and writes one append inside tx.
func (s *Store) appendInTx(ctx context.Context, tx *sql.Tx, streamID string, expected eventstore.Expected, events []eventstore.EventData) (eventstore.AppendResult, error) {
	res, current, err := s.checkAppend(ctx, tx, streamID, expected, events)
	if err != nil || res.AlreadyApplied {
		return res, err
	}
	return s.writeAppend(ctx, tx, streamID, current, events)
}

// checkAppend decides an append without writing: an earlier identical append (AlreadyApplied),
// reused event ids, or the expected version; otherwise it returns the stream's current version. It
// reads within tx, so it sees what earlier appends of the same transaction wrote.
func (s *Store) checkAppend(ctx context.Context, tx *sql.Tx, streamID string, expected eventstore.Expected, events []eventstore.EventData) (eventstore.AppendResult, int64, error) {
	// Idempotency comes before the version check: a retry of an append that committed must
	// succeed even though the stream has moved on since.
	existing, err := s.eventsByID(ctx, tx, events)
	if err != nil {
		return eventstore.AppendResult{}, 0, err
	}
	if len(existing) > 0 {
		if len(existing) == len(events) && !slices.ContainsFunc(existing, func(e eventstore.Envelope) bool { return e.StreamID != streamID }) {
			slices.SortFunc(existing, func(a, b eventstore.Envelope) int { return cmp.Compare(a.StreamVersion, b.StreamVersion) })
			return eventstore.AppendResult{
				Events:         existing,
				AlreadyApplied: true,
				StreamVersion:  existing[len(existing)-1].StreamVersion,
			}, 0, nil
		}
		return eventstore.AppendResult{}, 0, fmt.Errorf("%w: %d of the %d event ids exist already (%s first)",
			eventstore.ErrDuplicateEventID, len(existing), len(events), existing[0].ID)
	}

	versionStmt, err := s.writeStmts.inTx(ctx, tx, sqlStreamVersion)
	if err != nil {
		return eventstore.AppendResult{}, 0, err
	}
	var current int64
	if err := versionStmt.QueryRowContext(ctx, streamID).Scan(&current); err != nil {
		return eventstore.AppendResult{}, 0, fmt.Errorf("read stream version: %w", err)
	}
	if err := eventstore.CheckExpected(streamID, expected, current); err != nil {
		return eventstore.AppendResult{}, 0, err
	}
	return eventstore.AppendResult{}, current, nil
}

// writeAppend writes events after version current of the stream.
func (s *Store) writeAppend(ctx context.Context, tx *sql.Tx, streamID string, current int64, events []eventstore.EventData) (eventstore.AppendResult, error) {
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
	if err := s.insertEvents(ctx, tx, out); err != nil {
		return eventstore.AppendResult{}, err
	}
	return eventstore.AppendResult{Events: out, StreamVersion: out[len(out)-1].StreamVersion}, nil
}

// insertEvents writes envs one row at a time with the prepared insert and fills in their global
// positions (global_position is the rowid).
func (s *Store) insertEvents(ctx context.Context, tx *sql.Tx, envs []eventstore.Envelope) error {
	st, err := s.writeStmts.inTx(ctx, tx, sqlInsertEvent)
	if err != nil {
		return fmt.Errorf("insert events: %w", err)
	}
	for i := range envs {
		e := &envs[i]
		res, err := st.ExecContext(ctx, e.ID.String(), e.StreamID, e.StreamVersion, e.Type, []byte(e.Data),
			e.SchemaVersion, e.Actor, nullUUID(e.CausationID), nullUUID(e.CorrelationID),
			e.ClientOpID, e.Time.UnixMicro())
		if err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
		if e.GlobalPosition, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
	}
	return nil
}

// eventsByID returns the stored envelopes among events' ids, in any order.
func (s *Store) eventsByID(ctx context.Context, tx *sql.Tx, events []eventstore.EventData) ([]eventstore.Envelope, error) {
	st, err := s.writeStmts.inTx(ctx, tx, sqlEventByID)
	if err != nil {
		return nil, fmt.Errorf("look up event ids: %w", err)
	}
	var found []eventstore.Envelope
	for _, e := range events {
		rows, err := st.QueryContext(ctx, e.ID.String())
		if err != nil {
			return nil, fmt.Errorf("look up event ids: %w", err)
		}
		envs, err := scanEnvelopes(rows, 0)
		if err != nil {
			return nil, fmt.Errorf("look up event ids: %w", err)
		}
		found = append(found, envs...)
	}
	return found, nil
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
