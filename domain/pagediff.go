package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// PageDiff is the structural difference between two versions of a page. Every list is sorted
// (by node id, then path) so the same two versions always give the same diff.
type PageDiff struct {
	Renamed       *NameChange   `json:"renamed,omitempty"`
	StateChanged  *StateChange  `json:"stateChanged,omitempty"`
	Added         []NodeSummary `json:"added"`
	Removed       []NodeSummary `json:"removed"`
	Moved         []NodeMove    `json:"moved"`
	PropsChanged  []FieldChange `json:"propsChanged"`
	StylesChanged []FieldChange `json:"stylesChanged"`
	EventsChanged []EventChange `json:"eventsChanged"`
}

// NameChange is a renamed page.
type NameChange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// StateChange is a change of the page's initial state and/or reducer script.
type StateChange struct {
	InitialStateFrom    json.RawMessage `json:"initialStateFrom"`
	InitialStateTo      json.RawMessage `json:"initialStateTo"`
	ReducerScriptIDFrom string          `json:"reducerScriptIdFrom"`
	ReducerScriptIDTo   string          `json:"reducerScriptIdTo"`
}

// NodeSummary names a node that was added or removed.
type NodeSummary struct {
	NodeID   string `json:"nodeId"`
	Type     string `json:"type"`
	ParentID string `json:"parentId"`
	Index    string `json:"index"`
}

// NodeMove is a node whose parent or index changed.
type NodeMove struct {
	NodeID       string `json:"nodeId"`
	FromParentID string `json:"fromParentId"`
	ToParentID   string `json:"toParentId"`
	FromIndex    string `json:"fromIndex"`
	ToIndex      string `json:"toIndex"`
}

// FieldChange is one prop or style of a node present in both versions; From or To is absent
// (omitted) when the field did not exist on that side.
type FieldChange struct {
	NodeID string          `json:"nodeId"`
	Path   string          `json:"path"`
	From   json.RawMessage `json:"from,omitempty"`
	To     json.RawMessage `json:"to,omitempty"`
}

// EventChange is a handler bound, unbound or replaced.
type EventChange struct {
	NodeID string   `json:"nodeId"`
	Event  string   `json:"event"`
	From   *Binding `json:"from,omitempty"`
	To     *Binding `json:"to,omitempty"`
}

// Empty reports whether the two versions are the same.
func (d PageDiff) Empty() bool {
	return d.Renamed == nil && d.StateChanged == nil && len(d.Added) == 0 && len(d.Removed) == 0 &&
		len(d.Moved) == 0 && len(d.PropsChanged) == 0 && len(d.StylesChanged) == 0 && len(d.EventsChanged) == 0
}

