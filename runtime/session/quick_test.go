package session_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/runtime/jsbox"
	"github.com/goflow-dev/goflow/runtime/session"
)

// quickEnv is a page with a Modal, a Table declaring refresh and a Button.
func quickEnv() session.QuickEnv {
	nodes := map[string]struct {
		typ     string
		actions []string
	}{
		"modal": {"Modal", []string{"open", "close"}},
		"table": {"Table", []string{"refresh"}},
		"btn":   {"Button", nil},
	}
	return session.QuickEnv{
		Payload: json.RawMessage(`{"value":"Ada","n":3,"tags":["x","y"]}`),
		State:   json.RawMessage(`{"user":{"name":"Grace"},"items":[10,20]}`),
		Props:   json.RawMessage(`{"label":"Save"}`),
		Node: func(id string) (string, []string, bool) {
			n, ok := nodes[id]
			return n.typ, n.actions, ok
		},
	}
}

func TestPlanQuickActions(t *testing.T) {
	t.Parallel()
	action := func(typ, payload string) session.QuickStep {
		a := jsbox.Action{Type: typ}
		if payload != "" {
			a.Payload = json.RawMessage(payload)
		}
		return session.QuickStep{Action: &a}
	}
	tests := []struct {
		name string
		q    domain.QuickAction
		want session.QuickStep
	}{
		{"setState literal", domain.QuickAction{Type: "setState", Params: json.RawMessage(`{"path":"count","value":1}`)},
			action(session.ActionSetState, `{"path":"count","value":1}`)},
		{"setState from the event", domain.QuickAction{Type: "setState", Params: json.RawMessage(`{"path":"form.name","value":"{{ event.value }}"}`)},
			action(session.ActionSetState, `{"path":"form.name","value":"Ada"}`)},
		{"setState keeps the referenced type", domain.QuickAction{Type: "setState", Params: json.RawMessage(`{"path":"t","value":"{{event.tags}}"}`)},
			action(session.ActionSetState, `{"path":"t","value":["x","y"]}`)},
		{"templated path", domain.QuickAction{Type: "setState", Params: json.RawMessage(`{"path":"items.{{event.n}}","value":null}`)},
			action(session.ActionSetState, `{"path":"items.3","value":null}`)},
		{"absent reference is null", domain.QuickAction{Type: "setState", Params: json.RawMessage(`{"path":"x","value":"{{ state.nope.deeper }}"}`)},
			action(session.ActionSetState, `{"path":"x","value":null}`)},
		{"dispatch with interpolated payload", domain.QuickAction{Type: "dispatch", Params: json.RawMessage(`{"type":"greet","payload":{"text":"Hi {{state.user.name}}, {{event.n}} items: {{ state.items }}"}}`)},
			action("greet", `{"text":"Hi Grace, 3 items: [10,20]"}`)},
		{"dispatch without payload", domain.QuickAction{Type: "dispatch", Params: json.RawMessage(`{"type":"ping"}`)}, action("ping", "")},
		{"showModal", domain.QuickAction{Type: "showModal", Params: json.RawMessage(`{"modalId":"modal"}`)},
			session.QuickStep{Update: &jsbox.ComponentUpdate{NodeID: "modal", Kind: jsbox.UpdateSetProps, Props: json.RawMessage(`{"open":true}`)}}},
		{"hideModal", domain.QuickAction{Type: "hideModal", Params: json.RawMessage(`{"modalId":"modal"}`)},
			session.QuickStep{Update: &jsbox.ComponentUpdate{NodeID: "modal", Kind: jsbox.UpdateSetProps, Props: json.RawMessage(`{"open":false}`)}}},
		{"callComponent", domain.QuickAction{Type: "callComponent", Params: json.RawMessage(`{"nodeId":"table","action":"refresh","params":{"page":"{{event.n}}"}}`)},
			session.QuickStep{Update: &jsbox.ComponentUpdate{NodeID: "table", Kind: jsbox.UpdateEmit, Action: "refresh", Params: json.RawMessage(`{"page":3}`)}}},
		{"navigate to a page", domain.QuickAction{Type: "navigate", Params: json.RawMessage(`{"pageId":"p2","params":{"id":"{{event.n}}"}}`)},
			session.QuickStep{Effect: &session.Effect{Kind: session.EffectNavigate, Params: json.RawMessage(`{"pageId":"p2","params":{"id":3}}`)}}},
		{"navigate to a URL", domain.QuickAction{Type: "navigate", Params: json.RawMessage(`{"url":"https://example.com/x"}`)},
			session.QuickStep{Effect: &session.Effect{Kind: session.EffectNavigate, Params: json.RawMessage(`{"url":"https://example.com/x"}`)}}},
		{"notification defaults to info", domain.QuickAction{Type: "showNotification", Params: json.RawMessage(`{"message":"Saved {{props.label}}"}`)},
			session.QuickStep{Effect: &session.Effect{Kind: session.EffectNotify, Params: json.RawMessage(`{"level":"info","message":"Saved Save"}`)}}},
		{"copy", domain.QuickAction{Type: "copyToClipboard", Params: json.RawMessage(`{"text":"{{state.user.name}}"}`)},
			session.QuickStep{Effect: &session.Effect{Kind: session.EffectClipboard, Params: json.RawMessage(`{"text":"Grace"}`)}}},
		{"runQuery", domain.QuickAction{Type: "runQuery", Params: json.RawMessage(`{"queryId":"q1","params":{"name":"{{event.value}}"}}`)},
			session.QuickStep{Call: &session.Call{Kind: session.CallQuery, ID: "q1", Params: json.RawMessage(`{"name":"Ada"}`)}}},
		{"runWorkflow", domain.QuickAction{Type: "runWorkflow", Params: json.RawMessage(`{"workflowId":"w1"}`)},
			session.QuickStep{Call: &session.Call{Kind: session.CallWorkflow, ID: "w1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			steps, err := session.PlanQuickActions([]domain.QuickAction{tt.q}, quickEnv())
			require.NoError(t, err)
			require.Len(t, steps, 1)
			requireStep(t, tt.want, steps[0])
		})
	}
}

// requireStep compares steps with their JSON compared as JSON.
func requireStep(t *testing.T, want, got session.QuickStep) {
	t.Helper()
	raw := func(s session.QuickStep) string {
		b, err := json.Marshal(s)
		require.NoError(t, err)
		return string(b)
	}
	require.JSONEq(t, raw(want), raw(got))
}

func TestPlanQuickActionsRefuses(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 300_000)
	tests := []struct {
		name, typ, params, want string
	}{
		{"unknown quick action", "explode", `{}`, "unknown quick action"},
		{"reserved dispatch type", "dispatch", `{"type":"@goflow/setState"}`, "reserved"},
		{"empty path segment", "setState", `{"path":"a..b","value":1}`, "empty segment"},
		{"modal that is not a Modal", "showModal", `{"modalId":"btn"}`, `no Modal "btn"`},
		{"missing node", "callComponent", `{"nodeId":"ghost","action":"refresh"}`, `no node "ghost"`},
		{"undeclared component action", "callComponent", `{"nodeId":"table","action":"explode"}`, `no action "explode"`},
		{"javascript URL", "navigate", `{"url":"javascript:alert(1)"}`, "relative or http(s)"},
		{"unknown template root", "setState", `{"path":"x","value":"{{ window.location }}"}`, "must start with event, state or props"},
		{"unclosed template", "showNotification", `{"message":"Hi {{ event.value"}`, "no closing"},
		{"template bomb", "showNotification", `{"message":"` + strings.Repeat("{{state.big}}", 10) + `"}`, "payload limit"},
		{"params not an object", "dispatch", `[1]`, "must be an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := quickEnv()
			env.State = json.RawMessage(`{"big":"` + big + `"}`)
			_, err := session.PlanQuickActions([]domain.QuickAction{{Type: "dispatch", Params: json.RawMessage(`{"type":"ok"}`)}, {Type: tt.typ, Params: json.RawMessage(tt.params)}}, env)
			require.ErrorIs(t, err, session.ErrQuickAction)
			require.ErrorContains(t, err, tt.want)
			require.ErrorContains(t, err, "action 2", "the error names the failing action")
		})
	}
}

