package web_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// Handlers beyond the plain script: quick actions, hostile scripts, the per-app deadline and
// the end of a session, run over the co-editing socket against the real server.

// handlerPage builds an app and a counter page (counterPage) with a Modal and a Table besides
// the buttons. It returns the page's doc id.
func handlerPage(t *testing.T, b apiBundle, bindings map[string]map[string]any) string {
	t.Helper()
	return counterPage(t, b, createApp(t, b.c, "Handlers"), bindings,
		map[string]any{"op": "insert_node", "type": "Modal", "nodeId": "modal"},
		map[string]any{"op": "insert_node", "type": "Table", "nodeId": "tbl"})
}

// counterPage creates a page of app whose reducer counts counter/increment actions (and says
// whether Object.prototype was polluted) and loops forever on hang, with one Button per entry of
// bindings (node id → onClick binding) and the extra ops. It returns the page's doc id.
func counterPage(t *testing.T, b apiBundle, app string, bindings map[string]map[string]any, extra ...map[string]any) string {
	t.Helper()
	c := b.c
	reducer := createKindScript(t, c, app, "page_reducer", `function reducer(state = { count: 0 }, action) {
		if (action.type === 'counter/increment') return { ...state, count: state.count + 1, polluted: ({}).polluted !== undefined };
		if (action.type === 'hang') { for (;;) {} }
		return state;
	}`)
	page := c.post("/api/apps/"+app+"/pages", map[string]any{"name": "Home"}).ok(http.StatusCreated)["id"].(string)
	version := int64(c.get("/api/pages/" + page).ok(http.StatusOK)["version"].(float64))
	list := append(extra, map[string]any{"op": "set_page_state", "initialState": map[string]any{"count": 0}, "reducerScriptId": reducer})
	for node, binding := range bindings {
		list = append(list,
			map[string]any{"op": "insert_node", "type": "Button", "nodeId": node},
			map[string]any{"op": "bind_event", "nodeId": node, "event": "onClick", "binding": binding})
	}
	ops(c, page, version, list...).ok(http.StatusOK)
	return "page-" + page
}

// script binds a new event handler script of app with body as handleEvent's body.
func script(t *testing.T, b apiBundle, app, body string) map[string]any {
	t.Helper()
	id := createKindScript(t, b.c, app, "event_handler", "function handleEvent(payload, ctx) {\n"+body+"\n}")
	return map[string]any{"kind": "script", "scriptId": id}
}

func quickActions(actions ...map[string]any) map[string]any {
	return map[string]any{"kind": "actions", "actions": actions}
}

func qa(typ string, params map[string]any) map[string]any {
	return map[string]any{"type": typ, "params": params}
}

// click sends an onClick of node in session and returns the answer (run_state or error).
func click(w *wsClient, session, node string) map[string]any {
	w.t.Helper()
	w.send(map[string]any{"type": "component_event", "session": session, "nodeId": node, "event": "onClick", "payload": clickPayload})
	for {
		m, err := w.read()
		require.NoError(w.t, err, "waiting for the answer to a click on %s", node)
		if m["type"] == "run_state" || m["type"] == "error" {
			return m
		}
	}
}

