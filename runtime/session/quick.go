package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/runtime/jsbox"
)

// Quick actions: an "actions" binding runs a list of ready-made steps instead of a script.
// PlanQuickActions turns the list into what a handler script would have produced (actions to
// dispatch, component updates) plus client effects and backend calls, so that quick actions are
// recorded and replayed like any dispatch: the recorded actions carry the resolved values.

const (
	// ReservedActionPrefix starts the action types only the runtime dispatches; handlers may not.
	ReservedActionPrefix = "@goflow/"
	// ActionSetState is what a setState quick action dispatches, with the payload
	// {"path": "a.b.0", "value": ...}. The runtime sets the value in the page state in place of
	// the page reducer; the app reducer sees it like any other action.
	ActionSetState = ReservedActionPrefix + "setState"
)

// Effect kinds: what the client does after the dispatches (the server records none of them).
const (
	EffectNavigate  = "navigate"        // params: {pageId | url, params?, newTab?}
	EffectNotify    = "notify"          // params: {message, level}
	EffectClipboard = "copyToClipboard" // params: {text}
)

// Effect is a client-side consequence of a quick action.
type Effect struct {
	Kind   string          `json:"kind"`
	Params json.RawMessage `json:"params"`
}

// Backend call kinds: quick actions the server runs outside the sandbox (data sources and
// workflows), whose outcome comes back as actions.
const (
	CallQuery    = "runQuery"
	CallWorkflow = "runWorkflow"
)

// Call is a backend call a quick action asks for: a query or a workflow with its resolved
// parameters.
type Call struct {
	Kind   string
	ID     string          // the query's or workflow's id
	Params json.RawMessage // runQuery's params object or runWorkflow's payload; may be empty
}

// QuickStep is one planned step; exactly one field is set.
type QuickStep struct {
	Action *jsbox.Action
	Update *jsbox.ComponentUpdate
	Effect *Effect
	Call   *Call
}

// QuickEnv is what quick actions read: the values their templates may refer to and the page's
// nodes.
type QuickEnv struct {
	Payload json.RawMessage // the component event's payload: {{ event... }}
	State   json.RawMessage // the page state when the event fired: {{ state... }}
	Props   json.RawMessage // the component's props: {{ props... }}
	// Node returns the type and the declared actions of a node of the running page.
	Node func(id string) (typ string, actions []string, ok bool)
}

// ErrQuickAction: a quick action cannot run (an unknown node or component action, a bad
// template, an unsafe URL, a result too large). Nothing of its binding runs.
var ErrQuickAction = errors.New("session: quick action cannot run")

// maxTemplateOutput bounds what resolving one quick action's templates may produce, so that a
// list of references to a large state cannot multiply it.
const maxTemplateOutput = domain.MaxActionPayloadBytes

// PlanQuickActions resolves the templates of qs against env and returns its steps in order.
//
// Templates: a string that is exactly "{{ ref }}" becomes the value ref names (null when
// absent); "{{ ref }}" inside a longer string is replaced by the value's text. A ref is "event",
// "state" or "props" followed by dotted keys or array indexes ("event.value", "state.items.0").
func PlanQuickActions(qs []domain.QuickAction, env QuickEnv) ([]QuickStep, error) {
	roots, err := templateRoots(env)
	if err != nil {
		return nil, err
	}
	steps := make([]QuickStep, 0, len(qs))
	for i, q := range qs {
		raw := q.Params
		if len(bytes.TrimSpace(raw)) == 0 {
			raw = json.RawMessage(`{}`)
		}
		params, err := resolveTemplates(raw, roots)
		if err != nil {
			return nil, fmt.Errorf("%w: action %d (%s): %w", ErrQuickAction, i+1, q.Type, err)
		}
		step, err := planQuickAction(q.Type, params, env)
		if err != nil {
			return nil, fmt.Errorf("%w: action %d (%s): %w", ErrQuickAction, i+1, q.Type, err)
		}
		steps = append(steps, step)
	}
	return steps, nil
}

