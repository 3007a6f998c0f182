package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/goflow-dev/goflow/domain/secretbox"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/postgres"
	"github.com/goflow-dev/goflow/projections"
	"github.com/goflow-dev/goflow/projections/pgdocs"
	"github.com/goflow-dev/goflow/web"
	"github.com/goflow-dev/goflow/web/auth"
)

// benchPagesSchema isolates the benchmark's tables from a real store on the same database.
const benchPagesSchema = "goflow_bench_pages"

// benchPages runs "bench pages": reading a large page over the HTTP API at head and at an early
// version, and rebuilding projections, each beside a raw baseline measured in the same run.
func (a app) benchPages(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench pages", flag.ContinueOnError)
	env := envBindings{}
	var (
		sf        storeFlags
		nodes     int
		events    int
		requests  int
		early     int64
		copies    int
		asJSON    bool
		seedValue uint64
	)
	sf.register(fs, env)
	fs.IntVar(&nodes, "nodes", 2000, "nodes on the measured page")
	fs.IntVar(&events, "events", 10_000, "events on the measured page's stream")
	fs.IntVar(&requests, "requests", 500, "GETs per measured scenario")
	fs.Int64Var(&early, "early-version", 150, "the early version read by the history scenario")
	fs.IntVar(&copies, "rebuild-pages", 5, "pages of the same size in the log for the rebuild scenario")
	fs.BoolVar(&asJSON, "json", false, "print the results as JSON after the table")
	fs.Uint64Var(&seedValue, "seed", 1, "seed of the generated edits")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage:\n  goflow bench pages --database-url postgres://... [flags]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := a.parse(fs, env, args); err != nil {
		return helpOK(err)
	}
	if !isPostgresURL(sf.databaseURL) {
		return usageError("bench pages measures the Postgres store: give --database-url postgres://...")
	}
	if nodes < 1 || events < nodes+2 || requests < 1 || early < 2 || early > int64(events) || copies < 1 {
		return usageError("bench pages: need nodes >= 1, events >= nodes+2, 2 <= early-version <= events, requests >= 1, rebuild-pages >= 1")
	}

	b, err := newPageBench(ctx, sf.databaseURL, "bench pages", benchPagesSchema)
	if err != nil {
		return err
	}
	defer b.close()
	rng := rand.New(rand.NewPCG(seedValue, seedValue^0x9e3779b97f4a7c15))

	fmt.Fprintf(a.stdout, "GoFlow page benchmark (Postgres): %d-node page, %d events, %d GETs per scenario\n", nodes, events, requests)
	var pageIDs []string
	for i := range copies {
		id, err := b.buildPage(ctx, rng, nodes, events)
		if err != nil {
			return fmt.Errorf("bench pages: build page %d: %w", i+1, err)
		}
		pageIDs = append(pageIDs, id)
	}
	page := pageIDs[0]
	// Let the write phase settle (statistics, dirty buffers) so that its after-effects do not land
	// in either side's read latencies. CHECKPOINT needs privileges some roles lack: best effort.
	if _, err := b.pool.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return fmt.Errorf("bench pages: vacuum: %w", err)
	}
	_, _ = b.pool.Exec(ctx, "CHECKPOINT")
	var results []pageBenchResult
	report := func(r pageBenchResult) {
		results = append(results, r)
		fmt.Fprintf(a.stdout, "%-34s p50 %7.2f ms  p99 %7.2f ms   raw p50 %6.2f ms  p99 %6.2f ms   ratio(p99) %5.2fx   target %s\n",
			r.Name, r.P50, r.P99, r.RawP50, r.RawP99, r.Ratio, r.Target)
	}

	head, raw, err := b.measure(ctx, requests, "/api/pages/"+page, func(ctx context.Context) error {
		var data []byte
		return b.pool.QueryRow(ctx, `SELECT data FROM read_models WHERE projection = 'pages' AND key = $1`, page).Scan(&data)
	})
	if err != nil {
		return err
	}
	report(newPageResult("GET page at head", head, raw, "p99 < 5 ms"))

	past, raw, err := b.measure(ctx, requests, fmt.Sprintf("/api/pages/%s?version=%d", page, early), func(ctx context.Context) error {
		_, err := b.store.ReadStream(ctx, "page-"+page, 1, int(early))
		return err
	})
	if err != nil {
		return err
	}
	report(newPageResult(fmt.Sprintf("GET page at version %d", early), past, raw, "p99 < 50 ms"))

	rates, rawRate, total, err := b.rebuildRate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "rebuild from position 0, %d events in the log; raw global-log read %.0f events/s\n", total, rawRate)
	names := make([]string, 0, len(rates))
	for name := range rates {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(a.stdout, "  rebuild %-24s %10.0f events/s   ratio %5.2fx   target >= 30000/s and >= 0.3x\n", name, rates[name], rates[name]/rawRate)
	}
	if asJSON {
		return printJSON(a.stdout, map[string]any{"reads": results, "rebuild": map[string]any{
			"eventsPerSecond": rates, "rawEventsPerSecond": rawRate, "events": total}})
	}
	return nil
}

func isPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

type pageBenchResult struct {
	Name   string  `json:"name"`
	P50    float64 `json:"p50Ms"`
	P99    float64 `json:"p99Ms"`
	RawP50 float64 `json:"rawP50Ms"`
	RawP99 float64 `json:"rawP99Ms"`
	Ratio  float64 `json:"ratioP99"`
	Target string  `json:"target"`
}

func newPageResult(name string, ours, raw []time.Duration, target string) pageBenchResult {
	r := pageBenchResult{Name: name, P50: pct(ours, 50), P99: pct(ours, 99), RawP50: pct(raw, 50), RawP99: pct(raw, 99), Target: target}
	r.Ratio = r.P99 / r.RawP99
	return r
}

// pct returns the p-th percentile in milliseconds.
func pct(ds []time.Duration, p int) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := min(len(s)-1, (len(s)*p+99)/100-1)
	return float64(s[max(i, 0)].Microseconds()) / 1000
}

// pageBench is a GoFlow server (store, projections, HTTP API) in a schema of its own.
type pageBench struct {
	admin  *pgxpool.Pool
	pool   *pgxpool.Pool
	store  *postgres.Store
	docs   projections.DocStore
	runner *projections.Runner
	base   string
	client *http.Client
	token  string // the API token of benchUser
	// workspace holds the benchmark's apps.
	workspace string
	// cmd names the benchmark in errors; schema is its throwaway Postgres schema.
	cmd, schema string
	stop        func()
}

// newPageBench starts a GoFlow server over a fresh schema (dropped first if a previous run left
// it) for the benchmark cmd ("bench pages", "bench collab").
func newPageBench(ctx context.Context, url, cmd, schema string) (b *pageBench, err error) {
	b = &pageBench{client: &http.Client{}, cmd: cmd, schema: schema}
	defer func() {
		if err != nil {
			b.close()
		}
	}()
	if b.admin, err = pgxpool.New(ctx, url); err != nil {
		return b, fmt.Errorf("%s: connect: %w", cmd, err)
	}
	for _, q := range []string{"DROP SCHEMA IF EXISTS " + schema + " CASCADE", "CREATE SCHEMA " + schema} {
		if _, err = b.admin.Exec(ctx, q); err != nil {
			return b, fmt.Errorf("%s: %s: %w", cmd, q, err)
		}
	}
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return b, err
	}
	pc.ConnConfig.RuntimeParams["search_path"] = schema
	pc.MaxConns = 16
	if b.pool, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
		return b, err
	}
	if b.store, err = postgres.Open(ctx, postgres.Config{Pool: b.pool}); err != nil {
		return b, err
	}
	if _, err = b.store.Migrate(ctx); err != nil {
		return b, err
	}
	b.docs = pgdocs.New(b.pool)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if b.runner, err = projections.NewRunner(projections.RunnerConfig{Log: b.store, Docs: b.docs, Projections: projections.All(), Logger: quiet}); err != nil {
		return b, err
	}
	// The schema is dropped afterwards, and with it everything sealed: a throwaway key will do.
	key, err := secretbox.GenerateKey()
	if err != nil {
		return b, err
	}
	box, err := secretbox.New(key)
	if err != nil {
		return b, err
	}
	password := auth.NewSecret()
	if err = web.CreateUser(ctx, b.store, auth.Params{}, "bench", web.UserSpec{Username: benchUser, Password: password, Admin: true}); err != nil {
		return b, fmt.Errorf("%s: create user: %w", cmd, err)
	}
	srv, err := web.New(web.Config{Logger: quiet, Store: b.store, Docs: b.docs, Projections: b.runner, SecretBox: box})
	if err != nil {
		return b, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return b, err
	}
	b.base = "http://" + ln.Addr().String()
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	served, ran := make(chan error, 1), make(chan error, 1)
	go func() { ran <- b.runner.Run(runCtx) }()
	go func() { served <- srv.Serve(runCtx, ln) }()
	b.stop = func() {
		cancel()
		<-served
		<-ran
	}
	if b.token, err = b.signIn(ctx, password); err != nil {
		return b, err
	}
	return b, nil
}

