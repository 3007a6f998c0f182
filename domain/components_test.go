package domain_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
)

func catalog(t *testing.T) *domain.Catalog {
	t.Helper()
	c, err := domain.DefaultCatalog()
	require.NoError(t, err)
	return c
}

var requiredComponents = []string{"Container", "Row", "Text", "Heading", "Button", "TextInput", "NumberInput", "Select", "Checkbox", "Table", "Form", "Image", "Link", "Modal", "Tabs", "List"}

func TestCatalogHasEveryComponent(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	for _, typ := range requiredComponents {
		m, ok := c.Get(typ)
		require.True(t, ok, typ)
		require.Equal(t, typ, m.Type)
	}
	_, ok := c.Get("Blink")
	require.False(t, ok)

	all := c.All()
	require.GreaterOrEqual(t, len(all), len(requiredComponents))
	require.True(t, slices.IsSortedFunc(all, func(a, b domain.Manifest) int {
		if a.Category != b.Category {
			return strings.Compare(a.Category, b.Category)
		}
		return strings.Compare(a.Type, b.Type)
	}), "All is sorted by category then type")
}

func TestManifestsAreComplete(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	categories := []string{"layout", "text", "input", "data", "media", "navigation", "overlay"}
	for _, m := range c.All() {
		t.Run(m.Type, func(t *testing.T) {
			require.NotEmpty(t, m.Name)
			require.NotEmpty(t, m.Icon)
			require.NotEmpty(t, m.Description)
			require.Contains(t, categories, m.Category)

			var props struct {
				Schema     string                     `json:"$schema"`
				Type       string                     `json:"type"`
				Additional *bool                      `json:"additionalProperties"`
				Properties map[string]json.RawMessage `json:"properties"`
			}
			require.NoError(t, json.Unmarshal(m.Props, &props))
			require.Equal(t, "https://json-schema.org/draft/2020-12/schema", props.Schema)
			require.Equal(t, "object", props.Type)
			require.NotNil(t, props.Additional)
			require.False(t, *props.Additional, "unknown props must be rejected")
			for name, raw := range props.Properties {
				var p struct {
					UI struct{ Widget, Label, Group string } `json:"x-ui"`
				}
				require.NoError(t, json.Unmarshal(raw, &p))
				require.NotEmpty(t, p.UI.Widget, "%s.%s has a widget hint", m.Type, name)
				require.NotEmpty(t, p.UI.Label, "%s.%s has a label hint", m.Type, name)
				require.NotEmpty(t, p.UI.Group, "%s.%s has a group hint", m.Type, name)
			}

			// The template must be valid against the component's own schema.
			require.Nil(t, c.ValidateProps(m.Type, m.Template.Props))
			var checkChildren func(kids []domain.TemplateNode)
			checkChildren = func(kids []domain.TemplateNode) {
				for _, k := range kids {
					require.True(t, m.AcceptsChildren, "%s has template children but accepts none", m.Type)
					km, ok := c.Get(k.Type)
					require.True(t, ok, "template child type %s", k.Type)
					require.Nil(t, c.ValidateProps(k.Type, k.Props), "template child %s of %s", k.Type, m.Type)
					if len(k.Children) > 0 {
						require.True(t, km.AcceptsChildren)
					}
					checkChildren(k.Children)
				}
			}
			checkChildren(m.Template.Children)
			for key, v := range m.Template.Styles {
				require.Nil(t, domain.ValidateStyle(key, v))
			}

			seen := map[string]bool{}
			for _, ev := range m.Events {
				require.False(t, seen[ev.Name], "event %s declared twice", ev.Name)
				seen[ev.Name] = true
				require.True(t, strings.HasPrefix(ev.Name, "on"), ev.Name)
				require.NotEmpty(t, ev.Description)
				require.NotEmpty(t, ev.NativeEvent)
				require.True(t, json.Valid(ev.Payload), "%s payload schema", ev.Name)
				require.True(t, c.HasEvent(m.Type, ev.Name))
			}
			for _, a := range m.Actions {
				require.NotEmpty(t, a.Description)
				require.True(t, json.Valid(a.Params), "%s params schema", a.Name)
			}
		})
	}
}

