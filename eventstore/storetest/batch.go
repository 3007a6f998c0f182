package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
)

// batcher returns the store as a BatchAppender, skipping the test if it is not one.
func (f *fixture) batcher() eventstore.BatchAppender {
	f.t.Helper()
	ba, ok := f.store.(eventstore.BatchAppender)
	if !ok {
		f.t.Skipf("%T does not implement eventstore.BatchAppender", f.store)
	}
	return ba
}

// appendBatch runs AppendBatch, requiring no batch error and one result per item.
func (f *fixture) appendBatch(items ...eventstore.StreamAppend) []eventstore.BatchResult {
	f.t.Helper()
	results, err := f.batcher().AppendBatch(f.ctx, items)
	require.NoError(f.t, err, "AppendBatch of %d items", len(items))
	require.Len(f.t, results, len(items), "AppendBatch results")
	return results
}

func item(stream string, expected eventstore.Expected, events ...eventstore.EventData) eventstore.StreamAppend {
	return eventstore.StreamAppend{StreamID: stream, Expected: expected, Events: events}
}

// requireWritten checks that a batch item succeeded as a fresh append of events at versions
// from+1...
func requireWritten(t *testing.T, r eventstore.BatchResult, stream string, from int64, events []eventstore.EventData) {
	t.Helper()
	require.NoError(t, r.Err, "item for %s", stream)
	require.False(t, r.Result.AlreadyApplied, "item for %s", stream)
	require.Equal(t, dataIDs(events), ids(r.Result.Events), "item for %s: envelopes", stream)
	for i, e := range r.Result.Events {
		require.Equal(t, stream, e.StreamID)
		require.Equal(t, from+int64(i)+1, e.StreamVersion, "item for %s event %d", stream, i)
		require.Positive(t, e.GlobalPosition, "item for %s event %d", stream, i)
	}
	require.Equal(t, from+int64(len(events)), r.Result.StreamVersion, "item for %s: stream version", stream)
}

// [ES14] A batch commits as a whole: while its transaction is open none of its items is visible;
// when its commit fails none is written; after it commits all are.
func testBatchAtomicVisibility(t *testing.T, f *fixture) {
	ba := f.batcher()
	streams := []string{"batch-atomic-a", "batch-atomic-b", "batch-atomic-c"}
	items := make([]eventstore.StreamAppend, len(streams))
	for i, s := range streams {
		items[i] = item(s, eventstore.NoStream(), batch(s, 2)...)
	}

	// A failed commit writes nothing.
	g := f.hooks.hold(streams[0])
	done := make(chan error, 1)
	go func() {
		_, err := ba.AppendBatch(f.ctx, items)
		done <- err
	}()
	g.waitReached(t)
	for _, s := range streams {
		require.Empty(t, f.readStream(s), "%s is visible before the batch commits", s)
		require.Zero(t, f.streamVersion(s), "%s has a version before the batch commits", s)
	}
	g.let(errRollback)
	select {
	case err := <-done:
		require.ErrorIs(t, err, errRollback, "the batch error must carry the failed commit's cause")
	case <-f.ctx.Done():
		t.Fatal(f.ctx.Err())
	}
	for _, s := range streams {
		require.Empty(t, f.readStream(s), "%s was written by a batch that rolled back", s)
	}

	// The same batch again, committed: every item becomes visible.
	g = f.hooks.hold(streams[0])
	results := make(chan []eventstore.BatchResult, 1)
	go func() {
		res, err := ba.AppendBatch(f.ctx, items)
		done <- err
		results <- res
	}()
	g.waitReached(t)
	for _, s := range streams {
		require.Empty(t, f.readStream(s), "%s is visible before the batch commits", s)
	}
	g.let(nil)
	require.NoError(t, <-done)
	res := <-results
	require.Len(t, res, len(items))
	for i, s := range streams {
		requireWritten(t, res[i], s, 0, items[i].Events)
		requireEnvelopesEqual(t, res[i].Result.Events, f.readStream(s), s)
	}
}

