package domain_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
)

func TestDiffPages(t *testing.T) {
	t.Parallel()
	f := pgSetup(t)
	from := f.p.Clone()
	f.do(t, domain.RenamePage{Name: "Landing"})
	f.do(t, domain.InsertNode{NodeID: "img", ParentID: "box", Type: "Image"})
	f.do(t, domain.DeleteNode{NodeID: "txt"})
	f.do(t, domain.MoveNode{NodeID: "btn", ParentID: "inner"})
	f.do(t, domain.MoveNode{NodeID: "tbl", Index: "Zz"})
	f.do(t, domain.SetProp{NodeID: "btn", Path: "label", Value: json.RawMessage(`"Save"`)})
	f.do(t, domain.SetProp{NodeID: "btn", Path: "size", Value: nil})
	f.do(t, domain.SetProp{NodeID: "btn", Path: "icon", Value: json.RawMessage(`"check"`)})
	f.do(t, domain.SetProp{NodeID: "input", Path: "label", Value: json.RawMessage(`"Label"`)}) // unchanged value
	f.do(t, domain.SetStyle{NodeID: "box", Path: "color", Value: json.RawMessage(`"red"`)})
	f.do(t, domain.BindEvent{NodeID: "btn", Event: "onClick", Binding: pgScript})
	f.do(t, domain.SetPageState{InitialState: json.RawMessage(`{"n":1}`), ReducerScriptID: "r1"})
	to := f.p

	d := domain.DiffPages(from, to)
	require.False(t, d.Empty())
	require.Equal(t, &domain.NameChange{From: "Home", To: "Landing"}, d.Renamed)
	require.NotNil(t, d.StateChanged)
	require.Equal(t, `{}`, string(d.StateChanged.InitialStateFrom))
	require.Equal(t, `{"n":1}`, string(d.StateChanged.InitialStateTo))
	require.Equal(t, "r1", d.StateChanged.ReducerScriptIDTo)
	require.Equal(t, []domain.NodeSummary{{NodeID: "img", Type: "Image", ParentID: "box", Index: to.Nodes["img"].Index}}, d.Added)
	require.Equal(t, []domain.NodeSummary{{NodeID: "txt", Type: "Text", ParentID: "box", Index: from.Nodes["txt"].Index}}, d.Removed)
	require.Equal(t, []domain.NodeMove{
		{NodeID: "btn", FromParentID: "n1", ToParentID: "inner", FromIndex: from.Nodes["btn"].Index, ToIndex: to.Nodes["btn"].Index},
		{NodeID: "tbl", FromParentID: "n1", ToParentID: "n1", FromIndex: from.Nodes["tbl"].Index, ToIndex: "Zz"},
	}, d.Moved)
	require.Equal(t, []domain.FieldChange{
		{NodeID: "btn", Path: "icon", To: json.RawMessage(`"check"`)},
		{NodeID: "btn", Path: "label", From: json.RawMessage(`"Button"`), To: json.RawMessage(`"Save"`)},
		{NodeID: "btn", Path: "size", From: json.RawMessage(`"md"`)},
	}, d.PropsChanged)
	require.Equal(t, []domain.FieldChange{{NodeID: "box", Path: "color", To: json.RawMessage(`"red"`)}}, d.StylesChanged)
	require.Len(t, d.EventsChanged, 1)
	require.Equal(t, "btn", d.EventsChanged[0].NodeID)
	require.Nil(t, d.EventsChanged[0].From)
	require.Equal(t, &pgScript, d.EventsChanged[0].To)

	// Deterministic and JSON-serialisable.
	require.Equal(t, pgJSON(t, d), pgJSON(t, domain.DiffPages(from, to)))
	var back domain.PageDiff
	require.NoError(t, json.Unmarshal([]byte(pgJSON(t, d)), &back))
	require.Equal(t, d, back)

	// The reverse diff swaps the sides.
	r := domain.DiffPages(to, from)
	require.Equal(t, d.Added, r.Removed)
	require.Equal(t, d.Removed, r.Added)
	require.Equal(t, "Landing", r.Renamed.From)
}

func TestDiffPagesEmpty(t *testing.T) {
	t.Parallel()
	f := pgSetup(t)
	d := domain.DiffPages(f.p, f.p.Clone())
	require.True(t, d.Empty())
	require.JSONEq(t, `{"added":[],"removed":[],"moved":[],"propsChanged":[],"stylesChanged":[],"eventsChanged":[]}`, pgJSON(t, d))

	// From nothing: every node is added.
	d = domain.DiffPages(nil, f.p)
	require.Len(t, d.Added, len(f.p.Nodes))
	require.Equal(t, "box", d.Added[0].NodeID, "sorted by node id")
	require.Empty(t, d.Removed)
}

