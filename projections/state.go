package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
)

// StateConfig describes an aggregate-state projection: one document per stream of a category,
// holding the aggregate's state as the domain folds it, at version = the stream version.
type StateConfig[S any] struct {
	// Name is the projection's name, e.g. "pages".
	Name string
	// Category is the stream category projected (streams "<category>-<id>"), e.g.
	// domain.CategoryPage.
	Category string
	// New returns an empty state.
	New func() *S
	// Apply evolves a state by one event, in place.
	Apply func(*S, domain.Event)
	// AppID, if set, makes the projection app-scoped: documents are keyed "<appId>/<id>", so that
	// List with KeyPrefix "<appId>/" lists one app's, and an index document "#<id>" maps an id to
	// its key (ids never contain "/", so index keys never match an app's prefix). When nil,
	// documents are keyed "<id>".
	AppID func(*S) string
}

// StateProjection projects aggregate states; see StateConfig.
//
// Within one Update it keeps the decoded states of the streams it touched and encodes each once,
// when the transaction flushes: a rebuild page of thousands of events on one 2,000-node page
// decodes and encodes that page once, not once per event.
type StateProjection[S any] struct {
	cfg    StateConfig[S]
	prefix string
	types  map[string]bool
}

var _ KeyedProjection = (*StateProjection[struct{}])(nil)

// NewStateProjection returns the projection cfg describes.
func NewStateProjection[S any](cfg StateConfig[S]) *StateProjection[S] {
	return &StateProjection[S]{cfg: cfg, prefix: cfg.Category + "-", types: knownTypes()}
}

// Name returns the projection's name.
func (p *StateProjection[S]) Name() string { return p.cfg.Name }

// IndexKey is the key of an app-scoped projection's index document for an aggregate id.
func IndexKey(id string) string { return "#" + id }

// ScopedKey is the key of an app-scoped document.
func ScopedKey(appID, id string) string { return appID + "/" + id }

// aggregateID returns the id of the aggregate whose stream e belongs to, if it is of the category.
func (p *StateProjection[S]) aggregateID(e eventstore.Envelope) (string, bool) {
	id, ok := strings.CutPrefix(e.StreamID, p.prefix)
	return id, ok && id != ""
}

// Handles reports whether e belongs to the projected category.
func (p *StateProjection[S]) Handles(e eventstore.Envelope) bool {
	_, ok := p.aggregateID(e)
	return ok
}

// Keys returns the document an event reads first: the state's, or an app-scoped projection's
// index document.
func (p *StateProjection[S]) Keys(e eventstore.Envelope) []string {
	id, ok := p.aggregateID(e)
	if !ok {
		return nil
	}
	if p.cfg.AppID != nil {
		return []string{IndexKey(id)}
	}
	return []string{id}
}

// Apply folds e into its stream's state, unless the stored state is already at or past it.
// Events of other categories are ignored; an event of a type this build does not know is applied
// as an unknownEvent, which the domain's Apply ignores but counts in the state's version.
func (p *StateProjection[S]) Apply(_ context.Context, tx DocTx, e eventstore.Envelope) error {
	id, ok := p.aggregateID(e)
	if !ok {
		return nil
	}
	c := stateCacheOf(tx, p, p.cfg.New, p.docKey)
	ent, err := c.get(id)
	if err != nil {
		return err
	}
	if e.StreamVersion <= ent.version {
		return nil
	}
	ev, err := decode(p.types, e)
	if err != nil {
		return fmt.Errorf("%s: %s v%d: %w", p.cfg.Name, e.StreamID, e.StreamVersion, err)
	}
	p.cfg.Apply(ent.state, ev)
	ent.version, ent.dirty = e.StreamVersion, true
	if ent.key == "" {
		// An app-scoped state learns its app from its first event.
		ent.key, ent.newIndex = ScopedKey(p.cfg.AppID(ent.state), id), true
	}
	return nil
}

// unknownEvent stands for an event of a type this build does not know.
type unknownEvent struct{ typ string }

