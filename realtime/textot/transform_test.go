package textot_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/realtime/textot"
)

func TestTransform(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		text           string
		a, b           textot.Op // b is the op the server committed first
		aPrime, bPrime textot.Op
		want           string
	}{
		{
			name: "inserts at the same position: b's first",
			text: "ab", a: textot.Op{{Pos: 1, Insert: "A"}}, b: textot.Op{{Pos: 1, Insert: "B"}},
			aPrime: textot.Op{{Pos: 2, Insert: "A"}}, bPrime: textot.Op{{Pos: 1, Insert: "B"}},
			want: "aBAb",
		},
		{
			name: "inserts at the start of an empty text",
			text: "", a: textot.Op{{Pos: 0, Insert: "a😀"}}, b: textot.Op{{Pos: 0, Insert: "b"}},
			aPrime: textot.Op{{Pos: 1, Insert: "a😀"}}, bPrime: textot.Op{{Pos: 0, Insert: "b"}},
			want: "ba😀",
		},
		{
			name: "inserts at the end",
			text: "x", a: textot.Op{{Pos: 1, Insert: "A"}}, b: textot.Op{{Pos: 1, Insert: "B"}},
			aPrime: textot.Op{{Pos: 2, Insert: "A"}}, bPrime: textot.Op{{Pos: 1, Insert: "B"}},
			want: "xBA",
		},
		{
			name: "inserts at different positions shift each other",
			text: "abcd", a: textot.Op{{Pos: 3, Insert: "A"}}, b: textot.Op{{Pos: 1, Insert: "BB"}},
			aPrime: textot.Op{{Pos: 5, Insert: "A"}}, bPrime: textot.Op{{Pos: 1, Insert: "BB"}},
			want: "aBBbcAd",
		},
		{
			name: "overlapping deletes delete once",
			text: "abcdef", a: textot.Op{{Pos: 1, Delete: 3}}, b: textot.Op{{Pos: 2, Delete: 3}},
			aPrime: textot.Op{{Pos: 1, Delete: 1}}, bPrime: textot.Op{{Pos: 1, Delete: 1}},
			want: "af",
		},
		{
			name: "the same delete twice",
			text: "abcdef", a: textot.Op{{Pos: 2, Delete: 2}}, b: textot.Op{{Pos: 2, Delete: 2}},
			aPrime: nil, bPrime: nil,
			want: "abef",
		},
		{
			name: "a's insert inside b's delete survives where the range was",
			text: "abcdef", a: textot.Op{{Pos: 3, Insert: "X"}}, b: textot.Op{{Pos: 1, Delete: 4}},
			aPrime: textot.Op{{Pos: 1, Insert: "X"}}, bPrime: textot.Op{{Pos: 1, Delete: 2}, {Pos: 4, Delete: 2}},
			want: "aXf",
		},
		{
			name: "b's insert inside a's delete survives where the range was",
			text: "abcdef", a: textot.Op{{Pos: 1, Delete: 4}}, b: textot.Op{{Pos: 3, Insert: "X"}},
			aPrime: textot.Op{{Pos: 1, Delete: 2}, {Pos: 4, Delete: 2}}, bPrime: textot.Op{{Pos: 1, Insert: "X"}},
			want: "aXf",
		},
		{
			name: "an insert at the start of the other's delete",
			text: "abcd", a: textot.Op{{Pos: 1, Insert: "X"}}, b: textot.Op{{Pos: 1, Delete: 2}},
			aPrime: textot.Op{{Pos: 1, Insert: "X"}}, bPrime: textot.Op{{Pos: 2, Delete: 2}},
			want: "aXd",
		},
		{
			name: "an insert at the end of the other's delete",
			text: "abcd", a: textot.Op{{Pos: 3, Insert: "X"}}, b: textot.Op{{Pos: 1, Delete: 2}},
			aPrime: textot.Op{{Pos: 1, Insert: "X"}}, bPrime: textot.Op{{Pos: 1, Delete: 2}},
			want: "aXd",
		},
		{
			name: "an insert inside a replaced range goes after the replacement",
			text: "abcdef", a: textot.Op{{Pos: 1, Delete: 3, Insert: "R"}}, b: textot.Op{{Pos: 2, Insert: "X"}},
			aPrime: textot.Op{{Pos: 1, Delete: 1, Insert: "R"}, {Pos: 3, Delete: 2}}, bPrime: textot.Op{{Pos: 2, Insert: "X"}},
			want: "aRXef",
		},
		{
			name: "a's insert after its own delete counts as at the start of that range",
			text: "abcdef", a: textot.Op{{Pos: 1, Delete: 2}, {Pos: 3, Insert: "A"}}, b: textot.Op{{Pos: 3, Insert: "B"}},
			aPrime: textot.Op{{Pos: 1, Delete: 2, Insert: "A"}}, bPrime: textot.Op{{Pos: 2, Insert: "B"}},
			want: "aABdef",
		},
		{
			name: "the same range replaced by both: b's text first",
			text: "abcd", a: textot.Op{{Pos: 1, Delete: 2, Insert: "A"}}, b: textot.Op{{Pos: 1, Delete: 2, Insert: "B"}},
			aPrime: textot.Op{{Pos: 2, Insert: "A"}}, bPrime: textot.Op{{Pos: 1, Insert: "B"}},
			want: "aBAd",
		},
		{
			name: "emoji deleted by one, text inserted after it by the other",
			text: "😀😀", a: textot.Op{{Pos: 2, Insert: "x"}}, b: textot.Op{{Pos: 0, Delete: 2}},
			aPrime: textot.Op{{Pos: 0, Insert: "x"}}, bPrime: textot.Op{{Pos: 0, Delete: 2}},
			want: "x😀",
		},
		{
			name: "multi-edit ops",
			text: "中文 text 😀", a: textot.Op{{Pos: 0, Delete: 1, Insert: "汉"}, {Pos: 3, Insert: "new "}, {Pos: 8, Delete: 2}},
			b:      textot.Op{{Pos: 1, Insert: "字"}, {Pos: 7, Delete: 1, Insert: "_"}},
			aPrime: textot.Op{{Pos: 0, Delete: 1, Insert: "汉"}, {Pos: 4, Insert: "new "}, {Pos: 9, Delete: 2}},
			bPrime: textot.Op{{Pos: 1, Insert: "字"}, {Pos: 11, Delete: 1, Insert: "_"}},
			want:   "汉字文 new text_",
		},
		{
			name: "an empty a",
			text: "abc", a: nil, b: textot.Op{{Pos: 1, Delete: 1}, {Pos: 2}},
			aPrime: nil, bPrime: textot.Op{{Pos: 1, Delete: 1}},
			want: "ac",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			aPrime, bPrime := textot.Transform(tt.a, tt.b)
			require.Equal(t, tt.aPrime, aPrime, "aPrime")
			require.Equal(t, tt.bPrime, bPrime, "bPrime")
			require.Equal(t, tt.want, mustApply(t, mustApply(t, tt.text, tt.b), aPrime), "b then aPrime")
			require.Equal(t, tt.want, mustApply(t, mustApply(t, tt.text, tt.a), bPrime), "a then bPrime")
		})
	}
}

