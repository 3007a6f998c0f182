package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore/postgres/pgtest"
)

// TestBenchRuntime runs a tiny runtime benchmark on each store: every scenario prints its figures
// and its baseline, and the JSON figures are positive and consistent; every component event sent
// over the WebSocket is answered and recorded once.
func TestBenchRuntime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		store string // how the output names the store
	}{
		{"sqlite", nil, "SQLite (embedded, temporary file)"},
		{"postgres", []string{"--database-url", pgtest.URL(t)}, "Postgres ("},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			testBenchRuntime(t, tt.args, tt.store)
		})
	}
}

// testBenchRuntime runs the tiny benchmark with the WebSocket phase's server on store (extra
// selects it) and checks its output.
func testBenchRuntime(t *testing.T, extra []string, store string) {
	t.Helper()
	a, stdout, stderr := testApp(nil)
	err := a.run(context.Background(), append([]string{"bench", "runtime", "--dispatches", "60", "--session-steps", "250",
		"--state-queries", "20", "--rerun-steps", "40", "--ws-dispatches", "30", "--ws-clients", "3", "--seed", "7", "--json"}, extra...))
	require.NoError(t, err, "stderr: %s", stderr)
	out := stdout.String()
	for _, want := range []string{"round trip over a real WebSocket", "Runner.Dispatch", "raw Go baseline", "dispatches/s",
		"1 goroutine(s), 60 dispatches", "state at step N of a 250-action session, snapshots every 100, 20 random N",
		"StateAt", "raw Go step", "re-run of 40 actions with an edited page reducer (differs at step 40)",
		"FirstDifference", "Replay (original)", "raw Go replay", "target p99 < 5 ms", "target p99 < 20 ms", "target < 1 s",
		"WebSocket phase: " + store, "includes the store append", "1 client(s), 30 dispatches", "3 client(s), 30 dispatches",
		"round trip ", "in process ", "store append ", "sent 60, answered 60, recorded ", "sent 120, answered 120, recorded "} {
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
		WebSocket struct {
			Store     string `json:"store"`
			Note      string `json:"note"`
			Scenarios []struct {
				Store       string  `json:"store"`
				Clients     int     `json:"clients"`
				Dispatches  int     `json:"dispatches"`
				P50         float64 `json:"p50Ms"`
				P99         float64 `json:"p99Ms"`
				PerSecond   float64 `json:"dispatchesPerSecond"`
				Sent        int64   `json:"sent"`
				Answered    int64   `json:"answered"`
				Recorded    int64   `json:"recorded"`
				Overran     int64   `json:"overDeadline"`
				InP50       float64 `json:"inProcessP50Ms"`
				InP99       float64 `json:"inProcessP99Ms"`
				InPerSecond float64 `json:"inProcessDispatchesPerSecond"`
				Ratio       float64 `json:"ratioToInProcess"`
				AppendP50   float64 `json:"appendP50Ms"`
				AppendP99   float64 `json:"appendP99Ms"`
				AppendRate  float64 `json:"appendsPerSecond"`
				Target      string  `json:"target"`
			} `json:"scenarios"`
		} `json:"webSocket"`
	}
	start := strings.Index(out, "\n{")
	require.GreaterOrEqual(t, start, 0, "no JSON in:\n%s", out)
	require.NoError(t, json.Unmarshal([]byte(out[start:]), &res), out)
	require.Contains(t, res.Note, "WebSocket")

	require.NotEmpty(t, res.Dispatch)
	require.Equal(t, 1, res.Dispatch[0].Goroutines)
	inProcess := map[int]float64{} // goroutines -> dispatches/s
	for _, d := range res.Dispatch {
		inProcess[d.Goroutines] = d.PerSecond
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

	ws := res.WebSocket
	require.True(t, strings.HasPrefix(ws.Store, store), ws.Store)
	require.Contains(t, ws.Note, "store append")
	require.Len(t, ws.Scenarios, 2)
	for i, clients := range []int{1, 3} {
		s := ws.Scenarios[i]
		require.Equal(t, clients, s.Clients)
		require.Equal(t, ws.Store, s.Store)
		require.Equal(t, 30, s.Dispatches)
		// Each client warms up with min(100, dispatches) round trips on its session, then shares
		// the measured ones: every event sent is answered once and recorded as one step, but for
		// a handler that overran the server's live deadline on a loaded machine (nothing recorded).
		require.Equal(t, int64(clients*30+30), s.Sent)
		require.Equal(t, s.Sent, s.Answered)
		require.LessOrEqual(t, s.Recorded, s.Sent)
		require.GreaterOrEqual(t, s.Recorded+s.Overran, s.Sent)
		require.LessOrEqual(t, s.Overran, s.Sent/10, "overruns are rare")
		for _, v := range []float64{s.P50, s.PerSecond, s.InP50, s.InPerSecond, s.Ratio, s.AppendP50, s.AppendRate} {
			require.Positive(t, v, "%+v", s)
		}
		require.GreaterOrEqual(t, s.P99, s.P50)
		require.GreaterOrEqual(t, s.InP99, s.InP50)
		require.GreaterOrEqual(t, s.AppendP99, s.AppendP50)
		require.Equal(t, inProcess[clients], s.InPerSecond, "the in-process figure of the same concurrency")
		require.InDelta(t, s.PerSecond/s.InPerSecond, s.Ratio, 1e-9)
		require.Equal(t, "p99 < 5 ms, >= 5,000 dispatches/s per node", s.Target)
	}
}

// TestBenchRuntimeWithoutWebSocket: --ws-dispatches 0 runs the in-process phases only, with no
// server.
func TestBenchRuntimeWithoutWebSocket(t *testing.T) {
	t.Parallel()
	// More clients than GOMAXPROCS: with the phase on, the in-process dispatch would run with as
	// many goroutines.
	clients := strconv.Itoa(runtime.GOMAXPROCS(0) + 1)
	a, stdout, stderr := testApp(nil)
	err := a.run(context.Background(), []string{"bench", "runtime", "--dispatches", "20", "--session-steps", "50",
		"--state-queries", "5", "--rerun-steps", "10", "--ws-dispatches", "0", "--ws-clients", clients, "--json"})
	require.NoError(t, err, "stderr: %s", stderr)
	out := stdout.String()
	require.Contains(t, out, "Runner.Dispatch")
	require.NotContains(t, out, "WebSocket phase")
	require.NotContains(t, out, " "+clients+" goroutine(s)", "no WebSocket scenario asks for an in-process figure of its concurrency")
	start := strings.Index(out, "\n{")
	require.GreaterOrEqual(t, start, 0, "no JSON in:\n%s", out)
	var res map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(out[start:]), &res), out)
	require.Contains(t, res, "rerun")
	require.NotContains(t, res, "webSocket")
}

func TestBenchRuntimeUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--dispatches", "0"},
		{"--session-steps", "0"},
		{"--rerun-steps", "-1"},
		{"--ws-dispatches", "-1"},
		{"--ws-clients", "0"},
		{"--database-url", "mysql://localhost/goflow"},
		{"extra"},
	} {
		a, _, _ := testApp(nil)
		err := a.run(context.Background(), append([]string{"bench", "runtime"}, args...))
		require.ErrorIs(t, err, errUsage, "%v", args)
	}
}

// TestBenchRuntimeWSClick: a click accepts the session's next step with both counts up by one, and
// counts a script past the server's live deadline (a handler's records nothing, a reducer's
// records its step with the states kept, P37); anything else fails the benchmark.
func TestBenchRuntimeWSClick(t *testing.T) {
	t.Parallel()
	state := func(step, count int, err string) string {
		return fmt.Sprintf(`{"type":"run_state","session":"s1","step":%d,"state":{"page":{"count":%d},"app":{"actions":%d}},"updates":[],"error":%q}`,
			step, count, count, err)
	}
	tests := []struct {
		name    string
		answers []string // the server's messages after the event
		wantErr string   // "" for a click that counts
		step    int64    // the client's step and count after it
		count   int64
		handler int64
		reducer int64
	}{
		{"next step", []string{state(5, 5, "")}, "", 5, 5, 0, 0},
		{"other messages first", []string{`{"type":"presence"}`, state(5, 5, "")}, "", 5, 5, 0, 0},
		{"handler past the deadline", []string{`{"type":"error","code":"handler_failed","message":"jsbox: deadline exceeded: the call ran longer than 50ms"}`}, "", 4, 4, 1, 0},
		{"reducer past the deadline", []string{state(5, 4, "page reducer: jsbox: deadline exceeded")}, "", 5, 4, 0, 1},
		{"handler error", []string{`{"type":"error","code":"handler_failed","message":"boom"}`}, "handler_failed: boom", 4, 4, 0, 0},
		{"reducer error", []string{state(5, 4, "page reducer: boom")}, "error \"page reducer: boom\"", 4, 4, 0, 0},
		{"step skipped", []string{state(6, 6, "")}, "at step 6", 4, 4, 0, 0},
		{"count wrong", []string{state(5, 7, "")}, "count 7", 4, 4, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ws, err := websocket.Accept(w, r, nil)
				if err != nil {
					return
				}
				defer ws.CloseNow()
				if _, _, err := ws.Read(r.Context()); err != nil {
					return
				}
				for _, a := range tt.answers {
					if err := ws.Write(r.Context(), websocket.MessageText, []byte(a)); err != nil {
						return
					}
				}
				_, _, _ = ws.Read(r.Context()) // until the client closes
			}))
			defer srv.Close()
			ctx := context.Background()
			ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
			require.NoError(t, err)
			defer ws.CloseNow()
			c := &wsRunClient{ws: ws, session: "s1", event: []byte(`{"type":"component_event"}`), step: 4, count: 4}

			err = c.click(ctx)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, int64(1), c.sent)
			require.Equal(t, tt.step, c.step)
			require.Equal(t, tt.count, c.count)
			require.Equal(t, tt.handler, c.handlerOverran)
			require.Equal(t, tt.reducer, c.reducerOverran)
		})
	}
}
