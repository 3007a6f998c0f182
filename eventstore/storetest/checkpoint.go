package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
)

// [ES7] A consumer stops part way, saves its cursor, and resumes with exactly the rest.
func testResumeFromCheckpoint(t *testing.T, f *fixture) {
	const name, batchSize, stopAfter = "projector", 4, 10
	for i := range 25 {
		f.append(fmt.Sprintf("resume-%d", i%3), eventstore.Any(), batch(fmt.Sprintf("a%d", i), 1)...)
	}

	// First run: handle batches until stopAfter events, then stop by cancelling the context.
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		handled  []eventstore.Envelope
		maxBatch int
	)
	done := make(chan error, 1)
	go func() {
		done <- f.store.Subscribe(ctx, eventstore.SubscribeParams{BatchSize: batchSize}, func(_ context.Context, events []eventstore.Envelope) error {
			mu.Lock()
			defer mu.Unlock()
			handled = append(handled, events...)
			maxBatch = max(maxBatch, len(events))
			if len(handled) >= stopAfter {
				cancel()
			}
			return nil
		})
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(shortWait):
		require.FailNow(t, "Subscribe did not return after its context was cancelled")
	}
	require.ErrorIs(t, err, context.Canceled, "Subscribe stopped by cancelling its context")
	mu.Lock()
	first := append([]eventstore.Envelope(nil), handled...)
	require.LessOrEqual(t, maxBatch, batchSize, "batches are at most BatchSize")
	mu.Unlock()
	require.GreaterOrEqual(t, len(first), stopAfter)

	log := f.readAll("", 0)
	require.Len(t, log, 25)
	requireSameLog(t, log[:len(first)], first, "the first run")

	// Save the cursor as a consumer would, load it back, resume.
	last := first[len(first)-1].GlobalPosition
	swapped, err := f.store.CheckpointSwap(f.ctx, name, 0, last)
	require.NoError(t, err)
	require.True(t, swapped, "first save of a checkpoint swaps from 0")
	cursor, err := f.store.CheckpointLoad(f.ctx, name)
	require.NoError(t, err)
	require.Equal(t, last, cursor)

	resumed := f.subscribe("resumed subscription", eventstore.SubscribeParams{After: cursor, BatchSize: batchSize})
	for i := range 5 { // and it goes on live
		f.append(fmt.Sprintf("resume-%d", i%3), eventstore.Any(), batch(fmt.Sprintf("b%d", i), 1)...)
	}
	fence := f.fence()
	resumed.waitFor(t, shortWait, fence.ID)
	log = f.readAll("", 0)
	requireSameLog(t, log[len(first):], resumed.received(), "the resumed subscription")
	require.LessOrEqual(t, resumed.largestBatch(), batchSize, "batches are at most BatchSize")

	// ReadAll from the same cursor agrees.
	page, err := f.store.ReadAll(f.ctx, eventstore.ReadAllParams{After: cursor, Limit: 1000})
	require.NoError(t, err)
	requireSameLog(t, log[len(first):], withoutSync(page), "ReadAll after the checkpoint")
}

// [ES7] CheckpointLoad and CheckpointSwap: 0 when absent, compare-and-swap, names independent.
func testCheckpointSwap(t *testing.T, f *fixture) {
	load := func(name string) int64 {
		t.Helper()
		v, err := f.store.CheckpointLoad(f.ctx, name)
		require.NoError(t, err, "CheckpointLoad %s", name)
		return v
	}
	swap := func(name string, old, new int64) bool {
		t.Helper()
		ok, err := f.store.CheckpointSwap(f.ctx, name, old, new)
		require.NoError(t, err, "CheckpointSwap %s %d -> %d", name, old, new)
		return ok
	}
	require.Equal(t, int64(0), load("a"), "an absent checkpoint is 0")
	require.False(t, swap("a", 5, 6), "swap from a wrong old value on an absent checkpoint")
	require.Equal(t, int64(0), load("a"))
	require.True(t, swap("a", 0, 10), "swap from 0 creates the checkpoint")
	require.Equal(t, int64(10), load("a"))
	require.False(t, swap("a", 0, 20), "swap from 0 when it is at 10")
	require.Equal(t, int64(10), load("a"))
	require.False(t, swap("a", 7, 20), "swap from a wrong old value")
	require.Equal(t, int64(10), load("a"))
	require.True(t, swap("a", 10, 20))
	require.Equal(t, int64(20), load("a"))
	require.Equal(t, int64(0), load("b"), "names are independent")
	require.True(t, swap("b", 0, 3))
	require.Equal(t, int64(20), load("a"))
	require.True(t, swap("a", 20, 0), "a checkpoint can be reset to 0 (rebuild from the start)")
	require.Equal(t, int64(0), load("a"))
	require.True(t, swap("a", 0, 30), "and swapped from 0 again")
	require.Equal(t, int64(30), load("a"))
	require.Equal(t, int64(3), load("b"))

	// Racing swaps from the same old value: exactly one wins, for a new and for an existing name.
	const racers = 8
	for round, from := range []int64{0, 1000} {
		if from != 0 {
			require.True(t, swap("race", load("race"), from))
		}
		start := make(chan struct{})
		results := make([]bool, racers)
		errs := make([]error, racers)
		var wg sync.WaitGroup
		for r := range racers {
			wg.Go(func() {
				<-start
				results[r], errs[r] = f.store.CheckpointSwap(f.ctx, "race", from, from+int64(r)+1)
			})
		}
		close(start)
		waitGroup(t, &wg, shortWait, "racing swaps")
		winner := -1
		for r := range racers {
			require.NoError(t, errs[r], "round %d racer %d", round, r)
			if results[r] {
				require.Equal(t, -1, winner, "round %d: two swaps from %d won", round, from)
				winner = r
			}
		}
		require.NotEqual(t, -1, winner, "round %d: no swap from %d won", round, from)
		require.Equal(t, from+int64(winner)+1, load("race"), "round %d: the winner's value is stored", round)
	}
}
