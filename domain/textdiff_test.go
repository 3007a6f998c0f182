package domain

// Internal tests: the minimality check needs diffTokens.

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestUnifiedDiffGolden(t *testing.T) {
	t.Parallel()
	// The expected outputs are what GNU `diff -u --label a/x.js --label b/x.js` prints.
	cases := []struct {
		name, a, b, want string
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"insert in the middle", "1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nnew\n5\n6\n7\n8\n",
			"--- a/x.js\n+++ b/x.js\n@@ -2,6 +2,7 @@\n 2\n 3\n 4\n+new\n 5\n 6\n 7\n"},
		{"delete at the start", "1\n2\n3\n4\n5\n", "3\n4\n5\n",
			"--- a/x.js\n+++ b/x.js\n@@ -1,5 +1,3 @@\n-1\n-2\n 3\n 4\n 5\n"},
		{"change the last line without newline", "1\n2\n3\n4\n5", "1\n2\n3\n4\nfive",
			"--- a/x.js\n+++ b/x.js\n@@ -2,4 +2,4 @@\n 2\n 3\n 4\n-5\n\\ No newline at end of file\n+five\n\\ No newline at end of file\n"},
		{"drop the final newline", "1\n2\n3\n4\n5\n", "1\n2\n3\n4\n5",
			"--- a/x.js\n+++ b/x.js\n@@ -2,4 +2,4 @@\n 2\n 3\n 4\n-5\n+5\n\\ No newline at end of file\n"},
		{"two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n", "1\nTWO\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\nNINETEEN\n20\n",
			"--- a/x.js\n+++ b/x.js\n@@ -1,5 +1,5 @@\n 1\n-2\n+TWO\n 3\n 4\n 5\n@@ -16,5 +16,5 @@\n 16\n 17\n 18\n-19\n+NINETEEN\n 20\n"},
		{"changes six lines apart share a hunk", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\nTWO\n3\n4\n5\n6\n7\n8\nNINE\n10\n",
			"--- a/x.js\n+++ b/x.js\n@@ -1,10 +1,10 @@\n 1\n-2\n+TWO\n 3\n 4\n 5\n 6\n 7\n 8\n-9\n+NINE\n 10\n"},
		{"from empty", "", "x\ny\n", "--- a/x.js\n+++ b/x.js\n@@ -0,0 +1,2 @@\n+x\n+y\n"},
		{"to empty", "x\ny\n", "", "--- a/x.js\n+++ b/x.js\n@@ -1,2 +0,0 @@\n-x\n-y\n"},
		{"one line", "a\n", "b\n", "--- a/x.js\n+++ b/x.js\n@@ -1 +1 @@\n-a\n+b\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := UnifiedDiff(tc.a, tc.b, "a/x.js", "b/x.js")
			require.Equal(t, tc.want, got)
			if tc.want != "" {
				require.Equal(t, tc.b, applyUnifiedDiff(t, tc.a, got))
			}
		})
	}
}

// applyUnifiedDiff is a minimal patch(1) for the diffs UnifiedDiff writes; it checks every
// context and removed line against a.
func applyUnifiedDiff(t *testing.T, a, diff string) string {
	t.Helper()
	old := splitLines(a)
	lines := strings.SplitAfter(diff, "\n")
	require.True(t, strings.HasPrefix(lines[0], "--- "))
	require.True(t, strings.HasPrefix(lines[1], "+++ "))
	var out []string
	at := 0 // next line of old to copy
	var last *string
	for i := 2; i < len(lines) && lines[i] != ""; i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "@@ "):
			var s1, c1, s2, c2 int
			header := strings.Fields(l)
			parse := func(r string) (int, int) {
				start, count, ok := strings.Cut(r[1:], ",")
				s, err := strconv.Atoi(start)
				require.NoError(t, err)
				c := 1
				if ok {
					c, err = strconv.Atoi(count)
					require.NoError(t, err)
				}
				return s, c
			}
			s1, c1 = parse(header[1])
			s2, c2 = parse(header[2])
			_ = s2
			_ = c2
			from := s1 - 1
			if c1 == 0 {
				from = s1
			}
			require.GreaterOrEqual(t, from, at, "hunks out of order")
			out = append(out, old[at:from]...)
			at = from
		case l == "\\ No newline at end of file\n":
			require.NotNil(t, last)
			*last = strings.TrimSuffix(*last, "\n")
		case l[0] == ' ':
			require.Equal(t, old[at], strings.TrimSuffix(l[1:], "\n")+suffixNL(old[at]))
			out = append(out, old[at])
			last = &out[len(out)-1]
			at++
		case l[0] == '-':
			require.Equal(t, old[at], strings.TrimSuffix(l[1:], "\n")+suffixNL(old[at]))
			at++
			last = new(string)
		case l[0] == '+':
			out = append(out, l[1:])
			last = &out[len(out)-1]
		default:
			t.Fatalf("bad diff line %q", l)
		}
	}
	out = append(out, old[at:]...)
	return strings.Join(out, "")
}

