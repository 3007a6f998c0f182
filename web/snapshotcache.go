package web

import (
	"container/list"
	"context"
	"sync"

	"github.com/google/uuid"

	"github.com/goflow-dev/goflow/runtime/session"
)

// snapshotCache keeps the time-travel debugger's session.Snapshots of recently read sessions,
// keyed by session id, so that a state or diff request replays at most a snapshot interval
// (plus any skipped stretch) instead of the whole history, and a history that grew since is
// extended by its new steps only. A session's recorded steps never change (its stream is
// append-only), so an entry stays right as long as it is a prefix of the stream.
//
// Bounded by entries, by the steps the entries hold (each Snapshots keeps its steps) and by the
// bytes of their snapshot states, least recently used out first.
type snapshotCache struct {
	mu         sync.Mutex
	maxEntries int
	maxSteps   int64
	maxBytes   int64
	steps      int64 // the accounted costs of the entries in byID
	bytes      int64
	order      *list.List // of *snapshotEntry, most recent first
	byID       map[string]*list.Element
}

// snapshotEntry is one session's snapshots. sem (a mutex a waiter can give up on) guards the
// fields below it: Snapshots is not safe for concurrent use, and two requests for one session
// would replay the same steps anyway.
type snapshotEntry struct {
	id  string
	sem chan struct{}

	// started is the id of the session.started event the snapshots were built from.
	started uuid.UUID
	snaps   *session.Snapshots
	// changed[i] holds the state paths (pathFilter form) step i+1 changed, for ?path=; it
	// covers a prefix of snaps' steps.
	changed [][]string

	// steps and bytes are the costs last accounted for the entry, under the cache's mu.
	steps, bytes int64
}

const (
	snapshotCacheEntries = 64
	snapshotCacheSteps   = 200_000
	snapshotCacheBytes   = 256 << 20
)

func newSnapshotCache(maxEntries int, maxSteps, maxBytes int64) *snapshotCache {
	return &snapshotCache{maxEntries: maxEntries, maxSteps: maxSteps, maxBytes: maxBytes, order: list.New(), byID: map[string]*list.Element{}}
}

// use runs fn with session id's entry held, creating the entry when missing.
func (c *snapshotCache) use(ctx context.Context, id string, fn func(e *snapshotEntry) error) error {
	e := c.entry(id)
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	err := fn(e)
	steps, bytes := e.cost()
	<-e.sem
	c.account(e, steps, bytes)
	return err
}

func (c *snapshotCache) entry(id string) *snapshotEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[id]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*snapshotEntry)
	}
	e := &snapshotEntry{id: id, sem: make(chan struct{}, 1)}
	c.byID[id] = c.order.PushFront(e)
	c.evict()
	return e
}

// cost is what e holds: its steps (and changed paths), and its snapshot states' bytes.
func (e *snapshotEntry) cost() (steps, bytes int64) {
	if e.snaps == nil {
		return 0, 0
	}
	steps = e.snaps.Steps()
	for _, ps := range e.changed {
		steps += int64(len(ps))
	}
	return steps, e.snaps.StateBytes()
}

// account records e's new cost and evicts until the cache is within its bounds; e alone over
// them is dropped instead. An entry evicted meanwhile is not counted again.
func (c *snapshotCache) account(e *snapshotEntry, steps, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[e.id]; !ok || el.Value != e {
		return
	}
	if steps > c.maxSteps || bytes > c.maxBytes {
		// Too big to keep: dropping it, not everything else, keeps the cache useful.
		c.remove(c.byID[e.id])
		return
	}
	c.steps += steps - e.steps
	c.bytes += bytes - e.bytes
	e.steps, e.bytes = steps, bytes
	c.evict()
}

func (c *snapshotCache) remove(el *list.Element) {
	e := el.Value.(*snapshotEntry)
	c.steps -= e.steps
	c.bytes -= e.bytes
	c.order.Remove(el)
	delete(c.byID, e.id)
}

func (c *snapshotCache) evict() {
	for c.order.Len() > 0 && (c.order.Len() > c.maxEntries || c.steps > c.maxSteps || c.bytes > c.maxBytes) {
		c.remove(c.order.Back())
	}
}