// TestRuntimeQuickActions: an "actions" binding sets state, dispatches through the reducer,
// opens a modal, calls a component action and asks the client to notify and navigate; the
// dispatches are recorded and replayed like a script's.
func TestRuntimeQuickActions(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	page := handlerPage(t, b, map[string]map[string]any{
		"save": quickActions(
			qa("setState", map[string]any{"path": "form.shift", "value": "{{ event.shiftKey }}"}),
			qa("dispatch", map[string]any{"type": "counter/increment"}),
			qa("setState", map[string]any{"path": "form.label", "value": "count was {{ state.count }}"}),
			qa("showModal", map[string]any{"modalId": "modal"}),
			qa("callComponent", map[string]any{"nodeId": "tbl", "action": "selectRow", "params": map[string]any{"index": 2}}),
			qa("showNotification", map[string]any{"message": "Saved", "level": "success"}),
			qa("navigate", map[string]any{"pageId": "other"}),
		),
		"effects": quickActions(qa("copyToClipboard", map[string]any{"text": "hi"})),
		"query":   quickActions(qa("setState", map[string]any{"path": "x", "value": 1}), qa("runQuery", map[string]any{"queryId": "q1"})),
		"badpath": quickActions(qa("setState", map[string]any{"path": "count.deeper", "value": 1})),
	})

	w := connect(t, b.c, "q1")
	w.send(map[string]any{"type": "run", "doc": page})
	session := w.expect("run_started")["session"].(string)

	st := click(w, session, "save")
	require.Equal(t, "run_state", st["type"], "answer: %v", st)
	require.EqualValues(t, 3, st["step"], "three dispatches: two setState and one action")
	require.Equal(t, map[string]any{"count": float64(1), "polluted": false, "form": map[string]any{"shift": false, "label": "count was 0"}},
		st["state"].(map[string]any)["page"], "templates read the state as it was when the event fired")
	require.Equal(t, []any{
		map[string]any{"nodeId": "modal", "kind": "setProps", "props": map[string]any{"open": true}},
		map[string]any{"nodeId": "tbl", "kind": "emit", "action": "selectRow", "params": map[string]any{"index": float64(2)}},
	}, st["updates"])
	require.Equal(t, []any{
		map[string]any{"kind": "notify", "params": map[string]any{"message": "Saved", "level": "success"}},
		map[string]any{"kind": "navigate", "params": map[string]any{"pageId": "other"}},
	}, st["effects"])

	// Effects alone record nothing.
	st = click(w, session, "effects")
	require.EqualValues(t, 3, st["step"])
	require.Equal(t, []any{map[string]any{"kind": "copyToClipboard", "params": map[string]any{"text": "hi"}}}, st["effects"])

	// A runQuery of a query the app does not have refuses the whole list: not even its setState
	// is recorded.
	e := click(w, session, "query")
	require.Equal(t, "error", e["type"])
	require.Equal(t, "unknown_query", e["code"])
	require.Contains(t, e["message"], "q1")

	// A setState the state cannot take is recorded with its error; the state stays.
	st = click(w, session, "badpath")
	require.EqualValues(t, 4, st["step"])
	require.Contains(t, st["error"], "count is not an object or array")
	require.Equal(t, float64(1), st["state"].(map[string]any)["page"].(map[string]any)["count"])

	// The time-travel API shows the quick actions' steps and replays them.
	actions := b.c.get("/api/sessions/" + session + "/actions").ok(http.StatusOK)["items"].([]any)
	require.Len(t, actions, 4)
	first := actions[0].(map[string]any)
	require.Equal(t, "@goflow/setState", first["action"].(map[string]any)["type"])
	require.Equal(t, map[string]any{"path": "form.shift", "value": false}, first["action"].(map[string]any)["payload"], "the resolved value is recorded")
	require.NotContains(t, first, "handler", "quick actions run no handler script")
	require.Equal(t, "save", first["source"].(map[string]any)["nodeId"])
	replayed := b.c.get("/api/sessions/" + session + "/state?step=3").ok(http.StatusOK)
	require.Equal(t, st["state"].(map[string]any)["page"], replayed["page"])
	require.Equal(t, false, replayed["diverged"] == true)
}

