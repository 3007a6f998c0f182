package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore/postgres"
	"github.com/goflow-dev/goflow/projections/pgdocs"
	"github.com/goflow-dev/goflow/realtime"
	rtclient "github.com/goflow-dev/goflow/realtime/client"
	"github.com/goflow-dev/goflow/realtime/textot"
	"github.com/goflow-dev/goflow/web"
	"github.com/goflow-dev/goflow/web/auth"
)

// These tests speak the co-editing protocol (docs/protocol.md) over real WebSocket connections
// to the real server, on both stores; rule ids in the comments are the document's.

// wsClient is a raw protocol client: it sends JSON messages and reads them one by one.
type wsClient struct {
	t  *testing.T
	ws *websocket.Conn
}

// dialWS opens the co-editing socket as c's user (authenticated by its API token).
func dialWS(t *testing.T, c *client) (*wsClient, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	if c.actor != "" {
		// Minted before the dial's deadline starts: creating a user and signing in waits for
		// the projections, which on a second node can take seconds.
		h.Set("Authorization", "Bearer "+c.with(t).token())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a failure bound: the machine may be loaded
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(c.base, "http")+"/api/realtime", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		return nil, resp, err
	}
	ws.SetReadLimit(8 << 20)
	t.Cleanup(func() { _ = ws.CloseNow() })
	return &wsClient{t: t, ws: ws}, resp, nil
}

// connect dials and says hello with clientID.
func connect(t *testing.T, c *client, clientID string) *wsClient {
	t.Helper()
	w, _, err := dialWS(t, c)
	require.NoError(t, err)
	w.send(map[string]any{"type": "hello", "protocol": realtime.ProtocolVersion, "clientId": clientID})
	welcome := w.expect("welcome")
	require.Equal(t, c.actor, welcome["user"])
	return w
}

func (w *wsClient) send(msg any) {
	w.t.Helper()
	b, err := json.Marshal(msg)
	require.NoError(w.t, err)
	w.sendRaw(b)
}

func (w *wsClient) sendRaw(b []byte) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(w.t, w.ws.Write(ctx, websocket.MessageText, b))
}

// read returns the next message, or the read error (a close).
func (w *wsClient) read() (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, b, err := w.ws.Read(ctx)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	require.NoError(w.t, json.Unmarshal(b, &m), "message: %s", b)
	return m, nil
}

// expect reads messages until one of type typ, skipping presence messages and, unless it waits
// for events, broadcast events (which may arrive before or after a message it waits for).
func (w *wsClient) expect(typ string) map[string]any {
	w.t.Helper()
	for {
		m, err := w.read()
		require.NoError(w.t, err, "waiting for %s", typ)
		if m["type"] == typ {
			return m
		}
		if m["type"] != "presence" && m["type"] != "events" {
			w.t.Fatalf("expected %s, got %v", typ, m)
		}
	}
}

