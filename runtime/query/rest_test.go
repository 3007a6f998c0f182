package query_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/runtime/query"
)

// echoed is what the echo server saw.
type echoed struct {
	Method  string              `json:"method"`
	Path    string              `json:"path"` // escaped, as sent
	Query   map[string][]string `json:"query"`
	Headers map[string]string   `json:"headers"`
	Body    json.RawMessage     `json:"body"`
}

// echoServer answers every request with what it received.
func echoServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e := echoed{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.Query(), Headers: map[string]string{}}
		if len(body) > 0 {
			e.Body = body
		}
		for k := range r.Header {
			e.Headers[k] = r.Header.Get(k)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(e)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func restSource(baseURL string, secrets map[string]string, kv ...string) *domain.DataSource {
	cfg := map[string]json.RawMessage{"baseUrl": json.RawMessage(`"` + baseURL + `"`)}
	for i := 0; i < len(kv); i += 2 {
		cfg[kv[i]] = json.RawMessage(kv[i+1])
	}
	return &domain.DataSource{ID: "ds-rest", AppID: "a1", Name: "API", Kind: domain.DataSourceREST, Config: cfg, Secrets: secrets}
}

func restQuery(template string, params ...domain.QueryParam) *domain.Query {
	return &domain.Query{ID: "q1", AppID: "a1", DataSourceID: "ds-rest", Name: "Q", Template: template, Params: params}
}

func newExecutor(t *testing.T, opts query.Options) *query.Executor {
	t.Helper()
	e := query.New(opts)
	t.Cleanup(e.Close)
	return e
}

func runEcho(t *testing.T, e *query.Executor, ds *domain.DataSource, q *domain.Query, params string) echoed {
	t.Helper()
	res, err := e.Run(context.Background(), ds, q, json.RawMessage(params))
	require.NoError(t, err)
	require.Equal(t, 1, res.Rows)
	require.Positive(t, res.Duration)
	var got echoed
	require.NoError(t, json.Unmarshal(res.Data, &got))
	return got
}

func TestRESTSubstitution(t *testing.T) {
	t.Parallel()
	srv := echoServer(t)
	e := newExecutor(t, query.Options{})
	ds := restSource(srv.URL+"/v1/", nil)
	params := []domain.QueryParam{
		{Name: "id", Type: domain.ParamString, Required: true},
		{Name: "status", Type: domain.ParamString, Default: json.RawMessage(`"open"`)},
		{Name: "tags", Type: domain.ParamArray},
		{Name: "limit", Type: domain.ParamInteger},
		{Name: "paid", Type: domain.ParamBoolean},
		{Name: "filter", Type: domain.ParamObject},
		{Name: "note", Type: domain.ParamString},
	}
	cases := []struct {
		name     string
		template string
		params   string
		check    func(t *testing.T, got echoed)
	}{
		{"path value stays one segment", `{"path": "/items/{{id}}"}`, `{"id": "a/b?c&d=e#f g"}`, func(t *testing.T, got echoed) {
			require.Equal(t, "/v1/items/a%2Fb%3Fc%26d%3De%23f%20g", got.Path)
			require.Empty(t, got.Query)
			require.Equal(t, "GET", got.Method)
		}},
		{"dot segments are encoded", `{"path": "/items/{{id}}/x"}`, `{"id": ".."}`, func(t *testing.T, got echoed) {
			require.Equal(t, "/v1/items/%2E%2E/x", got.Path)
		}},
		{"query in path is encoded", `{"path": "/items?q={{id}}"}`, `{"id": "a&admin=1"}`, func(t *testing.T, got echoed) {
			require.Equal(t, map[string][]string{"q": {"a&admin=1"}}, got.Query)
		}},
		{"query members", `{"path": "/items", "query": {"status": "{{status}}", "tag": {{tags}}, "limit": {{limit}}, "paid": {{paid}}, "fixed": 5, "id": "x-{{id}}"}}`,
			`{"id": "1 2", "tags": ["a", "b&c"], "paid": false}`, func(t *testing.T, got echoed) {
				require.Equal(t, map[string][]string{
					"status": {"open"}, "tag": {"a", "b&c"}, "paid": {"false"}, "fixed": {"5"}, "id": {"x-1 2"},
				}, got.Query, "absent limit is left out")
			}},
		{"body values keep their JSON types", `{"method": "post", "path": "/orders", "body": {"id": "{{id}}", "tags": {{tags}}, "limit": {{limit}}, "filter": {{filter}}, "note": {{note}}, "text": "n={{limit}} {{filter}}"}}`,
			`{"id": "o\"1", "tags": [1, "x"], "limit": 12345678901234567890, "filter": {"a": {"{{id}}": 1}}}`, func(t *testing.T, got echoed) {
				require.Equal(t, "POST", got.Method)
				require.JSONEq(t, `{"id": "o\"1", "tags": [1, "x"], "limit": 12345678901234567890, "filter": {"a": {"{{id}}": 1}}, "note": null, "text": "n=12345678901234567890 {\"a\":{\"{{id}}\":1}}"}`, string(got.Body),
					"values are not substituted again")
				require.Equal(t, "application/json", got.Headers["Content-Type"])
			}},
		{"one-line form", `GET /items/{{id}}?limit={{limit}}`, `{"id": "a b", "limit": 1e1}`, func(t *testing.T, got echoed) {
			require.Equal(t, "/v1/items/a%20b", got.Path)
			require.Equal(t, map[string][]string{"limit": {"10"}}, got.Query)
		}},
		{"template headers", `{"headers": {"X-Trace": "t-{{id}}"}}`, `{"id": "42"}`, func(t *testing.T, got echoed) {
			require.Equal(t, "t-42", got.Headers["X-Trace"])
			require.Equal(t, "application/json", got.Headers["Accept"])
			require.Equal(t, "/v1/", got.Path, "no path: the baseUrl as it is")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.check(t, runEcho(t, e, ds, restQuery(tc.template, params...), tc.params))
		})
	}
	t.Run("baseUrl query is kept", func(t *testing.T) {
		t.Parallel()
		got := runEcho(t, e, restSource(srv.URL+"/v2?tenant=a", nil), restQuery(`{"path": "/items?page=2", "query": {"tenant": "b"}}`), `{}`)
		require.Equal(t, "/v2/items", got.Path)
		require.Equal(t, map[string][]string{"tenant": {"a", "b"}, "page": {"2"}}, got.Query)
	})
}

func TestRESTTemplateErrors(t *testing.T) {
	t.Parallel()
	srv := echoServer(t)
	e := newExecutor(t, query.Options{})
	ds := restSource(srv.URL, nil)
	p := []domain.QueryParam{{Name: "x", Type: domain.ParamString}}
	cases := []struct {
		name     string
		template string
		params   string
		want     error
	}{
		{"neither JSON nor a request line", `fetch the items`, `{}`, query.ErrTemplate},
		{"request line without a path", `GET`, `{}`, query.ErrTemplate},
		{"unknown member", `{"url": "/x"}`, `{}`, query.ErrTemplate},
		{"method placeholder", `{"method": "{{x}}"}`, `{"x": "DELETE"}`, query.ErrTemplate},
		{"relative path", `{"path": "items"}`, `{}`, query.ErrTemplate},
		{"path from a param", `{"path": "{{x}}"}`, `{"x": "http://evil.example.com/"}`, query.ErrTemplate},
		{"bare path placeholder", `{"path": {{x}}}`, `{"x": "/a"}`, query.ErrTemplate},
		{"header line break", `{"headers": {"X-A": "{{x}}"}}`, `{"x": "a\r\nX-Evil: 1"}`, query.ErrInvalidParams},
		{"query object value", `{"query": {"a": {"b": 1}}}`, `{}`, query.ErrTemplate},
		{"param type checked first", `{"path": "/a"}`, `{"x": 1}`, query.ErrInvalidParams},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := e.Run(context.Background(), ds, restQuery(tc.template, p...), json.RawMessage(tc.params))
			require.ErrorIs(t, err, tc.want)
		})
	}
}