// TestRuntimeHostileHandlers: hostile handlers and reducers in a running session each end with
// a clear error, nothing of theirs is recorded (or their step keeps the state), and the next
// click runs unaffected.
func TestRuntimeHostileHandlers(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	c := b.c
	app := createApp(t, c, "Hostile")
	hostile := []struct {
		node, body, want string
	}{
		{"loop", `while (true) {}`, "ran longer than"},
		{"trycatch", `for (;;) { try { while (true) {} } catch (e) {} }`, "ran longer than"},
		{"recursion", `function f() { return f() + 1 } f()`, "stack"},
		{"strbomb", `let s = 'x'; for (;;) s += s`, "handler"},
		{"arrbomb", `new Array(1e9).fill(0)`, "handler"},
		{"regexp", `/^(a+)+(?=$)/.test('a'.repeat(40) + '!')`, "handler"},
		{"pollute", `Object.prototype.polluted = 1`, "handler"},
		{"function", `Function('return this')()`, "disabled"},
		{"promises", `Promise.resolve().then(function f() { return Promise.resolve().then(f) })`, "ran longer than"},
		{"cyclic", `const p = []; p.push(p); dispatch(createAction('x', p))`, "circular"},
		{"hugeerr", `throw new Error('x'.repeat(1e6))`, "handler"},
		{"deepjson", `JSON.parse('['.repeat(1e5) + ']'.repeat(1e5))`, "handler"},
		{"reserved", `dispatch(createAction('@goflow/setState', { path: 'count', value: 99 }))`, "reserved"},
	}
	bindings := map[string]map[string]any{
		"ok":   script(t, b, app, `dispatch(createAction('counter/increment'))`),
		"hang": script(t, b, app, `dispatch(createAction('hang'))`),
	}
	for _, h := range hostile {
		bindings[h.node] = script(t, b, app, h.body)
	}
	page := counterPage(t, b, app, bindings)

	w := connect(t, c, "h1")
	w.send(map[string]any{"type": "run", "doc": page})
	session := w.expect("run_started")["session"].(string)

	step := 0.0
	for _, h := range hostile {
		e := click(w, session, h.node)
		require.Equal(t, "error", e["type"], "%s: %v", h.node, e)
		require.Equal(t, "handler_failed", e["code"], h.node)
		require.Contains(t, e["message"], h.want, h.node)
		require.Less(t, len(e["message"].(string)), 10_000, "%s: errors are cut", h.node)

		st := click(w, session, "ok")
		step++
		require.Equal(t, "run_state", st["type"], "after %s: %v", h.node, st)
		require.Equal(t, step, st["step"], "after %s, the next click runs", h.node)
		page := st["state"].(map[string]any)["page"].(map[string]any)
		require.Equal(t, step, page["count"], h.node)
		require.Equal(t, false, page["polluted"], "after %s, nothing leaked into the next run", h.node)
	}

	// A reducer that never returns is stopped and recorded; the state stays at the last good one.
	st := click(w, session, "hang")
	step++
	require.Equal(t, step, st["step"])
	require.Contains(t, st["error"], "ran longer than 50ms", "the default deadline")
	require.Equal(t, step-1, st["state"].(map[string]any)["page"].(map[string]any)["count"])
	st = click(w, session, "ok")
	require.Equal(t, step+1, st["step"])
	require.NotContains(t, st, "error")

	// The server is still up and serving.
	c.get("/api/apps/" + app).ok(http.StatusOK)
}

// TestRuntimeAppDeadline: the app's scriptTimeoutMs setting is the deadline of its sessions'
// scripts, read when a session starts.
func TestRuntimeAppDeadline(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	c := b.c
	app := createApp(t, c, "Slow")
	page := counterPage(t, b, app, map[string]map[string]any{"loop": script(t, b, app, `while (true) {}`)})
	version := c.get("/api/apps/" + app).ok(http.StatusOK)["version"]
	c.patch("/api/apps/"+app, map[string]any{"expectedVersion": version, "settings": map[string]any{"scriptTimeoutMs": 7}}).ok(http.StatusOK)

	w := connect(t, c, "d1")
	w.send(map[string]any{"type": "run", "doc": page})
	session := w.expect("run_started")["session"].(string)
	e := click(w, session, "loop")
	require.Equal(t, "handler_failed", e["code"])
	require.Contains(t, e["message"], "ran longer than 7ms")
}

// TestRuntimeSessionEndsWithConnection: closing the socket records session.ended.
func TestRuntimeSessionEndsWithConnection(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	page := runtimeFixture(t, b)
	w := connect(t, b.c, "e1")
	w.send(map[string]any{"type": "run", "doc": page})
	session := w.expect("run_started")["session"].(string)
	require.Equal(t, "run_state", click(w, session, "btn")["type"])
	require.Equal(t, false, b.c.get("/api/sessions/" + session).ok(http.StatusOK)["ended"])

	require.NoError(t, w.ws.Close(websocket.StatusNormalClosure, "done"))
	require.Eventually(t, func() bool {
		return b.c.get("/api/sessions/" + session).ok(http.StatusOK)["ended"] == true
	}, 10*time.Second, 20*time.Millisecond, "the session ends when its connection closes")
	s := b.c.get("/api/sessions/" + session).ok(http.StatusOK)
	require.EqualValues(t, 1, s["steps"], "the end adds no step")
}

