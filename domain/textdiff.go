package domain

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// TextEdit is one replacement in a text: Delete bytes removed at byte offset Pos of the old text,
// Insert put in their place. A list of edits is ordered by Pos, the edits do not overlap, and every
// Pos refers to the old text (edits do not shift each other's positions).
type TextEdit struct {
	Pos    int    `json:"pos"`
	Delete int    `json:"delete,omitempty"`
	Insert string `json:"insert,omitempty"`
}

// ApplyTextEdits applies edits (as produced by TextEditsBetween) to text. Edits out of range, out of
// order, overlapping or splitting a UTF-8 sequence are rejected with an ErrInvalid *Error whose
// path names the edit.
func ApplyTextEdits(text string, edits []TextEdit) (string, error) {
	var b strings.Builder
	grow := len(text)
	for _, e := range edits {
		grow += len(e.Insert)
	}
	b.Grow(grow)
	at := 0 // next byte of text not yet copied
	for i, e := range edits {
		path := "/edits/" + strconv.Itoa(i)
		if e.Pos < at || e.Delete < 0 || e.Pos > len(text) || e.Delete > len(text)-e.Pos {
			return "", invalid("invalid_edit", path, "edit [%d,+%d) is out of order or out of range (text is %d bytes)", e.Pos, e.Delete, len(text))
		}
		end := e.Pos + e.Delete
		if !runeBoundary(text, e.Pos) || !runeBoundary(text, end) {
			return "", invalid("invalid_edit", path, "edit [%d,+%d) splits a character", e.Pos, e.Delete)
		}
		b.WriteString(text[at:e.Pos])
		b.WriteString(e.Insert)
		at = end
	}
	b.WriteString(text[at:])
	return b.String(), nil
}

func runeBoundary(s string, i int) bool {
	return i == 0 || i == len(s) || utf8.RuneStart(s[i])
}

// Above this many tokens on both sides of a changed region, TextEditsBetween stays at line level
// instead of refining the region character by character.
const maxCharDiffRunes = 8192

// TextEditsBetween returns a compact edit list that turns a into b: a line diff whose changed
// regions are refined to characters when they are small. Edits never split a UTF-8 sequence, so
// that their Insert strings survive JSON encoding (for valid UTF-8 inputs).
func TextEditsBetween(a, b string) []TextEdit {
	if a == b {
		return nil
	}
	// The common prefix and suffix are cut first: most edits touch one spot of a long text.
	pre := commonPrefixLen(a, b)
	suf := commonSuffixLen(a[pre:], b[pre:])
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]

	var edits []TextEdit
	if utf8.RuneCountInString(ma)+utf8.RuneCountInString(mb) <= 2*maxCharDiffRunes {
		edits = charEdits(ma, mb, pre)
	} else {
		la, lb := splitLines(ma), splitLines(mb)
		ops := diffTokens(internLines(la, lb))
		offA := offsets(la)
		offB := offsets(lb)
		for _, h := range ops.changes() {
			x0, x1 := pre+offA[h.a0], pre+offA[h.a1]
			y0, y1 := offB[h.b0], offB[h.b1]
			oldPart, newPart := a[x0:x1], mb[y0:y1]
			if utf8.RuneCountInString(oldPart)+utf8.RuneCountInString(newPart) <= 2*maxCharDiffRunes {
				edits = append(edits, charEdits(oldPart, newPart, x0)...)
			} else {
				edits = append(edits, TextEdit{Pos: x0, Delete: x1 - x0, Insert: newPart})
			}
		}
	}
	return mergeEdits(edits, a)
}

// charEdits diffs a and b rune by rune; positions are shifted by base.
func charEdits(a, b string, base int) []TextEdit {
	ra, offA := runesOf(a)
	rb, offB := runesOf(b)
	ops := diffTokens(ra, rb)
	out := make([]TextEdit, 0, 4)
	for _, h := range ops.changes() {
		out = append(out, TextEdit{
			Pos:    base + offA[h.a0],
			Delete: offA[h.a1] - offA[h.a0],
			Insert: b[offB[h.b0]:offB[h.b1]],
		})
	}
	return out
}

// mergeEdits joins edits separated by a few unchanged bytes: one edit costs more in an event than
// repeating a short run of text.
func mergeEdits(edits []TextEdit, old string) []TextEdit {
	const gap = 8
	if len(edits) < 2 {
		return edits
	}
	out := edits[:1]
	for _, e := range edits[1:] {
		last := &out[len(out)-1]
		end := last.Pos + last.Delete
		if e.Pos-end <= gap {
			last.Insert += old[end:e.Pos] + e.Insert
			last.Delete = e.Pos + e.Delete - last.Pos
			continue
		}
		out = append(out, e)
	}
	return out
}

