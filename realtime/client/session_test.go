package client_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/realtime"
	"github.com/goflow-dev/goflow/realtime/client"
)

func TestSessionHelloAndWelcome(t *testing.T) {
	t.Parallel()
	s := client.NewSession("tab-a")
	require.Equal(t, realtime.Hello{Type: realtime.TypeHello, Protocol: realtime.ProtocolVersion, ClientID: "tab-a"}, s.Hello())
	require.NoError(t, s.Receive(mustJSON(t, realtime.Welcome{Type: realtime.TypeWelcome, Protocol: realtime.ProtocolVersion, User: "alice", ClientID: "tab-a"})))
	require.Equal(t, "alice", s.User())
	require.Error(t, s.Receive(mustJSON(t, realtime.Welcome{Type: realtime.TypeWelcome, Protocol: 99})))
	require.Error(t, s.Receive([]byte(`not json`)))
	require.NoError(t, s.Receive([]byte(`{"type":"from_the_future","x":1}`)), "unknown types are ignored")
	s.Ping("p1")
	require.NoError(t, s.Receive([]byte(`{"type":"pong","id":"p1"}`)))
	require.Equal(t, "p1", s.LastPong())
}

func TestSessionOpenRefusesUnknownDocs(t *testing.T) {
	t.Parallel()
	s := client.NewSession("tab-a")
	for _, doc := range []string{"", "page-", "app-1", "page"} {
		require.ErrorIs(t, s.Open(doc), client.ErrUnknownDoc, doc)
	}
	require.NoError(t, s.Open(pageDoc))
	require.NoError(t, s.Open(pageDoc), "opening twice is harmless")
	out := s.Outbox()
	require.Len(t, out, 1, "one subscribe")
	require.JSONEq(t, `{"type":"subscribe","doc":"page-p1","version":0}`, string(out[0]))
	require.Nil(t, s.Script(pageDoc))
	require.Nil(t, s.Page(scriptDoc))
}

// A reconnect resubscribes every document at its confirmed version and resubmits the ops not
// acknowledged with the same seqs; those the server committed meanwhile are recognised.
func TestSessionReconnectResubmitsTheSameSeqs(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	s, c := f.client("tab-a", pageDoc, scriptDoc)
	p, d := s.Page(pageDoc), s.Script(scriptDoc)
	_, err := p.Submit(setLabel("b1", "one"))
	require.NoError(t, err)
	_, err = p.Submit(setLabel("b1", "two"))
	require.NoError(t, err)
	require.NoError(t, d.Edit(ins(0, "A")))
	require.NoError(t, d.Edit(ins(1, "B")))
	require.NoError(t, s.SetPresence(pageDoc, json.RawMessage(`{"sel":"b1"}`)))
	first := c.outbox()
	require.Len(t, first, 3, "page submit, script submit, presence")
	c.handle(mustJSON(t, first[0])) // the page ops commit, but the connection drops before the news
	c.drop()
	_, err = p.Submit(setLabel("b1", "three")) // while offline
	require.NoError(t, err)

	c2 := f.connect(s)
	out := c2.outbox()
	require.Len(t, out, 5)
	require.JSONEq(t, `{"type":"subscribe","doc":"page-p1","version":2}`, string(mustJSON(t, out[0])))
	require.Equal(t, realtime.TypePresence, out[1]["type"])
	require.Equal(t, realtime.TypeSubmit, out[2]["type"])
	seqs := []float64{}
	for _, op := range out[2]["ops"].([]any) {
		seqs = append(seqs, op.(map[string]any)["seq"].(float64))
	}
	require.Equal(t, []float64{1, 2, 4}, seqs, "the same seqs, in one submit")
	require.JSONEq(t, `{"type":"subscribe","doc":"script-s1","version":1}`, string(mustJSON(t, out[3])))
	require.Equal(t, first[1], out[4], "the script edit in flight is sent again as it was")
	require.Equal(t, realtime.TypeSubmit, out[4]["type"])

	for _, m := range out {
		c2.handle(mustJSON(t, m))
	}
	c2.deliver(1) // page subscribed: the catch-up holds our ops 1 and 2
	require.Equal(t, []int64{4}, p.PendingSeqs())
	f.settle()
	require.Equal(t, 0, s.Pending())
	require.Empty(t, p.Rejections())
	require.Equal(t, "three", label(f.page, "b1"))
	require.Equal(t, int64(5), f.page.Version, "ops 1 and 2 were not applied twice")
	require.Equal(t, "ABhello", f.script.Text)
	require.Equal(t, "ABhello", d.Text())
	confirmed, _ := p.Confirmed()
	require.Equal(t, "three", label(confirmed, "b1"))
}

