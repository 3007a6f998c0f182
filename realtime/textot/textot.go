// Package textot is character-level operational transformation for a text that several people edit
// at once (a script open in two editors).
//
// Ops count UTF-16 code units, the units of JavaScript strings and Monaco, so a browser can send its
// edits unconverted; ToBytes and FromBytes translate to and from the byte edits the domain stores
// (domain.TextEdit). Texts and inserts are valid UTF-8 (script texts are, and encoding/json turns a
// lone surrogate sent by a browser into U+FFFD, which keeps its length of one unit).
//
// The intended model is the client-server one of Jupiter and ot.js: the server orders all ops, so
// only TP1 is needed. The server transforms an op based on version k through the ops committed
// after k, in order, as Transform(op, committed); a client transforms its pending op against each
// op it receives from the server, as Transform(pending, received), keeps aPrime as pending and
// applies bPrime to its text.
package textot

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// ErrInvalid: an op does not fit its text (out of order, overlapping, out of range, splitting a
// surrogate pair or a UTF-8 sequence) or a text or insert is not valid UTF-8.
var ErrInvalid = errors.New("invalid text op")

// MaxEdits bounds the edits of an op received from a client (see Validate).
const MaxEdits = 10_000

// Edit is one replacement in UTF-16 code units: Delete units removed at Pos of the base text,
// Insert put in their place.
type Edit struct {
	Pos    int    `json:"pos"`
	Delete int    `json:"delete,omitempty"`
	Insert string `json:"insert,omitempty"`
}

// Op is a list of edits in parallel form, exactly like []domain.TextEdit but in UTF-16 units:
// ordered by Pos, non-overlapping (an edit may start where the previous one ends), every position
// in the base text. An empty op (nil) changes nothing.
type Op []Edit

// Len16 returns the length of s in UTF-16 code units. An invalid UTF-8 byte counts as one unit, as
// it becomes U+FFFD when converted.
func Len16(s string) int {
	n := 0
	for _, r := range s {
		n += runeLen16(r)
	}
	return n
}

