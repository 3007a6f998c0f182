package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/realtime"
)

// benchCollabSchema isolates the co-editing benchmark's tables from a real store (and from a
// concurrent "bench pages") on the same database.
const benchCollabSchema = "goflow_bench_collab"

// Targets printed beside the figures.
const (
	collabLatencyTarget = "p99 < 50 ms at 500 ops/s on one page"
	collabLossTarget    = "lost = duplicated = 0"
	idleConnTarget      = 64 << 10
)

// benchCollab runs "bench collab": clients co-editing pages over the WebSocket protocol (edit to
// remote-client latency, committed ops/s, lost and duplicated events), the memory an idle
// connection costs, and a raw store append rate measured in the same run. Lost or duplicated ops
// are a correctness failure and make the command fail; missed latency targets do not.
func (a app) benchCollab(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench collab", flag.ContinueOnError)
	env := envBindings{}
	var (
		sf          storeFlags
		one, many   collabScenario
		timing      collabTiming
		idle        int
		rawDuration time.Duration
		asJSON      bool
		seedValue   uint64
	)
	one.name, one.pages, one.latencyTarget = "one page", 1, collabLatencyTarget
	many.name = "many pages"
	sf.register(fs, env)
	fs.IntVar(&one.clients, "clients", 50, "clients co-editing the one page")
	fs.Float64Var(&one.rate, "rate", 10, "ops per second each client of the one page submits")
	fs.IntVar(&many.pages, "pages", 200, "pages of the many-pages scenario")
	fs.IntVar(&many.clients, "page-clients", 5, "clients per page of the many-pages scenario")
	fs.Float64Var(&many.rate, "page-rate", 1, "ops per second each client of the many-pages scenario submits")
	fs.DurationVar(&timing.duration, "duration", 10*time.Second, "measured window of each co-editing scenario")
	fs.DurationVar(&timing.warmup, "warmup", 2*time.Second, "editing before the measured window")
	fs.DurationVar(&timing.drain, "drain", 5*time.Second, "longest wait after the last send for acks and events still on their way")
	fs.IntVar(&idle, "idle", 500, "idle connections opened to measure memory per connection")
	fs.DurationVar(&rawDuration, "raw-duration", 2*time.Second, "how long the raw append baseline runs")
	fs.BoolVar(&asJSON, "json", false, "print the results as JSON after the table")
	fs.Uint64Var(&seedValue, "seed", 1, "seed of the clients' start jitter")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage:\n  goflow bench collab --database-url postgres://... [flags]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := a.parse(fs, env, args); err != nil {
		return helpOK(err)
	}
	if !isPostgresURL(sf.databaseURL) {
		return usageError("bench collab measures the Postgres store: give --database-url postgres://...")
	}
	if one.clients < 2 || many.clients < 2 || many.pages < 1 || one.rate <= 0 || many.rate <= 0 || idle < 1 ||
		timing.duration <= 0 || timing.warmup < 0 || timing.drain <= 0 || rawDuration <= 0 {
		return usageError("bench collab: need clients >= 2, page-clients >= 2, pages >= 1, positive rates, idle >= 1, positive duration, drain and raw-duration")
	}

	b, err := newPageBench(ctx, sf.databaseURL, "bench collab", benchCollabSchema)
	if err != nil {
		return err
	}
	defer b.close()
	rng := rand.New(rand.NewPCG(seedValue, seedValue^0x9e3779b97f4a7c15))

	fmt.Fprintf(a.stdout, "GoFlow co-editing benchmark (Postgres, WebSocket protocol %d): %s warm-up, %s measured, up to %s drain per scenario\n",
		realtime.ProtocolVersion, timing.warmup, timing.duration, timing.drain)
	raw, err := b.rawAppendRate(ctx, rawDuration)
	if err != nil {
		return fmt.Errorf("bench collab: raw baseline: %w", err)
	}
	fmt.Fprintf(a.stdout, "raw baseline: sequential 1-event appends (Exact) to one stream   %8.0f appends/s\n", raw)

	out := collabReport{RawAppendsPerSecond: raw}
	for _, sc := range []collabScenario{one, many} {
		res, err := b.runCollab(ctx, sc, timing, rng)
		if err != nil {
			return fmt.Errorf("bench collab: %s: %w", sc.name, err)
		}
		res.Ratio = res.CommittedPerSecond / raw
		out.Scenarios = append(out.Scenarios, res)
		res.print(a.stdout)
	}

	out.Idle, err = b.idleMemory(ctx, idle)
	if err != nil {
		return fmt.Errorf("bench collab: idle connections: %w", err)
	}
	fmt.Fprintf(a.stdout, "idle connections: %d open (hello + subscribe), %.1f KB each (heap %.1f KB, stacks %.1f KB, %.1f goroutines)   target < %d KB\n",
		out.Idle.Connections, out.Idle.BytesPerConnection/1024, out.Idle.HeapBytesPerConnection/1024,
		out.Idle.StackBytesPerConnection/1024, out.Idle.GoroutinesPerConnection, idleConnTarget>>10)
	fmt.Fprintf(a.stdout, "  (%s)\n", out.Idle.Note)

	if asJSON {
		if err := printJSON(a.stdout, out); err != nil {
			return err
		}
	}
	var lost, dup int64
	for _, r := range out.Scenarios {
		lost, dup = lost+r.Lost, dup+r.Duplicated
	}
	if lost > 0 || dup > 0 {
		return fmt.Errorf("bench collab: %d lost and %d duplicated ops: subscribers did not receive every committed op exactly once", lost, dup)
	}
	return nil
}

