package query_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore/postgres/pgtest"
	"github.com/goflow-dev/goflow/runtime/query"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// localDatabaseURL is the development server; CI sets GOFLOW_TEST_DATABASE_URL or lets pgtest
// start a throwaway cluster.
const localDatabaseURL = "postgres://root@127.0.0.1:5432/test?sslmode=disable"

// pgFixture is a schema of its own on a test server, and a data source whose connections use it.
type pgFixture struct {
	admin  *pgx.Conn
	schema string
	source *domain.DataSource
}

// setupPostgres finds a server as the repository's Postgres tests do (GOFLOW_TEST_DATABASE_URL,
// else the local development server, else pgtest's throwaway cluster, which skips or, with
// GOFLOW_REQUIRE_POSTGRES=1 or CI, fails when there is none), creates a schema for this test and
// drops it at the end.
func setupPostgres(t *testing.T, config ...string) *pgFixture {
	t.Helper()
	ctx := context.Background()
	raw := os.Getenv(pgtest.EnvDatabaseURL)
	if raw == "" {
		raw = localDatabaseURL
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(cctx, raw)
		cancel()
		if err != nil {
			raw = pgtest.URL(t)
		} else {
			_ = conn.Close(ctx)
		}
	}
	admin, err := pgx.Connect(ctx, raw)
	require.NoError(t, err)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "qt_" + hex.EncodeToString(b)
	_, err = admin.Exec(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		require.NoError(t, err)
		_ = admin.Close(context.Background())
	})
	_, err = admin.Exec(ctx, "SET search_path = "+schema)
	require.NoError(t, err)

	u, err := url.Parse(raw)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	cfg := map[string]json.RawMessage{"url": mustJSON(t, u.String())}
	for i := 0; i < len(config); i += 2 {
		cfg[config[i]] = json.RawMessage(config[i+1])
	}
	ds := &domain.DataSource{ID: "ds-" + schema, AppID: "a1", Name: "DB", Kind: domain.DataSourcePostgres, Config: cfg, Version: 1}
	return &pgFixture{admin: admin, schema: schema, source: ds}
}

