package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/projections"
	"github.com/goflow-dev/goflow/realtime"
	"github.com/goflow-dev/goflow/runtime/jsbox"
	"github.com/goflow-dev/goflow/runtime/session"
)

// Running pages over the co-editing socket: realtime.Runtime backed by the event store. Each
// runtime session's current state is kept in memory on the node that started it (the stream
// records every dispatch, so the time-travel API can recompute any state anywhere).

const (
	// maxLiveRuns bounds the sessions held in memory; starting one more drops the oldest (its
	// client then gets unknown_session and runs the page again).
	maxLiveRuns = 10_000
)

// liveRun is one runtime session held in memory.
type liveRun struct {
	// mu serializes the session's dispatches: each starts from the state the previous one left.
	mu      sync.Mutex
	user    string
	page    *domain.Page // the page as it was when the run started
	agg     *domain.RuntimeSession
	state   session.State
	reducer struct{ page, app domain.ScriptRef } // a zero ref: no reducer
	// programs holds the reducers' texts, so a dispatch does not reload them.
	programs map[domain.ScriptRef]jsbox.Program
	// handlers are the handler script versions the session runs, by script id.
	handlers map[string]domain.ScriptRef
	// release maps script ids to the versions a published run uses; nil in preview.
	release map[string]int64
	// timeout is the app's per-call script deadline, read at the start.
	timeout time.Duration
	// ended is set once session.ended is recorded.
	ended bool
}

// pageRuntime implements realtime.Runtime.
type pageRuntime struct {
	a *api
	// group commits concurrent sessions' appends together.
	group *groupAppender

	mu    sync.Mutex
	runs  map[string]*liveRun
	order []string // session ids, oldest first, for eviction
}

func newPageRuntime(a *api) *pageRuntime {
	return &pageRuntime{a: a, group: newGroupAppender(a.store), runs: map[string]*liveRun{}}
}