// DiffPages compares two versions of a page (nil means an empty page). Props and styles are
// compared per top-level key; props and styles of added or removed nodes are not listed.
func DiffPages(from, to *Page) PageDiff {
	if from == nil {
		from = &Page{}
	}
	if to == nil {
		to = &Page{}
	}
	d := PageDiff{Added: []NodeSummary{}, Removed: []NodeSummary{}, Moved: []NodeMove{}, PropsChanged: []FieldChange{}, StylesChanged: []FieldChange{}, EventsChanged: []EventChange{}}
	if from.Name != to.Name {
		d.Renamed = &NameChange{From: from.Name, To: to.Name}
	}
	if !diffJSONEqual(from.InitialState, to.InitialState) || from.ReducerScriptID != to.ReducerScriptID {
		d.StateChanged = &StateChange{InitialStateFrom: from.InitialState, InitialStateTo: to.InitialState, ReducerScriptIDFrom: from.ReducerScriptID, ReducerScriptIDTo: to.ReducerScriptID}
	}
	for _, id := range slices.Sorted(maps.Keys(to.Nodes)) {
		b := to.Nodes[id]
		a := from.Nodes[id]
		if a == nil {
			d.Added = append(d.Added, NodeSummary{NodeID: id, Type: b.Type, ParentID: b.ParentID, Index: b.Index})
			continue
		}
		if a.ParentID != b.ParentID || a.Index != b.Index {
			d.Moved = append(d.Moved, NodeMove{NodeID: id, FromParentID: a.ParentID, ToParentID: b.ParentID, FromIndex: a.Index, ToIndex: b.Index})
		}
		d.PropsChanged = appendFieldChanges(d.PropsChanged, id, a.Props, b.Props)
		d.StylesChanged = appendFieldChanges(d.StylesChanged, id, a.Styles, b.Styles)
		for _, ev := range slices.Sorted(maps.Keys(diffUnionKeys(a.Events, b.Events))) {
			x, inA := a.Events[ev]
			y, inB := b.Events[ev]
			if inA && inB && reflect.DeepEqual(diffNormBinding(x), diffNormBinding(y)) {
				continue
			}
			ch := EventChange{NodeID: id, Event: ev}
			if inA {
				x := x.clone()
				ch.From = &x
			}
			if inB {
				y := y.clone()
				ch.To = &y
			}
			d.EventsChanged = append(d.EventsChanged, ch)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(from.Nodes)) {
		if to.Nodes[id] == nil {
			a := from.Nodes[id]
			d.Removed = append(d.Removed, NodeSummary{NodeID: id, Type: a.Type, ParentID: a.ParentID, Index: a.Index})
		}
	}
	return d
}

func diffUnionKeys[V any](a, b map[string]V) map[string]struct{} {
	out := make(map[string]struct{}, len(a)+len(b))
	for k := range a {
		out[k] = struct{}{}
	}
	for k := range b {
		out[k] = struct{}{}
	}
	return out
}

// diffNormBinding makes nil and empty action lists and params compare equal.
func diffNormBinding(b Binding) Binding {
	b = b.clone()
	if len(b.Actions) == 0 {
		b.Actions = nil
	}
	for i := range b.Actions {
		if nodeJSONNull(b.Actions[i].Params) {
			b.Actions[i].Params = nil
		} else if c, err := nodeJSONCanon(b.Actions[i].Params); err == nil {
			b.Actions[i].Params = c
		}
	}
	return b
}

func appendFieldChanges(out []FieldChange, id string, a, b map[string]json.RawMessage) []FieldChange {
	for _, k := range slices.Sorted(maps.Keys(diffUnionKeys(a, b))) {
		x, y := a[k], b[k]
		if diffJSONEqual(x, y) {
			continue
		}
		out = append(out, FieldChange{NodeID: id, Path: k, From: x, To: y})
	}
	return out
}

// diffJSONEqual compares two JSON values; stored values are canonical, so bytes usually decide, and
// the slow path only runs for values that differ in form.
func diffJSONEqual(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// SummarizeEvents describes a batch of page events in a short line for version history, such
// as "set label on button-3; moved 2 nodes".
func SummarizeEvents(events []Event) string {
	type group struct {
		count int
		nodes []string // distinct node ids, first-seen order
		names []string // distinct detail names (props, styles, events), first-seen order
		event Event    // the first event of the group
	}
	var order []string
	groups := map[string]*group{}
	add := func(key string, e Event, node, name string) {
		g := groups[key]
		if g == nil {
			g = &group{event: e}
			groups[key] = g
			order = append(order, key)
		}
		g.count++
		if node != "" && !slices.Contains(g.nodes, node) {
			g.nodes = append(g.nodes, node)
		}
		if name != "" && !slices.Contains(g.names, name) {
			g.names = append(g.names, name)
		}
	}
	for _, e := range events {
		switch e := e.(type) {
		case *PageNodePropSet:
			add("prop", e, e.NodeID, e.Path)
		case *PageNodeStyleSet:
			add("style", e, e.NodeID, e.Path)
		case *PageNodeInserted:
			id := ""
			if len(e.Nodes) > 0 {
				id = e.Nodes[0].ID
			}
			add("insert", e, id, "")
		case *PageNodeMoved:
			add("move", e, e.NodeID, "")
		case *PageSubtreeDeleted:
			add("delete", e, e.NodeID, "")
		case *PageEventBound:
			add("bind", e, e.NodeID, e.Event)
		case *PageEventUnbound:
			add("unbind", e, e.NodeID, e.Event)
		case nil:
		default:
			add(e.EventType(), e, "", "")
		}
	}
	if len(order) == 0 {
		return "no changes"
	}
	plural := func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	names := func(g *group) string {
		if len(g.names) <= 3 {
			return strings.Join(g.names, ", ")
		}
		return strings.Join(g.names[:3], ", ") + fmt.Sprintf(" and %d more", len(g.names)-3)
	}
	// detail renders "<verb> <names> on <node>" for one node, counts otherwise.
	detail := func(g *group, verb, noun, nouns string) string {
		if len(g.nodes) == 1 {
			return fmt.Sprintf("%s %s on %s", verb, names(g), g.nodes[0])
		}
		return fmt.Sprintf("%s %s on %s", verb, plural(len(g.names), noun, nouns), plural(len(g.nodes), "node", "nodes"))
	}
	parts := make([]string, 0, len(order))
	for _, key := range order {
		g := groups[key]
		var s string
		switch key {
		case "prop":
			s = detail(g, "set", "prop", "props")
		case "style":
			s = detail(g, "styled", "property", "properties")
		case "bind":
			s = detail(g, "bound", "event", "events")
		case "unbind":
			s = detail(g, "unbound", "event", "events")
		case "insert":
			if g.count == 1 {
				ins := g.event.(*PageNodeInserted)
				s = fmt.Sprintf("inserted %s %s", ins.Nodes[0].Type, ins.Nodes[0].ID)
			} else {
				s = "inserted " + plural(g.count, "node", "nodes")
			}
		case "move":
			if len(g.nodes) == 1 {
				s = "moved " + g.nodes[0]
			} else {
				s = "moved " + plural(len(g.nodes), "node", "nodes")
			}
		case "delete":
			if g.count == 1 {
				del := g.event.(*PageSubtreeDeleted)
				s = "deleted " + del.NodeID
				if n := len(del.NodeIDs) - 1; n > 0 {
					s += fmt.Sprintf(" and %s", plural(n, "descendant", "descendants"))
				}
			} else {
				s = "deleted " + plural(g.count, "subtree", "subtrees")
			}
		default:
			s = summarizeOther(g.event, g.count)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func summarizeOther(e Event, count int) string {
	switch e := e.(type) {
	case *PageCreated:
		return fmt.Sprintf("created page %q", e.Name)
	case *PageRenamed:
		return fmt.Sprintf("renamed page to %q", e.Name)
	case *PageDeleted:
		return "deleted page"
	case *PageStateSet:
		return "changed page state"
	case *PageRestored:
		return fmt.Sprintf("restored version %d", e.FromVersion)
	}
	if count == 1 {
		return e.EventType()
	}
	return fmt.Sprintf("%s ×%d", e.EventType(), count)
}
