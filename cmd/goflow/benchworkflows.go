package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/runtime/luabox"
	"github.com/goflow-dev/goflow/runtime/query"
	"github.com/goflow-dev/goflow/runtime/workflow"
)

// Targets printed beside the workflow figures (issue 7).
const (
	luaRunTarget   = "overhead p99 < 2 ms"
	queryRunTarget = "overhead < 1 ms over direct pgx (p50 and p99)"
)

// workflowsBenchNote says what the workflow benchmark measures and leaves out.
const workflowsBenchNote = "in process: workflow.Runner.Run of a trivial Lua workflow (one sandbox reused, as per app) beside a Go function doing the same JSON work; " +
	"then query.Executor.Run of a parameterised Postgres query beside the same SQL through pgxpool, rows scanned and JSON-encoded"

// benchWorkflowScript is the trivial workflow measured.
const benchWorkflowScript = `function process_event(data, ctx)
	return { total = data.a + data.b, items = data.items }
end`

// benchDefaultDatabaseURL is the development server, used when neither --database-url nor
// benchDatabaseURLEnv is set. benchDatabaseURLEnv is pgtest.EnvDatabaseURL, spelled out so that
// the binary does not link a test helper.
const (
	benchDefaultDatabaseURL = "postgres://root@127.0.0.1:5432/test"
	benchDatabaseURLEnv     = "GOFLOW_TEST_DATABASE_URL"
)

// benchQueryWidth is how many rows each query returns (ids lo..lo+width-1).
const benchQueryWidth = 20

// benchWorkflows runs "bench workflows": Lua workflow runs through the Runner beside a plain Go
// function, then query round trips through the Executor beside direct pgx, each pair measured in
// the same run.
func (a app) benchWorkflows(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench workflows", flag.ContinueOnError)
	var (
		runs        int
		workers     int
		queries     int
		tableRows   int
		databaseURL string
		asJSON      bool
		seedValue   uint64
	)
	fs.IntVar(&runs, "runs", 10_000, "measured Lua runs per scenario (split among its workers)")
	fs.IntVar(&workers, "workers", 2, "goroutines of the second scenario of each phase (the first has 1)")
	fs.IntVar(&queries, "queries", 2_000, "measured query round trips per scenario (split among its workers); 0 skips the query phase")
	fs.IntVar(&tableRows, "table-rows", 1_000, "rows of the queried table")
	fs.StringVar(&databaseURL, "database-url", cmp.Or(a.getenv(benchDatabaseURLEnv), benchDefaultDatabaseURL),
		"Postgres URL (postgres://...) of the query phase, which works in a schema of its own and drops it afterwards; default $"+benchDatabaseURLEnv+" or the local server")
	fs.BoolVar(&asJSON, "json", false, "print the results as JSON after the table")
	fs.Uint64Var(&seedValue, "seed", 1, "seed of the payloads and the queried ranges")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage:\n  goflow bench workflows [flags]\n\nMeasures "+workflowsBenchNote+".\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := a.parse(fs, envBindings{}, args); err != nil {
		return helpOK(err)
	}
	if runs < 1 || workers < 1 || queries < 0 || tableRows < benchQueryWidth {
		return usageError("bench workflows: --runs and --workers must be >= 1, --queries >= 0, --table-rows >= %d", benchQueryWidth)
	}
	if queries > 0 && !isPostgresURL(databaseURL) {
		return usageError("bench workflows: --database-url must be a postgres:// URL (or --queries 0 to skip the query phase)")
	}
	rng := mrand.New(mrand.NewPCG(seedValue, seedValue^0x9e3779b97f4a7c15))
	scenarios := slices.Compact([]int{1, workers})

	// The query phase's table is set up first, so that an unreachable database fails the command
	// before the Lua phase rather than after it.
	var qb *queryBench
	if queries > 0 {
		var err error
		if qb, err = newQueryBench(ctx, databaseURL, tableRows); err != nil {
			return fmt.Errorf("bench workflows: %w", err)
		}
		defer qb.close()
	}

	fmt.Fprintf(a.stdout, "GoFlow workflow benchmark (%s); GOMAXPROCS %d\n", workflowsBenchNote, runtime.GOMAXPROCS(0))
	out := workflowsReport{Note: workflowsBenchNote}
	payloads := benchPayloads(rng, runs)
	for i, w := range scenarios {
		// The sandbox-per-run figure shows what building the runner for every run costs (no
		// compiled-script cache); once, beside the single-worker scenario, is enough.
		res, err := benchLua(ctx, w, payloads, i == 0)
		if err != nil {
			return fmt.Errorf("bench workflows: Lua runs with %d workers: %w", w, err)
		}
		res.print(a.stdout)
		out.Lua = append(out.Lua, res)
	}

	if qb != nil {
		fmt.Fprintf(a.stdout, "query phase: table %s.items with %d rows, %d rows per query\n", qb.schema, tableRows, benchQueryWidth)
		los := make([]int64, queries)
		for i := range los {
			los[i] = 1 + rng.Int64N(int64(tableRows-benchQueryWidth+1))
		}
		if err := qb.check(ctx, los[:min(len(los), 10)]); err != nil {
			return fmt.Errorf("bench workflows: %w", err)
		}
		for _, w := range scenarios {
			res, err := qb.measure(ctx, w, los)
			if err != nil {
				return fmt.Errorf("bench workflows: queries with %d workers: %w", w, err)
			}
			res.print(a.stdout)
			out.Query = append(out.Query, res)
		}
	}

	if asJSON {
		return printJSON(a.stdout, out)
	}
	return nil
}