// collabScenario is one co-editing workload: pages x clients, each client submitting rate ops/s.
type collabScenario struct {
	name    string
	pages   int
	clients int // per page
	rate    float64
	// latencyTarget is printed beside the latencies, if the scenario has one.
	latencyTarget string
}

// collabTiming is how long each phase of a scenario lasts.
type collabTiming struct {
	warmup, duration, drain time.Duration
}

// collabReport is the --json output.
type collabReport struct {
	RawAppendsPerSecond float64        `json:"rawAppendsPerSecond"`
	Scenarios           []collabResult `json:"scenarios"`
	Idle                idleResult     `json:"idle"`
}

// collabResult is one scenario's figures.
type collabResult struct {
	Name           string  `json:"name"`
	Pages          int     `json:"pages"`
	ClientsPerPage int     `json:"clientsPerPage"`
	RatePerClient  float64 `json:"opsPerSecondPerClient"`
	Offered        float64 `json:"offeredOpsPerSecond"`
	// Latencies from an op's send to its event's receipt by each other client of the page, for
	// ops sent in the measured window; Deliveries counts them.
	P50        float64 `json:"p50Ms"`
	P95        float64 `json:"p95Ms"`
	P99        float64 `json:"p99Ms"`
	Max        float64 `json:"maxMs"`
	Deliveries int     `json:"deliveries"`
	// Latencies from an op's send to its ack, for ops sent in the measured window: the server's
	// commit path alone, without the fan-out to the other clients.
	AckP50 float64 `json:"ackP50Ms"`
	AckP99 float64 `json:"ackP99Ms"`
	// CommittedPerSecond counts committed acks received in the measured window.
	CommittedPerSecond float64 `json:"committedOpsPerSecond"`
	Ratio              float64 `json:"ratioToRawAppends"`
	// Over the whole scenario (warm-up, window, drain):
	Sent      int64 `json:"sent"`
	Committed int64 `json:"committed"`
	Rejected  int64 `json:"rejected"`
	// Unacked ops got no ack by the end of the drain.
	Unacked int64 `json:"unacked"`
	// Lost ops were committed per their ack but some subscriber of the page never received
	// their event (or received another op's event at their version).
	Lost int64 `json:"lost"`
	// Duplicated counts event versions a client received more than once.
	Duplicated int64 `json:"duplicated"`
	// Disconnected clients had their connection fail before the end.
	Disconnected int `json:"disconnected"`
	// ServerErrors counts error messages the server sent; FirstProblem describes the first
	// rejection, error or disconnect.
	ServerErrors int    `json:"serverErrors"`
	FirstProblem string `json:"firstProblem,omitempty"`
	// ProjectionCatchUp is how long after the drain the projections took to reach the log's head
	// (the HTTP API reads them; the co-editing sockets do not).
	ProjectionCatchUp float64 `json:"projectionCatchUpMs"`
	LatencyTarget     string  `json:"latencyTarget,omitempty"`
	LossTarget        string  `json:"lossTarget"`
}

