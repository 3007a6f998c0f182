package domain_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
)

// pgEnv returns an Env whose ids count up ("n1", "n2", ...).
func pgEnv(t *testing.T) domain.Env {
	t.Helper()
	n := 0
	return domain.Env{
		Now:        time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Actor:      "tester",
		NewID:      func() string { n++; return fmt.Sprintf("n%d", n) },
		Components: catalog(t),
	}
}

// pgPage is the fixture page: its state, the env that built it and every event so far.
type pgPage struct {
	p      *domain.Page
	env    domain.Env
	events []domain.Event
}

// do decides and applies a command that must succeed.
func (f *pgPage) do(t *testing.T, c domain.PageCommand) []domain.Event {
	t.Helper()
	evs, err := f.p.Decide(c, f.env)
	require.NoError(t, err, "%#v", c)
	require.NotEmpty(t, evs)
	for _, e := range evs {
		f.p.Apply(e)
	}
	f.events = append(f.events, evs...)
	return evs
}

// pgSetup builds a page:
//
//	n1 (root Container)
//	├── btn (Button)
//	├── input (TextInput)
//	├── box (Container)
//	│   ├── txt (Text)
//	│   └── inner (Container)
//	└── tbl (Table)
func pgSetup(t *testing.T) *pgPage {
	t.Helper()
	f := &pgPage{p: &domain.Page{}, env: pgEnv(t)}
	f.do(t, domain.CreatePage{PageID: "page-1", AppID: "app-1", Name: "Home"})
	f.do(t, domain.InsertNode{NodeID: "btn", Type: "Button"})
	f.do(t, domain.InsertNode{NodeID: "input", Type: "TextInput"})
	f.do(t, domain.InsertNode{NodeID: "box", Type: "Container"})
	f.do(t, domain.InsertNode{NodeID: "txt", ParentID: "box", Type: "Text"})
	f.do(t, domain.InsertNode{NodeID: "inner", ParentID: "box", Type: "Container"})
	f.do(t, domain.InsertNode{NodeID: "tbl", Type: "Table"})
	return f
}

func pgJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func requireDomainError(t *testing.T, err error, kind error, code, path string) {
	t.Helper()
	require.Error(t, err)
	var de *domain.Error
	require.True(t, errors.As(err, &de), "%T %v", err, err)
	require.True(t, errors.Is(err, kind), "kind of %v", err)
	require.Equal(t, code, de.Code, de.Error())
	if path != "-" {
		require.Equal(t, path, de.Path, de.Error())
	}
	require.NotEmpty(t, de.Message)
}

func TestPageCreate(t *testing.T) {
	t.Parallel()
	f := pgSetup(t)
	p := f.p
	require.True(t, p.Exists())
	require.Equal(t, "page-1", p.ID)
	require.Equal(t, "app-1", p.AppID)
	require.Equal(t, "Home", p.Name)
	require.Equal(t, int64(len(f.events)), p.Version)
	require.Equal(t, "n1", p.RootID)
	root := p.Nodes["n1"]
	require.Equal(t, "Container", root.Type)
	require.Equal(t, "", root.ParentID)
	require.JSONEq(t, `"column"`, string(root.Props["direction"]))
	require.JSONEq(t, `{}`, string(p.InitialState))
}

