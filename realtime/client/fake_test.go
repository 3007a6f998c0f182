package client_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/realtime"
	"github.com/goflow-dev/goflow/realtime/client"
	"github.com/goflow-dev/goflow/realtime/textot"
)

// fakeServer is a small in-test model of the co-editing server (realtime/room.go) with one page
// and one script: it decides submitted ops in arrival order, broadcasts the events to every
// subscriber and acknowledges the submitter, but delivers nothing until a test says so, so the
// tests choose every interleaving. Its messages are the protocol's own types.
type fakeServer struct {
	t      *testing.T
	page   *domain.Page
	script *domain.Script
	// events holds every wire event of each doc, events[doc][v-1] being version v.
	events map[string][]realtime.Event
	// seqs is the highest committed seq per doc and client (the server's resubmit check).
	seqs map[string]map[string]int64
	// minBase is the oldest base version a script edit may have (older: base_too_old).
	minBase int64
	nextID  int
	conns   []*fakeConn
}

const (
	pageDoc   = "page-p1"
	scriptDoc = "script-s1"
)

// fakeConn is one client connection: the session and the messages waiting for it.
type fakeConn struct {
	f     *fakeServer
	s     *client.Session
	inbox [][]byte
	subs  map[string]bool
	dead  bool
}

// newFakeServer starts a server with page p1 (a root and a Button b1) and script s1 ("hello").
func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	f := &fakeServer{
		t: t, page: &domain.Page{}, script: &domain.Script{},
		events: map[string][]realtime.Event{}, seqs: map[string]map[string]int64{pageDoc: {}, scriptDoc: {}},
	}
	f.pageCmd("setup", 0, domain.CreatePage{PageID: "p1", AppID: "a1", Name: "Home"})
	f.pageCmd("setup", 0, domain.InsertNode{NodeID: "b1", Type: "Button"})
	events, err := f.script.Decide(domain.CreateScript{ScriptID: "s1", AppID: "a1", Name: "handler", Kind: domain.ScriptEventHandler, Text: "hello"}, f.env())
	require.NoError(t, err)
	f.commitScript("setup", 0, events, nil)
	return f
}

func (f *fakeServer) env() domain.Env {
	return domain.Env{Now: time.Unix(1e9, 0), Actor: "alice", NewID: func() string { f.nextID++; return "n" + strconv.Itoa(f.nextID) }}
}

// wire encodes a domain event as the server sends it.
func (f *fakeServer) wire(doc string, e domain.Event, clientID string, seq int64) realtime.Event {
	typ, data, _, err := domain.Encode(e)
	require.NoError(f.t, err)
	ev := realtime.Event{Version: int64(len(f.events[doc]) + 1), Type: typ, Data: data, Actor: "alice", Time: time.Unix(1e9, 0).UTC().Format(time.RFC3339Nano)}
	if seq > 0 {
		ev.ClientID, ev.Seq = clientID, seq
	}
	f.events[doc] = append(f.events[doc], ev)
	return ev
}

// pageCmd decides and commits a page command (for another writer or the fixture) and
// broadcasts its events.
func (f *fakeServer) pageCmd(clientID string, seq int64, cmd domain.PageCommand) []realtime.Event {
	events, err := f.page.Decide(cmd, f.env())
	require.NoError(f.t, err)
	return f.commitPage(clientID, seq, events)
}

func (f *fakeServer) commitPage(clientID string, seq int64, events []domain.Event) []realtime.Event {
	var out []realtime.Event
	for _, e := range events {
		f.page.Apply(e)
		out = append(out, f.wire(pageDoc, e, clientID, seq))
	}
	f.broadcast(pageDoc, out)
	return out
}

// commitScript commits script events whose text change is op (UTF-16) and broadcasts them.
func (f *fakeServer) commitScript(clientID string, seq int64, events []domain.Event, op textot.Op) []realtime.Event {
	var out []realtime.Event
	for _, e := range events {
		f.script.Apply(e)
		ev := f.wire(scriptDoc, e, clientID, seq)
		ev.Edits = op
		f.events[scriptDoc][len(f.events[scriptDoc])-1].Edits = op
		out = append(out, ev)
	}
	f.broadcast(scriptDoc, out)
	return out
}