func (r collabResult) print(w io.Writer) {
	fmt.Fprintf(w, "%s: %d page(s) x %d clients x %g ops/s (%.0f ops/s offered)\n", r.Name, r.Pages, r.ClientsPerPage, r.RatePerClient, r.Offered)
	target := ""
	if r.LatencyTarget != "" {
		target = "   target " + r.LatencyTarget
	}
	fmt.Fprintf(w, "  edit -> other clients   p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms  max %7.2f ms  (%d deliveries)%s\n",
		r.P50, r.P95, r.P99, r.Max, r.Deliveries, target)
	fmt.Fprintf(w, "  edit -> own ack         p50 %7.2f ms                  p99 %7.2f ms\n", r.AckP50, r.AckP99)
	fmt.Fprintf(w, "  committed               %8.1f ops/s (acks received in the window)   raw appends ratio %5.2fx\n", r.CommittedPerSecond, r.Ratio)
	fmt.Fprintf(w, "  lost %d  duplicated %d   target %s\n", r.Lost, r.Duplicated, r.LossTarget)
	fmt.Fprintf(w, "  sent %d  committed %d  rejected %d  unacked %d  disconnected %d  server errors %d\n",
		r.Sent, r.Committed, r.Rejected, r.Unacked, r.Disconnected, r.ServerErrors)
	if r.FirstProblem != "" {
		fmt.Fprintf(w, "  first problem: %s\n", r.FirstProblem)
	}
	fmt.Fprintf(w, "  projections reached the log's head %.2f s after the drain\n", r.ProjectionCatchUp/1000)
}

// idleResult is the memory of idle connections.
type idleResult struct {
	Connections int `json:"connections"`
	// BytesPerConnection is Heap + Stack, the figure held against the target.
	BytesPerConnection      float64 `json:"bytesPerConnection"`
	HeapBytesPerConnection  float64 `json:"heapBytesPerConnection"`
	StackBytesPerConnection float64 `json:"stackBytesPerConnection"`
	GoroutinesPerConnection float64 `json:"goroutinesPerConnection"`
	Note                    string  `json:"note"`
}

// collabMsg is any server message, decoded as far as the benchmark needs.
type collabMsg struct {
	Type    string            `json:"type"`
	Version int64             `json:"version"`
	Events  []realtime.Event  `json:"events"`
	Results []realtime.Result `json:"results"`
	Code    string            `json:"code"`
	Message string            `json:"message"`
}

// collabPage is a page being co-edited and its clients.
type collabPage struct {
	id, doc string
	version int64    // after the nodes were inserted
	nodes   []string // one per client
	clients []*collabClient
}

// opKey identifies an op: its client's index in the run and its seq.
type opKey struct {
	client int
	seq    int64
}

// collabCommit is an op committed according to its ack.
type collabCommit struct {
	version, seq int64
}

// collabClient is one co-editing connection: a sender pacing ops on its own node and a reader
// recording what arrives.
type collabClient struct {
	index int
	id    string
	node  string
	page  *collabPage
	ws    *websocket.Conn
	seq   int64 // sender only

	mu        sync.Mutex
	version   int64 // highest version received
	seen      map[int64]opKey
	dups      int64
	lat       []time.Duration
	sentAt    map[int64]time.Time // seq -> send time, for ops sent in the window
	ackLat    []time.Duration
	sent      int64
	acked     int64
	rejected  int64
	inWindow  int64 // committed acks received in the measured window
	commits   []collabCommit
	errors    int
	problem   string
	failed    bool
	closing   atomic.Bool
	readerEnd chan struct{}
}

// collabRun is one scenario in progress.
type collabRun struct {
	pages   []*collabPage
	clients []*collabClient
	index   map[string]int // client id -> index; read-only once the run starts
	// start and end bound the measured window; set before any reader or sender starts.
	start, end time.Time
}