func (u unknownEvent) EventType() string { return u.typ }

// decode decodes a stored event, or returns an unknownEvent for a type not in known.
func decode(known map[string]bool, e eventstore.Envelope) (domain.Event, error) {
	if !known[e.Type] {
		return unknownEvent{e.Type}, nil
	}
	return domain.Decode(e.Type, e.SchemaVersion, e.Data)
}

// knownTypes is the set of event types this build can decode.
func knownTypes() map[string]bool {
	types := map[string]bool{}
	for _, t := range domain.EventTypes() {
		types[t] = true
	}
	return types
}

// docKey finds the document key of an aggregate: its id, or for app-scoped projections the key
// named by the index document ("" when there is none yet).
func (p *StateProjection[S]) docKey(tx DocTx, id string) (string, error) {
	if p.cfg.AppID == nil {
		return id, nil
	}
	d, ok, err := tx.Get(IndexKey(id))
	if err != nil || !ok {
		return "", err
	}
	var idx indexDoc
	if err := json.Unmarshal(d.Data, &idx); err != nil {
		return "", fmt.Errorf("%s: index document of %s: %w", p.cfg.Name, id, err)
	}
	return idx.Key, nil
}

// indexDoc is an app-scoped projection's "#<id>" document.
type indexDoc struct {
	Key string `json:"key"`
}

// stateEntry is one aggregate's state within a transaction.
type stateEntry[S any] struct {
	state    *S
	version  int64
	key      string // document key; "" until an app-scoped state knows its app
	dirty    bool
	newIndex bool // an app-scoped state's index document is still to be written
}

// stateCache keeps the states one projection touched in one transaction, by aggregate id, and
// writes the changed ones when the transaction flushes.
type stateCache[S any] struct {
	tx      DocTx
	newS    func() *S
	keyOf   func(tx DocTx, id string) (string, error)
	entries map[string]*stateEntry[S]
	order   []string // ids in first-touch order, for a deterministic flush
}

// stateCacheOf returns owner's cache in tx, creating it (and its flush hook) on first use.
func stateCacheOf[S any](tx DocTx, owner any, newS func() *S, keyOf func(DocTx, string) (string, error)) *stateCache[S] {
	return tx.Local(owner, func() any {
		c := &stateCache[S]{tx: tx, newS: newS, keyOf: keyOf, entries: map[string]*stateEntry[S]{}}
		tx.BeforeFlush(c.flush)
		return c
	}).(*stateCache[S])
}

// get returns the state of aggregate id, loading it on first use.
func (c *stateCache[S]) get(id string) (*stateEntry[S], error) {
	if ent, ok := c.entries[id]; ok {
		return ent, nil
	}
	ent := &stateEntry[S]{state: c.newS()}
	key, err := c.keyOf(c.tx, id)
	if err != nil {
		return nil, err
	}
	if key != "" {
		d, ok, err := c.tx.Get(key)
		if err != nil {
			return nil, err
		}
		if ok {
			if err := json.Unmarshal(d.Data, ent.state); err != nil {
				return nil, fmt.Errorf("decode stored state %q: %w", key, err)
			}
			ent.version = d.Version
		}
		ent.key = key
	}
	c.entries[id] = ent
	c.order = append(c.order, id)
	return ent, nil
}

func (c *stateCache[S]) flush() error {
	for _, id := range c.order {
		ent := c.entries[id]
		if !ent.dirty {
			continue
		}
		data, err := json.Marshal(ent.state)
		if err != nil {
			return fmt.Errorf("encode state of %s: %w", id, err)
		}
		if err := c.tx.Put(ent.key, data, ent.version); err != nil {
			return err
		}
		if ent.newIndex {
			idx, _ := json.Marshal(indexDoc{Key: ent.key}) // cannot fail
			if err := c.tx.Put(IndexKey(id), idx, 1); err != nil {
				return err
			}
		}
		ent.dirty, ent.newIndex = false, false
	}
	return nil
}
