package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/goflow-dev/goflow/eventstore"
)

// BenchConfig configures Bench.
type BenchConfig struct {
	// URL is the Postgres server to measure. The benchmark works in a schema of its own
	// (goflow_bench), dropped afterwards, so it never touches the store's tables.
	URL string
	// Duration is how long each side of each scenario runs, split in two alternating rounds so that
	// both sides see the same machine noise. Default 4s.
	Duration time.Duration
	// Concurrency lists the single-event scenarios' worker counts. Default 1, 8, 32.
	Concurrency []int
	// BatchSize is the events per append of the batch scenario. Default 100.
	BatchSize int
	// BatchConcurrency is the batch scenario's worker count. Default 8.
	BatchConcurrency int
	// ReadEvents is how many events the global-log read scenario reads. Default 200,000.
	ReadEvents int
}

// BenchResult is one scenario: GoFlow's rate beside the raw baseline's, measured in one run.
type BenchResult struct {
	Name     string  `json:"name"`
	Events   float64 `json:"eventsPerSecond"`
	Raw      float64 `json:"rawEventsPerSecond"`
	Ratio    float64 `json:"ratio"`
	Target   string  `json:"target"`
	Achieved bool    `json:"achieved"`
}

const benchSchema = "goflow_bench"

// Bench measures appends and global-log reads against a raw pgx baseline of the same row shape
// (an identical table, plain INSERTs: no lock, no checks) and prints one line per scenario to w.
func Bench(ctx context.Context, cfg BenchConfig, w io.Writer) ([]BenchResult, error) {
	cfg.Duration = cmp.Or(cfg.Duration, 4*time.Second)
	if len(cfg.Concurrency) == 0 {
		cfg.Concurrency = []int{1, 8, 32}
	}
	cfg.BatchSize = cmp.Or(cfg.BatchSize, 100)
	cfg.BatchConcurrency = cmp.Or(cfg.BatchConcurrency, 8)
	cfg.ReadEvents = cmp.Or(cfg.ReadEvents, 200_000)

	admin, err := pgxpool.New(ctx, cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("bench: connect: %w", err)
	}
	defer admin.Close()
	for _, q := range []string{"DROP SCHEMA IF EXISTS " + benchSchema + " CASCADE", "CREATE SCHEMA " + benchSchema} {
		if _, err := admin.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("bench: %s: %w", q, err)
		}
	}
	defer admin.Exec(context.WithoutCancel(ctx), "DROP SCHEMA IF EXISTS "+benchSchema+" CASCADE") //nolint:errcheck // best effort

	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	pc.ConnConfig.RuntimeParams["search_path"] = benchSchema
	pc.MaxConns = int32(max(64, 2*slicesMax(cfg.Concurrency)))
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("bench: connect: %w", err)
	}
	defer pool.Close()
	store, err := Open(ctx, Config{Pool: pool, NoListen: true})
	if err != nil {
		return nil, err
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		return nil, err
	}
	if _, err := pool.Exec(ctx, "CREATE TABLE raw_events (LIKE events INCLUDING ALL)"); err != nil {
		return nil, fmt.Errorf("bench: raw table: %w", err)
	}

	b := &bench{store: store, pool: pool, cfg: cfg}
	var results []BenchResult
	report := func(r BenchResult) {
		r.Ratio = r.Events / r.Raw
		results = append(results, r)
		fmt.Fprintf(w, "%-28s %10.0f events/s   raw %10.0f events/s   ratio %.2fx   target %s\n",
			r.Name, r.Events, r.Raw, r.Ratio, r.Target)
	}
	for _, c := range cfg.Concurrency {
		ours, raw, err := b.alternate(ctx, c, 1)
		if err != nil {
			return results, err
		}
		report(BenchResult{Name: fmt.Sprintf("append 1 event, conc %d", c), Events: ours, Raw: raw,
			Target: ">= 0.7x raw", Achieved: ours >= 0.7*raw})
	}
	ours, raw, err := b.alternate(ctx, cfg.BatchConcurrency, cfg.BatchSize)
	if err != nil {
		return results, err
	}
	report(BenchResult{Name: fmt.Sprintf("append %d-event batches, conc %d", cfg.BatchSize, cfg.BatchConcurrency),
		Events: ours, Raw: raw, Target: ">= 100000/s and >= 0.7x raw", Achieved: ours >= 100_000 && ours >= 0.7*raw})

	readOurs, readRaw, err := b.read(ctx)
	if err != nil {
		return results, err
	}
	report(BenchResult{Name: "read global log", Events: readOurs, Raw: readRaw,
		Target: ">= 200000/s", Achieved: readOurs >= 200_000})
	return results, nil
}

