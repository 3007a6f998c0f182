package textot_test

import (
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/realtime/textot"
)

// Generators shared by the property tests and the fuzz target.

// source is the randomness a generator draws from: a seeded *rand.Rand in property tests, the
// fuzzer's bytes in FuzzTransform.
type source interface {
	IntN(n int) int
}

// byteSource reads fuzz input as a stream of choices; once it is used up every choice is 0, which
// ends every loop of the generators.
type byteSource struct{ data []byte }

func (s *byteSource) IntN(n int) int {
	if len(s.data) == 0 || n <= 0 {
		return 0
	}
	v := int(s.data[0])
	s.data = s.data[1:]
	return v % n
}

// textAlphabet mixes every UTF-8 length and both UTF-16 lengths: ASCII, a newline, 2-byte é,
// 3-byte CJK and 4-byte characters outside the BMP (two UTF-16 units each).
const textAlphabet = "ab \n{}é中文😀🎉𝄞"

// randText returns up to maxRunes characters of textAlphabet.
func randText(src source, maxRunes int) string {
	alphabet := []rune(textAlphabet)
	n := src.IntN(maxRunes + 1)
	out := make([]rune, n)
	for i := range out {
		out[i] = alphabet[src.IntN(len(alphabet))]
	}
	return string(out)
}

// boundaries returns the UTF-16 offset of every character boundary of s, 0 and Len16(s) included:
// the positions an op may use.
func boundaries(s string) []int {
	out := []int{0}
	u := 0
	for _, r := range s {
		u += utf16.RuneLen(r)
		out = append(out, u)
	}
	return out
}

// randOp returns a random valid op on text with up to 5 edits: touching edits, edits at the end,
// replacements, pure inserts and deletes, and now and then a no-op edit. ins makes the inserts.
func randOp(src source, text string, ins func() string) textot.Op {
	bounds := boundaries(text)
	var o textot.Op
	i := 0 // index in bounds where the next edit may start
	for k := src.IntN(6); k > 0; k-- {
		gap := src.IntN(4) // 0 makes the edit touch the previous one
		if src.IntN(4) == 0 {
			gap = src.IntN(len(bounds) + 1)
		}
		i += gap
		if i >= len(bounds) {
			break
		}
		j := min(i+src.IntN(4), len(bounds)-1)
		insert := ""
		if src.IntN(3) > 0 {
			insert = ins()
		}
		o = append(o, textot.Edit{Pos: bounds[i], Delete: bounds[j] - bounds[i], Insert: insert})
		i = j
	}
	return o
}

// randInsert returns an insert maker drawing from textAlphabet.
func randInsert(src source) func() string {
	return func() string { return randText(src, 3) }
}

// applyUTF16 is the reference Apply: it edits the text as a slice of UTF-16 units, the way a
// JavaScript client does.
func applyUTF16(t testing.TB, text string, o textot.Op) string {
	t.Helper()
	units := utf16.Encode([]rune(text))
	var out []uint16
	at := 0
	for _, e := range o {
		require.GreaterOrEqual(t, e.Pos, at, "reference apply: edits out of order")
		out = append(out, units[at:e.Pos]...)
		out = append(out, utf16.Encode([]rune(e.Insert))...)
		at = e.Pos + e.Delete
	}
	out = append(out, units[at:]...)
	return string(utf16.Decode(out))
}

// mustApply applies o and fails the test on an error.
func mustApply(t testing.TB, text string, o textot.Op) string {
	t.Helper()
	got, err := textot.Apply(text, o)
	require.NoError(t, err, "apply %+v to %q", o, text)
	return got
}