func suffixNL(s string) string {
	if strings.HasSuffix(s, "\n") {
		return "\n"
	}
	return ""
}

// randomText builds texts from a small alphabet (so that random texts share a lot), with
// multi-byte characters and newlines.
func randomText(r *rand.Rand, maxLen int) string {
	alphabet := []string{"a", "b", "c", "\n", "é", "€", "😀", " ", "x\n", "foo();\n"}
	n := r.IntN(maxLen + 1)
	var sb strings.Builder
	for sb.Len() < n {
		sb.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return sb.String()
}

// mutate applies a few random local edits to s at rune boundaries.
func mutate(r *rand.Rand, s string) string {
	for k := r.IntN(4); k >= 0; k-- {
		runes := []rune(s)
		i := r.IntN(len(runes) + 1)
		j := min(len(runes), i+r.IntN(5))
		s = string(runes[:i]) + randomText(r, 6) + string(runes[j:])
	}
	return s
}

func requireEditsTurn(t *testing.T, a, b string) []TextEdit {
	t.Helper()
	edits := TextEditsBetween(a, b)
	// Edits travel in events: they must survive JSON.
	raw, err := json.Marshal(edits)
	require.NoError(t, err)
	var decoded []TextEdit
	require.NoError(t, json.Unmarshal(raw, &decoded))
	require.Equal(t, edits, decoded)
	end := 0
	for _, e := range edits {
		require.GreaterOrEqual(t, e.Pos, end, "edits must be ordered and apart")
		require.True(t, e.Delete > 0 || e.Insert != "", "empty edit %+v", e)
		require.True(t, utf8.ValidString(e.Insert))
		end = e.Pos + e.Delete
	}
	got, err := ApplyTextEdits(a, edits)
	require.NoError(t, err)
	require.Equal(t, b, got)
	if a == b {
		require.Empty(t, edits)
	}
	return edits
}

func TestTextEditsBetweenRandom(t *testing.T) {
	t.Parallel()
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 7))
		a := randomText(r, 300)
		var b string
		switch seed % 3 {
		case 0:
			b = randomText(r, 300) // unrelated
		case 1:
			b = mutate(r, a) // a few local edits
		default:
			b = a
		}
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			requireEditsTurn(t, a, b)
		})
	}
}

func TestTextEditsBetweenIsCompact(t *testing.T) {
	t.Parallel()
	var sb strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&sb, "function handler%d(payload, ctx) { return ctx.dispatch('action%d', payload); }\n", i, i)
	}
	a := sb.String() // about 230 KiB: exercises the line-level path
	require.Less(t, len(a), MaxScriptText)
	b := strings.Replace(a, "handler17(", "handler17b(", 1)
	b = strings.Replace(b, "'action2500'", "'action2500', 1", 1)
	b = strings.Replace(b, "handler2999", "lastHandler", 1)
	edits := requireEditsTurn(t, a, b)
	require.Len(t, edits, 3)
	for _, e := range edits {
		require.LessOrEqual(t, len(e.Insert), 12, "edit %+v", e)
	}

	// One character in a short text.
	edits = requireEditsTurn(t, "let x = 1;\nlet y = 2;\n", "let x = 1;\nlet y = 3;\n")
	require.Equal(t, []TextEdit{{Pos: 19, Delete: 1, Insert: "3"}}, edits)

	// Moving a block of lines in a large text.
	lines := strings.SplitAfter(a, "\n")
	moved := strings.Join(append(append(append([]string{}, lines[1000:1010]...), lines[:1000]...), lines[1010:]...), "")
	requireEditsTurn(t, a, moved)
}