func TestPageRejections(t *testing.T) {
	t.Parallel()
	tooLong := strings.Repeat("x", 201)
	tests := []struct {
		name string
		page func(f *pgPage) // prepares the state (default: the fixture)
		cmd  domain.PageCommand
		kind error
		code string
		path string // "-" skips the path check
	}{
		// page level
		{name: "create twice", cmd: domain.CreatePage{PageID: "page-1", AppID: "app-1", Name: "Again"}, kind: domain.ErrConflict, code: "page_exists", path: "/pageId"},
		{name: "create without id", page: pgEmpty, cmd: domain.CreatePage{AppID: "app-1", Name: "X"}, kind: domain.ErrInvalid, code: "invalid_page_id", path: "/pageId"},
		{name: "create with bad id", page: pgEmpty, cmd: domain.CreatePage{PageID: "a b", AppID: "app-1", Name: "X"}, kind: domain.ErrInvalid, code: "invalid_page_id", path: "/pageId"},
		{name: "create without app", page: pgEmpty, cmd: domain.CreatePage{PageID: "p", Name: "X"}, kind: domain.ErrInvalid, code: "invalid_app_id", path: "/appId"},
		{name: "create without name", page: pgEmpty, cmd: domain.CreatePage{PageID: "p", AppID: "a", Name: "  "}, kind: domain.ErrInvalid, code: "invalid_name", path: "/name"},
		{name: "rename missing page", page: pgEmpty, cmd: domain.RenamePage{Name: "X"}, kind: domain.ErrNotFound, code: "page_not_found", path: ""},
		{name: "insert on missing page", page: pgEmpty, cmd: domain.InsertNode{Type: "Button"}, kind: domain.ErrNotFound, code: "page_not_found", path: ""},
		{name: "edit deleted page", page: pgDeleted, cmd: domain.SetProp{NodeID: "btn", Path: "label", Value: json.RawMessage(`"x"`)}, kind: domain.ErrNotFound, code: "page_not_found", path: ""},
		{name: "delete deleted page", page: pgDeleted, cmd: domain.DeletePage{}, kind: domain.ErrNotFound, code: "page_not_found", path: ""},
		{name: "create over deleted page", page: pgDeleted, cmd: domain.CreatePage{PageID: "page-1", AppID: "app-1", Name: "X"}, kind: domain.ErrConflict, code: "page_exists", path: "/pageId"},
		{name: "rename empty", cmd: domain.RenamePage{Name: ""}, kind: domain.ErrInvalid, code: "invalid_name", path: "/name"},
		{name: "rename too long", cmd: domain.RenamePage{Name: tooLong}, kind: domain.ErrInvalid, code: "invalid_name", path: "/name"},
		{name: "rename control chars", cmd: domain.RenamePage{Name: "a\x00b"}, kind: domain.ErrInvalid, code: "invalid_name", path: "/name"},
		{name: "nil command", cmd: nil, kind: domain.ErrInvalid, code: "unknown_op", path: ""},

		// insert
		{name: "insert unknown type", cmd: domain.InsertNode{Type: "Blink"}, kind: domain.ErrInvalid, code: "unknown_component", path: "/type"},
		{name: "insert missing parent", cmd: domain.InsertNode{ParentID: "ghost", Type: "Button"}, kind: domain.ErrNotFound, code: "node_not_found", path: "/nodes/ghost"},
		{name: "insert under a button", cmd: domain.InsertNode{ParentID: "btn", Type: "Text"}, kind: domain.ErrInvalid, code: "no_children", path: "/nodes/btn"},
		{name: "insert existing id", cmd: domain.InsertNode{NodeID: "btn", Type: "Button"}, kind: domain.ErrConflict, code: "node_exists", path: "/nodes/btn"},
		{name: "insert bad id", cmd: domain.InsertNode{NodeID: "a/b", Type: "Button"}, kind: domain.ErrInvalid, code: "invalid_node_id", path: "/nodeId"},
		{name: "insert bad index", cmd: domain.InsertNode{Type: "Button", Index: "!!"}, kind: domain.ErrInvalid, code: "invalid_index", path: "/index"},
		{name: "insert unknown prop", cmd: domain.InsertNode{NodeID: "b2", Type: "Button", Props: map[string]json.RawMessage{"colour": json.RawMessage(`"red"`)}}, kind: domain.ErrInvalid, code: "unknown_prop", path: "/nodes/b2/props/colour"},
		{name: "insert invalid prop", cmd: domain.InsertNode{NodeID: "b2", Type: "Button", Props: map[string]json.RawMessage{"variant": json.RawMessage(`"huge"`)}}, kind: domain.ErrInvalid, code: "invalid_prop", path: "/nodes/b2/props/variant"},
		{name: "insert removing a required prop", cmd: domain.InsertNode{NodeID: "b2", Type: "Button", Props: map[string]json.RawMessage{"label": json.RawMessage(`null`)}}, kind: domain.ErrInvalid, code: "invalid_prop", path: "/nodes/b2/props"},
		{name: "insert prop not JSON", cmd: domain.InsertNode{NodeID: "b2", Type: "Button", Props: map[string]json.RawMessage{"label": json.RawMessage(`{oops`)}}, kind: domain.ErrInvalid, code: "invalid_prop", path: "/nodes/b2/props/label"},

		// move
		{name: "move without id", cmd: domain.MoveNode{ParentID: "box"}, kind: domain.ErrInvalid, code: "required", path: "/nodeId"},
		{name: "move missing node", cmd: domain.MoveNode{NodeID: "ghost", ParentID: "box"}, kind: domain.ErrNotFound, code: "node_not_found", path: "/nodes/ghost"},
		{name: "move root", cmd: domain.MoveNode{NodeID: "n1", ParentID: "box"}, kind: domain.ErrInvalid, code: "cannot_move_root", path: "/nodes/n1"},
		{name: "move to missing parent", cmd: domain.MoveNode{NodeID: "btn", ParentID: "ghost"}, kind: domain.ErrNotFound, code: "node_not_found", path: "/nodes/ghost"},
		{name: "move under a text", cmd: domain.MoveNode{NodeID: "btn", ParentID: "txt"}, kind: domain.ErrInvalid, code: "no_children", path: "/nodes/txt"},
		{name: "move into itself", cmd: domain.MoveNode{NodeID: "box", ParentID: "box"}, kind: domain.ErrConflict, code: "cycle", path: "/nodes/box"},
		{name: "move into own subtree", cmd: domain.MoveNode{NodeID: "box", ParentID: "inner"}, kind: domain.ErrConflict, code: "cycle", path: "/nodes/box"},
		{name: "move with bad index", cmd: domain.MoveNode{NodeID: "btn", ParentID: "box", Index: "a00"}, kind: domain.ErrInvalid, code: "invalid_index", path: "/index"},
		{name: "move deleted node", page: pgWithoutBox, cmd: domain.MoveNode{NodeID: "txt", ParentID: "n1"}, kind: domain.ErrNotFound, code: "node_not_found", path: "/nodes/txt"},

		// delete
		{name: "delete root", cmd: domain.DeleteNode{NodeID: "n1"}, kind: domain.ErrInvalid, code: "cannot_delete_root", path: "/nodes/n1"},
		{name: "delete missing node", cmd: domain.DeleteNode{NodeID: "ghost"}, kind: domain.ErrNotFound, code: "node_not_found", path: "/nodes/ghost"},
		{name: "delete twice", page: pgWithoutBox, cmd: domain.DeleteNode{NodeID: "box"}, kind: domain.ErrNotFound, code: "node_not_found", path: "/nodes/box"},

		// set prop
		{name: "prop on missing node", cmd: domain.SetProp{NodeID: "ghost", Path: "label", Value: json.RawMessage(`"x"`)}, kind: domain.ErrNotFound, code: "node_not_found", path: "/nodes/ghost"},
		{name: "prop on deleted node", page: pgWithoutBox, cmd: domain.SetProp{NodeID: "txt", Path: "text", Value: json.RawMessage(`"x"`)}, kind: domain.ErrNotFound, code: "node_not_found", path: "/nodes/txt"},
		{name: "unknown prop", cmd: domain.SetProp{NodeID: "btn", Path: "colour", Value: json.RawMessage(`"red"`)}, kind: domain.ErrInvalid, code: "unknown_prop", path: "/nodes/btn/props/colour"},
		{name: "prop wrong type", cmd: domain.SetProp{NodeID: "btn", Path: "label", Value: json.RawMessage(`42`)}, kind: domain.ErrInvalid, code: "invalid_prop", path: "/nodes/btn/props/label"},
		{name: "prop bad enum", cmd: domain.SetProp{NodeID: "btn", Path: "variant", Value: json.RawMessage(`"huge"`)}, kind: domain.ErrInvalid, code: "invalid_prop", path: "/nodes/btn/props/variant"},
		{name: "prop below minimum", cmd: domain.SetProp{NodeID: "tbl", Path: "pageSize", Value: json.RawMessage(`0`)}, kind: domain.ErrInvalid, code: "invalid_prop", path: "/nodes/tbl/props/pageSize"},
		{name: "nested prop violation", cmd: domain.SetProp{NodeID: "tbl", Path: "columns/1/type", Value: json.RawMessage(`"hologram"`)}, kind: domain.ErrInvalid, code: "invalid_prop", path: "/nodes/tbl/props/columns/1/type"},
		{name: "remove required prop", cmd: domain.SetProp{NodeID: "btn", Path: "label", Value: json.RawMessage(`null`)}, kind: domain.ErrInvalid, code: "invalid_prop", path: "/nodes/btn/props"},
		{name: "prop not JSON", cmd: domain.SetProp{NodeID: "btn", Path: "label", Value: json.RawMessage(`"x`)}, kind: domain.ErrInvalid, code: "invalid_prop", path: "/nodes/btn/props/label"},
		{name: "prop empty path", cmd: domain.SetProp{NodeID: "btn", Path: "", Value: json.RawMessage(`"x"`)}, kind: domain.ErrInvalid, code: "invalid_path", path: "/nodes/btn/props"},
		{name: "prop path out of range", cmd: domain.SetProp{NodeID: "tbl", Path: "columns/7/title", Value: json.RawMessage(`"x"`)}, kind: domain.ErrInvalid, code: "invalid_path", path: "/nodes/tbl/props/columns/7/title"},

		// set style
		{name: "style on missing node", cmd: domain.SetStyle{NodeID: "ghost", Path: "color", Value: json.RawMessage(`"red"`)}, kind: domain.ErrNotFound, code: "node_not_found", path: "/nodes/ghost"},
		{name: "style bad name", cmd: domain.SetStyle{NodeID: "btn", Path: "co lor", Value: json.RawMessage(`"red"`)}, kind: domain.ErrInvalid, code: "invalid_style", path: "/nodes/btn/styles/co lor"},
		{name: "style nested path", cmd: domain.SetStyle{NodeID: "btn", Path: "a/b", Value: json.RawMessage(`"red"`)}, kind: domain.ErrInvalid, code: "invalid_style", path: "-"},
		{name: "style object value", cmd: domain.SetStyle{NodeID: "btn", Path: "color", Value: json.RawMessage(`{"r":1}`)}, kind: domain.ErrInvalid, code: "invalid_style", path: "/nodes/btn/styles/color"},
		{name: "style boolean value", cmd: domain.SetStyle{NodeID: "btn", Path: "color", Value: json.RawMessage(`true`)}, kind: domain.ErrInvalid, code: "invalid_style", path: "/nodes/btn/styles/color"},

		// bind
		{name: "bind on missing node", cmd: domain.BindEvent{NodeID: "ghost", Event: "onClick", Binding: pgScript}, kind: domain.ErrNotFound, code: "node_not_found", path: "/nodes/ghost"},
		{name: "bind undeclared event", cmd: domain.BindEvent{NodeID: "btn", Event: "onHover", Binding: pgScript}, kind: domain.ErrInvalid, code: "unknown_event", path: "/nodes/btn/events/onHover"},
		{name: "bind event of another component", cmd: domain.BindEvent{NodeID: "btn", Event: "onValueChange", Binding: pgScript}, kind: domain.ErrInvalid, code: "unknown_event", path: "/nodes/btn/events/onValueChange"},
		{name: "bind without event", cmd: domain.BindEvent{NodeID: "btn", Binding: pgScript}, kind: domain.ErrInvalid, code: "required", path: "/event"},
		{name: "bind unknown kind", cmd: domain.BindEvent{NodeID: "btn", Event: "onClick", Binding: domain.Binding{Kind: "magic"}}, kind: domain.ErrInvalid, code: "invalid_binding", path: "/nodes/btn/events/onClick/kind"},
		{name: "bind script without id", cmd: domain.BindEvent{NodeID: "btn", Event: "onClick", Binding: domain.Binding{Kind: "script"}}, kind: domain.ErrInvalid, code: "invalid_binding", path: "/nodes/btn/events/onClick/scriptId"},
		{name: "bind workflow without id", cmd: domain.BindEvent{NodeID: "btn", Event: "onClick", Binding: domain.Binding{Kind: "workflow"}}, kind: domain.ErrInvalid, code: "invalid_binding", path: "/nodes/btn/events/onClick/workflowId"},
		{name: "bind no actions", cmd: domain.BindEvent{NodeID: "btn", Event: "onClick", Binding: domain.Binding{Kind: "actions"}}, kind: domain.ErrInvalid, code: "invalid_binding", path: "/nodes/btn/events/onClick/actions"},
		{name: "bind unknown quick action", cmd: domain.BindEvent{NodeID: "btn", Event: "onClick", Binding: domain.Binding{Kind: "actions", Actions: []domain.QuickAction{{Type: "navigate", Params: json.RawMessage(`{"pageId":"p2"}`)}, {Type: "explode"}}}}, kind: domain.ErrInvalid, code: "unknown_quick_action", path: "/nodes/btn/events/onClick/actions/1/type"},
		{name: "bind quick action bad params", cmd: domain.BindEvent{NodeID: "btn", Event: "onClick", Binding: domain.Binding{Kind: "actions", Actions: []domain.QuickAction{{Type: "runQuery", Params: json.RawMessage(`{"queryId":5}`)}}}}, kind: domain.ErrInvalid, code: "invalid_params", path: "/nodes/btn/events/onClick/actions/0/params/queryId"},

		// unbind
		{name: "unbind missing node", cmd: domain.UnbindEvent{NodeID: "ghost", Event: "onClick"}, kind: domain.ErrNotFound, code: "node_not_found", path: "/nodes/ghost"},
		{name: "unbind undeclared event", cmd: domain.UnbindEvent{NodeID: "btn", Event: "onHover"}, kind: domain.ErrInvalid, code: "unknown_event", path: "/nodes/btn/events/onHover"},
		{name: "unbind unbound event", cmd: domain.UnbindEvent{NodeID: "btn", Event: "onClick"}, kind: domain.ErrNotFound, code: "binding_not_found", path: "/nodes/btn/events/onClick"},

		// page state
		{name: "state array", cmd: domain.SetPageState{InitialState: json.RawMessage(`[1]`)}, kind: domain.ErrInvalid, code: "invalid_state", path: "/initialState"},
		{name: "state string", cmd: domain.SetPageState{InitialState: json.RawMessage(`"x"`)}, kind: domain.ErrInvalid, code: "invalid_state", path: "/initialState"},
		{name: "state null", cmd: domain.SetPageState{InitialState: json.RawMessage(`null`)}, kind: domain.ErrInvalid, code: "invalid_state", path: "/initialState"},
		{name: "state not JSON", cmd: domain.SetPageState{InitialState: json.RawMessage(`{"a":`)}, kind: domain.ErrInvalid, code: "invalid_state", path: "/initialState"},
		{name: "state bad reducer id", cmd: domain.SetPageState{InitialState: json.RawMessage(`{}`), ReducerScriptID: "no spaces"}, kind: domain.ErrInvalid, code: "invalid_script_id", path: "/reducerScriptId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := pgSetup(t)
			if tt.page != nil {
				tt.page(f)
			}
			before := pgJSON(t, f.p)
			evs, err := f.p.Decide(tt.cmd, f.env)
			requireDomainError(t, err, tt.kind, tt.code, tt.path)
			require.Nil(t, evs)
			require.Equal(t, before, pgJSON(t, f.p), "a rejected command changes nothing")
		})
	}
}

