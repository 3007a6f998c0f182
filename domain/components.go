package domain

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Component categories, the palette's sections.
const (
	CategoryLayout     = "layout"
	CategoryText       = "text"
	CategoryInput      = "input"
	CategoryData       = "data"
	CategoryMedia      = "media"
	CategoryNavigation = "navigation"
	CategoryOverlay    = "overlay"
)

// Manifest is the standard component interface (DESIGN.md, runtime): what a component accepts,
// emits and can be told to do. The editor builds its palette, property panel and events tab from
// it, and the server validates page edits against it. Served as JSON by GET /api/components.
type Manifest struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Category    string `json:"category"`
	Icon        string `json:"icon"`
	Description string `json:"description"`
	// Props is a JSON Schema (draft 2020-12) object; each property carries UI hints under "x-ui"
	// (widget, label, group). additionalProperties is false: unknown props are rejected.
	Props           json.RawMessage `json:"props"`
	Events          []EventSpec     `json:"events"`
	Actions         []ActionSpec    `json:"actions"`
	Template        Template        `json:"template"`
	AcceptsChildren bool            `json:"acceptsChildren"`
}

// EventSpec is an event a component emits, which a builder can bind a handler to.
type EventSpec struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Payload is the JSON Schema of what the handler receives.
	Payload json.RawMessage `json:"payload"`
	// NativeEvent is the DOM event it maps from ("click", "input", "change", "submit").
	NativeEvent string `json:"nativeEvent"`
}

// ActionSpec is something a component (or a quick action) can be told to do.
type ActionSpec struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Params      json.RawMessage `json:"params"` // JSON Schema
}

// Template is what InsertNode starts a new node from.
type Template struct {
	Props    map[string]json.RawMessage `json:"props"`
	Styles   map[string]json.RawMessage `json:"styles"`
	Children []TemplateNode             `json:"children,omitempty"`
}

// TemplateNode is a child node created together with its parent.
type TemplateNode struct {
	Type     string                     `json:"type"`
	Props    map[string]json.RawMessage `json:"props,omitempty"`
	Styles   map[string]json.RawMessage `json:"styles,omitempty"`
	Children []TemplateNode             `json:"children,omitempty"`
}

// Catalog is an immutable set of component manifests with their compiled schemas. Build it once
// with DefaultCatalog and share it; its methods are safe for concurrent use.
type Catalog struct {
	byType       map[string]*compiledManifest
	all          []Manifest
	quickActions map[string]*compiledAction
	quickList    []ActionSpec
	printer      *message.Printer
}

type compiledManifest struct {
	m        Manifest
	props    *jsonschema.Schema
	propKeys map[string]bool
	events   map[string]*jsonschema.Schema
	actions  map[string]*jsonschema.Schema
}

type compiledAction struct {
	spec   ActionSpec
	params *jsonschema.Schema
}

// DefaultCatalog builds the built-in manifests and compiles every schema in them. It is not cheap
// (tens of schemas): build it once per process and pass it in Env.Components.
func DefaultCatalog() (*Catalog, error) {
	return newCatalog(builtinManifests(), builtinQuickActions())
}

