package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
)

// Timeouts bound every wait; they are failure limits, not expected durations.
const (
	shortWait = 10 * time.Second
	longWait  = 60 * time.Second
)

// fixture is one subtest's store plus the helpers that act on it. Its methods use require, so call
// them from the test goroutine only; goroutines use f.store directly and report errors back.
type fixture struct {
	t        *testing.T
	ctx      context.Context
	store    eventstore.Store
	hooks    *hooks
	features Features
}

func setup(t *testing.T, features Features, open OpenFunc) *fixture {
	t.Helper()
	h := &hooks{gates: map[string]*gate{}, abort: make(chan struct{})}
	store := open(t, Options{BeforeCommit: h.beforeCommit, PollInterval: pollInterval})
	require.NotNil(t, store, "OpenFunc returned a nil store")
	// Registered after open, so it runs before the store's own cleanup: held appends are let go
	// before Close waits for them.
	t.Cleanup(h.stop)
	ctx := t.Context()
	require.NoError(t, store.Ping(ctx), "Ping on a fresh store")
	return &fixture{t: t, ctx: ctx, store: store, hooks: h, features: features}
}

// ---- event factories ----

// ev builds an event of type typ with data marshalled to JSON and no id (the store assigns one).
func ev(typ string, data any) eventstore.EventData {
	return eventstore.EventData{Type: typ, Data: mustJSON(data)}
}

// evID is ev with a fixed id.
func evID(id uuid.UUID, typ string, data any) eventstore.EventData {
	e := ev(typ, data)
	e.ID = id
	return e
}

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

func mustJSON(v any) json.RawMessage {
	if raw, ok := v.(json.RawMessage); ok {
		return raw
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("storetest: marshal %T: %v", v, err))
	}
	return b
}

// marker tags each event of a batch so that contiguity can be checked after the fact.
type marker struct {
	Batch string `json:"batch"`
	I     int    `json:"i"`
	N     int    `json:"n"`
}

// batch builds n events with fresh ids, tagged as batch name.
func batch(name string, n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = evID(newID(), "test.batched", marker{Batch: name, I: i, N: n})
	}
	return out
}