// TestRuntimePublished: a published run uses the release's page and script versions while the
// draft moves on; a preview runs the draft.
func TestRuntimePublished(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	c := b.c
	app := createApp(t, c, "Shop")
	handler := createKindScript(t, c, app, "event_handler", `function handleEvent() { dispatch(createAction('inc')); }`)
	reducer := createKindScript(t, c, app, "page_reducer", `function reducer(state = { count: 0 }, action) {
		return action.type === 'inc' ? { ...state, count: state.count + 1 } : state;
	}`)
	pageID := c.post("/api/apps/"+app+"/pages", map[string]any{"name": "Home"}).ok(http.StatusCreated)["id"].(string)
	ops(c, pageID, 1,
		map[string]any{"op": "insert_node", "type": "Button", "nodeId": "btn"},
		map[string]any{"op": "bind_event", "nodeId": "btn", "event": "onClick", "binding": map[string]any{"kind": "script", "scriptId": handler}},
		map[string]any{"op": "set_page_state", "initialState": map[string]any{"count": 0}, "reducerScriptId": reducer},
	).ok(http.StatusOK)
	page := "page-" + pageID

	w := connect(t, c, "p1")
	run := func(mode string) (string, map[string]any) {
		t.Helper()
		w.send(map[string]any{"type": "run", "doc": page, "mode": mode})
		for {
			m, err := w.read()
			require.NoError(t, err)
			if m["type"] == "run_started" {
				return m["session"].(string), m
			}
			if m["type"] == "error" {
				return "", m
			}
		}
	}
	_, e := run("published")
	require.Equal(t, "not_published", e["code"], "nothing is published yet")
	c.get("/api/apps/"+app+"/release").problem(http.StatusNotFound, "not_published")

	rel := c.post("/api/apps/"+app+"/publish", nil).ok(http.StatusCreated)
	require.EqualValues(t, 1, rel["release"])
	require.Equal(t, map[string]any{pageID: float64(4)}, rel["pages"])
	require.Equal(t, map[string]any{handler: float64(1), reducer: float64(1)}, rel["scripts"])
	require.EqualValues(t, 1, c.get("/api/apps/" + app).ok(http.StatusOK)["release"])

	// The draft moves on: the reducer counts by 10, the initial state starts at 100.
	c.put("/api/scripts/"+reducer+"/text", map[string]any{"expectedVersion": 1, "text": `function reducer(state = { count: 0 }, action) {
		return action.type === 'inc' ? { ...state, count: state.count + 10 } : state;
	}`}).ok(http.StatusOK)
	ops(c, pageID, 4, map[string]any{"op": "set_page_state", "initialState": map[string]any{"count": 100}, "reducerScriptId": reducer}).ok(http.StatusOK)

	tests := []struct {
		mode         string
		start, after float64
		version      float64
	}{
		{"published", 0, 1, 1},
		{"preview", 100, 110, 2},
	}
	for _, tt := range tests {
		session, started := run(tt.mode)
		require.NotEmpty(t, session, "%s: %v", tt.mode, started)
		require.Equal(t, map[string]any{"count": tt.start}, started["state"].(map[string]any)["page"], tt.mode)
		st := click(w, session, "btn")
		require.Equal(t, map[string]any{"count": tt.after}, st["state"].(map[string]any)["page"], tt.mode)
		s := c.get("/api/sessions/" + session).ok(http.StatusOK)
		require.Equal(t, tt.mode, s["mode"])
		require.Equal(t, tt.version, s["pageReducer"].(map[string]any)["version"], tt.mode)
	}

	// Publishing again makes release 2, which runs the new draft.
	require.EqualValues(t, 2, c.post("/api/apps/"+app+"/publish", nil).ok(http.StatusCreated)["release"])
	session, started := run("published")
	require.Equal(t, map[string]any{"count": float64(100)}, started["state"].(map[string]any)["page"])
	require.Equal(t, map[string]any{"count": float64(110)}, click(w, session, "btn")["state"].(map[string]any)["page"])
}
