// Package projections builds GoFlow's read models from the event log: page documents, page trees,
// the app catalogue, scripts, schemas, data sources, queries, the script change log, users,
// workspaces and the access index (memberships and the owners of resources).
//
// A Projection applies envelopes to documents in a DocStore, keyed by (projection, key), each with
// a version and JSON data, in the same database as the event store. Every batch of writes commits
// in one transaction together with the projection's checkpoint (the global-log cursor of the last
// applied event), so a projection never skips or double-applies an event across restarts: the
// live Runner resumes from that checkpoint, and Rebuild replays the log from position 0 into an
// emptied projection, giving the live result.
//
// Backends: projections/pgdocs (Postgres, pgx) and projections/sqlitedocs (SQLite); both run the
// conformance suite in projections/doctest.
package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goflow-dev/goflow/eventstore"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrNotFound: no document with that key.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a malformed key, projection name, document or list parameter.
	ErrInvalid = errors.New("invalid")
)

// List limits.
const (
	DefaultListLimit = 50
	MaxListLimit     = 500
	// MaxKeyLength is the longest document key (and projection name) accepted.
	MaxKeyLength = 512
)

// Doc is one read-model document.
type Doc struct {
	Key string
	// Data is the document's JSON.
	Data json.RawMessage
	// Version is what the projection says it is: for aggregate-state projections, the stream
	// version the state was folded to.
	Version   int64
	UpdatedAt time.Time
}

// ListParams selects a page of a projection's documents, in bytewise key order.
type ListParams struct {
	// KeyPrefix keeps only keys that start with it ("app1/" lists one app's scripts).
	KeyPrefix string
	// After is the cursor: only keys greater than it (the previous page's next value).
	After string
	// Before, if set, keeps only keys less than it (an exclusive upper bound, e.g. the end of a
	// time range in the script log).
	Before string
	// Limit is the page size; 0 means DefaultListLimit, more than MaxListLimit is MaxListLimit.
	Limit int
}

// DocStore keeps the documents and checkpoints of every projection.
type DocStore interface {
	// Update runs fn in one transaction and commits its writes together with the projection's
	// checkpoint: the cursor of the last applied event, and events more applied events (added to
	// the projection's count). If fn fails nothing is written and its error is returned.
	// Updates of one projection are serialized.
	Update(ctx context.Context, projection string, fn func(tx DocTx) error, checkpoint, events int64) error
	// Checkpoint returns the projection's cursor and event count, zeros if it has none.
	Checkpoint(ctx context.Context, projection string) (position, events int64, err error)
	// Get returns one document, or ErrNotFound.
	Get(ctx context.Context, projection, key string) (Doc, error)
	// Version returns a document's version without its data (cheap freshness checks for caches),
	// or ErrNotFound.
	Version(ctx context.Context, projection, key string) (int64, error)
	// List returns a page of documents ordered by key, and the cursor of the next page ("" when
	// this page is the last).
	List(ctx context.Context, projection string, p ListParams) (docs []Doc, next string, err error)
	// Reset deletes the projection's documents and checkpoint, in one transaction.
	Reset(ctx context.Context, projection string) error
	// Reached reports whether the projection's checkpoint is at or past position in the global
	// log's order (positions are cursors; in Postgres their numeric order is not log order). A
	// position not (yet) readable in the log is not reached; position 0 always is.
	Reached(ctx context.Context, projection string, position int64) (bool, error)
	// EventCount returns how many events the global log holds (for progress reports).
	EventCount(ctx context.Context) (int64, error)
}

// DocTx is a projection's view of one Update. Implementations buffer: reads are cached, writes are
// kept in memory and flushed with multi-row statements at commit, so applying thousands of events
// in one transaction costs a few round trips, not thousands.
type DocTx interface {
	// Get returns a document as this transaction sees it (its own writes included); false if
	// there is none.
	Get(key string) (Doc, bool, error)
	// Put writes a document.
	Put(key string, data json.RawMessage, version int64) error
	// Delete removes a document (a no-op if there is none).
	Delete(key string) error
	// Prefetch loads the documents of keys not yet seen by this transaction in one query, so that
	// later Gets of them need no round trip.
	Prefetch(keys []string) error
	// Local returns this transaction's value under key, creating it with init on first use.
	// Projections keep decoded documents there between the events of one transaction.
	Local(key any, init func() any) any
	// BeforeFlush registers fn to run when fn's Update returns successfully, before the writes are
	// flushed; fn may Put and Delete. Projections use it to encode their cached documents once per
	// transaction instead of once per event.
	BeforeFlush(fn func() error)
}

