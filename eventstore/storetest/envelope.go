package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
)

// [ES11] Every envelope field round-trips; the store fills id, version, position, time, schema.
func testEnvelopeFields(t *testing.T, f *fixture) {
	const stream = "page-envelope"
	givenID, causation, correlation := newID(), newID(), newID()
	in := []eventstore.EventData{
		{
			ID: givenID, Type: "page.node_prop_set", Data: json.RawMessage(`{"node":"n1","path":["style","width"],"value":120}`),
			SchemaVersion: 3, Actor: "user-42", CausationID: &causation, CorrelationID: &correlation, ClientOpID: "client-7:12",
		},
		{Type: "page.node_inserted", Data: json.RawMessage(`{"node":"n2"}`)}, // zero id, zero schema version
		{Type: "page.node_deleted", Data: json.RawMessage(`[1,"two",null,true,{"x":[]}]`), Actor: "system", CorrelationID: &correlation},
		{Type: "page.scalar", Data: json.RawMessage(`"just a string"`)},
	}
	start := time.Now()
	res := f.append(stream, eventstore.NoStream(), in...)
	end := time.Now()
	require.Equal(t, int64(len(in)), res.StreamVersion)

	positions := map[int64]bool{}
	for i, e := range res.Events {
		require.Equal(t, stream, e.StreamID, "event %d StreamID", i)
		require.Equal(t, int64(i+1), e.StreamVersion, "event %d StreamVersion", i)
		require.Positive(t, e.GlobalPosition, "event %d GlobalPosition (0 is the start cursor)", i)
		require.False(t, positions[e.GlobalPosition], "event %d GlobalPosition is not unique", i)
		positions[e.GlobalPosition] = true
		require.Equal(t, in[i].Type, e.Type, "event %d Type", i)
		require.JSONEq(t, string(in[i].Data), string(e.Data), "event %d Data", i)
		require.Equal(t, in[i].Actor, e.Actor, "event %d Actor", i)
		require.Equal(t, in[i].CausationID, e.CausationID, "event %d CausationID", i)
		require.Equal(t, in[i].CorrelationID, e.CorrelationID, "event %d CorrelationID", i)
		require.Equal(t, in[i].ClientOpID, e.ClientOpID, "event %d ClientOpID", i)
		require.WithinRange(t, e.Time, start.Add(-5*time.Second), end.Add(5*time.Second), "event %d Time is now", i)
		if in[i].ID == uuid.Nil {
			require.NotEqual(t, uuid.Nil, e.ID, "event %d: a zero id is assigned", i)
			require.Equal(t, uuid.Version(7), e.ID.Version(), "event %d: assigned ids are UUID v7", i)
		} else {
			require.Equal(t, in[i].ID, e.ID, "event %d: a given id is kept", i)
		}
	}
	require.NotEqual(t, res.Events[1].ID, res.Events[3].ID, "assigned ids are distinct")
	require.Equal(t, 3, res.Events[0].SchemaVersion, "a given schema version is kept")
	require.Equal(t, 1, res.Events[1].SchemaVersion, "schema version 0 means 1")
	require.Nil(t, res.Events[1].CausationID, "no causation id stays nil")
	require.Nil(t, res.Events[1].CorrelationID, "no correlation id stays nil")
	require.Empty(t, res.Events[1].Actor)
	require.Empty(t, res.Events[1].ClientOpID)
	require.Equal(t, uuid.Nil, in[1].ID, "Append must not modify its input")
	require.Equal(t, 0, in[1].SchemaVersion, "Append must not modify its input")

	requireEnvelopesEqual(t, res.Events, f.readStream(stream), "ReadStream")
	requireEnvelopesEqual(t, res.Events, f.readAll("", 0), "ReadAll")
	require.Equal(t, int64(len(in)), f.streamVersion(stream))

	// Absent streams: version 0, no events, no error.
	require.Equal(t, int64(0), f.streamVersion("page-absent"))
	require.Empty(t, f.readStream("page-absent"))
	// Stream ids are matched exactly, not by prefix.
	require.Equal(t, int64(0), f.streamVersion("page"))
	require.Empty(t, f.readStream("page-env"))

	// An envelope serialises with the documented JSON names.
	raw, err := json.Marshal(res.Events[0])
	require.NoError(t, err)
	var back eventstore.Envelope
	require.NoError(t, json.Unmarshal(raw, &back))
	requireEnvelopesEqual(t, res.Events[:1], []eventstore.Envelope{back}, "JSON round trip")
}