func (f *pgFixture) exec(t *testing.T, sql string) {
	t.Helper()
	_, err := f.admin.Exec(context.Background(), sql)
	require.NoError(t, err)
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func sqlQuery(template string, params ...domain.QueryParam) *domain.Query {
	return &domain.Query{ID: "q", AppID: "a1", Name: "Q", Template: template, Params: params}
}

func TestPostgresTypes(t *testing.T) {
	t.Parallel()
	f := setupPostgres(t)
	e := newExecutor(t, query.Options{})
	cases := []struct {
		expr string
		want string
	}{
		{"NULL::int", `null`},
		{"42::int2", `42`},
		{"42::int4", `42`},
		{"9007199254740993::int8", `9007199254740993`},
		{"1.5::float8", `1.5`},
		{"'NaN'::float8", `"NaN"`},
		{"'-Infinity'::float4", `"-Infinity"`},
		{"12345678901234567890.123456789::numeric", `12345678901234567890.123456789`},
		{"'NaN'::numeric", `"NaN"`},
		{"true", `true`},
		{"'héllo \"x\"'::text", `"héllo \"x\""`},
		{"'ab'::char(3)", `"ab "`},
		{"'2024-02-29 13:14:15.5+02'::timestamptz", `"2024-02-29T11:14:15.5Z"`},
		{"'2024-02-29 13:14:15'::timestamp", `"2024-02-29T13:14:15Z"`},
		{"'2024-02-29'::date", `"2024-02-29"`},
		{"'13:14:15'::time", `"13:14:15"`},
		{"'13:14:15.25'::time", `"13:14:15.25"`},
		{"'1 day 02:00:00'::interval", `"1 day 02:00:00"`},
		{"'\\x00ff10'::bytea", `"AP8Q"`},
		{`'{"b": [1, 2.5, null], "a": "x"}'::jsonb`, `{"a":"x","b":[1,2.5,null]}`},
		{`'{"b": 1,  "a": 12345678901234567890}'::json`, `{"b":1,"a":12345678901234567890}`},
		{"'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", `"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"`},
		{"ARRAY[1, 2, NULL]::int[]", `[1,2,null]`},
		{"ARRAY['a', 'b']", `["a","b"]`},
		{"'10.0.0.0/8'::cidr", `"10.0.0.0/8"`},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			t.Parallel()
			res, err := e.Run(context.Background(), f.source, sqlQuery("SELECT "+tc.expr+" AS v"), nil)
			require.NoError(t, err)
			require.Equal(t, `[{"v":`+tc.want+`}]`, string(res.Data))
			require.Equal(t, 1, res.Rows)
		})
	}
	t.Run("columns keep their order", func(t *testing.T) {
		t.Parallel()
		res, err := e.Run(context.Background(), f.source, sqlQuery("SELECT 2 AS z, 1 AS a FROM generate_series(1, 2)"), nil)
		require.NoError(t, err)
		require.Equal(t, `[{"z":2,"a":1},{"z":2,"a":1}]`, string(res.Data))
		require.Equal(t, 2, res.Rows)
	})
	t.Run("no rows is an empty array", func(t *testing.T) {
		t.Parallel()
		res, err := e.Run(context.Background(), f.source, sqlQuery("SELECT 1 AS a WHERE false"), nil)
		require.NoError(t, err)
		require.Equal(t, `[]`, string(res.Data))
		require.Equal(t, 0, res.Rows)
	})
	t.Run("duplicate column names", func(t *testing.T) {
		t.Parallel()
		_, err := e.Run(context.Background(), f.source, sqlQuery("SELECT 1 AS a, 2 AS a"), nil)
		require.ErrorIs(t, err, query.ErrTemplate)
	})
}

func TestPostgresParams(t *testing.T) {
	t.Parallel()
	f := setupPostgres(t)
	f.exec(t, "CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, score numeric, active bool, meta jsonb)")
	f.exec(t, `INSERT INTO users VALUES (1, 'alice', 1.5, true, '{"plan": "pro"}'), (2, 'bob', 7, false, NULL), (3, 'o''brien', NULL, true, NULL)`)
	e := newExecutor(t, query.Options{})
	params := []domain.QueryParam{
		{Name: "name", Type: domain.ParamString},
		{Name: "id", Type: domain.ParamInteger},
		{Name: "ids", Type: domain.ParamArray},
		{Name: "names", Type: domain.ParamArray},
		{Name: "min", Type: domain.ParamNumber},
		{Name: "active", Type: domain.ParamBoolean},
		{Name: "meta", Type: domain.ParamObject},
	}
	cases := []struct {
		name     string
		template string
		params   string
		want     string
	}{
		{"string", "SELECT id FROM users WHERE name = {{name}}", `{"name": "alice"}`, `[{"id":1}]`},
		{"quote in a value", "SELECT id FROM users WHERE name = {{name}}", `{"name": "o'brien"}`, `[{"id":3}]`},
		{"injection stays data", "SELECT id FROM users WHERE name = {{name}}", `{"name": "x' OR '1'='1"}`, `[]`},
		{"injection with a second statement stays data", "SELECT id FROM users WHERE name = {{name}}", `{"name": "'; DROP TABLE users; --"}`, `[]`},
		{"same param twice", "SELECT id FROM users WHERE name = {{name}} OR upper(name) = upper({{ name }}) ORDER BY id", `{"name": "BOB"}`, `[{"id":2}]`},
		{"integer", "SELECT name FROM users WHERE id = {{id}}", `{"id": 2}`, `[{"name":"bob"}]`},
		{"integer written 2e0", "SELECT name FROM users WHERE id = {{id}}", `{"id": 2e0}`, `[{"name":"bob"}]`},
		{"integer array", "SELECT name FROM users WHERE id = ANY({{ids}}) ORDER BY id", `{"ids": [1, 3]}`, `[{"name":"alice"},{"name":"o'brien"}]`},
		{"string array", "SELECT id FROM users WHERE name = ANY({{names}}) ORDER BY id", `{"names": ["bob", "zed"]}`, `[{"id":2}]`},
		{"number", "SELECT id FROM users WHERE score > {{min}} ORDER BY id", `{"min": 1.25}`, `[{"id":1},{"id":2}]`},
		{"boolean", "SELECT id FROM users WHERE active = {{active}} ORDER BY id", `{"active": false}`, `[{"id":2}]`},
		{"object into jsonb", "SELECT id FROM users WHERE meta @> {{meta}}", `{"meta": {"plan": "pro"}}`, `[{"id":1}]`},
		{"absent param is null", "SELECT count(*) AS n FROM users WHERE {{name}}::text IS NULL", `{}`, `[{"n":3}]`},
		{"adjacent to text", "SELECT {{id}}+1 AS n", `{"id": 41}`, `[{"n":42}]`},
		{"placeholder-like text in a literal is left alone", "SELECT '{' || '}' AS b", `{}`, `[{"b":"{}"}]`},
	}
	// The group returns when its parallel cases are done, so the check below runs after them.
	t.Run("cases", func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				res, err := e.Run(context.Background(), f.source, sqlQuery(tc.template, params...), json.RawMessage(tc.params))
				require.NoError(t, err)
				require.Equal(t, tc.want, string(res.Data))
			})
		}
	})
	var n int
	require.NoError(t, f.admin.QueryRow(context.Background(), "SELECT count(*) FROM users").Scan(&n))
	require.Equal(t, 3, n, "the injection attempts left the table alone")
}