func newCatalog(manifests []Manifest, quick []ActionSpec) (*Catalog, error) {
	c := &Catalog{
		byType:       map[string]*compiledManifest{},
		quickActions: map[string]*compiledAction{},
		printer:      message.NewPrinter(language.English),
	}
	comp := jsonschema.NewCompiler()
	comp.DefaultDraft(jsonschema.Draft2020)
	compile := func(url string, raw json.RawMessage) (*jsonschema.Schema, error) {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", url, err)
		}
		if err := comp.AddResource(url, doc); err != nil {
			return nil, fmt.Errorf("schema %s: %w", url, err)
		}
		s, err := comp.Compile(url)
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", url, err)
		}
		return s, nil
	}
	for _, m := range manifests {
		if _, dup := c.byType[m.Type]; dup {
			return nil, fmt.Errorf("component %s declared twice", m.Type)
		}
		cm := &compiledManifest{m: m, propKeys: map[string]bool{}, events: map[string]*jsonschema.Schema{}, actions: map[string]*jsonschema.Schema{}}
		base := "mem://goflow/components/" + m.Type
		var err error
		if cm.props, err = compile(base+"/props.json", m.Props); err != nil {
			return nil, err
		}
		var shape struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(m.Props, &shape); err != nil {
			return nil, fmt.Errorf("component %s props: %w", m.Type, err)
		}
		for k := range shape.Properties {
			cm.propKeys[k] = true
		}
		for _, ev := range m.Events {
			if cm.events[ev.Name], err = compile(base+"/events/"+ev.Name+".json", ev.Payload); err != nil {
				return nil, err
			}
		}
		for _, a := range m.Actions {
			if cm.actions[a.Name], err = compile(base+"/actions/"+a.Name+".json", a.Params); err != nil {
				return nil, err
			}
		}
		c.byType[m.Type] = cm
		c.all = append(c.all, m)
	}
	for _, q := range quick {
		s, err := compile("mem://goflow/quick-actions/"+q.Name+".json", q.Params)
		if err != nil {
			return nil, err
		}
		c.quickActions[q.Name] = &compiledAction{spec: q, params: s}
		c.quickList = append(c.quickList, q)
	}
	slices.SortFunc(c.all, func(a, b Manifest) int {
		return cmp.Or(strings.Compare(a.Category, b.Category), strings.Compare(a.Type, b.Type))
	})
	slices.SortFunc(c.quickList, func(a, b ActionSpec) int { return strings.Compare(a.Name, b.Name) })
	return c, nil
}

// Get returns the manifest of a component type.
func (c *Catalog) Get(typ string) (Manifest, bool) {
	cm, ok := c.byType[typ]
	if !ok {
		return Manifest{}, false
	}
	return cm.m, true
}

// All returns every manifest, sorted by category then type. The slice is the caller's.
func (c *Catalog) All() []Manifest { return slices.Clone(c.all) }

// QuickActions returns the quick actions an event can be bound to without a script (navigate,
// setState, runQuery, showModal, ...), sorted by name.
func (c *Catalog) QuickActions() []ActionSpec { return slices.Clone(c.quickList) }

// HasEvent reports whether a component type declares an event.
func (c *Catalog) HasEvent(typ, event string) bool {
	cm, ok := c.byType[typ]
	if !ok {
		return false
	}
	_, ok = cm.events[event]
	return ok
}

// ValidateProps checks a whole props object against a component's schema. The returned error's
// Path is relative to the props object ("/label", "/columns/0/title").
func (c *Catalog) ValidateProps(typ string, props map[string]json.RawMessage) *Error {
	cm, ok := c.byType[typ]
	if !ok {
		return invalid("unknown_component", "", "unknown component type %q", typ)
	}
	for _, k := range slices.Sorted(maps.Keys(props)) {
		if !cm.propKeys[k] {
			return invalid("unknown_prop", "/"+propPtrEscape(k), "component %s has no prop %q", typ, k)
		}
	}
	raw, err := json.Marshal(props)
	if err != nil {
		return invalid("invalid_prop", "", "props are not valid JSON: %v", err)
	}
	return c.validate(cm.props, raw, "invalid_prop")
}

// ValidatePropValue checks the props object that results from setting value at path (a
// JSON-pointer-ish path into props such as "label" or "columns/0/title"; a null value removes).
// It returns the resulting top-level prop key and value (nil when removed).
func (c *Catalog) ValidatePropValue(typ string, props map[string]json.RawMessage, path string, value json.RawMessage) (key string, result json.RawMessage, e *Error) {
	cm, ok := c.byType[typ]
	if !ok {
		return "", nil, invalid("unknown_component", "", "unknown component type %q", typ)
	}
	segs, err := propPathSplit(path)
	if err != nil {
		return "", nil, invalid("invalid_path", "", "%v", err)
	}
	if !cm.propKeys[segs[0]] {
		return "", nil, invalid("unknown_prop", "/"+propPtrEscape(segs[0]), "component %s has no prop %q", typ, segs[0])
	}
	result, err = propSetAt(props[segs[0]], segs[1:], value)
	if err != nil {
		return "", nil, invalid("invalid_path", "/"+propPtrJoin(segs), "%v", err)
	}
	next := make(map[string]json.RawMessage, len(props)+1)
	for k, v := range props {
		next[k] = v
	}
	if result == nil {
		delete(next, segs[0])
	} else {
		next[segs[0]] = result
	}
	if e := c.ValidateProps(typ, next); e != nil {
		return "", nil, e
	}
	return segs[0], result, nil
}

