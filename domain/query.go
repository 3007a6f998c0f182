package domain

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Query is a request against a data source: a REST request template or SQL, with typed
// parameters substituted for {{name}} placeholders, and optionally the schema its result has.
type Query struct {
	ID             string       `json:"id"`
	AppID          string       `json:"appId"`
	DataSourceID   string       `json:"dataSourceId"`
	Name           string       `json:"name"`
	Template       string       `json:"template"`
	Params         []QueryParam `json:"params"`
	ResultSchemaID string       `json:"resultSchemaId"`
	// Mutation lets the query write: Postgres queries run in a read-only transaction otherwise.
	Mutation bool  `json:"mutation"`
	Deleted  bool  `json:"deleted"`
	Version  int64 `json:"version"`
}

// QueryParam is a declared query parameter.
type QueryParam struct {
	Name     string         `json:"name"`
	Type     QueryParamType `json:"type"`
	Required bool           `json:"required"`
	// Default is used when the parameter is not given; it must have the parameter's type.
	Default json.RawMessage `json:"default,omitempty"`
}

// QueryParamType is the JSON type of a parameter value.
type QueryParamType string

const (
	ParamString  QueryParamType = "string"
	ParamNumber  QueryParamType = "number"
	ParamInteger QueryParamType = "integer"
	ParamBoolean QueryParamType = "boolean"
	ParamObject  QueryParamType = "object"
	ParamArray   QueryParamType = "array"
)

// Limits of query fields.
const (
	MaxQueryTemplate = 64 << 10 // bytes
	MaxQueryParams   = 100
	MaxParamName     = 64 // bytes
)

// QueryCommand is a command on a Query.
type QueryCommand interface{ queryCommand() }

type CreateQuery struct {
	QueryID        string       `json:"queryId"`
	AppID          string       `json:"appId"`
	DataSourceID   string       `json:"dataSourceId"`
	Name           string       `json:"name"`
	Template       string       `json:"template"`
	Params         []QueryParam `json:"params"`
	ResultSchemaID string       `json:"resultSchemaId"`
	Mutation       bool         `json:"mutation"`
}

// UpdateQuery replaces the template, the params, the result schema reference ("" clears it) and
// the mutation flag (false makes the query read-only again). An empty DataSourceID keeps the
// current data source.
type UpdateQuery struct {
	Template       string       `json:"template"`
	Params         []QueryParam `json:"params"`
	ResultSchemaID string       `json:"resultSchemaId"`
	DataSourceID   string       `json:"dataSourceId"`
	Mutation       bool         `json:"mutation"`
}

type RenameQuery struct {
	Name string `json:"name"`
}

type DeleteQuery struct{}

func (CreateQuery) queryCommand() {}
func (UpdateQuery) queryCommand() {}
func (RenameQuery) queryCommand() {}
func (DeleteQuery) queryCommand() {}

type QueryCreated struct {
	QueryID        string       `json:"queryId"`
	AppID          string       `json:"appId"`
	DataSourceID   string       `json:"dataSourceId"`
	Name           string       `json:"name"`
	Template       string       `json:"template"`
	Params         []QueryParam `json:"params"`
	ResultSchemaID string       `json:"resultSchemaId,omitempty"`
	// Mutation is omitted when false, so events stored before it existed read as read-only.
	Mutation bool `json:"mutation,omitempty"`
}

// QueryUpdated carries the query's new definition as a whole.
type QueryUpdated struct {
	DataSourceID   string       `json:"dataSourceId"`
	Template       string       `json:"template"`
	Params         []QueryParam `json:"params"`
	ResultSchemaID string       `json:"resultSchemaId,omitempty"`
	Mutation       bool         `json:"mutation,omitempty"`
}

type QueryRenamed struct {
	Name string `json:"name"`
}

type QueryDeleted struct{}

func (*QueryCreated) EventType() string { return "query.created" }
func (*QueryUpdated) EventType() string { return "query.updated" }
func (*QueryRenamed) EventType() string { return "query.renamed" }
func (*QueryDeleted) EventType() string { return "query.deleted" }

// queryEvents lists the events of the Query aggregate.
var queryEvents = []eventDef{
	{event: &QueryCreated{}},
	{event: &QueryUpdated{}},
	{event: &QueryRenamed{}},
	{event: &QueryDeleted{}},
}

