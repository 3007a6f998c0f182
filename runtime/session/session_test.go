package session_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/runtime/jsbox"
	"github.com/goflow-dev/goflow/runtime/session"
)

// scriptMap is a Scripts backed by a map keyed "id@version".
type scriptMap map[string]string

func (m scriptMap) Program(_ context.Context, id string, version int64) (jsbox.Program, error) {
	src, ok := m[fmt.Sprintf("%s@%d", id, version)]
	if !ok {
		return jsbox.Program{}, fmt.Errorf("script %s@%d not found", id, version)
	}
	return jsbox.Program{ID: id, Version: version, Source: src}, nil
}

const (
	counterHandler = `function handleEvent(payload, ctx) {
		for (let i = 0; i < (payload && payload.times || 1); i++) {
			dispatch(createAction('counter/increment', { by: payload && payload.by || 1 }));
		}
		ctx.component.setProps({ label: 'Clicked at ' + (ctx.state ? ctx.state.count : 'start') });
	}`
	counterPageReducer = `function reducer(state = { count: 0 }, action) {
		switch (action.type) {
		case 'counter/increment': return { ...state, count: state.count + action.payload.by };
		case 'counter/boom': throw new Error('boom at ' + state.count);
		default: return state;
		}
	}`
	// counterPageReducerV2 doubles increments from 3 on: its first difference is the step that
	// reaches count 3.
	counterPageReducerV2 = `function reducer(state = { count: 0 }, action) {
		switch (action.type) {
		case 'counter/increment': return { ...state, count: state.count + (state.count >= 3 ? 2 : 1) * action.payload.by };
		case 'counter/boom': throw new Error('boom at ' + state.count);
		default: return state;
		}
	}`
	counterAppReducer = `function reducer(state = { actions: 0 }, action) {
		return { ...state, actions: state.actions + 1, last: action.type };
	}`
	// randomPageReducer depends on Date.now and Math.random, and sometimes throws.
	randomPageReducer = `function reducer(state = { n: 0, sum: 0, log: [] }, action) {
		const r = Math.random();
		if (action.type === 'fail' && r < 0.5) throw new Error('unlucky ' + r);
		const log = state.log.concat([{ t: Date.now(), r: Math.floor(r * 1000) }]).slice(-5);
		return { ...state, n: state.n + 1, sum: state.sum + ((action.payload && action.payload.v) || 0), log };
	}`
	randomAppReducer = `function reducer(state = { seen: {} }, action) {
		if (action.type === 'appfail') throw new Error('app says no');
		return { seen: { ...state.seen, [action.type]: (state.seen[action.type] || 0) + 1 }, at: new Date().toISOString() };
	}`
	randomHandler = `function handleEvent(payload, ctx) {
		const k = Math.floor(Math.random() * 4);
		for (let i = 0; i < k; i++) dispatch(createAction(payload.types[i % payload.types.length], { v: Date.now() % 97 + i }));
	}`
)

var (
	pageRef = domain.ScriptRef{ScriptID: "page", Version: 1}
	appRef  = domain.ScriptRef{ScriptID: "app", Version: 1}
	handRef = domain.ScriptRef{ScriptID: "onClick", Version: 1}
	t0      = time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
)

type fixture struct {
	runner  *session.Runner
	started *domain.SessionStarted
}

// setup builds a runner over a sandbox with a generous deadline (tests run on a loaded
// machine) and the given page reducer, app reducer and handler sources.
func setup(t *testing.T, page, app, handler string) fixture {
	t.Helper()
	box, err := jsbox.NewSandbox(jsbox.Config{Limits: jsbox.Limits{Timeout: 2 * time.Second}})
	require.NoError(t, err)
	scripts := scriptMap{"page@1": page, "app@1": app, "onClick@1": handler, "page@2": counterPageReducerV2}
	return fixture{
		runner: session.NewRunner(box, scripts),
		started: &domain.SessionStarted{
			SessionID: "s1", AppID: "a1", PageID: "p1", Mode: domain.SessionPreview,
			PageReducer: pageRef, AppReducer: appRef,
		},
	}
}