// The server may send live events before the answer to a subscribe; they wait for it.
func TestSessionEventsBeforeSubscribedWait(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	s := client.NewSession("tab-a")
	c := f.connect(s)
	require.NoError(t, s.Open(pageDoc))
	out := c.outbox()
	snap := mustJSON(t, f.page)
	ev := f.pageCmd("tab-b", 1, domain.RenamePage{Name: "Early"})
	require.NoError(t, s.Receive(mustJSON(t, realtime.Events{Type: realtime.TypeEvents, Doc: pageDoc, Events: ev})))
	require.False(t, s.Page(pageDoc).Loaded())
	require.NoError(t, s.Receive(mustJSON(t, realtime.Subscribed{Type: realtime.TypeSubscribed, Doc: pageDoc, Version: 2, Snapshot: snap})))
	confirmed, v := s.Page(pageDoc).Confirmed()
	require.Equal(t, int64(3), v)
	require.Equal(t, "Early", confirmed.Name)
	require.Len(t, out, 1)
}

// A gap in the versions resubscribes from the confirmed version; duplicates are skipped.
func TestSessionVersionGapResubscribes(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	s, c := f.client("tab-a", pageDoc)
	e3 := f.pageCmd("tab-b", 1, domain.RenamePage{Name: "Three"})
	e4 := f.pageCmd("tab-b", 2, domain.RenamePage{Name: "Four"})
	c.inbox = nil
	require.NoError(t, s.Receive(mustJSON(t, realtime.Events{Type: realtime.TypeEvents, Doc: pageDoc, Events: e4})))
	_, v := s.Page(pageDoc).Confirmed()
	require.Equal(t, int64(2), v, "version 4 cannot follow 2")
	out := c.outbox()
	require.Len(t, out, 1)
	require.JSONEq(t, `{"type":"subscribe","doc":"page-p1","version":2}`, string(mustJSON(t, out[0])))
	c.handle(mustJSON(t, out[0]))
	c.deliverAll()
	require.NoError(t, s.Receive(mustJSON(t, realtime.Events{Type: realtime.TypeEvents, Doc: pageDoc, Events: e3})), "a duplicate")
	confirmed, v := s.Page(pageDoc).Confirmed()
	require.Equal(t, int64(4), v)
	require.Equal(t, "Four", confirmed.Name)
	require.Equal(t, int64(4), confirmed.Version)
}

func TestSessionPresence(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	a, ca := f.client("tab-a", pageDoc)
	b, cb := f.client("tab-b", pageDoc)
	require.NoError(t, a.SetPresence(pageDoc, json.RawMessage(`{"sel":"b1"}`)))
	require.Error(t, a.SetPresence(pageDoc, json.RawMessage(`{`)))
	require.ErrorIs(t, a.SetPresence("page-zz", json.RawMessage(`{}`)), client.ErrUnknownDoc)
	ca.pump()
	cb.deliverAll()
	others := b.Others(pageDoc)
	require.Len(t, others, 1)
	require.JSONEq(t, `{"sel":"b1"}`, string(others["tab-a"].State))
	require.Equal(t, "alice", others["tab-a"].User)

	require.NoError(t, b.Receive(mustJSON(t, realtime.Presence{Type: realtime.TypePresence, Doc: pageDoc, ClientID: "tab-a", Left: true})))
	require.Empty(t, b.Others(pageDoc))

	// A subscribed answer lists who is there.
	require.NoError(t, b.Receive(mustJSON(t, realtime.Subscribed{Type: realtime.TypeSubscribed, Doc: pageDoc, Version: 2,
		Presence: []realtime.PresenceInfo{{User: "bob", ClientID: "tab-c", State: json.RawMessage(`1`)}}})))
	require.NoError(t, b.Receive(mustJSON(t, realtime.Subscribed{Type: realtime.TypeSubscribed, Doc: pageDoc, Version: 2,
		Presence: []realtime.PresenceInfo{{User: "bob", ClientID: "tab-c", State: json.RawMessage(`1`)}, {User: "alice", ClientID: "tab-b"}}})))
	require.Equal(t, map[string]realtime.PresenceInfo{"tab-c": {User: "bob", ClientID: "tab-c", State: json.RawMessage(`1`)}}, b.Others(pageDoc),
		"our own client id (an old connection of ours) is not someone else")

	// Own presence goes out again after a reconnect.
	ca.drop()
	ca2 := f.connect(a)
	out := ca2.outbox()
	require.Len(t, out, 2)
	require.Equal(t, realtime.TypePresence, out[1]["type"])
	require.Equal(t, map[string]any{"sel": "b1"}, out[1]["state"])
}