var pgScript = domain.Binding{Kind: "script", ScriptID: "script-1"}

func pgEmpty(f *pgPage) { f.p = &domain.Page{} }

func pgDeleted(f *pgPage) { f.p.Apply(&domain.PageDeleted{}) }

func pgWithoutBox(f *pgPage) {
	f.p.Apply(&domain.PageSubtreeDeleted{NodeID: "box", NodeIDs: []string{"box", "txt", "inner"}})
}

func TestPageDecideDoesNotMutate(t *testing.T) {
	t.Parallel()
	f := pgSetup(t)
	cmds := []domain.PageCommand{
		domain.RenamePage{Name: "Other"},
		domain.InsertNode{Type: "Form", ParentID: "box"},
		domain.MoveNode{NodeID: "btn", ParentID: "box", Index: "a0"},
		domain.DeleteNode{NodeID: "box"},
		domain.SetProp{NodeID: "tbl", Path: "columns/0/title", Value: json.RawMessage(`"Key"`)},
		domain.SetStyle{NodeID: "btn", Path: "color", Value: json.RawMessage(`"red"`)},
		domain.BindEvent{NodeID: "btn", Event: "onClick", Binding: pgScript},
		domain.SetPageState{InitialState: json.RawMessage(`{"n":1}`)},
		domain.DeletePage{},
	}
	for _, c := range cmds {
		before := pgJSON(t, f.p)
		evs, err := f.p.Decide(c, f.env)
		require.NoError(t, err, "%#v", c)
		require.Len(t, evs, 1)
		require.Equal(t, before, pgJSON(t, f.p), "Decide(%T) mutated the page", c)
	}
}

