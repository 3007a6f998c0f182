package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain/secretbox"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/postgres"
	"github.com/goflow-dev/goflow/eventstore/postgres/pgtest"
	"github.com/goflow-dev/goflow/eventstore/sqlite"
	"github.com/goflow-dev/goflow/projections"
	"github.com/goflow-dev/goflow/projections/pgdocs"
	"github.com/goflow-dev/goflow/projections/sqlitedocs"
	"github.com/goflow-dev/goflow/web"
	"github.com/goflow-dev/goflow/web/auth"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// backends are the event stores every API test runs against.
var backends = []string{"sqlite", "postgres"}

// migrator is what both store types offer besides eventstore.Store.
type migrator interface {
	eventstore.Store
	Migrate(ctx context.Context) (int, error)
}

// openStore opens a fresh, migrated event store of the named backend and the projections'
// document store in its database.
func openStore(t *testing.T, backend string) (migrator, projections.DocStore) {
	t.Helper()
	st, docs, _ := openStoreURL(t, backend)
	return st, docs
}

// openStoreURL is openStore that also returns the Postgres database's URL ("" for SQLite), so
// that a test can start a second node on the same database.
func openStoreURL(t *testing.T, backend string) (migrator, projections.DocStore, string) {
	t.Helper()
	ctx := context.Background()
	switch backend {
	case "sqlite":
		path := filepath.Join(t.TempDir(), "goflow.db")
		st, err := sqlite.Open(ctx, sqlite.Config{Path: path, PollInterval: 100 * time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		_, err = st.Migrate(ctx)
		require.NoError(t, err)
		docs, err := sqlitedocs.Open(ctx, path)
		require.NoError(t, err)
		t.Cleanup(func() { _ = docs.Close() })
		return st, docs, ""
	case "postgres":
		url := pgtest.URL(t)
		st, err := postgres.Open(ctx, postgres.Config{URL: url, PollInterval: 100 * time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		_, err = st.Migrate(ctx)
		require.NoError(t, err)
		return st, pgdocs.New(st.Pool()), url
	}
	t.Fatalf("unknown backend %q", backend)
	return nil, nil, ""
}

// startRunner runs every projection until the test ends.
func startRunner(t *testing.T, st eventstore.Store, docs projections.DocStore) *projections.Runner {
	t.Helper()
	r, err := projections.NewRunner(projections.RunnerConfig{
		Log: st, Docs: docs, Projections: projections.All(),
		Logger:        slog.New(slog.DiscardHandler),
		ClaimInterval: 20 * time.Millisecond, RetryInterval: time.Millisecond, PollInterval: 50 * time.Millisecond,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Error("projections runner did not stop")
		}
	})
	return r
}

// apiBundle is a running API server over real HTTP and the stores behind it.
type apiBundle struct {
	server *web.Server
	srv    *httptest.Server
	store  migrator
	docs   projections.DocStore
	// c acts as alice, the first administrator, owner of workspace ws.
	c  *client
	ws string
	// log holds everything the server logged.
	log *syncBuffer
	// pgURL is the Postgres database ("" on SQLite), for a second node.
	pgURL string
}

// harnessSetupToken is the setup token of every test server.
const harnessSetupToken = "harness-setup-token-7d1f"

// newAPI serves the real web handler over fresh stores of the backend, with the projections
// runner running. It signs up alice as the first administrator, gives her an API token and a
// workspace, and checks when the test ends that no secret the test sent (passwords, tokens, data
// source secrets) came back in any response or log line.
func newAPI(t *testing.T, backend string, cfg web.Config) apiBundle {
	t.Helper()
	st, docs, url := openStoreURL(t, backend)
	cfg.Store, cfg.Docs = st, docs
	cfg.Projections = startRunner(t, st, docs)
	cfg.ProjectionWait = 10 * time.Second // generous: a timeout here shows up as a stale read
	logs := &syncBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if cfg.Auth.SetupToken == "" {
		cfg.Auth.SetupToken = harnessSetupToken
	}
	if cfg.Auth.Passwords == (auth.Params{}) {
		cfg.Auth.Passwords = auth.TestParams()
	}
	if cfg.SecretBox == nil {
		cfg.SecretBox = testBox(t)
	}
	s, err := web.New(cfg)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	srv := httptest.NewServer(s.Handler())
	rtCtx, stopRealtime := context.WithCancel(context.Background())
	rtDone := make(chan error, 1)
	go func() { rtDone <- s.RunRealtime(rtCtx) }()
	t.Cleanup(func() {
		stopRealtime()
		require.NoError(t, <-rtDone)
	})
	t.Cleanup(srv.Close)

	ids := &identities{tokens: map[string]string{}}
	b := apiBundle{server: s, srv: srv, store: st, docs: docs, log: logs, pgURL: url}
	b.c = &client{t: t, base: srv.URL, actor: "alice", ids: ids}
	t.Cleanup(func() { ids.checkLeaks(t, logs) })

	sess, cookie := signIn(b.c.as(""), "/api/auth/setup", map[string]any{
		"setupToken": cfg.Auth.SetupToken, "username": "alice", "password": passwordOf("alice"),
	}, http.StatusCreated)
	ids.tokens["alice"] = mintToken(b.c.as(""), cookie, sess["csrfToken"].(string))
	b.ws = b.c.post("/api/workspaces", map[string]any{"name": "Test workspace"}).ok(http.StatusCreated)["id"].(string)
	ids.ws, ids.admin = b.ws, b.c
	return b
}

// passwordOf is the password the harness gives a user.
func passwordOf(user string) string { return "pw-" + user + "-correct-horse" }

// identities are the users a bundle's clients act as, created on first use.
type identities struct {
	mu     sync.Mutex
	tokens map[string]string
	ws     string
	admin  *client
	// secrets are values no response body or log line may contain.
	secrets []string
}

// plant records values that must never come back.
func (ids *identities) plant(vs ...string) {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	for _, v := range vs {
		if len(v) >= 8 {
			ids.secrets = append(ids.secrets, v)
		}
	}
}

func (ids *identities) planted() []string {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	return slices.Clone(ids.secrets)
}

// checkLeaks fails the test if a planted secret appears in the server's log.
func (ids *identities) checkLeaks(t *testing.T, logs *syncBuffer) {
	out := logs.String()
	for _, s := range ids.planted() {
		if strings.Contains(out, s) {
			t.Errorf("the server logged a secret (%.6s...)", s)
		}
	}
}

// tokenFor returns the API token of user, creating the user as an editor of the bundle's
// workspace on first use.
func (ids *identities) tokenFor(t *testing.T, base, user string) string {
	ids.mu.Lock()
	tok, ok := ids.tokens[user]
	ids.mu.Unlock()
	if ok {
		return tok
	}
	admin := ids.admin.with(t)
	admin.post("/api/users", map[string]any{"username": user, "password": passwordOf(user)}).ok(http.StatusCreated)
	admin.put("/api/workspaces/"+ids.ws+"/members/"+user, map[string]any{"role": "editor"}).ok(http.StatusOK)
	anon := &client{t: t, base: base, ids: ids}
	sess, cookie := signIn(anon, "/api/auth/login", map[string]any{"username": user, "password": passwordOf(user)}, http.StatusOK)
	tok = mintToken(anon, cookie, sess["csrfToken"].(string))
	ids.mu.Lock()
	ids.tokens[user] = tok
	ids.mu.Unlock()
	return tok
}

// client sends requests as one actor, authenticated by that user's API token ("" = anonymous).
type client struct {
	t     *testing.T
	base  string
	actor string
	ids   *identities
	// cookie and csrf, when set, authenticate instead of the token.
	cookie, csrf string
}

// as returns a client acting as another user ("" = anonymous).
func (c *client) as(actor string) *client {
	cp := *c
	cp.actor = actor
	cp.cookie, cp.csrf = "", ""
	return &cp
}

// with returns a client bound to another test (for subtests).
func (c *client) with(t *testing.T) *client { cp := *c; cp.t = t; return &cp }

// withSession returns a client authenticated by a session cookie (and CSRF token, if not "").
func (c *client) withSession(cookie, csrf string) *client {
	cp := *c
	cp.cookie, cp.csrf = cookie, csrf
	return &cp
}

// token returns the client's API token.
func (c *client) token() string { c.t.Helper(); return c.ids.tokenFor(c.t, c.base, c.actor) }

// apps is the path of the workspace's apps.
func (c *client) apps() string { return "/api/workspaces/" + c.ids.ws + "/apps" }

type apiResponse struct {
	t      *testing.T
	status int
	header http.Header
	raw    []byte
}

// secretFields are request fields whose values the harness plants as secrets.
var secretFields = []string{"password", "newPassword", "currentPassword", "setupToken", "secret", "apiKey"}

// plantFrom plants the secret values of a request body: passwords, and every value of a
// "secrets" object (data source secrets).
func (c *client) plantFrom(body any) {
	raw, err := json.Marshal(body)
	if err != nil {
		return
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return
	}
	for _, f := range secretFields {
		if v, ok := m[f].(string); ok {
			c.ids.plant(v)
		}
	}
	if sec, ok := m["secrets"].(map[string]any); ok {
		for _, v := range sec {
			if s, ok := v.(string); ok {
				c.ids.plant(s)
			}
		}
	}
}

// do sends a request; body is JSON-encoded unless it is a string, []byte or io.Reader (sent as
// is). Every response body is checked for planted secrets.
func (c *client) do(method, path string, body any, headers ...string) apiResponse {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		c.plantFrom(b)
		raw, err := json.Marshal(b)
		require.NoError(c.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(c.t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case c.cookie != "":
		req.Header.Set("Cookie", web.SessionCookie+"="+c.cookie)
		if c.csrf != "" {
			req.Header.Set(web.CSRFHeader, c.csrf)
		}
	case c.actor != "":
		req.Header.Set("Authorization", "Bearer "+c.ids.tokenFor(c.t, c.base, c.actor))
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	for _, s := range c.ids.planted() {
		require.NotContains(c.t, string(raw), s, "%s %s: the response leaks a secret", method, path)
	}
	return apiResponse{t: c.t, status: resp.StatusCode, header: resp.Header, raw: raw}
}

func (c *client) get(path string) apiResponse          { c.t.Helper(); return c.do("GET", path, nil) }
func (c *client) post(path string, b any) apiResponse  { c.t.Helper(); return c.do("POST", path, b) }
func (c *client) patch(path string, b any) apiResponse { c.t.Helper(); return c.do("PATCH", path, b) }
func (c *client) put(path string, b any) apiResponse   { c.t.Helper(); return c.do("PUT", path, b) }
func (c *client) delete(path string) apiResponse       { c.t.Helper(); return c.do("DELETE", path, nil) }

// ok checks the status and decodes the JSON body.
func (r apiResponse) ok(status int) map[string]any {
	r.t.Helper()
	require.Equal(r.t, status, r.status, "body: %s", r.raw)
	return r.obj()
}

func (r apiResponse) obj() map[string]any {
	r.t.Helper()
	var m map[string]any
	require.NoError(r.t, json.Unmarshal(r.raw, &m), "body: %s", r.raw)
	return m
}

// into checks the status and decodes the JSON body into v.
func (r apiResponse) into(status int, v any) {
	r.t.Helper()
	require.Equal(r.t, status, r.status, "body: %s", r.raw)
	require.NoError(r.t, json.Unmarshal(r.raw, v), "body: %s", r.raw)
}

// problem checks that the response is a problem document with the status and code.
func (r apiResponse) problem(status int, code string) map[string]any {
	r.t.Helper()
	require.Equal(r.t, status, r.status, "body: %s", r.raw)
	require.Equal(r.t, web.ProblemContentType, r.header.Get("Content-Type"), "body: %s", r.raw)
	p := r.obj()
	require.EqualValues(r.t, status, p["status"])
	if code != "" {
		require.Equal(r.t, code, p["code"], "body: %s", r.raw)
	}
	require.NotEmpty(r.t, p["detail"])
	return p
}

// num reads a JSON number as int64.
func num(t *testing.T, v any) int64 {
	t.Helper()
	f, ok := v.(float64)
	require.True(t, ok, "not a number: %#v", v)
	return int64(f)
}

func repeat(s string, n int) string { return strings.Repeat(s, n) }

// unsized hides a body's length from net/http, so it is sent without Content-Length.
func unsized(s string) io.Reader { return struct{ io.Reader }{strings.NewReader(s)} }

// webConfig is the zero config, named for readability at call sites.
func webConfig() web.Config { return web.Config{} }

// signIn posts credentials to path (login or setup) and returns the answer and the session
// cookie it set.
func signIn(c *client, path string, body any, status int) (map[string]any, string) {
	c.t.Helper()
	r := c.do("POST", path, body)
	m := r.ok(status)
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == web.SessionCookie {
			return m, ck.Value
		}
	}
	c.t.Fatalf("%s set no session cookie", path)
	return nil, ""
}

// mintToken creates an API token with a session and plants it as a secret.
func mintToken(c *client, cookie, csrf string) string {
	c.t.Helper()
	tok := c.withSession(cookie, csrf).post("/api/auth/tokens", map[string]any{"name": "harness"}).ok(http.StatusCreated)["token"].(string)
	c.ids.plant(tok)
	return tok
}

// testBox is a secret box with a fresh key.
func testBox(t *testing.T) *secretbox.Box {
	t.Helper()
	key, err := secretbox.GenerateKey()
	require.NoError(t, err)
	box, err := secretbox.New(key)
	require.NoError(t, err)
	return box
}

// eachBackend runs fn as a parallel subtest per backend.
func eachBackend(t *testing.T, fn func(t *testing.T, b apiBundle)) {
	t.Helper()
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			fn(t, newAPI(t, backend, web.Config{}))
		})
	}
}