func runeLen16(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// Validate checks o against a base text of baseLen16 units: at most MaxEdits edits, ordered,
// non-overlapping, in range, no negative Delete, inserts valid UTF-8. No-op edits are allowed
// (Normalize drops them). It is the check for an op received from a client; ops made by Transform
// and Compose may exceed MaxEdits, so Apply does not enforce it. Whether a position splits a
// surrogate pair needs the text: Apply reports that.
func (o Op) Validate(baseLen16 int) error {
	if len(o) > MaxEdits {
		return fmt.Errorf("%w: %d edits, at most %d allowed", ErrInvalid, len(o), MaxEdits)
	}
	if baseLen16 < 0 {
		return fmt.Errorf("%w: negative base length %d", ErrInvalid, baseLen16)
	}
	return o.check(baseLen16)
}

// check is Validate without the edit limit; a negative baseLen16 skips the range check (Compose
// does not know its base text).
func (o Op) check(baseLen16 int) error {
	at := 0 // end of the previous edit
	for i, e := range o {
		switch {
		case e.Pos < 0:
			return fmt.Errorf("%w: edit %d has negative position %d", ErrInvalid, i, e.Pos)
		case e.Delete < 0:
			return fmt.Errorf("%w: edit %d deletes %d units", ErrInvalid, i, e.Delete)
		case e.Pos < at:
			return fmt.Errorf("%w: edit %d at %d is out of order or overlaps the edit before it (which ends at %d)", ErrInvalid, i, e.Pos, at)
		case e.Delete > math.MaxInt-e.Pos:
			return fmt.Errorf("%w: edit %d [%d,+%d) is out of range", ErrInvalid, i, e.Pos, e.Delete)
		case baseLen16 >= 0 && (e.Pos > baseLen16 || e.Delete > baseLen16-e.Pos):
			return fmt.Errorf("%w: edit %d [%d,+%d) is out of range (text is %d UTF-16 units)", ErrInvalid, i, e.Pos, e.Delete, baseLen16)
		case !utf8.ValidString(e.Insert):
			return fmt.Errorf("%w: edit %d inserts invalid UTF-8", ErrInvalid, i)
		}
		at = e.Pos + e.Delete
	}
	return nil
}

// Normalize returns o without no-op edits and with touching edits (one starting where the previous
// ends) merged into one, still in parallel form; nil when nothing is left. Applying it gives the
// same text. Transform and Compose normalize their inputs and return normalized ops.
func Normalize(o Op) Op {
	var b builder
	for _, e := range o {
		b.retain(e.Pos - b.pos)
		b.insert(e.Insert)
		b.delete(e.Delete)
	}
	return b.done()
}

// Apply applies o to text. An op that does not fit the text (see Validate, without the edit
// limit) or a position inside a surrogate pair is rejected with a wrapped ErrInvalid.
func Apply(text string, o Op) (string, error) {
	spans, err := byteSpans(text, o)
	if err != nil {
		return "", err
	}
	grow := len(text)
	for _, e := range o {
		grow += len(e.Insert)
	}
	var sb strings.Builder
	sb.Grow(grow)
	copied := 0
	for i, e := range o {
		sb.WriteString(text[copied:spans[i].start])
		sb.WriteString(e.Insert)
		copied = spans[i].end
	}
	sb.WriteString(text[copied:])
	return sb.String(), nil
}

// span is an edit's deleted range in bytes.
type span struct{ start, end int }

// byteSpans checks o against text and returns the byte range each edit deletes.
func byteSpans(text string, o Op) ([]span, error) {
	if !utf8.ValidString(text) {
		return nil, fmt.Errorf("%w: text is not valid UTF-8", ErrInvalid)
	}
	if err := o.check(Len16(text)); err != nil {
		return nil, err
	}
	spans := make([]span, len(o))
	c := cursor{text: text}
	for i, e := range o {
		start, ok := c.toUnit(e.Pos)
		if !ok {
			return nil, fmt.Errorf("%w: edit %d: position %d is inside a surrogate pair", ErrInvalid, i, e.Pos)
		}
		end, ok := c.toUnit(e.Pos + e.Delete)
		if !ok {
			return nil, fmt.Errorf("%w: edit %d: position %d is inside a surrogate pair", ErrInvalid, i, e.Pos+e.Delete)
		}
		spans[i] = span{start, end}
	}
	return spans, nil
}

// cursor walks a valid UTF-8 text forward, keeping its byte and UTF-16 offsets in step, so that a
// whole op is converted in one pass.
type cursor struct {
	text string
	b, u int // byte and unit offset of the same point
}

// toUnit moves to unit offset u (not before the current one, not past the end) and returns its byte
// offset; false when u is inside a surrogate pair.
func (c *cursor) toUnit(u int) (int, bool) {
	for c.u < u && c.b < len(c.text) {
		r, size := utf8.DecodeRuneInString(c.text[c.b:])
		w := runeLen16(r)
		if c.u+w > u {
			return 0, false
		}
		c.b += size
		c.u += w
	}
	return c.b, c.u == u
}

// toByte moves to byte offset b (not before the current one, not past the end) and returns its unit
// offset; false when b is inside a UTF-8 sequence.
func (c *cursor) toByte(b int) (int, bool) {
	for c.b < b && c.b < len(c.text) {
		r, size := utf8.DecodeRuneInString(c.text[c.b:])
		if c.b+size > b {
			return 0, false
		}
		c.b += size
		c.u += runeLen16(r)
	}
	return c.u, c.b == b
}

// builder assembles a normalized op from a left-to-right walk over its base text: retain skips
// text, insert and delete add to the edit at the current position.
type builder struct {
	out  Op
	pos  int // base position reached
	open bool
	cur  Edit
	ins  strings.Builder // cur's insert, gathered without quadratic concatenation
}

func (b *builder) retain(n int) {
	if n > 0 {
		b.flush()
		b.pos += n
	}
}

func (b *builder) insert(s string) {
	if s != "" {
		b.start()
		b.ins.WriteString(s)
	}
}

func (b *builder) delete(n int) {
	if n > 0 {
		b.start()
		b.cur.Delete += n
		b.pos += n
	}
}

func (b *builder) start() {
	if !b.open {
		b.open = true
		b.cur = Edit{Pos: b.pos}
	}
}

func (b *builder) flush() {
	if b.open {
		b.cur.Insert = b.ins.String()
		b.ins.Reset()
		b.out = append(b.out, b.cur)
		b.open = false
	}
}

func (b *builder) done() Op {
	b.flush()
	return b.out
}
