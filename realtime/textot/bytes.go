package textot

import (
	"fmt"
	"unicode/utf8"

	"github.com/goflow-dev/goflow/domain"
)

// ToBytes converts o, an op on text, to the byte edits domain.ApplyTextEdits applies to the same
// text, edit for edit. It rejects what Apply rejects.
func ToBytes(text string, o Op) ([]domain.TextEdit, error) {
	spans, err := byteSpans(text, o)
	if err != nil {
		return nil, err
	}
	if len(o) == 0 {
		return nil, nil
	}
	out := make([]domain.TextEdit, len(o))
	for i, e := range o {
		out[i] = domain.TextEdit{Pos: spans[i].start, Delete: spans[i].end - spans[i].start, Insert: e.Insert}
	}
	return out, nil
}

// FromBytes converts byte edits on text (as domain.ApplyTextEdits takes them) to an op on the same
// text, edit for edit: the inverse of ToBytes. Edits out of order or range, splitting a UTF-8
// sequence, or with an invalid UTF-8 text or insert are rejected with a wrapped ErrInvalid.
func FromBytes(text string, edits []domain.TextEdit) (Op, error) {
	if !utf8.ValidString(text) {
		return nil, fmt.Errorf("%w: text is not valid UTF-8", ErrInvalid)
	}
	if len(edits) == 0 {
		return nil, nil
	}
	out := make(Op, len(edits))
	c := cursor{text: text}
	at := 0 // end of the previous edit, in bytes
	for i, e := range edits {
		switch {
		case e.Pos < at || e.Delete < 0 || e.Pos > len(text) || e.Delete > len(text)-e.Pos:
			return nil, fmt.Errorf("%w: byte edit %d [%d,+%d) is out of order or out of range (text is %d bytes)", ErrInvalid, i, e.Pos, e.Delete, len(text))
		case !utf8.ValidString(e.Insert):
			return nil, fmt.Errorf("%w: byte edit %d inserts invalid UTF-8", ErrInvalid, i)
		}
		start, ok := c.toByte(e.Pos)
		if !ok {
			return nil, fmt.Errorf("%w: byte edit %d: offset %d splits a character", ErrInvalid, i, e.Pos)
		}
		end, ok := c.toByte(e.Pos + e.Delete)
		if !ok {
			return nil, fmt.Errorf("%w: byte edit %d: offset %d splits a character", ErrInvalid, i, e.Pos+e.Delete)
		}
		out[i] = Edit{Pos: start, Delete: end - start, Insert: e.Insert}
		at = e.Pos + e.Delete
	}
	return out, nil
}
