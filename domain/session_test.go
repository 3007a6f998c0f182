package domain_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
)

func startRuntimeSession() domain.StartRuntimeSession {
	return domain.StartRuntimeSession{
		SessionID: "s1", AppID: "a1", PageID: "p1", Mode: domain.SessionPreview, Seed: 42,
		InitialState: domain.SessionState{Page: json.RawMessage(`{ "count": 0 }`)},
		PageReducer:  domain.ScriptRef{ScriptID: "pr", Version: 3},
		AppReducer:   domain.ScriptRef{ScriptID: "ar", Version: 1},
	}
}

func dispatch(step int64) domain.SessionActionDispatched {
	return domain.SessionActionDispatched{
		Step:        step,
		Action:      domain.SessionAction{Type: "counter/increment", Payload: json.RawMessage(`{ "by": 1 }`)},
		Source:      &domain.SessionSource{NodeID: "btn", Event: "onClick"},
		Handler:     &domain.ScriptRef{ScriptID: "h", Version: 2},
		PageReducer: domain.ScriptRef{ScriptID: "pr", Version: 3},
		AppReducer:  domain.ScriptRef{ScriptID: "ar", Version: 1},
		Time:        1700000000000, Seed: 7, DurationMicros: 120,
	}
}

// decideSession decides c against the folded events and applies what it returns.
func decideSession(t *testing.T, s *domain.RuntimeSession, c domain.SessionCommand) []domain.Event {
	t.Helper()
	evs, err := s.Decide(c, testEnv())
	require.NoError(t, err)
	for _, e := range evs {
		s.Apply(e)
	}
	return evs
}

func TestRuntimeSessionLifecycle(t *testing.T) {
	t.Parallel()
	s := &domain.RuntimeSession{}
	require.False(t, s.Exists())
	var all []domain.Event
	all = append(all, decideSession(t, s, startRuntimeSession())...)
	require.True(t, s.Exists())
	require.Equal(t, "tester", s.User)
	require.Equal(t, uint64(42), s.Seed)
	started := all[0].(*domain.SessionStarted)
	require.JSONEq(t, `{"count":0}`, string(started.InitialState.Page))
	require.Equal(t, `{"count":0}`, string(started.InitialState.Page), "compacted")
	require.Nil(t, started.InitialState.App)

	all = append(all, decideSession(t, s, domain.RecordDispatches{Dispatches: []domain.SessionActionDispatched{dispatch(1), dispatch(2)}})...)
	require.Equal(t, int64(2), s.Steps)
	failed := dispatch(3)
	failed.Error = strings.Repeat("é", domain.MaxDispatchError)
	all = append(all, decideSession(t, s, domain.RecordDispatches{Dispatches: []domain.SessionActionDispatched{failed}})...)
	recorded := all[len(all)-1].(*domain.SessionActionDispatched)
	require.LessOrEqual(t, len(recorded.Error), domain.MaxDispatchError)
	require.True(t, strings.HasPrefix(failed.Error, recorded.Error))

	runs := decideSession(t, s, domain.RecordRuns{Events: []domain.Event{
		&domain.SessionQueryRan{RunID: "r1", QueryID: "q1", Name: "orders", Params: json.RawMessage(`{ "limit": 5 }`), DurationMicros: 1200, Rows: 5},
		&domain.SessionWorkflowStarted{RunID: "r2", WorkflowID: "w1", Name: "summarize", Version: 3, Attempt: 1, Payload: json.RawMessage(`{"x":1}`)},
		&domain.SessionWorkflowLogged{RunID: "r2", Attempt: 1, Lines: []string{"calling the model", "bad \xff utf8"}},
		&domain.SessionWorkflowFailed{RunID: "r2", Attempt: 1, Error: "timeout", DurationMicros: 5, Retrying: true},
		&domain.SessionWorkflowSucceeded{RunID: "r2", Attempt: 2, Result: json.RawMessage(`{"text":"hi"}`), DurationMicros: 7},
	}})
	require.Len(t, runs, 5)
	require.Equal(t, int64(3), runs[0].(*domain.SessionQueryRan).AfterStep, "runs note the step they followed")
	require.Equal(t, `{"limit":5}`, string(runs[0].(*domain.SessionQueryRan).Params), "compacted")
	require.Equal(t, int64(3), s.Steps, "runs are not steps")
	all = append(all, runs...)

	all = append(all, decideSession(t, s, domain.EndRuntimeSession{})...)
	require.True(t, s.Ended)
	all = append(all, decideSession(t, s, domain.RecordRuns{Events: []domain.Event{
		&domain.SessionWorkflowFailed{RunID: "r3", Attempt: 3, Error: "boom", Poisoned: true},
	}})...)
	require.Empty(t, decideSession(t, s, domain.EndRuntimeSession{}), "ending twice changes nothing")

	require.Equal(t, s, domain.FoldRuntimeSession(all))
	require.Equal(t, int64(len(all)), s.Version)
	requireCodecRoundTrip(t, all)
	requireCoversPrefix(t, "session.", all)
	requireJSONRoundTrip(t, s)
	require.Equal(t, "session-s1", domain.StreamSession("s1"))
}

