package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBenchRuntime runs a tiny runtime benchmark: every scenario prints its figures and its raw
// baseline, and the JSON figures are positive and consistent.
func TestBenchRuntime(t *testing.T) {
	t.Parallel()
	a, stdout, stderr := testApp(nil)
	err := a.run(context.Background(), []string{"bench", "runtime", "--dispatches", "60", "--session-steps", "250",
		"--state-queries", "20", "--rerun-steps", "40", "--seed", "7", "--json"})
	require.NoError(t, err, "stderr: %s", stderr)
	out := stdout.String()
	for _, want := range []string{"WebSocket round trip (not covered yet", "Runner.Dispatch", "raw Go baseline", "dispatches/s",
		"1 goroutine(s), 60 dispatches", "state at step N of a 250-action session, snapshots every 100, 20 random N",
		"StateAt", "raw Go step", "re-run of 40 actions with an edited page reducer (differs at step 40)",
		"FirstDifference", "Replay (original)", "raw Go replay", "target p99 < 5 ms", "target p99 < 20 ms", "target < 1 s"} {
		require.Contains(t, out, want)
	}
	var res struct {
		Note     string `json:"note"`
		Dispatch []struct {
			Goroutines   int     `json:"goroutines"`
			Dispatches   int     `json:"dispatches"`
			P50          float64 `json:"p50Ms"`
			P99          float64 `json:"p99Ms"`
			PerSecond    float64 `json:"dispatchesPerSecond"`
			RawP50       float64 `json:"rawP50Ms"`
			RawP99       float64 `json:"rawP99Ms"`
			RawPerSecond float64 `json:"rawDispatchesPerSecond"`
			Ratio        float64 `json:"ratioToRaw"`
		} `json:"dispatch"`
		StateAt struct {
			Steps      int     `json:"steps"`
			Queries    int     `json:"queries"`
			Build      float64 `json:"snapshotBuildMs"`
			StepMicros float64 `json:"replayedStepMicros"`
			P50        float64 `json:"p50Ms"`
			P99        float64 `json:"p99Ms"`
			RawP50     float64 `json:"rawStepP50Ms"`
			RawP99     float64 `json:"rawStepP99Ms"`
		} `json:"stateAt"`
		Rerun struct {
			Steps     int     `json:"steps"`
			DiffStep  int64   `json:"firstDifferenceStep"`
			FirstDiff float64 `json:"firstDifferenceMs"`
			Replay    float64 `json:"replayMs"`
			RawReplay float64 `json:"rawReplayMs"`
			Ratio     float64 `json:"ratioToReplay"`
		} `json:"rerun"`
	}
	start := strings.Index(out, "\n{")
	require.GreaterOrEqual(t, start, 0, "no JSON in:\n%s", out)
	require.NoError(t, json.Unmarshal([]byte(out[start:]), &res), out)
	require.Contains(t, res.Note, "WebSocket")

	require.NotEmpty(t, res.Dispatch)
	require.Equal(t, 1, res.Dispatch[0].Goroutines)
	for _, d := range res.Dispatch {
		require.Equal(t, 60, d.Dispatches)
		for _, v := range []float64{d.P50, d.PerSecond, d.RawP50, d.RawPerSecond, d.Ratio} {
			require.Positive(t, v, "%+v", d)
		}
		require.GreaterOrEqual(t, d.P99, d.P50)
		require.GreaterOrEqual(t, d.RawP99, d.RawP50)
		require.InDelta(t, d.PerSecond/d.RawPerSecond, d.Ratio, 1e-9)
	}

	s := res.StateAt
	require.Equal(t, 250, s.Steps)
	require.Equal(t, 20, s.Queries)
	for _, v := range []float64{s.Build, s.StepMicros, s.P99, s.RawP50} {
		require.Positive(t, v, "%+v", s)
	}
	require.GreaterOrEqual(t, s.P99, s.P50)
	require.GreaterOrEqual(t, s.RawP99, s.RawP50)

	r := res.Rerun
	require.Equal(t, 40, r.Steps)
	require.Equal(t, int64(40), r.DiffStep, "the edit differs only at the last step")
	for _, v := range []float64{r.FirstDiff, r.Replay, r.RawReplay} {
		require.Positive(t, v, "%+v", r)
	}
	require.InDelta(t, r.FirstDiff/r.Replay, r.Ratio, 1e-9)
}

func TestBenchRuntimeUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--dispatches", "0"},
		{"--session-steps", "0"},
		{"--rerun-steps", "-1"},
		{"extra"},
	} {
		a, _, _ := testApp(nil)
		err := a.run(context.Background(), append([]string{"bench", "runtime"}, args...))
		require.ErrorIs(t, err, errUsage, "%v", args)
	}
}
