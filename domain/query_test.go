package domain_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
)

func newQuery(t *testing.T, cmds ...domain.QueryCommand) (*domain.Query, []domain.Event) {
	t.Helper()
	q := &domain.Query{}
	var log []domain.Event
	all := append([]domain.QueryCommand{domain.CreateQuery{
		QueryID: "q1", AppID: "a1", DataSourceID: "d1", Name: "Orders by customer",
		Template: "SELECT * FROM orders WHERE customer_id = {{customerId}} LIMIT {{ limit }}",
		Params: []domain.QueryParam{
			{Name: "customerId", Type: domain.ParamString, Required: true},
			{Name: "limit", Type: domain.ParamInteger, Default: json.RawMessage(" 50 ")},
		},
		ResultSchemaID: "c1",
	}}, cmds...)
	for _, c := range all {
		evs, err := q.Decide(c, testEnv())
		require.NoError(t, err)
		for _, e := range evs {
			q.Apply(e)
		}
		log = append(log, evs...)
	}
	return q, log
}

func TestQueryDecideRejections(t *testing.T) {
	t.Parallel()
	live := func(t *testing.T) *domain.Query { q, _ := newQuery(t); return q }
	deleted := func(t *testing.T) *domain.Query { q, _ := newQuery(t, domain.DeleteQuery{}); return q }
	missing := func(*testing.T) *domain.Query { return &domain.Query{} }
	create := func(mod func(*domain.CreateQuery)) domain.CreateQuery {
		c := domain.CreateQuery{QueryID: "q2", AppID: "a1", DataSourceID: "d1", Name: "List", Template: "GET /items?page={{page}}",
			Params: []domain.QueryParam{{Name: "page", Type: domain.ParamInteger}}}
		mod(&c)
		return c
	}
	param := func(p domain.QueryParam) func(*domain.CreateQuery) {
		return func(c *domain.CreateQuery) { c.Template = "GET /items"; c.Params = []domain.QueryParam{p} }
	}
	withDefault := func(typ domain.QueryParamType, def string) func(*domain.CreateQuery) {
		return param(domain.QueryParam{Name: "p", Type: typ, Default: json.RawMessage(def)})
	}
	template := func(s string) func(*domain.CreateQuery) {
		return func(c *domain.CreateQuery) { c.Template = s }
	}
	cases := []struct {
		name  string
		state func(*testing.T) *domain.Query
		cmd   domain.QueryCommand
		kind  error
		code  string
		path  string
	}{
		{"create existing", live, create(func(*domain.CreateQuery) {}), domain.ErrConflict, "exists", ""},
		{"create over deleted", deleted, create(func(*domain.CreateQuery) {}), domain.ErrConflict, "exists", ""},
		{"create empty id", missing, create(func(c *domain.CreateQuery) { c.QueryID = "" }), domain.ErrInvalid, "invalid_id", "/queryId"},
		{"create empty app", missing, create(func(c *domain.CreateQuery) { c.AppID = "" }), domain.ErrInvalid, "invalid_id", "/appId"},
		{"create no data source", missing, create(func(c *domain.CreateQuery) { c.DataSourceID = "" }), domain.ErrInvalid, "invalid_id", "/dataSourceId"},
		{"create bad result schema id", missing, create(func(c *domain.CreateQuery) { c.ResultSchemaID = "a b" }), domain.ErrInvalid, "invalid_id", "/resultSchemaId"},
		{"create blank name", missing, create(func(c *domain.CreateQuery) { c.Name = "" }), domain.ErrInvalid, "invalid_name", "/name"},
		{"create empty template", missing, create(template(" \n ")), domain.ErrInvalid, "empty_template", "/template"},
		{"create huge template", missing, create(template(strings.Repeat("x", domain.MaxQueryTemplate+1))), domain.ErrInvalid, "too_large", "/template"},
		{"create NUL in template", missing, create(template("SELECT '\x00'")), domain.ErrInvalid, "invalid_template", "/template"},
		{"create unclosed placeholder", missing, create(template("GET /items?page={{page")), domain.ErrInvalid, "invalid_template", "/template"},
		{"create expression placeholder", missing, create(template("GET /items?page={{page + 1}}")), domain.ErrInvalid, "invalid_template", "/template"},
		{"create empty placeholder", missing, create(template("GET /items?page={{}}")), domain.ErrInvalid, "invalid_template", "/template"},
		{"create undeclared placeholder", missing, create(template("GET /items?page={{page}}&size={{size}}")), domain.ErrInvalid, "unknown_param", "/template"},
		{"create param name with dash", missing, create(param(domain.QueryParam{Name: "page-no", Type: domain.ParamInteger})), domain.ErrInvalid, "invalid_param_name", "/params/0/name"},
		{"create param name with digit first", missing, create(param(domain.QueryParam{Name: "1st", Type: domain.ParamInteger})), domain.ErrInvalid, "invalid_param_name", "/params/0/name"},
		{"create empty param name", missing, create(param(domain.QueryParam{Type: domain.ParamInteger})), domain.ErrInvalid, "invalid_param_name", "/params/0/name"},
		{"create long param name", missing, create(param(domain.QueryParam{Name: strings.Repeat("p", domain.MaxParamName+1), Type: domain.ParamString})), domain.ErrInvalid, "invalid_param_name", "/params/0/name"},
		{"create duplicate param", missing, create(func(c *domain.CreateQuery) {
			c.Params = append(c.Params, domain.QueryParam{Name: "page", Type: domain.ParamString})
		}), domain.ErrInvalid, "duplicate_param", "/params/1/name"},
		{"create unknown param type", missing, create(param(domain.QueryParam{Name: "p", Type: "date"})), domain.ErrInvalid, "invalid_param_type", "/params/0/type"},
		{"create missing param type", missing, create(param(domain.QueryParam{Name: "p"})), domain.ErrInvalid, "invalid_param_type", "/params/0/type"},
		{"create too many params", missing, create(func(c *domain.CreateQuery) {
			c.Params = make([]domain.QueryParam, domain.MaxQueryParams+1)
		}), domain.ErrInvalid, "too_many_params", "/params"},
		{"default string for integer", missing, create(withDefault(domain.ParamInteger, `"5"`)), domain.ErrInvalid, "invalid_default", "/params/0/default"},
		{"default fraction for integer", missing, create(withDefault(domain.ParamInteger, `1.5`)), domain.ErrInvalid, "invalid_default", "/params/0/default"},
		{"default quoted number for number", missing, create(withDefault(domain.ParamNumber, `"1.5"`)), domain.ErrInvalid, "invalid_default", "/params/0/default"},
		{"default number for string", missing, create(withDefault(domain.ParamString, `5`)), domain.ErrInvalid, "invalid_default", "/params/0/default"},
		{"default string for boolean", missing, create(withDefault(domain.ParamBoolean, `"true"`)), domain.ErrInvalid, "invalid_default", "/params/0/default"},
		{"default array for object", missing, create(withDefault(domain.ParamObject, `[]`)), domain.ErrInvalid, "invalid_default", "/params/0/default"},
		{"default object for array", missing, create(withDefault(domain.ParamArray, `{}`)), domain.ErrInvalid, "invalid_default", "/params/0/default"},
		{"default null", missing, create(withDefault(domain.ParamString, `null`)), domain.ErrInvalid, "invalid_default", "/params/0/default"},
		{"default not JSON", missing, create(withDefault(domain.ParamString, `"x`)), domain.ErrInvalid, "invalid_default", "/params/0/default"},
		{"default empty", missing, create(withDefault(domain.ParamString, ``)), domain.ErrInvalid, "invalid_default", "/params/0/default"},
		{"update missing", missing, domain.UpdateQuery{Template: "x"}, domain.ErrNotFound, "not_found", ""},
		{"update deleted", deleted, domain.UpdateQuery{Template: "x"}, domain.ErrNotFound, "not_found", ""},
		{"update drops a used param", live, domain.UpdateQuery{Template: "SELECT {{limit}}"}, domain.ErrInvalid, "unknown_param", "/template"},
		{"update empty template", live, domain.UpdateQuery{}, domain.ErrInvalid, "empty_template", "/template"},
		{"update bad data source", live, domain.UpdateQuery{Template: "SELECT 1", DataSourceID: "d 2"}, domain.ErrInvalid, "invalid_id", "/dataSourceId"},
		{"update bad default", live, domain.UpdateQuery{Template: "SELECT 1", Params: []domain.QueryParam{{Name: "x", Type: domain.ParamBoolean, Default: json.RawMessage(`0`)}}}, domain.ErrInvalid, "invalid_default", "/params/0/default"},
		{"rename missing", missing, domain.RenameQuery{Name: "x"}, domain.ErrNotFound, "not_found", ""},
		{"rename deleted", deleted, domain.RenameQuery{Name: "x"}, domain.ErrNotFound, "not_found", ""},
		{"rename blank", live, domain.RenameQuery{Name: "  "}, domain.ErrInvalid, "invalid_name", "/name"},
		{"delete missing", missing, domain.DeleteQuery{}, domain.ErrNotFound, "not_found", ""},
		{"delete deleted", deleted, domain.DeleteQuery{}, domain.ErrNotFound, "not_found", ""},
		{"nil command", live, nil, domain.ErrInvalid, "unknown_command", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := tc.state(t)
			before := jsonCopy(t, q)
			evs, err := q.Decide(tc.cmd, testEnv())
			require.Nil(t, evs)
			requireDomainErr(t, err, tc.kind, tc.code, tc.path)
			require.Equal(t, before, q, "Decide must not mutate the state")
		})
	}
}

