package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// These tests run a page over the co-editing socket (docs/protocol.md P33-P38) against the real
// server, and read the recorded session back through the time-travel API.

const (
	rtHandler = `function handleEvent(payload, ctx) { dispatch(createAction('counter/increment', { by: 1 })); }`
	// rtPageReducer refuses a third increment, so that a test sees a reducer error (P37).
	rtPageReducer = `function reducer(state = { count: 0 }, action) {
		if (action.type === 'counter/increment' && state.count >= 2) throw new Error('count is capped at 2');
		return action.type === 'counter/increment' ? { ...state, count: state.count + action.payload.by } : state;
	}`
	rtAppReducer = `function reducer(state = {}, action) { return state; }`
)

// clickPayload is what a Button's onClick carries (its manifest requires the modifier keys).
var clickPayload = map[string]any{"altKey": false, "ctrlKey": false, "metaKey": false, "shiftKey": false}

// runtimeFixture builds a counter page: a Button whose onClick handler dispatches
// counter/increment to the page reducer. It returns the page's doc id.
func runtimeFixture(t *testing.T, b apiBundle) string {
	t.Helper()
	return runtimeFixtureWith(t, b, rtReducers{page: true, app: true})
}

// rtReducers says which reducers a runtime fixture creates.
type rtReducers struct{ page, app bool }

// runtimeFixtureWith is runtimeFixture with only the reducers in with: a page without a page
// reducer gets reducerScriptId "", an app without an app reducer no app_reducer script.
func runtimeFixtureWith(t *testing.T, b apiBundle, with rtReducers) string {
	t.Helper()
	c := b.c
	app := createApp(t, c, "Counter")
	handler := createKindScript(t, c, app, "event_handler", rtHandler)
	reducer := ""
	if with.page {
		reducer = createKindScript(t, c, app, "page_reducer", rtPageReducer)
	}
	if with.app {
		createKindScript(t, c, app, "app_reducer", rtAppReducer)
	}
	page := c.post("/api/apps/"+app+"/pages", map[string]any{"name": "Home"}).ok(http.StatusCreated)["id"].(string)
	version := int64(c.get("/api/pages/" + page).ok(http.StatusOK)["version"].(float64))
	ops(c, page, version,
		map[string]any{"op": "insert_node", "type": "Button", "nodeId": "btn"},
		map[string]any{"op": "bind_event", "nodeId": "btn", "event": "onClick", "binding": map[string]any{"kind": "script", "scriptId": handler}},
		map[string]any{"op": "set_page_state", "initialState": map[string]any{"count": 0}, "reducerScriptId": reducer},
	).ok(http.StatusOK)
	return "page-" + page
}

// TestRuntimeRunCounter: P33, P35, P36, P37.
func TestRuntimeRunCounter(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	page := runtimeFixture(t, b)

	w := connect(t, b.c, "run1")
	w.send(map[string]any{"type": "run", "doc": page, "mode": "preview"})
	started := w.expect("run_started")
	session, _ := started["session"].(string)
	require.NotEmpty(t, session)
	require.Equal(t, strings.TrimPrefix(page, "page-"), started["page"])
	require.EqualValues(t, 0, started["step"])
	require.Equal(t, map[string]any{"count": float64(0)}, started["state"].(map[string]any)["page"])

	for want := 1; want <= 2; want++ {
		w.send(map[string]any{"type": "component_event", "session": session, "nodeId": "btn", "event": "onClick", "payload": clickPayload})
		st := w.expect("run_state")
		require.Equal(t, session, st["session"])
		require.EqualValues(t, want, st["step"])
		require.Equal(t, map[string]any{"count": float64(want)}, st["state"].(map[string]any)["page"])
		require.NotContains(t, st, "error")
	}

	// A reducer that throws is recorded with its error and the state stays.
	w.send(map[string]any{"type": "component_event", "session": session, "nodeId": "btn", "event": "onClick", "payload": clickPayload})
	st := w.expect("run_state")
	require.EqualValues(t, 3, st["step"])
	require.Equal(t, map[string]any{"count": float64(2)}, st["state"].(map[string]any)["page"])
	require.Contains(t, st["error"], "count is capped at 2")

	// The time-travel API replays the recorded dispatches: the state before and after them.
	require.Equal(t, map[string]any{"count": float64(0)}, b.c.get("/api/sessions/" + session + "/state?step=0").ok(http.StatusOK)["page"])
	after := b.c.get("/api/sessions/" + session + "/state?step=2").ok(http.StatusOK)
	require.Equal(t, map[string]any{"count": float64(2)}, after["page"])
	failed := b.c.get("/api/sessions/" + session + "/state?step=3").ok(http.StatusOK)
	require.Equal(t, map[string]any{"count": float64(2)}, failed["page"])
	require.Contains(t, failed["error"], "count is capped at 2")
}

