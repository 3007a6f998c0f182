package realtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/sqlite"
	"github.com/goflow-dev/goflow/projections"
	"github.com/goflow-dev/goflow/projections/sqlitedocs"
	"github.com/goflow-dev/goflow/realtime"
	"github.com/goflow-dev/goflow/realtime/client"
	"github.com/goflow-dev/goflow/realtime/textot"
)

// The convergence fuzz (docs/protocol.md, P7-P19): seeded runs of 8 clients making 100 random
// ops each on one page and one script, through the real engine and server sessions over a real
// SQLite store, with messages delivered in random order (delayed delivery) and random
// disconnects that lose whatever was in flight. Afterwards every client's optimistic and
// confirmed state equals the log's, the page invariants hold, and a projection rebuilt from the
// log gives the same page.

const (
	fuzzSeeds     = 200
	fuzzClients   = 8
	fuzzOpsClient = 100
)

// regressionSeeds are seeds that once failed, kept by name so that they run first and stay fixed.
var regressionSeeds = []struct {
	name string
	seed uint64
}{
	// None has failed yet; add {"what broke", seed} here when one does.
}

func TestConvergenceFuzz(t *testing.T) {
	t.Parallel()
	seeds := fuzzSeeds
	if testing.Short() {
		seeds = 20
	}
	h := newFuzzHarness(t)
	for _, rs := range regressionSeeds {
		t.Run("regression/"+rs.name, func(t *testing.T) { h.run(t, rs.seed) })
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) { h.run(t, seed) })
	}
	h.checkRebuild(t)
}

// fuzzHarness is one store, engine and server shared by every seed (each seed has its own
// documents).
type fuzzHarness struct {
	ctx    context.Context
	store  *sqlite.Store
	path   string
	server *realtime.Server
	// finals are each seed's final page as the log has it, for the rebuild check.
	finals map[string]*domain.Page
}

type allowAll struct{}

func (allowAll) Allow(context.Context, string, domain.Permission, string) error { return nil }

func newFuzzHarness(t *testing.T) *fuzzHarness {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "fuzz.db")
	st, err := sqlite.Open(ctx, sqlite.Config{Path: path})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	_, err = st.Migrate(ctx)
	require.NoError(t, err)
	quiet := slog.New(slog.DiscardHandler)
	engine, err := realtime.NewEngine(realtime.EngineConfig{Store: st, Logger: quiet, Inline: true})
	require.NoError(t, err)
	srv, err := realtime.NewServer(realtime.ServerConfig{
		Engine: engine, Access: allowAll{}, User: func(*http.Request) string { return "" }, Logger: quiet,
	})
	require.NoError(t, err)
	return &fuzzHarness{ctx: ctx, store: st, path: path, server: srv, finals: map[string]*domain.Page{}}
}

// queue is an in-process transport: messages wait in it until the schedule delivers them.
type queue struct {
	msgs   [][]byte
	closed bool
}

func (q *queue) Send(b []byte) bool {
	if !q.closed {
		q.msgs = append(q.msgs, b)
	}
	return true
}
func (q *queue) Close(int, string) { q.closed = true }

// simClient is one client: the Go client's state machine and its connection's two directions.
type simClient struct {
	name     string
	sess     *client.Session
	srv      *realtime.Session // nil while disconnected
	down     *queue            // server to client
	up       [][]byte          // client to server
	ops      int
	nextNode int
}

type simRun struct {
	t       *testing.T
	h       *fuzzHarness
	rng     *rand.Rand
	clients []*simClient
	page    string
	script  string
}

