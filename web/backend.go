package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/projections"
	"github.com/goflow-dev/goflow/runtime/jsbox"
	"github.com/goflow-dev/goflow/runtime/luabox"
	"github.com/goflow-dev/goflow/runtime/query"
	"github.com/goflow-dev/goflow/runtime/session"
	"github.com/goflow-dev/goflow/runtime/workflow"
)

// Backend runs of running pages: the runQuery and runWorkflow quick actions and workflow
// bindings. They run on the server, where the secrets are opened; each run is recorded on the
// session (session.query_ran, session.workflow_*), and its outcome comes back as an action,
// "<name>/succeeded" or "<name>/failed", dispatched through the reducers like any other.

// backendTimeout bounds one backend call of a component event, retries included.
const backendTimeout = 60 * time.Second

// errUnknownBackend: a quick action or binding names a query or workflow the app does not have.
var errUnknownBackend = errors.New("unknown query or workflow")

// backendCall runs one runQuery or runWorkflow call for a live session and returns the action
// carrying its outcome and the component updates of the nodes bound to a query's result. The
// caller holds run.mu.
func (rt *pageRuntime) backendCall(ctx context.Context, run *liveRun, c session.Call) (jsbox.Action, []jsbox.ComponentUpdate, error) {
	ctx, cancel := context.WithTimeout(ctx, backendTimeout)
	defer cancel()
	switch c.Kind {
	case session.CallQuery:
		return rt.runQuery(ctx, run, c.ID, c.Params)
	case session.CallWorkflow:
		a, err := rt.runWorkflow(ctx, run, c.ID, c.Params)
		return a, nil, err
	}
	return jsbox.Action{}, nil, fmt.Errorf("unknown backend call %q", c.Kind)
}

// loadedQuery is a query ready to run: its data source with opened secrets, and its result
// schema (nil when it has none).
type loadedQuery struct {
	q      *domain.Query
	ds     *domain.DataSource
	schema json.RawMessage
}

// loadQuery loads query id of appID with its data source (secrets opened) and result schema.
func (a *api) loadQuery(ctx context.Context, appID, id string) (loadedQuery, error) {
	ql, err := load(ctx, a.store, queryAggregate, id, 0)
	if err != nil {
		return loadedQuery{}, err
	}
	q := ql.state
	if !q.Exists() || q.AppID != appID {
		return loadedQuery{}, fmt.Errorf("%w: the app has no query %q", errUnknownBackend, truncate(id, 40))
	}
	dl, err := load(ctx, a.store, dataSourceAggregate, q.DataSourceID, 0)
	if err != nil {
		return loadedQuery{}, err
	}
	ds := dl.state
	if !ds.Exists() || ds.AppID != appID {
		return loadedQuery{}, fmt.Errorf("%w: query %q uses a data source the app no longer has", errUnknownBackend, truncate(q.Name, 60))
	}
	opened := *ds
	opened.Secrets = make(map[string]string, len(ds.Secrets))
	for field, sealed := range ds.Secrets {
		v, err := a.box.Open(sealed, SecretAAD(ds.ID, field))
		if err != nil {
			return loadedQuery{}, fmt.Errorf("open secret %s of data source %s: %w", field, ds.ID, err)
		}
		opened.Secrets[field] = v
	}
	out := loadedQuery{q: q, ds: &opened}
	if q.ResultSchemaID != "" {
		sl, err := load(ctx, a.store, schemaAggregate, q.ResultSchemaID, 0)
		if err != nil {
			return loadedQuery{}, err
		}
		if sl.state.Exists() {
			out.schema = sl.state.Document
		}
	}
	return out, nil
}

// execQuery runs a loaded query and checks its result against the result schema.
func (a *api) execQuery(ctx context.Context, lq loadedQuery, params json.RawMessage) (query.Result, error) {
	res, err := a.queries.Run(ctx, lq.ds, lq.q, params)
	if err == nil && lq.schema != nil {
		if verr := query.ValidateResult(lq.schema, res.Data); verr != nil {
			err = fmt.Errorf("the result does not match the query's result schema: %w", verr)
		}
	}
	return res, err
}