func TestRESTCredentials(t *testing.T) {
	t.Parallel()
	srv := echoServer(t)
	e := newExecutor(t, query.Options{})
	q := restQuery(`{"path": "/me", "headers": {"Authorization": "Bearer forged", "X-API-Key": "forged"}}`)
	cases := []struct {
		name    string
		secrets map[string]string
		config  []string
		want    map[string]string
	}{
		{"api key and bearer", map[string]string{"apiKey": "k-1", "bearerToken": "tok"}, nil,
			map[string]string{"X-Api-Key": "k-1", "Authorization": "Bearer tok"}},
		{"api key header renamed", map[string]string{"apiKey": "k-1"}, []string{"apiKeyHeader", `"X-Token"`},
			map[string]string{"X-Token": "k-1", "X-Api-Key": "forged", "Authorization": "Bearer forged"}},
		{"basic auth", map[string]string{"password": "pw"}, []string{"user", `"svc"`},
			map[string]string{"Authorization": "Basic c3ZjOnB3"}},
		{"bearer wins over password", map[string]string{"password": "pw", "bearerToken": "tok"}, nil,
			map[string]string{"Authorization": "Bearer tok"}},
		{"config headers", nil, []string{"headers", `{"X-Team": "sales"}`},
			map[string]string{"X-Team": "sales", "Authorization": "Bearer forged"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := runEcho(t, e, restSource(srv.URL, tc.secrets, tc.config...), q, `{}`)
			for k, v := range tc.want {
				require.Equal(t, v, got.Headers[k], k)
			}
		})
	}
}

