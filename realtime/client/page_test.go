package client_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/realtime"
)

func TestPageSubmitAppliesLocallyAndOwnEventConfirms(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	s, c := f.client("tab-a", pageDoc)
	p := s.Page(pageDoc)
	require.NotNil(t, p)
	confirmed, v := p.Confirmed()
	require.Equal(t, int64(2), v)
	require.Equal(t, "Button", label(confirmed, "b1"))

	seq, err := p.Submit(setLabel("b1", "Mine"))
	require.NoError(t, err)
	require.Equal(t, int64(1), seq)
	require.Equal(t, "Mine", label(p.Local(), "b1"), "optimistic")
	confirmed, _ = p.Confirmed()
	require.Equal(t, "Button", label(confirmed, "b1"), "not confirmed yet")
	require.Equal(t, 1, s.Pending())

	c.pump()
	require.Len(t, c.inbox, 2, "events then ack")
	c.deliver(1) // the events: recognised as our own by clientId and seq
	require.Equal(t, []int64{}, p.PendingSeqs())
	confirmed, v = p.Confirmed()
	require.Equal(t, int64(3), v)
	require.Equal(t, "Mine", label(confirmed, "b1"))
	require.Equal(t, "Mine", label(p.Local(), "b1"))
	c.deliver(1) // the ack finds nothing left to do
	require.Empty(t, p.Rejections())
	require.Equal(t, 0, s.Pending())
}

func TestPageOpsQueuedTogetherGoInOneSubmit(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	s, c := f.client("tab-a", pageDoc)
	p := s.Page(pageDoc)
	for _, l := range []string{"one", "two", "three"} {
		_, err := p.Submit(setLabel("b1", l))
		require.NoError(t, err)
	}
	require.NoError(t, s.SetPresence(pageDoc, json.RawMessage(`{"sel":"b1"}`)))
	_, err := p.Submit(setLabel("b1", "four"))
	require.NoError(t, err)

	out := c.outbox()
	require.Len(t, out, 2, "the fourth op joins the first submit: presence does not separate them")
	require.Equal(t, realtime.TypeSubmit, out[0]["type"])
	ops := out[0]["ops"].([]any)
	require.Len(t, ops, 4)
	for i, op := range ops {
		require.EqualValues(t, i+1, op.(map[string]any)["seq"])
	}
	require.EqualValues(t, 2, out[0]["baseVersion"])
	require.Equal(t, realtime.TypePresence, out[1]["type"])
}

// Others' changes land under the pending ops: the local page is the confirmed page with the
// pending ops decided again on top.
func TestPageRebasesPendingOpsOnOthersEvents(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	s, c := f.client("tab-a", pageDoc)
	p := s.Page(pageDoc)
	_, err := p.Submit(setLabel("b1", "Mine"))
	require.NoError(t, err)
	_ = c.outbox() // in flight

	f.pageCmd("tab-b", 7, domain.SetProp{NodeID: "b1", Path: "variant", Value: json.RawMessage(`"danger"`)})
	f.pageCmd("tab-b", 8, domain.SetProp{NodeID: "b1", Path: "label", Value: json.RawMessage(`"Theirs"`)})
	c.deliverAll()

	confirmed, v := p.Confirmed()
	require.Equal(t, int64(4), v)
	require.Equal(t, "Theirs", label(confirmed, "b1"))
	local := p.Local()
	require.Equal(t, "Mine", label(local, "b1"), "the pending op still applies on top")
	require.JSONEq(t, `"danger"`, string(local.Nodes["b1"].Props["variant"]), "their other change shows")
	require.Equal(t, []int64{1}, p.PendingSeqs(), "their seqs are not ours")
}

func TestPageInsertWithoutNodeIDGetsOne(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	s, c := f.client("tab-a", pageDoc)
	p := s.Page(pageDoc)
	_, err := p.Submit(json.RawMessage(`{"op":"insert_node","type":"Form"}`))
	require.NoError(t, err)
	out := c.outbox()
	require.Len(t, out, 1)
	op := out[0]["ops"].([]any)[0].(map[string]any)["page"].(map[string]any)
	id, _ := op["nodeId"].(string)
	require.NotEmpty(t, id, "the client names the node")

	local := p.Local()
	require.NotNil(t, local.Nodes[id], "the local page has it under the same id")
	again := p.Local()
	require.Equal(t, len(local.Nodes), len(again.Nodes))
	for nid := range local.Nodes {
		require.Contains(t, again.Nodes, nid, "template children keep their local ids across rebuilds")
	}
}

func TestPageRejectionDropsTheOpAndIsRecorded(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	s, c := f.client("tab-a", pageDoc)
	p := s.Page(pageDoc)
	_, err := p.Submit(setLabel("b1", "Mine"))
	require.NoError(t, err)
	// Another writer deletes the node before our op reaches the server.
	f.pageCmd("tab-b", 1, domain.DeleteNode{NodeID: "b1"})
	c.pump()
	c.deliver(1)
	require.Nil(t, p.Local().Nodes["b1"], "the op fails locally on the new state")
	require.Equal(t, []int64{1}, p.PendingSeqs())
	c.deliverAll()
	require.Empty(t, p.PendingSeqs())
	rej := p.Rejections()
	require.Len(t, rej, 1)
	require.Equal(t, int64(1), rej[0].Seq)
	require.Equal(t, "node_not_found", rej[0].Code)
	require.NotEmpty(t, rej[0].Message)
	require.JSONEq(t, string(setLabel("b1", "Mine")), string(rej[0].Op))
	require.Equal(t, 0, s.Pending())
}

func TestPageLocalOpRefusedLocallyIsStillSent(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	s, c := f.client("tab-a", pageDoc)
	p := s.Page(pageDoc)
	_, err := p.Submit(setLabel("ghost", "x"))
	require.NoError(t, err)
	require.Nil(t, p.Local().Nodes["ghost"])
	out := c.outbox()
	require.Len(t, out, 1)
	require.Equal(t, realtime.TypeSubmit, out[0]["type"])
}

func TestPageSnapshotReplacesConfirmedState(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	s, c := f.client("tab-a", pageDoc)
	p := s.Page(pageDoc)
	_, err := p.Submit(setLabel("b1", "Mine"))
	require.NoError(t, err)
	c.drop()
	f.pageCmd("tab-b", 1, domain.RenamePage{Name: "Renamed"})
	// Reconnect at version 0 (as after a forgotten state): a snapshot comes back.
	snap, err := json.Marshal(f.page)
	require.NoError(t, err)
	require.NoError(t, s.Receive(mustJSON(t, realtime.Subscribed{Type: realtime.TypeSubscribed, Doc: pageDoc, Version: 3, Snapshot: snap})))
	confirmed, v := p.Confirmed()
	require.Equal(t, int64(3), v)
	require.Equal(t, "Renamed", confirmed.Name)
	require.Equal(t, "Mine", label(p.Local(), "b1"), "pending ops are decided again on the snapshot")
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