func click(payload string, at time.Time, seed uint64) session.DispatchInput {
	return session.DispatchInput{
		Event: &session.ComponentEvent{
			Handler:   handRef,
			Component: jsbox.ComponentInfo{NodeID: "btn", Type: "Button", Props: json.RawMessage(`{"label":"+"}`)},
			Event:     jsbox.Event{Name: "onClick", Payload: json.RawMessage(payload)},
		},
		PageReducer: pageRef, AppReducer: appRef, Time: at, Seed: seed,
	}
}

func direct(typ, payload string, at time.Time, seed uint64) session.DispatchInput {
	a := jsbox.Action{Type: typ}
	if payload != "" {
		a.Payload = json.RawMessage(payload)
	}
	return session.DispatchInput{Action: &a, PageReducer: pageRef, AppReducer: appRef, Time: at, Seed: seed}
}

// run dispatches inputs in order and returns the recorded steps and the live state after each
// dispatch.
func (f fixture) run(t *testing.T, inputs []session.DispatchInput) ([]*domain.SessionActionDispatched, []session.State) {
	t.Helper()
	st := session.InitialState(f.started)
	var steps []*domain.SessionActionDispatched
	var states []session.State
	for _, in := range inputs {
		next, events, _, err := f.runner.Dispatch(context.Background(), st, in)
		require.NoError(t, err)
		for _, e := range events {
			steps = append(steps, e.(*domain.SessionActionDispatched))
		}
		require.Equal(t, int64(len(steps)), next.Step)
		st = next
		states = append(states, st)
	}
	return steps, states
}

func TestDispatchCounter(t *testing.T) {
	t.Parallel()
	f := setup(t, counterPageReducer, counterAppReducer, counterHandler)
	ctx := context.Background()
	st := session.InitialState(f.started)

	st, events, updates, err := f.runner.Dispatch(ctx, st, click(`{"times":2,"by":5}`, t0, 9))
	require.NoError(t, err)
	require.Equal(t, int64(2), st.Step)
	require.JSONEq(t, `{"count":10}`, string(st.Page))
	require.JSONEq(t, `{"actions":2,"last":"counter/increment"}`, string(st.App))
	require.Equal(t, []jsbox.ComponentUpdate{{NodeID: "btn", Kind: jsbox.UpdateSetProps, Props: json.RawMessage(`{"label":"Clicked at start"}`)}}, updates,
		"the handler saw the initial (undefined) page state")
	require.Len(t, events, 2)
	for i, e := range events {
		d := e.(*domain.SessionActionDispatched)
		require.Equal(t, int64(i+1), d.Step)
		require.Equal(t, "counter/increment", d.Action.Type)
		require.JSONEq(t, `{"by":5}`, string(d.Action.Payload))
		require.Equal(t, &domain.SessionSource{NodeID: "btn", Event: "onClick", Payload: json.RawMessage(`{"times":2,"by":5}`)}, d.Source)
		require.Equal(t, &handRef, d.Handler)
		require.Equal(t, pageRef, d.PageReducer)
		require.Equal(t, appRef, d.AppReducer)
		require.Equal(t, t0.UnixMilli(), d.Time)
		require.Equal(t, uint64(9+i), d.Seed)
		require.Empty(t, d.Error)
		require.Positive(t, d.DurationMicros)
	}

	// A direct action goes through both reducers too, and the events are valid domain input.
	st, events, updates, err = f.runner.Dispatch(ctx, st, direct("counter/increment", `{"by":1}`, t0, 1))
	require.NoError(t, err)
	require.Empty(t, updates)
	require.JSONEq(t, `{"count":11}`, string(st.Page))
	require.JSONEq(t, `{"actions":3,"last":"counter/increment"}`, string(st.App))
	d := events[0].(*domain.SessionActionDispatched)
	require.Nil(t, d.Source)
	require.Nil(t, d.Handler)

	rs := &domain.RuntimeSession{}
	evs, err := rs.Decide(domain.StartRuntimeSession{SessionID: "s1", AppID: "a1", PageID: "p1", Mode: domain.SessionPreview, PageReducer: pageRef, AppReducer: appRef}, domain.Env{Now: t0, Actor: "u"})
	require.NoError(t, err)
	rs.Apply(evs[0])
	rs.Steps = 2
	_, err = rs.Decide(domain.RecordDispatches{Dispatches: []domain.SessionActionDispatched{*d}}, domain.Env{Now: t0})
	require.NoError(t, err)
}

