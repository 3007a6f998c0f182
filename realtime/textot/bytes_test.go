package textot_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/realtime/textot"
)

func TestToBytes(t *testing.T) {
	t.Parallel()
	// "a😀é中b": a is 1 byte and 1 unit, 😀 4 bytes and 2 units, é 2 and 1, 中 3 and 1.
	const text = "a😀é中b"
	tests := []struct {
		name string
		op   textot.Op
		want []domain.TextEdit
	}{
		{"empty", nil, nil},
		{"insert at the start", textot.Op{{Pos: 0, Insert: "x"}}, []domain.TextEdit{{Pos: 0, Insert: "x"}}},
		{"delete the emoji", textot.Op{{Pos: 1, Delete: 2}}, []domain.TextEdit{{Pos: 1, Delete: 4}}},
		{"replace é and 中", textot.Op{{Pos: 3, Delete: 2, Insert: "😀"}}, []domain.TextEdit{{Pos: 5, Delete: 5, Insert: "😀"}}},
		{"insert at the end", textot.Op{{Pos: 6, Insert: "!"}}, []domain.TextEdit{{Pos: 11, Insert: "!"}}},
		{"several edits, a no-op kept", textot.Op{{Pos: 0, Delete: 1}, {Pos: 3}, {Pos: 4, Delete: 2, Insert: "z"}},
			[]domain.TextEdit{{Pos: 0, Delete: 1}, {Pos: 5}, {Pos: 7, Delete: 4, Insert: "z"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := textot.ToBytes(text, tt.op)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			back, err := textot.FromBytes(text, got)
			require.NoError(t, err)
			require.Equal(t, tt.op, back)
		})
	}
}

func TestToBytesRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		op         textot.Op
		wantErr    string
	}{
		{"inside a surrogate pair", "a😀", textot.Op{{Pos: 2, Delete: 1}}, "inside a surrogate pair"},
		{"out of range", "a😀", textot.Op{{Pos: 4}}, "out of range"},
		{"invalid text", "\xffa", textot.Op{{Pos: 0}}, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := textot.ToBytes(tt.text, tt.op)
			require.ErrorIs(t, err, textot.ErrInvalid)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestFromBytesRejects(t *testing.T) {
	t.Parallel()
	const text = "a😀é"
	tests := []struct {
		name    string
		text    string
		edits   []domain.TextEdit
		wantErr string
	}{
		{"inside a UTF-8 sequence", text, []domain.TextEdit{{Pos: 2, Insert: "x"}}, "byte edit 0: offset 2 splits a character"},
		{"delete ending inside a UTF-8 sequence", text, []domain.TextEdit{{Pos: 1, Delete: 5}}, "offset 6 splits a character"},
		{"past the end", text, []domain.TextEdit{{Pos: 8}}, "out of range (text is 7 bytes)"},
		{"out of order", text, []domain.TextEdit{{Pos: 5}, {Pos: 1}}, "byte edit 1"},
		{"overlapping", text, []domain.TextEdit{{Pos: 0, Delete: 5}, {Pos: 1}}, "out of order"},
		{"negative delete", text, []domain.TextEdit{{Pos: 0, Delete: -1}}, "out of order or out of range"},
		{"invalid insert", text, []domain.TextEdit{{Pos: 0, Insert: "\xe4\xb8"}}, "inserts invalid UTF-8"},
		{"invalid text", "a\xff", []domain.TextEdit{{Pos: 0}}, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := textot.FromBytes(tt.text, tt.edits)
			require.ErrorIs(t, err, textot.ErrInvalid)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestBytesAgreeWithDomain(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(31, 37))
	for i := range 5000 {
		text := randText(rng, 20)
		o := randOp(rng, text, randInsert(rng))
		edits, err := textot.ToBytes(text, o)
		require.NoError(t, err, "case %d", i)
		viaDomain, err := domain.ApplyTextEdits(text, edits)
		require.NoError(t, err, "case %d: %+v", i, edits)
		require.Equal(t, mustApply(t, text, o), viaDomain, "case %d: S=%q o=%+v bytes=%+v", i, text, o, edits)

		back, err := textot.FromBytes(text, edits)
		require.NoError(t, err, "case %d", i)
		require.Equal(t, o, back, "case %d", i)

		// The domain's own diff converts too, and means the same thing.
		target := randText(rng, 20)
		diff := domain.TextEditsBetween(text, target)
		op, err := textot.FromBytes(text, diff)
		require.NoError(t, err, "case %d", i)
		require.Equal(t, target, mustApply(t, text, op), "case %d", i)
	}
}