func TestQueryLifecycle(t *testing.T) {
	t.Parallel()
	q, log := newQuery(t)
	require.Equal(t, json.RawMessage(`50`), q.Params[1].Default, "defaults are stored compacted")
	require.Equal(t, "c1", q.ResultSchemaID)

	step := func(c domain.QueryCommand) []domain.Event {
		t.Helper()
		evs, err := q.Decide(c, testEnv())
		require.NoError(t, err)
		for _, e := range evs {
			q.Apply(e)
		}
		log = append(log, evs...)
		return evs
	}
	same := domain.UpdateQuery{Template: q.Template, Params: q.Params, ResultSchemaID: q.ResultSchemaID}
	require.Empty(t, step(same), "an update to the same definition changes nothing")

	require.Len(t, step(domain.UpdateQuery{
		Template: `{"method": "GET", "path": "/orders", "query": {"status": "{{status}}", "tags": {{tags}}, "filter": {{ filter }}, "paid": {{paid}}, "min": {{min}}}}`,
		Params: []domain.QueryParam{
			{Name: "status", Type: domain.ParamString, Default: json.RawMessage(`"open"`)},
			{Name: "tags", Type: domain.ParamArray, Default: json.RawMessage(`["a", "b"]`)},
			{Name: "filter", Type: domain.ParamObject, Default: json.RawMessage(`{"x": 1}`)},
			{Name: "paid", Type: domain.ParamBoolean, Default: json.RawMessage(`false`)},
			{Name: "min", Type: domain.ParamNumber, Default: json.RawMessage(`-1.5e3`)},
			{Name: "_unused1", Type: domain.ParamInteger, Default: json.RawMessage(`1e2`)},
		},
		DataSourceID: "d2",
	}), 1)
	require.Equal(t, "d2", q.DataSourceID)
	require.Empty(t, q.ResultSchemaID, "an update replaces the result schema reference")

	require.Len(t, step(domain.UpdateQuery{Template: "SELECT 1"}), 1)
	require.Equal(t, "d2", q.DataSourceID, "an empty data source id keeps the current one")
	require.Nil(t, q.Params)

	require.False(t, q.Mutation)
	mutation := domain.UpdateQuery{Template: "INSERT INTO t VALUES ({{v}})", Params: []domain.QueryParam{{Name: "v", Type: domain.ParamString}}, Mutation: true}
	evs := step(mutation)
	require.Len(t, evs, 1)
	require.True(t, evs[0].(*domain.QueryUpdated).Mutation)
	require.True(t, q.Mutation)
	require.Empty(t, step(mutation), "the same definition, mutation included, changes nothing")
	mutation.Mutation = false
	require.Len(t, step(mutation), 1, "clearing the mutation flag is a change")
	require.False(t, q.Mutation)
	require.Len(t, step(domain.UpdateQuery{Template: "SELECT 1"}), 1)

	require.Len(t, step(domain.RenameQuery{Name: "Open orders"}), 1)
	require.Empty(t, step(domain.RenameQuery{Name: "Open orders"}))
	require.Len(t, step(domain.DeleteQuery{}), 1)
	require.False(t, q.Exists())
	require.Equal(t, int64(8), q.Version)

	require.Equal(t, q, domain.FoldQuery(log))
	requireJSONRoundTrip(t, q)
	requireJSONRoundTrip(t, domain.FoldQuery(log[:2]))
	requireJSONRoundTrip(t, &domain.Query{})
}