func TestPageInsert(t *testing.T) {
	t.Parallel()
	t.Run("appends after the last child", func(t *testing.T) {
		f := pgSetup(t)
		kids := f.p.Document().Root.Children
		ids := []string{}
		for _, k := range kids {
			ids = append(ids, k.ID)
		}
		require.Equal(t, []string{"btn", "input", "box", "tbl"}, ids)
		for i := 1; i < len(kids); i++ {
			require.Less(t, kids[i-1].Index, kids[i].Index)
		}
	})
	t.Run("generated id, props override the template", func(t *testing.T) {
		f := pgSetup(t)
		evs := f.do(t, domain.InsertNode{Type: "Button", Props: map[string]json.RawMessage{"label": json.RawMessage(` "Save" `), "size": json.RawMessage(`null`)}})
		ins := evs[0].(*domain.PageNodeInserted)
		require.Len(t, ins.Nodes, 1)
		n := f.p.Nodes[ins.Nodes[0].ID]
		require.NotNil(t, n)
		require.Equal(t, "n1", n.ParentID, "empty parent means the root")
		require.Equal(t, `"Save"`, string(n.Props["label"]), "values are stored compact")
		require.Equal(t, `"primary"`, string(n.Props["variant"]), "template props kept")
		require.NotContains(t, n.Props, "size", "null override removes a template prop")
	})
	t.Run("template children", func(t *testing.T) {
		f := pgSetup(t)
		evs := f.do(t, domain.InsertNode{NodeID: "form", ParentID: "box", Type: "Form"})
		ins := evs[0].(*domain.PageNodeInserted)
		require.Len(t, ins.Nodes, 3, "one event carries the whole subtree")
		doc := f.p.Document()
		box := doc.Root.Children[2]
		require.Equal(t, "box", box.ID)
		form := box.Children[2]
		require.Equal(t, "form", form.ID)
		require.Len(t, form.Children, 2)
		require.Equal(t, "TextInput", form.Children[0].Type)
		require.Equal(t, "Button", form.Children[1].Type)
		require.JSONEq(t, `"submit"`, string(form.Children[1].Props["type"]))
	})
	t.Run("explicit index", func(t *testing.T) {
		f := pgSetup(t)
		first := f.p.Nodes["btn"].Index
		k, err := domain.KeyBetween("", first)
		require.NoError(t, err)
		f.do(t, domain.InsertNode{NodeID: "top", Type: "Heading", Index: k})
		require.Equal(t, "top", f.p.Document().Root.Children[0].ID)
	})
	t.Run("index collision is repaired", func(t *testing.T) {
		f := pgSetup(t)
		btn, input := f.p.Nodes["btn"].Index, f.p.Nodes["input"].Index
		evs := f.do(t, domain.InsertNode{NodeID: "dup", Type: "Text", Index: btn})
		got := evs[0].(*domain.PageNodeInserted).Nodes[0].Index
		require.Greater(t, got, btn)
		require.Less(t, got, input)
		// Deterministic: the same command on the same state gives the same key.
		f2 := pgSetup(t)
		evs2, err := f2.p.Decide(domain.InsertNode{NodeID: "dup", Type: "Text", Index: btn}, f2.env)
		require.NoError(t, err)
		require.Equal(t, got, evs2[0].(*domain.PageNodeInserted).Nodes[0].Index)
	})
}