// Projection turns events into documents. Apply must be idempotent per event (the at-least-once
// seam): state projections skip events whose StreamVersion is not above the stored document's
// version, log projections key their entries by event id. Apply sees every event of the log and
// ignores those it does not project.
type Projection interface {
	Name() string
	Apply(ctx context.Context, tx DocTx, e eventstore.Envelope) error
}

// SelectiveProjection is implemented by projections that can tell from an envelope alone that
// they ignore an event. The live runner then spends no transaction on it: the projection's
// checkpoint moves past it with the next event it does handle, or shortly after (so that
// WaitFor is not held up). With a dozen projections and most events mattering to one or two of
// them, this divides the runner's transactions by about ten.
type SelectiveProjection interface {
	Projection
	Handles(e eventstore.Envelope) bool
}

// KeyedProjection is implemented by projections that can tell which documents an event will read.
// Rebuild prefetches a whole page's documents with it in one query.
type KeyedProjection interface {
	Projection
	Keys(e eventstore.Envelope) []string
}

// ValidateName checks a projection name.
func ValidateName(name string) error { return validText("projection name", name) }

// ValidateKey checks a document key: non-empty, at most MaxKeyLength bytes of UTF-8 without NUL
// (what Postgres text can hold, so both backends accept the same keys).
func ValidateKey(key string) error { return validText("key", key) }

func validText(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: empty %s", ErrInvalid, what)
	case len(s) > MaxKeyLength:
		return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalid, what, MaxKeyLength)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, what)
	case strings.IndexByte(s, 0) >= 0:
		return fmt.Errorf("%w: %s contains a NUL byte", ErrInvalid, what)
	}
	return nil
}

// KeyRange is ListParams resolved into bounds on the key, for the backends' queries.
type KeyRange struct {
	// After is an exclusive lower bound ("" for none); From an inclusive one ("" for none).
	After, From string
	// Below is an exclusive upper bound, "" for none.
	Below string
	// Limit is the resolved page size.
	Limit int
}

// Resolve validates p and turns it into key bounds: a prefix P becomes From = P and Below = the
// least string greater than every string that starts with P.
func (p ListParams) Resolve() (KeyRange, error) {
	for _, f := range []struct{ what, s string }{{"key prefix", p.KeyPrefix}, {"cursor", p.After}, {"upper bound", p.Before}} {
		if f.s == "" {
			continue
		}
		if err := validText(f.what, f.s); err != nil {
			return KeyRange{}, err
		}
	}
	if p.Limit < 0 {
		return KeyRange{}, fmt.Errorf("%w: negative limit %d", ErrInvalid, p.Limit)
	}
	r := KeyRange{After: p.After, From: p.KeyPrefix, Below: p.Before, Limit: p.Limit}
	if r.Limit == 0 {
		r.Limit = DefaultListLimit
	}
	r.Limit = min(r.Limit, MaxListLimit)
	if end := prefixEnd(p.KeyPrefix); end != "" && (r.Below == "" || end < r.Below) {
		r.Below = end
	}
	return r, nil
}

// Page cuts a backend's result, queried with LIMIT r.Limit+1, to r.Limit documents and returns
// the next page's cursor: the last key kept, or "" when the extra row shows this page is the last.
func (r KeyRange) Page(docs []Doc) ([]Doc, string) {
	if len(docs) <= r.Limit {
		return docs, ""
	}
	docs = docs[:r.Limit]
	return docs, docs[len(docs)-1].Key
}

// prefixEnd returns the least string greater than every string that starts with p, in bytewise
// (= code point) order: p with its last rune incremented, after dropping trailing runes that
// cannot be. "" means no bound.
func prefixEnd(p string) string {
	for p != "" {
		r, size := utf8.DecodeLastRuneInString(p)
		p = p[:len(p)-size]
		if r == utf8.MaxRune {
			continue
		}
		r++
		if r >= 0xD800 && r <= 0xDFFF { // surrogates are not valid in UTF-8
			r = 0xE000
		}
		return p + string(r)
	}
	return ""
}