// runCollab sets the scenario's pages up, connects its clients, lets them edit through warm-up,
// window and drain, and computes the figures.
func (b *pageBench) runCollab(ctx context.Context, sc collabScenario, timing collabTiming, rng *rand.Rand) (collabResult, error) {
	res := collabResult{Name: sc.name, Pages: sc.pages, ClientsPerPage: sc.clients, RatePerClient: sc.rate,
		Offered: float64(sc.pages*sc.clients) * sc.rate, LatencyTarget: sc.latencyTarget, LossTarget: collabLossTarget}
	app, err := b.newApp(ctx)
	if err != nil {
		return res, err
	}
	run := &collabRun{pages: make([]*collabPage, sc.pages), index: map[string]int{}}
	// Pages are created one by one: each creation appends to the app's page tree, and concurrent
	// ones conflict there (409 after the server's bounded retries). Their nodes go in parallel.
	for i := range run.pages {
		if run.pages[i], err = b.newCollabPage(ctx, app, fmt.Sprintf("Collab %d", i+1)); err != nil {
			return res, fmt.Errorf("create page: %w", err)
		}
	}
	if err := parallel(sc.pages, 8, func(i int) error {
		return b.insertCollabNodes(ctx, run.pages[i], sc.clients)
	}); err != nil {
		return res, fmt.Errorf("insert nodes: %w", err)
	}
	for pi, p := range run.pages {
		for j := range sc.clients {
			c := &collabClient{index: len(run.clients), id: fmt.Sprintf("p%d-c%d", pi+1, j+1), node: p.nodes[j], page: p,
				seen: map[int64]opKey{}, sentAt: map[int64]time.Time{}, readerEnd: make(chan struct{})}
			run.index[c.id] = c.index
			p.clients = append(p.clients, c)
			run.clients = append(run.clients, c)
		}
	}
	defer func() {
		for _, c := range run.clients {
			if c.ws != nil {
				c.closing.Store(true)
				_ = c.ws.CloseNow()
			}
		}
	}()
	if err := parallel(len(run.clients), 16, func(i int) error {
		c := run.clients[i]
		ws, sub, err := b.dialCollab(ctx, c.id, c.page.doc, c.page.version)
		if err != nil {
			return err
		}
		c.ws, c.version = ws, sub.Version
		return nil
	}); err != nil {
		return res, fmt.Errorf("connect clients: %w", err)
	}

	every := time.Duration(float64(time.Second) / sc.rate)
	begin := time.Now().Add(100 * time.Millisecond) // every sender is waiting by then
	run.start = begin.Add(timing.warmup)
	run.end = run.start.Add(timing.duration)
	for _, c := range run.clients {
		go c.read(run)
	}
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	var senders sync.WaitGroup
	for _, c := range run.clients {
		jitter := time.Duration(rng.Int64N(int64(every)))
		senders.Go(func() { c.send(sendCtx, run, begin.Add(jitter), every) })
	}
	senders.Wait()
	if err := ctx.Err(); err != nil {
		return res, err
	}
	deadline := time.Now().Add(timing.drain)
	for !run.settled() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range run.clients {
		c.closing.Store(true)
		_ = c.ws.CloseNow()
		<-c.readerEnd
	}
	run.tally(&res, timing.duration)
	caughtUp := time.Now()
	if err := b.projectionsCaughtUp(ctx); err != nil {
		return res, err
	}
	res.ProjectionCatchUp = float64(time.Since(caughtUp).Microseconds()) / 1000
	return res, nil
}