func TestPostgresTemplateErrors(t *testing.T) {
	t.Parallel()
	f := setupPostgres(t)
	e := newExecutor(t, query.Options{})
	p := []domain.QueryParam{{Name: "x", Type: domain.ParamString}}
	cases := []struct {
		name     string
		template string
		want     error
	}{
		{"placeholder in a string literal", "SELECT * FROM t WHERE name = '{{x}}'", query.ErrTemplate},
		{"placeholder in a LIKE pattern", "SELECT * FROM t WHERE name LIKE '%{{x}}%'", query.ErrTemplate},
		{"placeholder in an E string", `SELECT E'\'{{x}}'`, query.ErrTemplate},
		{"placeholder in dollar quotes", "SELECT $q${{x}}$q$", query.ErrTemplate},
		{"placeholder in a quoted identifier", `SELECT 1 AS "{{x}}"`, query.ErrTemplate},
		{"placeholder in a comment", "SELECT 1 -- {{x}}", query.ErrTemplate},
		{"placeholder in a block comment", "SELECT 1 /* a /* {{x}} */ */", query.ErrTemplate},
		{"hand-written $1", "SELECT $1::text", query.ErrTemplate},
		{"unclosed literal", "SELECT 'abc", query.ErrTemplate},
		{"two statements", "SELECT 1; SELECT 2", query.ErrDatabase},
		{"syntax error", "SELEC 1", query.ErrDatabase},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := e.Run(context.Background(), f.source, sqlQuery(tc.template, p...), json.RawMessage(`{"x": "a"}`))
			require.ErrorIs(t, err, tc.want)
		})
	}
}