// [ES14] Items that fail (wrong expected version, reused event id, invalid input) get their own
// error and write nothing; the other items of the batch commit. A retried item is AlreadyApplied.
func testBatchItemErrorsIsolated(t *testing.T, f *fixture) {
	existing := f.append("batch-iso-existing", eventstore.NoStream(), batch("existing", 2)...)
	retried := batch("retried", 2)
	f.append("batch-iso-retried", eventstore.NoStream(), retried...)

	okA, okB := batch("ok-a", 1), batch("ok-b", 3)
	items := []eventstore.StreamAppend{
		item("batch-iso-a", eventstore.NoStream(), okA...),
		item("batch-iso-existing", eventstore.NoStream(), batch("conflict", 1)...),
		item("batch-iso-absent", eventstore.Exact(5), batch("future", 1)...),
		item("batch-iso-dup", eventstore.Any(), evID(existing.Events[0].ID, "test.dup", 1)),
		item("", eventstore.Any(), batch("no-stream-id", 1)...),
		item("batch-iso-empty", eventstore.Any()),
		item("batch-iso-badjson", eventstore.Any(), eventstore.EventData{Type: "t", Data: []byte("{")}),
		item("batch-iso-retried", eventstore.Exact(0), retried...),
		item("batch-iso-b", eventstore.Any(), okB...),
	}
	res := f.appendBatch(items...)

	requireWritten(t, res[0], "batch-iso-a", 0, okA)
	requireConflict(t, res[1].Err, "batch-iso-existing", eventstore.NoStream(), 2)
	requireConflict(t, res[2].Err, "batch-iso-absent", eventstore.Exact(5), 0)
	require.ErrorIs(t, res[3].Err, eventstore.ErrDuplicateEventID)
	for _, i := range []int{4, 5, 6} {
		require.ErrorIs(t, res[i].Err, eventstore.ErrInvalidInput, "item %d", i)
	}
	require.NoError(t, res[7].Err, "a retried item")
	require.True(t, res[7].Result.AlreadyApplied, "a retried item")
	require.Equal(t, dataIDs(retried), ids(res[7].Result.Events))
	requireWritten(t, res[8], "batch-iso-b", 0, okB)

	require.Equal(t, ids(existing.Events), ids(f.readStream("batch-iso-existing")), "a failed item wrote")
	for _, s := range []string{"batch-iso-absent", "batch-iso-dup", "batch-iso-empty", "batch-iso-badjson"} {
		require.Empty(t, f.readStream(s), "failed item for %s wrote", s)
	}
	require.Len(t, f.readStream("batch-iso-retried"), 2, "a retried item wrote again")
	require.Equal(t, dataIDs(okB), ids(f.readStream("batch-iso-b")))
	log := f.readAll("", 0)
	require.Len(t, log, 2+2+1+3, "the global log holds the setup appends and the two written items")
}

// [ES14] Several items for one stream: each sees the version the previous one left.
func testBatchSameStream(t *testing.T, f *fixture) {
	const s = "batch-same"
	first, second, stale, anyEv := batch("first", 2), batch("second", 1), batch("stale", 1), batch("any", 2)
	res := f.appendBatch(
		item(s, eventstore.NoStream(), first...),
		item(s, eventstore.Exact(2), second...),
		item(s, eventstore.Exact(2), stale...),
		item(s, eventstore.Any(), anyEv...),
		item(s, eventstore.Exact(5), first...), // a retry of the first item within the batch
	)
	requireWritten(t, res[0], s, 0, first)
	requireWritten(t, res[1], s, 2, second)
	requireConflict(t, res[2].Err, s, eventstore.Exact(2), 3)
	requireWritten(t, res[3], s, 3, anyEv)
	require.NoError(t, res[4].Err)
	require.True(t, res[4].Result.AlreadyApplied, "repeating an item's events in the same batch is a retry")
	requireEnvelopesEqual(t, res[0].Result.Events, res[4].Result.Events, "retried item's envelopes")

	events := f.readStream(s)
	require.Len(t, events, 5)
	requireGapless(t, s, events)
	require.Equal(t, int64(5), f.streamVersion(s))
}

// [ES14] An empty batch returns no results and writes nothing; an oversized batch fails as a whole;
// a full one (MaxBatchItems items) is accepted; after Close the batch fails with ErrClosed.
func testBatchEmptyAndLimits(t *testing.T, f *fixture) {
	ba := f.batcher()
	before := f.readAll("", 0)
	for _, b := range [][]eventstore.StreamAppend{nil, {}} {
		res, err := ba.AppendBatch(f.ctx, b)
		require.NoError(t, err)
		require.Empty(t, res)
	}

	tooMany := make([]eventstore.StreamAppend, eventstore.MaxBatchItems+1)
	for i := range tooMany {
		tooMany[i] = item(fmt.Sprintf("batch-limit-%d", i), eventstore.Any(), ev("t", i))
	}
	res, err := ba.AppendBatch(f.ctx, tooMany)
	require.ErrorIs(t, err, eventstore.ErrInvalidInput, "more than MaxBatchItems items")
	require.Nil(t, res)

	tooManyEvents := []eventstore.StreamAppend{
		item("batch-limit-x", eventstore.Any(), batch("x", eventstore.MaxBatchEvents/2+1)...),
		item("batch-limit-y", eventstore.Any(), batch("y", eventstore.MaxBatchEvents/2)...),
	}
	res, err = ba.AppendBatch(f.ctx, tooManyEvents)
	require.ErrorIs(t, err, eventstore.ErrInvalidInput, "more than MaxBatchEvents events in total")
	require.Nil(t, res)
	require.Equal(t, ids(before), ids(f.readAll("", 0)), "a rejected batch wrote")

	full := make([]eventstore.StreamAppend, eventstore.MaxBatchItems)
	for i := range full {
		full[i] = item(fmt.Sprintf("batch-full-%d", i), eventstore.NoStream(), evID(newID(), "t", i))
	}
	for i, r := range f.appendBatch(full...) {
		requireWritten(t, r, full[i].StreamID, 0, full[i].Events)
	}

	require.NoError(t, f.store.Close())
	res, err = ba.AppendBatch(f.ctx, []eventstore.StreamAppend{item("batch-closed", eventstore.Any(), ev("t", 1))})
	require.ErrorIs(t, err, eventstore.ErrClosed, "AppendBatch after Close")
	require.Nil(t, res)
}

