package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore/postgres/pgtest"
)

// TestBenchCollab runs a tiny co-editing benchmark end to end: both scenarios, the idle
// connections and the raw baseline print their figures, every op is committed and reaches every
// other client exactly once.
//
// Not parallel: the idle-memory figure is a heap delta of this process, which other tests running
// at the same time would make meaningless (once it came out negative).
func TestBenchCollab(t *testing.T) {
	a, stdout, stderr := testApp(nil)
	err := a.run(context.Background(), []string{"bench", "collab", "--database-url", pgtest.URL(t),
		"--clients", "3", "--rate", "20", "--pages", "3", "--page-clients", "2", "--page-rate", "10",
		"--warmup", "100ms", "--duration", "500ms", "--drain", "30s", "--idle", "20", "--raw-duration", "200ms", "--json"})
	require.NoError(t, err, "stderr: %s", stderr)
	out := stdout.String()
	for _, want := range []string{"raw baseline", "appends/s", "one page: 1 page(s) x 3 clients", "many pages: 3 page(s) x 2 clients",
		"edit -> other clients", "raw appends ratio", "lost 0  duplicated 0", "idle connections: 20 open", "KB each", "upper bound for the server side"} {
		require.Contains(t, out, want)
	}
	var res struct {
		Raw       float64 `json:"rawAppendsPerSecond"`
		Scenarios []struct {
			Name       string  `json:"name"`
			Offered    float64 `json:"offeredOpsPerSecond"`
			P50        float64 `json:"p50Ms"`
			P99        float64 `json:"p99Ms"`
			Deliveries int     `json:"deliveries"`
			Committed  float64 `json:"committedOpsPerSecond"`
			Ratio      float64 `json:"ratioToRawAppends"`
			Sent       int64   `json:"sent"`
			Acked      int64   `json:"committed"`
			Rejected   int64   `json:"rejected"`
			Unacked    int64   `json:"unacked"`
			Lost       int64   `json:"lost"`
			Duplicated int64   `json:"duplicated"`
		} `json:"scenarios"`
		Idle struct {
			Connections int     `json:"connections"`
			Bytes       float64 `json:"bytesPerConnection"`
		} `json:"idle"`
	}
	start := strings.Index(out, "\n{")
	require.GreaterOrEqual(t, start, 0, "no JSON in:\n%s", out)
	require.NoError(t, json.Unmarshal([]byte(out[start:]), &res), out)
	require.Positive(t, res.Raw)
	require.Len(t, res.Scenarios, 2)
	for i, clients := range []int{3, 3 * 2} {
		s := res.Scenarios[i]
		require.Equal(t, float64(clients*[]int{20, 10}[i]), s.Offered, s.Name)
		require.Positive(t, s.Sent, s.Name)
		require.Equal(t, s.Sent, s.Acked, "%s: every op committed", s.Name)
		require.Zero(t, s.Rejected+s.Unacked, s.Name)
		require.Zero(t, s.Lost, s.Name)
		require.Zero(t, s.Duplicated, s.Name)
		require.Positive(t, s.Deliveries, s.Name)
		require.Positive(t, s.P50, s.Name)
		require.GreaterOrEqual(t, s.P99, s.P50, s.Name)
		require.Positive(t, s.Committed, s.Name)
		require.InDelta(t, s.Committed/res.Raw, s.Ratio, 1e-9, s.Name)
	}
	require.Equal(t, 20, res.Idle.Connections)
	require.Positive(t, res.Idle.Bytes)
}