// runQuery runs a query for a session, records it and returns its outcome action.
func (rt *pageRuntime) runQuery(ctx context.Context, run *liveRun, id string, params json.RawMessage) (jsbox.Action, []jsbox.ComponentUpdate, error) {
	lq, err := rt.a.loadQuery(ctx, run.page.AppID, id)
	if errors.Is(err, errUnknownBackend) {
		return jsbox.Action{}, nil, runErr("unknown_query", "%s", err.Error())
	}
	if err != nil {
		return jsbox.Action{}, nil, err
	}
	res, qerr := rt.a.execQuery(ctx, lq, params)
	if err := rt.recordQuery(ctx, run, lq.q, params, res, qerr); err != nil {
		return jsbox.Action{}, nil, err
	}
	if qerr != nil {
		return outcomeAction(lq.q.Name, false, map[string]any{"queryId": lq.q.ID, "error": qerr.Error()}), nil, nil
	}
	value := map[string]any{"data": res.Data, "rows": res.Rows}
	action := outcomeAction(lq.q.Name, true, map[string]any{"queryId": lq.q.ID, "data": res.Data, "rows": res.Rows})
	if len(action.Payload) > domain.MaxActionPayloadBytes {
		return outcomeAction(lq.q.Name, false, map[string]any{"queryId": lq.q.ID,
			"error": fmt.Sprintf("the result is %d bytes, more than an action carries (%d): return fewer rows", len(action.Payload), domain.MaxActionPayloadBytes)}), nil, nil
	}
	return action, queryBindings(run.page, lq.q, value), nil
}

// recordQuery appends session.query_ran.
func (rt *pageRuntime) recordQuery(ctx context.Context, run *liveRun, q *domain.Query, params json.RawMessage, res query.Result, qerr error) error {
	ran := &domain.SessionQueryRan{
		RunID: newID(), QueryID: q.ID, Name: q.Name, Params: recordable(params),
		DurationMicros: res.Duration.Microseconds(), Rows: res.Rows,
	}
	if qerr != nil {
		ran.Error, ran.Rows = qerr.Error(), 0
	}
	return rt.record(ctx, run, ran)
}

// record appends backend run events to run's session.
func (rt *pageRuntime) record(ctx context.Context, run *liveRun, events ...domain.Event) error {
	recorded, err := run.agg.Decide(domain.RecordRuns{Events: events}, domain.Env{Now: rt.a.now(), Actor: run.user, NewID: newID})
	if err != nil {
		return fmt.Errorf("record runs: %w", err)
	}
	_, err = rt.append(ctx, run, recorded)
	return err
}

// recordable cuts parameters too large to record to a note (the run itself used them whole).
func recordable(raw json.RawMessage) json.RawMessage {
	if len(raw) > domain.MaxRunParamsBytes {
		return json.RawMessage(fmt.Sprintf(`{"_cut":"%d bytes, not recorded"}`, len(raw)))
	}
	return raw
}

// outcomeAction is "<name>/succeeded" or "<name>/failed" with payload.
func outcomeAction(name string, ok bool, payload map[string]any) jsbox.Action {
	typ := name + "/failed"
	if ok {
		typ = name + "/succeeded"
	}
	if len(typ) > domain.MaxActionTypeLen {
		typ = typ[len(typ)-domain.MaxActionTypeLen:]
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		raw, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	return jsbox.Action{Type: typ, Payload: raw}
}

// queryBindings refreshes the nodes bound to a query's result: every prop whose value is
// exactly "{{ queries.<query name or id>... }}" is set to the value that names in
// {"data": ..., "rows": n}.
func queryBindings(page *domain.Page, q *domain.Query, value map[string]any) []jsbox.ComponentUpdate {
	var updates []jsbox.ComponentUpdate
	for _, id := range sortedNodeIDs(page) {
		n := page.Nodes[id]
		props := map[string]json.RawMessage{}
		for prop, raw := range n.Props {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				continue
			}
			path, ok := queryRef(s, q)
			if !ok {
				continue
			}
			v, ok := lookupPath(value, path)
			if !ok {
				continue
			}
			enc, err := json.Marshal(v)
			if err != nil {
				continue
			}
			props[prop] = enc
		}
		if len(props) > 0 {
			raw, err := json.Marshal(props)
			if err == nil {
				updates = append(updates, jsbox.ComponentUpdate{NodeID: id, Kind: jsbox.UpdateSetProps, Props: raw})
			}
		}
	}
	return updates
}