// TestQuickDispatchSetState: setState steps are reduced by the runtime in place of the page
// reducer, the app reducer sees them, a failing one keeps the state, and replay reproduces all.
func TestQuickDispatchSetState(t *testing.T) {
	t.Parallel()
	f := setup(t, counterPageReducer, counterAppReducer, counterHandler)
	quick := func(qs ...string) session.DispatchInput {
		var list []domain.QuickAction
		for _, q := range qs {
			var a domain.QuickAction
			require.NoError(t, json.Unmarshal([]byte(q), &a))
			list = append(list, a)
		}
		env := quickEnv()
		env.Payload = json.RawMessage(`{"value":"Ada"}`)
		steps, err := session.PlanQuickActions(list, env)
		require.NoError(t, err)
		var actions []jsbox.Action
		for _, s := range steps {
			actions = append(actions, *s.Action)
		}
		return session.DispatchInput{
			Quick:       &session.QuickEvent{Source: domain.SessionSource{NodeID: "btn", Event: "onClick"}, Actions: actions},
			PageReducer: pageRef, AppReducer: appRef, Time: t0, Seed: 1,
		}
	}
	steps, states := f.run(t, []session.DispatchInput{
		quick(`{"type":"setState","params":{"path":"count","value":0}}`, `{"type":"setState","params":{"path":"form.name","value":"{{event.value}}"}}`,
			`{"type":"dispatch","params":{"type":"counter/increment","payload":{"by":2}}}`),
		quick(`{"type":"setState","params":{"path":"list.0","value":"a"}}`, `{"type":"setState","params":{"path":"list.1","value":"b"}}`),
		quick(`{"type":"setState","params":{"path":"form.name.first","value":"x"}}`), // a string cannot hold a key
		quick(`{"type":"setState","params":{"path":"list.5","value":"c"}}`),          // past the end
	})
	require.Len(t, steps, 7)
	require.JSONEq(t, `{"form":{"name":"Ada"},"count":2}`, string(states[0].Page), "setState made {} of the undefined state, then the page reducer counted")
	require.JSONEq(t, `{"actions":3,"last":"counter/increment"}`, string(states[0].App), "the app reducer saw every action")
	require.JSONEq(t, `{"form":{"name":"Ada"},"count":2,"list":{"0":"a","1":"b"}}`, string(states[1].Page))
	require.Equal(t, states[1].Page, states[2].Page, "a failing setState keeps the state")
	require.Contains(t, steps[5].Error, "form.name is not an object or array")
	require.JSONEq(t, `{"form":{"name":"Ada"},"count":2,"list":{"0":"a","1":"b","5":"c"}}`, string(states[3].Page))
	require.Empty(t, steps[6].Error, "list is an object here, so key 5 is just a key")

	for i, d := range steps {
		require.Nil(t, d.Handler, "step %d: quick actions record no handler script", i+1)
		require.Equal(t, "btn", d.Source.NodeID)
	}
	outs, err := session.Replay(context.Background(), f.runner, f.started, steps, session.ReplayOptions{})
	require.NoError(t, err)
	require.JSONEq(t, string(states[3].Page), string(outs[len(outs)-1].State.Page), "replay reproduces the live state")
	require.Equal(t, steps[5].Error, outs[6].Error, "outs[0] is the initial state")
}

