package domain

import (
	"encoding/json"
	"maps"
	"slices"
)

// Page is the state of one page: a tree of component nodes keyed by id, plus page state. Unlike
// the small aggregates it evolves in place (pages hold thousands of nodes and tens of thousands
// of events, so copying on every event would dominate a fold); use Clone to keep a version.
//
// Invariants kept by Decide: every node but the root has an existing parent that accepts
// children; stored JSON values are canonical (see nodeJSONCanon) and never mutated in place, so
// they may be shared between clones, events and documents.
type Page struct {
	ID              string           `json:"id"`
	AppID           string           `json:"appId"`
	Name            string           `json:"name"`
	Version         int64            `json:"version"`
	Deleted         bool             `json:"deleted"`
	Nodes           map[string]*Node `json:"nodes"`
	RootID          string           `json:"rootId"`
	InitialState    json.RawMessage  `json:"initialState,omitempty"`
	ReducerScriptID string           `json:"reducerScriptId"`
}

// Node is one component instance on a page.
type Node struct {
	ID       string                     `json:"id"`
	Type     string                     `json:"type"`
	ParentID string                     `json:"parentId"`
	Index    string                     `json:"index"` // fractional key among its siblings
	Props    map[string]json.RawMessage `json:"props"`
	Styles   map[string]json.RawMessage `json:"styles"`
	Events   map[string]Binding         `json:"events"`
}

// Binding kinds: what runs when a component event fires.
const (
	BindingScript   = "script"   // a JS event handler script
	BindingActions  = "actions"  // a list of quick actions, no code
	BindingWorkflow = "workflow" // a backend Lua workflow
)

// Binding attaches a handler to a component event.
type Binding struct {
	Kind       string        `json:"kind"`
	ScriptID   string        `json:"scriptId,omitempty"`
	Actions    []QuickAction `json:"actions,omitempty"`
	WorkflowID string        `json:"workflowId,omitempty"`
}

// QuickAction is one step of an "actions" binding (navigate, setState, runQuery, showModal, ...;
// the catalog lists them with their params schemas).
type QuickAction struct {
	Type   string          `json:"type"`
	Params json.RawMessage `json:"params,omitempty"`
}

// Exists reports whether the page was created and not deleted.
func (p *Page) Exists() bool { return p != nil && p.ID != "" && !p.Deleted }

// pageEvents lists the events of this aggregate.
var pageEvents = []eventDef{
	{event: &PageCreated{}},
	{event: &PageRenamed{}},
	{event: &PageDeleted{}},
	{event: &PageNodeInserted{}},
	{event: &PageNodeMoved{}},
	{event: &PageSubtreeDeleted{}},
	{event: &PageNodePropSet{}},
	{event: &PageNodeStyleSet{}},
	{event: &PageEventBound{}},
	{event: &PageEventUnbound{}},
	{event: &PageStateSet{}},
	{event: &PageRestored{}},
}

// PageCreated starts a page with its root node.
type PageCreated struct {
	PageID string `json:"pageId"`
	AppID  string `json:"appId"`
	Name   string `json:"name"`
	Root   Node   `json:"root"`
}

// PageRenamed changes the page's name.
type PageRenamed struct {
	Name string `json:"name"`
}

// PageDeleted marks the page deleted; its history stays.
type PageDeleted struct{}

// PageNodeInserted adds a subtree: Nodes[0] is the inserted node, the rest its template
// children, parents before children.
type PageNodeInserted struct {
	Nodes []Node `json:"nodes"`
}

// PageNodeMoved re-parents and/or re-orders one node.
type PageNodeMoved struct {
	NodeID   string `json:"nodeId"`
	ParentID string `json:"parentId"`
	Index    string `json:"index"`
}

// PageSubtreeDeleted removes a node and its descendants (NodeIDs lists all, the node first).
type PageSubtreeDeleted struct {
	NodeID  string   `json:"nodeId"`
	NodeIDs []string `json:"nodeIds"`
}

// PageNodePropSet sets (or, with a null Value, removes) a prop value at Path.
type PageNodePropSet struct {
	NodeID string          `json:"nodeId"`
	Path   string          `json:"path"`
	Value  json.RawMessage `json:"value"`
}

// PageNodeStyleSet sets (or, with a null Value, removes) one style property.
type PageNodeStyleSet struct {
	NodeID string          `json:"nodeId"`
	Path   string          `json:"path"`
	Value  json.RawMessage `json:"value"`
}

// PageEventBound attaches (or replaces) a handler on a component event.
type PageEventBound struct {
	NodeID  string  `json:"nodeId"`
	Event   string  `json:"event"`
	Binding Binding `json:"binding"`
}

// PageEventUnbound removes a handler.
type PageEventUnbound struct {
	NodeID string `json:"nodeId"`
	Event  string `json:"event"`
}

// PageStateSet sets the page's initial state and reducer script.
type PageStateSet struct {
	InitialState    json.RawMessage `json:"initialState"`
	ReducerScriptID string          `json:"reducerScriptId"`
}

// PageRestored replaces the page's content with its content at FromVersion (restoring appends;
// history is never rewritten).
type PageRestored struct {
	FromVersion     int64            `json:"fromVersion"`
	Name            string           `json:"name"`
	RootID          string           `json:"rootId"`
	Nodes           map[string]*Node `json:"nodes"`
	InitialState    json.RawMessage  `json:"initialState,omitempty"`
	ReducerScriptID string           `json:"reducerScriptId"`
}