func TestRuntimeSessionRejects(t *testing.T) {
	t.Parallel()
	started := func() *domain.RuntimeSession {
		s := &domain.RuntimeSession{}
		decideSession(t, s, startRuntimeSession())
		return s
	}
	ended := func() *domain.RuntimeSession {
		s := started()
		decideSession(t, s, domain.EndRuntimeSession{})
		return s
	}
	with := func(mut func(*domain.SessionActionDispatched)) domain.RecordDispatches {
		d := dispatch(1)
		mut(&d)
		return domain.RecordDispatches{Dispatches: []domain.SessionActionDispatched{d}}
	}
	startWith := func(mut func(*domain.StartRuntimeSession)) domain.StartRuntimeSession {
		c := startRuntimeSession()
		mut(&c)
		return c
	}
	cases := []struct {
		name  string
		state func() *domain.RuntimeSession
		cmd   domain.SessionCommand
		kind  error
		code  string
		path  string
	}{
		{"start twice", started, startRuntimeSession(), domain.ErrConflict, "exists", ""},
		{"bad mode", nil, startWith(func(c *domain.StartRuntimeSession) { c.Mode = "live" }), domain.ErrInvalid, "invalid_mode", "/mode"},
		{"bad id", nil, startWith(func(c *domain.StartRuntimeSession) { c.PageID = "a b" }), domain.ErrInvalid, "invalid_id", "/pageId"},
		{"bad initial state", nil, startWith(func(c *domain.StartRuntimeSession) { c.InitialState.App = json.RawMessage(`{`) }), domain.ErrInvalid, "invalid_json", "/initialState/app"},
		{"huge initial state", nil, startWith(func(c *domain.StartRuntimeSession) {
			c.InitialState.Page = json.RawMessage(`"` + strings.Repeat("x", domain.MaxSessionStateBytes) + `"`)
		}), domain.ErrInvalid, "too_large", "/initialState/page"},
		{"reducer version", nil, startWith(func(c *domain.StartRuntimeSession) { c.AppReducer.Version = 0 }), domain.ErrInvalid, "invalid_version", "/appReducer/version"},
		{"reducer without id", nil, startWith(func(c *domain.StartRuntimeSession) { c.PageReducer.ScriptID = "" }), domain.ErrInvalid, "invalid_id", "/pageReducer/scriptId"},
		{"step reducer without version", started, with(func(d *domain.SessionActionDispatched) { d.PageReducer.Version = 0 }), domain.ErrInvalid, "invalid_version", "/dispatches/0/pageReducer/version"},
		{"step reducer without id", started, with(func(d *domain.SessionActionDispatched) { d.AppReducer.ScriptID = "" }), domain.ErrInvalid, "invalid_id", "/dispatches/0/appReducer/scriptId"},
		{"record before start", nil, with(func(*domain.SessionActionDispatched) {}), domain.ErrNotFound, "not_found", ""},
		{"record after end", ended, with(func(*domain.SessionActionDispatched) {}), domain.ErrConflict, "ended", ""},
		{"step gap", started, with(func(d *domain.SessionActionDispatched) { d.Step = 2 }), domain.ErrConflict, "step_out_of_order", "/dispatches/0/step"},
		{"empty action type", started, with(func(d *domain.SessionActionDispatched) { d.Action.Type = "" }), domain.ErrInvalid, "invalid_action", "/dispatches/0/action/type"},
		{"bad payload", started, with(func(d *domain.SessionActionDispatched) { d.Action.Payload = json.RawMessage(`nope`) }), domain.ErrInvalid, "invalid_json", "/dispatches/0/action/payload"},
		{"bad source event", started, with(func(d *domain.SessionActionDispatched) { d.Source.Event = "" }), domain.ErrInvalid, "invalid_event", "/dispatches/0/source/event"},
		{"bad handler", started, with(func(d *domain.SessionActionDispatched) { d.Handler.ScriptID = "" }), domain.ErrInvalid, "invalid_id", "/dispatches/0/handler/scriptId"},
		{"negative duration", started, with(func(d *domain.SessionActionDispatched) { d.DurationMicros = -1 }), domain.ErrInvalid, "invalid_duration", "/dispatches/0/durationMicros"},
		{"no command", started, nil, domain.ErrInvalid, "unknown_command", ""},
		{"run before start", nil, domain.RecordRuns{Events: []domain.Event{&domain.SessionQueryRan{RunID: "r", QueryID: "q"}}}, domain.ErrNotFound, "not_found", ""},
		{"not a run event", started, domain.RecordRuns{Events: []domain.Event{&domain.SessionEnded{}}}, domain.ErrInvalid, "unknown_event", ""},
		{"run without id", started, domain.RecordRuns{Events: []domain.Event{&domain.SessionQueryRan{QueryID: "q"}}}, domain.ErrInvalid, "invalid_id", "/runId"},
		{"attempt 0", started, domain.RecordRuns{Events: []domain.Event{&domain.SessionWorkflowStarted{RunID: "r", WorkflowID: "w"}}}, domain.ErrInvalid, "invalid_attempt", "/attempt"},
		{"retrying and poisoned", started, domain.RecordRuns{Events: []domain.Event{&domain.SessionWorkflowFailed{RunID: "r", Attempt: 1, Retrying: true, Poisoned: true}}}, domain.ErrInvalid, "invalid_run", ""},
		{"huge params", started, domain.RecordRuns{Events: []domain.Event{&domain.SessionQueryRan{RunID: "r", QueryID: "q", Params: json.RawMessage(`"` + strings.Repeat("x", domain.MaxRunParamsBytes) + `"`)}}}, domain.ErrInvalid, "too_large", "/params"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &domain.RuntimeSession{}
			if tc.state != nil {
				s = tc.state()
			}
			before := *s
			_, err := s.Decide(tc.cmd, testEnv())
			requireDomainErr(t, err, tc.kind, tc.code, tc.path)
			require.Equal(t, before, *s, "Decide must not mutate")
		})
	}
}