func commonPrefixLen(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	for i > 0 && !(runeBoundary(a, i) && runeBoundary(b, i)) {
		i--
	}
	return i
}

func commonSuffixLen(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[len(a)-1-i] == b[len(b)-1-i] {
		i++
	}
	for i > 0 && !(runeBoundary(a, len(a)-i) && runeBoundary(b, len(b)-i)) {
		i--
	}
	return i
}

// runesOf returns the runes of s and the byte offset of each rune, plus len(s) at the end.
func runesOf(s string) ([]int, []int) {
	toks := make([]int, 0, len(s))
	offs := make([]int, 0, len(s)+1)
	for i, r := range s {
		toks = append(toks, int(r))
		offs = append(offs, i)
	}
	return toks, append(offs, len(s))
}

// splitLines splits s after every '\n'; the last line may lack one. "" has no lines.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// offsets returns the byte offset of each line and the total length at the end.
func offsets(lines []string) []int {
	out := make([]int, len(lines)+1)
	for i, l := range lines {
		out[i+1] = out[i] + len(l)
	}
	return out
}

// internLines maps equal lines to equal integers.
func internLines(a, b []string) ([]int, []int) {
	ids := map[string]int{}
	conv := func(lines []string) []int {
		out := make([]int, len(lines))
		for i, l := range lines {
			id, ok := ids[l]
			if !ok {
				id = len(ids)
				ids[l] = id
			}
			out[i] = id
		}
		return out
	}
	return conv(a), conv(b)
}

// diffResult marks which tokens of a were deleted and which of b inserted.
type diffResult struct {
	delA, insB []bool
}

// change is a maximal changed region: a[a0:a1] replaced by b[b0:b1].
type change struct{ a0, a1, b0, b1 int }

func (d diffResult) changes() []change {
	var out []change
	i, j := 0, 0
	n, m := len(d.delA), len(d.insB)
	for i < n || j < m {
		if i < n && j < m && !d.delA[i] && !d.insB[j] {
			i++
			j++
			continue
		}
		c := change{a0: i, b0: j}
		for i < n && d.delA[i] {
			i++
		}
		for j < m && d.insB[j] {
			j++
		}
		c.a1, c.b1 = i, j
		out = append(out, c)
	}
	return out
}

// diffBudget bounds the work of one diff (snake steps). Past it, the remaining regions are
// reported as whole replacements: still a correct diff, only less minimal, and never slow.
const diffBudget = 20_000_000

// diffTokens computes a shortest edit script between a and b with Myers' linear-space algorithm
// (divide and conquer on the middle snake).
func diffTokens(a, b []int) diffResult {
	d := differ{a: a, b: b, res: diffResult{delA: make([]bool, len(a)), insB: make([]bool, len(b))}, budget: diffBudget}
	d.compare(0, len(a), 0, len(b))
	return d.res
}

type differ struct {
	a, b   []int
	res    diffResult
	budget int
}

func (d *differ) compare(a0, a1, b0, b1 int) {
	for a0 < a1 && b0 < b1 && d.a[a0] == d.b[b0] {
		a0++
		b0++
	}
	for a0 < a1 && b0 < b1 && d.a[a1-1] == d.b[b1-1] {
		a1--
		b1--
	}
	switch {
	case a0 == a1:
		for j := b0; j < b1; j++ {
			d.res.insB[j] = true
		}
		return
	case b0 == b1:
		for i := a0; i < a1; i++ {
			d.res.delA[i] = true
		}
		return
	}
	x, y, ok := d.middleSnake(a0, a1, b0, b1)
	if !ok || (x == a0 && y == b0) || (x == a1 && y == b1) {
		for i := a0; i < a1; i++ {
			d.res.delA[i] = true
		}
		for j := b0; j < b1; j++ {
			d.res.insB[j] = true
		}
		return
	}
	d.compare(a0, x, b0, y)
	d.compare(x, a1, y, b1)
}