// [ES14] A batch's events enter the global log together, in batch order (item by item, each item's
// events in stream order), at the positions the results report.
func testBatchGlobalOrder(t *testing.T, f *fixture) {
	f.append("batch-order-before", eventstore.NoStream(), batch("before", 1)...)
	var items []eventstore.StreamAppend
	for i := range 5 {
		items = append(items, item(fmt.Sprintf("batch-order-%d", i%3), eventstore.Any(), batch(fmt.Sprintf("i%d", i), i%2+1)...))
	}
	res := f.appendBatch(items...)
	f.append("batch-order-after", eventstore.NoStream(), batch("after", 1)...)

	var want []eventstore.Envelope
	for i, r := range res {
		require.NoError(t, r.Err, "item %d", i)
		want = append(want, r.Result.Events...)
	}
	log := f.readAll("", 0)
	require.Len(t, log, len(want)+2)
	require.Equal(t, "batch-order-before", log[0].StreamID)
	require.Equal(t, "batch-order-after", log[len(log)-1].StreamID)
	requireEnvelopesEqual(t, want, log[1:len(log)-1], "the batch in the global log")
	requireStreamOrder(t, log, "ReadAll")
	for page := 1; page <= 3; page++ {
		requireEnvelopesEqual(t, log, f.readAll("", page), fmt.Sprintf("ReadAll in pages of %d", page))
	}
}

// [ES14] Batches and single appends racing on shared streams: every append succeeds (Any) or
// fails cleanly (Exact), versions stay unique and gapless, batches' items stay whole, and live
// subscribers receive every event exactly once in log order.
func testBatchConcurrentWithAppends(t *testing.T, f *fixture) {
	const batchers, singles, rounds, streams, perBatch = 4, 4, 15, 6, 8
	ba := f.batcher()
	sub := f.subscribe("subscriber", eventstore.SubscribeParams{BatchSize: 50})
	var (
		mu      sync.Mutex
		errs    []error
		written = map[uuid.UUID]bool{}
		wg      sync.WaitGroup
	)
	record := func(err error, envs ...eventstore.Envelope) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
		for _, e := range envs {
			if written[e.ID] {
				errs = append(errs, fmt.Errorf("event %s reported written twice", e.ID))
			}
			written[e.ID] = true
		}
	}
	for w := range batchers {
		wg.Go(func() {
			for r := range rounds {
				items := make([]eventstore.StreamAppend, perBatch)
				for i := range items {
					stream := fmt.Sprintf("batch-race-%d", (w+r+i)%streams)
					// Exact(0) items lose once their stream exists: the failures must stay isolated.
					expected := eventstore.Any()
					if i == 0 {
						expected = eventstore.NoStream()
					}
					items[i] = item(stream, expected, batch(fmt.Sprintf("b%d-r%d-i%d", w, r, i), i%3+1)...)
				}
				res, err := ba.AppendBatch(f.ctx, items)
				if err != nil {
					record(fmt.Errorf("batcher %d round %d: %w", w, r, err))
					return
				}
				for i, x := range res {
					switch {
					case x.Err == nil:
						record(nil, x.Result.Events...)
					case i == 0 && errors.Is(x.Err, eventstore.ErrWrongExpectedVersion):
					default:
						record(fmt.Errorf("batcher %d round %d item %d: %w", w, r, i, x.Err))
					}
				}
			}
		})
	}
	for w := range singles {
		wg.Go(func() {
			for r := range rounds {
				stream := fmt.Sprintf("batch-race-%d", (w+r)%streams)
				res, err := f.store.Append(f.ctx, stream, eventstore.Any(), batch(fmt.Sprintf("s%d-r%d", w, r), 2))
				record(err, res.Events...)
			}
		})
	}
	waitGroup(t, &wg, longWait, "the writers")
	require.Empty(t, errs)

	fence := f.fence()
	log := f.readAll("", 0)
	require.Len(t, log, len(written), "the global log holds exactly the events reported written")
	for _, e := range log {
		require.True(t, written[e.ID], "event %s in the log was not reported written", e.ID)
	}
	requireStreamOrder(t, log, "ReadAll")
	for s := range streams {
		stream := fmt.Sprintf("batch-race-%d", s)
		events := f.readStream(stream)
		requireGapless(t, stream, events)
		requireContiguousBatches(t, events, stream)
	}
	sub.waitFor(t, longWait, fence.ID)
	requireSameLog(t, log, sub.received(), sub.name)
}
