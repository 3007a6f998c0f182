package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/runtime/jsbox"
	"github.com/goflow-dev/goflow/runtime/session"
)

// Targets printed beside the runtime figures (issue 6).
const (
	dispatchTarget = "p99 < 5 ms, >= 5,000 dispatches/s per node"
	stateAtTarget  = "p99 < 20 ms"
	rerunTarget    = "< 1 s"
)

// runtimeBenchNote says what the runtime benchmark measures and leaves out.
const runtimeBenchNote = "in process: Runner.Dispatch, state at step N and a re-run, with no server and no database (scripts come from an in-memory map); " +
	"then the dispatch round trip over a real WebSocket to a real server (SQLite, or Postgres with --database-url), " +
	"which includes the server's store append of every dispatch"

// The counter app measured: a handler dispatching one action, a page reducer updating a few
// fields with a spread, and an app reducer counting actions.
const (
	benchHandler = `function handleEvent(payload, ctx) {
		dispatch(createAction('counter/increment', { by: (payload && payload.by) || 1 }));
	}`
	benchPageReducer = `function reducer(state = { title: 'Counter', count: 0, last: 0, label: '', updatedAt: 0 }, action) {
		switch (action.type) {
		case 'counter/increment': {
			const count = state.count + action.payload.by;
			return { ...state, count, last: action.payload.by, label: 'Count: ' + count, updatedAt: Date.now() };
		}
		case 'counter/reset': return { ...state, count: 0, last: 0, label: 'Count: 0', updatedAt: Date.now() };
		default: return state;
		}
	}`
	// benchPageReducerEdited differs from benchPageReducer only on counter/reset, which the
	// re-run history holds at its last step only.
	benchPageReducerEdited = `function reducer(state = { title: 'Counter', count: 0, last: 0, label: '', updatedAt: 0 }, action) {
		switch (action.type) {
		case 'counter/increment': {
			const count = state.count + action.payload.by;
			return { ...state, count, last: action.payload.by, label: 'Count: ' + count, updatedAt: Date.now() };
		}
		case 'counter/reset': return { ...state, count: -1, last: 0, label: 'Count: -1', updatedAt: Date.now() };
		default: return state;
		}
	}`
	benchAppReducer = `function reducer(state = { actions: 0 }, action) {
		return { ...state, actions: state.actions + 1, last: action.type };
	}`
)