// workflowsReport is the --json output.
type workflowsReport struct {
	Note string      `json:"note"`
	Lua  []luaResult `json:"lua"`
	// Query is empty when --queries is 0.
	Query []queryResult `json:"query,omitempty"`
}

// luaResult is one Lua scenario: Runner.Run of the trivial workflow and the Go function doing the
// same JSON work.
type luaResult struct {
	Workers     int     `json:"workers"`
	Runs        int     `json:"runs"`
	P50         float64 `json:"p50Ms"`
	P99         float64 `json:"p99Ms"`
	PerSecond   float64 `json:"runsPerSecond"`
	GoP50       float64 `json:"goP50Ms"`
	GoP99       float64 `json:"goP99Ms"`
	GoPerSecond float64 `json:"goRunsPerSecond"`
	// OverheadP50 and OverheadP99 are P50 - GoP50 and P99 - GoP99.
	OverheadP50 float64 `json:"overheadP50Ms"`
	OverheadP99 float64 `json:"overheadP99Ms"`
	// FreshSandbox is Runner.Run with a runner and sandbox built for every run (nothing cached),
	// measured in the single-worker scenario only.
	FreshSandbox *latency `json:"freshSandbox,omitempty"`
	Target       string   `json:"target"`
	Met          bool     `json:"met"`
}

// latency is a p50/p99/rate triple.
type latency struct {
	P50       float64 `json:"p50Ms"`
	P99       float64 `json:"p99Ms"`
	PerSecond float64 `json:"perSecond"`
}

func (r luaResult) print(w io.Writer) {
	fmt.Fprintf(w, "Lua workflow run (process_event: sum and pass-through items), %d worker(s), %d runs\n", r.Workers, r.Runs)
	fmt.Fprintf(w, "  Runner.Run        p50 %8.3f ms  p99 %8.3f ms  %10.0f runs/s\n", r.P50, r.P99, r.PerSecond)
	fmt.Fprintf(w, "  Go function       p50 %8.3f ms  p99 %8.3f ms  %10.0f runs/s   (Go %.1fx faster)\n", r.GoP50, r.GoP99, r.GoPerSecond, r.GoPerSecond/r.PerSecond)
	fmt.Fprintf(w, "  overhead          p50 %8.3f ms  p99 %8.3f ms   target %s: %s\n", r.OverheadP50, r.OverheadP99, r.Target, verdict(r.Met))
	if f := r.FreshSandbox; f != nil {
		fmt.Fprintf(w, "  sandbox per run   p50 %8.3f ms  p99 %8.3f ms  %10.0f runs/s   (new runner and sandbox each run: compiles every time)\n", f.P50, f.P99, f.PerSecond)
	}
}

// queryResult is one query scenario: Executor.Run and the same SQL through pgxpool.
type queryResult struct {
	Workers      int     `json:"workers"`
	Queries      int     `json:"queries"`
	RowsPerQuery int     `json:"rowsPerQuery"`
	P50          float64 `json:"p50Ms"`
	P99          float64 `json:"p99Ms"`
	PerSecond    float64 `json:"queriesPerSecond"`
	PgxP50       float64 `json:"pgxP50Ms"`
	PgxP99       float64 `json:"pgxP99Ms"`
	PgxPerSecond float64 `json:"pgxQueriesPerSecond"`
	// TxP50 and TxP99 are the baseline run the Executor's way: in a read-only transaction with
	// a local statement timeout (four round trips instead of one), to tell what the transaction
	// costs from what the Executor's own code costs.
	TxP50 float64 `json:"pgxTxP50Ms"`
	TxP99 float64 `json:"pgxTxP99Ms"`
	// OverheadP50 and OverheadP99 are P50 - PgxP50 and P99 - PgxP99.
	OverheadP50 float64 `json:"overheadP50Ms"`
	OverheadP99 float64 `json:"overheadP99Ms"`
	Target      string  `json:"target"`
	Met         bool    `json:"met"`
}