func TestPageMove(t *testing.T) {
	t.Parallel()
	t.Run("into another parent, appended", func(t *testing.T) {
		f := pgSetup(t)
		evs := f.do(t, domain.MoveNode{NodeID: "btn", ParentID: "box"})
		require.Len(t, evs, 1)
		mv := evs[0].(*domain.PageNodeMoved)
		require.Equal(t, "box", mv.ParentID)
		require.Greater(t, mv.Index, f.p.Nodes["inner"].Index)
		box := f.p.Document().Root.Children[1]
		require.Equal(t, "box", box.ID)
		require.Equal(t, []string{"txt", "inner", "btn"}, pgIDs(box.Children))
	})
	t.Run("reorder within the parent", func(t *testing.T) {
		f := pgSetup(t)
		k, err := domain.KeyBetween("", f.p.Nodes["btn"].Index)
		require.NoError(t, err)
		f.do(t, domain.MoveNode{NodeID: "tbl", Index: k})
		require.Equal(t, []string{"tbl", "btn", "input", "box"}, pgIDs(f.p.Document().Root.Children))
	})
	t.Run("collision with a sibling is repaired between neighbours", func(t *testing.T) {
		f := pgSetup(t)
		input, box := f.p.Nodes["input"].Index, f.p.Nodes["box"].Index
		evs := f.do(t, domain.MoveNode{NodeID: "tbl", ParentID: "n1", Index: input})
		idx := evs[0].(*domain.PageNodeMoved).Index
		require.Greater(t, idx, input)
		require.Less(t, idx, box)
		require.Equal(t, []string{"btn", "input", "tbl", "box"}, pgIDs(f.p.Document().Root.Children))
	})
	t.Run("keeping its own index is not a collision", func(t *testing.T) {
		f := pgSetup(t)
		own := f.p.Nodes["input"].Index
		evs := f.do(t, domain.MoveNode{NodeID: "input", ParentID: "n1", Index: own})
		require.Equal(t, own, evs[0].(*domain.PageNodeMoved).Index)
	})
	t.Run("a subtree moves with its node", func(t *testing.T) {
		f := pgSetup(t)
		f.do(t, domain.InsertNode{NodeID: "modal", Type: "Modal"})
		f.do(t, domain.MoveNode{NodeID: "box", ParentID: "modal"})
		require.Equal(t, "modal", f.p.Nodes["box"].ParentID)
		require.Equal(t, "box", f.p.Nodes["txt"].ParentID)
	})
}

func pgIDs(nodes []*domain.NodeDocument) []string {
	out := []string{}
	for _, n := range nodes {
		out = append(out, n.ID)
	}
	return out
}

func TestPageDeleteSubtree(t *testing.T) {
	t.Parallel()
	f := pgSetup(t)
	f.do(t, domain.InsertNode{NodeID: "deep", ParentID: "inner", Type: "Button"})
	evs := f.do(t, domain.DeleteNode{NodeID: "box"})
	del := evs[0].(*domain.PageSubtreeDeleted)
	require.Equal(t, "box", del.NodeID)
	require.Equal(t, []string{"box", "txt", "inner", "deep"}, del.NodeIDs)
	for _, id := range del.NodeIDs {
		require.NotContains(t, f.p.Nodes, id)
	}
	require.Equal(t, []string{"btn", "input", "tbl"}, pgIDs(f.p.Document().Root.Children))
}

func TestPageSetPropAndStyle(t *testing.T) {
	t.Parallel()
	f := pgSetup(t)
	f.do(t, domain.SetProp{NodeID: "btn", Path: "label", Value: json.RawMessage(`"Save"`)})
	f.do(t, domain.SetProp{NodeID: "btn", Path: "/disabled", Value: json.RawMessage(`"{{ state.busy }}"`)})
	f.do(t, domain.SetProp{NodeID: "tbl", Path: "columns/0/title", Value: json.RawMessage(`"Key"`)})
	f.do(t, domain.SetProp{NodeID: "tbl", Path: "columns/-", Value: json.RawMessage(`{"key": "email", "sortable": true}`)})
	f.do(t, domain.SetProp{NodeID: "tbl", Path: "pageSize", Value: nil})
	btn, tbl := f.p.Nodes["btn"], f.p.Nodes["tbl"]
	require.Equal(t, `"Save"`, string(btn.Props["label"]))
	require.Equal(t, `"{{ state.busy }}"`, string(btn.Props["disabled"]))
	require.JSONEq(t, `[{"key":"id","title":"Key","type":"number"},{"key":"name","title":"Name","type":"text"},{"key":"email","sortable":true}]`, string(tbl.Props["columns"]))
	require.NotContains(t, tbl.Props, "pageSize")

	f.do(t, domain.SetStyle{NodeID: "btn", Path: "color", Value: json.RawMessage(`"red"`)})
	f.do(t, domain.SetStyle{NodeID: "btn", Path: "/marginTop", Value: json.RawMessage(`8`)})
	require.Equal(t, `"red"`, string(btn.Styles["color"]))
	require.Equal(t, `8`, string(btn.Styles["marginTop"]))
	f.do(t, domain.SetStyle{NodeID: "btn", Path: "color", Value: json.RawMessage(`null`)})
	require.NotContains(t, btn.Styles, "color")
}

func TestPageBindings(t *testing.T) {
	t.Parallel()
	f := pgSetup(t)
	f.do(t, domain.BindEvent{NodeID: "btn", Event: "onClick", Binding: domain.Binding{Kind: "script", ScriptID: "s1", WorkflowID: "ignored"}})
	require.Equal(t, domain.Binding{Kind: "script", ScriptID: "s1"}, f.p.Nodes["btn"].Events["onClick"], "fields of other kinds are dropped")
	f.do(t, domain.BindEvent{NodeID: "input", Event: "onValueChange", Binding: domain.Binding{Kind: "actions", Actions: []domain.QuickAction{
		{Type: "setState", Params: json.RawMessage(`{ "path": "name", "value": "{{ payload.value }}" }`)},
		{Type: "runQuery", Params: json.RawMessage(`{"queryId":"q1"}`)},
	}}})
	b := f.p.Nodes["input"].Events["onValueChange"]
	require.Len(t, b.Actions, 2)
	require.Equal(t, `{"path":"name","value":"{{ payload.value }}"}`, string(b.Actions[0].Params))
	f.do(t, domain.BindEvent{NodeID: "tbl", Event: "onRowClick", Binding: domain.Binding{Kind: "workflow", WorkflowID: "wf-1"}})
	require.Equal(t, "wf-1", f.p.Nodes["tbl"].Events["onRowClick"].WorkflowID)

	f.do(t, domain.UnbindEvent{NodeID: "btn", Event: "onClick"})
	require.NotContains(t, f.p.Nodes["btn"].Events, "onClick")
}