func TestRewriteSQL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		template string
		text     string
		names    []string
	}{
		{"SELECT {{a}}, {{ b }}, {{a}}", "SELECT $1, $2, $1", []string{"a", "b"}},
		{"SELECT x{{a}}y", "SELECT x $1 y", []string{"a"}},
		{"SELECT '{{', {{a}}", "", nil}, // error: placeholder start inside a literal
		{"SELECT 'it''s', \"col\"\"x\", $$ a $$, $t$ {$t$, {{a}} -- c\n/* x */", "SELECT 'it''s', \"col\"\"x\", $$ a $$, $t$ {$t$, $1 -- c\n/* x */", []string{"a"}},
		{"SELECT a$b, {{a}}", "SELECT a$b, $1", []string{"a"}},
		{"SELECT E'\\'', {{a}}", "SELECT E'\\'', $1", []string{"a"}},
	}
	for _, tc := range cases {
		got, err := query.RewriteSQL(tc.template)
		if tc.names == nil {
			require.ErrorIs(t, err, query.ErrTemplate, tc.template)
			continue
		}
		require.NoError(t, err, tc.template)
		require.Equal(t, tc.text, got.Text)
		require.Equal(t, tc.names, got.Names)
	}
}

func TestPostgresReadOnlyUnlessMutation(t *testing.T) {
	t.Parallel()
	f := setupPostgres(t)
	f.exec(t, "CREATE TABLE notes (id serial PRIMARY KEY, body text)")
	e := newExecutor(t, query.Options{})
	p := []domain.QueryParam{{Name: "body", Type: domain.ParamString, Required: true}}
	insert := sqlQuery("INSERT INTO notes (body) VALUES ({{body}}) RETURNING id, body", p...)
	cases := []struct {
		name     string
		template string
	}{
		{"insert refused", "INSERT INTO notes (body) VALUES ({{body}})"},
		{"update refused", "UPDATE notes SET body = {{body}}"},
		{"data-modifying CTE refused", "WITH x AS (DELETE FROM notes RETURNING id) SELECT {{body}} AS b, count(*) FROM x"},
		{"DDL refused", "CREATE TABLE evil (x text)"},
		{"nextval refused", "SELECT nextval('notes_id_seq'), {{body}} AS b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Run(context.Background(), f.source, sqlQuery(tc.template, p...), json.RawMessage(`{"body": "x"}`))
			require.ErrorIs(t, err, query.ErrDatabase)
			require.ErrorContains(t, err, "read-only transaction")
		})
	}
	insert.Mutation = true
	res, err := e.Run(context.Background(), f.source, insert, json.RawMessage(`{"body": "hello"}`))
	require.NoError(t, err)
	require.Equal(t, `[{"id":1,"body":"hello"}]`, string(res.Data))
	var n int
	require.NoError(t, f.admin.QueryRow(context.Background(), "SELECT count(*) FROM notes").Scan(&n))
	require.Equal(t, 1, n, "only the mutation wrote, and it committed")
}

func TestPostgresLimits(t *testing.T) {
	t.Parallel()
	f := setupPostgres(t, "statementTimeoutMs", `200`, "maxRows", `5`)
	f.exec(t, "CREATE TABLE log (n int)")
	e := newExecutor(t, query.Options{})
	cases := []struct {
		name     string
		template string
		mutation bool
		want     error
		rows     int
	}{
		{"statement timeout", "SELECT pg_sleep(3)", false, query.ErrTimeout, 0},
		{"at the row limit", "SELECT n FROM generate_series(1, 5) n", false, nil, 5},
		{"over the row limit", "SELECT n FROM generate_series(1, 6) n", false, query.ErrTooManyRows, 0},
		{"a mutation over the row limit rolls back", "INSERT INTO log SELECT generate_series(1, 6) RETURNING n", true, query.ErrTooManyRows, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := sqlQuery(tc.template)
			q.Mutation = tc.mutation
			start := time.Now()
			res, err := e.Run(context.Background(), f.source, q, nil)
			require.Less(t, time.Since(start), 2*time.Second)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.rows, res.Rows)
		})
	}
	var n int
	require.NoError(t, f.admin.QueryRow(context.Background(), "SELECT count(*) FROM log").Scan(&n))
	require.Zero(t, n)

	// The timeout is per transaction (SET LOCAL): the pooled connection is not left with it.
	res, err := e.Run(context.Background(), f.source, sqlQuery("SELECT current_setting('statement_timeout') AS t"), nil)
	require.NoError(t, err)
	require.Equal(t, `[{"t":"200ms"}]`, string(res.Data))
	res, err = e.Run(context.Background(), f.source, sqlQuery("SHOW transaction_read_only"), nil)
	require.NoError(t, err)
	require.Equal(t, `[{"transaction_read_only":"on"}]`, string(res.Data))

	// The caller's context bounds a run too.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = e.Run(ctx, f.source, sqlQuery("SELECT pg_sleep(0.15)"), nil)
	require.ErrorIs(t, err, query.ErrTimeout)
}

