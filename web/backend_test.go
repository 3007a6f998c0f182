package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore/postgres/pgtest"
	"github.com/goflow-dev/goflow/runtime/workflow"
)

// Backend runs of running pages (issue 7): queries against a real Postgres database, Lua
// workflows calling a local OpenAI-compatible server (the only fake: the provider's HTTP API)
// and an external flow service, all through the real server and a real WebSocket.

const backendReducer = `function reducer(state = {}, action) {
	switch (action.type) {
	case 'items/succeeded': return { ...state, items: action.payload.data, rows: action.payload.rows };
	case 'summarize/succeeded': return { ...state, summary: action.payload.result.summary, first: action.payload.result.first };
	case 'items/failed':
	case 'summarize/failed':
	case 'flaky/failed':
	case 'broken/failed': return { ...state, errors: (state.errors || []).concat([action.type + ': ' + action.payload.error]) };
	case 'flaky/succeeded': return { ...state, flaky: action.payload.result };
	default: return state;
	}
}`

// aiServer is a local OpenAI-compatible chat completions endpoint: it answers "summary of: "
// and the prompt, and remembers what it was sent.
type aiServer struct {
	*httptest.Server
	mu       sync.Mutex
	auth     []string
	requests []map[string]any
}

func newAIServer(t *testing.T) *aiServer {
	t.Helper()
	s := &aiServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			http.Error(w, `{"error":{"message":"not found"}}`, http.StatusNotFound)
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		s.requests = append(s.requests, body)
		s.mu.Unlock()
		msgs, _ := body["messages"].([]any)
		prompt := ""
		if len(msgs) > 0 {
			prompt, _ = msgs[len(msgs)-1].(map[string]any)["content"].(string)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "cmpl-1", "object": "chat.completion", "model": body["model"],
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": "summary of: " + prompt}}},
			"usage": map[string]any{"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12},
		})
	}))
	t.Cleanup(s.Close)
	return s
}

// itemsDatabase creates a Postgres database with a table of three items and returns its URL.
func itemsDatabase(t *testing.T) string {
	t.Helper()
	url := pgtest.URL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);
		INSERT INTO items VALUES (1, 'apple'), (2, 'banana'), (3, 'cherry')`)
	require.NoError(t, err)
	return url
}

// backendApp is an app with the items query, the summarize workflow and the page of the test.
type backendApp struct {
	app, query, workflow, page string
}

func newBackendApp(t *testing.T, b apiBundle, dbURL string, extra map[string]map[string]any) backendApp {
	t.Helper()
	c := b.c
	ba := backendApp{app: createApp(t, c, "Orders")}
	ds := c.post("/api/apps/"+ba.app+"/datasources", map[string]any{
		"name": "shop", "kind": "postgres", "config": map[string]any{"url": dbURL},
		"secrets": map[string]any{"password": "unused-pg-password-1"},
	}).ok(http.StatusCreated)["id"].(string)
	ba.query = c.post("/api/apps/"+ba.app+"/queries", map[string]any{
		"name": "items", "dataSourceId": ds, "template": "SELECT id, name FROM items WHERE id <= {{max}} ORDER BY id",
		"params": []any{map[string]any{"name": "max", "type": "integer", "required": true}},
	}).ok(http.StatusCreated)["id"].(string)
	ba.workflow = c.post("/api/apps/"+ba.app+"/scripts", map[string]any{"name": "summarize", "kind": "workflow", "text": `