func TestDispatchReducerThrowsKeepsState(t *testing.T) {
	t.Parallel()
	f := setup(t, counterPageReducer, counterAppReducer, counterHandler)
	steps, states := f.run(t, []session.DispatchInput{
		direct("counter/increment", `{"by":2}`, t0, 1),
		direct("counter/boom", "", t0, 2),
		direct("counter/increment", `{"by":3}`, t0, 3),
	})
	require.Empty(t, steps[0].Error)
	require.Contains(t, steps[1].Error, "page reducer")
	require.Contains(t, steps[1].Error, "boom at 2")
	require.Equal(t, states[0].Page, states[1].Page, "a failed step keeps the page state")
	require.Equal(t, states[0].App, states[1].App, "a failed step does not reach the app reducer")
	require.Equal(t, int64(2), states[1].Step)
	require.JSONEq(t, `{"count":5}`, string(states[2].Page))
	require.JSONEq(t, `{"actions":2,"last":"counter/increment"}`, string(states[2].App))

	out, err := session.Replay(context.Background(), f.runner, f.started, steps, session.ReplayOptions{})
	require.NoError(t, err)
	require.Equal(t, steps[1].Error, out[2].Error, "replay reproduces the recorded error")
}

func TestDispatchHandlerErrorRecordsNothing(t *testing.T) {
	t.Parallel()
	f := setup(t, counterPageReducer, counterAppReducer, `function handleEvent() { dispatch(createAction('x')); throw new Error('nope') }`)
	st := session.InitialState(f.started)
	got, events, _, err := f.runner.Dispatch(context.Background(), st, click(`{}`, t0, 1))
	require.ErrorIs(t, err, jsbox.ErrScript)
	require.Empty(t, events)
	require.Equal(t, st, got)

	_, _, _, err = f.runner.Dispatch(context.Background(), st, session.DispatchInput{})
	require.ErrorIs(t, err, session.ErrBadInput)

	// Caller faults are errors too, not recorded reducer failures.
	got, events, _, err = f.runner.Dispatch(context.Background(), st, direct("x", `{`, t0, 1))
	require.ErrorIs(t, err, jsbox.ErrInvalidInput)
	require.Empty(t, events)
	require.Equal(t, st, got)
	missing := direct("x", "", t0, 1)
	missing.PageReducer.Version = 9
	_, events, _, err = f.runner.Dispatch(context.Background(), st, missing)
	require.ErrorContains(t, err, "page@9 not found")
	require.Empty(t, events)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, events, _, err = f.runner.Dispatch(ctx, st, direct("x", "", t0, 1))
	require.ErrorIs(t, err, context.Canceled)
	require.Empty(t, events)
}

