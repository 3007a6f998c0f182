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
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/postgres"
	"github.com/goflow-dev/goflow/eventstore/postgres/pgtest"
	"github.com/goflow-dev/goflow/eventstore/sqlite"
	"github.com/goflow-dev/goflow/projections"
	"github.com/goflow-dev/goflow/projections/pgdocs"
	"github.com/goflow-dev/goflow/projections/sqlitedocs"
	"github.com/goflow-dev/goflow/web"
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
		return st, docs
	case "postgres":
		st, err := postgres.Open(ctx, postgres.Config{URL: pgtest.URL(t), PollInterval: 100 * time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		_, err = st.Migrate(ctx)
		require.NoError(t, err)
		return st, pgdocs.New(st.Pool())
	}
	t.Fatalf("unknown backend %q", backend)
	return nil, nil
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
	srv   *httptest.Server
	store migrator
	docs  projections.DocStore
	c     *client
}

// newAPI serves the real web handler over fresh stores of the backend, with the projections
// runner running.
func newAPI(t *testing.T, backend string, cfg web.Config) apiBundle {
	t.Helper()
	st, docs := openStore(t, backend)
	cfg.Store, cfg.Docs = st, docs
	cfg.Projections = startRunner(t, st, docs)
	cfg.ProjectionWait = 10 * time.Second // generous: a timeout here shows up as a stale read
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := web.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return apiBundle{srv: srv, store: st, docs: docs, c: &client{t: t, base: srv.URL, actor: "alice"}}
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

// client sends requests as one actor.
type client struct {
	t     *testing.T
	base  string
	actor string
}

// as returns a client acting as another actor.
func (c *client) as(actor string) *client { cp := *c; cp.actor = actor; return &cp }

// with returns a client bound to another test (for subtests).
func (c *client) with(t *testing.T) *client { cp := *c; cp.t = t; return &cp }

type apiResponse struct {
	t      *testing.T
	status int
	header http.Header
	raw    []byte
}

// do sends a request; body is JSON-encoded unless it is a string, []byte or io.Reader (sent as
// is).
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
		raw, err := json.Marshal(b)
		require.NoError(c.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(c.t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.actor != "" {
		req.Header.Set(web.ActorHeader, c.actor)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
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