func (h *fuzzHarness) run(t *testing.T, seed uint64) {
	s := &simRun{t: t, h: h, rng: rand.New(rand.NewPCG(seed, seed*0x9e3779b97f4a7c15+1))}
	s.page, s.script = h.createDocs(t, seed)
	for i := range fuzzClients {
		c := &simClient{name: fmt.Sprintf("s%d-c%d", seed, i)}
		c.sess = client.NewSessionWith(client.SessionConfig{ClientID: c.name})
		require.NoError(t, c.sess.Open(s.page))
		require.NoError(t, c.sess.Open(s.script))
		s.clients = append(s.clients, c)
		s.connect(c)
	}
	for s.busy() {
		s.step()
	}
	s.quiesce()
	s.check(seed)
}

// createDocs appends a page (with a few nodes) and a script for a seed.
func (h *fuzzHarness) createDocs(t *testing.T, seed uint64) (page, script string) {
	env := domain.Env{Now: time.Unix(0, 0).UTC(), Actor: "fuzz", NewID: func() string { return "x" }}
	id := fmt.Sprintf("fuzz%d", seed)
	var p domain.Page
	events, err := p.Decide(domain.CreatePage{PageID: id, AppID: "app", Name: "Fuzz"}, env)
	require.NoError(t, err)
	h.append(t, domain.StreamPage(id), events)
	var sc domain.Script
	events, err = sc.Decide(domain.CreateScript{ScriptID: id, AppID: "app", Name: "fuzz", Kind: domain.ScriptEventHandler, Text: "start\n"}, env)
	require.NoError(t, err)
	h.append(t, domain.StreamScript(id), events)
	return domain.StreamPage(id), domain.StreamScript(id)
}

func (h *fuzzHarness) append(t *testing.T, stream string, events []domain.Event) {
	data := make([]eventstore.EventData, len(events))
	for i, e := range events {
		typ, raw, ver, err := domain.Encode(e)
		require.NoError(t, err)
		data[i] = eventstore.EventData{Type: typ, Data: raw, SchemaVersion: ver, Actor: "fuzz"}
	}
	_, err := h.store.Append(h.ctx, stream, eventstore.NoStream(), data)
	require.NoError(t, err)
}

// connect opens a server session for c and replays the client's state onto it.
func (s *simRun) connect(c *simClient) {
	c.down = &queue{}
	c.srv = s.h.server.NewSession(s.h.ctx, "user-"+c.name[len(c.name)-1:], c.down)
	hello, err := json.Marshal(c.sess.Hello())
	require.NoError(s.t, err)
	require.True(s.t, c.srv.Handle(hello))
	c.up = nil
	for len(c.down.msgs) > 0 { // the welcome
		s.deliverDown(c)
	}
	c.sess.Reconnected()
	s.collect(c)
}

// disconnect drops c's connection and everything in flight on it.
func (s *simRun) disconnect(c *simClient) {
	c.srv.Close()
	c.srv, c.down, c.up = nil, nil, nil
	c.sess.Outbox() // what the client had not sent yet is lost with the connection
}

func (s *simRun) collect(c *simClient) { c.up = append(c.up, c.sess.Outbox()...) }

func (s *simRun) deliverUp(c *simClient) {
	msg := c.up[0]
	c.up = c.up[1:]
	c.srv.Handle(msg)
}

func (s *simRun) deliverDown(c *simClient) {
	msg := c.down.msgs[0]
	c.down.msgs = c.down.msgs[1:]
	require.NoError(s.t, c.sess.Receive(msg), "message %s", msg)
	s.collect(c)
}

func (s *simRun) busy() bool {
	return slices.ContainsFunc(s.clients, func(c *simClient) bool { return c.ops < fuzzOpsClient })
}

// step takes one random action: a local op, a delivery in either direction, a disconnect or a
// reconnect.
func (s *simRun) step() {
	c := s.clients[s.rng.IntN(len(s.clients))]
	switch r := s.rng.IntN(100); {
	case r < 35:
		if c.ops < fuzzOpsClient {
			s.localOp(c)
			c.ops++
		}
	case r < 65:
		if c.srv != nil && len(c.up) > 0 {
			s.deliverUp(c)
		}
	case r < 95:
		if c.srv != nil && len(c.down.msgs) > 0 {
			s.deliverDown(c)
		}
	case r < 98:
		if c.srv != nil {
			s.disconnect(c)
		}
	default:
		if c.srv == nil {
			s.connect(c)
		}
	}
}

