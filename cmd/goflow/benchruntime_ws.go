package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/domain/secretbox"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/sqlite"
	"github.com/goflow-dev/goflow/projections"
	"github.com/goflow-dev/goflow/projections/sqlitedocs"
	"github.com/goflow-dev/goflow/realtime"
	"github.com/goflow-dev/goflow/web"
	"github.com/goflow-dev/goflow/web/auth"
)

// The WebSocket round trip of "bench runtime": a real server (HTTP API, co-editing socket, event
// store, projections) on a loopback listener, the counter app set up through the HTTP API, and
// clients each running the page in a session of their own over their own connection.

// benchRuntimeSchema isolates the runtime benchmark's tables on a Postgres database.
const benchRuntimeSchema = "goflow_bench_runtime"

// maxWSClients bounds --ws-clients: each client is a connection and a session.
const maxWSClients = 1024

// wsRoundTripNote says what the WebSocket figure includes.
const wsRoundTripNote = "client and server in one process over loopback; each round trip is a component_event in and its run_state out, " +
	"the server appending the dispatch to the store before it answers: the figure includes the store append"

// wsClickEvent is a Button's onClick payload: its manifest requires the modifier keys and allows
// nothing else, so the handler's payload.by is undefined and every click increments by 1.
const wsClickEvent = `{"altKey":false,"ctrlKey":false,"metaKey":false,"shiftKey":false}`

// wsDispatchResult is one WebSocket scenario, beside the in-process dispatch of the same
// concurrency measured in the same run.
type wsDispatchResult struct {
	Store      string  `json:"store"`
	Clients    int     `json:"clients"`
	Dispatches int     `json:"dispatches"`
	P50        float64 `json:"p50Ms"`
	P99        float64 `json:"p99Ms"`
	PerSecond  float64 `json:"dispatchesPerSecond"`
	// Sent, Answered and Recorded count every component event (warm-up included): sent by the
	// clients, answered (by a run_state, or a handler_failed past the deadline), and recorded as
	// steps of the clients' sessions.
	Sent     int64 `json:"sent"`
	Answered int64 `json:"answered"`
	Recorded int64 `json:"recorded"`
	// Overran counts the events whose handler or a reducer ran past the server's live deadline
	// (50 ms), which a loaded machine can cause: a handler's is answered handler_failed and not
	// recorded, a reducer's is recorded with its error (P37). Their round trips are in the
	// latencies.
	Overran int64 `json:"overDeadline"`
	// InProcess* is Runner.Dispatch with as many goroutines as clients.
	InProcessP50       float64 `json:"inProcessP50Ms"`
	InProcessP99       float64 `json:"inProcessP99Ms"`
	InProcessPerSecond float64 `json:"inProcessDispatchesPerSecond"`
	// Ratio is PerSecond / InProcessPerSecond.
	Ratio float64 `json:"ratioToInProcess"`
	// Append* is the store alone: 1-event appends of a recorded dispatch, with an exact expected
	// version as the server does, from as many goroutines as clients, each on a stream of its own.
	AppendP50       float64 `json:"appendP50Ms"`
	AppendP99       float64 `json:"appendP99Ms"`
	AppendPerSecond float64 `json:"appendsPerSecond"`
	Target          string  `json:"target"`
}