// checkTP1 asserts the transform property for ops a and b on text and that the results are
// normalized ops valid for their base texts.
func checkTP1(t testing.TB, text string, a, b textot.Op) {
	t.Helper()
	afterA, afterB := mustApply(t, text, a), mustApply(t, text, b)
	aPrime, bPrime := textot.Transform(a, b)
	require.NoError(t, aPrime.Validate(textot.Len16(afterB)), "aPrime on b's result: S=%q a=%+v b=%+v", text, a, b)
	require.NoError(t, bPrime.Validate(textot.Len16(afterA)), "bPrime on a's result: S=%q a=%+v b=%+v", text, a, b)
	require.Equal(t, mustApply(t, afterB, aPrime), mustApply(t, afterA, bPrime), "TP1: S=%q a=%+v b=%+v a'=%+v b'=%+v", text, a, b, aPrime, bPrime)
	require.Equal(t, aPrime, textot.Normalize(aPrime), "aPrime is normalized")
	require.Equal(t, bPrime, textot.Normalize(bPrime), "bPrime is normalized")
}

func TestTransformConverges(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	for range 10_000 {
		text := randText(rng, 16)
		a := randOp(rng, text, randInsert(rng))
		b := randOp(rng, text, randInsert(rng))
		checkTP1(t, text, a, b)
	}
}