// middleSnake finds a point (x, y) on an optimal path through the edit graph of a[a0:a1] and
// b[b0:b1] by searching forward from the start and backward from the end until the searches meet
// (the bisection of diff-match-patch, after Myers 1986).
func (d *differ) middleSnake(a0, a1, b0, b1 int) (int, int, bool) {
	a, b := d.a[a0:a1], d.b[b0:b1]
	n, m := len(a), len(b)
	maxD := (n + m + 1) / 2
	off := maxD
	vlen := 2*maxD + 2
	v1 := make([]int, vlen)
	v2 := make([]int, vlen)
	for i := range v1 {
		v1[i], v2[i] = -1, -1
	}
	v1[off+1], v2[off+1] = 0, 0
	delta := n - m
	front := delta%2 != 0
	k1start, k1end, k2start, k2end := 0, 0, 0, 0
	for dd := 0; dd < maxD; dd++ {
		if d.budget <= 0 {
			return 0, 0, false
		}
		for k1 := -dd + k1start; k1 <= dd-k1end; k1 += 2 {
			i1 := off + k1
			var x1 int
			if k1 == -dd || (k1 != dd && v1[i1-1] < v1[i1+1]) {
				x1 = v1[i1+1]
			} else {
				x1 = v1[i1-1] + 1
			}
			y1 := x1 - k1
			start := x1
			for x1 < n && y1 < m && a[x1] == b[y1] {
				x1++
				y1++
			}
			d.budget -= 1 + x1 - start
			v1[i1] = x1
			switch {
			case x1 > n:
				k1end += 2
			case y1 > m:
				k1start += 2
			case front:
				i2 := off + delta - k1
				if i2 >= 0 && i2 < vlen && v2[i2] != -1 && x1 >= n-v2[i2] {
					return a0 + x1, b0 + y1, true
				}
			}
		}
		for k2 := -dd + k2start; k2 <= dd-k2end; k2 += 2 {
			i2 := off + k2
			var x2 int
			if k2 == -dd || (k2 != dd && v2[i2-1] < v2[i2+1]) {
				x2 = v2[i2+1]
			} else {
				x2 = v2[i2-1] + 1
			}
			y2 := x2 - k2
			start := x2
			for x2 < n && y2 < m && a[n-x2-1] == b[m-y2-1] {
				x2++
				y2++
			}
			d.budget -= 1 + x2 - start
			v2[i2] = x2
			switch {
			case x2 > n:
				k2end += 2
			case y2 > m:
				k2start += 2
			case !front:
				i1 := off + delta - k2
				if i1 >= 0 && i1 < vlen && v1[i1] != -1 {
					x1 := v1[i1]
					y1 := off + x1 - i1
					if x1 >= n-x2 {
						return a0 + x1, b0 + y1, true
					}
				}
			}
		}
	}
	return 0, 0, false
}

// UnifiedDiff returns the unified diff (as `diff -u` writes it, three lines of context) that turns
// a into b, or "" when they are equal. fromName and toName label the "---" and "+++" lines.
func UnifiedDiff(a, b, fromName, toName string) string {
	if a == b {
		return ""
	}
	const context = 3
	la, lb := splitLines(a), splitLines(b)
	ca, cb := internLines(la, lb)
	changes := diffTokens(ca, cb).changes()

	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", fromName, toName)
	for i := 0; i < len(changes); {
		// A hunk gathers the changes whose gaps are at most 2*context unchanged lines.
		j := i
		for j+1 < len(changes) && changes[j+1].a0-changes[j].a1 <= 2*context {
			j++
		}
		first, last := changes[i], changes[j]
		a0 := max(first.a0-context, 0)
		b0 := first.b0 - (first.a0 - a0)
		a1 := min(last.a1+context, len(la))
		b1 := last.b1 + (a1 - last.a1)
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n", hunkRange(a0, a1-a0), hunkRange(b0, b1-b0))
		ai, bi := a0, b0
		for k := i; k <= j; k++ {
			c := changes[k]
			for ; ai < c.a0; ai, bi = ai+1, bi+1 {
				writeDiffLine(&sb, ' ', la[ai])
			}
			for ; ai < c.a1; ai++ {
				writeDiffLine(&sb, '-', la[ai])
			}
			for ; bi < c.b1; bi++ {
				writeDiffLine(&sb, '+', lb[bi])
			}
		}
		for ; ai < a1; ai, bi = ai+1, bi+1 {
			writeDiffLine(&sb, ' ', la[ai])
		}
		i = j + 1
	}
	return sb.String()
}

// hunkRange formats "start,count" the way diff -u does: the count is left out when it is 1, and
// an empty range starts at the line before it.
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return strconv.Itoa(start) + ",0"
	case 1:
		return strconv.Itoa(start + 1)
	default:
		return strconv.Itoa(start+1) + "," + strconv.Itoa(count)
	}
}

func writeDiffLine(sb *strings.Builder, mark byte, line string) {
	sb.WriteByte(mark)
	sb.WriteString(line)
	if !strings.HasSuffix(line, "\n") {
		sb.WriteString("\n\\ No newline at end of file\n")
	}
}