// quiesce reconnects everyone and delivers every message until nothing moves and no op is
// pending.
func (s *simRun) quiesce() {
	for _, c := range s.clients {
		if c.srv == nil {
			s.connect(c)
		}
	}
	for round := 0; ; round++ {
		require.Less(s.t, round, 10_000, "the clients do not settle")
		moved := false
		for _, c := range s.clients {
			for len(c.up) > 0 {
				s.deliverUp(c)
				moved = true
			}
		}
		for _, c := range s.clients {
			for len(c.down.msgs) > 0 {
				s.deliverDown(c)
				moved = true
			}
		}
		if !moved {
			pending := 0
			for _, c := range s.clients {
				pending += c.sess.Pending()
			}
			require.Zero(s.t, pending, "every op is acknowledged once everything is delivered")
			return
		}
	}
}

// localOp makes one random edit on c's optimistic state: mostly page ops (inserts, moves,
// deletes, prop and style changes), sometimes script text edits.
func (s *simRun) localOp(c *simClient) {
	if s.rng.IntN(4) == 0 {
		s.scriptEdit(c)
		return
	}
	pd := c.sess.Page(s.page)
	if pd == nil || !pd.Loaded() {
		return
	}
	local := pd.Local()
	nodes := make([]string, 0, len(local.Nodes))
	containers := []string{""}
	for id, n := range local.Nodes {
		if id == local.RootID {
			continue
		}
		nodes = append(nodes, id)
		if n.Type == "Container" {
			containers = append(containers, id)
		}
	}
	slices.Sort(nodes)
	slices.Sort(containers)
	pick := func(ids []string) string { return ids[s.rng.IntN(len(ids))] }
	var op map[string]any
	switch r := s.rng.IntN(10); {
	case r < 3 || len(nodes) == 0:
		c.nextNode++
		typ := "Text"
		if s.rng.IntN(3) == 0 {
			typ = "Container"
		}
		op = map[string]any{"op": "insert_node", "nodeId": fmt.Sprintf("%s-n%d", c.name, c.nextNode), "type": typ, "parentId": pick(containers)}
	case r < 5:
		op = map[string]any{"op": "move_node", "nodeId": pick(nodes), "parentId": pick(containers)}
		if s.rng.IntN(2) == 0 { // a specific place: sometimes before an existing sibling's key
			op["index"] = fmt.Sprintf("a%d", s.rng.IntN(5))
		}
	case r < 6:
		op = map[string]any{"op": "delete_node", "nodeId": pick(nodes)}
	case r < 9:
		op = map[string]any{"op": "set_prop", "nodeId": pick(nodes), "path": "text", "value": fmt.Sprintf("%s says %d", c.name, s.rng.IntN(1000))}
	default:
		op = map[string]any{"op": "set_style", "nodeId": pick(nodes), "path": "width", "value": fmt.Sprintf("%dpx", s.rng.IntN(500))}
	}
	raw, err := json.Marshal(op)
	require.NoError(s.t, err)
	_, err = pd.Submit(raw)
	require.NoError(s.t, err)
	s.collect(c)
}

var fuzzInserts = []string{"a", "bc", "é", "😀", "line\n", "中文", " "}

func (s *simRun) scriptEdit(c *simClient) {
	sd := c.sess.Script(s.script)
	if sd == nil || !sd.Loaded() {
		return
	}
	n := textot.Len16(sd.Text())
	pos := s.rng.IntN(n + 1)
	del := 0
	if pos < n && s.rng.IntN(3) == 0 {
		del = 1 + s.rng.IntN(min(n-pos, 4))
	}
	op := textot.Op{{Pos: pos, Delete: del, Insert: fuzzInserts[s.rng.IntN(len(fuzzInserts))]}}
	if err := sd.Edit(op); err != nil {
		return // the position split a surrogate pair: not an edit a real editor makes
	}
	s.collect(c)
}

