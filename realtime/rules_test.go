package realtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/sqlite"
	"github.com/goflow-dev/goflow/realtime"
)

// Protocol rules (docs/protocol.md) exercised through in-process sessions: the same Session the
// WebSocket transport drives, over a real SQLite store. Test names cite the rules.

// countingStore counts appends (group commit is about how many there are).
type countingStore struct {
	eventstore.Store
	appends atomic.Int64
}

func (s *countingStore) Append(ctx context.Context, stream string, exp eventstore.Expected, events []eventstore.EventData) (eventstore.AppendResult, error) {
	s.appends.Add(1)
	return s.Store.Append(ctx, stream, exp, events)
}

// memTransport records what a session sends; full makes Send refuse (a client not reading).
type memTransport struct {
	mu     sync.Mutex
	msgs   []map[string]any
	closed int
	full   bool
}

func (m *memTransport) Send(b []byte) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.full {
		return false
	}
	var v map[string]any
	if json.Unmarshal(b, &v) == nil {
		m.msgs = append(m.msgs, v)
	}
	return true
}

func (m *memTransport) Close(code int, _ string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed == 0 {
		m.closed = code
	}
}

// take returns and forgets the messages of one type.
func (m *memTransport) take(typ string) []map[string]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out, rest []map[string]any
	for _, v := range m.msgs {
		if v["type"] == typ {
			out = append(out, v)
		} else {
			rest = append(rest, v)
		}
	}
	m.msgs = rest
	return out
}

type rulesEnv struct {
	t      *testing.T
	engine *realtime.Engine
	store  *countingStore
	server *realtime.Server
	page   string
	script string
}

func newRulesEnv(t *testing.T, cfg realtime.EngineConfig) *rulesEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "rules.db")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	_, err = st.Migrate(ctx)
	require.NoError(t, err)
	cs := &countingStore{Store: st}
	cfg.Store, cfg.Logger = cs, slog.New(slog.DiscardHandler)
	engine, err := realtime.NewEngine(cfg)
	require.NoError(t, err)
	srv, err := realtime.NewServer(realtime.ServerConfig{Engine: engine, Access: allowAll{}, User: func(*http.Request) string { return "" }, Logger: cfg.Logger})
	require.NoError(t, err)
	h := &fuzzHarness{ctx: ctx, store: st}
	e := &rulesEnv{t: t, engine: engine, store: cs, server: srv}
	e.page, e.script = h.createDocs(t, 1)
	return e
}

// join opens a session for user, says hello and subscribes to docs at version 1.
func (e *rulesEnv) join(user, clientID string, docs ...string) (*realtime.Session, *memTransport) {
	e.t.Helper()
	tr := &memTransport{}
	s := e.server.NewSession(context.Background(), user, tr)
	e.t.Cleanup(s.Close)
	e.send(s, map[string]any{"type": "hello", "protocol": 1, "clientId": clientID})
	for _, d := range docs {
		e.send(s, map[string]any{"type": "subscribe", "doc": d, "version": 1})
	}
	require.Len(e.t, tr.take("welcome"), 1)
	require.Len(e.t, tr.take("subscribed"), len(docs))
	return s, tr
}

func (e *rulesEnv) send(s *realtime.Session, msg any) {
	e.t.Helper()
	b, err := json.Marshal(msg)
	require.NoError(e.t, err)
	s.Handle(b)
}

func (e *rulesEnv) submitPage(s *realtime.Session, seq int, op map[string]any) {
	e.send(s, map[string]any{"type": "submit", "doc": e.page, "baseVersion": 1, "ops": []any{map[string]any{"seq": seq, "page": op}}})
}

func result(t *testing.T, ack map[string]any, i int) map[string]any {
	t.Helper()
	return ack["results"].([]any)[i].(map[string]any)
}

func TestRuleP13MovesAreValidated(t *testing.T) {
	e := newRulesEnv(t, realtime.EngineConfig{Inline: true})
	s, tr := e.join("ada", "c1", e.page)
	e.submitPage(s, 1, map[string]any{"op": "insert_node", "nodeId": "outer", "type": "Container"})
	e.submitPage(s, 2, map[string]any{"op": "insert_node", "nodeId": "inner", "type": "Container", "parentId": "outer"})
	e.submitPage(s, 3, map[string]any{"op": "move_node", "nodeId": "outer", "parentId": "inner"})
	acks := tr.take("ack")
	require.Len(t, acks, 3)
	require.Equal(t, "rejected", result(t, acks[2], 0)["status"], "a move into its own subtree is a cycle")
	require.NotEmpty(t, result(t, acks[2], 0)["message"])
}