func TestTemplatePlaceholders(t *testing.T) {
	t.Parallel()
	names, err := domain.TemplatePlaceholders("a {{x}} b {{ y_1 }} {{x}} {{_z}}")
	require.NoError(t, err)
	require.Equal(t, []string{"x", "y_1", "_z"}, names)
	names, err = domain.TemplatePlaceholders("SELECT '{' || '}' FROM t")
	require.NoError(t, err)
	require.Empty(t, names)
	for _, bad := range []string{"{{", "{{a", "{{a b}}", "{{1}}", "{{}}", "{{ a.b }}"} {
		_, err := domain.TemplatePlaceholders(bad)
		requireDomainErr(t, err, domain.ErrInvalid, "invalid_template", "/template")
	}
}

func TestQueryMutationFlag(t *testing.T) {
	t.Parallel()
	q := &domain.Query{}
	evs, err := q.Decide(domain.CreateQuery{QueryID: "q1", AppID: "a1", DataSourceID: "d1", Name: "Add", Template: "INSERT INTO t DEFAULT VALUES", Mutation: true}, testEnv())
	require.NoError(t, err)
	require.Len(t, evs, 1)
	require.True(t, evs[0].(*domain.QueryCreated).Mutation)
	q.Apply(evs[0])
	require.True(t, q.Mutation)
	requireJSONRoundTrip(t, q)

	// Events stored before the flag existed carry no "mutation" key and read as read-only; a
	// read-only query's events do not write the key either.
	var old domain.QueryCreated
	require.NoError(t, json.Unmarshal([]byte(`{"queryId":"q1","appId":"a1","dataSourceId":"d1","name":"Q","template":"SELECT 1","params":null}`), &old))
	require.False(t, old.Mutation)
	raw, err := json.Marshal(&domain.QueryUpdated{DataSourceID: "d1", Template: "SELECT 1"})
	require.NoError(t, err)
	require.NotContains(t, string(raw), "mutation")
}