func (r queryResult) print(w io.Writer) {
	fmt.Fprintf(w, "query round trip (%d rows, parameterised BETWEEN), %d worker(s), %d queries\n", r.RowsPerQuery, r.Workers, r.Queries)
	fmt.Fprintf(w, "  Executor.Run      p50 %8.3f ms  p99 %8.3f ms  %10.0f queries/s\n", r.P50, r.P99, r.PerSecond)
	fmt.Fprintf(w, "  direct pgx        p50 %8.3f ms  p99 %8.3f ms  %10.0f queries/s\n", r.PgxP50, r.PgxP99, r.PgxPerSecond)
	fmt.Fprintf(w, "  pgx, same tx      p50 %8.3f ms  p99 %8.3f ms   (BEGIN READ ONLY, SET LOCAL statement_timeout, query, COMMIT)\n", r.TxP50, r.TxP99)
	fmt.Fprintf(w, "  overhead          p50 %8.3f ms  p99 %8.3f ms   target %s: %s\n", r.OverheadP50, r.OverheadP99, r.Target, verdict(r.Met))
}

// benchItem is one item of the workflow payload.
type benchItem struct {
	ID    int64   `json:"id"`
	Name  string  `json:"name"`
	Price float64 `json:"price"`
}

// benchPayloads builds n small payloads: two numbers and three items.
func benchPayloads(rng *mrand.Rand, n int) []json.RawMessage {
	out := make([]json.RawMessage, n)
	for i := range out {
		p := struct {
			A     int64       `json:"a"`
			B     int64       `json:"b"`
			Items []benchItem `json:"items"`
		}{A: rng.Int64N(1000), B: rng.Int64N(1000)}
		for j := range 3 {
			p.Items = append(p.Items, benchItem{ID: int64(i*3 + j), Name: "item " + strconv.Itoa(j), Price: float64(rng.Int64N(10_000)) / 100})
		}
		out[i], _ = json.Marshal(p) // cannot fail: numbers and strings only
	}
	return out
}

// goWorkflow is the Go baseline of benchWorkflowScript: decode the payload (items generically,
// as the sandbox decodes them into tables), compute, encode.
func goWorkflow(payload json.RawMessage) (json.RawMessage, error) {
	var data struct {
		A     float64          `json:"a"`
		B     float64          `json:"b"`
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(payload, &data); err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		Total float64          `json:"total"`
		Items []map[string]any `json:"items"`
	}{data.A + data.B, data.Items})
}

// benchLuaCtx is the ctx argument of every run, shaped like the server's.
const benchLuaCtx = `{"sessionId":"bench","appId":"bench","pageId":"bench","user":"bench","runId":"bench"}`