// [ES11] ReadStream(fromVersion, limit) pages a stream.
func testReadStreamPaging(t *testing.T, f *fixture) {
	const stream = "paging"
	var all []eventstore.Envelope
	for i := range 4 { // 10 events in appends of 1, 2, 3, 4
		all = append(all, f.append(stream, eventstore.Any(), batch(fmt.Sprintf("b%d", i), i+1)...).Events...)
	}
	f.append("paging-other", eventstore.Any(), batch("other", 3)...)
	for _, c := range []struct {
		from        int64
		limit       int
		first, last int64 // expected versions, 0,0 for none
	}{
		{0, 0, 1, 10}, {1, 0, 1, 10}, {5, 0, 5, 10}, {10, 0, 10, 10}, {11, 0, 0, 0}, {100, 0, 0, 0},
		{1, 3, 1, 3}, {4, 3, 4, 6}, {7, 3, 7, 9}, {10, 3, 10, 10}, {1, 10, 1, 10}, {1, 100, 1, 10}, {3, 1, 3, 3},
	} {
		got, err := f.store.ReadStream(f.ctx, stream, c.from, c.limit)
		require.NoError(t, err, "ReadStream from %d limit %d", c.from, c.limit)
		var want []eventstore.Envelope
		if c.first > 0 {
			want = all[c.first-1 : c.last]
		}
		require.Len(t, got, len(want), "ReadStream from %d limit %d", c.from, c.limit)
		requireEnvelopesEqual(t, want, got, fmt.Sprintf("ReadStream from %d limit %d", c.from, c.limit))
	}
	// Paging with the next version as cursor visits every event once.
	var paged []eventstore.Envelope
	for from := int64(1); ; {
		page, err := f.store.ReadStream(f.ctx, stream, from, 4)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		from = page[len(page)-1].StreamVersion + 1
	}
	requireEnvelopesEqual(t, all, paged, "paged ReadStream")
}

// [ES11] ReadAll pages the global log with an opaque cursor.
func testReadAllPaging(t *testing.T, f *fixture) {
	empty, err := f.store.ReadAll(f.ctx, eventstore.ReadAllParams{})
	require.NoError(t, err)
	require.Empty(t, empty, "a fresh store's log is empty")

	var appended []eventstore.Envelope
	for i := range 12 {
		appended = append(appended, f.append(fmt.Sprintf("log-%d", i%4), eventstore.Any(), batch(fmt.Sprintf("b%d", i), 1+i%3)...).Events...)
	}
	all := f.readAll("", 0)
	requireEnvelopesEqual(t, appended, all, "ReadAll after sequential appends (log order is commit order)")
	for _, limit := range []int{1, 2, 5, 7, len(all), len(all) + 1} {
		requireEnvelopesEqual(t, all, f.readAll("", limit), fmt.Sprintf("ReadAll in pages of %d", limit))
	}
	// Any position is a cursor for the rest of the log.
	for i, e := range all {
		page, err := f.store.ReadAll(f.ctx, eventstore.ReadAllParams{After: e.GlobalPosition, Limit: 1000})
		require.NoError(t, err)
		requireEnvelopesEqual(t, all[i+1:], withoutSync(page), fmt.Sprintf("ReadAll after event %d", i))
	}
}