// projectionsCaughtUp waits until every projection has reached the log's head: the next scenario's
// setup goes through the HTTP API, which reads them.
func (b *pageBench) projectionsCaughtUp(ctx context.Context) error {
	head, err := b.store.Head(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	return b.runner.WaitFor(ctx, head)
}

// newCollabPage creates an empty page in app.
func (b *pageBench) newCollabPage(ctx context.Context, app, name string) (*collabPage, error) {
	var page struct {
		ID      string `json:"id"`
		Version int64  `json:"version"`
	}
	if err := b.call(ctx, http.MethodPost, "/api/apps/"+app+"/pages", map[string]any{"name": name}, &page); err != nil {
		return nil, err
	}
	return &collabPage{id: page.ID, doc: "page-" + page.ID, version: page.Version}, nil
}

// insertCollabNodes adds Text nodes to p, one per client, through the HTTP API.
func (b *pageBench) insertCollabNodes(ctx context.Context, p *collabPage, nodes int) error {
	for len(p.nodes) < nodes {
		ops := make([]map[string]any, min(500, nodes-len(p.nodes)))
		for i := range ops {
			ops[i] = map[string]any{"op": "insert_node", "type": "Text", "props": map[string]any{"text": fmt.Sprintf("Client %d", len(p.nodes)+i+1)}}
		}
		var res struct {
			Version  int64    `json:"version"`
			Inserted []string `json:"inserted"`
		}
		if err := b.call(ctx, http.MethodPost, "/api/pages/"+p.id+"/ops", map[string]any{"expectedVersion": p.version, "ops": ops}, &res); err != nil {
			return err
		}
		if len(res.Inserted) != len(ops) {
			return fmt.Errorf("insert nodes: %d ids for %d inserts", len(res.Inserted), len(ops))
		}
		p.version = res.Version
		p.nodes = append(p.nodes, res.Inserted...)
	}
	return nil
}

// dialCollab opens a co-editing connection as the benchmark's user, says hello as clientID and
// subscribes to doc from version, returning the subscribed message.
func (b *pageBench) dialCollab(ctx context.Context, clientID, doc string, version int64) (*websocket.Conn, collabMsg, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(b.base, "http") + "/api/realtime"
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		HTTPClient: b.client,
		HTTPHeader: http.Header{"Authorization": {"Bearer " + b.token}},
	})
	if err != nil {
		return nil, collabMsg{}, fmt.Errorf("dial %s: %w", clientID, err)
	}
	ws.SetReadLimit(8 << 20)
	exchange := func(msg any, want string) (collabMsg, error) {
		data, err := json.Marshal(msg)
		if err != nil {
			return collabMsg{}, err
		}
		if err := ws.Write(ctx, websocket.MessageText, data); err != nil {
			return collabMsg{}, err
		}
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				return collabMsg{}, err
			}
			var m collabMsg
			if err := json.Unmarshal(data, &m); err != nil {
				return collabMsg{}, fmt.Errorf("decode %s: %w", data, err)
			}
			switch m.Type {
			case want:
				return m, nil
			case realtime.TypeError:
				return m, fmt.Errorf("%s: %s: %s", want, m.Code, m.Message)
			}
		}
	}
	if _, err := exchange(realtime.Hello{Type: realtime.TypeHello, Protocol: realtime.ProtocolVersion, ClientID: clientID}, realtime.TypeWelcome); err != nil {
		_ = ws.CloseNow()
		return nil, collabMsg{}, fmt.Errorf("hello %s: %w", clientID, err)
	}
	sub, err := exchange(realtime.Subscribe{Type: realtime.TypeSubscribe, Doc: doc, Version: version}, realtime.TypeSubscribed)
	if err != nil {
		_ = ws.CloseNow()
		return nil, collabMsg{}, fmt.Errorf("subscribe %s to %s: %w", clientID, doc, err)
	}
	return ws, sub, nil
}