func TestRESTHostsAndRedirects(t *testing.T) {
	t.Parallel()
	other := echoServer(t) // another port on 127.0.0.1: another host for the allow list
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		_, _ = io.WriteString(w, `{"ok": true}`)
	}))
	t.Cleanup(api.Close)
	otherHost := strings.TrimPrefix(other.URL, "http://")
	e := newExecutor(t, query.Options{})
	secrets := map[string]string{"apiKey": "k-secret", "bearerToken": "t-secret"}
	cases := []struct {
		name    string
		allowed string // allowedHosts JSON; "" for none
		path    string
		want    error
	}{
		{"base host", "", "/x", nil},
		{"absolute URL to another port", "", other.URL + "/x", query.ErrHostNotAllowed},
		{"absolute URL to localhost", "", strings.Replace(api.URL, "127.0.0.1", "localhost", 1) + "/x", query.ErrHostNotAllowed},
		{"absolute URL, host allowed with its port", `["` + otherHost + `"]`, other.URL + "/x", nil},
		{"absolute URL, host allowed on any port", `["127.0.0.1"]`, other.URL + "/x", nil},
		{"absolute URL, other port listed", `["127.0.0.1:1"]`, other.URL + "/x", query.ErrHostNotAllowed},
		{"redirect to a disallowed host", "", "/r?to=" + other.URL + "/x", query.ErrHostNotAllowed},
		{"redirect to an allowed host", `["127.0.0.1"]`, "/r?to=" + other.URL + "/x", nil},
		{"redirect to a non-http scheme", "", "/r?to=ftp://127.0.0.1/x", query.ErrHostNotAllowed},
		{"credentials in URL", `["127.0.0.1"]`, "http://u:p@" + otherHost + "/x", query.ErrHostNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var cfg []string
			if tc.allowed != "" {
				cfg = []string{"allowedHosts", tc.allowed}
			}
			ds := restSource(api.URL, secrets, cfg...)
			res, err := e.Run(context.Background(), ds, restQuery(`{"path": "`+tc.path+`"}`), nil)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			require.NotEmpty(t, res.Data)
			if strings.HasPrefix(tc.path, "/r?") {
				var got echoed
				require.NoError(t, json.Unmarshal(res.Data, &got))
				require.Equal(t, "/x", got.Path, "the redirect was followed")
				require.Empty(t, got.Headers["X-Api-Key"], "credentials are not forwarded to another host")
				require.Empty(t, got.Headers["Authorization"])
			}
		})
	}
}