// closeStatus reads until the server closes and returns the close code.
func (w *wsClient) closeStatus() websocket.StatusCode {
	w.t.Helper()
	for {
		_, err := w.read()
		if err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

// realtimeFixture is a page and a script in the bundle's workspace.
func realtimeFixture(t *testing.T, b apiBundle) (page, script string) {
	t.Helper()
	app := createApp(t, b.c, "Live")
	page = b.c.post("/api/apps/"+app+"/pages", map[string]any{"name": "Home"}).ok(http.StatusCreated)["id"].(string)
	script = createScript(t, b.c, app, "handler", "hello\n")
	return "page-" + page, "script-" + script
}

func TestRealtimeHandshake(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())

	// Anonymous upgrades are refused before the handshake.
	_, resp, err := dialWS(t, b.c.as(""))
	require.Error(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	// A browser on another origin is refused (cross-site WebSocket hijacking).
	ctx := context.Background()
	h := http.Header{"Authorization": {"Bearer " + b.c.token()}, "Origin": {"https://evil.example"}}
	_, resp, err = websocket.Dial(ctx, "ws"+strings.TrimPrefix(b.c.base, "http")+"/api/realtime", &websocket.DialOptions{HTTPHeader: h})
	require.Error(t, err)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	tests := []struct {
		name  string
		first string
		code  websocket.StatusCode
	}{
		{"P1 first message not a hello", `{"type":"subscribe","doc":"page-x"}`, realtime.CloseProtocolError},
		{"P1 not JSON", `hello`, realtime.CloseProtocolError},
		{"P2 unsupported protocol", `{"type":"hello","protocol":99,"clientId":"c1"}`, realtime.CloseProtocolVersion},
		{"P1 bad client id", `{"type":"hello","protocol":1,"clientId":""}`, realtime.CloseProtocolError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, _, err := dialWS(t, b.c.with(t))
			require.NoError(t, err)
			w.sendRaw([]byte(tt.first))
			require.Equal(t, tt.code, w.closeStatus())
		})
	}
}

func TestRealtimeBadMessagesKeepTheConnection(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	page, _ := realtimeFixture(t, b)
	w := connect(t, b.c, "c1")
	other := connect(t, b.c, "c2")
	other.send(map[string]any{"type": "subscribe", "doc": page, "version": 0})
	other.expect("subscribed")

	tests := []struct {
		name string
		msg  string
		code string
	}{
		{"P3 unknown type", `{"type":"teleport"}`, "unknown_type"},
		{"P3 malformed JSON", `{"type":`, "malformed_json"},
		{"P3 wrong field type", `{"type":"subscribe","doc":42}`, "malformed_message"},
		{"unknown doc kind", `{"type":"subscribe","doc":"invoice-1","version":0}`, "unknown_doc"},
		{"no such page", `{"type":"subscribe","doc":"page-nope","version":0}`, "forbidden"},
		{"submit before subscribe", `{"type":"submit","doc":"` + page + `","baseVersion":1,"ops":[{"seq":1,"page":{"op":"insert_node","type":"Text"}}]}`, "not_subscribed"},
		{"second hello", `{"type":"hello","protocol":1,"clientId":"c1"}`, "already_greeted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.t = t
			w.sendRaw([]byte(tt.msg))
			e := w.expect("error")
			require.Equal(t, tt.code, e["code"])
			require.NotEmpty(t, e["message"])
		})
	}
	w.t = t
	w.send(map[string]any{"type": "ping", "id": "still-there"})
	require.Equal(t, "still-there", w.expect("pong")["id"], "the connection is still open")

	// P28: an oversized message closes only its own connection (1009).
	big := `{"type":"ping","id":"` + strings.Repeat("x", realtime.MaxMessageBytes) + `"}`
	w.sendRaw([]byte(big))
	require.Equal(t, websocket.StatusMessageTooBig, w.closeStatus())
	other.send(map[string]any{"type": "ping", "id": "other"})
	require.Equal(t, "other", other.expect("pong")["id"], "other connections carry on")
}