func runErr(code, format string, args ...any) error {
	return &realtime.RunError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Start loads the page and its reducers (the draft's head versions, or the release's in
// published mode) and appends session.started.
func (rt *pageRuntime) Start(ctx context.Context, user, pageID string, mode domain.SessionMode) (realtime.RunResult, error) {
	a := rt.a
	pl, err := load(ctx, a.store, pageAggregate, pageID, 0)
	if err != nil {
		return realtime.RunResult{}, err
	}
	page := pl.state
	if page.ID == "" || (mode == domain.SessionPreview && !page.Exists()) {
		return realtime.RunResult{}, runErr("unknown_doc", "No page has the id %q.", truncate(pageID, 40))
	}
	al, err := load(ctx, a.store, appAggregate, page.AppID, 0)
	if err != nil {
		return realtime.RunResult{}, err
	}
	run := &liveRun{user: user, page: page, programs: map[domain.ScriptRef]jsbox.Program{}, timeout: al.state.Settings.ScriptTimeout()}
	if mode == domain.SessionPublished {
		rel := al.state.Published
		if rel == nil {
			return realtime.RunResult{}, runErr("not_published", "The app has not been published: publish it, or run the preview.")
		}
		v, ok := rel.Pages[page.ID]
		if !ok {
			return realtime.RunResult{}, runErr("not_published", "The page is not in the app's release %d: publish again, or run the preview.", rel.Release)
		}
		if pl, err = load(ctx, a.store, pageAggregate, page.ID, v); err != nil {
			return realtime.RunResult{}, err
		}
		run.page, run.release = pl.state, rel.Scripts
		if run.release == nil {
			run.release = map[string]int64{} // published, with no scripts
		}
		page = pl.state
	}
	// A missing reducer stays the zero ref, which the session records as "no reducer": that
	// state passes through every action.
	if page.ReducerScriptID != "" {
		if run.reducer.page, err = rt.program(ctx, run, page.AppID, page.ReducerScriptID, domain.ScriptPageReducer); err != nil {
			return realtime.RunResult{}, err
		}
	}
	appReducer, err := rt.appReducerID(ctx, run, page.AppID)
	if err != nil {
		return realtime.RunResult{}, err
	}
	if appReducer != "" {
		if run.reducer.app, err = rt.program(ctx, run, page.AppID, appReducer, domain.ScriptAppReducer); err != nil {
			return realtime.RunResult{}, err
		}
	}

	id := newID()
	start := domain.StartRuntimeSession{
		SessionID: id, AppID: page.AppID, PageID: page.ID, Mode: mode, Seed: rand.Uint64(),
		InitialState: domain.SessionState{Page: page.InitialState},
		PageReducer:  run.reducer.page, AppReducer: run.reducer.app,
	}
	run.agg = &domain.RuntimeSession{}
	events, err := run.agg.Decide(start, domain.Env{Now: a.now(), Actor: user, NewID: newID})
	if err != nil {
		return realtime.RunResult{}, runErr("invalid_page", "The page cannot be run: %s", err.Error())
	}
	res, err := rt.append(ctx, run, events)
	if err != nil {
		return realtime.RunResult{}, err
	}
	// The time-travel API authorizes through the access projection: let it see the session.
	a.waitForProjections(ctx, res.Events)
	run.state = session.InitialState(events[0].(*domain.SessionStarted))
	rt.keep(id, run)
	return realtime.RunResult{Session: id, Page: page.ID, Step: 0, State: runValue(run.state)}, nil
}

// appReducerID returns the app's reducer script (the first of kind app_reducer by id, in the
// draft or in run's release), or "" when the app has none.
func (rt *pageRuntime) appReducerID(ctx context.Context, run *liveRun, appID string) (string, error) {
	if run.release != nil {
		for _, id := range slices.Sorted(maps.Keys(run.release)) {
			l, err := load(ctx, rt.a.store, scriptAggregate, id, run.release[id])
			if err != nil {
				return "", err
			}
			if l.state.Exists() && l.state.Kind == domain.ScriptAppReducer {
				return id, nil
			}
		}
		return "", nil
	}
	p := projections.ListParams{Limit: projections.MaxListLimit}
	for {
		scripts, next, err := projections.ListScripts(ctx, rt.a.docs, appID, p)
		if err != nil {
			return "", fmt.Errorf("list scripts of %s: %w", appID, err)
		}
		for _, s := range scripts {
			if s.Exists() && s.Kind == domain.ScriptAppReducer {
				return s.ID, nil
			}
		}
		if next == "" {
			return "", nil
		}
		p.After = next
	}
}

// program loads a script of the app that must be of kind (its head version, or its release
// version in published mode), keeps its text in run and returns its reference.
func (rt *pageRuntime) program(ctx context.Context, run *liveRun, appID, id string, kind domain.ScriptKind) (domain.ScriptRef, error) {
	version := int64(0)
	if run.release != nil {
		v, ok := run.release[id]
		if !ok {
			return domain.ScriptRef{}, runErr("script_unavailable", "Script %q is not in the app's release.", truncate(id, 40))
		}
		version = v
	}
	l, err := load(ctx, rt.a.store, scriptAggregate, id, version)
	if err != nil {
		return domain.ScriptRef{}, err
	}
	s := l.state
	if !s.Exists() || s.AppID != appID || s.Kind != kind || s.Language != domain.LanguageJS {
		return domain.ScriptRef{}, runErr("script_unavailable", "Script %q is not a %s of this app.", truncate(id, 40), kind)
	}
	ref := domain.ScriptRef{ScriptID: id, Version: l.version}
	run.programs[ref] = jsbox.Program{ID: id, Version: l.version, Source: s.Text}
	return ref, nil
}

// append records events on run's stream at the version run last saw, and applies them.
func (rt *pageRuntime) append(ctx context.Context, run *liveRun, events []domain.Event) (eventstore.AppendResult, error) {
	data, err := encodeEventsAs(run.user, nil, "", events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	stream := domain.StreamSession(run.agg.ID)
	if run.agg.ID == "" { // the start: the id is in the event
		stream = domain.StreamSession(events[0].(*domain.SessionStarted).SessionID)
	}
	res, err := rt.group.Append(ctx, stream, eventstore.Exact(run.agg.Version), data)
	if errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		return res, runErr("session_conflict", "The session was changed elsewhere; run the page again.")
	}
	if err != nil {
		return res, fmt.Errorf("append to %s: %w", stream, err)
	}
	evolve(run.agg, events)
	return res, nil
}

// keep holds run in memory, dropping the oldest sessions beyond maxLiveRuns.
func (rt *pageRuntime) keep(id string, run *liveRun) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for len(rt.order) >= maxLiveRuns {
		delete(rt.runs, rt.order[0])
		rt.order = rt.order[1:]
	}
	rt.runs[id] = run
	rt.order = append(rt.order, id)
}

// Event runs the handler bound to the node's event (a script or quick actions) and records the
// dispatches.
func (rt *pageRuntime) Event(ctx context.Context, user string, ev realtime.ComponentEvent) (realtime.RunResult, error) {
	run, ok := rt.live(ev.Session, user)
	if !ok {
		return realtime.RunResult{}, runErr("unknown_session", "No running session has the id %q.", truncate(ev.Session, 40))
	}
	if len(ev.Payload) > domain.MaxSourcePayloadBytes {
		return realtime.RunResult{}, runErr("payload_too_large", "The payload is %d bytes; at most %d are allowed.", len(ev.Payload), domain.MaxSourcePayloadBytes)
	}
	node, ok := run.page.Nodes[ev.NodeID]
	if !ok {
		return realtime.RunResult{}, runErr("unknown_node", "The page has no node %q.", truncate(ev.NodeID, 40))
	}
	b, ok := node.Events[ev.Event]
	if !ok {
		return realtime.RunResult{}, runErr("no_handler", "Node %q has no handler bound to %q.", truncate(ev.NodeID, 40), truncate(ev.Event, 40))
	}
	payload := ev.Payload
	if len(payload) == 0 {
		payload = json.RawMessage("null")
	}
	if e := rt.a.catalog.ValidateEventPayload(node.Type, ev.Event, payload); e != nil {
		return realtime.RunResult{}, runErr("invalid_payload", "The payload does not match the %s %s event: %s", node.Type, ev.Event, e.Error())
	}
	props, err := json.Marshal(node.Props)
	if err != nil {
		return realtime.RunResult{}, fmt.Errorf("props of %s: %w", ev.NodeID, err)
	}

	run.mu.Lock()
	defer run.mu.Unlock()
	if run.ended {
		return realtime.RunResult{}, runErr("unknown_session", "The session %q has ended.", truncate(ev.Session, 40))
	}
	in := session.DispatchInput{
		PageReducer: run.reducer.page, AppReducer: run.reducer.app,
		Time: rt.a.now(), Seed: rand.Uint64(), Timeout: run.timeout,
	}
	var (
		updates []jsbox.ComponentUpdate
		effects []session.Effect
	)
	switch b.Kind {
	case domain.BindingScript:
		handler, err := rt.handler(ctx, run, b.ScriptID)
		if err != nil {
			return realtime.RunResult{}, err
		}
		in.Event = &session.ComponentEvent{
			Handler:   handler,
			Component: jsbox.ComponentInfo{NodeID: node.ID, Type: node.Type, Props: props, Actions: rt.componentActions(node.Type)},
			Event:     jsbox.Event{Name: ev.Event, Payload: ev.Payload},
		}
	case domain.BindingActions:
		q, err := rt.quick(ctx, run, node, ev, props, b.Actions)
		if err != nil {
			return realtime.RunResult{}, err
		}
		in.Quick, updates, effects = &q.event, q.updates, q.effects
	case domain.BindingWorkflow:
		action, err := rt.runWorkflow(ctx, run, b.WorkflowID, ev.Payload)
		if err != nil {
			return realtime.RunResult{}, err
		}
		in.Quick = &session.QuickEvent{Source: domain.SessionSource{NodeID: node.ID, Event: ev.Event, Payload: ev.Payload}, Actions: []jsbox.Action{action}}
	default:
		return realtime.RunResult{}, runErr("not_supported", "Node %q has a %s binding on %q, which this server does not run.", truncate(ev.NodeID, 40), b.Kind, truncate(ev.Event, 40))
	}
	st, reducerErr := run.state, ""
	// Quick actions that only update components or ask the client for effects dispatch nothing.
	if in.Event != nil || len(in.Quick.Actions) > 0 {
		out, err := rt.dispatch(ctx, run, user, in)
		if err != nil {
			return realtime.RunResult{}, err
		}
		st, reducerErr, updates = out.state, out.err, append(updates, out.updates...)
	}
	return rt.result(ev.Session, run, st, reducerErr, updates, effects)
}

// handler returns the version of a handler script the session runs: the version loaded on its
// first use, which the session keeps (like its reducers, P34), so that an event costs no store
// read. The caller holds run.mu.
func (rt *pageRuntime) handler(ctx context.Context, run *liveRun, id string) (domain.ScriptRef, error) {
	if ref, ok := run.handlers[id]; ok {
		return ref, nil
	}
	ref, err := rt.program(ctx, run, run.page.AppID, id, domain.ScriptEventHandler)
	if err != nil {
		return domain.ScriptRef{}, err
	}
	if run.handlers == nil {
		run.handlers = map[string]domain.ScriptRef{}
	}
	run.handlers[id] = ref
	return ref, nil
}

// live returns user's running session id.
func (rt *pageRuntime) live(id, user string) (*liveRun, bool) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	run, ok := rt.runs[id]
	return run, ok && run.user == user
}