// Exists reports whether the query was created and not deleted.
func (q *Query) Exists() bool { return q.ID != "" && !q.Deleted }

// Apply evolves the state by one event of its stream (every event counts towards Version).
func (q *Query) Apply(e Event) {
	q.Version++
	switch e := e.(type) {
	case *QueryCreated:
		q.ID, q.AppID, q.DataSourceID, q.Name = e.QueryID, e.AppID, e.DataSourceID, e.Name
		q.Template, q.Params, q.ResultSchemaID, q.Mutation = e.Template, cloneParams(e.Params), e.ResultSchemaID, e.Mutation
	case *QueryUpdated:
		q.DataSourceID, q.Template, q.Params, q.ResultSchemaID = e.DataSourceID, e.Template, cloneParams(e.Params), e.ResultSchemaID
		q.Mutation = e.Mutation
	case *QueryRenamed:
		q.Name = e.Name
	case *QueryDeleted:
		q.Deleted = true
	}
}

// FoldQuery folds a query stream into its state.
func FoldQuery(events []Event) *Query { return fold[Query](events) }

// Decide validates c against the state and returns the events to append. A command that would
// change nothing yields no events and no error. That the data source and the result schema exist
// is checked by the caller, which can read them.
func (q *Query) Decide(c QueryCommand, env Env) ([]Event, error) {
	if cr, ok := c.(CreateQuery); ok {
		if q.Version > 0 {
			return nil, conflict("exists", "", "query %q already exists", q.ID)
		}
		if err := checkID("/queryId", cr.QueryID); err != nil {
			return nil, err
		}
		if err := checkID("/appId", cr.AppID); err != nil {
			return nil, err
		}
		name, err := checkName("/name", cr.Name)
		if err != nil {
			return nil, err
		}
		def, err := checkQueryDef(cr.DataSourceID, cr.Template, cr.Params, cr.ResultSchemaID, cr.Mutation)
		if err != nil {
			return nil, err
		}
		def.QueryID, def.AppID, def.Name = cr.QueryID, cr.AppID, name
		return []Event{def}, nil
	}
	if !q.Exists() {
		return nil, notFound("not_found", "", "query not found")
	}
	switch c := c.(type) {
	case UpdateQuery:
		ds := c.DataSourceID
		if ds == "" {
			ds = q.DataSourceID
		}
		def, err := checkQueryDef(ds, c.Template, c.Params, c.ResultSchemaID, c.Mutation)
		if err != nil {
			return nil, err
		}
		if def.DataSourceID == q.DataSourceID && def.Template == q.Template && def.ResultSchemaID == q.ResultSchemaID && def.Mutation == q.Mutation && paramsEqual(def.Params, q.Params) {
			return nil, nil
		}
		return []Event{&QueryUpdated{DataSourceID: def.DataSourceID, Template: def.Template, Params: def.Params, ResultSchemaID: def.ResultSchemaID, Mutation: def.Mutation}}, nil
	case RenameQuery:
		name, err := checkName("/name", c.Name)
		if err != nil {
			return nil, err
		}
		if name == q.Name {
			return nil, nil
		}
		return []Event{&QueryRenamed{Name: name}}, nil
	case DeleteQuery:
		return []Event{&QueryDeleted{}}, nil
	case nil:
		return nil, invalid("unknown_command", "", "no command")
	default:
		return nil, invalid("unknown_command", "", "unknown query command %T", c)
	}
}