// TestRuntimeRunWithoutReducer: P33, a page or app without a reducer runs, and that state passes
// through every action, live and in the time-travel replay.
func TestRuntimeRunWithoutReducer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		with    rtReducers
		wantApp bool          // the app reducer ran: the app state is {} rather than undefined
		page    func(int) any // the page state after n clicks
	}{
		{"no app reducer", rtReducers{page: true}, false, func(n int) any { return map[string]any{"count": float64(n)} }},
		{"no page reducer", rtReducers{app: true}, true, func(int) any { return map[string]any{"count": float64(0)} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newAPI(t, "sqlite", webConfig())
			page := runtimeFixtureWith(t, b, tt.with)

			w := connect(t, b.c, "run1")
			w.send(map[string]any{"type": "run", "doc": page, "mode": "preview"})
			started := w.expect("run_started")
			session, _ := started["session"].(string)
			require.NotEmpty(t, session, "run answered %v", started)
			require.Equal(t, tt.page(0), started["state"].(map[string]any)["page"])

			for n := 1; n <= 2; n++ {
				w.send(map[string]any{"type": "component_event", "session": session, "nodeId": "btn", "event": "onClick", "payload": clickPayload})
				st := w.expect("run_state")
				require.EqualValues(t, n, st["step"])
				require.NotContains(t, st, "error")
				state := st["state"].(map[string]any)
				require.Equal(t, tt.page(n), state["page"])
				if tt.wantApp {
					require.Equal(t, map[string]any{}, state["app"])
				} else {
					require.Nil(t, state["app"], "no app reducer: the app state stays undefined")
				}
			}

			// The replay passes the state through the same way.
			at1 := b.c.get("/api/sessions/" + session + "/state?step=1").ok(http.StatusOK)
			require.EqualValues(t, 1, at1["step"])
			require.Equal(t, tt.page(1), at1["page"])
			require.NotContains(t, at1, "error")
			require.NotContains(t, at1, "diverged")
			if tt.wantApp {
				require.Equal(t, map[string]any{}, at1["app"])
			} else {
				require.NotContains(t, at1, "app")
			}
			empty := map[string]any{"scriptId": "", "version": float64(0)}
			if !tt.with.app {
				require.Equal(t, empty, at1["appReducer"])
			}
			if !tt.with.page {
				require.Equal(t, empty, at1["pageReducer"])
			}
		})
	}
}

// TestRuntimeRunErrors: P34, P37.
func TestRuntimeRunErrors(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	page := runtimeFixture(t, b)
	for _, u := range []string{"viewer", "auditor"} {
		b.c.as(u).token()
		b.c.put("/api/workspaces/"+b.ws+"/members/"+u, map[string]any{"role": u}).ok(http.StatusOK)
	}

	// An auditor may read the page but not run it.
	auditor := connect(t, b.c.as("auditor"), "a1")
	auditor.send(map[string]any{"type": "run", "doc": page})
	require.Equal(t, "forbidden", auditor.expect("error")["code"])

	// A viewer may run it.
	viewer := connect(t, b.c.as("viewer"), "v1")
	viewer.send(map[string]any{"type": "run", "doc": page})
	session := viewer.expect("run_started")["session"].(string)

	tests := []struct {
		name string
		msg  map[string]any
		code string
	}{
		{"unknown session", map[string]any{"session": "nope", "nodeId": "btn", "event": "onClick", "payload": clickPayload}, "unknown_session"},
		{"unknown node", map[string]any{"session": session, "nodeId": "ghost", "event": "onClick", "payload": clickPayload}, "unknown_node"},
		{"no handler", map[string]any{"session": session, "nodeId": "btn", "event": "onHover", "payload": clickPayload}, "no_handler"},
		{"bad payload", map[string]any{"session": session, "nodeId": "btn", "event": "onClick", "payload": map[string]any{"altKey": "yes"}}, "invalid_payload"},
	}
	for _, tt := range tests {
		tt.msg["type"] = "component_event"
		viewer.send(tt.msg)
		require.Equal(t, tt.code, viewer.expect("error")["code"], tt.name)
	}
	// Another connection (even of the same user) cannot drive this connection's session.
	other := connect(t, b.c.as("viewer"), "v2")
	other.send(map[string]any{"type": "component_event", "session": session, "nodeId": "btn", "event": "onClick", "payload": clickPayload})
	require.Equal(t, "unknown_session", other.expect("error")["code"])

	// The errors left the connection and the session usable.
	viewer.send(map[string]any{"type": "component_event", "session": session, "nodeId": "btn", "event": "onClick", "payload": clickPayload})
	st := viewer.expect("run_state")
	require.EqualValues(t, 1, st["step"])
	require.Equal(t, map[string]any{"count": float64(1)}, st["state"].(map[string]any)["page"])
}
