package storetest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
)

// bigJSON returns a JSON document of exactly size bytes: an object holding one string made of
// ASCII, escapes and multi-byte characters.
func bigJSON(size int) json.RawMessage {
	const head, tail = `{"blob":"`, `"}`
	unit := `abc\"\n\\ é 見 😀 `
	n := size - len(head) - len(tail)
	var b strings.Builder
	b.Grow(size)
	b.WriteString(head)
	for n >= len(unit) {
		b.WriteString(unit)
		n -= len(unit)
	}
	b.WriteString(strings.Repeat("x", n))
	b.WriteString(tail)
	out := json.RawMessage(b.String())
	if len(out) != size || !json.Valid(out) {
		panic("storetest: bigJSON built a wrong document")
	}
	return out
}

// [ES9] A 1 MB event round-trips through Append, ReadStream, ReadAll and Subscribe.
func testLargePayload(t *testing.T, f *fixture) {
	const stream = "big-1"
	sub := f.subscribe("subscriber", eventstore.SubscribeParams{})
	data := bigJSON(1 << 20)
	small := ev("test.small", map[string]any{"n": 1})
	res := f.append(stream, eventstore.NoStream(), small, eventstore.EventData{Type: "test.big", Data: data}, small)
	big := res.Events[1]
	require.JSONEq(t, string(data), string(big.Data), "Append result")

	stored := f.readStream(stream)
	require.Len(t, stored, 3)
	requireEnvelopesEqual(t, res.Events, stored, "ReadStream")
	require.JSONEq(t, string(data), string(stored[1].Data), "ReadStream")

	log := f.readAll("", 0)
	requireEnvelopesEqual(t, res.Events, log, "ReadAll")

	sub.waitFor(t, shortWait, res.Events[2].ID)
	requireEnvelopesEqual(t, res.Events, sub.received(), "Subscribe")
}

// [ES9] The limits are accepted exactly; page sizes default to 500.
func testLimits(t *testing.T, f *fixture) {
	sub := f.subscribe("subscriber", eventstore.SubscribeParams{})

	// The largest event accepted.
	data := bigJSON(eventstore.MaxEventDataBytes)
	res := f.append("limit-data", eventstore.NoStream(), eventstore.EventData{Type: "test.max_data", Data: data})
	stored := f.readStream("limit-data")
	require.Len(t, stored, 1)
	require.JSONEq(t, string(data), string(stored[0].Data), "an event of MaxEventDataBytes round-trips")

	// The largest batch accepted, in one append.
	const stream = "limit-batch"
	res = f.append(stream, eventstore.NoStream(), batch(stream, eventstore.MaxBatchEvents)...)
	require.Equal(t, int64(eventstore.MaxBatchEvents), res.StreamVersion)
	events := f.readStream(stream)
	require.Len(t, events, eventstore.MaxBatchEvents, "ReadStream limit 0 returns all")
	requireGapless(t, stream, events)
	requireContiguousBatches(t, events, stream)

	f.sync()
	page, err := f.store.ReadAll(f.ctx, eventstore.ReadAllParams{})
	require.NoError(t, err)
	require.Len(t, page, 500, "ReadAll Limit 0 means 500")

	sub.waitFor(t, shortWait, res.Events[len(res.Events)-1].ID)
	require.Len(t, sub.received(), 1+eventstore.MaxBatchEvents)
	require.LessOrEqual(t, sub.largestBatch(), 500, "Subscribe BatchSize 0 means 500")
}