func TestPageState(t *testing.T) {
	t.Parallel()
	f := pgSetup(t)
	f.do(t, domain.SetPageState{InitialState: json.RawMessage(` { "count": 0, "items": [] } `), ReducerScriptID: "reducer-1"})
	require.Equal(t, `{"count":0,"items":[]}`, string(f.p.InitialState))
	require.Equal(t, "reducer-1", f.p.ReducerScriptID)
	f.do(t, domain.SetPageState{})
	require.Equal(t, `{}`, string(f.p.InitialState))
	require.Equal(t, "", f.p.ReducerScriptID)
}

func TestPageRenameAndDelete(t *testing.T) {
	t.Parallel()
	f := pgSetup(t)
	f.do(t, domain.RenamePage{Name: "  Landing  "})
	require.Equal(t, "Landing", f.p.Name)
	f.do(t, domain.DeletePage{})
	require.False(t, f.p.Exists())
	require.True(t, f.p.Deleted)
}

// pgWorkload runs a mix of every command on the fixture.
func pgWorkload(t *testing.T) *pgPage {
	t.Helper()
	f := pgSetup(t)
	f.do(t, domain.InsertNode{NodeID: "form", ParentID: "box", Type: "Form"})
	f.do(t, domain.InsertNode{NodeID: "tabs", Type: "Tabs"})
	f.do(t, domain.MoveNode{NodeID: "btn", ParentID: "inner"})
	f.do(t, domain.SetProp{NodeID: "btn", Path: "label", Value: json.RawMessage(`"Go <now> & then"`)})
	f.do(t, domain.SetProp{NodeID: "tbl", Path: "columns/0/title", Value: json.RawMessage(`"Key"`)})
	f.do(t, domain.SetStyle{NodeID: "box", Path: "padding", Value: json.RawMessage(`"4px"`)})
	f.do(t, domain.BindEvent{NodeID: "btn", Event: "onClick", Binding: domain.Binding{Kind: "actions", Actions: []domain.QuickAction{{Type: "showModal", Params: json.RawMessage(`{"modalId":"m"}`)}, {Type: "copyToClipboard", Params: json.RawMessage(`{"text":"x"}`)}}}})
	f.do(t, domain.BindEvent{NodeID: "input", Event: "onBlur", Binding: pgScript})
	f.do(t, domain.UnbindEvent{NodeID: "input", Event: "onBlur"})
	f.do(t, domain.SetPageState{InitialState: json.RawMessage(`{"a":[1,2,{"b":null}]}`), ReducerScriptID: "r1"})
	f.do(t, domain.DeleteNode{NodeID: "txt"})
	f.do(t, domain.RenamePage{Name: "Renamed"})
	return f
}

func TestPageFoldCloneAndJSON(t *testing.T) {
	t.Parallel()
	f := pgWorkload(t)

	folded := domain.FoldPage(f.events)
	require.Equal(t, f.p, folded, "folding the log gives the incrementally applied state")

	c := f.p.Clone()
	require.Equal(t, f.p, c)
	c.Nodes["btn"].Props["label"] = json.RawMessage(`"changed"`)
	c.Nodes["btn"].Events["onClick"].Actions[0].Type = "navigate"
	c.Nodes["box"].Styles["padding"] = json.RawMessage(`1`)
	delete(c.Nodes, "tbl")
	c.Apply(&domain.PageNodeMoved{NodeID: "input", ParentID: "box", Index: "a5"})
	require.Equal(t, folded, f.p, "a clone shares nothing mutable with its original")

	b, err := json.Marshal(f.p)
	require.NoError(t, err)
	var back domain.Page
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, f.p, &back, "a page survives a JSON round trip exactly")
	b2, err := json.Marshal(&back)
	require.NoError(t, err)
	require.Equal(t, string(b), string(b2))

	// Events alias nothing: applying more events leaves earlier events untouched.
	snap := pgJSON(t, f.events)
	f.do(t, domain.SetProp{NodeID: "tbl", Path: "columns/0/title", Value: json.RawMessage(`"Other"`)})
	f.do(t, domain.SetStyle{NodeID: "box", Path: "padding", Value: nil})
	require.Equal(t, snap, pgJSON(t, f.events[:len(f.events)-2]))
}

func TestPageEventsEncodeDecode(t *testing.T) {
	t.Parallel()
	f := pgWorkload(t)
	restore, err := f.p.DecideRestore(domain.FoldPage(f.events[:3]), 3, f.env)
	require.NoError(t, err)
	all := append(append([]domain.Event{}, f.events...), restore...)
	all = append(all, &domain.PageDeleted{})
	seen := map[string]bool{}
	for _, e := range all {
		typ, data, version, err := domain.Encode(e)
		require.NoError(t, err)
		require.Equal(t, 1, version)
		back, err := domain.Decode(typ, version, data)
		require.NoError(t, err)
		require.Equal(t, e, back, typ)
		seen[typ] = true
	}
	for _, typ := range []string{"page.created", "page.renamed", "page.deleted", "page.node_inserted", "page.node_moved", "page.subtree_deleted", "page.node_prop_set", "page.node_style_set", "page.event_bound", "page.event_unbound", "page.state_set", "page.restored"} {
		require.True(t, seen[typ], "round trip covers %s", typ)
		require.Contains(t, domain.EventTypes(), typ)
	}
	// Replaying decoded events rebuilds the same state.
	var decoded []domain.Event
	for _, e := range f.events {
		typ, data, v, err := domain.Encode(e)
		require.NoError(t, err)
		d, err := domain.Decode(typ, v, data)
		require.NoError(t, err)
		decoded = append(decoded, d)
	}
	require.Equal(t, f.p, domain.FoldPage(decoded))
}