func TestTransformDependsOnlyOnTheNormalForm(t *testing.T) {
	t.Parallel()
	// The server and a client must compute the same transform even when one of them holds the op
	// split differently (a client's op arrives as sent; the server may have normalized it).
	rng := rand.New(rand.NewPCG(3, 5))
	for i := range 3000 {
		text := randText(rng, 16)
		a := randOp(rng, text, randInsert(rng))
		b := randOp(rng, text, randInsert(rng))
		ap, bp := textot.Transform(a, b)
		apN, bpN := textot.Transform(textot.Normalize(a), textot.Normalize(b))
		require.Equal(t, ap, apN, "case %d", i)
		require.Equal(t, bp, bpN, "case %d", i)
	}
}

// TestTransformKeepsEveryonesText checks the promised merge semantics on texts whose characters
// are all distinct and inserts that are distinct tags: base characters survive exactly when
// neither op deletes them, every insert survives once and whole, each insert sits between the same
// surviving base characters as it did in its own op, and at a shared position b's insert comes
// first.
func TestTransformKeepsEveryonesText(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(13, 17))
	for i := range 5000 {
		// Distinct base characters, inside and outside the BMP; inserts are ASCII tags.
		var base []rune
		for j := range rng.IntN(16) {
			if rng.IntN(3) == 0 {
				base = append(base, 0x1F400+rune(j))
			} else {
				base = append(base, 0x4E00+rune(j))
			}
		}
		text := string(base)
		tags := 0
		tagger := func(who string) func() string {
			return func() string { tags++; return fmt.Sprintf("<%s%d>", who, tags) }
		}
		a := randOp(rng, text, tagger("a"))
		b := randOp(rng, text, tagger("b"))
		aPrime, _ := textot.Transform(a, b)
		got := mustApply(t, mustApply(t, text, b), aPrime)
		msg := fmt.Sprintf("case %d: S=%q a=%+v b=%+v result %q", i, text, a, b, got)

		// Which base characters survive, by UTF-16 offset.
		deleted := make([]bool, len(utf16.Encode(base)))
		for _, o := range []textot.Op{a, b} {
			for _, e := range o {
				for u := e.Pos; u < e.Pos+e.Delete; u++ {
					deleted[u] = true
				}
			}
		}
		var survivors []rune
		var survivorAt []int // UTF-16 offset of each survivor
		u := 0
		for _, r := range base {
			if !deleted[u] {
				survivors = append(survivors, r)
				survivorAt = append(survivorAt, u)
			}
			u += utf16.RuneLen(r)
		}
		require.Equal(t, string(survivors), baseRunes(got), msg)

		for _, o := range []textot.Op{a, b} {
			for _, e := range o {
				if e.Insert == "" {
					continue
				}
				require.Equal(t, 1, strings.Count(got, e.Insert), "%s: insert %s", msg, e.Insert)
				// Surviving base characters before the insert: exactly those before its position.
				before := 0
				for _, at := range survivorAt {
					if at < e.Pos {
						before++
					}
				}
				idx := strings.Index(got, e.Insert)
				require.Equal(t, before, len([]rune(baseRunes(got[:idx]))), "%s: insert %s is misplaced", msg, e.Insert)
			}
		}
		// Ties are judged on the normal forms, where an edit's insert sits at the start of its range.
		for _, ea := range textot.Normalize(a) {
			for _, eb := range textot.Normalize(b) {
				if ea.Insert != "" && eb.Insert != "" && ea.Pos == eb.Pos {
					require.Less(t, strings.Index(got, eb.Insert), strings.Index(got, ea.Insert), "%s: b's insert goes first", msg)
				}
			}
		}
	}
}

// baseRunes drops the ASCII insert tags from s.
func baseRunes(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 {
			return -1
		}
		return r
	}, s)
}