func ids(events []eventstore.Envelope) []uuid.UUID {
	out := make([]uuid.UUID, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func dataIDs(events []eventstore.EventData) []uuid.UUID {
	out := make([]uuid.UUID, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

// ---- store helpers ----

func (f *fixture) append(stream string, expected eventstore.Expected, events ...eventstore.EventData) eventstore.AppendResult {
	f.t.Helper()
	res, err := f.store.Append(f.ctx, stream, expected, events)
	require.NoError(f.t, err, "append %d events to %s with %s", len(events), stream, expected)
	require.False(f.t, res.AlreadyApplied, "append to %s: AlreadyApplied on a first append", stream)
	require.Len(f.t, res.Events, len(events), "append to %s: envelopes returned", stream)
	return res
}

// appendAsync runs an append in a goroutine; the result arrives on the returned channel.
func (f *fixture) appendAsync(stream string, expected eventstore.Expected, events ...eventstore.EventData) <-chan appendOutcome {
	out := make(chan appendOutcome, 1)
	go func() {
		res, err := f.store.Append(f.ctx, stream, expected, events)
		out <- appendOutcome{res: res, err: err}
	}()
	return out
}

type appendOutcome struct {
	res eventstore.AppendResult
	err error
}

func (f *fixture) await(ch <-chan appendOutcome, what string) appendOutcome {
	f.t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(shortWait):
		require.FailNowf(f.t, "append did not return", "%s: no result after %s", what, shortWait)
		return appendOutcome{}
	}
}

func (f *fixture) readStream(stream string) []eventstore.Envelope {
	f.t.Helper()
	evs, err := f.store.ReadStream(f.ctx, stream, 0, 0)
	require.NoError(f.t, err, "ReadStream %s", stream)
	return evs
}

func (f *fixture) streamVersion(stream string) int64 {
	f.t.Helper()
	v, err := f.store.StreamVersion(f.ctx, stream)
	require.NoError(f.t, err, "StreamVersion %s", stream)
	return v
}

// syncStreamPrefix names the streams of sync markers (see sync); log comparisons leave them out.
const syncStreamPrefix = "storetest-sync-"

// sync appends a marker event and waits until ReadAll shows it. ReadAll need not show an append at
// once (the Postgres backend reads only below the oldest open transaction of the whole server,
// which may belong to another test), but once a later commit is visible every earlier one is, so
// after sync the log holds everything committed before it. Markers are real events: readAll and
// followers leave them out, so comparisons ignore them.
func (f *fixture) sync() eventstore.Envelope {
	f.t.Helper()
	marker := f.append(syncStreamPrefix+newID().String(), eventstore.NoStream(), ev("storetest.sync", map[string]any{})).Events[0]
	deadline := time.Now().Add(longWait)
	after := int64(0)
	for {
		page, err := f.store.ReadAll(f.ctx, eventstore.ReadAllParams{After: after, Limit: 1000})
		require.NoError(f.t, err, "ReadAll after %d", after)
		for _, e := range page {
			if e.ID == marker.ID {
				return marker
			}
		}
		if len(page) > 0 {
			after = page[len(page)-1].GlobalPosition
			continue
		}
		require.True(f.t, time.Now().Before(deadline), "an event committed %s ago is still not in ReadAll", longWait)
		time.Sleep(5 * time.Millisecond) // polling: there is nothing to wait on
	}
}

// fence is sync under the name its callers use it for: once a follower has the fence, it has had
// its chance to receive (or duplicate) every event committed before it.
func (f *fixture) fence() eventstore.Envelope {
	f.t.Helper()
	return f.sync()
}

// readAll syncs, then pages the whole global log (or a topic of it) with the given page size,
// following the cursor until a page comes back empty. Sync markers are left out.
func (f *fixture) readAll(topic string, limit int) []eventstore.Envelope {
	f.t.Helper()
	f.sync()
	return f.readAllNow(topic, limit)
}

// readAllNow is readAll without the sync: what a reader sees right now. Use it while the test
// itself holds a transaction open (a sync would wait for it).
func (f *fixture) readAllNow(topic string, limit int) []eventstore.Envelope {
	f.t.Helper()
	var all []eventstore.Envelope
	after := int64(0)
	for {
		page, err := f.store.ReadAll(f.ctx, eventstore.ReadAllParams{After: after, Limit: limit, Topic: topic})
		require.NoError(f.t, err, "ReadAll after %d", after)
		if limit > 0 {
			require.LessOrEqual(f.t, len(page), limit, "ReadAll returned more than Limit")
		}
		if len(page) == 0 {
			return withoutSync(all)
		}
		all = append(all, page...)
		after = page[len(page)-1].GlobalPosition
		require.LessOrEqual(f.t, len(all), 1_000_000, "ReadAll does not end (cursor not advancing?)")
	}
}

// withoutSync leaves out sync markers.
func withoutSync(events []eventstore.Envelope) []eventstore.Envelope {
	out := make([]eventstore.Envelope, 0, len(events))
	for _, e := range events {
		if !strings.HasPrefix(e.StreamID, syncStreamPrefix) {
			out = append(out, e)
		}
	}
	return out
}

// requireUnchanged checks that nothing was written to stream or the global log since before.
func (f *fixture) requireUnchanged(what, stream string, streamBefore, logBefore []eventstore.Envelope) {
	f.t.Helper()
	require.Equal(f.t, int64(len(streamBefore)), f.streamVersion(stream), "%s: StreamVersion(%s) changed", what, stream)
	require.Equal(f.t, ids(streamBefore), ids(f.readStream(stream)), "%s: ReadStream(%s) changed", what, stream)
	require.Equal(f.t, ids(logBefore), ids(f.readAll("", 0)), "%s: the global log changed", what)
}

// ---- assertions ----

// requireEnvelopesEqual compares envelopes field by field: data as JSON (backends may normalise
// it), time by instant (backends may change the location).
func requireEnvelopesEqual(t *testing.T, want, got []eventstore.Envelope, what string) {
	t.Helper()
	require.Equal(t, ids(want), ids(got), "%s: event ids", what)
	for i := range want {
		w, g := want[i], got[i]
		require.Equal(t, w.StreamID, g.StreamID, "%s: event %d StreamID", what, i)
		require.Equal(t, w.StreamVersion, g.StreamVersion, "%s: event %d StreamVersion", what, i)
		require.Equal(t, w.GlobalPosition, g.GlobalPosition, "%s: event %d GlobalPosition", what, i)
		require.Equal(t, w.Type, g.Type, "%s: event %d Type", what, i)
		require.JSONEq(t, string(w.Data), string(g.Data), "%s: event %d Data", what, i)
		require.Equal(t, w.SchemaVersion, g.SchemaVersion, "%s: event %d SchemaVersion", what, i)
		require.Equal(t, w.Actor, g.Actor, "%s: event %d Actor", what, i)
		require.Equal(t, w.CausationID, g.CausationID, "%s: event %d CausationID", what, i)
		require.Equal(t, w.CorrelationID, g.CorrelationID, "%s: event %d CorrelationID", what, i)
		require.Equal(t, w.ClientOpID, g.ClientOpID, "%s: event %d ClientOpID", what, i)
		require.True(t, w.Time.Equal(g.Time), "%s: event %d Time: want %s, got %s", what, i, w.Time, g.Time)
	}
}

// requireSameLog checks that got holds exactly the events of want, each once, in want's order.
func requireSameLog(t *testing.T, want, got []eventstore.Envelope, who string) {
	t.Helper()
	seen := make(map[uuid.UUID]bool, len(got))
	for _, e := range got {
		require.False(t, seen[e.ID], "%s received event %s (%s v%d) twice", who, e.ID, e.StreamID, e.StreamVersion)
		seen[e.ID] = true
	}
	wanted := make(map[uuid.UUID]bool, len(want))
	for _, e := range want {
		wanted[e.ID] = true
		require.True(t, seen[e.ID], "%s never received event %s (%s v%d); it has %d of %d events",
			who, e.ID, e.StreamID, e.StreamVersion, len(got), len(want))
	}
	for _, e := range got {
		require.True(t, wanted[e.ID], "%s received event %s (%s v%d) that is not in the log", who, e.ID, e.StreamID, e.StreamVersion)
	}
	require.Equal(t, ids(want), ids(got), "%s received the events in an order that differs from the global log", who)
}

// requireGapless checks that a stream read in full has versions 1..n, all with its stream id.
func requireGapless(t *testing.T, stream string, events []eventstore.Envelope) {
	t.Helper()
	for i, e := range events {
		require.Equal(t, stream, e.StreamID, "%s: event %d has the wrong stream id", stream, i)
		require.Equal(t, int64(i+1), e.StreamVersion, "%s: versions are not gapless 1..n", stream)
	}
}

// requireStreamOrder checks that, in a log, each stream's events come in version order without
// gaps from version 1.
func requireStreamOrder(t *testing.T, log []eventstore.Envelope, who string) {
	t.Helper()
	last := map[string]int64{}
	for _, e := range log {
		require.Equal(t, last[e.StreamID]+1, e.StreamVersion,
			"%s: stream %s version %d follows version %d", who, e.StreamID, e.StreamVersion, last[e.StreamID])
		last[e.StreamID] = e.StreamVersion
	}
}

// requireContiguousBatches checks that every batch (see marker) appears whole and uninterrupted.
func requireContiguousBatches(t *testing.T, events []eventstore.Envelope, what string) map[string]bool {
	t.Helper()
	done := map[string]bool{}
	for i := 0; i < len(events); {
		var m marker
		require.NoError(t, json.Unmarshal(events[i].Data, &m), "%s: event %d data", what, i)
		require.False(t, done[m.Batch], "%s: batch %s appears twice (interleaved)", what, m.Batch)
		require.Equal(t, 0, m.I, "%s: batch %s starts at its event %d (at stream version %d)", what, m.Batch, m.I, events[i].StreamVersion)
		require.LessOrEqual(t, i+m.N, len(events), "%s: batch %s is cut short", what, m.Batch)
		for j := range m.N {
			var mj marker
			require.NoError(t, json.Unmarshal(events[i+j].Data, &mj), "%s: event %d data", what, i+j)
			require.Equal(t, marker{Batch: m.Batch, I: j, N: m.N}, mj,
				"%s: batch %s interleaved with another at stream version %d", what, m.Batch, events[i+j].StreamVersion)
		}
		done[m.Batch] = true
		i += m.N
	}
	return done
}

// requireConflict checks a failed append: ErrWrongExpectedVersion with the actual version.
func requireConflict(t *testing.T, err error, stream string, expected eventstore.Expected, actual int64) {
	t.Helper()
	require.ErrorIs(t, err, eventstore.ErrWrongExpectedVersion, "append to %s with %s", stream, expected)
	var conflict *eventstore.VersionConflictError
	require.ErrorAs(t, err, &conflict, "append to %s with %s", stream, expected)
	require.Equal(t, stream, conflict.StreamID, "VersionConflictError.StreamID")
	require.Equal(t, expected, conflict.Expected, "VersionConflictError.Expected")
	require.Equal(t, actual, conflict.Actual, "VersionConflictError.Actual")
}

// waitClosed waits for done with a timeout.
func waitClosed(t *testing.T, done <-chan struct{}, timeout time.Duration, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(timeout):
		require.FailNowf(t, "timeout", "timed out after %s waiting for %s", timeout, what)
	}
}

// waitGroup waits for wg with a timeout.
func waitGroup(t *testing.T, wg *sync.WaitGroup, timeout time.Duration, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	waitClosed(t, done, timeout, what)
}

// ---- BeforeCommit gates ----

// hooks is the BeforeCommit hook installed in every store: appends to a stream with a gate block
// in the hook (their transaction open) until the test releases them. A gate catches one append.
type hooks struct {
	mu    sync.Mutex
	gates map[string]*gate
	abort chan struct{}
	once  sync.Once
}

type gate struct {
	stream  string
	reached chan struct{}
	release chan error
}

var errAborted = errors.New("storetest: held append aborted at test end")

func (h *hooks) beforeCommit(ctx context.Context, streamID string) error {
	h.mu.Lock()
	g := h.gates[streamID]
	delete(h.gates, streamID)
	h.mu.Unlock()
	if g == nil {
		return nil
	}
	close(g.reached)
	select {
	case err := <-g.release:
		return err
	case <-h.abort:
		return errAborted
	case <-ctx.Done():
		return ctx.Err()
	}
}

// hold makes the next append to stream block before its commit.
func (h *hooks) hold(stream string) *gate {
	g := &gate{stream: stream, reached: make(chan struct{}), release: make(chan error, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gates[stream] = g
	return g
}

func (h *hooks) stop() { h.once.Do(func() { close(h.abort) }) }

// waitReached waits until an append to the gate's stream is inside its transaction, before commit.
func (g *gate) waitReached(t *testing.T) {
	t.Helper()
	waitClosed(t, g.reached, shortWait, "an append to "+g.stream+" to reach BeforeCommit")
}

// let lets the held append go on: commit if err is nil, roll back with err otherwise.
func (g *gate) let(err error) { g.release <- err }

// ---- followers: subscriptions and ReadAll pollers ----

// follower records what a subscription (or a ReadAll poller) receives.
type follower struct {
	name     string
	mu       sync.Mutex
	events   []eventstore.Envelope
	seen     map[uuid.UUID]int
	maxBatch int
	finished bool
	err      error
	wake     *eventstore.Signal
	cancel   context.CancelFunc
	done     chan struct{}
	stopOnce sync.Once
}

func newFollower(name string, cancel context.CancelFunc) *follower {
	return &follower{name: name, seen: map[uuid.UUID]int{}, wake: eventstore.NewSignal(), cancel: cancel, done: make(chan struct{})}
}

func (fl *follower) add(events []eventstore.Envelope) {
	fl.mu.Lock()
	fl.events = append(fl.events, events...)
	for _, e := range events {
		fl.seen[e.ID]++
	}
	fl.maxBatch = max(fl.maxBatch, len(events))
	fl.mu.Unlock()
	fl.wake.Notify()
}

func (fl *follower) finish(err error) {
	fl.mu.Lock()
	fl.finished, fl.err = true, err
	fl.mu.Unlock()
	close(fl.done)
	fl.wake.Notify()
}

// subscribe starts a subscription that records every event; it is stopped at cleanup, where it
// must end with context.Canceled.
func (f *fixture) subscribe(name string, params eventstore.SubscribeParams) *follower {
	ctx, cancel := context.WithCancel(context.Background())
	fl := newFollower(name, cancel)
	go func() {
		fl.finish(f.store.Subscribe(ctx, params, func(_ context.Context, events []eventstore.Envelope) error {
			fl.add(events)
			return nil
		}))
	}()
	f.t.Cleanup(func() { fl.stop(f.t) })
	return fl
}

// poll starts a reader that pages ReadAll with a cursor (params.After = last position seen),
// polling every few milliseconds once caught up.
func (f *fixture) poll(name string, params eventstore.ReadAllParams) *follower {
	ctx, cancel := context.WithCancel(context.Background())
	fl := newFollower(name, cancel)
	go func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			page, err := f.store.ReadAll(ctx, params)
			if err != nil {
				if ctx.Err() != nil {
					err = ctx.Err()
				}
				fl.finish(err)
				return
			}
			if len(page) > 0 {
				fl.add(page)
				params.After = page[len(page)-1].GlobalPosition
				continue
			}
			select {
			case <-ctx.Done():
				fl.finish(ctx.Err())
				return
			case <-tick.C:
			}
		}
	}()
	f.t.Cleanup(func() { fl.stop(f.t) })
	return fl
}

// stop cancels the follower and checks that it ended because of that.
func (fl *follower) stop(t *testing.T) {
	fl.stopOnce.Do(func() {
		fl.cancel()
		select {
		case <-fl.done:
			if !errors.Is(fl.err, context.Canceled) {
				t.Errorf("%s ended with %v, want context.Canceled", fl.name, fl.err)
			}
		case <-time.After(shortWait):
			t.Errorf("%s did not stop within %s of its context being cancelled", fl.name, shortWait)
		}
	})
}

// waitUntil waits until cond (called with fl locked) holds, failing if the follower ends first.
func (fl *follower) waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		wake := fl.wake.C()
		fl.mu.Lock()
		ok, n, finished, err := cond(), len(fl.events), fl.finished, fl.err
		fl.mu.Unlock()
		if ok {
			return
		}
		if finished {
			require.FailNowf(t, "follower ended", "%s ended with %v before %s (it has %d events)", fl.name, err, what, n)
		}
		select {
		case <-wake:
		case <-deadline.C:
			require.FailNowf(t, "timeout", "%s: timed out after %s waiting for %s (it has %d events)", fl.name, timeout, what, n)
		}
	}
}

// waitFor waits until the follower has received the event with id.
func (fl *follower) waitFor(t *testing.T, timeout time.Duration, id uuid.UUID) {
	t.Helper()
	fl.waitUntil(t, timeout, "event "+id.String(), func() bool { return fl.seen[id] > 0 })
}

// received returns what the follower has received so far, without sync markers.
func (fl *follower) received() []eventstore.Envelope {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	return withoutSync(fl.events)
}

func (fl *follower) largestBatch() int {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	return fl.maxBatch
}