// queryRef parses "{{ queries.<name or id>.a.b }}" and returns the path after the query.
func queryRef(s string, q *domain.Query) ([]string, bool) {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "{{") || !strings.HasSuffix(t, "}}") {
		return nil, false
	}
	parts := strings.Split(strings.TrimSpace(t[2:len(t)-2]), ".")
	if len(parts) < 2 || parts[0] != "queries" || (parts[1] != q.ID && parts[1] != q.Name) {
		return nil, false
	}
	return parts[2:], true
}

func lookupPath(v any, path []string) (any, bool) {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			raw, isRaw := v.(json.RawMessage)
			if !isRaw || json.Unmarshal(raw, &m) != nil {
				return nil, false
			}
		}
		if v, ok = m[p]; !ok {
			return nil, false
		}
	}
	return v, true
}

// runWorkflow runs a workflow for a session (built in, or at the app's flow service), records
// every attempt, queues a run that failed for good, and returns the outcome action.
func (rt *pageRuntime) runWorkflow(ctx context.Context, run *liveRun, id string, payload json.RawMessage) (jsbox.Action, error) {
	a := rt.a
	version := int64(0)
	if run.release != nil {
		v, ok := run.release[id]
		if !ok {
			return jsbox.Action{}, runErr("unknown_workflow", "Workflow %q is not in the app's release.", truncate(id, 40))
		}
		version = v
	}
	sl, err := load(ctx, a.store, scriptAggregate, id, version)
	if err != nil {
		return jsbox.Action{}, err
	}
	wf := sl.state
	if !wf.Exists() || wf.AppID != run.page.AppID || wf.Kind != domain.ScriptWorkflow {
		return jsbox.Action{}, runErr("unknown_workflow", "The app has no workflow %q.", truncate(id, 40))
	}
	runner, host, external, err := rt.a.workflowRunner(ctx, run.page.AppID, sessionQueries{rt: rt, run: run})
	var ce *configError
	if errors.As(err, &ce) {
		return jsbox.Action{}, runErr(ce.code, "%s", ce.message)
	}
	if err != nil {
		return jsbox.Action{}, err
	}
	runID := newID()
	wctx, err := json.Marshal(map[string]any{
		"sessionId": run.agg.ID, "appId": run.page.AppID, "pageId": run.page.ID, "user": run.user, "runId": runID,
	})
	if err != nil {
		return jsbox.Action{}, err
	}
	inv := workflow.Invocation{
		Workflow: wf.Name, Script: wf.Text, Payload: payload, Ctx: wctx,
		SessionID: run.agg.ID, CorrelationID: runID, Host: host,
	}
	inv.Policy = retryPolicy(wf)
	obs := &sessionObserver{ctx: ctx, rt: rt, run: run, started: domain.SessionWorkflowStarted{
		RunID: runID, WorkflowID: wf.ID, Name: wf.Name, Version: sl.version, Payload: recordable(payload), External: external,
	}}
	out, werr := runner.Run(ctx, inv, obs)
	if obs.err != nil {
		return jsbox.Action{}, obs.err
	}
	if werr == nil {
		return outcomeAction(wf.Name, true, map[string]any{"workflowId": wf.ID, "runId": runID, "result": out.Result}), nil
	}
	if out.Poisoned {
		_, err := execute(ctx, a, actingAs(ctx, run.user), command[*domain.PoisonQueue]{
			agg: poisonAggregate, id: run.page.AppID,
			decide: decidePoison(domain.AddPoisoned{AppID: run.page.AppID, Entry: domain.PoisonEntry{
				RunID: runID, SessionID: run.agg.ID, WorkflowID: wf.ID, Name: wf.Name, Payload: recordable(payload),
				Error: werr.Error(), Attempts: out.Attempts,
			}}),
		})
		if err != nil {
			return jsbox.Action{}, fmt.Errorf("poison run %s: %w", runID, err)
		}
	}
	return outcomeAction(wf.Name, false, map[string]any{"workflowId": wf.ID, "runId": runID, "error": werr.Error(), "attempts": out.Attempts}), nil
}