func TestDispatchRejectsUnrecordableActions(t *testing.T) {
	t.Parallel()
	f := setup(t, counterPageReducer, counterAppReducer, `function handleEvent(p) { for (let i = 0; i < p.n; i++) dispatch(createAction(p.type)) }`)
	st := session.InitialState(f.started)
	cases := []struct {
		name    string
		payload string
	}{
		{"too many", fmt.Sprintf(`{"n":%d,"type":"x"}`, domain.MaxDispatchesPerRecord+1)},
		{"overlong type", fmt.Sprintf(`{"n":1,"type":%q}`, strings.Repeat("t", domain.MaxActionTypeLen+1))},
	}
	for _, tc := range cases {
		got, events, _, err := f.runner.Dispatch(context.Background(), st, click(tc.payload, t0, 1))
		require.ErrorIs(t, err, session.ErrInvalidAction, tc.name)
		require.Empty(t, events, tc.name)
		require.Equal(t, st, got, tc.name)
	}
	_, events, _, err := f.runner.Dispatch(context.Background(), st, click(fmt.Sprintf(`{"n":%d,"type":"x"}`, domain.MaxDispatchesPerRecord), t0, 1))
	require.NoError(t, err)
	require.Len(t, events, domain.MaxDispatchesPerRecord)
}

// randomInputs is a session of n random handler clicks and direct actions, some of whose
// reducers throw, a few seconds apart.
func randomInputs(rng *rand.Rand, n int) []session.DispatchInput {
	types := []string{"add", "fail", "appfail", "noop"}
	var inputs []session.DispatchInput
	at := t0
	for range n {
		at = at.Add(time.Duration(rng.IntN(5000)) * time.Millisecond)
		s := rng.Uint64()
		if rng.IntN(2) == 0 {
			inputs = append(inputs, click(`{"types":["add","fail","appfail"]}`, at, s))
		} else {
			inputs = append(inputs, direct(types[rng.IntN(len(types))], fmt.Sprintf(`{"v":%d}`, rng.IntN(100)), at, s))
		}
	}
	return inputs
}

// TestReplayEqualsLive: random sessions of handler events and direct actions through reducers
// that read Date.now and Math.random (and sometimes throw) replay to the live states and errors.
func TestReplayEqualsLive(t *testing.T) {
	t.Parallel()
	f := setup(t, randomPageReducer, randomAppReducer, randomHandler)
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			steps, live := f.run(t, randomInputs(rand.New(rand.NewPCG(seed, 42)), 40))
			require.NotEmpty(t, steps)
			out, err := session.Replay(context.Background(), f.runner, f.started, steps, session.ReplayOptions{})
			require.NoError(t, err)
			require.Len(t, out, len(steps)+1)
			for i, d := range steps {
				require.Equal(t, d.Error, out[i+1].Error, "step %d", d.Step)
			}
			var failed int
			for _, d := range steps {
				if d.Error != "" {
					failed++
				}
			}
			require.Positive(t, failed, "the session should exercise failing steps")
			for i, st := range live {
				require.Equal(t, st, out[st.Step].State, "state after dispatch %d (step %d)", i, st.Step)
			}
		})
	}
}

func TestReplaySkipAndUpTo(t *testing.T) {
	t.Parallel()
	f := setup(t, counterPageReducer, counterAppReducer, counterHandler)
	var inputs []session.DispatchInput
	for i := range 5 {
		inputs = append(inputs, direct("counter/increment", fmt.Sprintf(`{"by":%d}`, 1<<i), t0, uint64(i)))
	}
	steps, live := f.run(t, inputs)
	ctx := context.Background()
	count := func(st session.State) int {
		var v struct{ Count int }
		require.NoError(t, json.Unmarshal(st.Page, &v))
		return v.Count
	}

	skipped, err := session.Replay(ctx, f.runner, f.started, steps, session.ReplayOptions{Skip: map[int64]bool{2: true, 4: true}})
	require.NoError(t, err)
	require.Equal(t, []int{1, 1, 5, 5, 21}, []int{count(skipped[1].State), count(skipped[2].State), count(skipped[3].State), count(skipped[4].State), count(skipped[5].State)})
	require.True(t, skipped[2].Skipped)
	require.False(t, skipped[3].Skipped)

	unskipped, err := session.Replay(ctx, f.runner, f.started, steps, session.ReplayOptions{Skip: map[int64]bool{}})
	require.NoError(t, err)
	require.Equal(t, live[4], unskipped[5].State, "unskipping recomputes the recorded history")

	upTo, err := session.Replay(ctx, f.runner, f.started, steps, session.ReplayOptions{UpTo: 3})
	require.NoError(t, err)
	require.Len(t, upTo, 4)
	require.Equal(t, 7, count(upTo[3].State))

	_, err = session.Replay(ctx, f.runner, f.started, steps[1:], session.ReplayOptions{})
	require.ErrorIs(t, err, session.ErrBadInput)

	// The iterator yields the same outcomes, stops when asked, and reports bad input.
	opts := session.ReplayOptions{Skip: map[int64]bool{2: true, 4: true}}
	var seq []session.Outcome
	for o, err := range session.ReplaySeq(ctx, f.runner, f.started, steps, opts) {
		require.NoError(t, err)
		seq = append(seq, o)
	}
	require.Equal(t, withoutDurations(skipped), withoutDurations(seq))
	n := 0
	for range session.ReplaySeq(ctx, f.runner, f.started, steps, opts) {
		n++
		if n == 2 {
			break
		}
	}
	require.Equal(t, 2, n)
	for _, err := range session.ReplaySeq(ctx, f.runner, f.started, steps[1:], opts) {
		require.ErrorIs(t, err, session.ErrBadInput)
	}
}