// benchUser is the administrator the benchmark creates in its schema and calls the API as.
const benchUser = "bench"

// signIn logs in as benchUser and mints an API token, which every later request sends: bearer
// tokens need no CSRF header, unlike the session cookie.
func (b *pageBench) signIn(ctx context.Context, password string) (string, error) {
	send := func(path string, body any, prepare func(*http.Request)) (*http.Response, []byte, error) {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+path, bytes.NewReader(data))
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		prepare(req)
		resp, err := b.client.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		data, err = io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode >= 300 {
			err = fmt.Errorf("POST %s: %s: %s", path, resp.Status, data)
		}
		return resp, data, err
	}
	resp, data, err := send("/api/auth/login", map[string]string{"username": benchUser, "password": password}, func(*http.Request) {})
	if err != nil {
		return "", fmt.Errorf("%s: sign in: %w", b.cmd, err)
	}
	var session struct {
		CSRFToken string `json:"csrfToken"`
	}
	if err := json.Unmarshal(data, &session); err != nil {
		return "", fmt.Errorf("%s: sign in: %w", b.cmd, err)
	}
	cookies := resp.Cookies()
	_, data, err = send("/api/auth/tokens", map[string]any{"name": b.cmd, "expiresInDays": 1}, func(req *http.Request) {
		for _, c := range cookies {
			req.AddCookie(c)
		}
		req.Header.Set(web.CSRFHeader, session.CSRFToken)
	})
	if err != nil {
		return "", fmt.Errorf("%s: create token: %w", b.cmd, err)
	}
	var token struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(data, &token); err != nil || token.Token == "" {
		return "", fmt.Errorf("%s: create token: no token in %s", b.cmd, data)
	}
	return token.Token, nil
}

func (b *pageBench) close() {
	if b.stop != nil {
		b.stop()
	}
	if b.store != nil {
		_ = b.store.Close()
	}
	if b.pool != nil {
		b.pool.Close()
	}
	if b.admin != nil {
		_, _ = b.admin.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+b.schema+" CASCADE")
		b.admin.Close()
	}
}