// benchLua measures the Lua scenario with workers goroutines over payloads, after checking that
// the workflow and the Go function agree on the first few.
func benchLua(ctx context.Context, workers int, payloads []json.RawMessage, fresh bool) (luaResult, error) {
	res := luaResult{Workers: workers, Runs: len(payloads), Target: luaRunTarget}
	quiet := &workflow.Host{} // no queries, HTTP or AI: the workflow uses none
	runner, err := workflow.NewRunner(workflow.RunnerConfig{Sandbox: luabox.NewSandbox(luabox.Limits{}, quiet)})
	if err != nil {
		return res, err
	}
	runCtx := json.RawMessage(benchLuaCtx)
	inv := func(i int) workflow.Invocation {
		return workflow.Invocation{Workflow: "bench", Script: benchWorkflowScript, Payload: payloads[i], Ctx: runCtx}
	}
	for i := range min(len(payloads), 10) {
		got, err := runner.Run(ctx, inv(i), nil)
		if err != nil {
			return res, err
		}
		want, err := goWorkflow(payloads[i])
		if err != nil {
			return res, err
		}
		if err := sameJSON(got.Result, want); err != nil {
			return res, fmt.Errorf("run %d: %w", i, err)
		}
	}
	live := func(ctx context.Context) func(i int) error {
		return func(i int) error {
			_, err := runner.Run(ctx, inv(i), nil)
			return err
		}
	}
	baseline := func(context.Context) func(i int) error {
		return func(i int) error {
			_, err := goWorkflow(payloads[i])
			return err
		}
	}
	if res.P50, res.P99, res.PerSecond, err = timeWorkers(ctx, workers, len(payloads), live); err != nil {
		return res, err
	}
	if res.GoP50, res.GoP99, res.GoPerSecond, err = timeWorkers(ctx, workers, len(payloads), baseline); err != nil {
		return res, err
	}
	res.OverheadP50, res.OverheadP99 = res.P50-res.GoP50, res.P99-res.GoP99
	res.Met = res.OverheadP99 < 2
	if fresh {
		perRun := func(ctx context.Context) func(i int) error {
			return func(i int) error {
				r, err := workflow.NewRunner(workflow.RunnerConfig{Sandbox: luabox.NewSandbox(luabox.Limits{}, &workflow.Host{})})
				if err != nil {
					return err
				}
				_, err = r.Run(ctx, inv(i), nil)
				return err
			}
		}
		var f latency
		// A tenth of the runs: each one compiles, and the figure only needs to show the order.
		if f.P50, f.P99, f.PerSecond, err = timeWorkers(ctx, 1, max(1, len(payloads)/10), perRun); err != nil {
			return res, err
		}
		res.FreshSandbox = &f
	}
	return res, nil
}

// sameJSON reports whether a and b encode the same value.
func sameJSON(a, b json.RawMessage) error {
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		return err
	}
	if !reflect.DeepEqual(va, vb) {
		return fmt.Errorf("results differ: %s, want %s", a, b)
	}
	return nil
}

// queryBench is the query phase: a table in a schema of its own, the Executor and its data
// source, and a pgx pool of the same size for the direct baseline.
type queryBench struct {
	admin  *pgxpool.Pool
	pool   *pgxpool.Pool
	exec   *query.Executor
	schema string
	source *domain.DataSource
	query  *domain.Query
	// sql is the query's text with $1/$2, for the baseline.
	sql string
}

// newQueryBench creates the schema and fills its table; close drops it.
func newQueryBench(ctx context.Context, url string, rows int) (b *queryBench, err error) {
	b = &queryBench{}
	defer func() {
		if err != nil {
			b.close()
		}
	}()
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix) // never fails (crypto/rand)
	b.schema = "goflow_bench_wf_" + hex.EncodeToString(suffix)
	if b.admin, err = pgxpool.New(ctx, url); err != nil {
		return b, fmt.Errorf("connect: %w", err)
	}
	for _, q := range []string{
		"CREATE SCHEMA " + b.schema,
		"CREATE TABLE " + b.schema + ".items (id bigint PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL)",
		"INSERT INTO " + b.schema + ".items SELECT i, 'item ' || i, (i % 1000) + 0.99 FROM generate_series(1, " + strconv.Itoa(rows) + ") i",
		"ANALYZE " + b.schema + ".items",
	} {
		if _, err = b.admin.Exec(ctx, q); err != nil {
			return b, fmt.Errorf("%s: %w", q, err)
		}
	}
	b.exec = query.New(query.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	urlJSON, err := json.Marshal(url)
	if err != nil {
		return b, err
	}
	b.source = &domain.DataSource{ID: "bench-" + b.schema, AppID: "bench", Name: "bench", Kind: domain.DataSourcePostgres,
		Config: map[string]json.RawMessage{"url": urlJSON}, Version: 1}
	b.query = &domain.Query{ID: "bench", AppID: "bench", DataSourceID: b.source.ID, Name: "items",
		Template: "SELECT id, name, price FROM " + b.schema + ".items WHERE id BETWEEN {{lo}} AND {{hi}} ORDER BY id",
		Params:   []domain.QueryParam{{Name: "lo", Type: domain.ParamInteger, Required: true}, {Name: "hi", Type: domain.ParamInteger, Required: true}}}
	b.sql = "SELECT id, name, price FROM " + b.schema + ".items WHERE id BETWEEN $1 AND $2 ORDER BY id"
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return b, err
	}
	pc.MaxConns = query.DefaultMaxConnsPerSource // the Executor's pool size per data source
	if b.pool, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
		return b, fmt.Errorf("connect: %w", err)
	}
	return b, nil
}

