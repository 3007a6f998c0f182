package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore/postgres/pgtest"
)

// TestBenchWorkflows runs tiny workflow benchmarks end to end: each phase prints its figures
// beside its baseline, every figure parses, the JSON report has one entry per scenario with the
// counts asked for, and the query phase leaves no schema behind.
func TestBenchWorkflows(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		postgres bool
		args     []string
		// queryScenarios is the number of query scenarios expected (0: the phase is skipped).
		queryScenarios int
	}{
		{name: "lua only", args: []string{"--runs", "40", "--workers", "2", "--queries", "0"}},
		{name: "lua and queries", postgres: true, args: []string{"--runs", "30", "--workers", "2", "--queries", "24", "--table-rows", "100"}, queryScenarios: 2},
		{name: "one worker", postgres: true, args: []string{"--runs", "20", "--workers", "1", "--queries", "10", "--table-rows", "50"}, queryScenarios: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"bench", "workflows", "--json"}, tc.args...)
			var dbURL string
			if tc.postgres {
				dbURL = pgtest.URL(t) // skips without Postgres, fails instead in CI
				args = append(args, "--database-url", dbURL)
			}
			a, stdout, stderr := testApp(nil)
			require.NoError(t, a.run(context.Background(), args), "stderr: %s", stderr)
			out := stdout.String()
			runs, workers, queries := flagInt(t, args, "--runs"), flagInt(t, args, "--workers"), flagInt(t, args, "--queries")
			scenarios := []int{1}
			if workers > 1 {
				scenarios = append(scenarios, workers)
			}

			text, report, ok := strings.Cut(out, "\n{")
			require.True(t, ok, "no JSON in:\n%s", out)
			for _, w := range scenarios {
				require.Contains(t, text, "Lua workflow run (process_event: sum and pass-through items), "+strconv.Itoa(w)+" worker(s), "+strconv.Itoa(runs)+" runs")
				if tc.queryScenarios > 0 {
					require.Contains(t, text, "query round trip (20 rows, parameterised BETWEEN), "+strconv.Itoa(w)+" worker(s), "+strconv.Itoa(queries)+" queries")
				}
			}
			// Every figure line: a label, then p50 and p99 in ms that parse.
			figure := regexp.MustCompile(`(?m)^  (Runner\.Run|Go function|overhead|sandbox per run|Executor\.Run|direct pgx|pgx, same tx) +p50 +(-?[0-9.]+) ms +p99 +(-?[0-9.]+) ms`)
			counts := map[string]int{}
			for _, m := range figure.FindAllStringSubmatch(text, -1) {
				counts[m[1]]++
				for _, v := range m[2:] {
					_, err := strconv.ParseFloat(v, 64)
					require.NoError(t, err, "line %q", m[0])
				}
			}
			n := len(scenarios)
			require.Equal(t, withoutZeros(map[string]int{"Runner.Run": n, "Go function": n, "overhead": n + tc.queryScenarios,
				"sandbox per run": 1, "Executor.Run": tc.queryScenarios, "direct pgx": tc.queryScenarios, "pgx, same tx": tc.queryScenarios}), counts, text)

			var res workflowsReport
			require.NoError(t, json.Unmarshal([]byte("{"+report), &res), out)
			require.Len(t, res.Lua, n)
			for i, r := range res.Lua {
				require.Equal(t, scenarios[i], r.Workers)
				require.Equal(t, runs, r.Runs)
				require.Positive(t, r.P50)
				require.GreaterOrEqual(t, r.P99, r.P50)
				require.Positive(t, r.PerSecond)
				require.Positive(t, r.GoPerSecond)
				require.InDelta(t, r.P99-r.GoP99, r.OverheadP99, 1e-9)
				require.Equal(t, r.OverheadP99 < 2, r.Met)
				require.Equal(t, i == 0, r.FreshSandbox != nil, "the sandbox-per-run figure belongs to the first scenario")
			}
			require.Len(t, res.Query, tc.queryScenarios)
			for i, r := range res.Query {
				require.Equal(t, scenarios[i], r.Workers)
				require.Equal(t, queries, r.Queries)
				require.Equal(t, benchQueryWidth, r.RowsPerQuery)
				require.Positive(t, r.P50)
				require.Positive(t, r.PgxP50)
				require.Positive(t, r.TxP50)
				require.InDelta(t, r.P50-r.PgxP50, r.OverheadP50, 1e-9)
				require.Equal(t, r.OverheadP50 < 1 && r.OverheadP99 < 1, r.Met)
			}

			if tc.postgres {
				conn, err := pgx.Connect(context.Background(), dbURL)
				require.NoError(t, err)
				defer conn.Close(context.Background())
				var left int
				require.NoError(t, conn.QueryRow(context.Background(),
					"SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'goflow_bench_wf_%'").Scan(&left))
				require.Zero(t, left, "the benchmark's schema was not dropped")
			}
		})
	}
}

func TestBenchWorkflowsUsage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
	}{
		{"no runs", []string{"--runs", "0", "--queries", "0"}},
		{"no workers", []string{"--workers", "0", "--queries", "0"}},
		{"table smaller than a query", []string{"--table-rows", "5"}},
		{"not postgres", []string{"--database-url", "sqlite:///tmp/x.db"}},
		{"positional argument", []string{"extra"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, _, _ := testApp(nil)
			err := a.run(context.Background(), append([]string{"bench", "workflows"}, tc.args...))
			require.ErrorIs(t, err, errUsage)
		})
	}
}

// flagInt is the value following name in args.
func flagInt(t *testing.T, args []string, name string) int {
	t.Helper()
	for i, a := range args[:len(args)-1] {
		if a == name {
			n, err := strconv.Atoi(args[i+1])
			require.NoError(t, err)
			return n
		}
	}
	t.Fatalf("no %s in %q", name, args)
	return 0
}

func withoutZeros(m map[string]int) map[string]int {
	for k, v := range m {
		if v == 0 {
			delete(m, k)
		}
	}
	return m
}