func (*PageCreated) EventType() string        { return "page.created" }
func (*PageRenamed) EventType() string        { return "page.renamed" }
func (*PageDeleted) EventType() string        { return "page.deleted" }
func (*PageNodeInserted) EventType() string   { return "page.node_inserted" }
func (*PageNodeMoved) EventType() string      { return "page.node_moved" }
func (*PageSubtreeDeleted) EventType() string { return "page.subtree_deleted" }
func (*PageNodePropSet) EventType() string    { return "page.node_prop_set" }
func (*PageNodeStyleSet) EventType() string   { return "page.node_style_set" }
func (*PageEventBound) EventType() string     { return "page.event_bound" }
func (*PageEventUnbound) EventType() string   { return "page.event_unbound" }
func (*PageStateSet) EventType() string       { return "page.state_set" }
func (*PageRestored) EventType() string       { return "page.restored" }

// FoldPage applies events in order to an empty page.
func FoldPage(events []Event) *Page { return fold[Page](events) }

// Apply evolves the page in place by one event and counts it in Version. It never fails:
// unknown events only advance the version, and values are copied so that later edits of the
// page never reach back into the event.
func (p *Page) Apply(e Event) {
	p.Version++
	switch e := e.(type) {
	case *PageCreated:
		p.ID, p.AppID, p.Name = e.PageID, e.AppID, e.Name
		p.Deleted = false
		p.Nodes = map[string]*Node{}
		root := e.Root.clone()
		p.Nodes[root.ID] = root
		p.RootID = root.ID
		p.InitialState = json.RawMessage(`{}`)
		p.ReducerScriptID = ""
	case *PageRenamed:
		p.Name = e.Name
	case *PageDeleted:
		p.Deleted = true
	case *PageNodeInserted:
		p.ensureNodes()
		for i := range e.Nodes {
			n := e.Nodes[i].clone()
			p.Nodes[n.ID] = n
		}
	case *PageNodeMoved:
		if n := p.Nodes[e.NodeID]; n != nil {
			n.ParentID, n.Index = e.ParentID, e.Index
		}
	case *PageSubtreeDeleted:
		for _, id := range e.NodeIDs {
			delete(p.Nodes, id)
		}
	case *PageNodePropSet:
		n := p.Nodes[e.NodeID]
		if n == nil {
			return
		}
		segs, err := propPathSplit(e.Path)
		if err != nil {
			return
		}
		v, err := propSetAt(n.Props[segs[0]], segs[1:], e.Value)
		if err != nil {
			return
		}
		if n.Props == nil {
			n.Props = map[string]json.RawMessage{}
		}
		if v == nil {
			delete(n.Props, segs[0])
		} else {
			n.Props[segs[0]] = v
		}
	case *PageNodeStyleSet:
		n := p.Nodes[e.NodeID]
		if n == nil {
			return
		}
		key := pageStyleKey(e.Path)
		if n.Styles == nil {
			n.Styles = map[string]json.RawMessage{}
		}
		if nodeJSONNull(e.Value) {
			delete(n.Styles, key)
		} else {
			n.Styles[key] = e.Value
		}
	case *PageEventBound:
		if n := p.Nodes[e.NodeID]; n != nil {
			if n.Events == nil {
				n.Events = map[string]Binding{}
			}
			n.Events[e.Event] = e.Binding.clone()
		}
	case *PageEventUnbound:
		if n := p.Nodes[e.NodeID]; n != nil {
			delete(n.Events, e.Event)
		}
	case *PageStateSet:
		p.InitialState = e.InitialState
		p.ReducerScriptID = e.ReducerScriptID
	case *PageRestored:
		p.Deleted = false
		p.Name = e.Name
		p.RootID = e.RootID
		p.Nodes = make(map[string]*Node, len(e.Nodes))
		for id, n := range e.Nodes {
			p.Nodes[id] = n.clone()
		}
		p.InitialState = e.InitialState
		p.ReducerScriptID = e.ReducerScriptID
	}
}

func (p *Page) ensureNodes() {
	if p.Nodes == nil {
		p.Nodes = map[string]*Node{}
	}
}

// pageStyleKey turns a style path ("color" or "/color") into its key.
func pageStyleKey(path string) string {
	if len(path) > 0 && path[0] == '/' {
		return path[1:]
	}
	return path
}

// Clone returns a deep copy that shares nothing mutable with p.
func (p *Page) Clone() *Page {
	if p == nil {
		return nil
	}
	c := *p
	if p.Nodes != nil {
		c.Nodes = make(map[string]*Node, len(p.Nodes))
		for id, n := range p.Nodes {
			c.Nodes[id] = n.clone()
		}
	}
	return &c
}

func (n *Node) clone() *Node {
	c := *n
	c.Props = maps.Clone(n.Props)
	c.Styles = maps.Clone(n.Styles)
	if c.Props == nil {
		c.Props = map[string]json.RawMessage{}
	}
	if c.Styles == nil {
		c.Styles = map[string]json.RawMessage{}
	}
	c.Events = make(map[string]Binding, len(n.Events))
	for k, b := range n.Events {
		c.Events[k] = b.clone()
	}
	return &c
}

func (b Binding) clone() Binding {
	b.Actions = slices.Clone(b.Actions)
	return b
}
