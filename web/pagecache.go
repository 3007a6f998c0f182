package web

import (
	"container/list"
	"sync"
)

// pageCache keeps the rendered JSON of recently read page documents, keyed by page id and
// validated by the projection's version: rendering a large page (decode the state, build the
// nested document, encode it) costs several times more than fetching it, and pages are read far
// more often than they change. Bounded by total bytes, least recently used out first.
type pageCache struct {
	mu       sync.Mutex
	maxBytes int
	bytes    int
	order    *list.List // of *pageCacheEntry, most recent first
	byID     map[string]*list.Element
}

type pageCacheEntry struct {
	id      string
	version int64
	body    []byte
}

func newPageCache(maxBytes int) *pageCache {
	return &pageCache{maxBytes: maxBytes, order: list.New(), byID: map[string]*list.Element{}}
}

// get returns the rendered document of page id at version, if cached.
func (c *pageCache) get(id string, version int64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byID[id]
	if !ok {
		return nil, false
	}
	e := el.Value.(*pageCacheEntry)
	if e.version != version {
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.body, true
}

// put caches the rendered document of page id at version, replacing older versions.
func (c *pageCache) put(id string, version int64, body []byte) {
	if len(body) > c.maxBytes/4 {
		return // one huge page must not flush everything else
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[id]; ok {
		e := el.Value.(*pageCacheEntry)
		if e.version > version {
			return // a concurrent reader already cached something newer
		}
		c.bytes -= len(e.body)
		c.order.Remove(el)
		delete(c.byID, id)
	}
	c.byID[id] = c.order.PushFront(&pageCacheEntry{id: id, version: version, body: body})
	c.bytes += len(body)
	for c.bytes > c.maxBytes {
		last := c.order.Back()
		e := last.Value.(*pageCacheEntry)
		c.bytes -= len(e.body)
		c.order.Remove(last)
		delete(c.byID, e.id)
	}
}