// TestRealtimeRolesPerMessage: P26.
func TestRealtimeRolesPerMessage(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	page, script := realtimeFixture(t, b)
	for _, u := range []string{"viewer", "auditor"} {
		b.c.as(u).token()
		b.c.put("/api/workspaces/"+b.ws+"/members/"+u, map[string]any{"role": u}).ok(http.StatusOK)
	}
	b.c.as("outsider").token()
	require.Equal(t, http.StatusNoContent, b.c.delete("/api/workspaces/"+b.ws+"/members/outsider").status)

	// A viewer watches the page but cannot edit it, nor read scripts.
	viewer := connect(t, b.c.as("viewer"), "v1")
	viewer.send(map[string]any{"type": "subscribe", "doc": page, "version": 0})
	require.NotEmpty(t, viewer.expect("subscribed")["snapshot"])
	viewer.send(map[string]any{"type": "submit", "doc": page, "baseVersion": 1, "ops": []any{
		map[string]any{"seq": 1, "page": map[string]any{"op": "insert_node", "type": "Text"}},
	}})
	ack := viewer.expect("ack")
	res := ack["results"].([]any)[0].(map[string]any)
	require.Equal(t, "rejected", res["status"])
	require.Equal(t, "forbidden", res["code"])
	viewer.send(map[string]any{"type": "subscribe", "doc": script, "version": 0})
	require.Equal(t, "forbidden", viewer.expect("error")["code"])

	// An auditor reads scripts.
	auditor := connect(t, b.c.as("auditor"), "a1")
	auditor.send(map[string]any{"type": "subscribe", "doc": script, "version": 0})
	require.Contains(t, string(mustJSON(t, auditor.expect("subscribed")["snapshot"])), "hello")

	// An outsider learns nothing.
	outsider := connect(t, b.c.as("outsider"), "o1")
	outsider.send(map[string]any{"type": "subscribe", "doc": page, "version": 0})
	e := outsider.expect("error")
	require.Equal(t, "forbidden", e["code"])
	require.Contains(t, e["message"], "no document")

	// Nothing the refused messages asked for happened.
	require.EqualValues(t, 1, b.c.get("/api/pages/" + strings.TrimPrefix(page, "page-")).ok(http.StatusOK)["version"])
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestRealtimeCoEditing(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		page, script := realtimeFixture(t, b)
		alice := connect(t, b.c, "alice-tab")
		bob := connect(t, b.c.as("bob"), "bob-tab")
		for _, w := range []*wsClient{alice, bob} {
			w.send(map[string]any{"type": "subscribe", "doc": page, "version": 1})
			sub := w.expect("subscribed")
			require.EqualValues(t, 1, sub["version"])
			require.Nil(t, sub["snapshot"], "P5 a client at the head gets no snapshot")
		}

		// P8/P12: alice's op is acked with its version and broadcast to both with author and seq.
		alice.send(map[string]any{"type": "submit", "doc": page, "baseVersion": 1, "ops": []any{
			map[string]any{"seq": 1, "page": map[string]any{"op": "insert_node", "nodeId": "btn", "type": "Button"}},
			map[string]any{"seq": 2, "page": map[string]any{"op": "set_prop", "nodeId": "nope", "path": "label", "value": "x"}},
		}})
		for _, w := range []*wsClient{alice, bob} {
			ev := w.expect("events")["events"].([]any)
			require.Len(t, ev, 1)
			e := ev[0].(map[string]any)
			require.EqualValues(t, 2, e["version"])
			require.Equal(t, "alice", e["actor"])
			require.Equal(t, "alice-tab", e["clientId"])
			require.EqualValues(t, 1, e["seq"])
		}
		results := alice.expect("ack")["results"].([]any)
		require.Equal(t, "committed", results[0].(map[string]any)["status"])
		require.EqualValues(t, 2, results[0].(map[string]any)["version"])
		rejected := results[1].(map[string]any)
		require.Equal(t, "rejected", rejected["status"], "P10 an op on a missing node is rejected with its reason")
		require.NotEmpty(t, rejected["code"])
		require.NotEmpty(t, rejected["message"])

		// P11: a resubmit (same client, same seq) after a reconnect is acked, not applied twice.
		alice2 := connect(t, b.c, "alice-tab")
		alice2.send(map[string]any{"type": "subscribe", "doc": page, "version": 1})
		caught := alice2.expect("subscribed")
		require.Len(t, caught["events"], 1, "P5 the missed event, not a snapshot")
		alice2.send(map[string]any{"type": "submit", "doc": page, "baseVersion": 1, "ops": []any{
			map[string]any{"seq": 1, "page": map[string]any{"op": "insert_node", "nodeId": "btn", "type": "Button"}},
		}})
		again := alice2.expect("ack")["results"].([]any)[0].(map[string]any)
		require.Equal(t, "committed", again["status"])
		v, err := b.store.StreamVersion(context.Background(), page)
		require.NoError(t, err)
		require.EqualValues(t, 2, v, "the resubmit appended nothing")

		// P32: a change through the HTTP API reaches the sockets too (the engine follows the log).
		b.c.post("/api/pages/"+strings.TrimPrefix(page, "page-")+"/ops", map[string]any{
			"expectedVersion": 2, "ops": []any{map[string]any{"op": "set_prop", "nodeId": "btn", "path": "label", "value": "Pay"}},
		}).ok(http.StatusOK)
		ev := bob.expect("events")["events"].([]any)[0].(map[string]any)
		require.EqualValues(t, 3, ev["version"])
		require.Equal(t, "page.node_prop_set", ev["type"])

		// P22: presence is relayed to the others, never stored.
		bob.send(map[string]any{"type": "presence", "doc": page, "state": map[string]any{"selection": []string{"btn"}}})
		pr := awaitPresence(t, alice)
		require.Equal(t, "bob", pr["user"])
		require.Equal(t, "bob-tab", pr["clientId"])

		// P19: two people typing in one script at once both keep their text.
		for _, w := range []*wsClient{alice, bob} {
			w.send(map[string]any{"type": "subscribe", "doc": script, "version": 1})
			w.expect("subscribed")
		}
		alice.send(map[string]any{"type": "submit", "doc": script, "baseVersion": 1, "ops": []any{
			map[string]any{"seq": 3, "edits": []any{map[string]any{"pos": 0, "insert": "// alice\n"}}},
		}})
		bob.send(map[string]any{"type": "submit", "doc": script, "baseVersion": 1, "ops": []any{
			map[string]any{"seq": 1, "edits": []any{map[string]any{"pos": 5, "insert": " world"}}},
		}})
		for _, w := range []*wsClient{alice, bob} {
			w.expect("ack")
		}
		text := b.c.get("/api/scripts/" + strings.TrimPrefix(script, "script-")).ok(http.StatusOK)["text"]
		require.Equal(t, "// alice\nhello world\n", text)
		appID := b.c.get("/api/scripts/" + strings.TrimPrefix(script, "script-")).ok(http.StatusOK)["appId"].(string)
		authors := map[string]bool{}
		require.Eventually(t, func() bool { // the change log is a projection, a moment behind
			for _, ch := range b.c.get("/api/script-changes?appId=" + appID).ok(http.StatusOK)["items"].([]any) {
				authors[ch.(map[string]any)["author"].(string)] = true
			}
			return authors["alice"] && authors["bob"]
		}, 10*time.Second, 20*time.Millisecond)
		require.True(t, authors["alice"] && authors["bob"], "the change log shows who typed what: %v", authors)
	})
}