func TestQueryParamTypeAccepts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		typ  domain.QueryParamType
		v    string
		want bool
	}{
		{domain.ParamString, `"x"`, true},
		{domain.ParamString, ` "x" `, true},
		{domain.ParamString, `1`, false},
		{domain.ParamInteger, `1e2`, true},
		{domain.ParamInteger, `1.5`, false},
		{domain.ParamInteger, `"1"`, false},
		{domain.ParamNumber, `-1.5e3`, true},
		{domain.ParamBoolean, `false`, true},
		{domain.ParamBoolean, `0`, false},
		{domain.ParamObject, `{}`, true},
		{domain.ParamArray, `[]`, true},
		{domain.ParamArray, `null`, false},
		{domain.ParamString, ``, false},
		{domain.ParamString, `"x`, false},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, tc.typ.Accepts(json.RawMessage(tc.v)), "%s accepts %s", tc.typ, tc.v)
	}
}

func TestQueryEventsCodec(t *testing.T) {
	t.Parallel()
	params := []domain.QueryParam{{Name: "id", Type: domain.ParamString, Required: true}, {Name: "n", Type: domain.ParamInteger, Default: json.RawMessage(`10`)}}
	events := []domain.Event{
		&domain.QueryCreated{QueryID: "q1", AppID: "a1", DataSourceID: "d1", Name: "Q", Template: "SELECT {{id}}, {{n}}", Params: params, ResultSchemaID: "c1"},
		&domain.QueryCreated{QueryID: "q1", AppID: "a1", DataSourceID: "d1", Name: "Q", Template: "SELECT 1"},
		&domain.QueryCreated{QueryID: "q1", AppID: "a1", DataSourceID: "d1", Name: "Q", Template: "DELETE FROM t", Mutation: true},
		&domain.QueryUpdated{DataSourceID: "d2", Template: "DELETE FROM t", Mutation: true},
		&domain.QueryUpdated{DataSourceID: "d2", Template: "GET /x?id={{id}}", Params: params[:1]},
		&domain.QueryRenamed{Name: "Q2"},
		&domain.QueryDeleted{},
	}
	requireCoversPrefix(t, "query.", events)
	requireCodecRoundTrip(t, events)
}