func TestTextEditsBetweenUnrelatedLargeTexts(t *testing.T) {
	t.Parallel()
	// The worst case for a diff: nothing in common. The work budget keeps it bounded; the
	// result must still be right.
	r := rand.New(rand.NewPCG(1, 1))
	var sa, sb strings.Builder
	for sa.Len() < MaxScriptText-100 {
		fmt.Fprintf(&sa, "a%d\n", r.Int())
		fmt.Fprintf(&sb, "b%d\n", r.Int())
	}
	requireEditsTurn(t, sa.String(), sb.String())
	d := UnifiedDiff(sa.String(), sb.String(), "a", "b")
	require.Equal(t, sb.String(), applyUnifiedDiff(t, sa.String(), d))
}

func TestUnifiedDiffRandomAppliesBack(t *testing.T) {
	t.Parallel()
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 3))
		a := randomText(r, 200)
		b := mutate(r, a)
		if seed%4 == 0 {
			b = randomText(r, 200)
		}
		d := UnifiedDiff(a, b, "a", "b")
		if a == b {
			require.Empty(t, d)
			continue
		}
		require.Equal(t, b, applyUnifiedDiff(t, a, d), "seed %d\n%s", seed, d)
	}
}

// TestDiffTokensMinimal compares the edit script size with the one an LCS table gives.
func TestDiffTokensMinimal(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 5))
	for range 500 {
		a := make([]int, r.IntN(30))
		b := make([]int, r.IntN(30))
		for i := range a {
			a[i] = r.IntN(4)
		}
		for i := range b {
			b[i] = r.IntN(4)
		}
		res := diffTokens(a, b)
		kept := 0
		for _, d := range res.delA {
			if !d {
				kept++
			}
		}
		// The kept tokens, in order, must be the same on both sides.
		var ka, kb []int
		for i, d := range res.delA {
			if !d {
				ka = append(ka, a[i])
			}
		}
		for j, ins := range res.insB {
			if !ins {
				kb = append(kb, b[j])
			}
		}
		require.Equal(t, ka, kb)
		require.Equal(t, lcsLen(a, b), kept, "a=%v b=%v", a, b)
	}
}

func lcsLen(a, b []int) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

func TestApplyTextEditsRejects(t *testing.T) {
	t.Parallel()
	const text = "héllo world" // é is 2 bytes at offset 1
	cases := []struct {
		name  string
		edits []TextEdit
		path  string
	}{
		{"negative pos", []TextEdit{{Pos: -1, Delete: 1}}, "/edits/0"},
		{"pos past end", []TextEdit{{Pos: 13, Insert: "x"}}, "/edits/0"},
		{"delete past end", []TextEdit{{Pos: 10, Delete: 3}}, "/edits/0"},
		{"negative delete", []TextEdit{{Pos: 3, Delete: -1}}, "/edits/0"},
		{"out of order", []TextEdit{{Pos: 5, Delete: 1}, {Pos: 2, Insert: "x"}}, "/edits/1"},
		{"overlapping", []TextEdit{{Pos: 3, Delete: 3}, {Pos: 4, Delete: 1}}, "/edits/1"},
		{"splits a character", []TextEdit{{Pos: 2, Delete: 1}}, "/edits/0"},
		{"deletes half a character", []TextEdit{{Pos: 0, Delete: 2}}, "/edits/0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ApplyTextEdits(text, tc.edits)
			var de *Error
			require.ErrorAs(t, err, &de)
			require.True(t, errors.Is(err, ErrInvalid))
			require.Equal(t, "invalid_edit", de.Code)
			require.Equal(t, tc.path, de.Path)
		})
	}
	got, err := ApplyTextEdits(text, []TextEdit{{Pos: 0, Insert: ">"}, {Pos: 1, Delete: 2, Insert: "e"}, {Pos: 12, Insert: "!"}})
	require.NoError(t, err)
	require.Equal(t, ">hello world!", got)
	got, err = ApplyTextEdits(text, nil)
	require.NoError(t, err)
	require.Equal(t, text, got)
}