// awaitPresence reads until a presence message arrives (events may come first).
func awaitPresence(t *testing.T, w *wsClient) map[string]any {
	t.Helper()
	for {
		m, err := w.read()
		require.NoError(t, err)
		if m["type"] == "presence" {
			return m
		}
	}
}

// secondNode starts another server (its own pool, projections runner and co-editing engine) on
// the bundle's Postgres database: a second `goflow serve` process in all but the process.
func secondNode(t *testing.T, b apiBundle) *client {
	t.Helper()
	require.NotEmpty(t, b.pgURL, "a second node needs the Postgres backend")
	ctx := context.Background()
	st, err := postgres.Open(ctx, postgres.Config{URL: b.pgURL, PollInterval: 100 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	docs := pgdocs.New(st.Pool())
	cfg := web.Config{
		Store: st, Docs: docs, Projections: startRunner(t, st, docs), ProjectionWait: 10 * time.Second,
		Logger: slog.New(slog.DiscardHandler), SecretBox: testBox(t), Auth: web.AuthConfig{Passwords: auth.TestParams()},
	}
	s, err := web.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(s.Handler())
	rtCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.RunRealtime(rtCtx) }()
	t.Cleanup(func() { stop(); require.NoError(t, <-done) })
	t.Cleanup(srv.Close)
	c := *b.c
	c.base = srv.URL
	return &c
}

// TestRealtimeTwoNodes (P6, P32): clients connected to two servers on one Postgres co-edit a page; every
// client sees every change exactly once, in version order, and ends at the database's version.
func TestRealtimeTwoNodes(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "postgres", webConfig())
	page, _ := realtimeFixture(t, b)
	node2 := secondNode(t, b)

	alice := connect(t, b.c, "alice-n1")         // node 1
	bob := connect(t, node2.as("bob"), "bob-n2") // node 2
	for _, w := range []*wsClient{alice, bob} {
		w.send(map[string]any{"type": "subscribe", "doc": page, "version": 1})
		w.expect("subscribed")
	}
	// Each inserts its own nodes and then edits them, all at once on both nodes.
	const perClient = 15
	for i := 1; i <= perClient; i++ {
		for _, x := range []struct {
			w    *wsClient
			name string
		}{{alice, "a"}, {bob, "b"}} {
			id := x.name + strconv.Itoa(i)
			x.w.send(map[string]any{"type": "submit", "doc": page, "baseVersion": 1, "ops": []any{
				map[string]any{"seq": 2*i - 1, "page": map[string]any{"op": "insert_node", "nodeId": id, "type": "Text"}},
				map[string]any{"seq": 2 * i, "page": map[string]any{"op": "set_prop", "nodeId": id, "path": "text", "value": id}},
			}})
		}
	}
	final := int64(1 + 2*2*perClient) // every op makes one event
	for _, w := range []*wsClient{alice, bob} {
		seen, acks := int64(1), 0
		for seen < final || acks < perClient {
			m, err := w.read()
			require.NoError(t, err)
			switch m["type"] {
			case "events":
				for _, e := range m["events"].([]any) {
					v := num(t, e.(map[string]any)["version"])
					require.Equal(t, seen+1, v, "events arrive once each, in version order")
					seen = v
				}
			case "ack":
				for _, r := range m["results"].([]any) {
					require.Equal(t, "committed", r.(map[string]any)["status"], "%v", r)
				}
				acks++
			}
		}
	}
	pageID := strings.TrimPrefix(page, "page-")
	for _, c := range []*client{b.c, node2} {
		// The HTTP API reads projections, which follow the log a moment behind the sockets.
		var doc map[string]any
		require.Eventually(t, func() bool {
			doc = c.get("/api/pages/" + pageID).ok(http.StatusOK)
			return num(t, doc["version"]) == final
		}, 20*time.Second, 20*time.Millisecond)
		require.Len(t, doc["root"].(map[string]any)["children"], 2*perClient, "every insert survived")
	}
}

