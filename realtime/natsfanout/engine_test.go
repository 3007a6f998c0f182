package natsfanout_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/sqlite"
	"github.com/goflow-dev/goflow/realtime"
)

// memTransport records what a session sends.
type memTransport struct {
	mu   sync.Mutex
	msgs []map[string]any
}

func (m *memTransport) Send(b []byte) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	var v map[string]any
	if json.Unmarshal(b, &v) == nil {
		m.msgs = append(m.msgs, v)
	}
	return true
}

func (m *memTransport) Close(int, string) {}

// ofType returns the messages of one type received so far.
func (m *memTransport) ofType(typ string) []map[string]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []map[string]any
	for _, v := range m.msgs {
		if v["type"] == typ {
			out = append(out, v)
		}
	}
	return out
}

type allowAll struct{}

func (allowAll) Allow(context.Context, string, domain.Permission, string) error { return nil }

// node is one engine with its WebSocket server, as goflow serve runs it.
type node struct {
	engine *realtime.Engine
	server *realtime.Server
}

func startNode(t *testing.T, path string, cfg realtime.EngineConfig) *node {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: path})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	cfg.Store, cfg.Logger, cfg.Inline = st, slog.New(slog.DiscardHandler), true
	engine, err := realtime.NewEngine(cfg)
	require.NoError(t, err)
	srv, err := realtime.NewServer(realtime.ServerConfig{Engine: engine, Access: allowAll{}, User: func(*http.Request) string { return "" }, Logger: cfg.Logger})
	require.NoError(t, err)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- engine.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		require.NoError(t, <-done)
	})
	return &node{engine: engine, server: srv}
}

// join opens a session on n subscribed to doc at version 1.
func (n *node) join(t *testing.T, clientID, doc string) (*realtime.Session, *memTransport) {
	t.Helper()
	tr := &memTransport{}
	s := n.server.NewSession(context.Background(), "ada", tr)
	t.Cleanup(s.Close)
	send(t, s, map[string]any{"type": "hello", "protocol": 1, "clientId": clientID})
	send(t, s, map[string]any{"type": "subscribe", "doc": doc, "version": 1})
	require.Len(t, tr.ofType("welcome"), 1)
	require.Len(t, tr.ofType("subscribed"), 1)
	return s, tr
}

func send(t *testing.T, s *realtime.Session, msg any) {
	t.Helper()
	b, err := json.Marshal(msg)
	require.NoError(t, err)
	s.Handle(b)
}

// createPage appends a new page's events to the store file and returns its doc id.
func createPage(t *testing.T, path string) string {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: path})
	require.NoError(t, err)
	defer func() { require.NoError(t, st.Close()) }()
	_, err = st.Migrate(ctx)
	require.NoError(t, err)
	var p domain.Page
	events, err := p.Decide(domain.CreatePage{PageID: "p1", AppID: "app", Name: "Shared"}, domain.Env{Now: time.Unix(0, 0).UTC(), Actor: "ada", NewID: func() string { return "x" }})
	require.NoError(t, err)
	data := make([]eventstore.EventData, len(events))
	for i, e := range events {
		typ, raw, ver, err := domain.Encode(e)
		require.NoError(t, err)
		data[i] = eventstore.EventData{Type: typ, Data: raw, SchemaVersion: ver, Actor: "ada"}
	}
	_, err = st.Append(ctx, domain.StreamPage("p1"), eventstore.NoStream(), data)
	require.NoError(t, err)
	return domain.StreamPage("p1")
}

// Two nodes over one store: the second does not follow the log, so the fan-out is the only way
// the first node's commit can reach its subscriber. A third node without a fan-out shows that.
func TestFanoutAloneDeliversCommitsToOtherNodes(t *testing.T) {
	t.Parallel()
	url := natsURL(t)
	subject := uniqueSubject(t, url)
	path := filepath.Join(t.TempDir(), "shared.db")
	page := createPage(t, path)
	noLog := false

	writer := startNode(t, path, realtime.EngineConfig{Fanout: newFanout(t, url, subject)})
	reader := startNode(t, path, realtime.EngineConfig{Fanout: newFanout(t, url, subject), FollowLog: &noLog})
	deaf := startNode(t, path, realtime.EngineConfig{FollowLog: &noLog})

	ws, wtr := writer.join(t, "w", page)
	_, rtr := reader.join(t, "r", page)
	_, dtr := deaf.join(t, "d", page)

	send(t, ws, map[string]any{"type": "submit", "doc": page, "baseVersion": 1, "ops": []any{
		map[string]any{"seq": 1, "page": map[string]any{"op": "insert_node", "nodeId": "hello", "type": "Text"}},
	}})
	acks := wtr.ofType("ack")
	require.Len(t, acks, 1)
	res := acks[0]["results"].([]any)[0].(map[string]any)
	require.Equal(t, "committed", res["status"])
	require.EqualValues(t, 2, res["version"])

	require.Eventually(t, func() bool { return len(rtr.ofType("events")) > 0 }, 10*time.Second, 10*time.Millisecond,
		"the reader node's subscriber gets the commit through the fan-out")
	msgs := rtr.ofType("events")
	require.Len(t, msgs, 1)
	require.Equal(t, page, msgs[0]["doc"])
	events := msgs[0]["events"].([]any)
	require.Len(t, events, 1)
	ev := events[0].(map[string]any)
	require.EqualValues(t, 2, ev["version"])
	require.Equal(t, "w", ev["clientId"])
	require.Contains(t, string(mustJSON(t, ev["data"])), `"hello"`)

	require.Empty(t, dtr.ofType("events"), "without a fan-out or the log, a node hears nothing")
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