// ValidateEventPayload checks a payload against an event's schema (the runtime uses this for
// payloads coming from the browser).
func (c *Catalog) ValidateEventPayload(typ, event string, payload json.RawMessage) *Error {
	cm, ok := c.byType[typ]
	if !ok {
		return invalid("unknown_component", "", "unknown component type %q", typ)
	}
	s, ok := cm.events[event]
	if !ok {
		return invalid("unknown_event", "", "component %s has no event %q", typ, event)
	}
	return c.validate(s, payload, "invalid_payload")
}

// ValidateActionParams checks the params of a component action.
func (c *Catalog) ValidateActionParams(typ, action string, params json.RawMessage) *Error {
	cm, ok := c.byType[typ]
	if !ok {
		return invalid("unknown_component", "", "unknown component type %q", typ)
	}
	s, ok := cm.actions[action]
	if !ok {
		return invalid("unknown_action", "", "component %s has no action %q", typ, action)
	}
	return c.validate(s, catEmptyObj(params), "invalid_params")
}

// ValidateQuickAction checks one quick action of an "actions" binding.
func (c *Catalog) ValidateQuickAction(q QuickAction) *Error {
	qa, ok := c.quickActions[q.Type]
	if !ok {
		return invalid("unknown_quick_action", "/type", "unknown quick action %q", q.Type)
	}
	if e := c.validate(qa.params, catEmptyObj(q.Params), "invalid_params"); e != nil {
		e.Path = "/params" + e.Path
		return e
	}
	return nil
}

func catEmptyObj(raw json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(raw)) == 0 {
		return json.RawMessage(`{}`)
	}
	return raw
}

// validate runs a schema and reduces the validator's error tree to its first leaf (ordered by
// instance location, so the answer is deterministic), which is the most specific reason.
func (c *Catalog) validate(s *jsonschema.Schema, raw json.RawMessage, code string) *Error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return invalid(code, "", "not valid JSON: %v", err)
	}
	err = s.Validate(inst)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return invalid(code, "", "%v", err)
	}
	var leaves []*jsonschema.ValidationError
	var walk func(v *jsonschema.ValidationError)
	walk = func(v *jsonschema.ValidationError) {
		if len(v.Causes) == 0 {
			leaves = append(leaves, v)
			return
		}
		for _, cause := range v.Causes {
			walk(cause)
		}
	}
	walk(ve)
	type leaf struct {
		path, msg string
		tier      int
	}
	ls := make([]leaf, 0, len(leaves))
	for _, l := range leaves {
		tier := 1
		if _, ok := l.ErrorKind.(*kind.Type); ok {
			// "got string, want boolean" reads better than the pattern of the binding
			// expression alternative that also failed.
			tier = 0
		}
		ls = append(ls, leaf{path: propPtrJoin(l.InstanceLocation), msg: l.ErrorKind.LocalizedString(c.printer), tier: tier})
	}
	slices.SortFunc(ls, func(a, b leaf) int {
		// Deeper locations first: they name the offending value rather than its container.
		return cmp.Or(-strings.Compare(a.path, b.path), a.tier-b.tier, strings.Compare(a.msg, b.msg))
	})
	best := ls[0]
	p := ""
	if best.path != "" {
		p = "/" + best.path
	}
	return invalid(code, p, "%s", best.msg)
}