// scriptEdit commits a script edit by another writer, made on the current text.
func (f *fakeServer) scriptEdit(clientID string, seq int64, op textot.Op) []realtime.Event {
	bytes, err := textot.ToBytes(f.script.Text, op)
	require.NoError(f.t, err)
	events, err := f.script.Decide(domain.EditScriptText{Edits: bytes}, f.env())
	require.NoError(f.t, err)
	return f.commitScript(clientID, seq, events, op)
}

func (f *fakeServer) broadcast(doc string, events []realtime.Event) {
	if len(events) == 0 {
		return
	}
	for _, c := range f.conns {
		if c.subs[doc] && !c.dead {
			c.push(realtime.Events{Type: realtime.TypeEvents, Doc: doc, Events: events})
		}
	}
}

// connect opens a connection for s: hello, welcome, Reconnected.
func (f *fakeServer) connect(s *client.Session) *fakeConn {
	c := &fakeConn{f: f, s: s, subs: map[string]bool{}}
	f.conns = append(f.conns, c)
	require.Equal(f.t, realtime.TypeHello, s.Hello().Type)
	c.push(realtime.Welcome{Type: realtime.TypeWelcome, Protocol: realtime.ProtocolVersion, User: "alice", ClientID: s.ClientID()})
	c.deliver(1)
	s.Reconnected()
	return c
}

// drop loses the connection: what it has not delivered is gone.
func (c *fakeConn) drop() {
	c.dead = true
	c.inbox = nil
	_ = c.s.Outbox() // written to a dead socket
}

func (c *fakeConn) push(msg any) {
	b, err := json.Marshal(msg)
	require.NoError(c.f.t, err)
	c.inbox = append(c.inbox, b)
}

// deliver hands the next n waiting messages to the session.
func (c *fakeConn) deliver(n int) {
	c.f.t.Helper()
	require.GreaterOrEqual(c.f.t, len(c.inbox), n, "messages waiting")
	for range n {
		m := c.inbox[0]
		c.inbox = c.inbox[1:]
		require.NoError(c.f.t, c.s.Receive(m))
	}
}

func (c *fakeConn) deliverAll() { c.deliver(len(c.inbox)) }

// outbox decodes what the session sends, without processing it.
func (c *fakeConn) outbox() []map[string]any {
	var out []map[string]any
	for _, b := range c.s.Outbox() {
		var m map[string]any
		require.NoError(c.f.t, json.Unmarshal(b, &m))
		out = append(out, m)
	}
	return out
}

// pump processes every message the session has queued.
func (c *fakeConn) pump() {
	c.f.t.Helper()
	for _, b := range c.s.Outbox() {
		c.handle(b)
	}
}

func (c *fakeConn) handle(b []byte) {
	f := c.f
	var env realtime.Envelope
	require.NoError(f.t, json.Unmarshal(b, &env))
	switch env.Type {
	case realtime.TypeSubscribe:
		var m realtime.Subscribe
		require.NoError(f.t, json.Unmarshal(b, &m))
		c.subs[m.Doc] = true
		all := f.events[m.Doc]
		out := realtime.Subscribed{Type: realtime.TypeSubscribed, Doc: m.Doc, Version: int64(len(all))}
		if m.Version <= 0 || m.Version > int64(len(all)) {
			var state any = f.page
			if m.Doc == scriptDoc {
				state = f.script
			}
			snap, err := json.Marshal(state)
			require.NoError(f.t, err)
			out.Snapshot = snap
		} else {
			out.Events = append([]realtime.Event(nil), all[m.Version:]...)
		}
		c.push(out)
	case realtime.TypeSubmit:
		var m realtime.Submit
		require.NoError(f.t, json.Unmarshal(b, &m))
		require.True(f.t, c.subs[m.Doc], "submit before subscribe")
		results := make([]realtime.Result, len(m.Ops))
		for i, op := range m.Ops {
			results[i] = c.decide(m, op)
		}
		c.push(realtime.Ack{Type: realtime.TypeAck, Doc: m.Doc, Results: results})
	case realtime.TypePresence:
		var m realtime.Presence
		require.NoError(f.t, json.Unmarshal(b, &m))
		for _, o := range f.conns {
			if o != c && o.subs[m.Doc] && !o.dead {
				o.push(realtime.Presence{Type: realtime.TypePresence, Doc: m.Doc, State: m.State, User: "alice", ClientID: c.s.ClientID()})
			}
		}
	case realtime.TypeUnsubscribe:
		var m realtime.Unsubscribe
		require.NoError(f.t, json.Unmarshal(b, &m))
		delete(c.subs, m.Doc)
	default:
		f.t.Fatalf("fake server: unexpected %s", b)
	}
}