function process_event(data, ctx)
  local rows = query("items", { max = 1 })
  log("rows: " .. #rows)
  local r = ai.complete{ prompt = "Summarize " .. data.topic, max_tokens = 50 }
  return { summary = r.text, first = rows[1].name }
end`}).ok(http.StatusCreated)["id"].(string)
	reducer := createKindScript(t, c, ba.app, "page_reducer", backendReducer)
	pageID := c.post("/api/apps/"+ba.app+"/pages", map[string]any{"name": "Home"}).ok(http.StatusCreated)["id"].(string)
	list := []map[string]any{
		{"op": "insert_node", "type": "Table", "nodeId": "tbl"},
		{"op": "set_prop", "nodeId": "tbl", "path": "rows", "value": "{{ queries.items.data }}"},
		{"op": "insert_node", "type": "Button", "nodeId": "load"},
		{"op": "bind_event", "nodeId": "load", "event": "onClick", "binding": quickActions(
			qa("runQuery", map[string]any{"queryId": ba.query, "params": map[string]any{"max": 2}}),
			qa("runWorkflow", map[string]any{"workflowId": ba.workflow, "payload": map[string]any{"topic": "{{ state.topic }}"}}),
		)},
		{"op": "set_page_state", "initialState": map[string]any{"topic": "orders"}, "reducerScriptId": reducer},
	}
	for node, binding := range extra {
		list = append(list,
			map[string]any{"op": "insert_node", "type": "Button", "nodeId": node},
			map[string]any{"op": "bind_event", "nodeId": node, "event": "onClick", "binding": binding})
	}
	ops(c, pageID, 1, list...).ok(http.StatusOK)
	ba.page = "page-" + pageID
	return ba
}

// TestRuntimeQueryAndWorkflow: a button runs a query against Postgres and a Lua workflow that
// queries too and calls the AI endpoint; both outcomes reach the reducer, the Table bound to the
// query refreshes, and every run is in the session's recorded history.
func TestRuntimeQueryAndWorkflow(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	c := b.c
	ai := newAIServer(t)
	c.put("/api/workspaces/"+b.ws+"/ai", map[string]any{"baseUrl": ai.URL + "/v1", "model": "local-model", "apiKey": "sk-local-test-key"}).ok(http.StatusOK)
	ba := newBackendApp(t, b, itemsDatabase(t), map[string]map[string]any{
		"noquery": quickActions(qa("runQuery", map[string]any{"queryId": "{{ state.nope }}"})),
		"ghost":   quickActions(qa("runQuery", map[string]any{"queryId": "no-such-query"})),
	})

	w := connect(t, c, "b1")
	w.send(map[string]any{"type": "run", "doc": ba.page})
	session := w.expect("run_started")["session"].(string)

	st := click(w, session, "load")
	require.Equal(t, "run_state", st["type"], "%v", st)
	require.EqualValues(t, 2, st["step"])
	page := st["state"].(map[string]any)["page"].(map[string]any)
	items := []any{map[string]any{"id": float64(1), "name": "apple"}, map[string]any{"id": float64(2), "name": "banana"}}
	require.Equal(t, items, page["items"])
	require.Equal(t, "summary of: Summarize orders", page["summary"])
	require.Equal(t, "apple", page["first"], "the workflow's own query ran")
	require.NotContains(t, page, "errors")
	require.Equal(t, []any{map[string]any{"nodeId": "tbl", "kind": "setProps", "props": map[string]any{"rows": items}}}, st["updates"],
		"the Table bound to the query refreshed")

	ai.mu.Lock()
	require.Equal(t, []string{"Bearer sk-local-test-key"}, ai.auth, "the key went to the provider, once")
	require.Equal(t, "local-model", ai.requests[0]["model"])
	require.EqualValues(t, 50, ai.requests[0]["max_tokens"])
	ai.mu.Unlock()

	// The recorded history: two steps, three runs in order.
	actions := c.get("/api/sessions/" + session + "/actions").ok(http.StatusOK)["items"].([]any)
	require.Len(t, actions, 2)
	require.Equal(t, "items/succeeded", actions[0].(map[string]any)["action"].(map[string]any)["type"])
	require.Equal(t, "summarize/succeeded", actions[1].(map[string]any)["action"].(map[string]any)["type"])
	runs := c.get("/api/sessions/" + session + "/runs").ok(http.StatusOK)["items"].([]any)
	require.Len(t, runs, 3)
	// In the order they started: the workflow's own query runs inside it.
	q1, wf, q2 := runs[0].(map[string]any), runs[1].(map[string]any), runs[2].(map[string]any)
	require.Equal(t, []any{"query", "items", "succeeded", float64(2), map[string]any{"max": float64(2)}, float64(0)},
		[]any{q1["kind"], q1["name"], q1["status"], q1["rows"], q1["input"], q1["afterStep"]})
	require.Equal(t, []any{"query", float64(1), map[string]any{"max": float64(1)}}, []any{q2["kind"], q2["rows"], q2["input"]}, "the workflow's query")
	require.Equal(t, []any{"workflow", "summarize", "succeeded", map[string]any{"topic": "orders"}}, []any{wf["kind"], wf["name"], wf["status"], wf["input"]})
	attempts := wf["attempts"].([]any)
	require.Len(t, attempts, 1)
	require.Equal(t, []any{"rows: 1"}, attempts[0].(map[string]any)["logs"])
	require.Equal(t, map[string]any{"summary": "summary of: Summarize orders", "first": "apple"}, attempts[0].(map[string]any)["result"])

	// The replay reproduces the state from the recorded actions alone.
	replayed := c.get("/api/sessions/" + session + "/state?step=2").ok(http.StatusOK)
	require.Equal(t, page, replayed["page"])

	// A reference to no query refuses the click, and records nothing.
	e := click(w, session, "noquery")
	require.Equal(t, "handler_failed", e["code"], "%v", e)
	e = click(w, session, "ghost")
	require.Equal(t, "unknown_query", e["code"], "%v", e)
	require.Len(t, c.get("/api/sessions/" + session + "/runs").ok(http.StatusOK)["items"], 3)
}

// TestRuntimeQueryFailuresAreActions: a query the database refuses is recorded with its error
// and reaches the reducer as items/failed.
func TestRuntimeQueryFailuresAreActions(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	c := b.c
	dbURL := itemsDatabase(t)
	ba := newBackendApp(t, b, dbURL, nil)
	// A second button: max as a string is refused by the parameter check, before any SQL runs.
	pageID := strings.TrimPrefix(ba.page, "page-")
	v := int64(c.get("/api/pages/" + pageID).ok(http.StatusOK)["version"].(float64))
	ops(c, pageID, v,
		map[string]any{"op": "insert_node", "type": "Button", "nodeId": "typo"},
		map[string]any{"op": "bind_event", "nodeId": "typo", "event": "onClick", "binding": quickActions(
			qa("runQuery", map[string]any{"queryId": ba.query, "params": map[string]any{"max": "two"}}))},
	).ok(http.StatusOK)

	w := connect(t, c, "f1")
	w.send(map[string]any{"type": "run", "doc": ba.page})
	session := w.expect("run_started")["session"].(string)
	st := click(w, session, "typo")
	require.Equal(t, "run_state", st["type"], "%v", st)
	require.EqualValues(t, 1, st["step"])
	errs := st["state"].(map[string]any)["page"].(map[string]any)["errors"].([]any)
	require.Len(t, errs, 1)
	require.Contains(t, errs[0], "items/failed")
	require.Contains(t, errs[0], "max")
	runs := c.get("/api/sessions/" + session + "/runs").ok(http.StatusOK)["items"].([]any)
	require.Len(t, runs, 1)
	require.Equal(t, "failed", runs[0].(map[string]any)["status"])
	require.NotEmpty(t, runs[0].(map[string]any)["attempts"].([]any)[0].(map[string]any)["error"])
	require.NotContains(t, string(mustJSON(t, runs)), "unused-pg-password-1")
}

// TestRuntimeFlowServiceRetriesAndPoison: with flowServiceUrl set, workflows go to the external
// service (signed); a 500 is retried per the workflow's policy; a run that keeps failing lands
// in the poison queue, and the reducer gets <name>/failed.
func TestRuntimeFlowServiceRetriesAndPoison(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	c := b.c
	const secret = "flow-shared-secret-42"
	var calls atomic.Int32
	var badSignatures atomic.Int32
	var healthy atomic.Bool // the "broken" workflow's service recovers
	flow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if workflow.VerifySignature(secret, r.Header.Get("X-GoFlow-Timestamp"), body, r.Header.Get("X-GoFlow-Signature"), time.Now(), time.Minute) != nil {
			badSignatures.Add(1)
			http.Error(w, `{"error":"bad signature"}`, http.StatusUnauthorized)
			return
		}
		var req map[string]any
		_ = json.Unmarshal(body, &req)
		w.Header().Set("Content-Type", "application/json")
		switch req["workflow"] {
		case "flaky":
			if calls.Add(1) < 3 {
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write([]byte(`{"error":"warming up"}`))
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"result": map[string]any{"attempt": req["attempt"], "payload": req["payload"]}})
		default:
			if healthy.Load() {
				_ = json.NewEncoder(w).Encode(map[string]any{"result": "recovered"})
				return
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":"down for good"}`))
		}
	}))
	t.Cleanup(flow.Close)

	app := createApp(t, c, "Flows")
	v := c.get("/api/apps/" + app).ok(http.StatusOK)["version"]
	c.patch("/api/apps/"+app, map[string]any{"expectedVersion": v, "settings": map[string]any{"flowServiceUrl": flow.URL + "/run"}}).ok(http.StatusOK)
	flaky := createKindScript(t, c, app, "workflow", "function process_event(d) return d end")
	broken := createKindScript(t, c, app, "workflow", "function process_event(d) return d end")
	c.patch("/api/scripts/"+flaky, map[string]any{"expectedVersion": 1, "name": "flaky", "retry": map[string]any{"maxAttempts": 3, "backoffMs": 1}}).ok(http.StatusOK)
	c.patch("/api/scripts/"+broken, map[string]any{"expectedVersion": 1, "name": "broken", "retry": map[string]any{"maxAttempts": 2, "backoffMs": 1}}).ok(http.StatusOK)
	page := counterPage(t, b, app, map[string]map[string]any{
		"flaky":  map[string]any{"kind": "workflow", "workflowId": flaky},
		"broken": quickActions(qa("runWorkflow", map[string]any{"workflowId": broken, "payload": map[string]any{"n": 1}})),
	})
	pageID := strings.TrimPrefix(page, "page-")
	pv := int64(c.get("/api/pages/" + pageID).ok(http.StatusOK)["version"].(float64))
	reducer := createKindScript(t, c, app, "page_reducer", backendReducer)
	ops(c, pageID, pv, map[string]any{"op": "set_page_state", "initialState": map[string]any{}, "reducerScriptId": reducer}).ok(http.StatusOK)

	w := connect(t, c, "fl1")
	w.send(map[string]any{"type": "run", "doc": page})
	session := w.expect("run_started")["session"].(string)

	// Without a secret, nothing is sent unsigned.
	e := click(w, session, "flaky")
	require.Equal(t, "flow_secret_missing", e["code"], "%v", e)
	require.Zero(t, calls.Load())
	c.put("/api/apps/"+app+"/flow-secret", map[string]any{"secret": secret}).ok(http.StatusOK)

	st := click(w, session, "flaky")
	require.Equal(t, "run_state", st["type"], "%v", st)
	require.Equal(t, map[string]any{"attempt": float64(3), "payload": clickPayload}, st["state"].(map[string]any)["page"].(map[string]any)["flaky"],
		"the third attempt succeeded with the event's payload")
	require.Zero(t, badSignatures.Load(), "every request was signed with the secret")

	st = click(w, session, "broken")
	errs := st["state"].(map[string]any)["page"].(map[string]any)["errors"].([]any)
	require.Len(t, errs, 1)
	require.Contains(t, errs[0], "broken/failed")
	require.Contains(t, errs[0], "down for good")

	runs := c.get("/api/sessions/" + session + "/runs").ok(http.StatusOK)["items"].([]any)
	require.Len(t, runs, 2)
	fl, br := runs[0].(map[string]any), runs[1].(map[string]any)
	require.Equal(t, true, fl["external"])
	require.Len(t, fl["attempts"], 3)
	require.Equal(t, true, fl["attempts"].([]any)[0].(map[string]any)["retrying"])
	require.Equal(t, "succeeded", fl["status"])
	require.Equal(t, "failed", br["status"])
	require.Len(t, br["attempts"], 2)
	require.Equal(t, true, br["attempts"].([]any)[1].(map[string]any)["poisoned"])

	// The poisoned run waits in the app's queue; a second failure joins it.
	click(w, session, "broken")
	queue := c.get("/api/apps/" + app + "/poison").ok(http.StatusOK)
	items := queue["items"].([]any)
	require.Len(t, items, 2)
	entry := items[0].(map[string]any)
	require.Equal(t, []any{broken, session, float64(2), map[string]any{"n": float64(1)}}, []any{entry["workflowId"], entry["sessionId"], entry["attempts"], entry["payload"]})
	require.Equal(t, br["runId"], entry["runId"])
	first, second := entry["runId"].(string), items[1].(map[string]any)["runId"].(string)

	// A retry while the service is still down fails and keeps the run queued.
	p := c.post("/api/apps/"+app+"/poison/"+first+"/retry", map[string]any{"expectedVersion": queue["version"]}).problem(http.StatusConflict, "retry_failed")
	require.Contains(t, p["detail"], "down for good")
	require.Len(t, c.get("/api/apps/" + app + "/poison").ok(http.StatusOK)["items"], 2)
	c.post("/api/apps/"+app+"/poison/"+first+"/retry", map[string]any{"expectedVersion": 0}).problem(http.StatusConflict, "version_conflict")

	// Once it is back, the retry succeeds and the run leaves the queue; the other is dismissed.
	healthy.Store(true)
	got := c.post("/api/apps/"+app+"/poison/"+first+"/retry", map[string]any{"expectedVersion": queue["version"]}).ok(http.StatusOK)
	require.Equal(t, "recovered", got["result"])
	c.delete("/api/apps/" + app + "/poison/" + second + "?expectedVersion=" + jsonNumber(got["version"])).ok(http.StatusOK)
	require.Empty(t, c.get("/api/apps/" + app + "/poison").ok(http.StatusOK)["items"])
}

