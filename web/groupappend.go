package web

import (
	"context"
	"sync"
	"time"

	"github.com/goflow-dev/goflow/eventstore"
)

// Group commit for runtime sessions: each dispatch is one append to its session's stream, and one
// commit per append bounds a node to the store's commit rate (a few hundred per second on
// Postgres). groupAppender writes the appends that arrive while a commit is in progress together,
// in one transaction (eventstore.BatchAppender), so throughput grows with the number of sessions
// while each caller still returns only after its events are committed.

// groupWriteTimeout bounds one batch write; callers wait for it even when their own context ends,
// so that a session never loses track of whether its events were written.
const groupWriteTimeout = 30 * time.Second

type groupAppender struct {
	store eventstore.Store
	batch eventstore.BatchAppender // nil: the store has no batches, every append is its own

	mu      sync.Mutex
	pending []*groupReq
	writing bool
}

// groupReq is one caller's append. signal receives false when its result is set, or true when
// the caller is to lead the next batch.
type groupReq struct {
	item   eventstore.StreamAppend
	res    eventstore.AppendResult
	err    error
	signal chan bool
}

func newGroupAppender(store eventstore.Store) *groupAppender {
	g := &groupAppender{store: store}
	if b, ok := store.(eventstore.BatchAppender); ok {
		g.batch = b
	}
	return g
}

// Append appends like eventstore.Store.Append, grouped with concurrent callers' appends.
func (g *groupAppender) Append(ctx context.Context, streamID string, expected eventstore.Expected, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if g.batch == nil {
		return g.store.Append(ctx, streamID, expected, events)
	}
	req := &groupReq{item: eventstore.StreamAppend{StreamID: streamID, Expected: expected, Events: events}, signal: make(chan bool, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, req)
	lead := !g.writing
	g.writing = true
	g.mu.Unlock()
	if !lead {
		if !<-req.signal {
			return req.res, req.err
		}
	}
	// Lead: write what is pending (this request included), then hand the lead to a waiter.
	for {
		g.mu.Lock()
		batch := takeBatch(&g.pending)
		g.mu.Unlock()
		g.write(batch, req)
		g.mu.Lock()
		if len(g.pending) == 0 {
			g.writing = false
			g.mu.Unlock()
			return req.res, req.err
		}
		if req.signal == nil { // this caller's own result is in: let the next one lead
			next := g.pending[0]
			g.mu.Unlock()
			next.signal <- true
			return req.res, req.err
		}
		g.mu.Unlock()
	}
}

// takeBatch removes from pending the longest prefix a batch may hold.
func takeBatch(pending *[]*groupReq) []*groupReq {
	items, events := 0, 0
	for _, r := range *pending {
		n := len(r.item.Events)
		if items > 0 && (items+1 > eventstore.MaxBatchItems || events+n > eventstore.MaxBatchEvents) {
			break
		}
		items, events = items+1, events+n
	}
	batch := (*pending)[:items:items]
	*pending = (*pending)[items:]
	return batch
}

// write appends batch in one transaction and delivers each result; the leader's own request
// (self) is not signalled but marked done by clearing its signal channel.
func (g *groupAppender) write(batch []*groupReq, self *groupReq) {
	ctx, cancel := context.WithTimeout(context.Background(), groupWriteTimeout)
	defer cancel()
	items := make([]eventstore.StreamAppend, len(batch))
	for i, r := range batch {
		items[i] = r.item
	}
	var (
		results []eventstore.BatchResult
		err     error
	)
	if len(items) == 1 {
		// Alone: a plain append costs the same and keeps the single-append path hot.
		var res eventstore.AppendResult
		res, err = g.store.Append(ctx, items[0].StreamID, items[0].Expected, items[0].Events)
		results = []eventstore.BatchResult{{Result: res, Err: err}}
		err = nil
	} else {
		results, err = g.batch.AppendBatch(ctx, items)
	}
	for i, r := range batch {
		if err != nil {
			r.err = err
		} else {
			r.res, r.err = results[i].Result, results[i].Err
		}
		if r == self {
			r.signal = nil
			continue
		}
		r.signal <- false
	}
}
