package web

import (
	"bytes"
	"testing"
)

func TestPageCache(t *testing.T) {
	t.Parallel()
	c := newPageCache(100)
	c.put("a", 1, bytes.Repeat([]byte("a"), 20))
	if _, ok := c.get("a", 2); ok {
		t.Fatal("a stale version must miss")
	}
	if b, ok := c.get("a", 1); !ok || len(b) != 20 {
		t.Fatalf("hit: %v %d", ok, len(b))
	}
	c.put("a", 0, []byte("old"))
	if _, ok := c.get("a", 1); !ok {
		t.Fatal("an older version must not replace a newer one")
	}
	c.put("big", 1, bytes.Repeat([]byte("b"), 26))
	if _, ok := c.get("big", 1); ok {
		t.Fatal("a body over a quarter of the budget is not cached")
	}
	for i, id := range []string{"b", "c", "d", "e"} {
		c.put(id, int64(i), bytes.Repeat([]byte("x"), 20))
	}
	c.get("b", 0) // b becomes most recent; a is the least recent
	c.put("f", 1, bytes.Repeat([]byte("x"), 20))
	if _, ok := c.get("a", 1); ok {
		t.Error("the least recently used entry must be evicted first")
	}
	if _, ok := c.get("b", 0); !ok {
		t.Error("a recently used entry must stay")
	}
	if c.bytes > 100 {
		t.Errorf("cache holds %d bytes, budget 100", c.bytes)
	}
}
