package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/goflow-dev/goflow/eventstore"
)

// lockStreamsSQL takes the stream locks goflow_append takes (class 1198475884, hashtext(stream)) for
// every stream of a batch, in lock-key order (the sorted subquery feeds the aggregate row by row) so
// that two batches cannot deadlock. Single appends hold one lock at a time, so they cannot deadlock
// with a batch either; should the order ever differ, Postgres detects the deadlock and fails one
// batch as a whole.
const lockStreamsSQL = `SELECT count(pg_advisory_xact_lock(1198475884, k))
FROM (SELECT DISTINCT hashtext(s) AS k FROM unnest($1::text[]) AS s ORDER BY k) AS keys`

// versionsSQL reads the streams' versions. It runs after lockStreamsSQL as its own statement, so its
// snapshot sees every append that held one of the locks before.
const versionsSQL = `SELECT s, coalesce((SELECT max(e.stream_version) FROM events e WHERE e.stream_id = s), 0)
FROM unnest($1::text[]) AS s`

const eventsByIDSQL = `SELECT ` + envelopeColumns + ` FROM events WHERE event_id = ANY ($1)`

// AppendBatch appends every item in one transaction and one commit; see eventstore.BatchAppender.
//
// Rather than a savepoint (a subtransaction) per item, it takes the locks of every stream in the
// batch first, then reads their versions and the batch's event ids: holding the locks, it can
// decide each item's outcome exactly as goflow_append would, and write only the items that hold,
// all with one INSERT. A batch costs four round trips (begin, locks and reads, insert, commit)
// whatever its size. The rows share the transaction's id, so the batch enters the global log at
// once, in batch order, readable by the pg_snapshot_xmin rule like any append; one NOTIFY (through
// the notifier, as for Append) follows the commit.
//
// An event id reused by a concurrent append to a stream outside the batch cannot be foreseen; the
// unique index then fails the whole batch with ErrDuplicateEventID and nothing is written.
func (s *Store) AppendBatch(ctx context.Context, batch []eventstore.StreamAppend) ([]eventstore.BatchResult, error) {
	if err := s.begin(); err != nil {
		return nil, fmt.Errorf("append batch: %w", err)
	}
	defer s.inflight.Done()
	prepared, results, err := eventstore.PrepareBatch(batch)
	if err != nil {
		return nil, err
	}
	var streams []string
	var ids []uuid.UUID
	for i, events := range prepared {
		if events == nil {
			continue
		}
		streams = append(streams, batch[i].StreamID)
		for _, e := range events {
			ids = append(ids, e.ID)
		}
	}
	if len(streams) == 0 {
		return results, nil // empty, or every item invalid: no transaction needed
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("append batch: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after Commit

	versions, stored, err := lockAndRead(ctx, tx, streams, ids)
	if err != nil {
		return nil, fmt.Errorf("append batch: %w", err)
	}
	plan := planBatch(batch, prepared, results, versions, stored)

	now := eventstore.Now()
	var written []string
	if len(plan.writes) > 0 {
		if err := insertPlanned(ctx, tx, batch, prepared, plan.writes, results, now); err != nil {
			return nil, fmt.Errorf("append batch: %w", err)
		}
		for _, w := range plan.writes {
			written = append(written, batch[w.item].StreamID)
		}
	}
	plan.resolveRetries(results)
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
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("append batch: commit: %w", err)
	}
	s.committed()
	return results, nil
}

// insertBatchSQL writes the planned items' events with one statement, in batch order. It does what
// goflow_append does after its checks (which the batch made holding the same locks); the rows take
// the transaction's id by default, and the unique indexes stay the last fence. RETURNING promises no
// order, so rows come back with their event id.
const insertBatchSQL = `INSERT INTO events AS e (event_id, stream_id, stream_version, event_type, data,
        schema_version, actor, causation_id, correlation_id, client_op_id, created_at)
    SELECT u.id, u.stream, u.version, u.typ, u.dat, u.sv, u.act, u.cau, u.cor, u.op, $11
    FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::json[], $6::int[], $7::text[],
            $8::uuid[], $9::uuid[], $10::text[])
        WITH ORDINALITY AS u(id, stream, version, typ, dat, sv, act, cau, cor, op, n)
    ORDER BY u.n
    RETURNING e.event_id, e.global_position`

// insertPlanned writes the planned items and fills in their results.
func insertPlanned(ctx context.Context, tx pgx.Tx, batch []eventstore.StreamAppend, prepared [][]eventstore.EventData,
	writes []plannedWrite, results []eventstore.BatchResult, now time.Time) error {
	var (
		ids                    []uuid.UUID
		streams, types, data   []string
		actors, ops            []string
		versions               []int64
		schema                 []int32
		causation, correlation []pgtype.UUID
	)
	for _, w := range writes {
		streamID := batch[w.item].StreamID
		envs := make([]eventstore.Envelope, len(prepared[w.item]))
		for j, e := range prepared[w.item] {
			v := w.from + int64(j) + 1
			envs[j] = eventstore.Envelope{
				ID: e.ID, StreamID: streamID, StreamVersion: v, Type: e.Type, Data: e.Data,
				SchemaVersion: e.SchemaVersion, Actor: e.Actor, CausationID: e.CausationID,
				CorrelationID: e.CorrelationID, ClientOpID: e.ClientOpID, Time: now,
			}
			ids, streams, versions = append(ids, e.ID), append(streams, streamID), append(versions, v)
			types, data, schema = append(types, e.Type), append(data, string(e.Data)), append(schema, int32(e.SchemaVersion))
			actors, ops = append(actors, e.Actor), append(ops, e.ClientOpID)
			causation, correlation = append(causation, optUUID(e.CausationID)), append(correlation, optUUID(e.CorrelationID))
		}
		results[w.item].Result = eventstore.AppendResult{Events: envs, StreamVersion: w.from + int64(len(envs))}
	}
	rows, err := tx.Query(ctx, insertBatchSQL, ids, streams, versions, types, data, schema, actors,
		causation, correlation, ops, now)
	if err != nil {
		return fmt.Errorf("insert events: %w", err)
	}
	positions := make(map[uuid.UUID]int64, len(ids))
	var (
		id  uuid.UUID
		pos int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&id, &pos}, func() error {
		positions[id] = pos
		return nil
	}); err != nil {
		return fmt.Errorf("insert events: %w", translate("batch", eventstore.Any(), err))
	}
	if len(positions) != len(ids) {
		return fmt.Errorf("insert events: %d rows returned for %d events", len(positions), len(ids))
	}
	for _, w := range writes {
		envs := results[w.item].Result.Events
		for j := range envs {
			envs[j].GlobalPosition = positions[envs[j].ID]
		}
	}
	return nil
}