func TestFirstDifference(t *testing.T) {
	t.Parallel()
	f := setup(t, counterPageReducer, counterAppReducer, counterHandler)
	var inputs []session.DispatchInput
	for range 6 {
		inputs = append(inputs, direct("counter/increment", `{"by":1}`, t0, 0))
	}
	steps, _ := f.run(t, inputs)
	ctx := context.Background()

	cases := []struct {
		name      string
		source    string
		opts      session.ReplayOptions
		wantFound bool
		wantStep  int64
		wantErr   bool
	}{
		{name: "same reducer", source: counterPageReducer},
		{name: "doubles from 3", source: counterPageReducerV2, wantFound: true, wantStep: 4},
		{name: "difference beyond UpTo", source: counterPageReducerV2, opts: session.ReplayOptions{UpTo: 3}},
		{name: "throws", source: `function reducer(state, action) { throw new Error('edited') }`, wantFound: true, wantStep: 1, wantErr: true},
		{name: "does not compile", source: `function reducer(`, wantFound: true, wantStep: 1, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			edited := jsbox.Program{ID: "page", Version: 0, Source: tc.source}
			diff, found, err := session.FirstDifference(ctx, f.runner, f.started, steps, edited, tc.opts)
			require.NoError(t, err)
			require.Equal(t, tc.wantFound, found)
			if !found {
				return
			}
			require.Equal(t, tc.wantStep, diff.Step)
			require.Equal(t, tc.wantStep, diff.Original.State.Step)
			require.Empty(t, diff.Original.Error)
			require.Equal(t, tc.wantErr, diff.Edited.Error != "", "edited error %q", diff.Edited.Error)
			if !tc.wantErr {
				require.JSONEq(t, `{"count":4}`, string(diff.Original.State.Page))
				require.JSONEq(t, `{"count":5}`, string(diff.Edited.State.Page))
			}
		})
	}

	// The edited reducer replays through Replay too.
	out, err := session.Replay(ctx, f.runner, f.started, steps, session.ReplayOptions{PageReducer: &jsbox.Program{ID: "page", Version: 0, Source: counterPageReducerV2}})
	require.NoError(t, err)
	require.JSONEq(t, `{"count":9}`, string(out[6].State.Page))
}