func TestPostgresPools(t *testing.T) {
	t.Parallel()
	f := setupPostgres(t)
	e := query.New(query.Options{})
	q := sqlQuery("SELECT n FROM generate_series(1, 3) n")
	res, err := e.Run(context.Background(), f.source, q, nil)
	require.NoError(t, err)
	require.Equal(t, 3, res.Rows)

	// A config change rebuilds the pool and takes effect.
	changed := *f.source
	changed.Config = map[string]json.RawMessage{"url": f.source.Config["url"], "maxRows": json.RawMessage(`2`)}
	_, err = e.Run(context.Background(), &changed, q, nil)
	require.ErrorIs(t, err, query.ErrTooManyRows)

	// A forgotten data source gets a new pool on its next run.
	e.Forget(changed.ID)
	res, err = e.Run(context.Background(), f.source, q, nil)
	require.NoError(t, err)
	require.Equal(t, 3, res.Rows)

	// Concurrent runs share the pool.
	errs := make(chan error, 20)
	for range 20 {
		go func() {
			_, err := e.Run(context.Background(), f.source, sqlQuery("SELECT pg_sleep(0.01)"), nil)
			errs <- err
		}()
	}
	for range 20 {
		require.NoError(t, <-errs)
	}

	e.Close()
	_, err = e.Run(context.Background(), f.source, q, nil)
	require.ErrorIs(t, err, query.ErrConnect, "a closed executor runs nothing")
}

// TestPostgresErrorsNeverCarrySecrets provokes errors that would quote the password and checks
// that the message does not.
func TestPostgresErrorsNeverCarrySecrets(t *testing.T) {
	t.Parallel()
	const pw = "pw-PLANTED-7731"
	f := setupPostgres(t)
	e := newExecutor(t, query.Options{ConnectTimeout: 2 * time.Second})
	withSecret := *f.source
	withSecret.Secrets = map[string]string{"password": pw}
	unreachable := &domain.DataSource{ID: "ds-down", Kind: domain.DataSourcePostgres, Secrets: map[string]string{"password": pw},
		Config: map[string]json.RawMessage{"host": json.RawMessage(`"127.0.0.1"`), "port": json.RawMessage(`1`), "database": json.RawMessage(`"x"`), "user": json.RawMessage(`"u"`), "sslmode": json.RawMessage(`"disable"`)}}
	p := []domain.QueryParam{{Name: "v", Type: domain.ParamString}}
	cases := []struct {
		name   string
		ds     *domain.DataSource
		sql    string
		params string
		want   error
		quoted bool // the unredacted message would have carried the secret
	}{
		{"database error quoting the value", &withSecret, "SELECT {{v}}::int AS n", `{"v": "` + pw + `"}`, query.ErrDatabase, true},
		{"unreachable server", unreachable, "SELECT 1", `{}`, query.ErrConnect, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := e.Run(context.Background(), tc.ds, sqlQuery(tc.sql, p...), json.RawMessage(tc.params))
			require.ErrorIs(t, err, tc.want)
			require.NotContains(t, err.Error(), pw)
			if tc.quoted {
				require.Contains(t, err.Error(), "[redacted]")
			}
		})
	}
}