// decide is the server's decision of one op (room.decideBatch and decideOp, without batching).
func (c *fakeConn) decide(m realtime.Submit, op realtime.Op) realtime.Result {
	f, id := c.f, c.s.ClientID()
	res := realtime.Result{Seq: op.Seq}
	version := int64(len(f.events[m.Doc]))
	if op.Seq <= f.seqs[m.Doc][id] {
		res.Status, res.Version = realtime.StatusCommitted, version
		return res
	}
	reject := func(code, msg string) realtime.Result {
		res.Status, res.Code, res.Message = realtime.StatusRejected, code, msg
		return res
	}
	var events []realtime.Event
	if m.Doc == pageDoc {
		cmd, err := domain.DecodePageOp(op.Page)
		if err != nil {
			return reject("invalid_op", err.Error())
		}
		evs, err := f.page.Decide(cmd, f.env())
		if err != nil {
			var de *domain.Error
			require.ErrorAs(f.t, err, &de)
			return reject(de.Code, de.Message)
		}
		events = f.commitPage(id, op.Seq, evs)
	} else {
		if m.BaseVersion < f.minBase || m.BaseVersion > version {
			return reject("base_too_old", fmt.Sprintf("base %d", m.BaseVersion))
		}
		edits := op.Edits
		for _, ev := range f.events[scriptDoc][m.BaseVersion:] {
			if ev.Edits != nil {
				edits, _ = textot.Transform(edits, ev.Edits)
			}
		}
		bytes, err := textot.ToBytes(f.script.Text, edits)
		if err != nil {
			return reject("invalid_edit", err.Error())
		}
		evs, err := f.script.Decide(domain.EditScriptText{Edits: bytes}, f.env())
		require.NoError(f.t, err)
		events = f.commitScript(id, op.Seq, evs, edits)
	}
	f.seqs[m.Doc][id] = op.Seq
	res.Status, res.Version = realtime.StatusCommitted, int64(len(f.events[m.Doc]))
	if len(events) == 0 {
		res.Version = version
	}
	return res
}

// settle pumps and delivers on every live connection until nothing moves.
func (f *fakeServer) settle() {
	f.t.Helper()
	for range 1000 {
		moved := false
		for _, c := range f.conns {
			if c.dead {
				continue
			}
			if out := c.s.Outbox(); len(out) > 0 {
				moved = true
				for _, b := range out {
					c.handle(b)
				}
			}
			if len(c.inbox) > 0 {
				moved = true
				c.deliverAll()
			}
		}
		if !moved {
			return
		}
	}
	f.t.Fatal("fake server: no quiescence")
}

// open opens doc on a new session connected to f, and loads it.
func (f *fakeServer) client(id string, docs ...string) (*client.Session, *fakeConn) {
	s := client.NewSession(id)
	c := f.connect(s)
	for _, d := range docs {
		require.NoError(f.t, s.Open(d))
	}
	c.pump()
	c.deliverAll()
	return s, c
}

// label reads a node's label prop ("" when the node or prop is missing).
func label(p *domain.Page, node string) string {
	if p == nil || p.Nodes[node] == nil {
		return ""
	}
	var s string
	_ = json.Unmarshal(p.Nodes[node].Props["label"], &s)
	return s
}

func setLabel(node, value string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"op":"set_prop","nodeId":%q,"path":"label","value":%q}`, node, value))
}

func ins(pos int, s string) textot.Op { return textot.Op{{Pos: pos, Insert: s}} }
