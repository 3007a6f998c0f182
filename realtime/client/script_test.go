package client_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/realtime"
	"github.com/goflow-dev/goflow/realtime/client"
	"github.com/goflow-dev/goflow/realtime/textot"
)

// The ot.js client states: one edit in flight, later edits buffered and sent on its confirmation.
func TestScriptOTClientStates(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	s, c := f.client("tab-a", scriptDoc)
	d := s.Script(scriptDoc)
	require.Equal(t, "hello", d.Text())
	require.Equal(t, client.Synchronized, d.State())

	require.NoError(t, d.Edit(ins(0, "A")))
	require.Equal(t, client.AwaitingConfirm, d.State())
	require.NoError(t, d.Edit(ins(1, "B")))
	require.Equal(t, client.AwaitingWithBuffer, d.State())
	require.Equal(t, "ABhello", d.Text())
	require.Equal(t, "hello", d.ConfirmedText())

	out := c.outbox()
	require.Len(t, out, 1, "one edit in flight: the buffer waits")
	require.EqualValues(t, 1, out[0]["baseVersion"])
	first := out[0]

	// Someone else's edit commits first; ours is transformed by the server as by the client.
	f.scriptEdit("tab-b", 1, ins(5, "!"))
	c.deliverAll()
	require.Equal(t, "ABhello!", d.Text())
	require.Equal(t, "hello!", d.ConfirmedText())
	require.Equal(t, client.AwaitingWithBuffer, d.State())

	c.handle(mustJSON(t, first))
	require.Len(t, c.inbox, 2, "our event, then the ack")
	c.deliver(1)
	require.Equal(t, "Ahello!", d.ConfirmedText())
	require.Equal(t, client.AwaitingConfirm, d.State(), "own event recognised: the buffer is in flight")
	out = c.outbox()
	require.Len(t, out, 1)
	require.EqualValues(t, 3, out[0]["baseVersion"], "based on the version holding our first edit")
	require.EqualValues(t, 2, out[0]["ops"].([]any)[0].(map[string]any)["seq"])
	c.deliver(1) // the first ack: already settled
	require.Equal(t, client.AwaitingConfirm, d.State())

	c.handle(mustJSON(t, out[0]))
	c.deliverAll()
	require.Equal(t, client.Synchronized, d.State())
	require.Equal(t, "ABhello!", d.ConfirmedText())
	require.Equal(t, "ABhello!", d.Text())
	require.Equal(t, "ABhello!", f.script.Text)
	require.Equal(t, 0, s.Pending())
}

func TestScriptEditValidatesAgainstTheLocalText(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	s, _ := f.client("tab-a", scriptDoc)
	d := s.Script(scriptDoc)
	require.ErrorIs(t, d.Edit(textot.Op{{Pos: 9, Insert: "x"}}), textot.ErrInvalid)
	require.Equal(t, "hello", d.Text())
	require.NoError(t, d.Edit(nil), "an empty edit is nothing to send")
	require.Equal(t, client.Synchronized, d.State())

	s2 := client.NewSession("tab-b")
	require.NoError(t, s2.Open(scriptDoc))
	require.ErrorIs(t, s2.Script(scriptDoc).Edit(ins(0, "x")), client.ErrNotLoaded)
}

// A refusal that the client can recover from (the server no longer has the base version):
// resubscribe, and merge the local edits into the snapshot.
func TestScriptBaseTooOldRebasesOnASnapshot(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	s, c := f.client("tab-a", scriptDoc)
	d := s.Script(scriptDoc)
	require.NoError(t, d.Edit(ins(0, "A")))
	require.NoError(t, d.Edit(ins(6, "Z")))
	require.Equal(t, "AhelloZ", d.Text())
	sent := c.outbox()
	require.Len(t, sent, 1)

	f.scriptEdit("tab-b", 1, ins(5, "!")) // hello!
	f.minBase = 2
	c.handle(mustJSON(t, sent[0]))
	c.deliverAll() // their event, then our rejection
	require.Equal(t, client.Rebasing, d.State())
	rej := d.Rejections()
	require.Len(t, rej, 1)
	require.Equal(t, "base_too_old", rej[0].Code)
	require.Equal(t, "Ahello!Z", d.Text(), "local edits kept meanwhile")

	out := c.outbox()
	require.Len(t, out, 1)
	require.Equal(t, realtime.TypeSubscribe, out[0]["type"])
	require.EqualValues(t, 0, out[0]["version"], "a snapshot is needed")
	f.scriptEdit("tab-b", 2, ins(0, "<")) // committed before the snapshot
	c.handle(mustJSON(t, out[0]))
	c.deliverAll()
	require.Equal(t, client.AwaitingConfirm, d.State())
	require.Equal(t, "<Ahello!Z", d.Text())
	require.Equal(t, "<hello!", d.ConfirmedText())

	f.settle()
	require.Equal(t, client.Synchronized, d.State())
	require.Equal(t, "<Ahello!Z", f.script.Text)
	require.Equal(t, f.script.Text, d.Text())
}

