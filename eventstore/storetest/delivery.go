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

// [ES4] Many writers, live subscribers: every event delivered once, in log order, streams in order.
func testLoadLiveSubscribers(t *testing.T, f *fixture) {
	const writers, appends, perAppend, streams = 10, 100, 10, 10
	subs := []*follower{
		f.subscribe("subscriber 1", eventstore.SubscribeParams{}),
		f.subscribe("subscriber 2", eventstore.SubscribeParams{BatchSize: 64}),
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for w := range writers {
		wg.Go(func() {
			for i := range appends {
				// Writers rotate over shared streams, so appends to one stream race.
				stream := fmt.Sprintf("load-%d", (w+i)%streams)
				if _, err := f.store.Append(f.ctx, stream, eventstore.Any(), batch(fmt.Sprintf("w%d-a%d", w, i), perAppend)); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("writer %d append %d to %s: %w", w, i, stream, err))
					mu.Unlock()
					return
				}
			}
		})
	}
	waitGroup(t, &wg, longWait, "the writers")
	require.Empty(t, errs)
	fence := f.fence()

	log := f.readAll("", 0)
	require.Len(t, log, writers*appends*perAppend)
	requireStreamOrder(t, log, "ReadAll")
	for s := range streams {
		stream := fmt.Sprintf("load-%d", s)
		events := f.readStream(stream)
		requireGapless(t, stream, events)
		requireContiguousBatches(t, events, stream)
	}
	for _, sub := range subs {
		sub.waitFor(t, longWait, fence.ID)
		got := sub.received()
		requireSameLog(t, log, got, sub.name)
		requireStreamOrder(t, got, sub.name)
	}
	require.LessOrEqual(t, subs[1].largestBatch(), 64, "subscriber 2 asked for batches of at most 64")
}

var errRollback = errors.New("storetest: roll this append back")

// [ES5] Open transactions committed in reverse order, one rolled back, while a subscriber and a
// ReadAll reader follow the log.
func testOutOfOrderCommits(t *testing.T, f *fixture) {
	const held = 4     // open transactions at once (each holds a connection)
	const rollback = 1 // index of the one rolled back
	sub := f.subscribe("subscriber", eventstore.SubscribeParams{BatchSize: 4})
	reader := f.poll("ReadAll reader", eventstore.ReadAllParams{Limit: 3})

	f.append("ooo-before", eventstore.NoStream(), batch("before", 2)...)

	gates := make([]*gate, held)
	pending := make([]<-chan appendOutcome, held)
	batches := make([][]eventstore.EventData, held)
	for i := range held {
		stream := fmt.Sprintf("ooo-tx-%d", i)
		batches[i] = batch(stream, 2)
		gates[i] = f.hooks.hold(stream)
		pending[i] = f.appendAsync(stream, eventstore.NoStream(), batches[i]...)
		gates[i].waitReached(t) // transactions open in order 0, 1, 2
	}

	// While they are open, other appends commit.
	f.append("ooo-free", eventstore.Any(), batch("free-0", 1)...)
	requireNoneOf(t, f.readAllNow("", 0), batches, "ReadAll while transactions are open")

	for i := held - 1; i >= 0; i-- {
		stream := fmt.Sprintf("ooo-tx-%d", i)
		if i == rollback {
			gates[i].let(errRollback)
			o := f.await(pending[i], "the rolled-back append")
			require.ErrorIs(t, o.err, errRollback, "an error from BeforeCommit is returned by Append")
		} else {
			gates[i].let(nil)
			o := f.await(pending[i], "append to "+stream)
			require.NoError(t, o.err, "append to %s", stream)
			require.Equal(t, dataIDs(batches[i]), ids(o.res.Events))
		}
		f.append("ooo-free", eventstore.Any(), batch(fmt.Sprintf("free-after-%d", i), 1)...)
	}

	rolledBack := fmt.Sprintf("ooo-tx-%d", rollback)
	require.Equal(t, int64(0), f.streamVersion(rolledBack), "a rolled-back append leaves no version")
	require.Empty(t, f.readStream(rolledBack), "a rolled-back append leaves no events")
	// The stream is still free for its first append, and the rolled-back ids were never used.
	f.append(rolledBack, eventstore.NoStream(), batches[rollback]...)
	fence := f.fence()

	log := f.readAll("", 0)
	require.Len(t, log, 2+1+2*held+held)
	requireStreamOrder(t, log, "ReadAll")
	for _, fl := range []*follower{sub, reader} {
		fl.waitFor(t, shortWait, fence.ID)
		requireSameLog(t, log, fl.received(), fl.name)
	}
	require.LessOrEqual(t, sub.largestBatch(), 4, "the subscriber asked for batches of at most 4")
}