// [ES11] Topic keeps exactly the streams named Topic or starting with Topic + "-".
func testTopicFilter(t *testing.T, f *fixture) {
	streams := []string{
		"page-1", "page", "pages-1", "xpage-1", "page-2-sub", "Page-1", "PAGE", "page_1", "pagetree-1", "page-",
		"a_b-1", "axb-1", "a_b", "c%d-1", "cxyzd-1", "c%d", `e\f-1`, `e\\f-1`, "ef-1", "page-10", "page-1-x",
	}
	byStream := map[string]eventstore.Envelope{}
	for _, s := range streams {
		byStream[s] = f.append(s, eventstore.NoStream(), ev("test.topic", map[string]any{"stream": s})).Events[0]
	}
	sub := f.subscribe("page subscriber", eventstore.SubscribeParams{Topic: "page", BatchSize: 2})

	for _, c := range []struct {
		topic string
		want  []string
	}{
		{"page", []string{"page-1", "page", "page-2-sub", "page-", "page-10", "page-1-x"}},
		{"page-1", []string{"page-1", "page-1-x"}},
		{"a_b", []string{"a_b-1", "a_b"}},
		{"c%d", []string{"c%d-1", "c%d"}},
		{`e\f`, []string{`e\f-1`}},
		{"Page", []string{"Page-1"}},
		{"nothing", nil},
	} {
		var want []eventstore.Envelope
		for _, s := range streams { // log order is append order here
			for _, w := range c.want {
				if s == w {
					want = append(want, byStream[s])
				}
			}
		}
		requireEnvelopesEqual(t, want, f.readAll(c.topic, 0), "ReadAll topic "+c.topic)
		requireEnvelopesEqual(t, want, f.readAll(c.topic, 1), "ReadAll topic "+c.topic+" in pages of 1")
	}

	// A topic subscription gets only its streams, live as well.
	live := f.append("page-live", eventstore.NoStream(), ev("test.topic", 1)).Events[0]
	f.append("pages-live", eventstore.NoStream(), ev("test.topic", 2))
	fence := f.append("page-fence", eventstore.NoStream(), ev("test.topic", 3)).Events[0]
	sub.waitFor(t, shortWait, fence.ID)
	requireSameLog(t, f.readAll("page", 0), sub.received(), sub.name)
	require.Contains(t, ids(sub.received()), live.ID)
	require.LessOrEqual(t, sub.largestBatch(), 2)
}

// [ES11] Head is a cursor after everything readable: 0 on an empty log, the last event of the log
// after appends, and reading after it yields exactly the events committed later.
func testHead(t *testing.T, f *fixture) {
	head, err := f.store.Head(f.ctx)
	require.NoError(t, err)
	require.Zero(t, head, "an empty log's head")

	for i := range 5 {
		f.append(fmt.Sprintf("head-%d", i%2), eventstore.Any(), batch(fmt.Sprintf("h%d", i), 2)...)
	}
	marker := f.sync()
	head, err = f.store.Head(f.ctx)
	require.NoError(t, err)
	rest, err := f.store.ReadAll(f.ctx, eventstore.ReadAllParams{After: head, Limit: 1000})
	require.NoError(t, err)
	require.Empty(t, withoutSync(rest), "nothing but sync markers after the head")
	all, err := f.store.ReadAll(f.ctx, eventstore.ReadAllParams{Limit: 10000})
	require.NoError(t, err)
	require.Equal(t, all[len(all)-1].GlobalPosition, head, "the head is the log's last event")
	require.NotZero(t, marker.GlobalPosition)

	later := f.append("head-later", eventstore.NoStream(), batch("later", 3)...)
	f.sync()
	after, err := f.store.ReadAll(f.ctx, eventstore.ReadAllParams{After: head, Limit: 1000})
	require.NoError(t, err)
	requireEnvelopesEqual(t, later.Events, withoutSync(after), "events after the head")
}