func (r wsDispatchResult) print(w io.Writer) {
	fmt.Fprintf(w, "WebSocket round trip (component_event in, run_state out, over /api/realtime on loopback), %s store, %d client(s), %d dispatches\n",
		r.Store, r.Clients, r.Dispatches)
	fmt.Fprintf(w, "  round trip        p50 %8.3f ms  p99 %8.3f ms  %10.0f dispatches/s   target %s: %s\n",
		r.P50, r.P99, r.PerSecond, r.Target, verdict(r.P99 < 5 && r.PerSecond >= 5000))
	fmt.Fprintf(w, "  in process        p50 %8.3f ms  p99 %8.3f ms  %10.0f dispatches/s   ratio %.4fx (in process %.1fx faster; Runner.Dispatch, %d goroutine(s), above)\n",
		r.InProcessP50, r.InProcessP99, r.InProcessPerSecond, r.Ratio, 1/r.Ratio, r.Clients)
	fmt.Fprintf(w, "  store append      p50 %8.3f ms  p99 %8.3f ms  %10.0f appends/s      (1-event Exact appends of a recorded dispatch, %d goroutine(s), streams of their own)\n",
		r.AppendP50, r.AppendP99, r.AppendPerSecond, r.Clients)
	fmt.Fprintf(w, "  every dispatch is appended to the store before its run_state: the figure includes the append; sent %d, answered %d, recorded %d\n",
		r.Sent, r.Answered, r.Recorded)
	if r.Overran > 0 {
		fmt.Fprintf(w, "  %d event(s) failed: a script ran past the server's live deadline of 50 ms (machine overloaded?)\n", r.Overran)
	}
}

// wsReport is the WebSocket part of the --json output.
type wsReport struct {
	Store     string             `json:"store"`
	Note      string             `json:"note"`
	Scenarios []wsDispatchResult `json:"scenarios"`
}

// wsRuntimeBench is the server of the WebSocket scenarios and the page they run.
type wsRuntimeBench struct {
	server *pageBench
	events eventstore.Store // the server's, for the raw append baseline
	store  string           // which store, for the output
	doc    string           // the counter page's stream id
	page   int64            // its version, which the clients subscribe at
}

// newWSRuntimeBench starts a server over the embedded SQLite store in a temporary directory, or
// over Postgres in a schema of its own when url is set, and sets the counter app up through the
// HTTP API.
func newWSRuntimeBench(ctx context.Context, url string) (*wsRuntimeBench, error) {
	b := &wsRuntimeBench{}
	var err error
	switch {
	case url == "":
		b.store = "SQLite (embedded, temporary file)"
		b.server, b.events, err = newSQLitePageBench(ctx, "bench runtime")
	case isPostgresURL(url):
		b.store = "Postgres (" + redact(url) + ", schema " + benchRuntimeSchema + ")"
		if b.server, err = newPageBench(ctx, url, "bench runtime", benchRuntimeSchema); err == nil {
			b.events = b.server.store
		}
	default:
		return nil, usageError("bench runtime: --database-url must be a postgres:// URL, or empty for the embedded SQLite store")
	}
	if err != nil {
		return nil, err
	}
	if err := b.setUp(ctx); err != nil {
		b.close()
		return nil, fmt.Errorf("bench runtime: set the counter app up: %w", err)
	}
	return b, nil
}

func (b *wsRuntimeBench) close() { b.server.close() }

// setUp creates the counter app through the API: the handler bound to a Button's onClick, the
// page reducer with its initial state (the reducer's default, as in process) and the app reducer.
func (b *wsRuntimeBench) setUp(ctx context.Context) error {
	s := b.server
	app, err := s.newApp(ctx)
	if err != nil {
		return err
	}
	script := func(name, kind, text string) (string, error) {
		var out struct {
			ID string `json:"id"`
		}
		err := s.call(ctx, http.MethodPost, "/api/apps/"+app+"/scripts", map[string]any{"name": name, "kind": kind, "text": text}, &out)
		return out.ID, err
	}
	handler, err := script("counter click", "event_handler", benchHandler)
	if err != nil {
		return err
	}
	reducer, err := script("counter page", "page_reducer", benchPageReducer)
	if err != nil {
		return err
	}
	if _, err := script("counter app", "app_reducer", benchAppReducer); err != nil {
		return err
	}
	var page struct {
		ID      string `json:"id"`
		Version int64  `json:"version"`
	}
	if err := s.call(ctx, http.MethodPost, "/api/apps/"+app+"/pages", map[string]any{"name": "Counter"}, &page); err != nil {
		return err
	}
	var res struct {
		Version int64 `json:"version"`
	}
	if err := s.call(ctx, http.MethodPost, "/api/pages/"+page.ID+"/ops", map[string]any{"expectedVersion": page.Version, "ops": []map[string]any{
		{"op": "insert_node", "type": "Button", "nodeId": "btn", "props": map[string]any{"label": "+"}},
		{"op": "bind_event", "nodeId": "btn", "event": "onClick", "binding": map[string]any{"kind": "script", "scriptId": handler}},
		{"op": "set_page_state", "reducerScriptId": reducer,
			"initialState": map[string]any{"title": "Counter", "count": 0, "last": 0, "label": "", "updatedAt": 0}},
	}}, &res); err != nil {
		return err
	}
	b.doc, b.page = "page-"+page.ID, res.Version
	return nil
}