func TestManifestEventMappings(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	tests := []struct {
		typ, event, native string
		valid, invalid     string
	}{
		{"Button", "onClick", "click", `{"altKey":false,"ctrlKey":true,"metaKey":false,"shiftKey":false}`, `{"altKey":"yes","ctrlKey":true,"metaKey":false,"shiftKey":false}`},
		{"TextInput", "onValueChange", "input", `{"value":"hello"}`, `{"value":3}`},
		{"NumberInput", "onValueChange", "input", `{"value":null}`, `{"value":"3"}`},
		{"Checkbox", "onValueChange", "change", `{"checked":true}`, `{}`},
		{"Form", "onSubmit", "submit", `{"values":{"name":"Ada"}}`, `{"values":[]}`},
		{"Table", "onRowClick", "click", `{"row":{"id":1},"index":0}`, `{"row":{"id":1},"index":-1}`},
		{"Link", "onClick", "click", `{"altKey":false,"ctrlKey":false,"metaKey":true,"shiftKey":false}`, `{"metaKey":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"."+tt.event, func(t *testing.T) {
			m, ok := c.Get(tt.typ)
			require.True(t, ok)
			i := slices.IndexFunc(m.Events, func(e domain.EventSpec) bool { return e.Name == tt.event })
			require.GreaterOrEqual(t, i, 0)
			require.Equal(t, tt.native, m.Events[i].NativeEvent)
			require.Nil(t, c.ValidateEventPayload(tt.typ, tt.event, json.RawMessage(tt.valid)))
			e := c.ValidateEventPayload(tt.typ, tt.event, json.RawMessage(tt.invalid))
			require.NotNil(t, e)
			require.Equal(t, "invalid_payload", e.Code)
		})
	}
	e := c.ValidateEventPayload("Button", "onHover", json.RawMessage(`{}`))
	require.NotNil(t, e)
	require.Equal(t, "unknown_event", e.Code)
}

func TestValidateProps(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	tests := []struct {
		name     string
		typ      string
		props    string
		code     string
		path     string
		contains string
	}{
		{name: "valid button", typ: "Button", props: `{"label":"Go","variant":"danger","size":"lg","disabled":true}`},
		{name: "bound disabled", typ: "Button", props: `{"label":"Go","disabled":"{{ state.busy }}"}`},
		{name: "unknown type", typ: "Blink", props: `{}`, code: "unknown_component"},
		{name: "unknown prop", typ: "Button", props: `{"label":"Go","colour":"red"}`, code: "unknown_prop", path: "/colour"},
		{name: "missing required", typ: "Button", props: `{"variant":"primary"}`, code: "invalid_prop", contains: "label"},
		{name: "bad enum", typ: "Button", props: `{"label":"Go","variant":"huge"}`, code: "invalid_prop", path: "/variant"},
		{name: "wrong type", typ: "Button", props: `{"label":7}`, code: "invalid_prop", path: "/label"},
		{name: "page size below minimum", typ: "Table", props: `{"pageSize":0}`, code: "invalid_prop", path: "/pageSize", contains: "minimum"},
		{name: "page size not integer", typ: "Table", props: `{"pageSize":2.5}`, code: "invalid_prop", path: "/pageSize"},
		{name: "column without key", typ: "Table", props: `{"columns":[{"title":"x"}]}`, code: "invalid_prop", path: "/columns/0"},
		{name: "rows as expression", typ: "Table", props: `{"rows":"{{ queries.users.data }}"}`},
		{name: "heading level", typ: "Heading", props: `{"text":"T","level":7}`, code: "invalid_prop", path: "/level"},
		{name: "tabs need one tab", typ: "Tabs", props: `{"tabs":[]}`, code: "invalid_prop", path: "/tabs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var props map[string]json.RawMessage
			require.NoError(t, json.Unmarshal([]byte(tt.props), &props))
			e := c.ValidateProps(tt.typ, props)
			if tt.code == "" {
				require.Nil(t, e)
				return
			}
			require.NotNil(t, e)
			require.Equal(t, tt.code, e.Code, e.Error())
			if tt.path != "" {
				require.Equal(t, tt.path, e.Path, e.Error())
			}
			require.Contains(t, e.Message, tt.contains)
		})
	}
}

func TestValidatePropValue(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	m, _ := c.Get("Table")
	base := m.Template.Props
	tests := []struct {
		name       string
		path       string
		value      string
		code       string
		wantKey    string
		wantResult string
	}{
		{name: "top level", path: "pageSize", value: `25`, wantKey: "pageSize", wantResult: `25`},
		{name: "leading slash", path: "/pageSize", value: `25`, wantKey: "pageSize", wantResult: `25`},
		{name: "nested", path: "columns/0/title", value: `"Key"`, wantKey: "columns", wantResult: `[{"key":"id","title":"Key","type":"number"},{"key":"name","title":"Name","type":"text"}]`},
		{name: "append", path: "columns/-", value: `{"key":"email"}`, wantKey: "columns", wantResult: `[{"key":"id","title":"ID","type":"number"},{"key":"name","title":"Name","type":"text"},{"key":"email"}]`},
		{name: "remove element", path: "columns/0", value: `null`, wantKey: "columns", wantResult: `[{"key":"name","title":"Name","type":"text"}]`},
		{name: "remove prop", path: "pageSize", value: `null`, wantKey: "pageSize"},
		{name: "remove missing nested key", path: "columns/0/width", value: `null`, wantKey: "columns", wantResult: `[{"key":"id","title":"ID","type":"number"},{"key":"name","title":"Name","type":"text"}]`},
		{name: "remove inside absent prop", path: "rowKey/x", value: `null`, wantKey: "rowKey"},
		{name: "append creates objects on the way", path: "rows/0/name", value: `"Ada"`, wantKey: "rows", wantResult: `[{"name":"Ada"}]`},
		{name: "nested violation", path: "columns/0/width", value: `-1`, code: "invalid_prop"},
		{name: "unknown prop", path: "colour", value: `"red"`, code: "unknown_prop"},
		{name: "index out of range", path: "columns/9/title", value: `"x"`, code: "invalid_path"},
		{name: "into a scalar", path: "pageSize/x", value: `1`, code: "invalid_path"},
		{name: "empty path", path: "", value: `1`, code: "invalid_path"},
		{name: "empty segment", path: "columns//title", value: `1`, code: "invalid_path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, result, e := c.ValidatePropValue("Table", base, tt.path, json.RawMessage(tt.value))
			if tt.code != "" {
				require.NotNil(t, e)
				require.Equal(t, tt.code, e.Code, e.Error())
				return
			}
			require.Nil(t, e)
			require.Equal(t, tt.wantKey, key)
			if tt.wantResult == "" {
				require.Nil(t, result)
			} else {
				require.JSONEq(t, tt.wantResult, string(result))
			}
		})
	}
	// The template is not modified by path edits.
	require.JSONEq(t, `[{"key":"id","title":"ID","type":"number"},{"key":"name","title":"Name","type":"text"}]`, string(base["columns"]))
}

func TestValidateStyle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, value string
		ok         bool
	}{
		{"color", `"red"`, true},
		{"marginTop", `8`, true},
		{"border-radius", `"4px"`, true},
		{"--brand", `"#f00"`, true},
		{"color", `null`, true},
		{"color", `true`, false},
		{"color", `{"a":1}`, false},
		{"color", `[1]`, false},
		{"", `"red"`, false},
		{"1color", `"red"`, false},
		{"col or", `"red"`, false},
		{"color", `"` + strings.Repeat("x", 2000) + `"`, false},
	}
	for _, tt := range tests {
		e := domain.ValidateStyle(tt.key, json.RawMessage(tt.value))
		if tt.ok {
			require.Nil(t, e, "%s=%s", tt.key, tt.value)
		} else {
			require.NotNil(t, e, "%s=%s", tt.key, tt.value)
			require.Equal(t, "invalid_style", e.Code)
		}
	}
}

func TestQuickActions(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	names := []string{}
	for _, q := range c.QuickActions() {
		names = append(names, q.Name)
	}
	for _, want := range []string{"navigate", "setState", "runQuery", "runWorkflow", "showModal", "showNotification", "callComponent"} {
		require.Contains(t, names, want)
	}
	tests := []struct {
		q    domain.QuickAction
		code string
	}{
		{q: domain.QuickAction{Type: "navigate", Params: json.RawMessage(`{"pageId":"p2"}`)}},
		{q: domain.QuickAction{Type: "navigate", Params: json.RawMessage(`{"url":"https://example.com"}`)}},
		{q: domain.QuickAction{Type: "navigate", Params: json.RawMessage(`{}`)}, code: "invalid_params"},
		{q: domain.QuickAction{Type: "setState", Params: json.RawMessage(`{"path":"count","value":1}`)}},
		{q: domain.QuickAction{Type: "runQuery"}, code: "invalid_params"},
		{q: domain.QuickAction{Type: "callComponent", Params: json.RawMessage(`{"nodeId":"t1","action":"refresh"}`)}},
		{q: domain.QuickAction{Type: "callComponent", Params: json.RawMessage(`{"nodeId":"t1"}`)}, code: "invalid_params"},
		{q: domain.QuickAction{Type: "runWorkflow", Params: json.RawMessage(`{"workflowId":"w1","payload":[1]}`)}},
		{q: domain.QuickAction{Type: "showModal", Params: json.RawMessage(`{"modalId":"m1","extra":1}`)}, code: "invalid_params"},
		{q: domain.QuickAction{Type: "explode"}, code: "unknown_quick_action"},
	}
	for _, tt := range tests {
		e := c.ValidateQuickAction(tt.q)
		if tt.code == "" {
			require.Nil(t, e, "%+v", tt.q)
			continue
		}
		require.NotNil(t, e, "%+v", tt.q)
		require.Equal(t, tt.code, e.Code)
	}
}

func TestManifestJSON(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	b, err := json.Marshal(c.All())
	require.NoError(t, err)
	var back []domain.Manifest
	require.NoError(t, json.Unmarshal(b, &back))
	require.Len(t, back, len(c.All()))
	var raw []map[string]any
	require.NoError(t, json.Unmarshal(b, &raw))
	for _, k := range []string{"type", "name", "category", "icon", "description", "props", "events", "actions", "template", "acceptsChildren"} {
		require.Contains(t, raw[0], k)
	}
}