func TestRuleP14ConcurrentInsertsAtTheSamePlaceBothSurvive(t *testing.T) {
	e := newRulesEnv(t, realtime.EngineConfig{Inline: true})
	a, ta := e.join("ada", "a", e.page)
	b, tb := e.join("bob", "b", e.page)
	// Both insert at the same index key, based on the same version.
	e.submitPage(a, 1, map[string]any{"op": "insert_node", "nodeId": "from-a", "type": "Text", "index": "a5"})
	e.submitPage(b, 1, map[string]any{"op": "insert_node", "nodeId": "from-b", "type": "Text", "index": "a5"})
	require.Equal(t, "committed", result(t, ta.take("ack")[0], 0)["status"])
	require.Equal(t, "committed", result(t, tb.take("ack")[0], 0)["status"])
	page := e.fold()
	require.Contains(t, page.Nodes, "from-a")
	require.Contains(t, page.Nodes, "from-b")
	require.NotEqual(t, page.Nodes["from-a"].Index, page.Nodes["from-b"].Index, "the collision is repaired")
	require.Less(t, page.Nodes["from-a"].Index, page.Nodes["from-b"].Index, "server order decides: the first committed comes first")
}

func (e *rulesEnv) fold() *domain.Page {
	envs, err := e.store.ReadStream(context.Background(), e.page, 1, 0)
	require.NoError(e.t, err)
	p := &domain.Page{}
	for _, env := range envs {
		ev, err := domain.Decode(env.Type, env.SchemaVersion, env.Data)
		require.NoError(e.t, err)
		p.Apply(ev)
	}
	return p
}

func TestRuleP15P16ANoOpScriptEditAndDurableAcks(t *testing.T) {
	e := newRulesEnv(t, realtime.EngineConfig{Inline: true})
	s, tr := e.join("ada", "c1", e.script)
	e.send(s, map[string]any{"type": "submit", "doc": e.script, "baseVersion": 1, "ops": []any{
		map[string]any{"seq": 1, "edits": []any{map[string]any{"pos": 0, "delete": 1, "insert": "s"}}},
	}})
	res := result(t, tr.take("ack")[0], 0)
	require.Equal(t, "committed", res["status"], "P15 a change that changes nothing commits")
	require.EqualValues(t, 1, res["version"], "P15 at the version it saw, without an event")
	require.Empty(t, tr.take("events"))

	e.send(s, map[string]any{"type": "submit", "doc": e.script, "baseVersion": 1, "ops": []any{
		map[string]any{"seq": 2, "edits": []any{map[string]any{"pos": 0, "insert": "re"}}},
	}})
	res = result(t, tr.take("ack")[0], 0)
	v, err := e.store.StreamVersion(context.Background(), e.script)
	require.NoError(t, err)
	require.EqualValues(t, v, res["version"], "P16 the acknowledged version is in the log")
}

func TestRuleP17GroupCommit(t *testing.T) {
	// A batch window makes "close together" deterministic: ops from five clients submitted
	// within it share one append.
	e := newRulesEnv(t, realtime.EngineConfig{BatchWindow: 200 * time.Millisecond})
	var trs []*memTransport
	for i := range 5 {
		s, tr := e.join(fmt.Sprintf("u%d", i), fmt.Sprintf("c%d", i), e.page)
		trs = append(trs, tr)
		before := e.store.appends.Load()
		e.submitPage(s, 1, map[string]any{"op": "insert_node", "nodeId": fmt.Sprintf("n%d", i), "type": "Text"})
		require.Equal(t, before, e.store.appends.Load(), "queued, not yet appended")
	}
	require.Eventually(t, func() bool {
		for _, tr := range trs {
			tr.mu.Lock()
			n := len(tr.msgs)
			tr.mu.Unlock()
			if n == 0 {
				return false
			}
		}
		return true
	}, 10*time.Second, 5*time.Millisecond)
	require.EqualValues(t, 1, e.store.appends.Load(), "five ops, one append")
	for _, tr := range trs {
		require.Equal(t, "committed", result(t, tr.take("ack")[0], 0)["status"])
	}
}

func TestRuleP18P20ScriptSubmitRules(t *testing.T) {
	e := newRulesEnv(t, realtime.EngineConfig{Inline: true, ScriptHistory: 2})
	s, tr := e.join("ada", "c1", e.script)
	edit := func(seq int, base int64) {
		e.send(s, map[string]any{"type": "submit", "doc": e.script, "baseVersion": base, "ops": []any{
			map[string]any{"seq": seq, "edits": []any{map[string]any{"pos": 0, "insert": "x"}}},
		}})
	}
	e.send(s, map[string]any{"type": "submit", "doc": e.script, "baseVersion": 1, "ops": []any{
		map[string]any{"seq": 1, "edits": []any{map[string]any{"pos": 0, "insert": "a"}}},
		map[string]any{"seq": 2, "edits": []any{map[string]any{"pos": 0, "insert": "b"}}},
	}})
	require.Equal(t, "one_script_op", tr.take("error")[0]["code"], "P18")
	edit(3, 99)
	require.Equal(t, "future_version", result(t, tr.take("ack")[0], 0)["code"], "P20")
	base := int64(1)
	for seq := 4; seq < 8; seq++ {
		edit(seq, base) // each based on the version the last ack gave
		res := result(t, tr.take("ack")[0], 0)
		require.Equal(t, "committed", res["status"], "%v", res)
		base = int64(res["version"].(float64))
	}
	edit(8, 1) // older than the two versions kept
	require.Equal(t, "base_too_old", result(t, tr.take("ack")[0], 0)["code"], "P20")
}