// componentActions lists the actions a component type declares (emit accepts only these).
func (rt *pageRuntime) componentActions(typ string) []string {
	m, ok := rt.a.catalog.Get(typ)
	if !ok {
		return nil
	}
	names := make([]string, len(m.Actions))
	for i, a := range m.Actions {
		names[i] = a.Name
	}
	return names
}

// dispatched is what one dispatch did.
type dispatched struct {
	state   session.State
	err     string // the first reducer error
	updates []jsbox.ComponentUpdate
}

// dispatch runs in through the runner and records its steps; the caller holds run.mu.
func (rt *pageRuntime) dispatch(ctx context.Context, run *liveRun, user string, in session.DispatchInput) (dispatched, error) {
	next, events, updates, err := session.NewRunner(rt.a.sandbox, run).Dispatch(ctx, run.state, in)
	var jerr *jsbox.Error
	switch {
	case errors.As(err, &jerr), errors.Is(err, session.ErrInvalidAction):
		return dispatched{}, runErr("handler_failed", "%s", err.Error())
	case err != nil:
		return dispatched{}, err
	}
	out := dispatched{state: next, updates: updates}
	if len(events) > 0 {
		steps := make([]domain.SessionActionDispatched, len(events))
		for i, e := range events {
			steps[i] = *e.(*domain.SessionActionDispatched)
			if steps[i].Error != "" && out.err == "" {
				out.err = steps[i].Error
			}
		}
		recorded, err := run.agg.Decide(domain.RecordDispatches{Dispatches: steps}, domain.Env{Now: rt.a.now(), Actor: user, NewID: newID})
		if err != nil {
			return dispatched{}, runErr("invalid_dispatch", "The dispatch cannot be recorded: %s", err.Error())
		}
		if _, err := rt.append(ctx, run, recorded); err != nil {
			return dispatched{}, err
		}
	}
	run.state = next
	return out, nil
}