func (b *queryBench) close() {
	if b.exec != nil {
		b.exec.Close()
	}
	if b.pool != nil {
		b.pool.Close()
	}
	if b.admin != nil {
		// A fresh context: the schema goes even when the run was interrupted.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = b.admin.Exec(ctx, "DROP SCHEMA IF EXISTS "+b.schema+" CASCADE")
		b.admin.Close()
	}
}

// runtimeQuery is one round trip through the Executor.
func (b *queryBench) runtimeQuery(ctx context.Context, lo int64) (json.RawMessage, int, error) {
	params := []byte(`{"lo":` + strconv.FormatInt(lo, 10) + `,"hi":` + strconv.FormatInt(lo+benchQueryWidth-1, 10) + `}`)
	res, err := b.exec.Run(ctx, b.source, b.query, params)
	return res.Data, res.Rows, err
}

// pgxQuery is the baseline: the same SQL through pgxpool, the rows scanned and JSON-encoded.
func (b *queryBench) pgxQuery(ctx context.Context, lo int64) (json.RawMessage, int, error) {
	rows, err := b.pool.Query(ctx, b.sql, lo, lo+benchQueryWidth-1)
	if err != nil {
		return nil, 0, err
	}
	return scanItems(rows)
}

// scanItems scans the rows and encodes them as the Executor does: an array of objects keyed by
// column name.
func scanItems(rows pgx.Rows) (json.RawMessage, int, error) {
	defer rows.Close()
	out := make([]benchItem, 0, benchQueryWidth)
	for rows.Next() {
		var it benchItem
		if err := rows.Scan(&it.ID, &it.Name, &it.Price); err != nil {
			return nil, 0, err
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	data, err := json.Marshal(out)
	return data, len(out), err
}

// pgxTxQuery is pgxQuery in the transaction the Executor opens.
func (b *queryBench) pgxTxQuery(ctx context.Context, lo int64) (json.RawMessage, int, error) {
	tx, err := b.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = tx.Rollback(context.Background()) }() // a no-op after the commit
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = "+strconv.Itoa(domain.DefaultStatementTimeoutMs)); err != nil {
		return nil, 0, err
	}
	rows, err := tx.Query(ctx, b.sql, lo, lo+benchQueryWidth-1)
	if err != nil {
		return nil, 0, err
	}
	data, n, err := scanItems(rows)
	if err != nil {
		return nil, 0, err
	}
	return data, n, tx.Commit(ctx)
}

// check runs both sides for each lo and requires the same rows.
func (b *queryBench) check(ctx context.Context, los []int64) error {
	for _, lo := range los {
		got, n, err := b.runtimeQuery(ctx, lo)
		if err != nil {
			return fmt.Errorf("Executor.Run: %w", err)
		}
		want, m, err := b.pgxQuery(ctx, lo)
		if err != nil {
			return fmt.Errorf("pgx: %w", err)
		}
		if n != benchQueryWidth || m != benchQueryWidth {
			return fmt.Errorf("lo %d: %d rows through the Executor, %d through pgx, want %d", lo, n, m, benchQueryWidth)
		}
		if err := sameJSON(got, want); err != nil {
			return fmt.Errorf("lo %d: %w", lo, err)
		}
	}
	return nil
}

// measure times both sides with workers goroutines over los.
func (b *queryBench) measure(ctx context.Context, workers int, los []int64) (queryResult, error) {
	res := queryResult{Workers: workers, Queries: len(los), RowsPerQuery: benchQueryWidth, Target: queryRunTarget}
	side := func(run func(context.Context, int64) (json.RawMessage, int, error)) func(context.Context) func(i int) error {
		return func(ctx context.Context) func(i int) error {
			return func(i int) error {
				_, n, err := run(ctx, los[i])
				if err == nil && n != benchQueryWidth {
					err = fmt.Errorf("query %d returned %d rows, want %d", i, n, benchQueryWidth)
				}
				return err
			}
		}
	}
	var err error
	if res.P50, res.P99, res.PerSecond, err = timeWorkers(ctx, workers, len(los), side(b.runtimeQuery)); err != nil {
		return res, err
	}
	if res.PgxP50, res.PgxP99, res.PgxPerSecond, err = timeWorkers(ctx, workers, len(los), side(b.pgxQuery)); err != nil {
		return res, err
	}
	if res.TxP50, res.TxP99, _, err = timeWorkers(ctx, workers, len(los), side(b.pgxTxQuery)); err != nil {
		return res, err
	}
	res.OverheadP50, res.OverheadP99 = res.P50-res.PgxP50, res.P99-res.PgxP99
	res.Met = res.OverheadP50 < 1 && res.OverheadP99 < 1
	return res, nil
}
