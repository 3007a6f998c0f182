package domain

import (
	"bytes"
	"cmp"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// PageCommand is an edit of a page; Page.Decide turns it into events or a rejection.
type PageCommand interface{ isPageCommand() }

// CreatePage starts a page with a root Container node (its id from Env.NewID).
type CreatePage struct{ PageID, AppID, Name string }

// RenamePage changes the page's name.
type RenamePage struct{ Name string }

// DeletePage marks the page deleted.
type DeletePage struct{}

// InsertNode adds a component from its manifest's template (template children included).
// NodeID is optional (Env.NewID when empty), ParentID empty means the root, Index empty appends
// after the last child, Props override the template's props (a null value removes one).
type InsertNode struct {
	NodeID   string
	ParentID string
	Index    string
	Type     string
	Props    map[string]json.RawMessage
}

// MoveNode re-parents and/or re-orders a node (ParentID empty keeps the parent; Index empty
// appends after the last sibling).
type MoveNode struct{ NodeID, ParentID, Index string }

// DeleteNode removes a node and its subtree.
type DeleteNode struct{ NodeID string }

// SetProp sets the prop value at Path ("label", "columns/0/title"); a null Value removes it.
type SetProp struct {
	NodeID string
	Path   string
	Value  json.RawMessage
}

// SetStyle sets one style property (Path is its name); a null Value removes it.
type SetStyle struct {
	NodeID string
	Path   string
	Value  json.RawMessage
}

// BindEvent attaches a handler to an event the node's component declares.
type BindEvent struct {
	NodeID  string
	Event   string
	Binding Binding
}

// UnbindEvent removes a handler.
type UnbindEvent struct{ NodeID, Event string }

// SetPageState sets the page's initial state (a JSON object; empty means {}) and its reducer
// script (empty for none).
type SetPageState struct {
	InitialState    json.RawMessage
	ReducerScriptID string
}

func (CreatePage) isPageCommand()   {}
func (RenamePage) isPageCommand()   {}
func (DeletePage) isPageCommand()   {}
func (InsertNode) isPageCommand()   {}
func (MoveNode) isPageCommand()     {}
func (DeleteNode) isPageCommand()   {}
func (SetProp) isPageCommand()      {}
func (SetStyle) isPageCommand()     {}
func (BindEvent) isPageCommand()    {}
func (UnbindEvent) isPageCommand()  {}
func (SetPageState) isPageCommand() {}

// Limits on what a page edit may carry.
const (
	maxPageNameLen     = 200
	maxQuickActions    = 50
	maxInitialStateLen = 1 << 20
)

var pageIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$`)

// pageFallbackCatalog serves callers that leave Env.Components nil (tests, tools); it is built
// once and never changed.
var pageFallbackCatalog = sync.OnceValues(DefaultCatalog)

func pageCatalog(env Env) (*Catalog, error) {
	if env.Components != nil {
		return env.Components, nil
	}
	return pageFallbackCatalog()
}

func pageNewID(env Env) (string, *Error) {
	if env.NewID == nil {
		return "", invalid("no_id_source", "", "no id source to name the new node")
	}
	return env.NewID(), nil
}

// Decide validates a command against the page and the component manifests and returns the
// events to append. It never mutates p.
func (p *Page) Decide(c PageCommand, env Env) ([]Event, error) {
	evs, err := p.decide(c, env)
	if err != nil {
		return nil, err
	}
	return evs, nil
}

func (p *Page) decide(c PageCommand, env Env) ([]Event, *Error) {
	switch cc := c.(type) {
	case *CreatePage:
		return p.decideCreate(*cc, env)
	case CreatePage:
		return p.decideCreate(cc, env)
	case nil:
		return nil, invalid("unknown_op", "", "no command")
	}
	if !p.Exists() {
		return nil, notFound("page_not_found", "", "page does not exist")
	}
	cat, err := pageCatalog(env)
	if err != nil {
		return nil, invalid("no_catalog", "", "component manifests unavailable: %v", err)
	}
	switch cc := c.(type) {
	case RenamePage:
		return p.decideRename(cc)
	case *RenamePage:
		return p.decideRename(*cc)
	case DeletePage, *DeletePage:
		return []Event{&PageDeleted{}}, nil
	case InsertNode:
		return p.decideInsert(cc, env, cat)
	case *InsertNode:
		return p.decideInsert(*cc, env, cat)
	case MoveNode:
		return p.decideMove(cc, cat)
	case *MoveNode:
		return p.decideMove(*cc, cat)
	case DeleteNode:
		return p.decideDeleteNode(cc)
	case *DeleteNode:
		return p.decideDeleteNode(*cc)
	case SetProp:
		return p.decideSetProp(cc, cat)
	case *SetProp:
		return p.decideSetProp(*cc, cat)
	case SetStyle:
		return p.decideSetStyle(cc)
	case *SetStyle:
		return p.decideSetStyle(*cc)
	case BindEvent:
		return p.decideBind(cc, cat)
	case *BindEvent:
		return p.decideBind(*cc, cat)
	case UnbindEvent:
		return p.decideUnbind(cc, cat)
	case *UnbindEvent:
		return p.decideUnbind(*cc, cat)
	case SetPageState:
		return p.decideState(cc)
	case *SetPageState:
		return p.decideState(*cc)
	default:
		return nil, invalid("unknown_op", "", "unknown page command %T", c)
	}
}

func pageCheckName(name string) (string, *Error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", invalid("invalid_name", "/name", "name is required")
	case !utf8.ValidString(name):
		return "", invalid("invalid_name", "/name", "name is not valid UTF-8")
	case utf8.RuneCountInString(name) > maxPageNameLen:
		return "", invalid("invalid_name", "/name", "name is longer than %d characters", maxPageNameLen)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", invalid("invalid_name", "/name", "name contains control characters")
	}
	return name, nil
}

func (p *Page) decideCreate(c CreatePage, env Env) ([]Event, *Error) {
	if p != nil && p.ID != "" {
		return nil, conflict("page_exists", "/pageId", "page %s already exists", p.ID)
	}
	if !pageIDPattern.MatchString(c.PageID) {
		return nil, invalid("invalid_page_id", "/pageId", "page id %q is not a valid id", c.PageID)
	}
	if !pageIDPattern.MatchString(c.AppID) {
		return nil, invalid("invalid_app_id", "/appId", "app id %q is not a valid id", c.AppID)
	}
	name, e := pageCheckName(c.Name)
	if e != nil {
		return nil, e
	}
	cat, err := pageCatalog(env)
	if err != nil {
		return nil, invalid("no_catalog", "", "component manifests unavailable: %v", err)
	}
	m, ok := cat.Get("Container")
	if !ok {
		return nil, invalid("unknown_component", "", "the catalog has no Container for the root")
	}
	rootID, e := pageNewID(env)
	if e != nil {
		return nil, e
	}
	root := Node{ID: rootID, Type: m.Type, Index: "a0", Props: maps.Clone(m.Template.Props), Styles: maps.Clone(m.Template.Styles), Events: map[string]Binding{}}
	if root.Props == nil {
		root.Props = map[string]json.RawMessage{}
	}
	if root.Styles == nil {
		root.Styles = map[string]json.RawMessage{}
	}
	return []Event{&PageCreated{PageID: c.PageID, AppID: c.AppID, Name: name, Root: root}}, nil
}

func (p *Page) decideRename(c RenamePage) ([]Event, *Error) {
	name, e := pageCheckName(c.Name)
	if e != nil {
		return nil, e
	}
	return []Event{&PageRenamed{Name: name}}, nil
}

func nodePath(id string, rest ...string) string {
	var b strings.Builder
	b.WriteString("/nodes/")
	b.WriteString(propPtrEscape(id))
	for _, r := range rest {
		b.WriteString("/")
		b.WriteString(r)
	}
	return b.String()
}

// node returns an existing node or the node_not_found rejection (field names the command field).
func (p *Page) node(id, field string) (*Node, *Error) {
	if id == "" {
		return nil, invalid("required", field, "%s is required", strings.TrimPrefix(field, "/"))
	}
	n := p.Nodes[id]
	if n == nil {
		return nil, notFound("node_not_found", nodePath(id), "node %s does not exist", id)
	}
	return n, nil
}

// children returns the children of parentID ordered by Index then ID, skipping exclude.
func (p *Page) children(parentID, exclude string) []*Node {
	var out []*Node
	for _, n := range p.Nodes {
		if n.ParentID == parentID && n.ID != exclude && n.ID != p.RootID {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, nodeOrder)
	return out
}

func nodeOrder(a, b *Node) int {
	return cmp.Or(strings.Compare(a.Index, b.Index), strings.Compare(a.ID, b.ID))
}

// childIndex maps each parent to its children in order, in one pass over the nodes.
func (p *Page) childIndex() map[string][]*Node {
	idx := make(map[string][]*Node, len(p.Nodes)/2+1)
	for _, n := range p.Nodes {
		if n.ID == p.RootID {
			continue
		}
		idx[n.ParentID] = append(idx[n.ParentID], n)
	}
	for _, kids := range idx {
		slices.SortFunc(kids, nodeOrder)
	}
	return idx
}

// placeIndex picks the fractional key for a node placed under parentID: want itself when free,
// after the last sibling when want is empty, and, when want collides with a sibling's key, a key
// between that sibling and the next one (deterministic, so every replica repairs the same way).
func (p *Page) placeIndex(parentID, want, exclude string) (string, *Error) {
	sibs := p.children(parentID, exclude)
	if want == "" {
		last := ""
		if len(sibs) > 0 {
			last = sibs[len(sibs)-1].Index
		}
		k, err := KeyBetween(last, "")
		if err != nil {
			return "", invalid("invalid_index", "/index", "cannot append after %q: %v", last, err)
		}
		return k, nil
	}
	if err := ValidateKey(want); err != nil {
		return "", invalid("invalid_index", "/index", "%v", err)
	}
	collides := false
	next := ""
	for _, s := range sibs {
		if s.Index == want {
			collides = true
		} else if s.Index > want {
			next = s.Index
			break
		}
	}
	if !collides {
		return want, nil
	}
	k, err := KeyBetween(want, next)
	if err != nil {
		return "", invalid("invalid_index", "/index", "cannot repair index %q: %v", want, err)
	}
	return k, nil
}

func (p *Page) decideInsert(c InsertNode, env Env, cat *Catalog) ([]Event, *Error) {
	m, ok := cat.Get(c.Type)
	if !ok {
		return nil, invalid("unknown_component", "/type", "unknown component type %q", c.Type)
	}
	parentID := cmp.Or(c.ParentID, p.RootID)
	parent := p.Nodes[parentID]
	if parent == nil {
		return nil, notFound("node_not_found", nodePath(parentID), "parent node %s does not exist", parentID)
	}
	if pm, ok := cat.Get(parent.Type); !ok || !pm.AcceptsChildren {
		return nil, invalid("no_children", nodePath(parentID), "a %s does not accept children", parent.Type)
	}
	id := c.NodeID
	if id == "" {
		var e *Error
		if id, e = pageNewID(env); e != nil {
			return nil, e
		}
	}
	if !pageIDPattern.MatchString(id) {
		return nil, invalid("invalid_node_id", "/nodeId", "node id %q is not a valid id", id)
	}
	if p.Nodes[id] != nil {
		return nil, conflict("node_exists", nodePath(id), "node %s already exists", id)
	}
	index, e := p.placeIndex(parentID, c.Index, "")
	if e != nil {
		return nil, e
	}
	props := maps.Clone(m.Template.Props)
	if props == nil {
		props = map[string]json.RawMessage{}
	}
	for _, k := range slices.Sorted(maps.Keys(c.Props)) {
		v := c.Props[k]
		if nodeJSONNull(v) {
			delete(props, k)
			continue
		}
		cv, err := nodeJSONCanon(v)
		if err != nil {
			return nil, invalid("invalid_prop", nodePath(id, "props", propPtrEscape(k)), "%v", err)
		}
		props[k] = cv
	}
	if e := cat.ValidateProps(m.Type, props); e != nil {
		e.Path = nodePath(id, "props") + e.Path
		return nil, e
	}
	nodes := []Node{{ID: id, Type: m.Type, ParentID: parentID, Index: index, Props: props, Styles: pageCloneMap(m.Template.Styles), Events: map[string]Binding{}}}
	seen := map[string]bool{id: true}
	var addChildren func(parentID string, kids []TemplateNode) *Error
	addChildren = func(parentID string, kids []TemplateNode) *Error {
		prev := ""
		for _, t := range kids {
			cid, e := pageNewID(env)
			if e != nil {
				return e
			}
			if !pageIDPattern.MatchString(cid) || p.Nodes[cid] != nil || seen[cid] {
				return conflict("node_exists", nodePath(cid), "generated node id %q is not free", cid)
			}
			seen[cid] = true
			key, err := KeyBetween(prev, "")
			if err != nil {
				return invalid("invalid_index", "", "%v", err)
			}
			prev = key
			nodes = append(nodes, Node{ID: cid, Type: t.Type, ParentID: parentID, Index: key, Props: pageCloneMap(t.Props), Styles: pageCloneMap(t.Styles), Events: map[string]Binding{}})
			if e := addChildren(cid, t.Children); e != nil {
				return e
			}
		}
		return nil
	}
	if e := addChildren(id, m.Template.Children); e != nil {
		return nil, e
	}
	return []Event{&PageNodeInserted{Nodes: nodes}}, nil
}

func pageCloneMap(m map[string]json.RawMessage) map[string]json.RawMessage {
	if m == nil {
		return map[string]json.RawMessage{}
	}
	return maps.Clone(m)
}

func (p *Page) decideMove(c MoveNode, cat *Catalog) ([]Event, *Error) {
	n, e := p.node(c.NodeID, "/nodeId")
	if e != nil {
		return nil, e
	}
	if n.ID == p.RootID {
		return nil, invalid("cannot_move_root", nodePath(n.ID), "the root node cannot be moved")
	}
	parentID := cmp.Or(c.ParentID, n.ParentID)
	parent := p.Nodes[parentID]
	if parent == nil {
		return nil, notFound("node_not_found", nodePath(parentID), "parent node %s does not exist", parentID)
	}
	if pm, ok := cat.Get(parent.Type); !ok || !pm.AcceptsChildren {
		return nil, invalid("no_children", nodePath(parentID), "a %s does not accept children", parent.Type)
	}
	// Walk up from the new parent: meeting the node means the move would detach a cycle.
	for cur, hops := parent, 0; cur != nil && hops <= len(p.Nodes); cur, hops = p.Nodes[cur.ParentID], hops+1 {
		if cur.ID == n.ID {
			return nil, conflict("cycle", nodePath(n.ID), "cannot move node %s into its own subtree", n.ID)
		}
		if cur.ID == p.RootID {
			break
		}
	}
	index, e := p.placeIndex(parentID, c.Index, n.ID)
	if e != nil {
		return nil, e
	}
	return []Event{&PageNodeMoved{NodeID: n.ID, ParentID: parentID, Index: index}}, nil
}

// subtree lists a node and its descendants, parents first, siblings in order.
func (p *Page) subtree(id string) []string {
	idx := p.childIndex()
	var out []string
	var walk func(id string)
	walk = func(id string) {
		out = append(out, id)
		for _, k := range idx[id] {
			walk(k.ID)
		}
	}
	walk(id)
	return out
}

func (p *Page) decideDeleteNode(c DeleteNode) ([]Event, *Error) {
	n, e := p.node(c.NodeID, "/nodeId")
	if e != nil {
		return nil, e
	}
	if n.ID == p.RootID {
		return nil, invalid("cannot_delete_root", nodePath(n.ID), "the root node cannot be deleted")
	}
	return []Event{&PageSubtreeDeleted{NodeID: n.ID, NodeIDs: p.subtree(n.ID)}}, nil
}

func (p *Page) decideSetProp(c SetProp, cat *Catalog) ([]Event, *Error) {
	n, e := p.node(c.NodeID, "/nodeId")
	if e != nil {
		return nil, e
	}
	segs, err := propPathSplit(c.Path)
	if err != nil {
		return nil, invalid("invalid_path", nodePath(n.ID, "props"), "%v", err)
	}
	value := json.RawMessage("null")
	if !nodeJSONNull(c.Value) {
		if value, err = nodeJSONCanon(c.Value); err != nil {
			return nil, invalid("invalid_prop", nodePath(n.ID, "props", propPtrJoin(segs)), "%v", err)
		}
	}
	if _, _, e := cat.ValidatePropValue(n.Type, n.Props, propPtrJoin(segs), value); e != nil {
		if e.Code == "unknown_component" {
			e.Path = nodePath(n.ID, "type")
		} else {
			e.Path = nodePath(n.ID, "props") + e.Path
		}
		return nil, e
	}
	return []Event{&PageNodePropSet{NodeID: n.ID, Path: propPtrJoin(segs), Value: value}}, nil
}

func (p *Page) decideSetStyle(c SetStyle) ([]Event, *Error) {
	n, e := p.node(c.NodeID, "/nodeId")
	if e != nil {
		return nil, e
	}
	key := pageStyleKey(c.Path)
	if e := ValidateStyle(key, c.Value); e != nil {
		if e.Path == "" {
			e.Path = nodePath(n.ID, "styles", propPtrEscape(key))
		} else {
			e.Path = nodePath(n.ID, "styles") + e.Path
		}
		return nil, e
	}
	value := json.RawMessage("null")
	if !nodeJSONNull(c.Value) {
		var err error
		if value, err = nodeJSONCanon(c.Value); err != nil {
			return nil, invalid("invalid_style", nodePath(n.ID, "styles", propPtrEscape(key)), "%v", err)
		}
	}
	return []Event{&PageNodeStyleSet{NodeID: n.ID, Path: key, Value: value}}, nil
}

func (p *Page) eventTarget(nodeID, event string, cat *Catalog) (*Node, *Error) {
	n, e := p.node(nodeID, "/nodeId")
	if e != nil {
		return nil, e
	}
	if event == "" {
		return nil, invalid("required", "/event", "event is required")
	}
	if !cat.HasEvent(n.Type, event) {
		return nil, invalid("unknown_event", nodePath(n.ID, "events", propPtrEscape(event)), "component %s has no event %q", n.Type, event)
	}
	return n, nil
}

func (p *Page) decideBind(c BindEvent, cat *Catalog) ([]Event, *Error) {
	n, e := p.eventTarget(c.NodeID, c.Event, cat)
	if e != nil {
		return nil, e
	}
	b, e := pageCheckBinding(c.Binding, cat)
	if e != nil {
		e.Path = nodePath(n.ID, "events", propPtrEscape(c.Event)) + e.Path
		return nil, e
	}
	return []Event{&PageEventBound{NodeID: n.ID, Event: c.Event, Binding: b}}, nil
}

// pageCheckBinding validates a binding and returns it normalised: only the fields of its kind,
// quick-action params canonical.
func pageCheckBinding(b Binding, cat *Catalog) (Binding, *Error) {
	switch b.Kind {
	case BindingScript:
		if !pageIDPattern.MatchString(b.ScriptID) {
			return Binding{}, invalid("invalid_binding", "/scriptId", "a script binding needs a valid scriptId")
		}
		return Binding{Kind: b.Kind, ScriptID: b.ScriptID}, nil
	case BindingWorkflow:
		if !pageIDPattern.MatchString(b.WorkflowID) {
			return Binding{}, invalid("invalid_binding", "/workflowId", "a workflow binding needs a valid workflowId")
		}
		return Binding{Kind: b.Kind, WorkflowID: b.WorkflowID}, nil
	case BindingActions:
		if len(b.Actions) == 0 || len(b.Actions) > maxQuickActions {
			return Binding{}, invalid("invalid_binding", "/actions", "an actions binding needs 1 to %d actions", maxQuickActions)
		}
		out := Binding{Kind: b.Kind, Actions: make([]QuickAction, len(b.Actions))}
		for i, q := range b.Actions {
			at := "/actions/" + strconv.Itoa(i)
			if e := cat.ValidateQuickAction(q); e != nil {
				e.Path = at + e.Path
				return Binding{}, e
			}
			params := json.RawMessage(nil)
			if !nodeJSONNull(q.Params) {
				var err error
				if params, err = nodeJSONCanon(q.Params); err != nil {
					return Binding{}, invalid("invalid_params", at+"/params", "%v", err)
				}
			}
			out.Actions[i] = QuickAction{Type: q.Type, Params: params}
		}
		return out, nil
	default:
		return Binding{}, invalid("invalid_binding", "/kind", "binding kind %q is not one of script, actions, workflow", b.Kind)
	}
}

func (p *Page) decideUnbind(c UnbindEvent, cat *Catalog) ([]Event, *Error) {
	n, e := p.eventTarget(c.NodeID, c.Event, cat)
	if e != nil {
		return nil, e
	}
	if _, ok := n.Events[c.Event]; !ok {
		return nil, notFound("binding_not_found", nodePath(n.ID, "events", propPtrEscape(c.Event)), "no handler is bound to %s on node %s", c.Event, n.ID)
	}
	return []Event{&PageEventUnbound{NodeID: n.ID, Event: c.Event}}, nil
}

func (p *Page) decideState(c SetPageState) ([]Event, *Error) {
	state := bytes.TrimSpace(c.InitialState)
	if len(state) == 0 {
		state = []byte("{}")
	}
	if len(state) > maxInitialStateLen {
		return nil, invalid("invalid_state", "/initialState", "initial state is larger than %d bytes", maxInitialStateLen)
	}
	if state[0] != '{' || !json.Valid(state) {
		return nil, invalid("invalid_state", "/initialState", "initial state must be a JSON object")
	}
	canon, err := nodeJSONCanon(state)
	if err != nil {
		return nil, invalid("invalid_state", "/initialState", "%v", err)
	}
	if c.ReducerScriptID != "" && !pageIDPattern.MatchString(c.ReducerScriptID) {
		return nil, invalid("invalid_script_id", "/reducerScriptId", "reducer script id %q is not a valid id", c.ReducerScriptID)
	}
	return []Event{&PageStateSet{InitialState: canon, ReducerScriptID: c.ReducerScriptID}}, nil
}

// DecideRestore returns the event that brings the page back to target, its state at
// targetVersion. The page must have been created; a deleted page may be restored.
func (p *Page) DecideRestore(target *Page, targetVersion int64, env Env) ([]Event, error) {
	if p == nil || p.ID == "" {
		return nil, notFound("page_not_found", "", "page does not exist")
	}
	if targetVersion < 1 || targetVersion > p.Version {
		return nil, invalid("invalid_version", "/version", "version %d is not between 1 and %d", targetVersion, p.Version)
	}
	if target == nil || !target.Exists() || target.ID != p.ID {
		return nil, invalid("invalid_restore_target", "/version", "the page did not exist at version %d", targetVersion)
	}
	t := target.Clone()
	return []Event{&PageRestored{
		FromVersion:     targetVersion,
		Name:            t.Name,
		RootID:          t.RootID,
		Nodes:           t.Nodes,
		InitialState:    t.InitialState,
		ReducerScriptID: t.ReducerScriptID,
	}}, nil
}

// pageOpWire is the JSON form of a page op: a union discriminated by "op".
type pageOpWire struct {
	Op              string                     `json:"op"`
	NodeID          string                     `json:"nodeId"`
	ParentID        string                     `json:"parentId"`
	Index           string                     `json:"index"`
	Type            string                     `json:"type"`
	Props           map[string]json.RawMessage `json:"props"`
	Path            string                     `json:"path"`
	Value           json.RawMessage            `json:"value"`
	Event           string                     `json:"event"`
	Binding         *Binding                   `json:"binding"`
	InitialState    json.RawMessage            `json:"initialState"`
	ReducerScriptID string                     `json:"reducerScriptId"`
	Name            string                     `json:"name"`
}

// PageOpNames lists the ops DecodePageOp accepts (for API documents; treat as read-only).
var PageOpNames = []string{"insert_node", "move_node", "delete_node", "set_prop", "set_style", "bind_event", "unbind_event", "set_page_state", "rename_page"}

// DecodePageOp parses the wire form of a page op (HTTP API, co-editing socket) into a command.
// Field-level checks happen in Decide; this only rejects what cannot be a command at all.
func DecodePageOp(raw json.RawMessage) (PageCommand, error) {
	var w pageOpWire
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, invalid("invalid_json", "", "op is not a JSON object: %v", err)
	}
	required := func(v, field string) *Error {
		if v == "" {
			return invalid("required", "/"+field, "%s is required for %s", field, w.Op)
		}
		return nil
	}
	switch w.Op {
	case "insert_node":
		if e := required(w.Type, "type"); e != nil {
			return nil, e
		}
		return InsertNode{NodeID: w.NodeID, ParentID: w.ParentID, Index: w.Index, Type: w.Type, Props: w.Props}, nil
	case "move_node":
		if e := required(w.NodeID, "nodeId"); e != nil {
			return nil, e
		}
		return MoveNode{NodeID: w.NodeID, ParentID: w.ParentID, Index: w.Index}, nil
	case "delete_node":
		if e := required(w.NodeID, "nodeId"); e != nil {
			return nil, e
		}
		return DeleteNode{NodeID: w.NodeID}, nil
	case "set_prop", "set_style":
		if e := cmp.Or(required(w.NodeID, "nodeId"), required(w.Path, "path")); e != nil {
			return nil, e
		}
		if w.Value == nil {
			return nil, invalid("required", "/value", "value is required for %s (null removes)", w.Op)
		}
		if w.Op == "set_prop" {
			return SetProp{NodeID: w.NodeID, Path: w.Path, Value: w.Value}, nil
		}
		return SetStyle{NodeID: w.NodeID, Path: w.Path, Value: w.Value}, nil
	case "bind_event":
		if e := cmp.Or(required(w.NodeID, "nodeId"), required(w.Event, "event")); e != nil {
			return nil, e
		}
		if w.Binding == nil {
			return nil, invalid("required", "/binding", "binding is required for bind_event")
		}
		return BindEvent{NodeID: w.NodeID, Event: w.Event, Binding: *w.Binding}, nil
	case "unbind_event":
		if e := cmp.Or(required(w.NodeID, "nodeId"), required(w.Event, "event")); e != nil {
			return nil, e
		}
		return UnbindEvent{NodeID: w.NodeID, Event: w.Event}, nil
	case "set_page_state":
		return SetPageState{InitialState: w.InitialState, ReducerScriptID: w.ReducerScriptID}, nil
	case "rename_page":
		return RenamePage{Name: w.Name}, nil
	case "":
		return nil, invalid("unknown_op", "/op", "op is required (one of %s)", strings.Join(PageOpNames, ", "))
	default:
		return nil, invalid("unknown_op", "/op", "unknown op %q (one of %s)", w.Op, strings.Join(PageOpNames, ", "))
	}
}

// PageDocument is a page as clients read it: the node tree nested and ordered.
type PageDocument struct {
	ID              string          `json:"id"`
	AppID           string          `json:"appId"`
	Name            string          `json:"name"`
	Version         int64           `json:"version"`
	Deleted         bool            `json:"deleted,omitempty"`
	Root            *NodeDocument   `json:"root"`
	InitialState    json.RawMessage `json:"initialState"`
	ReducerScriptID string          `json:"reducerScriptId"`
}

// NodeDocument is one node with its children ordered by Index then ID.
type NodeDocument struct {
	ID       string                     `json:"id"`
	Type     string                     `json:"type"`
	Index    string                     `json:"index"`
	Props    map[string]json.RawMessage `json:"props"`
	Styles   map[string]json.RawMessage `json:"styles"`
	Events   map[string]Binding         `json:"events"`
	Children []*NodeDocument            `json:"children"`
}

// Document renders the page as a nested tree. It copies what it takes from p, so the document
// stays valid while p keeps evolving.
func (p *Page) Document() PageDocument {
	d := PageDocument{ID: p.ID, AppID: p.AppID, Name: p.Name, Version: p.Version, Deleted: p.Deleted, InitialState: p.InitialState, ReducerScriptID: p.ReducerScriptID}
	if d.InitialState == nil {
		d.InitialState = json.RawMessage(`{}`)
	}
	root := p.Nodes[p.RootID]
	if root == nil {
		return d
	}
	idx := p.childIndex()
	var build func(n *Node, depth int) *NodeDocument
	build = func(n *Node, depth int) *NodeDocument {
		nd := &NodeDocument{ID: n.ID, Type: n.Type, Index: n.Index, Props: pageCloneMap(n.Props), Styles: pageCloneMap(n.Styles), Events: make(map[string]Binding, len(n.Events))}
		for k, b := range n.Events {
			nd.Events[k] = b.clone()
		}
		kids := idx[n.ID]
		nd.Children = make([]*NodeDocument, 0, len(kids))
		if depth > len(p.Nodes) { // unreachable with Decide's invariants; guards a corrupt state
			return nd
		}
		for _, k := range kids {
			nd.Children = append(nd.Children, build(k, depth+1))
		}
		return nd
	}
	d.Root = build(root, 0)
	return d
}