func TestPageRestore(t *testing.T) {
	t.Parallel()
	f := pgWorkload(t)
	const at = 7 // after the fixture's inserts
	target := domain.FoldPage(f.events[:at])
	head := f.p.Version
	evs, err := f.p.DecideRestore(target, at, f.env)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	r := evs[0].(*domain.PageRestored)
	require.Equal(t, int64(at), r.FromVersion)
	f.p.Apply(r)
	require.Equal(t, head+1, f.p.Version, "restoring appends")
	require.True(t, pgDiffEmpty(domain.DiffPages(target, f.p)), "content equals the target's")
	require.Equal(t, target.Document().Root, f.p.Document().Root)

	t.Run("a deleted page can be restored", func(t *testing.T) {
		g := pgWorkload(t)
		g.do(t, domain.DeletePage{})
		evs, err := g.p.DecideRestore(domain.FoldPage(g.events[:3]), 3, g.env)
		require.NoError(t, err)
		g.p.Apply(evs[0])
		require.True(t, g.p.Exists())
	})
	rejections := []struct {
		name    string
		page    *domain.Page
		target  *domain.Page
		version int64
		kind    error
		code    string
	}{
		{"missing page", &domain.Page{}, target, 1, domain.ErrNotFound, "page_not_found"},
		{"version zero", f.p, target, 0, domain.ErrInvalid, "invalid_version"},
		{"future version", f.p, target, f.p.Version + 1, domain.ErrInvalid, "invalid_version"},
		{"nil target", f.p, nil, 3, domain.ErrInvalid, "invalid_restore_target"},
		{"deleted target", f.p, func() *domain.Page { d := target.Clone(); d.Deleted = true; return d }(), 3, domain.ErrInvalid, "invalid_restore_target"},
		{"another page", f.p, func() *domain.Page { d := target.Clone(); d.ID = "other"; return d }(), 3, domain.ErrInvalid, "invalid_restore_target"},
	}
	for _, tt := range rejections {
		_, err := tt.page.DecideRestore(tt.target, tt.version, f.env)
		requireDomainError(t, err, tt.kind, tt.code, "-")
	}
}

// pgDiffEmpty reads better in assertions.
func pgDiffEmpty(d domain.PageDiff) bool { return d.Empty() }

func TestPageDocument(t *testing.T) {
	t.Parallel()
	f := pgSetup(t)
	f.do(t, domain.BindEvent{NodeID: "btn", Event: "onClick", Binding: pgScript})
	doc := f.p.Document()
	require.Equal(t, "page-1", doc.ID)
	require.Equal(t, "app-1", doc.AppID)
	require.Equal(t, f.p.Version, doc.Version)
	require.Equal(t, "n1", doc.Root.ID)
	require.Equal(t, []string{"btn", "input", "box", "tbl"}, pgIDs(doc.Root.Children))
	require.Equal(t, []string{"txt", "inner"}, pgIDs(doc.Root.Children[2].Children))

	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(pgJSON(t, doc)), &raw))
	for _, k := range []string{"id", "appId", "name", "version", "root", "initialState", "reducerScriptId"} {
		require.Contains(t, raw, k)
	}
	root := raw["root"].(map[string]any)
	for _, k := range []string{"id", "type", "props", "styles", "events", "children"} {
		require.Contains(t, root, k)
	}
	btn := root["children"].([]any)[0].(map[string]any)
	require.Equal(t, map[string]any{"kind": "script", "scriptId": "script-1"}, btn["events"].(map[string]any)["onClick"])
	require.Equal(t, []any{}, btn["children"], "leaves have an empty children list")

	// The document is a copy: later edits do not show through.
	f.do(t, domain.SetProp{NodeID: "btn", Path: "label", Value: json.RawMessage(`"Later"`)})
	require.JSONEq(t, `"Button"`, string(doc.Root.Children[0].Props["label"]))

	// Ties on index fall back to the id.
	g := pgSetup(t)
	g.p.Apply(&domain.PageNodeMoved{NodeID: "tbl", ParentID: "n1", Index: g.p.Nodes["btn"].Index})
	require.Equal(t, []string{"btn", "tbl", "input", "box"}, pgIDs(g.p.Document().Root.Children))

	require.Nil(t, (&domain.Page{}).Document().Root)
}