// send submits one set_prop on the client's node at start and then every interval until stop.
// The value carries the send time and the client id, so that receivers can time it.
func (c *collabClient) send(ctx context.Context, run *collabRun, start time.Time, every time.Duration) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(time.Until(start)):
	}
	tk := time.NewTicker(every)
	defer tk.Stop()
	for {
		now := time.Now()
		if !now.Before(run.end) {
			return
		}
		c.seq++
		op, err := json.Marshal(map[string]any{"op": "set_prop", "nodeId": c.node, "path": "text",
			"value": strconv.FormatInt(now.UnixNano(), 10) + " " + c.id})
		if err != nil {
			c.fail(err.Error())
			return
		}
		c.mu.Lock()
		base := c.version
		c.sent++
		if !now.Before(run.start) {
			c.sentAt[c.seq] = now
		}
		c.mu.Unlock()
		msg, err := json.Marshal(realtime.Submit{Type: realtime.TypeSubmit, Doc: c.page.doc, BaseVersion: base,
			Ops: []realtime.Op{{Seq: c.seq, Page: op}}})
		if err != nil {
			c.fail(err.Error())
			return
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = c.ws.Write(wctx, websocket.MessageText, msg)
		cancel()
		if err != nil {
			c.fail(fmt.Sprintf("%s: submit: %v", c.id, err))
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
	}
}

// read records every message until the connection closes.
func (c *collabClient) read(run *collabRun) {
	defer close(c.readerEnd)
	for {
		// No context: a cancellable one would arm a timer per read; CloseNow ends the loop.
		_, data, err := c.ws.Read(context.Background())
		at := time.Now()
		if err != nil {
			if !c.closing.Load() {
				c.fail(fmt.Sprintf("%s: connection lost: %v", c.id, err))
			}
			return
		}
		var m collabMsg
		if err := json.Unmarshal(data, &m); err != nil {
			c.fail(fmt.Sprintf("%s: undecodable message %q: %v", c.id, data, err))
			continue
		}
		c.mu.Lock()
		switch m.Type {
		case realtime.TypeEvents:
			c.received(run, m.Events, at)
		case realtime.TypeAck:
			c.ackd(run, m.Results, at)
		case realtime.TypeError:
			c.errors++
			c.note(fmt.Sprintf("%s: server error %s: %s", c.id, m.Code, m.Message))
		}
		c.mu.Unlock()
	}
}

// received records events: duplicates, and the latency of other clients' ops sent in the window.
func (c *collabClient) received(run *collabRun, events []realtime.Event, at time.Time) {
	for _, ev := range events {
		if _, dup := c.seen[ev.Version]; dup {
			c.dups++
			continue
		}
		idx, ok := run.index[ev.ClientID]
		if !ok {
			idx = -1
		}
		c.seen[ev.Version] = opKey{client: idx, seq: ev.Seq}
		c.version = max(c.version, ev.Version)
		if idx == c.index || idx < 0 {
			continue
		}
		if sent, ok := sentAt(ev.Data); ok && !sent.Before(run.start) && sent.Before(run.end) {
			c.lat = append(c.lat, at.Sub(sent))
		}
	}
}

// sentAt reads the send time out of a set_prop event's value.
func sentAt(data json.RawMessage) (time.Time, bool) {
	var e struct {
		Value string `json:"value"`
	}
	if json.Unmarshal(data, &e) != nil {
		return time.Time{}, false
	}
	ns, _, _ := strings.Cut(e.Value, " ")
	n, err := strconv.ParseInt(ns, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, n), true
}

// ackd records an ack's results.
func (c *collabClient) ackd(run *collabRun, results []realtime.Result, at time.Time) {
	for _, r := range results {
		c.acked++
		if sent, ok := c.sentAt[r.Seq]; ok {
			c.ackLat = append(c.ackLat, at.Sub(sent))
			delete(c.sentAt, r.Seq)
		}
		if r.Status != realtime.StatusCommitted {
			c.rejected++
			c.note(fmt.Sprintf("%s: op %d rejected: %s: %s", c.id, r.Seq, r.Code, r.Message))
			continue
		}
		c.commits = append(c.commits, collabCommit{version: r.Version, seq: r.Seq})
		if !at.Before(run.start) && at.Before(run.end) {
			c.inWindow++
		}
	}
}

// note keeps the first problem's description; the caller holds c.mu.
func (c *collabClient) note(problem string) {
	if c.problem == "" {
		c.problem = problem
	}
}

// fail records a broken connection.
func (c *collabClient) fail(problem string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failed = true
	c.note(problem)
}

// settled reports whether every op has its ack and every client has every committed version of
// its page (or has failed, and will not get them).
func (run *collabRun) settled() bool {
	for _, p := range run.pages {
		var head int64
		for _, c := range p.clients {
			c.mu.Lock()
			for _, cm := range c.commits {
				head = max(head, cm.version)
			}
			pending := c.acked < c.sent && !c.failed
			c.mu.Unlock()
			if pending {
				return false
			}
		}
		for _, c := range p.clients {
			c.mu.Lock()
			behind := c.version < head && !c.failed
			c.mu.Unlock()
			if behind {
				return false
			}
		}
	}
	return true
}

// tally computes a finished run's figures; the readers and senders have stopped.
func (run *collabRun) tally(res *collabResult, window time.Duration) {
	var lat, ackLat []time.Duration
	var inWindow int64
	for _, c := range run.clients {
		lat = append(lat, c.lat...)
		ackLat = append(ackLat, c.ackLat...)
		inWindow += c.inWindow
		res.Sent += c.sent
		res.Committed += int64(len(c.commits))
		res.Rejected += c.rejected
		res.Unacked += max(0, c.sent-c.acked)
		res.Duplicated += c.dups
		res.ServerErrors += c.errors
		if c.failed {
			res.Disconnected++
		}
		if res.FirstProblem == "" {
			res.FirstProblem = c.problem
		}
	}
	for _, p := range run.pages {
		for _, c := range p.clients {
			for _, cm := range c.commits {
				want := opKey{client: c.index, seq: cm.seq}
				for _, d := range p.clients {
					if got, ok := d.seen[cm.version]; !ok || got != want {
						res.Lost++
						if res.FirstProblem == "" {
							res.FirstProblem = fmt.Sprintf("%s: op %d committed at version %d never reached %s (got %+v, present %v)", c.id, cm.seq, cm.version, d.id, got, ok)
						}
						break
					}
				}
			}
		}
	}
	res.Deliveries = len(lat)
	if len(lat) > 0 {
		res.P50, res.P95, res.P99, res.Max = pct(lat, 50), pct(lat, 95), pct(lat, 99), pct(lat, 100)
	}
	if len(ackLat) > 0 {
		res.AckP50, res.AckP99 = pct(ackLat, 50), pct(ackLat, 99)
	}
	res.CommittedPerSecond = float64(inWindow) / window.Seconds()
}

// idleMemory opens n connections that say hello, subscribe to one page and then only wait for
// messages, and returns the heap and stack they take per connection. Clients and server share
// this process, so the figure covers both ends of each connection.
func (b *pageBench) idleMemory(ctx context.Context, n int) (idleResult, error) {
	res := idleResult{Connections: n, Note: "client and server run in this one process: the figure covers both ends, an upper bound for the server side"}
	app, err := b.newApp(ctx)
	if err != nil {
		return res, err
	}
	page, err := b.newCollabPage(ctx, app, "Idle")
	if err != nil {
		return res, err
	}
	settle := func(m *runtime.MemStats) {
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(m)
	}
	var before, after runtime.MemStats
	quiesce()
	settle(&before)
	goroutines := runtime.NumGoroutine()
	conns := make([]*websocket.Conn, n)
	var readers sync.WaitGroup
	defer func() {
		for _, ws := range conns {
			if ws != nil {
				_ = ws.CloseNow()
			}
		}
		readers.Wait()
	}()
	if err := parallel(n, 16, func(i int) error {
		ws, _, err := b.dialCollab(ctx, fmt.Sprintf("idle-%d", i+1), page.doc, page.version)
		conns[i] = ws
		return err
	}); err != nil {
		return res, err
	}
	for _, ws := range conns {
		// A client keeps a read pending, as a real one would, to get the page's changes.
		readers.Go(func() {
			for {
				if _, _, err := ws.Read(context.Background()); err != nil {
					return
				}
			}
		})
	}
	time.Sleep(200 * time.Millisecond) // let the readers and the server's write loops park
	settle(&after)
	perConn := func(after, before uint64) float64 { return float64(int64(after)-int64(before)) / float64(n) }
	res.HeapBytesPerConnection = perConn(after.HeapInuse, before.HeapInuse)
	res.StackBytesPerConnection = perConn(after.StackInuse, before.StackInuse)
	res.BytesPerConnection = res.HeapBytesPerConnection + res.StackBytesPerConnection
	res.GoroutinesPerConnection = float64(runtime.NumGoroutine()-goroutines) / float64(n)
	return res, nil
}

// quiesce waits (up to 10s) until the goroutine count stops changing: the previous scenario's
// connections are still being torn down on the server side for a moment after their clients close.
func quiesce() {
	last, still := runtime.NumGoroutine(), 0
	for deadline := time.Now().Add(10 * time.Second); still < 3 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		n := runtime.NumGoroutine()
		if n == last {
			still++
		} else {
			last, still = n, 0
		}
	}
}