// propPathSplit splits "columns/0/title" (or "/columns/0/title") into unescaped segments.
func propPathSplit(path string) ([]string, error) {
	path = strings.TrimPrefix(path, "/")
	if path == "" {
		return nil, fmt.Errorf("empty path")
	}
	if len(path) > 512 {
		return nil, fmt.Errorf("path longer than 512 characters")
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if s == "" {
			return nil, fmt.Errorf("empty path segment in %q", path)
		}
		segs[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return segs, nil
}

func propPtrEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func propPtrJoin(segs []string) string {
	out := make([]string, len(segs))
	for i, s := range segs {
		out[i] = propPtrEscape(s)
	}
	return strings.Join(out, "/")
}

// propSetAt returns cur with value set at rest (nil cur means absent; a null or empty value
// removes; the result is nil when the whole value is removed). Objects on the way are created;
// array segments must be an existing index, or "-" / the length to append.
func propSetAt(cur json.RawMessage, rest []string, value json.RawMessage) (json.RawMessage, error) {
	remove := nodeJSONNull(value)
	if len(rest) == 0 {
		if remove {
			return nil, nil
		}
		return nodeJSONCanon(value)
	}
	var root any
	if len(cur) > 0 {
		dec := json.NewDecoder(bytes.NewReader(cur))
		dec.UseNumber()
		if err := dec.Decode(&root); err != nil {
			return nil, fmt.Errorf("stored value is not JSON: %w", err)
		}
	}
	var v any
	if !remove {
		dec := json.NewDecoder(bytes.NewReader(value))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("value is not JSON: %w", err)
		}
	}
	root, err := propSetAny(root, rest, v, remove)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, nil // removing inside an absent prop leaves it absent
	}
	out, err := json.Marshal(root)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func propSetAny(node any, segs []string, v any, remove bool) (any, error) {
	if len(segs) == 0 {
		return v, nil
	}
	seg := segs[0]
	switch n := node.(type) {
	case nil:
		if remove {
			return nil, nil
		}
		child, err := propSetAny(nil, segs[1:], v, remove)
		if err != nil {
			return nil, err
		}
		return map[string]any{seg: child}, nil
	case map[string]any:
		if _, ok := n[seg]; !ok && remove {
			return n, nil // removing what is not there changes nothing
		}
		if len(segs) == 1 && remove {
			delete(n, seg)
			return n, nil
		}
		child, err := propSetAny(n[seg], segs[1:], v, remove)
		if err != nil {
			return nil, err
		}
		n[seg] = child
		return n, nil
	case []any:
		i := len(n)
		if seg != "-" {
			var err error
			i, err = strconv.Atoi(seg)
			if err != nil || i < 0 || i > len(n) || (i > 0 && seg[0] == '0') {
				return nil, fmt.Errorf("%q is not an index of an array of length %d", seg, len(n))
			}
		}
		if i == len(n) {
			if remove {
				return nil, fmt.Errorf("index %d out of range", i)
			}
			child, err := propSetAny(nil, segs[1:], v, remove)
			if err != nil {
				return nil, err
			}
			return append(n, child), nil
		}
		if len(segs) == 1 && remove {
			return append(n[:i], n[i+1:]...), nil
		}
		child, err := propSetAny(n[i], segs[1:], v, remove)
		if err != nil {
			return nil, err
		}
		n[i] = child
		return n, nil
	default:
		return nil, fmt.Errorf("cannot set %q inside a scalar", seg)
	}
}

func nodeJSONNull(v json.RawMessage) bool {
	t := bytes.TrimSpace(v)
	return len(t) == 0 || string(t) == "null"
}

// nodeJSONCanon is the form every stored JSON value takes (compact, HTML-escaped like
// encoding/json writes it), so that state survives a JSON round trip byte for byte and values
// compare with bytes.Equal.
func nodeJSONCanon(v json.RawMessage) (json.RawMessage, error) {
	if !json.Valid(v) {
		return nil, fmt.Errorf("value is not valid JSON")
	}
	return json.Marshal(v)
}

var styleKeyPattern = regexp.MustCompile(`^(--[A-Za-z0-9_-]{1,62}|[a-zA-Z][a-zA-Z0-9-]{0,63})$`)

// ValidateStyle checks a style entry: a CSS-ish property name (camelCase, kebab-case or a
// --custom-property) whose value is a string or a number (null removes it).
func ValidateStyle(key string, value json.RawMessage) *Error {
	if !styleKeyPattern.MatchString(key) {
		return invalid("invalid_style", "", "%q is not a style property name", key)
	}
	if nodeJSONNull(value) {
		return nil
	}
	var v any
	if err := json.Unmarshal(value, &v); err != nil {
		return invalid("invalid_style", "/"+propPtrEscape(key), "value is not valid JSON")
	}
	switch s := v.(type) {
	case string:
		if len(s) > 1024 {
			return invalid("invalid_style", "/"+propPtrEscape(key), "value longer than 1024 characters")
		}
		return nil
	case float64:
		return nil
	default:
		return invalid("invalid_style", "/"+propPtrEscape(key), "style value must be a string or a number")
	}
}
