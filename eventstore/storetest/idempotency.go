package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
)

// [ES3] Retrying an append with the same ids is answered from the log, whatever the condition.
func testIdempotentRetry(t *testing.T, f *fixture) {
	const stream = "retry-a"
	events := batch("op-1", 2)
	first := f.append(stream, eventstore.NoStream(), events...)
	require.Equal(t, int64(2), first.StreamVersion)

	retries := []eventstore.Expected{
		eventstore.NoStream(), // the original condition, which no longer holds
		eventstore.Exact(0),
		eventstore.Any(),
		eventstore.StreamExists(),
		eventstore.Exact(2),
	}
	for _, expected := range retries {
		res, err := f.store.Append(f.ctx, stream, expected, events)
		require.NoError(t, err, "retry with %s", expected)
		require.True(t, res.AlreadyApplied, "retry with %s: AlreadyApplied", expected)
		require.Equal(t, int64(2), res.StreamVersion, "retry with %s: StreamVersion", expected)
		requireEnvelopesEqual(t, first.Events, res.Events, "retry with "+expected.String())
	}
	requireEnvelopesEqual(t, first.Events, f.readStream(stream), "stream after retries")
	requireEnvelopesEqual(t, first.Events, f.readAll("", 0), "log after retries")

	// After the stream moved on, a late retry still gets the original envelopes.
	later := f.append(stream, eventstore.Exact(2), batch("op-2", 1)...)
	res, err := f.store.Append(f.ctx, stream, eventstore.Exact(0), events)
	require.NoError(t, err, "late retry")
	require.True(t, res.AlreadyApplied, "late retry: AlreadyApplied")
	requireEnvelopesEqual(t, first.Events, res.Events, "late retry")
	require.Equal(t, int64(3), f.streamVersion(stream))
	requireEnvelopesEqual(t, append(first.Events, later.Events...), f.readAll("", 0), "log after the late retry")
}

// [ES3] An event id used once cannot be used by any other append.
func testDuplicateEventID(t *testing.T, f *fixture) {
	const stream, other = "dup-a", "dup-b"
	events := batch("op-1", 2)
	f.append(stream, eventstore.NoStream(), events...)

	cases := []struct {
		name     string
		stream   string
		expected eventstore.Expected
		events   []eventstore.EventData
	}{
		{"same batch, other stream", other, eventstore.Any(), events},
		{"one id, other stream", other, eventstore.NoStream(), []eventstore.EventData{events[1]}},
		{"old id with a new one, same stream", stream, eventstore.Any(), append(batch("op-2", 1), events[0])},
		{"new id with an old one, same stream", stream, eventstore.Exact(2), []eventstore.EventData{events[0], batch("op-3", 1)[0]}},
		{"old id with a new one, other stream", other, eventstore.Any(), []eventstore.EventData{batch("op-4", 1)[0], events[1]}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := *f
			f.t = t
			streamBefore, logBefore := f.readStream(c.stream), f.readAll("", 0)
			_, err := f.store.Append(f.ctx, c.stream, c.expected, c.events)
			require.ErrorIs(t, err, eventstore.ErrDuplicateEventID)
			f.requireUnchanged("append reusing an event id", c.stream, streamBefore, logBefore)
		})
	}
	require.Equal(t, int64(2), f.streamVersion(stream))
	require.Equal(t, int64(0), f.streamVersion(other))
}

// [ES3] Racing retries: the same append sent concurrently is applied once, the others are answered
// as retries; the same ids raced into two streams land in one, the other gets ErrDuplicateEventID.
func testConcurrentRetries(t *testing.T, f *fixture) {
	const senders, rounds = 5, 6
	for r := range rounds {
		stream := fmt.Sprintf("resubmit-%d", r)
		events := batch(stream, 3)
		start := make(chan struct{})
		outcomes := make([]appendOutcome, senders)
		var wg sync.WaitGroup
		for s := range senders {
			wg.Go(func() {
				<-start
				res, err := f.store.Append(f.ctx, stream, eventstore.NoStream(), events)
				outcomes[s] = appendOutcome{res: res, err: err}
			})
		}
		close(start)
		waitGroup(t, &wg, shortWait, "racing retries")
		applied := 0
		stored := f.readStream(stream)
		require.Len(t, stored, 3, "round %d: the batch is stored once", r)
		for s, o := range outcomes {
			require.NoError(t, o.err, "round %d sender %d: a retry racing the original must not fail", r, s)
			if !o.res.AlreadyApplied {
				applied++
			}
			requireEnvelopesEqual(t, stored, o.res.Events, fmt.Sprintf("round %d sender %d", r, s))
		}
		require.Equal(t, 1, applied, "round %d: exactly one append applies, the rest are retries", r)
	}

	for r := range rounds {
		a, b := fmt.Sprintf("split-%d-a", r), fmt.Sprintf("split-%d-b", r)
		events := batch(a, 2)
		start := make(chan struct{})
		var oa, ob appendOutcome
		var wg sync.WaitGroup
		wg.Go(func() { <-start; oa.res, oa.err = f.store.Append(f.ctx, a, eventstore.Any(), events) })
		wg.Go(func() { <-start; ob.res, ob.err = f.store.Append(f.ctx, b, eventstore.Any(), events) })
		close(start)
		waitGroup(t, &wg, shortWait, "appends racing the same ids into two streams")
		winner, loser, lost := a, b, ob
		if oa.err != nil {
			winner, loser, lost = b, a, oa
		}
		require.ErrorIs(t, lost.err, eventstore.ErrDuplicateEventID, "round %d: the append that lost the ids", r)
		require.Len(t, f.readStream(winner), 2, "round %d: the winner's stream", r)
		require.Empty(t, f.readStream(loser), "round %d: the loser's stream", r)
	}
}