var (
	benchPageRef    = domain.ScriptRef{ScriptID: "page", Version: 1}
	benchAppRef     = domain.ScriptRef{ScriptID: "app", Version: 1}
	benchHandlerRef = domain.ScriptRef{ScriptID: "onClick", Version: 1}
	benchEpoch      = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

// benchScripts is a session.Scripts backed by the counter app's sources.
type benchScripts map[domain.ScriptRef]string

func (m benchScripts) Program(_ context.Context, id string, version int64) (jsbox.Program, error) {
	ref := domain.ScriptRef{ScriptID: id, Version: version}
	src, ok := m[ref]
	if !ok {
		return jsbox.Program{}, fmt.Errorf("script %s@%d not found", id, version)
	}
	return jsbox.Program{ID: id, Version: version, Source: src}, nil
}

// benchRuntime runs "bench runtime": the dispatch pipeline, state at step N and a re-run with an
// edited reducer, in process, each beside the same logic written in Go measured in the same run;
// then the dispatch round trip over a real WebSocket to a real server, beside the in-process
// dispatch.
func (a app) benchRuntime(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench runtime", flag.ContinueOnError)
	var (
		dispatches   int
		sessionSteps int
		queries      int
		rerunSteps   int
		wsDispatches int
		wsClients    int
		databaseURL  string
		asJSON       bool
		seedValue    uint64
	)
	fs.IntVar(&dispatches, "dispatches", 20_000, "measured dispatches per scenario (split among its goroutines)")
	fs.IntVar(&sessionSteps, "session-steps", 100_000, "recorded actions of the state-at-step session")
	fs.IntVar(&queries, "state-queries", 500, "random steps whose state is computed")
	fs.IntVar(&rerunSteps, "rerun-steps", 10_000, "recorded actions re-run with the edited reducer")
	fs.IntVar(&wsDispatches, "ws-dispatches", 5_000, "measured WebSocket round trips per scenario (split among its clients); 0 skips the WebSocket phase")
	fs.IntVar(&wsClients, "ws-clients", runtime.GOMAXPROCS(0), "connections of the second WebSocket scenario (the first has 1), each running its own session")
	fs.StringVar(&databaseURL, "database-url", "", "Postgres URL (postgres://...) of the WebSocket phase's server, which uses a schema of its own; empty: the embedded SQLite store in a temporary directory")
	fs.BoolVar(&asJSON, "json", false, "print the results as JSON after the table")
	fs.Uint64Var(&seedValue, "seed", 1, "seed of the action payloads and the steps queried")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage:\n  goflow bench runtime [flags]\n\nMeasures "+runtimeBenchNote+".\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := a.parse(fs, envBindings{}, args); err != nil {
		return helpOK(err)
	}
	if dispatches < 1 || sessionSteps < 1 || queries < 1 || rerunSteps < 1 || wsDispatches < 0 || wsClients < 1 || wsClients > maxWSClients {
		return usageError("bench runtime: --dispatches, --session-steps, --state-queries and --rerun-steps must be >= 1, --ws-dispatches >= 0, 1 <= --ws-clients <= %d", maxWSClients)
	}
	if databaseURL != "" && !isPostgresURL(databaseURL) {
		return usageError("bench runtime: --database-url must be a postgres:// URL, or empty for the embedded SQLite store")
	}
	// A generous deadline: this measures speed, and a reducer timing out on a loaded machine
	// would be recorded as a step error rather than fail the run.
	box, err := jsbox.NewSandbox(jsbox.Config{Limits: jsbox.Limits{Timeout: 2 * time.Second}})
	if err != nil {
		return fmt.Errorf("bench runtime: %w", err)
	}
	b := runtimeBench{
		runner: session.NewRunner(box, benchScripts{
			benchPageRef: benchPageReducer, benchAppRef: benchAppReducer, benchHandlerRef: benchHandler,
		}),
		started: &domain.SessionStarted{SessionID: "bench", AppID: "bench", PageID: "bench", Mode: domain.SessionPreview,
			PageReducer: benchPageRef, AppReducer: benchAppRef},
		rng: rand.New(rand.NewPCG(seedValue, seedValue^0x9e3779b97f4a7c15)),
	}

	fmt.Fprintf(a.stdout, "GoFlow runtime benchmark (%s); GOMAXPROCS %d, sandbox deadline 2s\n", runtimeBenchNote, runtime.GOMAXPROCS(0))
	out := runtimeReport{Note: runtimeBenchNote}
	// The in-process dispatch also runs with as many goroutines as the WebSocket phase has
	// clients, so that each WebSocket figure has an in-process one of the same concurrency.
	wsScenarios := slices.Compact([]int{1, wsClients})
	if wsDispatches == 0 {
		wsScenarios = nil
	}
	inProcess := map[int]dispatchResult{}
	for _, workers := range slices.Compact(slices.Sorted(slices.Values(append([]int{1, runtime.GOMAXPROCS(0)}, wsScenarios...)))) {
		res, err := b.dispatch(ctx, workers, dispatches)
		if err != nil {
			return fmt.Errorf("bench runtime: dispatch with %d goroutines: %w", workers, err)
		}
		res.print(a.stdout)
		out.Dispatch = append(out.Dispatch, res)
		inProcess[workers] = res
	}
	if out.StateAt, err = b.stateAt(ctx, sessionSteps, queries); err != nil {
		return fmt.Errorf("bench runtime: state at step: %w", err)
	}
	out.StateAt.print(a.stdout)
	if out.Rerun, err = b.rerun(ctx, rerunSteps); err != nil {
		return fmt.Errorf("bench runtime: re-run: %w", err)
	}
	out.Rerun.print(a.stdout)

	if len(wsScenarios) > 0 {
		ws, err := newWSRuntimeBench(ctx, databaseURL)
		if err != nil {
			return err
		}
		defer ws.close()
		out.WebSocket = &wsReport{Store: ws.store, Note: wsRoundTripNote}
		sample, err := b.sampleDispatch(ctx)
		if err != nil {
			return fmt.Errorf("bench runtime: %w", err)
		}
		fmt.Fprintf(a.stdout, "WebSocket phase: %s store; %s\n", ws.store, wsRoundTripNote)
		for _, clients := range wsScenarios {
			res, err := ws.dispatch(ctx, clients, wsDispatches)
			if err != nil {
				return fmt.Errorf("bench runtime: WebSocket round trip with %d clients: %w", clients, err)
			}
			in := inProcess[clients]
			res.InProcessP50, res.InProcessP99, res.InProcessPerSecond = in.P50, in.P99, in.PerSecond
			res.Ratio = res.PerSecond / in.PerSecond
			if res.AppendP50, res.AppendP99, res.AppendPerSecond, err = ws.appendRate(ctx, clients, wsDispatches, sample); err != nil {
				return fmt.Errorf("bench runtime: store append with %d goroutines: %w", clients, err)
			}
			res.print(a.stdout)
			out.WebSocket.Scenarios = append(out.WebSocket.Scenarios, res)
		}
	}

	if asJSON {
		return printJSON(a.stdout, out)
	}
	return nil
}

// runtimeReport is the --json output.
type runtimeReport struct {
	Note     string           `json:"note"`
	Dispatch []dispatchResult `json:"dispatch"`
	StateAt  stateAtResult    `json:"stateAt"`
	Rerun    rerunResult      `json:"rerun"`
	// WebSocket is absent when --ws-dispatches is 0.
	WebSocket *wsReport `json:"webSocket,omitempty"`
}

// dispatchResult is one dispatch scenario: Runner.Dispatch of a component event, and the raw
// baseline doing the same work in Go.
type dispatchResult struct {
	Goroutines   int     `json:"goroutines"`
	Dispatches   int     `json:"dispatches"`
	P50          float64 `json:"p50Ms"`
	P99          float64 `json:"p99Ms"`
	PerSecond    float64 `json:"dispatchesPerSecond"`
	RawP50       float64 `json:"rawP50Ms"`
	RawP99       float64 `json:"rawP99Ms"`
	RawPerSecond float64 `json:"rawDispatchesPerSecond"`
	// Ratio is PerSecond / RawPerSecond.
	Ratio  float64 `json:"ratioToRaw"`
	Target string  `json:"target"`
}

func (r dispatchResult) print(w io.Writer) {
	fmt.Fprintf(w, "dispatch (component event -> handler -> page + app reducers), %d goroutine(s), %d dispatches\n", r.Goroutines, r.Dispatches)
	fmt.Fprintf(w, "  Runner.Dispatch   p50 %8.3f ms  p99 %8.3f ms  %10.0f dispatches/s   target %s: %s\n",
		r.P50, r.P99, r.PerSecond, r.Target, verdict(r.P99 < 5 && r.PerSecond >= 5000))
	fmt.Fprintf(w, "  raw Go baseline   p50 %8.3f ms  p99 %8.3f ms  %10.0f dispatches/s   ratio %.4fx (raw %.1fx faster)\n",
		r.RawP50, r.RawP99, r.RawPerSecond, r.Ratio, 1/r.Ratio)
}

// stateAtResult is state at a random step of a long session.
type stateAtResult struct {
	Steps   int `json:"steps"`
	Every   int `json:"snapshotEvery"`
	Queries int `json:"queries"`
	// SnapshotBuild is NewSnapshots' time (one replay of the whole session).
	SnapshotBuild float64 `json:"snapshotBuildMs"`
	StepMicros    float64 `json:"replayedStepMicros"`
	P50           float64 `json:"p50Ms"`
	P99           float64 `json:"p99Ms"`
	// ReplayedPerQuery is the mean number of steps StateAt replayed from its snapshot.
	ReplayedPerQuery float64 `json:"replayedStepsPerQuery"`
	RawStepP50       float64 `json:"rawStepP50Ms"`
	RawStepP99       float64 `json:"rawStepP99Ms"`
	Target           string  `json:"target"`
}

func (r stateAtResult) print(w io.Writer) {
	fmt.Fprintf(w, "state at step N of a %d-action session, snapshots every %d, %d random N\n", r.Steps, r.Every, r.Queries)
	fmt.Fprintf(w, "  NewSnapshots      %10.1f ms (%.1f µs per replayed step)\n", r.SnapshotBuild, r.StepMicros)
	fmt.Fprintf(w, "  StateAt           p50 %8.3f ms  p99 %8.3f ms  (%.1f steps replayed per query)   target %s: %s\n",
		r.P50, r.P99, r.ReplayedPerQuery, r.Target, verdict(r.P99 < 20))
	fmt.Fprintf(w, "  raw Go step       p50 %8.4f ms  p99 %8.4f ms  (one page + app reducer step)\n", r.RawStepP50, r.RawStepP99)
}

// rerunResult is the re-run of a history with an edited page reducer.
type rerunResult struct {
	Steps                int     `json:"steps"`
	FirstDiffStep        int64   `json:"firstDifferenceStep"`
	FirstDiff            float64 `json:"firstDifferenceMs"`
	Replay               float64 `json:"replayMs"`
	ReplayStepsPerSecond float64 `json:"replayStepsPerSecond"`
	RawReplay            float64 `json:"rawReplayMs"`
	// RatioToReplay is FirstDiff / Replay.
	RatioToReplay float64 `json:"ratioToReplay"`
	Target        string  `json:"target"`
}

func (r rerunResult) print(w io.Writer) {
	fmt.Fprintf(w, "re-run of %d actions with an edited page reducer (differs at step %d)\n", r.Steps, r.FirstDiffStep)
	fmt.Fprintf(w, "  FirstDifference   %10.1f ms   target %s: %s   (%.2fx the replay: the original and edited replays run side by side)\n",
		r.FirstDiff, r.Target, verdict(r.FirstDiff < 1000), r.RatioToReplay)
	fmt.Fprintf(w, "  Replay (original) %10.1f ms   (%.0f steps/s)\n", r.Replay, r.ReplayStepsPerSecond)
	fmt.Fprintf(w, "  raw Go replay     %10.1f ms   (Replay is %.1fx slower)\n", r.RawReplay, r.Replay/r.RawReplay)
}

// runtimeBench holds what the scenarios share.
type runtimeBench struct {
	runner  *session.Runner
	started *domain.SessionStarted
	rng     *rand.Rand
}

// benchClick is the component event of dispatch i.
func benchClick(i int, by int64) session.DispatchInput {
	return session.DispatchInput{
		Event: &session.ComponentEvent{
			Handler:   benchHandlerRef,
			Component: jsbox.ComponentInfo{NodeID: "btn", Type: "Button", Props: json.RawMessage(`{"label":"+"}`)},
			Event:     jsbox.Event{Name: "onClick", Payload: json.RawMessage(`{"by":` + strconv.FormatInt(by, 10) + `}`)},
		},
		PageReducer: benchPageRef, AppReducer: benchAppRef,
		Time: benchEpoch.Add(time.Duration(i) * time.Millisecond), Seed: uint64(i),
	}
}

// dispatch measures n dispatches split among workers goroutines, each on its own session, then
// the raw baseline the same way.
func (b *runtimeBench) dispatch(ctx context.Context, workers, n int) (dispatchResult, error) {
	res := dispatchResult{Goroutines: workers, Dispatches: n, Target: dispatchTarget}
	by := make([]int64, n)
	for i := range by {
		by[i] = 1 + b.rng.Int64N(9)
	}
	live := func(ctx context.Context) func(i int) error {
		st := session.InitialState(b.started)
		return func(i int) error {
			next, events, _, err := b.runner.Dispatch(ctx, st, benchClick(i, by[i]))
			if err != nil {
				return err
			}
			if len(events) != 1 {
				return fmt.Errorf("dispatch %d recorded %d steps, want 1", i, len(events))
			}
			if d := events[0].(*domain.SessionActionDispatched); d.Error != "" {
				return fmt.Errorf("dispatch %d: %s", i, d.Error)
			}
			st = next
			return nil
		}
	}
	raw := func(context.Context) func(i int) error {
		var page, app json.RawMessage
		return func(i int) error {
			var err error
			page, app, err = rawDispatch(page, app, json.RawMessage(`{"by":`+strconv.FormatInt(by[i], 10)+`}`), benchEpoch.Add(time.Duration(i)*time.Millisecond))
			return err
		}
	}
	var err error
	if res.P50, res.P99, res.PerSecond, err = timeWorkers(ctx, workers, n, live); err != nil {
		return res, err
	}
	if res.RawP50, res.RawP99, res.RawPerSecond, err = timeWorkers(ctx, workers, n, raw); err != nil {
		return res, err
	}
	res.Ratio = res.PerSecond / res.RawPerSecond
	return res, nil
}

// sampleDispatch is a recorded dispatch of the counter app, for the raw store append baseline.
func (b *runtimeBench) sampleDispatch(ctx context.Context) (*domain.SessionActionDispatched, error) {
	_, events, _, err := b.runner.Dispatch(ctx, session.InitialState(b.started), benchClick(0, 1))
	if err != nil {
		return nil, err
	}
	if len(events) != 1 {
		return nil, fmt.Errorf("sample dispatch recorded %d steps, want 1", len(events))
	}
	return events[0].(*domain.SessionActionDispatched), nil
}

// timeWorkers runs op for 0..n-1 split among workers goroutines, each with its own op from
// newOp (its own session), after a warm-up, and returns p50, p99 (ms) and ops per second.
func timeWorkers(ctx context.Context, workers, n int, newOp func(context.Context) func(i int) error) (p50, p99, perSecond float64, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lat := make([][]time.Duration, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	var ready, start sync.WaitGroup
	ready.Add(workers)
	start.Add(1)
	for w := range workers {
		wg.Go(func() {
			op := newOp(ctx)
			// Warm-up on the worker's own session: builds its pooled runtime and compiles
			// the scripts; the measured indexes below are not reused, so warm-up uses index 0.
			for range min(100, n) {
				if errs[w] = op(0); errs[w] != nil {
					break
				}
			}
			ready.Done()
			start.Wait()
			if errs[w] != nil {
				return
			}
			for i := w; i < n; i += workers {
				t := time.Now()
				if errs[w] = op(i); errs[w] != nil {
					cancel()
					return
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		})
	}
	ready.Wait()
	began := time.Now()
	start.Done()
	wg.Wait()
	elapsed := time.Since(began)
	if err := errors.Join(errs...); err != nil {
		return 0, 0, 0, err
	}
	all := slices.Concat(lat...)
	return quantileMs(all, 0.50), quantileMs(all, 0.99), float64(len(all)) / elapsed.Seconds(), nil
}

// stateAt builds a steps-long recorded session in memory, snapshots it every 100 steps and
// times StateAt at random steps, checking each state against the raw Go replay.
func (b *runtimeBench) stateAt(ctx context.Context, steps, queries int) (stateAtResult, error) {
	res := stateAtResult{Steps: steps, Every: session.DefaultSnapshotEvery, Queries: queries, Target: stateAtTarget}
	history := b.history(steps, false)
	// counts[n] is the page's count after step n, from the Go reducer.
	counts := make([]int64, steps+1)
	var page, app json.RawMessage
	var rawLat []time.Duration
	for n, d := range history {
		t := time.Now()
		var err error
		if page, app, err = rawStep(page, app, d.Action, time.UnixMilli(d.Time)); err != nil {
			return res, err
		}
		rawLat = append(rawLat, time.Since(t))
		var p struct{ Count int64 }
		if err := json.Unmarshal(page, &p); err != nil {
			return res, err
		}
		counts[n+1] = p.Count
	}
	res.RawStepP50, res.RawStepP99 = quantileMs(rawLat, 0.50), quantileMs(rawLat, 0.99)

	t := time.Now()
	snaps, err := session.NewSnapshots(ctx, b.runner, b.started, history, session.DefaultSnapshotEvery)
	if err != nil {
		return res, err
	}
	build := time.Since(t)
	res.SnapshotBuild = float64(build.Nanoseconds()) / 1e6
	res.StepMicros = float64(build.Nanoseconds()) / 1e3 / float64(steps)

	lat := make([]time.Duration, 0, queries)
	var replayed int64
	for range queries {
		n := 1 + b.rng.Int64N(int64(steps))
		t := time.Now()
		st, err := snaps.StateAt(ctx, n)
		if err != nil {
			return res, err
		}
		lat = append(lat, time.Since(t))
		replayed += n % int64(res.Every)
		var p struct{ Count int64 }
		if err := json.Unmarshal(st.Page, &p); err != nil {
			return res, fmt.Errorf("state at %d: %w", n, err)
		}
		if st.Step != n || p.Count != counts[n] {
			return res, fmt.Errorf("state at %d is step %d with count %d, the Go reducer says %d", n, st.Step, p.Count, counts[n])
		}
	}
	res.P50, res.P99 = quantileMs(lat, 0.50), quantileMs(lat, 0.99)
	res.ReplayedPerQuery = float64(replayed) / float64(queries)
	return res, nil
}

// rerun times FirstDifference over a steps-long history whose only difference under the edited
// reducer is its last step, beside Replay with the original reducer and the raw Go replay.
func (b *runtimeBench) rerun(ctx context.Context, steps int) (rerunResult, error) {
	res := rerunResult{Steps: steps, Target: rerunTarget}
	history := b.history(steps, true)
	// Warm both page reducers up so that neither timing includes the first compile.
	edited := jsbox.Program{ID: benchPageRef.ScriptID, Version: 0, Source: benchPageReducerEdited}
	if _, _, err := session.FirstDifference(ctx, b.runner, b.started, history[:1], edited, session.ReplayOptions{}); err != nil {
		return res, err
	}

	t := time.Now()
	diff, found, err := session.FirstDifference(ctx, b.runner, b.started, history, edited, session.ReplayOptions{})
	if err != nil {
		return res, err
	}
	res.FirstDiff = msSince(t)
	if !found || diff.Step != int64(steps) {
		return res, fmt.Errorf("first difference at step %d (found %v), want the last step %d", diff.Step, found, steps)
	}
	res.FirstDiffStep = diff.Step

	t = time.Now()
	out, err := session.Replay(ctx, b.runner, b.started, history, session.ReplayOptions{})
	if err != nil {
		return res, err
	}
	res.Replay = msSince(t)
	if len(out) != steps+1 {
		return res, fmt.Errorf("replay gave %d outcomes, want %d", len(out), steps+1)
	}
	res.RatioToReplay = res.FirstDiff / res.Replay
	res.ReplayStepsPerSecond = float64(steps) / (res.Replay / 1000)

	t = time.Now()
	var page, app json.RawMessage
	for _, d := range history {
		if page, app, err = rawStep(page, app, d.Action, time.UnixMilli(d.Time)); err != nil {
			return res, err
		}
	}
	res.RawReplay = msSince(t)
	return res, nil
}

// history builds a recorded session in memory, as Dispatch would have recorded it: increments by
// a random 1..9, ending with a reset when endReset is set.
func (b *runtimeBench) history(steps int, endReset bool) []*domain.SessionActionDispatched {
	out := make([]*domain.SessionActionDispatched, steps)
	for i := range out {
		action := domain.SessionAction{Type: "counter/increment", Payload: json.RawMessage(`{"by":` + strconv.FormatInt(1+b.rng.Int64N(9), 10) + `}`)}
		if endReset && i == steps-1 {
			action = domain.SessionAction{Type: "counter/reset"}
		}
		out[i] = &domain.SessionActionDispatched{
			Step: int64(i) + 1, Action: action, PageReducer: benchPageRef, AppReducer: benchAppRef,
			Time: benchEpoch.Add(time.Duration(i) * time.Millisecond).UnixMilli(), Seed: uint64(i),
		}
	}
	return out
}

// rawDispatch is the raw baseline of one dispatch: the handler's and both reducers' logic in Go,
// with the same JSON decoding and encoding at each boundary.
func rawDispatch(page, app, payload json.RawMessage, at time.Time) (json.RawMessage, json.RawMessage, error) {
	var p struct {
		By int64 `json:"by"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, nil, err
	}
	actionPayload, err := json.Marshal(map[string]any{"by": cmp.Or(p.By, 1)}) // payload.by || 1
	if err != nil {
		return nil, nil, err
	}
	return rawStep(page, app, domain.SessionAction{Type: "counter/increment", Payload: actionPayload}, at)
}

// rawStep is benchPageReducer then benchAppReducer in Go. States are generic objects, as the
// reducers' spreads keep fields they do not know.
func rawStep(page, app json.RawMessage, action domain.SessionAction, at time.Time) (json.RawMessage, json.RawMessage, error) {
	ps := map[string]any{"title": "Counter", "count": float64(0), "last": float64(0), "label": "", "updatedAt": float64(0)}
	if len(page) > 0 {
		ps = nil
		if err := json.Unmarshal(page, &ps); err != nil {
			return nil, nil, err
		}
	}
	switch action.Type {
	case "counter/increment":
		var p struct {
			By float64 `json:"by"`
		}
		if err := json.Unmarshal(action.Payload, &p); err != nil {
			return nil, nil, err
		}
		count, _ := ps["count"].(float64)
		count += p.By
		ps["count"], ps["last"], ps["label"], ps["updatedAt"] = count, p.By, "Count: "+strconv.FormatFloat(count, 'f', -1, 64), float64(at.UnixMilli())
	case "counter/reset":
		ps["count"], ps["last"], ps["label"], ps["updatedAt"] = float64(0), float64(0), "Count: 0", float64(at.UnixMilli())
	}
	as := map[string]any{"actions": float64(0)}
	if len(app) > 0 {
		as = nil
		if err := json.Unmarshal(app, &as); err != nil {
			return nil, nil, err
		}
	}
	n, _ := as["actions"].(float64)
	as["actions"], as["last"] = n+1, action.Type
	newPage, err := json.Marshal(ps)
	if err != nil {
		return nil, nil, err
	}
	newApp, err := json.Marshal(as)
	if err != nil {
		return nil, nil, err
	}
	return newPage, newApp, nil
}

// verdict says whether a figure met its target.
func verdict(met bool) string {
	if met {
		return "met"
	}
	return "MISSED"
}

// quantileMs is the q-quantile (nearest rank) of ds in milliseconds, at nanosecond resolution:
// pct's microseconds are too coarse for the raw baselines.
func quantileMs(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := min(len(s)-1, max(0, int(math.Ceil(q*float64(len(s))))-1))
	return float64(s[i].Nanoseconds()) / 1e6
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Nanoseconds()) / 1e6 }