func TestRESTResponses(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			select { // answer only when the client gives up
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		case "/big":
			_, _ = io.WriteString(w, `"`+strings.Repeat("x", 4096)+`"`)
		case "/html":
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<html>hi</html>")
		case "/fail":
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"error": "boom"}`)
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/list":
			_, _ = io.WriteString(w, ` [1, 2, 3] `)
		}
	}))
	t.Cleanup(srv.Close)
	e := newExecutor(t, query.Options{MaxResponseBytes: 1024})
	ds := restSource(srv.URL, nil, "timeoutMs", `200`)
	cases := []struct {
		path string
		want error
		data string
		rows int
	}{
		{"/slow", query.ErrTimeout, "", 0},
		{"/big", query.ErrTooLarge, "", 0},
		{"/html", query.ErrNotJSON, "", 0},
		{"/fail", query.ErrStatus, "", 0},
		{"/empty", nil, "null", 0},
		{"/list", nil, "[1,2,3]", 3},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			res, err := e.Run(context.Background(), ds, restQuery(`{"path": "`+tc.path+`"}`), nil)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				require.Less(t, time.Since(start), 5*time.Second)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.data, string(res.Data))
			require.Equal(t, tc.rows, res.Rows)
		})
	}
	t.Run("status error carries code and body", func(t *testing.T) {
		t.Parallel()
		_, err := e.Run(context.Background(), ds, restQuery(`{"path": "/fail"}`), nil)
		var se *query.StatusError
		require.True(t, errors.As(err, &se))
		require.Equal(t, http.StatusInternalServerError, se.Code)
		require.Contains(t, se.Body, "boom")
	})
}

// TestRESTErrorsNeverCarrySecrets plants secrets that a server echoes back and a URL carries,
// and checks that no error message contains them.
func TestRESTErrorsNeverCarrySecrets(t *testing.T) {
	t.Parallel()
	const key, token, pw = "k-PLANTED-4417", "t-PLANTED-9921", "p PLANTED/&?"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized) // echoes the credentials, as careless APIs do
		_, _ = io.WriteString(w, "bad key "+r.Header.Get("X-API-Key")+" / "+r.Header.Get("Authorization")+" / "+r.URL.RawQuery)
	}))
	t.Cleanup(srv.Close)
	e := newExecutor(t, query.Options{})
	p := []domain.QueryParam{{Name: "v", Type: domain.ParamString}}
	cases := []struct {
		name     string
		secrets  map[string]string
		template string
		params   string
		want     error
	}{
		{"echoed in a 401 body", map[string]string{"apiKey": key, "bearerToken": token}, `{"path": "/x"}`, `{}`, query.ErrStatus},
		{"basic auth echoed in a 401 body", map[string]string{"password": "pw-PLANTED-1"}, `{"path": "/x"}`, `{}`, query.ErrStatus},
		{"in the query string of a 401", map[string]string{"password": pw}, `{"path": "/x", "query": {"v": "{{v}}"}}`, `{"v": "` + strings.ReplaceAll(pw, "/", "\\/") + `"}`, query.ErrStatus},
		{"in a refused URL", map[string]string{"apiKey": key}, `{"path": "http://` + key + `.example.com/{{v}}"}`, `{"v": "` + key + `"}`, query.ErrHostNotAllowed},
		{"in an unreachable URL", map[string]string{"apiKey": key}, `{"path": "/x/{{v}}"}`, `{"v": "` + key + `"}`, query.ErrConnect},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base := srv.URL
			if tc.want == query.ErrConnect {
				base = "http://127.0.0.1:1"
			}
			_, err := e.Run(context.Background(), restSource(base, tc.secrets), restQuery(tc.template, p...), json.RawMessage(tc.params))
			require.ErrorIs(t, err, tc.want)
			for _, s := range tc.secrets {
				require.NotContains(t, err.Error(), s)
				require.NotContains(t, err.Error(), strings.ReplaceAll(s, " ", "+"))
				require.NotContains(t, err.Error(), base64.StdEncoding.EncodeToString([]byte(":"+s)), "nor as a basic-auth token")
			}
			require.Contains(t, err.Error(), "[redacted]", "the test must provoke an error that quoted the secret")
		})
	}
}

func TestStatic(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, query.Options{})
	cases := []struct {
		data string
		rows int
	}{
		{`[{"id":1},{"id":2}]`, 2},
		{`{"a":1}`, 1},
		{`null`, 0},
		{`[]`, 0},
	}
	for _, tc := range cases {
		ds := &domain.DataSource{ID: "s", Kind: domain.DataSourceStatic, Config: map[string]json.RawMessage{"data": json.RawMessage(tc.data)}}
		res, err := e.Run(context.Background(), ds, &domain.Query{Template: "unused"}, nil)
		require.NoError(t, err)
		require.Equal(t, tc.data, string(res.Data))
		require.Equal(t, tc.rows, res.Rows)
	}
	// Params are checked for static sources too.
	ds := &domain.DataSource{ID: "s", Kind: domain.DataSourceStatic, Config: map[string]json.RawMessage{"data": json.RawMessage(`1`)}}
	_, err := e.Run(context.Background(), ds, &domain.Query{Template: "x"}, json.RawMessage(`{"x": 1}`))
	require.ErrorIs(t, err, query.ErrInvalidParams)
	_, err = e.Run(context.Background(), &domain.DataSource{Kind: "mysql"}, &domain.Query{}, nil)
	require.ErrorIs(t, err, query.ErrConfig)
	_, err = e.Run(context.Background(), nil, &domain.Query{}, nil)
	require.ErrorIs(t, err, query.ErrConfig)
}
