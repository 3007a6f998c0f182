package textot_test

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/realtime/textot"
)

func TestLen16(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"é", 1},
		{"中文", 2},
		{"😀", 2},
		{"a😀b𝄞", 6},
		{"\xff", 1}, // invalid byte: U+FFFD once converted
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, textot.Len16(tt.s), "Len16(%q)", tt.s)
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		text    string
		op      textot.Op
		want    string
		wantErr string // substring of the error; "" when Apply succeeds
	}{
		{"empty op", "abc", nil, "abc", ""},
		{"empty text, empty op", "", nil, "", ""},
		{"insert into empty text", "", textot.Op{{Pos: 0, Insert: "x"}}, "x", ""},
		{"insert at the end", "abc", textot.Op{{Pos: 3, Insert: "d"}}, "abcd", ""},
		{"delete at the end", "abc", textot.Op{{Pos: 2, Delete: 1}}, "ab", ""},
		{"replace everything", "abc", textot.Op{{Pos: 0, Delete: 3, Insert: "xyz!"}}, "xyz!", ""},
		{"positions refer to the base text", "abcdef", textot.Op{{Pos: 1, Delete: 1, Insert: "XX"}, {Pos: 4, Delete: 1, Insert: "Y"}}, "aXXcdYf", ""},
		{"touching edits", "abcdef", textot.Op{{Pos: 1, Delete: 1, Insert: "X"}, {Pos: 2, Delete: 1, Insert: "Y"}}, "aXYdef", ""},
		{"insert then delete at one position", "abcdef", textot.Op{{Pos: 1, Insert: "X"}, {Pos: 1, Delete: 1}}, "aXcdef", ""},
		{"two inserts at one position keep their order", "ab", textot.Op{{Pos: 1, Insert: "X"}, {Pos: 1, Insert: "Y"}}, "aXYb", ""},
		{"no-op edit", "ab", textot.Op{{Pos: 1}}, "ab", ""},
		{"delete an emoji", "a😀b", textot.Op{{Pos: 1, Delete: 2}}, "ab", ""},
		{"insert after an emoji", "a😀b", textot.Op{{Pos: 3, Insert: "!"}}, "a😀!b", ""},
		{"insert at the end after an emoji", "😀", textot.Op{{Pos: 2, Insert: "🎉"}}, "😀🎉", ""},
		{"replace CJK", "中文", textot.Op{{Pos: 1, Delete: 1, Insert: "国"}}, "中国", ""},
		{"edits around several emoji", "😀é😀", textot.Op{{Pos: 2, Delete: 1, Insert: "e"}, {Pos: 5, Insert: "x"}}, "😀e😀x", ""},

		{"position inside a surrogate pair", "a😀b", textot.Op{{Pos: 2, Insert: "x"}}, "", "inside a surrogate pair"},
		{"delete ending inside a surrogate pair", "a😀b", textot.Op{{Pos: 0, Delete: 2}}, "", "inside a surrogate pair"},
		{"second edit inside a surrogate pair", "a😀b😀", textot.Op{{Pos: 0, Delete: 1}, {Pos: 5, Delete: 1}}, "", "edit 1: position 5 is inside a surrogate pair"},
		{"insert past the end", "abc", textot.Op{{Pos: 4, Insert: "x"}}, "", "out of range (text is 3 UTF-16 units)"},
		{"delete past the end", "abc", textot.Op{{Pos: 2, Delete: 2}}, "", "out of range"},
		{"emoji counts two units", "😀", textot.Op{{Pos: 0, Delete: 3}}, "", "out of range (text is 2 UTF-16 units)"},
		{"out of order", "abcdef", textot.Op{{Pos: 3, Delete: 1}, {Pos: 1, Delete: 1}}, "", "edit 1 at 1 is out of order"},
		{"overlapping", "abcdef", textot.Op{{Pos: 1, Delete: 2}, {Pos: 2, Delete: 1}}, "", "overlaps"},
		{"negative delete", "abc", textot.Op{{Pos: 1, Delete: -1}}, "", "deletes -1 units"},
		{"negative position", "abc", textot.Op{{Pos: -1}}, "", "negative position"},
		{"huge delete", "abc", textot.Op{{Pos: 1, Delete: int(^uint(0) >> 1)}}, "", "out of range"},
		{"invalid UTF-8 insert", "abc", textot.Op{{Pos: 1, Insert: "\xff"}}, "", "inserts invalid UTF-8"},
		{"invalid UTF-8 text", "a\xffb", textot.Op{{Pos: 0, Insert: "x"}}, "", "text is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := textot.Apply(tt.text, tt.op)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, textot.ErrInvalid)
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.want, applyUTF16(t, tt.text, tt.op), "the reference agrees")
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	many := func(n int) textot.Op {
		o := make(textot.Op, n)
		for i := range o {
			o[i] = textot.Edit{Pos: i, Delete: 1}
		}
		return o
	}
	tests := []struct {
		name    string
		op      textot.Op
		baseLen int
		wantErr string
	}{
		{"empty", nil, 0, ""},
		{"insert into empty text", textot.Op{{Pos: 0, Insert: "x"}}, 0, ""},
		{"edit at the end", textot.Op{{Pos: 5, Insert: "x"}}, 5, ""},
		{"delete up to the end", textot.Op{{Pos: 3, Delete: 2}}, 5, ""},
		{"no-op edits are allowed", textot.Op{{Pos: 1}, {Pos: 1}, {Pos: 2}}, 5, ""},
		{"touching edits", textot.Op{{Pos: 1, Delete: 1}, {Pos: 2, Delete: 1}}, 5, ""},
		{"MaxEdits edits", many(textot.MaxEdits), textot.MaxEdits, ""},

		{"too many edits", many(textot.MaxEdits + 1), textot.MaxEdits + 1, "10001 edits, at most 10000 allowed"},
		{"position past the end", textot.Op{{Pos: 6}}, 5, "edit 0 [6,+0) is out of range (text is 5 UTF-16 units)"},
		{"delete past the end", textot.Op{{Pos: 4, Delete: 2}}, 5, "out of range"},
		{"insert into nothing", textot.Op{{Pos: 1, Insert: "x"}}, 0, "out of range"},
		{"out of order", textot.Op{{Pos: 2}, {Pos: 1}}, 5, "edit 1 at 1 is out of order"},
		{"overlapping", textot.Op{{Pos: 0, Delete: 3}, {Pos: 2, Delete: 1}}, 5, "overlaps the edit before it (which ends at 3)"},
		{"negative delete", textot.Op{{Pos: 0, Delete: -2}}, 5, "deletes -2 units"},
		{"negative position", textot.Op{{Pos: -3, Insert: "x"}}, 5, "negative position -3"},
		{"invalid UTF-8 insert", textot.Op{{Pos: 0, Insert: "a\xc3"}}, 5, "edit 0 inserts invalid UTF-8"},
		{"negative base length", nil, -1, "negative base length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.op.Validate(tt.baseLen)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, textot.ErrInvalid)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestApplyIgnoresEditLimit(t *testing.T) {
	t.Parallel()
	// Transform can grow an op past MaxEdits (a long delete cut by many inserts of the other op),
	// and the server must still be able to apply it.
	o := make(textot.Op, textot.MaxEdits+1)
	for i := range o {
		o[i] = textot.Edit{Pos: i, Delete: 1, Insert: "b"}
	}
	text := make([]byte, len(o))
	for i := range text {
		text[i] = 'a'
	}
	got, err := textot.Apply(string(text), o)
	require.NoError(t, err)
	require.Len(t, got, len(o))
	require.NotContains(t, got, "a")
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		op   textot.Op
		want textot.Op
	}{
		{"nil", nil, nil},
		{"only no-ops", textot.Op{{Pos: 0}, {Pos: 3}}, nil},
		{"already normal", textot.Op{{Pos: 1, Delete: 1}, {Pos: 3, Insert: "x"}}, textot.Op{{Pos: 1, Delete: 1}, {Pos: 3, Insert: "x"}}},
		{"touching edits merge", textot.Op{{Pos: 1, Delete: 1, Insert: "x"}, {Pos: 2, Delete: 1, Insert: "y"}}, textot.Op{{Pos: 1, Delete: 2, Insert: "xy"}}},
		{"edits at one position merge in order", textot.Op{{Pos: 1, Insert: "a"}, {Pos: 1, Insert: "b"}, {Pos: 1, Delete: 2}}, textot.Op{{Pos: 1, Delete: 2, Insert: "ab"}}},
		{"a no-op between touching edits", textot.Op{{Pos: 1, Delete: 1, Insert: "x"}, {Pos: 2}, {Pos: 2, Delete: 1, Insert: "y"}}, textot.Op{{Pos: 1, Delete: 2, Insert: "xy"}}},
		{"a no-op in a gap joins nothing", textot.Op{{Pos: 1, Delete: 1}, {Pos: 3}, {Pos: 4, Delete: 1}}, textot.Op{{Pos: 1, Delete: 1}, {Pos: 4, Delete: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, textot.Normalize(tt.op))
		})
	}
}

func TestApplyMatchesUTF16Reference(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		text := randText(rng, 20)
		o := randOp(rng, text, randInsert(rng))
		require.NoError(t, o.Validate(textot.Len16(text)), "case %d: generator made an invalid op", i)
		got := mustApply(t, text, o)
		require.Equal(t, applyUTF16(t, text, o), got, "case %d: %q %+v", i, text, o)

		n := textot.Normalize(o)
		require.Equal(t, got, mustApply(t, text, n), "case %d: normalizing changed the result of %+v", i, o)
		require.Equal(t, n, textot.Normalize(n), "case %d: Normalize is idempotent", i)
		for j, e := range n {
			require.True(t, e.Delete > 0 || e.Insert != "", "case %d: no-op edit %d left in %+v", i, j, n)
			if j > 0 {
				require.Greater(t, e.Pos, n[j-1].Pos+n[j-1].Delete, "case %d: touching edits left in %+v", i, n)
			}
		}
	}
}

