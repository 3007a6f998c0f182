package textot_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/realtime/textot"
)

// The model the server and the Go client follow (Jupiter / ot.js), written out here as test
// helpers: the server orders ops and transforms a late op through what it committed since the op's
// base version; a client keeps one op in flight and buffers later local edits, and rebases both on
// every op it receives.

// simServer holds the committed history; history[i] turns version i into version i+1.
type simServer struct {
	text    string
	history []textot.Op
	lens    []int // Len16 of every version, to validate ops against their base
}

// commit receives op based on version base, transforms it through the ops committed after base,
// stores it the way the domain does (byte edits) and returns the committed op.
func (s *simServer) commit(t testing.TB, base int, op textot.Op) textot.Op {
	t.Helper()
	require.LessOrEqual(t, base, len(s.history), "client is ahead of the server")
	require.NoError(t, op.Validate(s.lens[base]), "op from a client is invalid for its base version %d", base)
	for _, h := range s.history[base:] {
		op, _ = textot.Transform(op, h)
	}
	edits, err := textot.ToBytes(s.text, op)
	require.NoError(t, err)
	next, err := domain.ApplyTextEdits(s.text, edits)
	require.NoError(t, err)
	require.Equal(t, mustApply(t, s.text, op), next, "byte edits and op disagree")
	s.text = next
	s.history = append(s.history, op)
	s.lens = append(s.lens, textot.Len16(next))
	return op
}

// simMsg is one message from the server to a client: an ack of the client's own op or an op
// another client made.
type simMsg struct {
	ack bool
	op  textot.Op
}

type simClient struct {
	text     string
	version  int       // server versions applied so far
	inflight bool      // an op was sent and is not acked yet
	pending  textot.Op // the op in flight, rebased on everything received since it was sent
	buffer   textot.Op // local edits made while an op was in flight, not sent yet
	inbox    []simMsg  // from the server, in order
	outbox   []textot.Op
	outBase  []int // base version of each outbox op
}

// edit applies a local edit and sends it, or buffers it while an op is in flight.
func (c *simClient) edit(t testing.TB, op textot.Op) {
	t.Helper()
	c.text = mustApply(t, c.text, op)
	if !c.inflight {
		c.send(op)
		return
	}
	var err error
	c.buffer, err = textot.Compose(c.buffer, op)
	require.NoError(t, err)
}

func (c *simClient) send(op textot.Op) {
	c.inflight = true
	c.pending = op
	c.outbox = append(c.outbox, op)
	c.outBase = append(c.outBase, c.version)
}

// receive handles the next message from the server.
func (c *simClient) receive(t testing.TB) {
	t.Helper()
	m := c.inbox[0]
	c.inbox = c.inbox[1:]
	c.version++
	if m.ack {
		require.True(t, c.inflight, "ack without an op in flight")
		c.inflight, c.pending = false, nil
		if len(c.buffer) > 0 {
			c.send(c.buffer)
			c.buffer = nil
		}
		return
	}
	// The server's op was committed first: it is b. Our ops stay pending, rebased; its rebased
	// form applies to our text, which already has both of ours.
	var onBuffer textot.Op
	c.pending, onBuffer = textot.Transform(c.pending, m.op)
	var local textot.Op
	c.buffer, local = textot.Transform(c.buffer, onBuffer)
	c.text = mustApply(t, c.text, local)
}

type simulation struct {
	server  simServer
	clients []*simClient
}

func newSimulation(text string, clients int) *simulation {
	s := &simulation{server: simServer{text: text, lens: []int{textot.Len16(text)}}}
	for range clients {
		s.clients = append(s.clients, &simClient{text: text})
	}
	return s
}

// deliver lets the server take the oldest message of client i and broadcast the result.
func (s *simulation) deliver(t testing.TB, i int) {
	t.Helper()
	c := s.clients[i]
	op, base := c.outbox[0], c.outBase[0]
	c.outbox, c.outBase = c.outbox[1:], c.outBase[1:]
	committed := s.server.commit(t, base, op)
	for j, other := range s.clients {
		other.inbox = append(other.inbox, simMsg{ack: j == i, op: committed})
	}
}

func (s *simulation) quiet() bool {
	for _, c := range s.clients {
		if len(c.outbox) > 0 || len(c.inbox) > 0 || c.inflight || len(c.buffer) > 0 {
			return false
		}
	}
	return true
}

func TestServerAndClientsConverge(t *testing.T) {
	t.Parallel()
	for seed := range uint64(200) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 99))
			sim := newSimulation(randText(rng, 20), 3)
			for range 150 {
				i := rng.IntN(len(sim.clients))
				c := sim.clients[i]
				switch r := rng.IntN(10); {
				case r < 4:
					c.edit(t, randOp(rng, c.text, randInsert(rng)))
				case r < 7 && len(c.outbox) > 0:
					sim.deliver(t, i)
				case len(c.inbox) > 0:
					c.receive(t)
				}
			}
			// Deliver everything, in random order, until nothing is in flight.
			for !sim.quiet() {
				i := rng.IntN(len(sim.clients))
				c := sim.clients[i]
				if len(c.outbox) > 0 && rng.IntN(2) == 0 {
					sim.deliver(t, i)
				} else if len(c.inbox) > 0 {
					c.receive(t)
				}
			}
			for i, c := range sim.clients {
				require.Equal(t, sim.server.text, c.text, "client %d diverged", i)
				require.Equal(t, len(sim.server.history), c.version, "client %d version", i)
			}
		})
	}
}

// TestServerRebaseMatchesClientRebase is the core of the model on its own: an op based on version
// k, transformed by the server through H(k+1)..Hn, is the op the client holds as pending after
// rebasing it on the same ops one by one, and both end with the same text.
func TestServerRebaseMatchesClientRebase(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(41, 43))
	for i := range 1000 {
		server := simServer{text: randText(rng, 16)}
		server.lens = []int{textot.Len16(server.text)}
		texts := []string{server.text}
		for range rng.IntN(6) {
			server.commit(t, len(server.history), randOp(rng, server.text, randInsert(rng)))
			texts = append(texts, server.text)
		}
		k := rng.IntN(len(texts))
		op := randOp(rng, texts[k], randInsert(rng))

		clientText := mustApply(t, texts[k], op)
		pending := op
		for _, h := range server.history[k:] {
			var local textot.Op
			pending, local = textot.Transform(pending, h)
			clientText = mustApply(t, clientText, local)
		}

		committed := server.commit(t, k, op)
		require.Equal(t, textot.Normalize(pending), textot.Normalize(committed), "case %d: server and client rebase differently", i)
		require.Equal(t, server.text, clientText, "case %d: texts differ", i)
	}
}
