package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/goflow-dev/goflow/eventstore/postgres"
)

// bench runs "bench append": the Postgres event store's append and read rates beside a raw pgx
// baseline measured in the same run.
func (a app) bench(ctx context.Context, args []string) error {
	const benchUsage = "Usage:\n  goflow bench append --database-url postgres://... [flags]\n" +
		"  goflow bench pages --database-url postgres://... [flags]\n" +
		"  goflow bench collab --database-url postgres://... [flags]\n" +
		"  goflow bench runtime [flags]\n" +
		"  goflow bench workflows [--database-url postgres://...] [flags]\n"
	switch {
	case len(args) > 0 && args[0] == "pages":
		return a.benchPages(ctx, args[1:])
	case len(args) > 0 && args[0] == "collab":
		return a.benchCollab(ctx, args[1:])
	case len(args) > 0 && args[0] == "runtime":
		return a.benchRuntime(ctx, args[1:])
	case len(args) > 0 && args[0] == "workflows":
		return a.benchWorkflows(ctx, args[1:])
	case len(args) == 0 || args[0] != "append":
		fmt.Fprint(a.stderr, benchUsage)
		return usageError("bench: want the append, pages, collab, runtime or workflows subcommand")
	}
	fs := flag.NewFlagSet("bench append", flag.ContinueOnError)
	env := envBindings{}
	var (
		sf          storeFlags
		duration    time.Duration
		concurrency string
		batch       int
		batchConc   int
		readEvents  int
		asJSON      bool
	)
	sf.register(fs, env)
	fs.DurationVar(&duration, "duration", 4*time.Second, "how long each side of each scenario runs")
	fs.StringVar(&concurrency, "concurrency", "1,8,32", "worker counts of the single-event scenarios")
	fs.IntVar(&batch, "batch", 100, "events per append in the batch scenario")
	fs.IntVar(&batchConc, "batch-concurrency", 8, "workers of the batch scenario")
	fs.IntVar(&readEvents, "read-events", 200_000, "events read in the global-log scenario")
	fs.BoolVar(&asJSON, "json", false, "print the results as JSON after the table")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := a.parse(fs, env, args[1:]); err != nil {
		return helpOK(err)
	}
	if !strings.HasPrefix(sf.databaseURL, "postgres://") && !strings.HasPrefix(sf.databaseURL, "postgresql://") {
		return usageError("bench append measures the Postgres store: give --database-url postgres://...")
	}
	var conc []int
	for _, s := range strings.Split(concurrency, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return usageError("bench: bad --concurrency %q", concurrency)
		}
		conc = append(conc, n)
	}
	fmt.Fprintf(a.stdout, "GoFlow event store benchmark (Postgres), %s per side per scenario\n", duration)
	results, err := postgres.Bench(ctx, postgres.BenchConfig{
		URL: sf.databaseURL, Duration: duration, Concurrency: conc,
		BatchSize: batch, BatchConcurrency: batchConc, ReadEvents: readEvents,
	}, a.stdout)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if asJSON {
		return printJSON(a.stdout, results)
	}
	return nil
}

// printJSON writes a benchmark's --json output: indented, with <, > and & left as they are.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