func TestPositionInsideEverySurrogatePairIsRejected(t *testing.T) {
	t.Parallel()
	text := "x😀中𝄞🎉"
	units := utf16.Encode([]rune(text))
	for pos := 0; pos <= len(units); pos++ {
		inside := pos > 0 && pos < len(units) && utf16.IsSurrogate(rune(units[pos])) && utf16.IsSurrogate(rune(units[pos-1])) &&
			units[pos-1] < 0xDC00 // high then low surrogate: pos splits the pair
		_, err := textot.Apply(text, textot.Op{{Pos: pos, Insert: "!"}})
		if inside {
			require.ErrorIs(t, err, textot.ErrInvalid, "position %d", pos)
		} else {
			require.NoError(t, err, "position %d", pos)
		}
	}
}

func TestEditJSON(t *testing.T) {
	t.Parallel()
	// The wire form the browser sends: zero Delete and empty Insert are left out.
	o := textot.Op{{Pos: 3, Insert: "😀"}, {Pos: 7, Delete: 2}}
	raw, err := json.Marshal(o)
	require.NoError(t, err)
	require.JSONEq(t, `[{"pos":3,"insert":"😀"},{"pos":7,"delete":2}]`, string(raw))
	var back textot.Op
	require.NoError(t, json.Unmarshal(raw, &back))
	require.Equal(t, o, back)

	// A lone surrogate from JavaScript decodes to U+FFFD, which still counts one unit.
	var lone textot.Op
	require.NoError(t, json.Unmarshal([]byte(`[{"pos":0,"insert":"\ud83d"}]`), &lone))
	require.Equal(t, 1, textot.Len16(lone[0].Insert))
	require.NoError(t, lone.Validate(0))
}