// check compares every client with the log and checks the page invariants.
func (s *simRun) check(seed uint64) {
	t := s.t
	envs, err := s.h.store.ReadStream(s.h.ctx, s.page, 1, 0)
	require.NoError(t, err)
	truth := &domain.Page{}
	for _, env := range envs {
		e, err := domain.Decode(env.Type, env.SchemaVersion, env.Data)
		require.NoError(t, err)
		truth.Apply(e)
	}
	checkInvariants(t, truth)
	want := docJSON(t, truth)
	sEnvs, err := s.h.store.ReadStream(s.h.ctx, s.script, 1, 0)
	require.NoError(t, err)
	script := &domain.Script{}
	for _, env := range sEnvs {
		e, err := domain.Decode(env.Type, env.SchemaVersion, env.Data)
		require.NoError(t, err)
		script.Apply(e)
	}
	require.Empty(t, script.ReplayError)
	for _, c := range s.clients {
		pd := c.sess.Page(s.page)
		confirmed, version := pd.Confirmed()
		require.Equal(t, int64(len(envs)), version, "%s: confirmed version", c.name)
		require.Equal(t, want, docJSON(t, confirmed), "%s: confirmed page", c.name)
		require.Equal(t, want, docJSON(t, pd.Local()), "%s: optimistic page", c.name)
		sd := c.sess.Script(s.script)
		require.Equal(t, script.Text, sd.ConfirmedText(), "%s: confirmed script", c.name)
		require.Equal(t, script.Text, sd.Text(), "%s: optimistic script", c.name)
	}
	s.h.finals[strings.TrimPrefix(s.page, "page-")] = truth
	_ = seed
}

func docJSON(t *testing.T, p *domain.Page) string {
	b, err := json.Marshal(p.Document())
	require.NoError(t, err)
	return string(b)
}

// checkInvariants: no cycles, every node reachable from the root, sibling order keys unique.
func checkInvariants(t *testing.T, p *domain.Page) {
	reached := map[string]bool{}
	var walk func(id string, depth int)
	walk = func(id string, depth int) {
		require.Less(t, depth, len(p.Nodes)+1, "a cycle through %s", id)
		require.False(t, reached[id], "node %s reached twice", id)
		reached[id] = true
		keys := map[string]string{}
		for cid, n := range p.Nodes {
			if n.ParentID == id && cid != p.RootID {
				if other, dup := keys[n.Index]; dup {
					t.Fatalf("siblings %s and %s share index %q", other, cid, n.Index)
				}
				keys[n.Index] = cid
				walk(cid, depth+1)
			}
		}
	}
	walk(p.RootID, 0)
	require.Len(t, reached, len(p.Nodes), "every node is reachable from the root")
}

// checkRebuild rebuilds the pages projection from the whole log and compares each seed's page.
func (h *fuzzHarness) checkRebuild(t *testing.T) {
	docs, err := sqlitedocs.Open(h.ctx, h.path)
	require.NoError(t, err)
	defer docs.Close()
	pages, ok := projections.ByName(projections.Pages)
	require.True(t, ok)
	_, err = projections.Rebuild(h.ctx, h.store, docs, pages, nil)
	require.NoError(t, err)
	require.NotEmpty(t, h.finals)
	for id, want := range h.finals {
		d, err := docs.Get(h.ctx, projections.Pages, id)
		require.NoError(t, err)
		var got domain.Page
		require.NoError(t, json.Unmarshal(d.Data, &got))
		require.Equal(t, docJSON(t, want), docJSON(t, &got), "page %s rebuilt from the log", id)
	}
}