// retryPolicy is a workflow's policy for the runner.
func retryPolicy(wf *domain.Script) workflow.Policy {
	if wf.Retry == nil {
		return workflow.Policy{}
	}
	p := workflow.Policy{MaxAttempts: wf.Retry.MaxAttempts, Backoff: time.Duration(wf.Retry.BackoffMs) * time.Millisecond}
	if p.Backoff == 0 {
		p.Backoff = time.Millisecond // 0 would take the runner's default
	}
	return p
}

// configError: the app or its workspace is configured so that its workflows cannot run (a flow
// service without a secret, unusable allowed hosts or AI endpoint).
type configError struct{ code, message string }

func (e *configError) Error() string { return e.code + ": " + e.message }

// workflowRunner builds the runner of an app: its flow service when it has one, otherwise the
// server's Lua sandbox with a host (for the invocation) that reaches the app's queries through
// queries, its allowed hosts and its workspace's AI endpoint. external says which.
func (a *api) workflowRunner(ctx context.Context, appID string, queries workflow.Queries) (runner *workflow.Runner, host luabox.Host, external bool, err error) {
	al, err := load(ctx, a.store, appAggregate, appID, 0)
	if err != nil {
		return nil, nil, false, err
	}
	app := al.state
	if app.Settings.FlowServiceURL != "" {
		secret := ""
		if app.FlowSecret != "" {
			if secret, err = a.box.Open(app.FlowSecret, FlowSecretAAD(app.ID)); err != nil {
				return nil, nil, false, fmt.Errorf("open the flow secret of %s: %w", app.ID, err)
			}
		}
		if secret == "" {
			return nil, nil, false, &configError{"flow_secret_missing", fmt.Sprintf("The app sends workflows to %s but has no flow secret: set one with PUT /api/apps/{id}/flow-secret.", app.Settings.FlowServiceURL)}
		}
		r, err := workflow.NewRunner(workflow.RunnerConfig{Flow: &workflow.FlowService{URL: app.Settings.FlowServiceURL, Secret: secret}})
		return r, nil, true, err
	}
	wh := &workflow.Host{Queries: queries}
	if len(app.Settings.AllowedHosts) > 0 {
		hosts := make([]string, len(app.Settings.AllowedHosts))
		for i, h := range app.Settings.AllowedHosts {
			if name, _, err := net.SplitHostPort(h); err == nil {
				h = name // ports are not part of the check
			}
			hosts[i] = h
		}
		if wh.HTTP, err = workflow.NewHTTPClient(hosts, workflow.HTTPOptions{}); err != nil {
			return nil, nil, false, &configError{"invalid_allowed_hosts", "The app's allowed hosts cannot be used: " + err.Error()}
		}
	}
	wl, err := load(ctx, a.store, workspaceAggregate, app.WorkspaceID, 0)
	if err != nil {
		return nil, nil, false, err
	}
	if ai := wl.state.AI; ai != nil {
		key := ""
		if ai.APIKeySealed != "" {
			if key, err = a.box.Open(ai.APIKeySealed, AIKeyAAD(app.WorkspaceID)); err != nil {
				return nil, nil, false, fmt.Errorf("open the AI key of workspace %s: %w", app.WorkspaceID, err)
			}
		}
		if wh.AI, err = workflow.NewAIClient(workflow.AIConfig{BaseURL: ai.BaseURL, APIKey: key, DefaultModel: ai.Model, MaxTokensCap: ai.MaxTokens}); err != nil {
			return nil, nil, false, &configError{"invalid_ai", "The workspace's AI endpoint cannot be used: " + err.Error()}
		}
	}
	r, err := workflow.NewRunner(workflow.RunnerConfig{Sandbox: a.lua})
	return r, wh, false, err
}

// sessionQueries runs a workflow's query(name, params) calls against the app's queries and
// records them on the session. Calls come from the workflow's run, while the event holds
// run.mu.
type sessionQueries struct {
	rt  *pageRuntime
	run *liveRun
}

func (s sessionQueries) Query(ctx context.Context, name string, params json.RawMessage) (json.RawMessage, error) {
	id, err := s.rt.a.queryIDByName(ctx, s.run.page.AppID, name)
	if err != nil {
		return nil, err
	}
	lq, err := s.rt.a.loadQuery(ctx, s.run.page.AppID, id)
	if err != nil {
		return nil, workflow.Permanent(err)
	}
	res, qerr := s.rt.a.execQuery(ctx, lq, params)
	if err := s.rt.recordQuery(ctx, s.run, lq.q, params, res, qerr); err != nil {
		return nil, err
	}
	if qerr != nil {
		if errors.Is(qerr, query.ErrInvalidParams) {
			return nil, workflow.Permanent(qerr)
		}
		return nil, qerr
	}
	return res.Data, nil
}