// requireNoneOf checks that no event of the given (uncommitted) batches is in log.
func requireNoneOf(t *testing.T, log []eventstore.Envelope, batches [][]eventstore.EventData, what string) {
	t.Helper()
	hidden := map[uuid.UUID]bool{}
	for _, b := range batches {
		for _, e := range b {
			hidden[e.ID] = true
		}
	}
	for _, e := range log {
		require.False(t, hidden[e.ID], "%s: uncommitted event %s (%s) is visible", what, e.ID, e.StreamID)
	}
}

// [ES6] One transaction held open while others append: readers are not blocked and do not see it;
// once it commits, every event is delivered exactly once.
func testLongOpenTransaction(t *testing.T, f *fixture) {
	const others = 5
	sub := f.subscribe("subscriber", eventstore.SubscribeParams{})
	reader := f.poll("ReadAll reader", eventstore.ReadAllParams{Limit: 5})
	before := f.append("slow-before", eventstore.NoStream(), batch("before", 3)...)
	sub.waitFor(t, shortWait, before.Events[2].ID)

	const slow = "slow-tx"
	slowEvents := batch(slow, 3)
	g := f.hooks.hold(slow)
	pending := f.appendAsync(slow, eventstore.NoStream(), slowEvents...)
	g.waitReached(t)

	// Readers go on while the transaction is open, and do not see its events. (The subscriber has
	// the events before it, so ReadAll must too.)
	log := f.readAllNow("", 0)
	requireNoneOf(t, log, [][]eventstore.EventData{slowEvents}, "ReadAll while a transaction is open")
	requireEnvelopesEqual(t, before.Events, log, "ReadAll while a transaction is open")
	require.Empty(t, f.readStream(slow), "ReadStream while its append is open")

	if f.features.ConcurrentTransactions {
		// Other streams commit while the slow one is open.
		for i := range others {
			f.append(fmt.Sprintf("slow-other-%d", i), eventstore.NoStream(), batch(fmt.Sprintf("other-%d", i), 2)...)
		}
		g.let(nil)
	} else {
		// One writer: the others queue behind the open transaction and commit after it.
		queued := make([]<-chan appendOutcome, others)
		for i := range others {
			queued[i] = f.appendAsync(fmt.Sprintf("slow-other-%d", i), eventstore.NoStream(), batch(fmt.Sprintf("other-%d", i), 2)...)
		}
		g.let(nil)
		for i, q := range queued {
			require.NoError(t, f.await(q, "a queued append").err, "queued append %d", i)
		}
	}
	o := f.await(pending, "the slow append")
	require.NoError(t, o.err, "the slow append")
	require.Equal(t, dataIDs(slowEvents), ids(o.res.Events))
	fence := f.fence()

	log = f.readAll("", 0)
	require.Len(t, log, 3+3+2*others)
	requireStreamOrder(t, log, "ReadAll")
	for _, fl := range []*follower{sub, reader} {
		fl.waitFor(t, shortWait, fence.ID)
		requireSameLog(t, log, fl.received(), fl.name)
	}
}