// An empty reducer ref means the session runs without that reducer: its state passes through.
func TestRuntimeSessionWithoutReducers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		page, app domain.ScriptRef
	}{
		{"no page reducer", domain.ScriptRef{}, domain.ScriptRef{ScriptID: "ar", Version: 1}},
		{"no app reducer", domain.ScriptRef{ScriptID: "pr", Version: 3}, domain.ScriptRef{}},
		{"neither", domain.ScriptRef{}, domain.ScriptRef{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &domain.RuntimeSession{}
			start := startRuntimeSession()
			start.PageReducer, start.AppReducer = tc.page, tc.app
			evs := decideSession(t, s, start)
			started := evs[0].(*domain.SessionStarted)
			require.Equal(t, tc.page, started.PageReducer)
			require.Equal(t, tc.app, started.AppReducer)
			require.Equal(t, tc.page.IsZero(), started.PageReducer.IsZero())

			d := dispatch(1)
			d.PageReducer, d.AppReducer = tc.page, tc.app
			evs = append(evs, decideSession(t, s, domain.RecordDispatches{Dispatches: []domain.SessionActionDispatched{d}})...)
			require.Equal(t, int64(1), s.Steps)
			recorded := evs[1].(*domain.SessionActionDispatched)
			require.Equal(t, tc.page, recorded.PageReducer)
			require.Equal(t, tc.app, recorded.AppReducer)
			requireCodecRoundTrip(t, evs)
		})
	}
}

func TestRuntimeSessionRecordCopies(t *testing.T) {
	t.Parallel()
	s := &domain.RuntimeSession{}
	decideSession(t, s, startRuntimeSession())
	d := dispatch(1)
	evs, err := s.Decide(domain.RecordDispatches{Dispatches: []domain.SessionActionDispatched{d}}, testEnv())
	require.NoError(t, err)
	got := evs[0].(*domain.SessionActionDispatched)
	require.Equal(t, `{"by":1}`, string(got.Action.Payload))
	d.Source.NodeID = "changed"
	require.Equal(t, "btn", got.Source.NodeID, "the event must not share the command's source")
}