// rawAppendRate appends one event at a time to one stream through the store, with an exact
// expected version as the engine does, for d after a short warm-up, and returns appends per second.
func (b *pageBench) rawAppendRate(ctx context.Context, d time.Duration) (float64, error) {
	stream := "benchraw-" + uuid.NewString()
	node := uuid.NewString()
	var version int64
	appendOne := func() error {
		data, err := json.Marshal(map[string]any{"nodeId": node, "path": "text", "value": strconv.FormatInt(time.Now().UnixNano(), 10) + " raw"})
		if err != nil {
			return err
		}
		res, err := b.store.Append(ctx, stream, eventstore.Exact(version), []eventstore.EventData{{
			Type: "page.node_prop_set", Data: data, Actor: benchUser, ClientOpID: "raw:" + strconv.FormatInt(version+1, 10),
		}})
		if err != nil {
			return err
		}
		version = res.StreamVersion
		return nil
	}
	for range 20 {
		if err := appendOne(); err != nil {
			return 0, err
		}
	}
	var n int
	start := time.Now()
	for time.Since(start) < d {
		if err := appendOne(); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// parallel calls fn for 0..n-1 from up to workers goroutines and returns the first error (the
// remaining calls are skipped once one fails).
func parallel(n, workers int, fn func(i int) error) error {
	var (
		next  atomic.Int64
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	for range min(workers, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				mu.Lock()
				stop := first != nil
				mu.Unlock()
				if i >= n || stop {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}