func TestSessionSubscribeRefusal(t *testing.T) {
	t.Parallel()
	s := client.NewSession("tab-a")
	require.NoError(t, s.Open(pageDoc))
	require.NoError(t, s.Receive(mustJSON(t, realtime.Error{Type: realtime.TypeError, Code: "forbidden", Message: "no", Doc: pageDoc, Ref: realtime.TypeSubscribe})))
	var se *client.SubscribeError
	require.ErrorAs(t, s.Page(pageDoc).Err(), &se)
	require.Equal(t, "forbidden", se.Code)
	require.Len(t, s.Errors(), 1)
}

func TestSessionHooks(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	var changed []string
	outbox := 0
	s := client.NewSessionWith(client.SessionConfig{
		ClientID: "tab-a",
		OnChange: func(doc string) { changed = append(changed, doc) },
		OnOutbox: func() { outbox++ },
	})
	c := f.connect(s)
	require.NoError(t, s.Open(pageDoc))
	require.Positive(t, outbox)
	c.pump()
	c.deliverAll()
	require.Contains(t, changed, pageDoc)
	changed = nil
	f.pageCmd("tab-b", 1, domain.RenamePage{Name: "X"})
	c.deliverAll()
	require.Equal(t, []string{pageDoc}, changed, "one notification per document per message")
}

// The core needs no socket: a Conn receives the outbox.
func TestSessionSendTo(t *testing.T) {
	t.Parallel()
	s := client.NewSession("tab-a")
	require.NoError(t, s.Open(pageDoc))
	require.NoError(t, s.Open(scriptDoc))
	var got [][]byte
	require.NoError(t, s.SendTo(connFunc(func(b []byte) error { got = append(got, b); return nil })))
	require.Len(t, got, 2)
	require.Empty(t, s.Outbox())
}

type connFunc func([]byte) error

func (f connFunc) Send(b []byte) error { return f(b) }

// An ack must not overtake the events before it: while a resubscribe is unanswered, acks wait
// with the events (else the buffer would be sent on a base that lacks the acknowledged edit).
func TestSessionAcksWaitForTheSubscribeAnswer(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	s, c := f.client("tab-a", scriptDoc)
	d := s.Script(scriptDoc)
	require.NoError(t, d.Edit(ins(0, "A")))
	require.NoError(t, d.Edit(ins(1, "B")))
	sent := c.outbox()
	require.Len(t, sent, 1)
	f.scriptEdit("tab-b", 1, ins(5, "!"))
	c.inbox = nil // lost: the next event shows a gap
	c.handle(mustJSON(t, sent[0]))
	c.deliverAll() // our event (a gap: resubscribe), then our ack (waits)
	require.Equal(t, client.AwaitingWithBuffer, d.State())
	out := c.outbox()
	require.Len(t, out, 1, "no buffer sent yet")
	require.JSONEq(t, `{"type":"subscribe","doc":"script-s1","version":1}`, string(mustJSON(t, out[0])))
	c.handle(mustJSON(t, out[0]))
	c.deliverAll()
	require.Equal(t, client.AwaitingConfirm, d.State())
	out = c.outbox()
	require.Len(t, out, 1)
	require.EqualValues(t, 3, out[0]["baseVersion"])
	c.handle(mustJSON(t, out[0]))
	f.settle()
	require.Equal(t, "ABhello!", f.script.Text)
	require.Equal(t, "ABhello!", d.Text())
}