// lockAndRead locks the streams and reads their versions and which of ids are stored, pipelined.
func lockAndRead(ctx context.Context, tx pgx.Tx, streams []string, ids []uuid.UUID) (map[string]int64, map[uuid.UUID]eventstore.Envelope, error) {
	b := &pgx.Batch{}
	b.Queue(lockStreamsSQL, streams)
	b.Queue(versionsSQL, streams)
	b.Queue(eventsByIDSQL, ids)
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, nil, fmt.Errorf("lock streams: %w", err)
	}
	rows, err := br.Query()
	if err != nil {
		return nil, nil, fmt.Errorf("read stream versions: %w", err)
	}
	versions := make(map[string]int64, len(streams))
	var (
		stream  string
		version int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&stream, &version}, func() error {
		versions[stream] = version
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("read stream versions: %w", err)
	}
	rows, err = br.Query()
	if err != nil {
		return nil, nil, fmt.Errorf("look up event ids: %w", err)
	}
	envs, err := scanEnvelopes(rows, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("look up event ids: %w", err)
	}
	stored := make(map[uuid.UUID]eventstore.Envelope, len(envs))
	for _, e := range envs {
		stored[e.ID] = e
	}
	return versions, stored, br.Close()
}

// batchPlan is what a batch will do: the items to write, and the retries to answer once the
// envelopes of earlier items in the same batch are known.
type batchPlan struct {
	writes  []plannedWrite
	retries []plannedRetry
}

type plannedWrite struct {
	item int
	from int64 // the stream's version before the item
}

type plannedRetry struct {
	item    int
	version int64 // the stream's version at the item's turn
	// sources locate each event: in stored (item -1) or at index in an earlier item's result.
	sources []eventSource
}

type eventSource struct {
	item, index int
	stored      eventstore.Envelope
}

// planBatch decides each valid item's outcome as consecutive goflow_append calls would, with the
// streams locked: an exact retry (every event id already in this stream) is AlreadyApplied, then the
// expected version is checked, then any reused event id fails the item. Failures go into results.
func planBatch(batch []eventstore.StreamAppend, prepared [][]eventstore.EventData, results []eventstore.BatchResult,
	versions map[string]int64, stored map[uuid.UUID]eventstore.Envelope) batchPlan {
	type known struct {
		stream string
		src    eventSource
	}
	seen := make(map[uuid.UUID]known, len(stored))
	for id, e := range stored {
		seen[id] = known{stream: e.StreamID, src: eventSource{item: -1, stored: e}}
	}
	var plan batchPlan
	for i, events := range prepared {
		if events == nil {
			continue
		}
		item := batch[i]
		cur := versions[item.StreamID]
		var (
			sources  []eventSource
			reused   int
			sameOnly = true
		)
		for _, e := range events {
			if k, ok := seen[e.ID]; ok {
				reused++
				sameOnly = sameOnly && k.stream == item.StreamID
				sources = append(sources, k.src)
			}
		}
		switch {
		case reused == len(events) && sameOnly:
			plan.retries = append(plan.retries, plannedRetry{item: i, version: cur, sources: sources})
			continue
		case eventstore.CheckExpected(item.StreamID, item.Expected, cur) != nil:
			results[i].Err = eventstore.CheckExpected(item.StreamID, item.Expected, cur)
			continue
		case reused > 0:
			results[i].Err = fmt.Errorf("append to %s: %w: %d of the %d event ids exist already",
				item.StreamID, eventstore.ErrDuplicateEventID, reused, len(events))
			continue
		}
		for j, e := range events {
			seen[e.ID] = known{stream: item.StreamID, src: eventSource{item: i, index: j}}
		}
		plan.writes = append(plan.writes, plannedWrite{item: i, from: cur})
		versions[item.StreamID] = cur + int64(len(events))
	}
	return plan
}

// resolveRetries fills in the AlreadyApplied results, once the written items have their envelopes.
func (p batchPlan) resolveRetries(results []eventstore.BatchResult) {
	for _, r := range p.retries {
		events := make([]eventstore.Envelope, len(r.sources))
		for j, src := range r.sources {
			if src.item < 0 {
				events[j] = src.stored
			} else {
				events[j] = results[src.item].Result.Events[src.index]
			}
		}
		results[r.item].Result = eventstore.AppendResult{Events: events, AlreadyApplied: true, StreamVersion: r.version}
	}
}