func TestSetStateArrays(t *testing.T) {
	t.Parallel()
	f := setup(t, `function reducer(state = { items: [1, 2] }, action) { return state; }`, counterAppReducer, counterHandler)
	st := session.State{Page: json.RawMessage(`{"items":[1,2]}`)}
	tests := []struct {
		path, value, want, err string
	}{
		{"items.0", `9`, `{"items":[9,2]}`, ""},
		{"items.2", `3`, `{"items":[1,2,3]}`, ""}, // index len appends
		{"items.3", `3`, `{"items":[1,2]}`, "outside the array of 2"},
		{"items.x", `3`, `{"items":[1,2]}`, "outside the array"},
		{"items.1.deep", `3`, `{"items":[1,2]}`, "items.1 is not an object or array"},
		{"other.a.b", `{"c":[]}`, `{"items":[1,2],"other":{"a":{"b":{"c":[]}}}}`, ""},
	}
	for _, tt := range tests {
		payload, err := json.Marshal(map[string]json.RawMessage{"path": json.RawMessage(`"` + tt.path + `"`), "value": json.RawMessage(tt.value)})
		require.NoError(t, err)
		in := session.DispatchInput{Quick: &session.QuickEvent{Actions: []jsbox.Action{{Type: session.ActionSetState, Payload: payload}}}, PageReducer: pageRef, AppReducer: appRef, Time: t0}
		next, events, _, err := f.runner.Dispatch(context.Background(), st, in)
		require.NoError(t, err, tt.path)
		require.JSONEq(t, tt.want, string(next.Page), tt.path)
		d := events[0].(*domain.SessionActionDispatched)
		if tt.err == "" {
			require.Empty(t, d.Error, tt.path)
		} else {
			require.Contains(t, d.Error, tt.err, tt.path)
		}
	}
}

func TestReservedActionTypes(t *testing.T) {
	t.Parallel()
	f := setup(t, counterPageReducer, counterAppReducer, `function handleEvent(payload, ctx) {
		dispatch(createAction('@goflow/setState', { path: 'admin', value: true }));
	}`)
	st := session.InitialState(f.started)
	for name, in := range map[string]session.DispatchInput{
		"from a handler script": click(`{}`, t0, 1),
		"as a direct action":    direct(session.ActionSetState, `{"path":"admin","value":true}`, t0, 1),
	} {
		next, events, _, err := f.runner.Dispatch(context.Background(), st, in)
		require.True(t, errors.Is(err, session.ErrInvalidAction), "%s: %v", name, err)
		require.ErrorContains(t, err, "reserved", name)
		require.Empty(t, events, name)
		require.Equal(t, st, next, name)
	}
}