func TestCompose(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		text    string
		a, b    textot.Op
		want    textot.Op
		wantErr string
	}{
		{"typing", "abc", textot.Op{{Pos: 2, Insert: "x"}}, textot.Op{{Pos: 3, Insert: "y"}}, textot.Op{{Pos: 2, Insert: "xy"}}, ""},
		{"backspacing", "abcdef", textot.Op{{Pos: 3, Delete: 1}}, textot.Op{{Pos: 2, Delete: 1}}, textot.Op{{Pos: 2, Delete: 2}}, ""},
		{"delete part of an insert", "", textot.Op{{Pos: 0, Insert: "hello"}}, textot.Op{{Pos: 1, Delete: 3}}, textot.Op{{Pos: 0, Insert: "ho"}}, ""},
		{"delete a whole insert", "ab", textot.Op{{Pos: 1, Insert: "xyz"}}, textot.Op{{Pos: 1, Delete: 3}}, nil, ""},
		{"edit after an insert", "xyz", textot.Op{{Pos: 0, Insert: "ab"}}, textot.Op{{Pos: 4, Delete: 1}}, textot.Op{{Pos: 0, Insert: "ab"}, {Pos: 2, Delete: 1}}, ""},
		{"an emoji inserted, then text after it", "a", textot.Op{{Pos: 1, Insert: "😀"}}, textot.Op{{Pos: 3, Insert: "!"}}, textot.Op{{Pos: 1, Insert: "😀!"}}, ""},
		{"b empty", "abc", textot.Op{{Pos: 1, Delete: 1}}, nil, textot.Op{{Pos: 1, Delete: 1}}, ""},

		{"b splits an inserted surrogate pair", "", textot.Op{{Pos: 0, Insert: "😀"}}, textot.Op{{Pos: 1, Delete: 1}}, nil, "splits a surrogate pair"},
		{"malformed a", "abc", textot.Op{{Pos: 2}, {Pos: 1}}, nil, nil, "first op"},
		{"malformed b", "abc", nil, textot.Op{{Pos: 0, Delete: -1}}, nil, "second op"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := textot.Compose(tt.a, tt.b)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, textot.ErrInvalid)
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, mustApply(t, mustApply(t, tt.text, tt.a), tt.b), mustApply(t, tt.text, got))
		})
	}
}

func TestComposeMatchesSequentialApply(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(21, 22))
	for i := range 10_000 {
		text := randText(rng, 16)
		a := randOp(rng, text, randInsert(rng))
		mid := mustApply(t, text, a)
		b := randOp(rng, mid, randInsert(rng))
		c, err := textot.Compose(a, b)
		require.NoError(t, err, "case %d", i)
		require.NoError(t, c.Validate(textot.Len16(text)), "case %d", i)
		require.Equal(t, mustApply(t, mid, b), mustApply(t, text, c), "case %d: S=%q a=%+v b=%+v c=%+v", i, text, a, b, c)
		require.Equal(t, c, textot.Normalize(c), "case %d", i)
	}
}

// FuzzTransform checks TP1 for ops the fuzzer's bytes choose on its text, and that Apply, Normalize
// and Transform neither panic nor loop on arbitrary edits.
func FuzzTransform(f *testing.F) {
	f.Add("hello 😀 world", []byte{3, 1, 2, 2, 1}, []byte{3, 1, 3, 1, 1})
	f.Add("", []byte{1, 0, 0, 1}, []byte{1, 0, 0, 1})
	f.Add("中文😀é\n{}", []byte{5, 0, 1, 3, 1, 2, 0, 2, 3, 2}, []byte{4, 1, 3, 0, 2, 9, 0, 1})
	f.Fuzz(func(t *testing.T, text string, opA, opB []byte) {
		text = strings.ToValidUTF8(text, "\uFFFD")
		if len(text) > 2000 {
			text = text[:2000]
			text = strings.ToValidUTF8(text, "")
		}
		srcA, srcB := &byteSource{data: opA}, &byteSource{data: opB}
		a := randOp(srcA, text, randInsert(srcA))
		b := randOp(srcB, text, randInsert(srcB))
		checkTP1(t, text, a, b)

		// The raw bytes as edits, valid or not.
		raw := func(data []byte) textot.Op {
			var o textot.Op
			for i := 0; i+2 < len(data) && len(o) < 16; i += 3 {
				o = append(o, textot.Edit{Pos: int(int8(data[i])), Delete: int(int8(data[i+1])), Insert: string(data[i+2 : i+3])})
			}
			return o
		}
		ra, rb := raw(opA), raw(opB)
		_, _ = textot.Apply(text, ra)
		_ = textot.Normalize(ra)
		_, _ = textot.Transform(ra, rb)
		_, _ = textot.Compose(ra, rb)
	})
}