func TestSnapshotsStateAt(t *testing.T) {
	t.Parallel()
	f := setup(t, randomPageReducer, randomAppReducer, randomHandler)
	rng := rand.New(rand.NewPCG(7, 7))
	var inputs []session.DispatchInput
	for i := range 23 {
		inputs = append(inputs, direct([]string{"add", "fail"}[rng.IntN(2)], fmt.Sprintf(`{"v":%d}`, i), t0.Add(time.Duration(i)*time.Second), rng.Uint64()))
	}
	steps, _ := f.run(t, inputs)
	ctx := context.Background()
	full, err := session.Replay(ctx, f.runner, f.started, steps, session.ReplayOptions{})
	require.NoError(t, err)

	for _, every := range []int64{1, 5, 0} {
		snaps, err := session.NewSnapshots(ctx, f.runner, f.started, steps, every)
		require.NoError(t, err)
		require.Equal(t, int64(len(steps)), snaps.Steps())
		for n := range int64(len(steps)) + 1 {
			st, err := snaps.StateAt(ctx, n)
			require.NoError(t, err)
			require.Equal(t, full[n].State, st, "every %d, step %d", every, n)
		}
		_, err = snaps.StateAt(ctx, int64(len(steps))+1)
		require.ErrorIs(t, err, session.ErrBadInput)
	}

	// Appending live steps keeps StateAt right.
	snaps, err := session.NewSnapshots(ctx, f.runner, f.started, steps[:10], 4)
	require.NoError(t, err)
	for _, d := range steps[10:] {
		require.NoError(t, snaps.Append(d, full[d.Step].State))
	}
	for n := range int64(len(steps)) + 1 {
		st, err := snaps.StateAt(ctx, n)
		require.NoError(t, err)
		require.Equal(t, full[n].State, st, "appended, step %d", n)
	}
	require.ErrorIs(t, snaps.Append(steps[0], full[1].State), session.ErrBadInput)
}

func TestDiff(t *testing.T) {
	t.Parallel()
	ch := func(path string, kind session.ChangeKind) session.Change {
		return session.Change{Path: path, Kind: kind}
	}
	cases := []struct {
		name string
		a, b string
		want []session.Change
	}{
		{"equal", `{"a":1,"b":[1,2]}`, `{"b":[1,2],"a":1}`, nil},
		{"both undefined", ``, ``, nil},
		{"from undefined", ``, `{"count":0}`, []session.Change{ch("", session.Added)}},
		{"to undefined", `0`, ``, []session.Change{ch("", session.Removed)}},
		{"changed leaf", `{"count":1}`, `{"count":2}`, []session.Change{ch("/count", session.Changed)}},
		{"same number spelled differently", `{"n":1}`, `{"n":1.0}`, nil},
		{"big integers stay exact", `{"n":9007199254740993}`, `{"n":9007199254740992}`, []session.Change{ch("/n", session.Changed)}},
		{"added and removed keys sorted", `{"b":1,"x":true}`, `{"a":null,"x":true,"c":"s"}`,
			[]session.Change{ch("/a", session.Added), ch("/b", session.Removed), ch("/c", session.Added)}},
		{"nested", `{"user":{"name":"a","tags":["x"]}}`, `{"user":{"name":"b","tags":["x","y"]}}`,
			[]session.Change{ch("/user/name", session.Changed), ch("/user/tags/1", session.Added)}},
		{"array shrinks", `[1,2,3]`, `[1]`, []session.Change{ch("/1", session.Removed), ch("/2", session.Removed)}},
		{"type change", `{"v":{"a":1}}`, `{"v":[1]}`, []session.Change{ch("/v", session.Changed)}},
		{"null to value", `{"v":null}`, `{"v":false}`, []session.Change{ch("/v", session.Changed)}},
		{"escaped keys", `{"a/b":1,"c~d":1}`, `{"a/b":2,"c~d":2}`, []session.Change{ch("/a~1b", session.Changed), ch("/c~0d", session.Changed)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := session.Diff(json.RawMessage(tc.a), json.RawMessage(tc.b))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	_, err := session.Diff(json.RawMessage(`{`), json.RawMessage(`{}`))
	require.Error(t, err)
	_, err = session.Diff(json.RawMessage(`{}`), json.RawMessage(`{} {}`))
	require.Error(t, err)
}

// withoutDurations zeroes the machine-dependent run times so outcomes compare by meaning.
func withoutDurations(outs []session.Outcome) []session.Outcome {
	cp := slices.Clone(outs)
	for i := range cp {
		cp[i].Duration = 0
	}
	return cp
}

// A session without a page or app reducer (a zero ref) passes that state through every action,
// live and in replay; the other reducer still applies.
func TestDispatchWithoutReducer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		page, app domain.ScriptRef
		initial   domain.SessionState
		wantPage  string // after the steps; "" means still undefined
		wantApp   string
	}{
		{
			name: "no page reducer", app: appRef,
			initial:  domain.SessionState{Page: json.RawMessage(`{"count":7}`)},
			wantPage: `{"count":7}`, wantApp: `{"actions":4,"last":"other"}`,
		},
		{
			name: "no app reducer", page: pageRef,
			initial:  domain.SessionState{App: json.RawMessage(`{"theme":"dark"}`)},
			wantPage: `{"count":5}`, wantApp: `{"theme":"dark"}`,
		},
		{name: "neither", wantPage: "", wantApp: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, counterPageReducer, counterAppReducer, counterHandler)
			f.started.PageReducer, f.started.AppReducer, f.started.InitialState = tc.page, tc.app, tc.initial
			inputs := []session.DispatchInput{
				click(`{"times":2,"by":1}`, t0, 1),
				direct("counter/increment", `{"by":3}`, t0.Add(time.Second), 2),
				direct("other", "", t0.Add(2*time.Second), 3),
			}
			for i := range inputs {
				inputs[i].PageReducer, inputs[i].AppReducer = tc.page, tc.app
			}
			steps, live := f.run(t, inputs)
			require.Len(t, steps, 4)
			for _, d := range steps {
				require.Empty(t, d.Error, "step %d", d.Step)
				require.Equal(t, tc.page, d.PageReducer)
				require.Equal(t, tc.app, d.AppReducer)
			}
			last := live[len(live)-1]
			for _, got := range []struct{ want, got, name string }{
				{tc.wantPage, string(last.Page), "page"},
				{tc.wantApp, string(last.App), "app"},
			} {
				if got.want == "" {
					require.Empty(t, got.got, "%s state stays undefined", got.name)
				} else {
					require.JSONEq(t, got.want, got.got, "%s state", got.name)
				}
			}

			out, err := session.Replay(context.Background(), f.runner, f.started, steps, session.ReplayOptions{})
			require.NoError(t, err)
			for i, st := range live {
				require.Equal(t, st, out[st.Step].State, "state after dispatch %d (step %d)", i, st.Step)
			}
		})
	}
}