// result is the answer to a component event.
func (rt *pageRuntime) result(id string, run *liveRun, st session.State, reducerErr string, updates []jsbox.ComponentUpdate, effects []session.Effect) (realtime.RunResult, error) {
	out := realtime.RunResult{Session: id, Page: run.page.ID, Step: st.Step, State: runValue(st), Error: reducerErr}
	for _, u := range updates {
		raw, err := json.Marshal(u)
		if err != nil {
			return realtime.RunResult{}, fmt.Errorf("encode update: %w", err)
		}
		out.Updates = append(out.Updates, raw)
	}
	for _, e := range effects {
		raw, err := json.Marshal(e)
		if err != nil {
			return realtime.RunResult{}, fmt.Errorf("encode effect: %w", err)
		}
		out.Effects = append(out.Effects, raw)
	}
	return out, nil
}

// quickPlan is an "actions" binding made ready to dispatch.
type quickPlan struct {
	event   session.QuickEvent
	updates []jsbox.ComponentUpdate
	effects []session.Effect
}

// quick plans an "actions" binding against the session's state and page; the caller holds
// run.mu. Backend calls (runQuery, runWorkflow) go to rt.calls, whose actions join the
// dispatch in order.
func (rt *pageRuntime) quick(ctx context.Context, run *liveRun, node *domain.Node, ev realtime.ComponentEvent, props json.RawMessage, actions []domain.QuickAction) (quickPlan, error) {
	steps, err := session.PlanQuickActions(actions, session.QuickEnv{
		Payload: ev.Payload, State: run.state.Page, Props: props,
		Node: func(id string) (string, []string, bool) {
			n, ok := run.page.Nodes[id]
			if !ok {
				return "", nil, false
			}
			return n.Type, rt.componentActions(n.Type), true
		},
	})
	if err != nil {
		return quickPlan{}, runErr("handler_failed", "%s", err.Error())
	}
	plan := quickPlan{event: session.QuickEvent{Source: domain.SessionSource{NodeID: node.ID, Event: ev.Event, Payload: ev.Payload}}}
	for _, s := range steps {
		switch {
		case s.Action != nil:
			plan.event.Actions = append(plan.event.Actions, *s.Action)
		case s.Update != nil:
			plan.updates = append(plan.updates, *s.Update)
		case s.Effect != nil:
			plan.effects = append(plan.effects, *s.Effect)
		case s.Call != nil:
			action, updates, err := rt.backendCall(ctx, run, *s.Call)
			if err != nil {
				return quickPlan{}, err
			}
			plan.event.Actions = append(plan.event.Actions, action)
			plan.updates = append(plan.updates, updates...)
		}
	}
	return plan, nil
}