func TestDiffPagesUnbindAndReplace(t *testing.T) {
	t.Parallel()
	f := pgSetup(t)
	f.do(t, domain.BindEvent{NodeID: "btn", Event: "onClick", Binding: pgScript})
	f.do(t, domain.BindEvent{NodeID: "input", Event: "onBlur", Binding: pgScript})
	from := f.p.Clone()
	f.do(t, domain.UnbindEvent{NodeID: "btn", Event: "onClick"})
	f.do(t, domain.BindEvent{NodeID: "input", Event: "onBlur", Binding: domain.Binding{Kind: "workflow", WorkflowID: "wf"}})
	d := domain.DiffPages(from, f.p)
	require.Len(t, d.EventsChanged, 2)
	require.Equal(t, "btn", d.EventsChanged[0].NodeID)
	require.NotNil(t, d.EventsChanged[0].From)
	require.Nil(t, d.EventsChanged[0].To)
	require.Equal(t, "input", d.EventsChanged[1].NodeID)
	require.Equal(t, "workflow", d.EventsChanged[1].To.Kind)
}

func TestSummarizeEvents(t *testing.T) {
	t.Parallel()
	f := pgSetup(t)
	run := func(cmds ...domain.PageCommand) []domain.Event {
		var out []domain.Event
		for _, c := range cmds {
			out = append(out, f.do(t, c)...)
		}
		return out
	}
	tests := []struct {
		name   string
		events func() []domain.Event
		want   string
	}{
		{"nothing", func() []domain.Event { return nil }, "no changes"},
		{"created", func() []domain.Event { return f.events[:1] }, `created page "Home"`},
		{"one prop", func() []domain.Event {
			return run(domain.SetProp{NodeID: "btn", Path: "label", Value: json.RawMessage(`"A"`)})
		}, "set label on btn"},
		{"props on one node, moves", func() []domain.Event {
			return run(
				domain.SetProp{NodeID: "btn", Path: "label", Value: json.RawMessage(`"B"`)},
				domain.SetProp{NodeID: "btn", Path: "variant", Value: json.RawMessage(`"danger"`)},
				domain.MoveNode{NodeID: "btn", ParentID: "box"},
				domain.MoveNode{NodeID: "input", ParentID: "box"},
			)
		}, "set label, variant on btn; moved 2 nodes"},
		{"props on several nodes", func() []domain.Event {
			return run(
				domain.SetProp{NodeID: "btn", Path: "label", Value: json.RawMessage(`"C"`)},
				domain.SetProp{NodeID: "input", Path: "label", Value: json.RawMessage(`"D"`)},
			)
		}, "set 1 prop on 2 nodes"},
		{"insert, style, bind", func() []domain.Event {
			return run(
				domain.InsertNode{NodeID: "h1", Type: "Heading"},
				domain.SetStyle{NodeID: "h1", Path: "color", Value: json.RawMessage(`"red"`)},
				domain.BindEvent{NodeID: "h1", Event: "onClick", Binding: pgScript},
			)
		}, "inserted Heading h1; styled color on h1; bound onClick on h1"},
		{"several inserts and a subtree delete", func() []domain.Event {
			return run(
				domain.InsertNode{NodeID: "a", Type: "Text"},
				domain.InsertNode{NodeID: "b", Type: "Text"},
				domain.DeleteNode{NodeID: "inner"},
			)
		}, "inserted 2 nodes; deleted inner"},
		{"delete with descendants", func() []domain.Event {
			return run(domain.DeleteNode{NodeID: "box"})
		}, "deleted box and 3 descendants"},
		{"page level", func() []domain.Event {
			return run(
				domain.RenamePage{Name: "Start"},
				domain.SetPageState{InitialState: json.RawMessage(`{}`)},
				domain.UnbindEvent{NodeID: "h1", Event: "onClick"},
			)
		}, `renamed page to "Start"; changed page state; unbound onClick on h1`},
		{"restore", func() []domain.Event {
			evs, err := f.p.DecideRestore(domain.FoldPage(f.events[:2]), 2, f.env)
			require.NoError(t, err)
			return evs
		}, "restored version 2"},
	}
	// Subtests share the fixture and build on each other, so they run in order.
	for _, tt := range tests {
		require.Equal(t, tt.want, domain.SummarizeEvents(tt.events()), tt.name)
	}
}