func planQuickAction(typ string, params map[string]any, env QuickEnv) (QuickStep, error) {
	str := func(key string) string { s, _ := params[key].(string); return s }
	switch typ {
	case "setState":
		path := str("path")
		if _, err := splitStatePath(path); err != nil {
			return QuickStep{}, err
		}
		payload, err := json.Marshal(map[string]any{"path": path, "value": params["value"]})
		if err != nil {
			return QuickStep{}, err
		}
		return QuickStep{Action: &jsbox.Action{Type: ActionSetState, Payload: payload}}, nil
	case "dispatch":
		t := str("type")
		if t == "" || strings.HasPrefix(t, ReservedActionPrefix) {
			return QuickStep{}, fmt.Errorf("action type %q is empty or reserved", t)
		}
		a := jsbox.Action{Type: t}
		if v, ok := params["payload"]; ok {
			p, err := json.Marshal(v)
			if err != nil {
				return QuickStep{}, err
			}
			a.Payload = p
		}
		return QuickStep{Action: &a}, nil
	case "showModal", "hideModal":
		id := str("modalId")
		nodeType, _, ok := env.Node(id)
		if !ok || nodeType != "Modal" {
			return QuickStep{}, fmt.Errorf("the page has no Modal %q", id)
		}
		props := json.RawMessage(`{"open":true}`)
		if typ == "hideModal" {
			props = json.RawMessage(`{"open":false}`)
		}
		return QuickStep{Update: &jsbox.ComponentUpdate{NodeID: id, Kind: jsbox.UpdateSetProps, Props: props}}, nil
	case "callComponent":
		id, action := str("nodeId"), str("action")
		nodeType, actions, ok := env.Node(id)
		if !ok {
			return QuickStep{}, fmt.Errorf("the page has no node %q", id)
		}
		declared := false
		for _, a := range actions {
			declared = declared || a == action
		}
		if !declared {
			return QuickStep{}, fmt.Errorf("a %s has no action %q", nodeType, action)
		}
		u := jsbox.ComponentUpdate{NodeID: id, Kind: jsbox.UpdateEmit, Action: action, Params: json.RawMessage(`{}`)}
		if p, ok := params["params"]; ok {
			raw, err := json.Marshal(p)
			if err != nil {
				return QuickStep{}, err
			}
			u.Params = raw
		}
		return QuickStep{Update: &u}, nil
	case "navigate":
		if u := str("url"); u != "" && !safeURL(u) {
			return QuickStep{}, fmt.Errorf("url must be relative or http(s), got %q", cut(u, 60))
		}
		return effect(EffectNavigate, params)
	case "showNotification":
		if _, ok := params["level"]; !ok {
			params["level"] = "info"
		}
		return effect(EffectNotify, params)
	case "copyToClipboard":
		return effect(EffectClipboard, params)
	case "runQuery":
		return call(CallQuery, str("queryId"), params["params"])
	case "runWorkflow":
		return call(CallWorkflow, str("workflowId"), params["payload"])
	}
	return QuickStep{}, fmt.Errorf("unknown quick action %q", typ)
}

func effect(kind string, params map[string]any) (QuickStep, error) {
	raw, err := json.Marshal(params)
	if err != nil {
		return QuickStep{}, err
	}
	return QuickStep{Effect: &Effect{Kind: kind, Params: raw}}, nil
}

func call(kind, id string, params any) (QuickStep, error) {
	if id == "" {
		return QuickStep{}, fmt.Errorf("%s needs an id", kind)
	}
	c := Call{Kind: kind, ID: id}
	if params != nil {
		raw, err := json.Marshal(params)
		if err != nil {
			return QuickStep{}, err
		}
		c.Params = raw
	}
	return QuickStep{Call: &c}, nil
}

// safeURL accepts relative URLs and absolute http(s) ones: never javascript: or data:.
func safeURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	return u.Scheme == "" && u.Host == "" || u.Scheme == "http" || u.Scheme == "https"
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return domain.CutDispatchError(s[:n]) + "..."
}

// templateRoots decodes the values templates may refer to.
func templateRoots(env QuickEnv) (map[string]any, error) {
	roots := map[string]any{}
	for name, raw := range map[string]json.RawMessage{"event": env.Payload, "state": env.State, "props": env.Props} {
		v, ok, err := decodeState(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %s is not JSON: %w", ErrQuickAction, name, err)
		}
		if ok {
			roots[name] = v
		}
	}
	return roots, nil
}

// resolveTemplates decodes params (a JSON object) and replaces the templates of its strings.
func resolveTemplates(params json.RawMessage, roots map[string]any) (map[string]any, error) {
	v, _, err := decodeState(params)
	if err != nil {
		return nil, fmt.Errorf("params are not JSON: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("params must be an object")
	}
	budget := maxTemplateOutput
	out, err := resolveValue(obj, roots, &budget)
	if err != nil {
		return nil, err
	}
	return out.(map[string]any), nil
}

func resolveValue(v any, roots map[string]any, budget *int) (any, error) {
	switch v := v.(type) {
	case string:
		return resolveString(v, roots, budget)
	case map[string]any:
		for k, e := range v {
			r, err := resolveValue(e, roots, budget)
			if err != nil {
				return nil, err
			}
			v[k] = r
		}
	case []any:
		for i, e := range v {
			r, err := resolveValue(e, roots, budget)
			if err != nil {
				return nil, err
			}
			v[i] = r
		}
	}
	return v, nil
}

func resolveString(s string, roots map[string]any, budget *int) (any, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "{{") && strings.HasSuffix(t, "}}") && strings.Count(t, "{{") == 1 {
		v, err := lookup(t[2:len(t)-2], roots)
		if err != nil {
			return nil, err
		}
		if err := spend(budget, v); err != nil {
			return nil, err
		}
		return v, nil
	}
	var b strings.Builder
	for {
		open := strings.Index(s, "{{")
		if open < 0 {
			b.WriteString(s)
			break
		}
		end := strings.Index(s[open:], "}}")
		if end < 0 {
			return nil, fmt.Errorf("template %q has no closing }}", cut(s[open:], 40))
		}
		b.WriteString(s[:open])
		v, err := lookup(s[open+2:open+end], roots)
		if err != nil {
			return nil, err
		}
		text := ""
		switch v := v.(type) {
		case nil:
		case string:
			text = v
		default:
			raw, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			text = string(raw)
		}
		if *budget -= len(text); *budget < 0 {
			return nil, errors.New("templates expand past the payload limit")
		}
		b.WriteString(text)
		s = s[open+end+2:]
	}
	return b.String(), nil
}