// call sends a JSON request to the API and decodes the JSON answer into out.
func (b *pageBench) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+b.token)
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// buildPage creates an app (in the benchmark's workspace, made on the first call) and a page
// through the API, inserts nodes, then edits props until the page's stream has the requested
// number of events. It returns the page id.
func (b *pageBench) buildPage(ctx context.Context, rng *rand.Rand, nodes, events int) (string, error) {
	var page struct {
		ID      string `json:"id"`
		Version int64  `json:"version"`
	}
	app, err := b.newApp(ctx)
	if err != nil {
		return "", err
	}
	if err := b.call(ctx, http.MethodPost, "/api/apps/"+app+"/pages", map[string]any{"name": "Big page"}, &page); err != nil {
		return "", err
	}
	version := page.Version
	var ids []string
	type opResult struct {
		Version  int64    `json:"version"`
		Inserted []string `json:"inserted"`
	}
	for len(ids) < nodes {
		n := min(500, nodes-len(ids))
		ops := make([]map[string]any, n)
		for i := range ops {
			ops[i] = map[string]any{"op": "insert_node", "type": "Text", "props": map[string]any{"text": fmt.Sprintf("Item %d", len(ids)+i)}}
		}
		var res opResult
		if err := b.call(ctx, http.MethodPost, "/api/pages/"+page.ID+"/ops", map[string]any{"expectedVersion": version, "ops": ops}, &res); err != nil {
			return "", err
		}
		version = res.Version
		ids = append(ids, res.Inserted...)
	}
	for version < int64(events) {
		n := min(500, int(int64(events)-version))
		ops := make([]map[string]any, n)
		for i := range ops {
			ops[i] = map[string]any{"op": "set_prop", "nodeId": ids[rng.IntN(len(ids))], "path": "text", "value": fmt.Sprintf("Edit %d", rng.IntN(1_000_000))}
		}
		var res opResult
		if err := b.call(ctx, http.MethodPost, "/api/pages/"+page.ID+"/ops", map[string]any{"expectedVersion": version, "ops": ops}, &res); err != nil {
			return "", err
		}
		version = res.Version
	}
	return page.ID, nil
}

// newApp creates an app in the benchmark's workspace (made on the first call) and returns its id.
func (b *pageBench) newApp(ctx context.Context) (string, error) {
	if b.workspace == "" {
		var ws struct {
			ID string `json:"id"`
		}
		if err := b.call(ctx, http.MethodPost, "/api/workspaces", map[string]any{"name": "Bench"}, &ws); err != nil {
			return "", err
		}
		b.workspace = ws.ID
	}
	var app struct {
		ID string `json:"id"`
	}
	if err := b.call(ctx, http.MethodPost, "/api/workspaces/"+b.workspace+"/apps", map[string]any{"name": "Bench"}, &app); err != nil {
		return "", err
	}
	return app.ID, nil
}

// measure times requests GETs of path and as many calls of raw, interleaved so both see the same
// noise, after a warm-up of each.
func (b *pageBench) measure(ctx context.Context, requests int, path string, raw func(context.Context) error) (ours, base []time.Duration, err error) {
	get := func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.base+path, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+b.token)
		resp, err := b.client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		return nil
	}
	for range 20 {
		if err := errors.Join(get(), raw(ctx)); err != nil {
			return nil, nil, err
		}
	}
	for range requests {
		start := time.Now()
		if err := get(); err != nil {
			return nil, nil, err
		}
		ours = append(ours, time.Since(start))
		start = time.Now()
		if err := raw(ctx); err != nil {
			return nil, nil, err
		}
		base = append(base, time.Since(start))
	}
	return ours, base, nil
}

// rebuildRate rebuilds every projection from position 0 (each rebuild reads the whole log) and
// reads the whole global log raw (ReadAll pages), alternating, twice. It returns each projection's
// rebuild rate and the raw read rate in log events per second, and the log's size.
func (b *pageBench) rebuildRate(ctx context.Context) (rates map[string]float64, rawRate float64, total int64, err error) {
	applied := map[string]int64{}
	took := map[string]time.Duration{}
	var rawTime time.Duration
	var rawEvents int64
	for range 2 {
		start := time.Now()
		var after int64
		for {
			page, err := b.store.ReadAll(ctx, eventstore.ReadAllParams{After: after, Limit: projections.RebuildPageSize})
			if err != nil {
				return nil, 0, 0, err
			}
			if len(page) == 0 {
				break
			}
			rawEvents += int64(len(page))
			after = page[len(page)-1].GlobalPosition
		}
		rawTime += time.Since(start)

		for _, p := range projections.All() {
			st, err := projections.Rebuild(ctx, b.store, b.docs, p, nil)
			if err != nil {
				return nil, 0, 0, fmt.Errorf("rebuild %s: %w", p.Name(), err)
			}
			applied[p.Name()] += st.Events
			took[p.Name()] += st.Elapsed
		}
	}
	rates = map[string]float64{}
	for name, n := range applied {
		rates[name] = float64(n) / took[name].Seconds()
	}
	return rates, float64(rawEvents) / rawTime.Seconds(), rawEvents / 2, nil
}