func TestDecodePageOp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		want domain.PageCommand
	}{
		{`{"op":"insert_node","nodeId":"b1","parentId":"root","index":"a1","type":"Button","props":{"label":"Hi"}}`,
			domain.InsertNode{NodeID: "b1", ParentID: "root", Index: "a1", Type: "Button", Props: map[string]json.RawMessage{"label": json.RawMessage(`"Hi"`)}}},
		{`{"op":"insert_node","type":"Text"}`, domain.InsertNode{Type: "Text"}},
		{`{"op":"move_node","nodeId":"b1","parentId":"box","index":"a2"}`, domain.MoveNode{NodeID: "b1", ParentID: "box", Index: "a2"}},
		{`{"op":"delete_node","nodeId":"b1"}`, domain.DeleteNode{NodeID: "b1"}},
		{`{"op":"set_prop","nodeId":"b1","path":"columns/0/title","value":"T"}`, domain.SetProp{NodeID: "b1", Path: "columns/0/title", Value: json.RawMessage(`"T"`)}},
		{`{"op":"set_prop","nodeId":"b1","path":"label","value":null}`, domain.SetProp{NodeID: "b1", Path: "label", Value: json.RawMessage(`null`)}},
		{`{"op":"set_style","nodeId":"b1","path":"color","value":"red"}`, domain.SetStyle{NodeID: "b1", Path: "color", Value: json.RawMessage(`"red"`)}},
		{`{"op":"bind_event","nodeId":"b1","event":"onClick","binding":{"kind":"actions","actions":[{"type":"navigate","params":{"pageId":"p2"}}]}}`,
			domain.BindEvent{NodeID: "b1", Event: "onClick", Binding: domain.Binding{Kind: "actions", Actions: []domain.QuickAction{{Type: "navigate", Params: json.RawMessage(`{"pageId":"p2"}`)}}}}},
		{`{"op":"unbind_event","nodeId":"b1","event":"onClick"}`, domain.UnbindEvent{NodeID: "b1", Event: "onClick"}},
		{`{"op":"set_page_state","initialState":{"n":1},"reducerScriptId":"r1"}`, domain.SetPageState{InitialState: json.RawMessage(`{"n":1}`), ReducerScriptID: "r1"}},
		{`{"op":"rename_page","name":"Home"}`, domain.RenamePage{Name: "Home"}},
	}
	for _, tt := range tests {
		got, err := domain.DecodePageOp(json.RawMessage(tt.raw))
		require.NoError(t, err, tt.raw)
		require.Equal(t, tt.want, got, tt.raw)
	}
	bad := []struct {
		raw, code, path string
	}{
		{`{"op":"explode"}`, "unknown_op", "/op"},
		{`{"nodeId":"b1"}`, "unknown_op", "/op"},
		{`{"op":"insert_node"`, "invalid_json", ""},
		{`[1,2]`, "invalid_json", ""},
		{`"set_prop"`, "invalid_json", ""},
		{``, "invalid_json", ""},
		{`{"op":"set_prop","nodeId":7}`, "invalid_json", ""},
		{`{"op":"insert_node"}`, "required", "/type"},
		{`{"op":"move_node","parentId":"x"}`, "required", "/nodeId"},
		{`{"op":"delete_node"}`, "required", "/nodeId"},
		{`{"op":"set_prop","nodeId":"b1","value":1}`, "required", "/path"},
		{`{"op":"set_prop","nodeId":"b1","path":"label"}`, "required", "/value"},
		{`{"op":"set_style","path":"color","value":"red"}`, "required", "/nodeId"},
		{`{"op":"bind_event","nodeId":"b1","event":"onClick"}`, "required", "/binding"},
		{`{"op":"bind_event","nodeId":"b1","binding":{"kind":"script","scriptId":"s"}}`, "required", "/event"},
		{`{"op":"unbind_event","nodeId":"b1"}`, "required", "/event"},
	}
	for _, tt := range bad {
		_, err := domain.DecodePageOp(json.RawMessage(tt.raw))
		requireDomainError(t, err, domain.ErrInvalid, tt.code, tt.path)
	}
	// Every decoded op is accepted by Decide on a suitable page.
	f := pgSetup(t)
	op, err := domain.DecodePageOp(json.RawMessage(`{"op":"set_prop","nodeId":"btn","path":"label","value":"Via wire"}`))
	require.NoError(t, err)
	f.do(t, op)
	require.Equal(t, `"Via wire"`, string(f.p.Nodes["btn"].Props["label"]))
	require.True(t, reflect.DeepEqual(domain.PageOpNames, []string{"insert_node", "move_node", "delete_node", "set_prop", "set_style", "bind_event", "unbind_event", "set_page_state", "rename_page"}))
}

func TestPageCommandPointers(t *testing.T) {
	t.Parallel()
	f := pgSetup(t)
	f.do(t, &domain.SetProp{NodeID: "btn", Path: "label", Value: json.RawMessage(`"Ptr"`)})
	f.do(t, &domain.MoveNode{NodeID: "btn", ParentID: "box"})
	require.Equal(t, "box", f.p.Nodes["btn"].ParentID)
}

func TestPageWithoutCatalogInEnv(t *testing.T) {
	t.Parallel()
	f := pgSetup(t)
	env := f.env
	env.Components = nil
	evs, err := f.p.Decide(domain.SetProp{NodeID: "btn", Path: "variant", Value: json.RawMessage(`"huge"`)}, env)
	requireDomainError(t, err, domain.ErrInvalid, "invalid_prop", "/nodes/btn/props/variant")
	require.Nil(t, evs)
	env.NewID = nil
	_, err = f.p.Decide(domain.InsertNode{Type: "Text"}, env)
	requireDomainError(t, err, domain.ErrInvalid, "no_id_source", "")
}

// pgBigPage builds a page of about n nodes (containers of ten buttons each) and returns it with
// its events.
func pgBigPage(b *testing.B, n int) (*domain.Page, domain.Env, []domain.Event) {
	b.Helper()
	c, err := domain.DefaultCatalog()
	require.NoError(b, err)
	i := 0
	env := domain.Env{NewID: func() string { i++; return fmt.Sprintf("id-%d", i) }, Components: c}
	p := &domain.Page{}
	var all []domain.Event
	do := func(cmd domain.PageCommand) {
		evs, err := p.Decide(cmd, env)
		require.NoError(b, err)
		for _, e := range evs {
			p.Apply(e)
		}
		all = append(all, evs...)
	}
	do(domain.CreatePage{PageID: "big", AppID: "app", Name: "Big"})
	for len(p.Nodes) < n {
		box := fmt.Sprintf("box-%d", len(p.Nodes))
		do(domain.InsertNode{NodeID: box, Type: "Container"})
		for j := 0; j < 10; j++ {
			do(domain.InsertNode{NodeID: fmt.Sprintf("%s-b%d", box, j), ParentID: box, Type: "Button"})
		}
	}
	return p, env, all
}

func BenchmarkPageDocument2000(b *testing.B) {
	p, _, _ := pgBigPage(b, 2000)
	b.ResetTimer()
	for b.Loop() {
		_ = p.Document()
	}
}

func BenchmarkPageFold(b *testing.B) {
	p, env, all := pgBigPage(b, 2000)
	for len(all) < 10000 {
		evs, err := p.Decide(domain.SetProp{NodeID: "box-1-b3", Path: "label", Value: json.RawMessage(fmt.Sprintf(`"L%d"`, len(all)))}, env)
		require.NoError(b, err)
		p.Apply(evs[0])
		all = append(all, evs...)
	}
	b.ResetTimer()
	for b.Loop() {
		_ = domain.FoldPage(all)
	}
	b.ReportMetric(float64(len(all)), "events/fold")
}

func BenchmarkPageDecide2000(b *testing.B) {
	p, env, _ := pgBigPage(b, 2000)
	cmds := []domain.PageCommand{
		domain.SetProp{NodeID: "box-1-b3", Path: "label", Value: json.RawMessage(`"x"`)},
		domain.MoveNode{NodeID: "box-1-b3", ParentID: "box-12"},
		domain.InsertNode{NodeID: "new", ParentID: "box-12", Type: "Button"},
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := p.Decide(cmds[i%len(cmds)], env); err != nil {
			b.Fatal(err)
		}
	}
}
