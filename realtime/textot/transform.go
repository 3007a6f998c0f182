package textot

import "fmt"

// Transform takes two ops on the same text S and returns aPrime, which applies after b, and bPrime,
// which applies after a, such that Apply(Apply(S, b), aPrime) == Apply(Apply(S, a), bPrime) (TP1).
//
// b is the op the server already committed, a the one arriving later:
//   - Inserts at the same position: b's text comes first.
//   - Ranges both ops delete are deleted once.
//   - Text one op inserts inside a range the other deletes survives, where the range was. Inside a
//     range a itself replaces, it goes after a's replacement text (which sits at the range start).
//   - Inserted text is never split or deleted by the other op.
//
// Ties are judged on the normalized ops, where an edit's insert sits at the start of its range:
// text an op inserts right after a range it deletes counts as inserted at the start of that range.
//
// Both ops must be valid for S (see Validate; callers check ops from the wire before transforming).
// For invalid input the result is unspecified but Transform does not panic. Transform normalizes
// its inputs first, so the result depends only on Normalize(a) and Normalize(b), and both results
// are normalized.
func Transform(a, b Op) (aPrime, bPrime Op) {
	ra, rb := newReader(a), newReader(b)
	var ap, bp builder
	for ra.ok || rb.ok {
		// Inserts first, b's before a's: an insert consumes no base text, and the tie-break is
		// that the committed op's text comes first.
		if rb.ok && rb.head.kind == insertComp {
			ap.retain(rb.head.n)
			bp.insert(rb.head.s)
			rb.next()
			continue
		}
		if ra.ok && ra.head.kind == insertComp {
			bp.retain(ra.head.n)
			ap.insert(ra.head.s)
			ra.next()
			continue
		}
		n := minLen(&ra, &rb)
		switch ka, kb := ra.kind(), rb.kind(); {
		case ka == retainComp && kb == retainComp:
			ap.retain(n)
			bp.retain(n)
		case ka == deleteComp && kb == retainComp:
			ap.delete(n)
		case ka == retainComp && kb == deleteComp:
			bp.delete(n)
		}
		// Both deleting: the text is already gone on either side.
		ra.skip(n)
		rb.skip(n)
	}
	return ap.done(), bp.done()
}

// Compose returns one op on a's base text with the effect of a followed by b (b's positions are in
// the text a produces). Clients use it to buffer local edits while an op is in flight.
//
// Malformed ops (see Validate, without range or edit limit: Compose does not know the text) and
// a b that splits a surrogate pair a inserted are rejected with a wrapped ErrInvalid. A b reaching
// past the end of a's result is not detected here; applying the composed op rejects it.
func Compose(a, b Op) (Op, error) {
	if err := a.check(-1); err != nil {
		return nil, fmt.Errorf("compose: first op: %w", err)
	}
	if err := b.check(-1); err != nil {
		return nil, fmt.Errorf("compose: second op: %w", err)
	}
	ra, rb := newReader(a), newReader(b)
	var out builder
	for ra.ok || rb.ok {
		// What a deletes b never sees; what b inserts a never saw.
		if ra.ok && ra.head.kind == deleteComp {
			out.delete(ra.head.n)
			ra.next()
			continue
		}
		if rb.ok && rb.head.kind == insertComp {
			out.insert(rb.head.s)
			rb.next()
			continue
		}
		n := minLen(&ra, &rb)
		switch ka, kb := ra.kind(), rb.kind(); {
		case ka == retainComp && kb == retainComp:
			out.retain(n)
		case ka == retainComp && kb == deleteComp:
			out.delete(n)
		case ka == insertComp:
			head, _, ok := split16(ra.head.s, n)
			if !ok {
				return nil, fmt.Errorf("compose: %w: the second op splits a surrogate pair the first inserts", ErrInvalid)
			}
			if kb == retainComp {
				out.insert(head)
			}
			// Inserted by a and deleted by b: never there.
		}
		ra.skip(n)
		rb.skip(n)
	}
	return out.done(), nil
}

// An op read as a sequence of components, as in ot.js: retain n units of the base text, insert a
// string, delete n units. The sequence of a normalized op never has two components of a kind in a
// row and puts an insert before a delete at the same position, so equal ops read the same.
type compKind uint8

const (
	retainComp compKind = iota
	insertComp
	deleteComp
)

type comp struct {
	kind compKind
	n    int    // units retained, deleted or inserted (Len16(s))
	s    string // inserted text
}

// reader yields the components of an op; past the last one it reads as an endless retain, so ops
// need not know the length of their base text.
type reader struct {
	comps []comp
	i     int
	head  comp // current component, partly consumed by skip
	ok    bool // false past the end
}

func newReader(o Op) reader {
	o = Normalize(o)
	comps := make([]comp, 0, 3*len(o))
	at := 0
	for _, e := range o {
		if e.Pos > at {
			comps = append(comps, comp{kind: retainComp, n: e.Pos - at})
		}
		if e.Insert != "" {
			comps = append(comps, comp{kind: insertComp, n: Len16(e.Insert), s: e.Insert})
		}
		if e.Delete > 0 {
			comps = append(comps, comp{kind: deleteComp, n: e.Delete})
		}
		at = e.Pos + e.Delete
	}
	r := reader{comps: comps}
	r.next()
	return r
}

func (r *reader) next() {
	r.ok = r.i < len(r.comps)
	if r.ok {
		r.head = r.comps[r.i]
		r.i++
	}
}

func (r *reader) kind() compKind {
	if !r.ok {
		return retainComp
	}
	return r.head.kind
}

// skip consumes n units of the current component (n at most its length).
func (r *reader) skip(n int) {
	if !r.ok {
		return
	}
	if r.head.n <= n {
		r.next()
		return
	}
	if r.head.kind == insertComp {
		// Compose checked the split with split16 before skipping.
		_, r.head.s, _ = split16(r.head.s, n)
	}
	r.head.n -= n
}

// minLen is the length of the shorter current component; an ended reader is endless.
func minLen(a, b *reader) int {
	switch {
	case !a.ok:
		return b.head.n
	case !b.ok:
		return a.head.n
	default:
		return min(a.head.n, b.head.n)
	}
}

// split16 splits s after n UTF-16 units; false when that is inside a surrogate pair.
func split16(s string, n int) (string, string, bool) {
	u := 0
	for i, r := range s {
		if u >= n {
			return s[:i], s[i:], u == n
		}
		u += runeLen16(r)
	}
	return s, "", u == n
}