// TestQueryRunAndInferSchema: builders run a query from the editor, and save the schema of its
// result; a result that stops matching its schema is reported with paths.
func TestQueryRunAndInferSchema(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	c := b.c
	ba := newBackendApp(t, b, itemsDatabase(t), nil)
	run := "/api/queries/" + ba.query + "/run"

	got := c.post(run, map[string]any{"params": map[string]any{"max": 3}}).ok(http.StatusOK)
	require.EqualValues(t, 3, got["rows"])
	require.Equal(t, map[string]any{"id": float64(3), "name": "cherry"}, got["data"].([]any)[2])
	for _, tc := range []struct {
		params map[string]any
		path   string
	}{
		{map[string]any{"max": "three"}, "/params/max"},
		{map[string]any{}, "/params/max"},
		{map[string]any{"max": 1, "min": 0}, "/params/min"},
	} {
		p := c.post(run, map[string]any{"params": tc.params}).problem(http.StatusUnprocessableEntity, "invalid_params")
		require.Equal(t, tc.path, p["path"], "%v", tc.params)
	}

	inferred := c.post("/api/queries/"+ba.query+"/infer-schema", map[string]any{"params": map[string]any{"max": 2}}).ok(http.StatusCreated)
	schemaID := inferred["schemaId"].(string)
	require.Equal(t, schemaID, inferred["query"].(map[string]any)["resultSchemaId"])
	require.Equal(t, "derived", c.get("/api/schemas/" + schemaID).ok(http.StatusOK)["source"])
	require.EqualValues(t, 1, c.post(run, map[string]any{"params": map[string]any{"max": 1}}).ok(http.StatusOK)["rows"], "the result matches its own schema")

	// A schema the rows do not satisfy: the mismatch is reported with its path.
	strict := c.post("/api/apps/"+ba.app+"/schemas", map[string]any{"name": "strict", "document": map[string]any{
		"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "array",
		"items": map[string]any{"type": "object", "required": []string{"price"}},
	}}).ok(http.StatusCreated)["id"].(string)
	v := c.get("/api/queries/" + ba.query).ok(http.StatusOK)["version"]
	c.patch("/api/queries/"+ba.query, map[string]any{"expectedVersion": v, "resultSchemaId": strict}).ok(http.StatusOK)
	p := c.post(run, map[string]any{"params": map[string]any{"max": 1}}).problem(http.StatusUnprocessableEntity, "query_failed")
	require.Contains(t, p["detail"], "/0")
	require.Contains(t, p["detail"], "price")
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