func TestRuleP21ScriptEventsCarryUTF16Edits(t *testing.T) {
	e := newRulesEnv(t, realtime.EngineConfig{Inline: true})
	s, tr := e.join("ada", "c1", e.script)
	// "start\n": insert an emoji (two UTF-16 units) and then text after it.
	e.send(s, map[string]any{"type": "submit", "doc": e.script, "baseVersion": 1, "ops": []any{
		map[string]any{"seq": 1, "edits": []any{map[string]any{"pos": 0, "insert": "😀"}}},
	}})
	e.send(s, map[string]any{"type": "submit", "doc": e.script, "baseVersion": 2, "ops": []any{
		map[string]any{"seq": 2, "edits": []any{map[string]any{"pos": 2, "insert": "!"}}},
	}})
	events := tr.take("events")
	require.Len(t, events, 2)
	second := events[1]["events"].([]any)[0].(map[string]any)
	require.Equal(t, []any{map[string]any{"pos": float64(2), "insert": "!"}}, second["edits"], "UTF-16 units on the wire")
	stored := second["data"].(map[string]any)["edits"].([]any)[0].(map[string]any)
	require.EqualValues(t, 4, stored["pos"], "bytes in the stored event")
}

func TestRulesP22toP25Presence(t *testing.T) {
	e := newRulesEnv(t, realtime.EngineConfig{Inline: true})
	a, _ := e.join("ada", "a", e.page)
	_, tb := e.join("bob", "b", e.page)
	before, err := e.store.StreamVersion(context.Background(), e.page)
	require.NoError(t, err)
	for i := range 5 { // P23: a burst within the interval is coalesced into its last state
		e.send(a, map[string]any{"type": "presence", "doc": e.page, "state": map[string]any{"cursor": i}})
	}
	require.Eventually(t, func() bool {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, m := range tb.msgs {
			if m["type"] == "presence" && m["state"].(map[string]any)["cursor"] == float64(4) {
				return true
			}
		}
		return false
	}, 5*time.Second, 5*time.Millisecond)
	got := tb.take("presence")
	require.Len(t, got, 2, "P23 the first at once, the rest coalesced into one")
	require.Equal(t, "ada", got[0]["user"], "P22 relayed with the sender's identity")
	after, err := e.store.StreamVersion(context.Background(), e.page)
	require.NoError(t, err)
	require.Equal(t, before, after, "P22 presence is never stored")

	a.Close() // P24
	left := tb.take("presence")
	require.NotEmpty(t, left)
	require.Equal(t, true, left[len(left)-1]["left"])
}

func TestRuleP25PresenceSize(t *testing.T) {
	e := newRulesEnv(t, realtime.EngineConfig{Inline: true})
	a, ta := e.join("ada", "a", e.page)
	e.send(a, map[string]any{"type": "presence", "doc": e.page, "state": map[string]any{"x": fmt.Sprintf("%0*d", realtime.MaxPresenceBytes, 0)}})
	require.Equal(t, "presence_too_large", ta.take("error")[0]["code"])
}

func TestRuleP27OverloadP31Ping(t *testing.T) {
	e := newRulesEnv(t, realtime.EngineConfig{Inline: true})
	a, ta := e.join("ada", "a", e.page)
	e.send(a, map[string]any{"type": "ping", "id": "x"})
	require.Equal(t, "x", ta.take("pong")[0]["id"], "P31")

	_, ts := e.join("bob", "b", e.page)
	ts.mu.Lock()
	ts.full = true // bob stops reading
	ts.mu.Unlock()
	e.submitPage(a, 1, map[string]any{"op": "insert_node", "nodeId": "n", "type": "Text"})
	require.Eventually(t, func() bool {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		return ts.closed == realtime.CloseOverload
	}, 5*time.Second, 5*time.Millisecond, "P27 a client that does not keep up is closed with 4008")
}

func TestRuleP30ShutdownClosesWith1001(t *testing.T) {
	e := newRulesEnv(t, realtime.EngineConfig{Inline: true})
	// A server on the same engine whose requests are all ada's.
	named, err := realtime.NewServer(realtime.ServerConfig{Engine: e.engine, Access: allowAll{}, User: func(*http.Request) string { return "ada" }})
	require.NoError(t, err)
	srv := httptest.NewServer(named)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	require.NoError(t, err)
	defer ws.CloseNow()
	require.NoError(t, ws.Write(ctx, websocket.MessageText, []byte(`{"type":"hello","protocol":1,"clientId":"c"}`)))
	_, _, err = ws.Read(ctx) // welcome
	require.NoError(t, err)
	named.Shutdown()
	_, _, err = ws.Read(ctx)
	require.Equal(t, websocket.StatusGoingAway, websocket.CloseStatus(err))
}