// TestRealtimeClientIDsAreScopedToTheUser: claiming another user's client id with a high seq
// does not make that user's later ops look like resubmits.
func TestRealtimeClientIDsAreScopedToTheUser(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	page, _ := realtimeFixture(t, b)
	mallory := connect(t, b.c.as("mallory"), "bob-tab") // bob's client id
	bob := connect(t, b.c.as("bob"), "bob-tab")
	for _, w := range []*wsClient{mallory, bob} {
		w.send(map[string]any{"type": "subscribe", "doc": page, "version": 1})
		w.expect("subscribed")
	}
	mallory.send(map[string]any{"type": "submit", "doc": page, "baseVersion": 1, "ops": []any{
		map[string]any{"seq": 1000, "page": map[string]any{"op": "insert_node", "nodeId": "m", "type": "Text"}},
	}})
	mallory.expect("ack")
	bob.send(map[string]any{"type": "submit", "doc": page, "baseVersion": 2, "ops": []any{
		map[string]any{"seq": 1, "page": map[string]any{"op": "insert_node", "nodeId": "b", "type": "Text"}},
	}})
	res := bob.expect("ack")["results"].([]any)[0].(map[string]any)
	require.Equal(t, "committed", res["status"])
	require.EqualValues(t, 3, res["version"], "bob's op was applied, not taken for a resubmit")
}

// TestRealtimeRechecksCredentialsAndRoles (P26, P29): a connection whose session ends is closed
// with 4001; a subscription whose user lost access is dropped with a forbidden error.
func TestRealtimeRechecksCredentialsAndRoles(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", web.Config{RealtimeAuthCheck: 50 * time.Millisecond})
	page, _ := realtimeFixture(t, b)

	// Signed in by a session cookie, then signed out elsewhere.
	sess, cookie := signIn(b.c.as(""), "/api/auth/login", map[string]any{"username": "alice", "password": passwordOf("alice")}, http.StatusOK)
	h := http.Header{"Cookie": {web.SessionCookie + "=" + cookie}}
	ws, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(b.c.base, "http")+"/api/realtime", &websocket.DialOptions{HTTPHeader: h})
	require.NoError(t, err)
	w := &wsClient{t: t, ws: ws}
	w.send(map[string]any{"type": "hello", "protocol": 1, "clientId": "cookie-tab"})
	w.expect("welcome")
	b.c.as("").withSession(cookie, sess["csrfToken"].(string)).post("/api/auth/logout", map[string]any{})
	require.Equal(t, websocket.StatusCode(realtime.CloseAuthFailed), w.closeStatus())

	// A member removed from the workspace stops receiving the page.
	bob := connect(t, b.c.as("bob"), "bob-tab")
	bob.send(map[string]any{"type": "subscribe", "doc": page, "version": 1})
	bob.expect("subscribed")
	require.Equal(t, http.StatusNoContent, b.c.delete("/api/workspaces/"+b.ws+"/members/bob").status)
	e := bob.expect("error")
	require.Equal(t, "forbidden", e["code"])
	require.Equal(t, page, e["doc"])
}

// goClient dials the co-editing socket with the Go client as c's user.
func goClient(t *testing.T, c *client, clientID string) *rtclient.Client {
	t.Helper()
	header := http.Header{"Authorization": {"Bearer " + c.token()}} // before the dial's deadline
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gc, err := rtclient.Dial(ctx, rtclient.Config{
		URL:      "ws" + strings.TrimPrefix(c.base, "http") + web.RealtimePath,
		Header:   header,
		ClientID: clientID,
		Logger:   slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = gc.Close() })
	return gc
}

