// Package docbuf is the in-memory half of a DocStore transaction, shared by the backends: it
// caches the documents a projection reads, keeps its writes until commit, and hands them to the
// backend as one sorted batch, so that a transaction applying thousands of events costs a few
// multi-row statements.
package docbuf

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/goflow-dev/goflow/projections"
)

// LoadChunk is the most keys handed to a Loader at once.
const LoadChunk = 1000

// Loader reads the stored documents of keys; keys without a document are absent from the map.
type Loader func(keys []string) (map[string]projections.Doc, error)

// Buffer implements projections.DocTx over a Loader.
type Buffer struct {
	load    Loader
	entries map[string]*entry
	locals  map[any]any
	hooks   []func() error
	flushed bool
}

var _ projections.DocTx = (*Buffer)(nil)

// entry is what the transaction knows of one key: the stored document, or its own write.
type entry struct {
	doc    projections.Doc
	exists bool
	dirty  bool
}

// errFlushed: the transaction is over; a projection kept its DocTx beyond Update.
var errFlushed = errors.New("document transaction already flushed")

// New returns an empty Buffer reading through load.
func New(load Loader) *Buffer {
	return &Buffer{load: load, entries: map[string]*entry{}}
}

// Get returns the document as the transaction sees it. The returned Data must not be modified.
func (b *Buffer) Get(key string) (projections.Doc, bool, error) {
	if e, ok := b.entries[key]; ok {
		return e.doc, e.exists, nil
	}
	if err := projections.ValidateKey(key); err != nil {
		return projections.Doc{}, false, err
	}
	if err := b.Prefetch([]string{key}); err != nil {
		return projections.Doc{}, false, err
	}
	e := b.entries[key]
	return e.doc, e.exists, nil
}

// Put records a write of key. data must be valid JSON; the Buffer keeps it (the caller must not
// modify it afterwards).
func (b *Buffer) Put(key string, data json.RawMessage, version int64) error {
	if b.flushed {
		return errFlushed
	}
	if err := projections.ValidateKey(key); err != nil {
		return err
	}
	if !json.Valid(data) {
		return fmt.Errorf("%w: document %q is not valid JSON", projections.ErrInvalid, key)
	}
	b.entries[key] = &entry{
		doc:    projections.Doc{Key: key, Data: data, Version: version, UpdatedAt: time.Now().UTC()},
		exists: true,
		dirty:  true,
	}
	return nil
}

// Delete records the removal of key.
func (b *Buffer) Delete(key string) error {
	if b.flushed {
		return errFlushed
	}
	if err := projections.ValidateKey(key); err != nil {
		return err
	}
	b.entries[key] = &entry{doc: projections.Doc{Key: key}, dirty: true}
	return nil
}

// Prefetch loads the keys this transaction has not seen yet, LoadChunk at a time.
func (b *Buffer) Prefetch(keys []string) error {
	var missing []string
	seen := map[string]bool{}
	for _, k := range keys {
		if _, ok := b.entries[k]; ok || seen[k] {
			continue
		}
		if err := projections.ValidateKey(k); err != nil {
			return err
		}
		seen[k] = true
		missing = append(missing, k)
	}
	for start := 0; start < len(missing); start += LoadChunk {
		chunk := missing[start:min(start+LoadChunk, len(missing))]
		docs, err := b.load(chunk)
		if err != nil {
			return fmt.Errorf("load documents: %w", err)
		}
		for _, k := range chunk {
			d, ok := docs[k]
			b.entries[k] = &entry{doc: d, exists: ok}
		}
	}
	return nil
}

// Local returns the transaction-local value under key, creating it with init on first use.
func (b *Buffer) Local(key any, init func() any) any {
	if b.locals == nil {
		b.locals = map[any]any{}
	}
	v, ok := b.locals[key]
	if !ok {
		v = init()
		b.locals[key] = v
	}
	return v
}

// BeforeFlush registers fn to run at the start of Flush.
func (b *Buffer) BeforeFlush(fn func() error) { b.hooks = append(b.hooks, fn) }

// Flush runs the BeforeFlush hooks (including hooks they register) and returns the transaction's
// writes: documents to upsert and keys to delete, each sorted by key (a stable lock order). After
// Flush the Buffer accepts no more writes.
func (b *Buffer) Flush() (puts []projections.Doc, deletes []string, err error) {
	for i := 0; i < len(b.hooks); i++ {
		if err := b.hooks[i](); err != nil {
			return nil, nil, err
		}
	}
	b.flushed = true
	for k, e := range b.entries {
		switch {
		case !e.dirty:
		case e.exists:
			puts = append(puts, e.doc)
		default:
			deletes = append(deletes, k)
		}
	}
	slices.SortFunc(puts, func(a, b projections.Doc) int { return strings.Compare(a.Key, b.Key) })
	slices.Sort(deletes)
	return puts, deletes, nil
}