// spend charges a whole-string template's value against the budget.
func spend(budget *int, v any) error {
	switch v.(type) {
	case map[string]any, []any, string:
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		*budget -= len(raw)
	}
	if *budget < 0 {
		return errors.New("templates expand past the payload limit")
	}
	return nil
}

// lookup resolves "event.a.0.b" against roots; an absent key or index is null.
func lookup(ref string, roots map[string]any) (any, error) {
	parts := strings.Split(strings.TrimSpace(ref), ".")
	root := parts[0]
	if root != "event" && root != "state" && root != "props" {
		return nil, fmt.Errorf("template {{%s}} must start with event, state or props", cut(ref, 40))
	}
	v := roots[root]
	for _, p := range parts[1:] {
		if p == "" {
			return nil, fmt.Errorf("template {{%s}} has an empty key", cut(ref, 40))
		}
		switch c := v.(type) {
		case map[string]any:
			v = c[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(c) {
				return nil, nil
			}
			v = c[i]
		default:
			return nil, nil
		}
	}
	// Copies: the caller may put one value in several places and mutate none of them, but
	// resolveValue walks results in place, so a shared map must not be reachable twice.
	return deepCopy(v), nil
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(v))
		for k, e := range v {
			c[k] = deepCopy(e)
		}
		return c
	case []any:
		c := make([]any, len(v))
		for i, e := range v {
			c[i] = deepCopy(e)
		}
		return c
	}
	return v
}

// maxStatePathSegments bounds a setState path's depth.
const maxStatePathSegments = 64

// splitStatePath splits a dotted setState path ("items.0.done").
func splitStatePath(path string) ([]string, error) {
	if path == "" {
		return nil, errors.New("path is empty")
	}
	parts := strings.Split(path, ".")
	if len(parts) > maxStatePathSegments {
		return nil, fmt.Errorf("path has %d segments; at most %d are allowed", len(parts), maxStatePathSegments)
	}
	for _, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("path %q has an empty segment", cut(path, 60))
		}
	}
	return parts, nil
}

// setStatePayload is ActionSetState's payload.
type setStatePayload struct {
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
}

// applySetState is the runtime's reducer for ActionSetState: it sets the value at the path of
// the page state, creating objects for missing keys. An undefined state starts as {}. Setting
// inside a string, number or boolean is an error (the step then keeps its state).
func applySetState(state, payload json.RawMessage) (json.RawMessage, error) {
	var p setStatePayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("setState: invalid payload: %w", err)
	}
	parts, err := splitStatePath(p.Path)
	if err != nil {
		return nil, fmt.Errorf("setState: %w", err)
	}
	value, ok, err := decodeState(p.Value)
	if err != nil {
		return nil, fmt.Errorf("setState: invalid value: %w", err)
	}
	if !ok {
		value = nil
	}
	root, ok, err := decodeState(state)
	if err != nil {
		return nil, fmt.Errorf("setState: state is not JSON: %w", err)
	}
	if !ok || root == nil {
		root = map[string]any{}
	}
	root, err = setIn(root, parts, value, "")
	if err != nil {
		return nil, fmt.Errorf("setState %s: %w", p.Path, err)
	}
	out, err := json.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("setState: encode: %w", err)
	}
	if len(out) > domain.MaxSessionStateBytes {
		return nil, fmt.Errorf("setState: the state would be %d bytes; at most %d are allowed", len(out), domain.MaxSessionStateBytes)
	}
	return out, nil
}

func setIn(v any, parts []string, value any, at string) (any, error) {
	if len(parts) == 0 {
		return value, nil
	}
	key, rest := parts[0], parts[1:]
	here := strings.TrimPrefix(at+"."+key, ".")
	switch c := v.(type) {
	case nil:
		child, err := setIn(nil, rest, value, here)
		if err != nil {
			return nil, err
		}
		return map[string]any{key: child}, nil
	case map[string]any:
		child, err := setIn(c[key], rest, value, here)
		if err != nil {
			return nil, err
		}
		c[key] = child
		return c, nil
	case []any:
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 || i > len(c) {
			return nil, fmt.Errorf("%s: index %q is outside the array of %d", here, key, len(c))
		}
		if i == len(c) {
			c = append(c, nil)
		}
		child, err := setIn(c[i], rest, value, here)
		if err != nil {
			return nil, err
		}
		c[i] = child
		return c, nil
	default:
		if at == "" {
			return nil, errors.New("the state is not an object or array")
		}
		return nil, fmt.Errorf("%s is not an object or array", at)
	}
}