// Any other refusal drops the local edits: they cannot apply without the refused one.
func TestScriptHardRejectionDropsLocalEdits(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	s, c := f.client("tab-a", scriptDoc)
	d := s.Script(scriptDoc)
	require.NoError(t, d.Edit(ins(0, "A")))
	require.NoError(t, d.Edit(ins(0, "B")))
	sent := c.outbox()
	require.Len(t, sent, 1)
	seq := int64(sent[0]["ops"].([]any)[0].(map[string]any)["seq"].(float64))
	require.NoError(t, s.Receive(mustJSON(t, realtime.Ack{Type: realtime.TypeAck, Doc: scriptDoc, Results: []realtime.Result{
		{Seq: seq, Status: realtime.StatusRejected, Code: "forbidden", Message: "read only"},
	}})))
	require.Equal(t, client.Synchronized, d.State())
	require.Equal(t, "hello", d.Text())
	rej := d.Rejections()
	require.Len(t, rej, 1)
	require.Equal(t, "forbidden", rej[0].Code)
	require.Equal(t, seq, rej[0].Seq)
	require.Equal(t, 0, s.Pending())
}

// A snapshot while an edit is in flight (a reconnect too far behind for catch-up): whether the
// edit is in the snapshot is learnt from its ack, and the local edits merge without doubling.
func TestScriptSnapshotWithEditInFlightWaitsForItsFate(t *testing.T) {
	t.Parallel()
	for _, committed := range []bool{true, false} {
		t.Run(fmt.Sprintf("committed=%v", committed), func(t *testing.T) {
			t.Parallel()
			f := newFakeServer(t)
			s, c := f.client("tab-a", scriptDoc)
			d := s.Script(scriptDoc)
			require.NoError(t, d.Edit(ins(0, "A")))
			sent := c.outbox()
			if committed {
				c.handle(mustJSON(t, sent[0])) // committed, but the connection drops before the news
			}
			require.NoError(t, d.Edit(ins(6, "Z")))
			c.drop()
			f.scriptEdit("tab-b", 1, ins(textot.Len16(f.script.Text), "!"))

			c2 := f.connect(s)
			out := c2.outbox()
			require.Len(t, out, 2)
			require.Equal(t, realtime.TypeSubscribe, out[0]["type"])
			require.Equal(t, realtime.TypeSubmit, out[1]["type"])
			require.Equal(t, sent[0]["ops"], out[1]["ops"], "the same edit, same seq")
			// The server answers with a snapshot (as when the client is too far behind).
			out[0]["version"] = 0
			c2.handle(mustJSON(t, out[0]))
			c2.deliverAll()
			require.Equal(t, client.Rebasing, d.State())
			c2.handle(mustJSON(t, out[1]))
			c2.deliverAll()
			f.settle()
			require.Equal(t, client.Synchronized, d.State())
			require.Equal(t, "Ahello!Z", f.script.Text, "the A is in exactly once")
			require.Equal(t, f.script.Text, d.Text())
		})
	}
}

// Seeded simulation: clients edit at random and messages arrive in random interleavings; the
// texts converge to the server's and nothing is lost.
func TestScriptRandomEditsConverge(t *testing.T) {
	t.Parallel()
	for seed := range uint64(30) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 7))
			f := newFakeServer(t)
			var sessions []*client.Session
			var conns []*fakeConn
			for i := range 3 {
				s, c := f.client(fmt.Sprintf("tab-%d", i), scriptDoc)
				sessions, conns = append(sessions, s), append(conns, c)
			}
			for step := range 300 {
				i := rng.IntN(len(sessions))
				c, d := conns[i], sessions[i].Script(scriptDoc)
				switch r := rng.IntN(10); {
				case r < 4:
					text := d.Text()
					n := textot.Len16(text)
					pos := rng.IntN(n + 1)
					del := 0
					if pos < n && rng.IntN(3) == 0 {
						del = 1 + rng.IntN(min(3, n-pos))
					}
					token := fmt.Sprintf("<%d.%d>", i, step)
					require.NoError(t, d.Edit(textot.Op{{Pos: pos, Delete: del, Insert: token}}))
				case r < 7:
					c.pump()
				default:
					if len(c.inbox) > 0 {
						c.deliver(1 + rng.IntN(len(c.inbox)))
					}
				}
				for _, s := range sessions {
					d := s.Script(scriptDoc)
					if d.State() == client.Synchronized {
						require.Equal(t, d.ConfirmedText(), d.Text(), "synchronized means local == confirmed")
					}
				}
			}
			f.settle()
			for _, s := range sessions {
				d := s.Script(scriptDoc)
				require.Equal(t, client.Synchronized, d.State())
				require.Equal(t, f.script.Text, d.Text())
				require.Equal(t, f.script.Text, d.ConfirmedText())
				require.Empty(t, d.Rejections())
			}
		})
	}
}