// An edited page reducer runs even where the session recorded none, so the debugger can try a
// first reducer on a history recorded without one.
func TestFirstDifferenceWithoutRecordedPageReducer(t *testing.T) {
	t.Parallel()
	f := setup(t, counterPageReducer, counterAppReducer, counterHandler)
	f.started.PageReducer = domain.ScriptRef{}
	var inputs []session.DispatchInput
	for range 3 {
		in := direct("counter/increment", `{"by":2}`, t0, 0)
		in.PageReducer = domain.ScriptRef{}
		inputs = append(inputs, in)
	}
	steps, live := f.run(t, inputs)
	require.Empty(t, live[2].Page, "no page reducer: the page state stays undefined")
	ctx := context.Background()

	edited := jsbox.Program{ID: "", Version: 0, Source: counterPageReducer}
	diff, found, err := session.FirstDifference(ctx, f.runner, f.started, steps, edited, session.ReplayOptions{})
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, int64(1), diff.Step)
	require.Empty(t, diff.Original.State.Page)
	require.JSONEq(t, `{"count":2}`, string(diff.Edited.State.Page))
	require.JSONEq(t, string(diff.Original.State.App), string(diff.Edited.State.App), "the app reducer runs in both")

	out, err := session.Replay(ctx, f.runner, f.started, steps, session.ReplayOptions{PageReducer: &edited})
	require.NoError(t, err)
	require.JSONEq(t, `{"count":6}`, string(out[3].State.Page))
}