func slicesMax(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

type bench struct {
	store *Store
	pool  *pgxpool.Pool
	cfg   BenchConfig
	round atomic.Int64
}

var benchPayload = json.RawMessage(`{"nodeId":"n-42","path":"props.label","value":"Submit order"}`)

// alternate runs raw, ours, raw, ours for half the duration each and returns events/s of each side.
func (b *bench) alternate(ctx context.Context, workers, batch int) (ours, raw float64, err error) {
	half := b.cfg.Duration / 2
	var oursN, rawN int64
	var oursT, rawT time.Duration
	for range 2 {
		n, d, err := b.run(ctx, workers, half, func(ctx context.Context, w *benchWorker) error { return w.raw(ctx, batch) })
		if err != nil {
			return 0, 0, fmt.Errorf("raw baseline: %w", err)
		}
		rawN, rawT = rawN+n*int64(batch), rawT+d
		n, d, err = b.run(ctx, workers, half, func(ctx context.Context, w *benchWorker) error { return w.append(ctx, batch) })
		if err != nil {
			return 0, 0, fmt.Errorf("goflow append: %w", err)
		}
		oursN, oursT = oursN+n*int64(batch), oursT+d
	}
	return float64(oursN) / oursT.Seconds(), float64(rawN) / rawT.Seconds(), nil
}

type benchWorker struct {
	b       *bench
	stream  string
	version int64
}

func (w *benchWorker) events(n int) []eventstore.EventData {
	evs := make([]eventstore.EventData, n)
	for i := range evs {
		evs[i] = eventstore.EventData{Type: "page.node_prop_set", Data: benchPayload, Actor: "bench"}
	}
	return evs
}

// append is the measured operation: an append with an exact expected version, as the domain does.
func (w *benchWorker) append(ctx context.Context, n int) error {
	res, err := w.b.store.Append(ctx, w.stream, eventstore.Exact(w.version), w.events(n))
	if err != nil {
		return err
	}
	w.version = res.StreamVersion
	return nil
}

// raw is the baseline: the same rows, sent the same way, inserted by one plain INSERT into an
// identical table: no stream lock, no version check, no function.
func (w *benchWorker) raw(ctx context.Context, n int) error {
	events := w.events(n)
	for i := range events {
		events[i].ID = uuid.Must(uuid.NewV7())
		events[i].SchemaVersion = 1
	}
	args := appendArgs(w.stream, eventstore.Any(), events, eventstore.Now())
	versions := make([]int64, n)
	for i := range versions {
		w.version++
		versions[i] = w.version
	}
	// The per-event arrays of appendArgs, without the expectation.
	_, err := w.b.pool.Exec(ctx, `INSERT INTO raw_events (event_id, stream_id, stream_version, event_type, data,
		schema_version, actor, causation_id, correlation_id, client_op_id, created_at)
		SELECT u.id, $1, v, u.typ, u.dat, u.sv, u.act, u.cau, u.cor, u.op, $11
		FROM unnest($2::uuid[], $3::text[], $4::json[], $5::int[], $6::text[], $7::uuid[], $8::uuid[], $9::text[], $10::bigint[])
			AS u(id, typ, dat, sv, act, cau, cor, op, v)`,
		args[0], args[3], args[4], args[5], args[6], args[7], args[8], args[9], args[10], versions, args[11])
	return err
}

// run calls op from workers goroutines for d and returns how many calls completed and how long
// they took.
func (b *bench) run(ctx context.Context, workers int, d time.Duration, op func(context.Context, *benchWorker) error) (int64, time.Duration, error) {
	var count atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	start := time.Now()
	round := b.round.Add(1)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &benchWorker{b: b, stream: "bench-" + strconv.FormatInt(round, 10) + "-" + strconv.Itoa(i)}
			for time.Now().Before(deadline) {
				if err := op(ctx, w); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	return count.Load(), time.Since(start), firstErr
}

// read measures the global log read rate (ReadAll pages of 1000 from the start) beside a raw
// SELECT of the same rows in primary-key order.
func (b *bench) read(ctx context.Context) (ours, raw float64, err error) {
	have, err := b.countEvents(ctx)
	if err != nil {
		return 0, 0, err
	}
	if need := int64(b.cfg.ReadEvents) - have; need > 0 {
		w := &benchWorker{b: b, stream: "bench-read"}
		for ; need > 0; need -= 1000 {
			if err := w.append(ctx, 1000); err != nil {
				return 0, 0, fmt.Errorf("fill log: %w", err)
			}
		}
	}
	const page = 1000
	ourPage := func(ctx context.Context, after int64) ([]eventstore.Envelope, error) {
		return b.store.ReadAll(ctx, eventstore.ReadAllParams{After: after, Limit: page})
	}
	rawPage := func(ctx context.Context, after int64) ([]eventstore.Envelope, error) {
		rows, err := b.pool.Query(ctx, `SELECT `+envelopeColumns+` FROM events WHERE global_position > $1
			ORDER BY global_position LIMIT $2`, after, page)
		if err != nil {
			return nil, err
		}
		return scanEnvelopes(rows, page)
	}
	var oursT, rawT time.Duration
	var oursN, rawN int
	for range 2 {
		n, d, err := b.pageThrough(ctx, rawPage)
		if err != nil {
			return 0, 0, fmt.Errorf("raw read: %w", err)
		}
		rawN, rawT = rawN+n, rawT+d
		n, d, err = b.pageThrough(ctx, ourPage)
		if err != nil {
			return 0, 0, fmt.Errorf("global log read: %w", err)
		}
		oursN, oursT = oursN+n, oursT+d
	}
	return float64(oursN) / oursT.Seconds(), float64(rawN) / rawT.Seconds(), nil
}

// pageThrough reads cfg.ReadEvents events from the start of the log, a page at a time.
func (b *bench) pageThrough(ctx context.Context, fetch func(context.Context, int64) ([]eventstore.Envelope, error)) (int, time.Duration, error) {
	start := time.Now()
	total, after := 0, int64(0)
	for total < b.cfg.ReadEvents {
		envs, err := fetch(ctx, after)
		if err != nil {
			return total, 0, err
		}
		if len(envs) == 0 {
			break
		}
		total += len(envs)
		after = envs[len(envs)-1].GlobalPosition
	}
	return total, time.Since(start), nil
}

func (b *bench) countEvents(ctx context.Context) (int64, error) {
	var n int64
	err := b.pool.QueryRow(ctx, "SELECT count(*) FROM events").Scan(&n)
	return n, err
}