// coEditWithGoClients has two Go clients edit one page and one script at the same time, one of
// them dropping its connection midway, and checks that both end with the same page and text as
// the server.
func coEditWithGoClients(t *testing.T, alice, bob *rtclient.Client, page, script string, check *client) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pageID, scriptID := strings.TrimPrefix(page, "page-"), strings.TrimPrefix(script, "script-")
	type docs struct {
		page   *rtclient.PageDoc
		script *rtclient.ScriptDoc
	}
	var open [2]docs
	for i, gc := range []*rtclient.Client{alice, bob} {
		p, err := gc.OpenPage(ctx, pageID)
		require.NoError(t, err)
		s, err := gc.OpenScript(ctx, scriptID)
		require.NoError(t, err)
		open[i] = docs{p, s}
	}
	for i := range 10 {
		for who, d := range open {
			id := fmt.Sprintf("n%d-%d", who, i)
			_, err := d.page.Submit(json.RawMessage(fmt.Sprintf(`{"op":"insert_node","nodeId":%q,"type":"Text"}`, id)))
			require.NoError(t, err)
			_, err = d.page.Submit(json.RawMessage(fmt.Sprintf(`{"op":"set_prop","nodeId":%q,"path":"text","value":"by %d"}`, id, who)))
			require.NoError(t, err)
			require.NoError(t, d.script.Edit(textot.Op{{Pos: 0, Insert: fmt.Sprintf("%d", who)}}))
		}
		if i == 4 {
			bob.Drop() // a lost connection: the client reconnects, catches up and resubmits
		}
	}
	for _, gc := range []*rtclient.Client{alice, bob} {
		require.NoError(t, gc.Flush(ctx))
	}
	// Both reach the last version either of them committed.
	var last int64
	for _, d := range open {
		_, v := d.page.Confirmed()
		last = max(last, v)
	}
	for _, gc := range []*rtclient.Client{alice, bob} {
		require.NoError(t, gc.WaitVersion(ctx, page, last))
	}
	_, sv0 := open[0].script.Confirmed()
	_, sv1 := open[1].script.Confirmed()
	for _, gc := range []*rtclient.Client{alice, bob} {
		require.NoError(t, gc.WaitVersion(ctx, script, max(sv0, sv1)))
	}
	a, b := open[0].page.Local(), open[1].page.Local()
	require.Equal(t, mustJSON(t, a.Document()), mustJSON(t, b.Document()), "the two clients' pages")
	require.Len(t, a.Nodes, 1+10+10, "the root and each client's 10 inserts, each once")
	require.Equal(t, open[0].script.Text(), open[1].script.Text(), "the two clients' scripts")
	require.Equal(t, 20+len("hello\n"), len(open[0].script.Text()), "every keystroke kept once")
	require.Eventually(t, func() bool { // the HTTP API reads projections, a moment behind
		return check.get("/api/scripts/" + scriptID).ok(http.StatusOK)["text"] == open[0].script.Text()
	}, 20*time.Second, 20*time.Millisecond)
}

// TestRealtimeGoClients: two Go clients co-edit a page and a script through the real server, on
// both stores, and on two nodes sharing one Postgres database.
func TestRealtimeGoClients(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		page, script := realtimeFixture(t, b)
		coEditWithGoClients(t, goClient(t, b.c, "alice-go"), goClient(t, b.c.as("bob"), "bob-go"), page, script, b.c)
	})
	t.Run("two nodes", func(t *testing.T) {
		t.Parallel()
		b := newAPI(t, "postgres", webConfig())
		page, script := realtimeFixture(t, b)
		node2 := secondNode(t, b)
		coEditWithGoClients(t, goClient(t, b.c, "alice-go"), goClient(t, node2.as("bob"), "bob-go"), page, script, node2)
	})
}

// TestRealtimeSavesPageSnapshots: pages edited live get snapshots on the API's schedule (every
// 100 versions), so reading their history stays cheap.
func TestRealtimeSavesPageSnapshots(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	page, _ := realtimeFixture(t, b)
	w := connect(t, b.c, "snap")
	w.send(map[string]any{"type": "subscribe", "doc": page, "version": 1})
	w.expect("subscribed")
	ops := make([]any, 120)
	for i := range ops {
		ops[i] = map[string]any{"seq": i + 1, "page": map[string]any{"op": "insert_node", "nodeId": fmt.Sprintf("n%d", i), "type": "Text"}}
	}
	w.send(map[string]any{"type": "submit", "doc": page, "baseVersion": 1, "ops": ops})
	w.expect("ack")
	snap, err := b.store.SnapshotLoad(context.Background(), page, 0)
	require.NoError(t, err)
	require.EqualValues(t, 121, snap.Version, "saved after the commit that crossed version 100")
	// History reads from it agree with the log.
	old := b.c.get("/api/pages/" + strings.TrimPrefix(page, "page-") + "?version=110").ok(http.StatusOK)
	require.Len(t, old["root"].(map[string]any)["children"], 109)
}