// wsRunClient is one connection running the page in its own session.
type wsRunClient struct {
	ws      *websocket.Conn
	session string
	event   []byte // the component_event message, the same every time
	step    int64  // the session's last recorded step
	count   int64  // the page's count (and the app's action count) after it
	sent    int64
	// handlerOverran and reducerOverran count the events whose handler, or a reducer, ran past
	// the server's live deadline.
	handlerOverran, reducerOverran int64
}

// runStateMsg is a run_state (or error) as far as the benchmark checks it.
type runStateMsg struct {
	Type    string `json:"type"`
	Session string `json:"session"`
	Step    int64  `json:"step"`
	State   struct {
		Page struct {
			Count int64 `json:"count"`
		} `json:"page"`
		App struct {
			Actions int64 `json:"actions"`
		} `json:"app"`
	} `json:"state"`
	Error   string `json:"error"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// connect opens a connection as clientID (hello and subscribe, as an editor's client does) and
// runs the page on it.
func (b *wsRuntimeBench) connect(ctx context.Context, clientID string) (*wsRunClient, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ws, _, err := b.server.dialCollab(ctx, clientID, b.doc, b.page)
	if err != nil {
		return nil, err
	}
	c := &wsRunClient{ws: ws}
	if err := c.write(ctx, realtime.Run{Type: realtime.TypeRun, Doc: b.doc, Mode: "preview"}); err != nil {
		_ = ws.CloseNow()
		return nil, fmt.Errorf("run %s: %w", b.doc, err)
	}
	var started realtime.RunStarted
	if err := c.read(ctx, realtime.TypeRunStarted, &started); err != nil {
		_ = ws.CloseNow()
		return nil, fmt.Errorf("run %s: %w", b.doc, err)
	}
	if started.Session == "" || started.Step != 0 {
		_ = ws.CloseNow()
		return nil, fmt.Errorf("run %s: run_started has session %q at step %d", b.doc, started.Session, started.Step)
	}
	c.session = started.Session
	if c.event, err = json.Marshal(realtime.ComponentEvent{Type: realtime.TypeComponentEvent, Session: c.session,
		NodeID: "btn", Event: "onClick", Payload: json.RawMessage(wsClickEvent)}); err != nil {
		_ = ws.CloseNow()
		return nil, err
	}
	return c, nil
}

func (c *wsRunClient) write(ctx context.Context, msg any) error {
	data, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	return c.ws.Write(ctx, websocket.MessageText, data)
}

// read decodes messages into out until one of type want; an error message fails.
func (c *wsRunClient) read(ctx context.Context, want string, out any) error {
	for {
		_, data, err := c.ws.Read(ctx)
		if err != nil {
			return err
		}
		var head struct {
			Type    string `json:"type"`
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(data, &head); err != nil {
			return fmt.Errorf("decode %s: %w", data, err)
		}
		switch head.Type {
		case want:
			return json.Unmarshal(data, out)
		case realtime.TypeError:
			return fmt.Errorf("waiting for %s: %s: %s", want, head.Code, head.Message)
		}
	}
}

// overDeadline says whether a handler or reducer error is the server's live deadline (50 ms),
// which a loaded machine can make a script overrun. That click then fails for its user: the
// benchmark counts it rather than fail.
func overDeadline(msg string) bool { return strings.Contains(msg, "deadline exceeded") }

// click sends one component event and waits for its run_state, checking that it is the next
// step of the client's session and that both reducers counted it (or, past the deadline, that
// nothing or a failed step was recorded, as P37 says).
func (c *wsRunClient) click(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c.sent++
	if err := c.ws.Write(ctx, websocket.MessageText, c.event); err != nil {
		return fmt.Errorf("send component_event: %w", err)
	}
	for {
		_, data, err := c.ws.Read(ctx)
		if err != nil {
			return fmt.Errorf("wait for run_state: %w", err)
		}
		var m runStateMsg
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("decode %s: %w", data, err)
		}
		switch m.Type {
		case realtime.TypeRunState:
		case realtime.TypeError:
			if m.Code == "handler_failed" && overDeadline(m.Message) { // nothing recorded
				c.handlerOverran++
				return nil
			}
			return fmt.Errorf("component_event: %s: %s", m.Code, m.Message)
		default:
			continue
		}
		// A reducer past the deadline records its step with the error and keeps both states.
		step, count := c.step+1, c.count+1
		if m.Error != "" && overDeadline(m.Error) {
			count = c.count
		}
		if m.Session != c.session || m.Step != step || (m.Error != "" && count != c.count) || m.State.Page.Count != count || m.State.App.Actions != count {
			return fmt.Errorf("run_state of session %q at step %d (count %d, app actions %d, error %q), want session %q at step %d with count %d",
				m.Session, m.Step, m.State.Page.Count, m.State.App.Actions, m.Error, c.session, step, count)
		}
		if count == c.count {
			c.reducerOverran++
		}
		c.step, c.count = step, count
		return nil
	}
}

// dispatch measures n round trips split among clients connections, each running its own session
// one event at a time, then checks the sessions' recorded steps through the time-travel API.
func (b *wsRuntimeBench) dispatch(ctx context.Context, clients, n int) (wsDispatchResult, error) {
	res := wsDispatchResult{Store: b.store, Clients: clients, Dispatches: n, Target: dispatchTarget}
	conns := make([]*wsRunClient, 0, clients)
	defer func() {
		for _, c := range conns {
			_ = c.ws.Close(websocket.StatusNormalClosure, "")
		}
	}()
	for i := range clients {
		c, err := b.connect(ctx, "bench-runtime-"+strconv.Itoa(clients)+"-"+strconv.Itoa(i))
		if err != nil {
			return res, err
		}
		conns = append(conns, c)
	}
	// timeWorkers builds each worker's op in its goroutine: hand each one a connection.
	free := make(chan *wsRunClient, clients)
	for _, c := range conns {
		free <- c
	}
	var err error
	res.P50, res.P99, res.PerSecond, err = timeWorkers(ctx, clients, n, func(ctx context.Context) func(int) error {
		c := <-free
		return func(int) error { return c.click(ctx) }
	})
	if err != nil {
		return res, err
	}
	for _, c := range conns {
		var s struct {
			Steps int64 `json:"steps"`
		}
		if err := b.server.call(ctx, http.MethodGet, "/api/sessions/"+c.session, nil, &s); err != nil {
			return res, fmt.Errorf("read session %s: %w", c.session, err)
		}
		res.Sent += c.sent
		res.Answered += c.step + c.handlerOverran
		res.Overran += c.handlerOverran + c.reducerOverran
		res.Recorded += s.Steps
		if s.Steps != c.step {
			return res, fmt.Errorf("session %s recorded %d steps; its run_states reached step %d", c.session, s.Steps, c.step)
		}
	}
	if res.Sent != res.Answered {
		return res, fmt.Errorf("sent %d component events, %d answered", res.Sent, res.Answered)
	}
	return res, nil
}

// appendRate times n 1-event appends of the recorded dispatch d split among workers goroutines,
// each appending to a stream of its own with an exact expected version, as the server records a
// dispatch. The streams' category is one no projection reads.
func (b *wsRuntimeBench) appendRate(ctx context.Context, workers, n int, d *domain.SessionActionDispatched) (p50, p99, perSecond float64, err error) {
	typ, data, sv, err := domain.Encode(d)
	if err != nil {
		return 0, 0, 0, err
	}
	return timeWorkers(ctx, workers, n, func(ctx context.Context) func(int) error {
		stream := "benchraw-" + uuid.NewString()
		var version int64
		return func(int) error {
			res, err := b.events.Append(ctx, stream, eventstore.Exact(version), []eventstore.EventData{{
				Type: typ, Data: data, SchemaVersion: sv, Actor: benchUser,
			}})
			if err != nil {
				return fmt.Errorf("append to %s: %w", stream, err)
			}
			version = res.StreamVersion
			return nil
		}
	})
}

// newSQLitePageBench is newPageBench over the embedded SQLite store, in a temporary directory
// removed on close.
func newSQLitePageBench(ctx context.Context, cmd string) (b *pageBench, events eventstore.Store, err error) {
	b = &pageBench{client: &http.Client{}, cmd: cmd}
	dir, err := os.MkdirTemp("", "goflow-bench-runtime-")
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", cmd, err)
	}
	// Everything opened is closed in reverse order by stop (through close, also on failure).
	var closers []func() error
	b.stop = func() {
		for _, c := range slices.Backward(closers) {
			_ = c()
		}
		_ = os.RemoveAll(dir)
	}
	defer func() {
		if err != nil {
			b.close()
		}
	}()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	path := filepath.Join(dir, sqliteFile)
	st, err := sqlite.Open(ctx, sqlite.Config{Path: path, Logger: quiet})
	if err != nil {
		return b, nil, fmt.Errorf("%s: open sqlite store: %w", cmd, err)
	}
	closers = append(closers, st.Close)
	if _, err = st.Migrate(ctx); err != nil {
		return b, nil, fmt.Errorf("%s: migrate: %w", cmd, err)
	}
	docs, err := sqlitedocs.Open(ctx, path)
	if err != nil {
		return b, nil, fmt.Errorf("%s: open projections store: %w", cmd, err)
	}
	closers = append(closers, docs.Close)
	b.docs = docs
	if b.runner, err = projections.NewRunner(projections.RunnerConfig{Log: st, Docs: docs, Projections: projections.All(), Logger: quiet}); err != nil {
		return b, nil, fmt.Errorf("%s: projections: %w", cmd, err)
	}
	// The directory is removed afterwards, and with it everything sealed: a throwaway key will do.
	key, err := secretbox.GenerateKey()
	if err != nil {
		return b, nil, fmt.Errorf("%s: %w", cmd, err)
	}
	box, err := secretbox.New(key)
	if err != nil {
		return b, nil, fmt.Errorf("%s: %w", cmd, err)
	}
	password := auth.NewSecret()
	if err = web.CreateUser(ctx, st, auth.Params{}, "bench", web.UserSpec{Username: benchUser, Password: password, Admin: true}); err != nil {
		return b, nil, fmt.Errorf("%s: create user: %w", cmd, err)
	}
	srv, err := web.New(web.Config{Logger: quiet, Store: st, Docs: docs, Projections: b.runner, SecretBox: box})
	if err != nil {
		return b, nil, fmt.Errorf("%s: %w", cmd, err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return b, nil, fmt.Errorf("%s: %w", cmd, err)
	}
	b.base = "http://" + ln.Addr().String()
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	served, ran := make(chan error, 1), make(chan error, 1)
	go func() { ran <- b.runner.Run(runCtx) }()
	go func() { served <- srv.Serve(runCtx, ln) }()
	// Stop serving and projecting before the stores close.
	closers = append(closers, func() error {
		cancel()
		return errors.Join(<-served, <-ran)
	})
	// signIn names cmd in its errors.
	b.token, err = b.signIn(ctx, password)
	return b, st, err
}