// End records session.ended and forgets the session.
func (rt *pageRuntime) End(ctx context.Context, user, id string) error {
	run, ok := rt.live(id, user)
	if !ok {
		return nil // dropped already
	}
	rt.mu.Lock()
	delete(rt.runs, id)
	rt.mu.Unlock()
	run.mu.Lock()
	defer run.mu.Unlock()
	if run.ended {
		return nil
	}
	run.ended = true
	events, err := run.agg.Decide(domain.EndRuntimeSession{}, domain.Env{Now: rt.a.now(), Actor: user, NewID: newID})
	if err != nil {
		return fmt.Errorf("end session %s: %w", id, err)
	}
	if _, err := rt.append(ctx, run, events); err != nil {
		return fmt.Errorf("end session %s: %w", id, err)
	}
	return nil
}

// Program serves the run's scripts to its runner (session.Scripts); the caller holds run.mu.
func (run *liveRun) Program(_ context.Context, id string, version int64) (jsbox.Program, error) {
	p, ok := run.programs[domain.ScriptRef{ScriptID: id, Version: version}]
	if !ok {
		return jsbox.Program{}, fmt.Errorf("%w: %s@%d was not loaded", errScriptUnavailable, id, version)
	}
	return p, nil
}

func runValue(st session.State) realtime.RunValue {
	return realtime.RunValue{Page: st.Page, App: st.App}
}