// checkQueryDef validates the definition shared by create and update and returns it normalised
// (compacted defaults, nil for no params).
func checkQueryDef(dataSourceID, template string, params []QueryParam, resultSchemaID string, mutation bool) (*QueryCreated, error) {
	if err := checkID("/dataSourceId", dataSourceID); err != nil {
		return nil, err
	}
	if resultSchemaID != "" {
		if err := checkID("/resultSchemaId", resultSchemaID); err != nil {
			return nil, err
		}
	}
	switch {
	case strings.TrimSpace(template) == "":
		return nil, invalid("empty_template", "/template", "the template is empty")
	case len(template) > MaxQueryTemplate:
		return nil, invalid("too_large", "/template", "the template is %d bytes, at most %d allowed", len(template), MaxQueryTemplate)
	case !utf8.ValidString(template) || strings.IndexByte(template, 0) >= 0:
		return nil, invalid("invalid_template", "/template", "the template must be valid UTF-8 without NUL characters")
	}
	if len(params) > MaxQueryParams {
		return nil, invalid("too_many_params", "/params", "at most %d params", MaxQueryParams)
	}
	var out []QueryParam
	for i, p := range params {
		path := "/params/" + strconv.Itoa(i)
		if !isIdentifier(p.Name) || len(p.Name) > MaxParamName {
			return nil, invalid("invalid_param_name", path+"/name", "param names are identifiers ([A-Za-z_][A-Za-z0-9_]*) of at most %d characters", MaxParamName)
		}
		if slices.ContainsFunc(out, func(o QueryParam) bool { return o.Name == p.Name }) {
			return nil, invalid("duplicate_param", path+"/name", "param %q is declared twice", p.Name)
		}
		if !p.Type.valid() {
			return nil, invalid("invalid_param_type", path+"/type", "type must be string, number, integer, boolean, object or array")
		}
		if p.Default != nil {
			d, ok := compactJSON(p.Default)
			if !ok || !p.Type.matches(d) {
				return nil, invalid("invalid_default", path+"/default", "the default must be a JSON %s", p.Type)
			}
			p.Default = d
		}
		out = append(out, p)
	}
	names, err := TemplatePlaceholders(template)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if !slices.ContainsFunc(out, func(p QueryParam) bool { return p.Name == n }) {
			return nil, invalid("unknown_param", "/template", "the template uses {{%s}}, which is not a declared param", n)
		}
	}
	return &QueryCreated{DataSourceID: dataSourceID, Template: template, Params: out, ResultSchemaID: resultSchemaID, Mutation: mutation}, nil
}

// TemplatePlaceholders returns the parameter names a template refers to with {{name}} (spaces
// inside the braces allowed), in order of first use. A "{{" without a closing "}}" or with
// anything but an identifier inside is an ErrInvalid *Error with Code "invalid_template".
func TemplatePlaceholders(template string) ([]string, error) {
	var names []string
	rest := template
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			return names, nil
		}
		rest = rest[i+2:]
		j := strings.Index(rest, "}}")
		if j < 0 {
			return nil, invalid("invalid_template", "/template", "a {{ is not closed by }}")
		}
		name := strings.TrimSpace(rest[:j])
		if !isIdentifier(name) {
			return nil, invalid("invalid_template", "/template", "{{%s}} is not a parameter name", rest[:j])
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
		rest = rest[j+2:]
	}
}

func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func (t QueryParamType) valid() bool {
	switch t {
	case ParamString, ParamNumber, ParamInteger, ParamBoolean, ParamObject, ParamArray:
		return true
	}
	return false
}

// Accepts reports whether the JSON value v has type t ("null" has no type; an integer may be
// written with a fraction or exponent as long as its value is whole, like 1e2).
func (t QueryParamType) Accepts(v json.RawMessage) bool {
	c, ok := compactJSON(v)
	return ok && t.matches(c)
}

// matches reports whether the compact JSON value v has type t ("null" has no type).
func (t QueryParamType) matches(v json.RawMessage) bool {
	switch t {
	case ParamString:
		return v[0] == '"'
	case ParamBoolean:
		return string(v) == "true" || string(v) == "false"
	case ParamObject:
		return v[0] == '{'
	case ParamArray:
		return v[0] == '['
	case ParamNumber, ParamInteger:
		var n json.Number
		// The first byte check matters: json.Number also accepts a quoted number.
		if v[0] != '-' && (v[0] < '0' || v[0] > '9') || json.Unmarshal(v, &n) != nil {
			return false
		}
		if t == ParamNumber {
			return true
		}
		if _, err := n.Int64(); err == nil {
			return true
		}
		f, err := n.Float64()
		return err == nil && f == math.Trunc(f)
	}
	return false
}

func cloneParams(ps []QueryParam) []QueryParam {
	if ps == nil {
		return nil
	}
	out := make([]QueryParam, len(ps))
	for i, p := range ps {
		p.Default = slices.Clone(p.Default)
		out[i] = p
	}
	return out
}

func paramsEqual(a, b []QueryParam) bool {
	return slices.EqualFunc(a, b, func(x, y QueryParam) bool {
		return x.Name == y.Name && x.Type == y.Type && x.Required == y.Required && string(x.Default) == string(y.Default)
	})
}