// sessionObserver records a workflow run's attempts on the session.
type sessionObserver struct {
	ctx     context.Context
	rt      *pageRuntime
	run     *liveRun
	started domain.SessionWorkflowStarted
	attempt int
	lines   []string
	start   time.Time
	// err is the first recording failure; the run's outcome is then not reported.
	err error
}

func (o *sessionObserver) Started(attempt int) {
	o.attempt, o.lines = attempt, nil
	ev := o.started
	ev.Attempt = attempt
	o.recordNow(&ev)
}

func (o *sessionObserver) Log(line string) { o.lines = append(o.lines, line) }

func (o *sessionObserver) Succeeded(result json.RawMessage, d time.Duration) {
	if len(result) > domain.MaxRunResultBytes {
		result = json.RawMessage(fmt.Sprintf(`{"_cut":"%d bytes, not recorded"}`, len(result)))
	}
	o.recordNow(o.logged(), &domain.SessionWorkflowSucceeded{RunID: o.started.RunID, Attempt: o.attempt, Result: result, DurationMicros: d.Microseconds()})
}

func (o *sessionObserver) Failed(err error, d time.Duration, willRetry bool) {
	o.recordNow(o.logged(), &domain.SessionWorkflowFailed{
		RunID: o.started.RunID, Attempt: o.attempt, Error: err.Error(), DurationMicros: d.Microseconds(),
		Retrying: willRetry, Poisoned: !willRetry && o.ctx.Err() == nil,
	})
}

// logged is the attempt's log lines as an event, or nil.
func (o *sessionObserver) logged() domain.Event {
	if len(o.lines) == 0 {
		return nil
	}
	return &domain.SessionWorkflowLogged{RunID: o.started.RunID, Attempt: o.attempt, Lines: o.lines}
}

func (o *sessionObserver) recordNow(events ...domain.Event) {
	if o.err != nil {
		return
	}
	var evs []domain.Event
	for _, e := range events {
		if e != nil {
			evs = append(evs, e)
		}
	}
	o.err = o.rt.record(context.WithoutCancel(o.ctx), o.run, evs...)
}

// actingAs is a request for execute made by the runtime on behalf of user.
func actingAs(ctx context.Context, user string) *http.Request {
	r := &http.Request{Header: http.Header{}}
	return r.WithContext(context.WithValue(ctx, principalKey{}, &principal{userID: user}))
}

// queryIDByName finds the app's query called name.
func (a *api) queryIDByName(ctx context.Context, appID, name string) (string, error) {
	p := projections.ListParams{Limit: projections.MaxListLimit}
	for {
		qs, next, err := projections.ListQueries(ctx, a.docs, appID, p)
		if err != nil {
			return "", fmt.Errorf("list queries of %s: %w", appID, err)
		}
		for _, q := range qs {
			if q.Exists() && q.Name == name {
				return q.ID, nil
			}
		}
		if next == "" {
			return "", workflow.Permanent(fmt.Errorf("%w: the app has no query named %q", errUnknownBackend, truncate(name, 60)))
		}
		p.After = next
	}
}

// sortedNodeIDs lists a page's node ids in order, so that updates come in a stable order.
func sortedNodeIDs(page *domain.Page) []string {
	return slices.Sorted(maps.Keys(page.Nodes))
}

// appQueries runs an app's queries for workflows outside any session (a poison queue retry).
type appQueries struct {
	a     *api
	appID string
}

func (q appQueries) Query(ctx context.Context, name string, params json.RawMessage) (json.RawMessage, error) {
	id, err := q.a.queryIDByName(ctx, q.appID, name)
	if err != nil {
		return nil, err
	}
	lq, err := q.a.loadQuery(ctx, q.appID, id)
	if err != nil {
		return nil, workflow.Permanent(err)
	}
	res, err := q.a.execQuery(ctx, lq, params)
	if errors.Is(err, query.ErrInvalidParams) {
		return nil, workflow.Permanent(err)
	}
	return res.Data, err
}
