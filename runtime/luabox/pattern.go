package luabox

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Lua 5.1 pattern matching (find, match, gmatch, gsub), ported from lstrlib.c (MIT, Lua.org) so that
// it can watch the run's deadline: gopher-lua's matcher runs to completion inside one Go call, and a
// long subject times a pattern like (.-)(.-)(.-)x takes minutes. This matcher counts its steps and
// checks the context every checkEvery steps; gsub builds its result in one pass (gopher-lua's copies
// the whole string per match) and checks its size as it grows.

const (
	maxCaptures     = 32
	maxMatchDepth   = 200 // like Lua 5.2's MAXCCALLS: recursion is per pattern item, not per character
	checkEvery      = 1 << 12
	capUnfinished   = -1
	capPosition     = -2
	patternEscape   = '%'
	patternSpecials = "^$*+?.([%-"
)

type capture struct {
	init, len int
}

type matchState struct {
	rs      *runState
	L       *lua.LState
	src     string
	pat     string
	level   int
	depth   int
	steps   int
	capture [maxCaptures]capture
}

func (rs *runState) newMatchState(L *lua.LState, src, pat string) *matchState {
	return &matchState{rs: rs, L: L, src: src, pat: pat}
}

// tick counts one step and, every checkEvery steps, stops the match when the run's context is done.
func (ms *matchState) tick() {
	ms.steps++
	if ms.steps%checkEvery == 0 && ms.rs.ctx.Err() != nil {
		ms.L.RaiseError("%s", ms.rs.ctx.Err().Error())
	}
}

func (ms *matchState) reset() {
	ms.level = 0
	ms.depth = 0
}

// match returns the end of the match of pat[p:] at src[s:], or -1.
func (ms *matchState) match(s, p int) int {
	ms.depth++
	if ms.depth > maxMatchDepth {
		ms.L.RaiseError("pattern too complex")
	}
	r := ms.doMatch(s, p)
	ms.depth--
	return r
}

func (ms *matchState) doMatch(s, p int) int {
	src, pat := ms.src, ms.pat
	for {
		ms.tick()
		if p == len(pat) {
			return s
		}
		switch pat[p] {
		case '(':
			if p+1 < len(pat) && pat[p+1] == ')' {
				return ms.startCapture(s, p+2, capPosition)
			}
			return ms.startCapture(s, p+1, capUnfinished)
		case ')':
			return ms.endCapture(s, p+1)
		case '$':
			if p+1 == len(pat) {
				if s == len(src) {
					return s
				}
				return -1
			}
		case patternEscape:
			if p+1 < len(pat) {
				switch pat[p+1] {
				case 'b':
					if s = ms.matchBalance(s, p+2); s == -1 {
						return -1
					}
					p += 4
					continue
				case 'f':
					p += 2
					if p >= len(pat) || pat[p] != '[' {
						ms.L.RaiseError("%s", "missing '[' after '%f' in pattern")
					}
					ep := ms.classEnd(p)
					var prev, cur byte
					if s > 0 {
						prev = src[s-1]
					}
					if s < len(src) {
						cur = src[s]
					}
					if matchBracketClass(prev, pat, p, ep-1) || !matchBracketClass(cur, pat, p, ep-1) {
						return -1
					}
					p = ep
					continue
				default:
					if isDigit(pat[p+1]) {
						if s = ms.matchCapture(s, pat[p+1]); s == -1 {
							return -1
						}
						p += 2
						continue
					}
				}
			}
		}
		// A single-character class, possibly followed by a quantifier.
		ep := ms.classEnd(p)
		m := s < len(src) && singleMatch(src[s], pat, p, ep)
		if ep < len(pat) {
			switch pat[ep] {
			case '?':
				if m {
					if r := ms.match(s+1, ep+1); r != -1 {
						return r
					}
				}
				p = ep + 1
				continue
			case '*':
				return ms.maxExpand(s, p, ep)
			case '+':
				if !m {
					return -1
				}
				return ms.maxExpand(s+1, p, ep)
			case '-':
				return ms.minExpand(s, p, ep)
			}
		}
		if !m {
			return -1
		}
		s++
		p = ep
	}
}

func (ms *matchState) maxExpand(s, p, ep int) int {
	i := 0
	for s+i < len(ms.src) && singleMatch(ms.src[s+i], ms.pat, p, ep) {
		ms.tick()
		i++
	}
	for ; i >= 0; i-- {
		if r := ms.match(s+i, ep+1); r != -1 {
			return r
		}
	}
	return -1
}

func (ms *matchState) minExpand(s, p, ep int) int {
	for {
		if r := ms.match(s, ep+1); r != -1 {
			return r
		}
		if s < len(ms.src) && singleMatch(ms.src[s], ms.pat, p, ep) {
			s++
		} else {
			return -1
		}
	}
}

func (ms *matchState) startCapture(s, p, what int) int {
	if ms.level >= maxCaptures {
		ms.L.RaiseError("too many captures")
	}
	ms.capture[ms.level] = capture{init: s, len: what}
	ms.level++
	r := ms.match(s, p)
	if r == -1 {
		ms.level--
	}
	return r
}

func (ms *matchState) endCapture(s, p int) int {
	l := -1
	for i := ms.level - 1; i >= 0; i-- {
		if ms.capture[i].len == capUnfinished {
			l = i
			break
		}
	}
	if l < 0 {
		ms.L.RaiseError("invalid pattern capture")
	}
	ms.capture[l].len = s - ms.capture[l].init
	r := ms.match(s, p)
	if r == -1 {
		ms.capture[l].len = capUnfinished
	}
	return r
}

func (ms *matchState) matchCapture(s int, digit byte) int {
	l := int(digit) - '1'
	if l < 0 || l >= ms.level || ms.capture[l].len == capUnfinished {
		ms.L.RaiseError("invalid capture index")
	}
	c := ms.capture[l]
	if c.len < 0 || len(ms.src)-s < c.len {
		return -1
	}
	if ms.src[c.init:c.init+c.len] == ms.src[s:s+c.len] {
		return s + c.len
	}
	return -1
}

func (ms *matchState) matchBalance(s, p int) int {
	if p+1 >= len(ms.pat) {
		ms.L.RaiseError("unbalanced pattern")
	}
	if s >= len(ms.src) || ms.src[s] != ms.pat[p] {
		return -1
	}
	open, closing := ms.pat[p], ms.pat[p+1]
	depth := 1
	for s++; s < len(ms.src); s++ {
		ms.tick()
		switch ms.src[s] {
		case closing:
			if depth--; depth == 0 {
				return s + 1
			}
		case open:
			depth++
		}
	}
	return -1
}

// classEnd returns the index just past the single-character class starting at p.
func (ms *matchState) classEnd(p int) int {
	pat := ms.pat
	c := pat[p]
	p++
	switch c {
	case patternEscape:
		if p >= len(pat) {
			ms.L.RaiseError("%s", "malformed pattern (ends with '%')")
		}
		return p + 1
	case '[':
		if p < len(pat) && pat[p] == '^' {
			p++
		}
		for { // look for the closing ']'; the first character is never it
			if p >= len(pat) {
				ms.L.RaiseError("malformed pattern (missing ']')")
			}
			c := pat[p]
			p++
			if c == patternEscape && p < len(pat) {
				p++ // skip escapes such as %]
			}
			if p < len(pat) && pat[p] == ']' {
				return p + 1
			}
		}
	}
	return p
}

func singleMatch(c byte, pat string, p, ep int) bool {
	switch pat[p] {
	case '.':
		return true
	case patternEscape:
		return matchClass(c, pat[p+1])
	case '[':
		return matchBracketClass(c, pat, p, ep-1)
	}
	return pat[p] == c
}

// matchBracketClass matches c against the set pat[p:ec+1], p at '[' and ec at ']'.
func matchBracketClass(c byte, pat string, p, ec int) bool {
	sig := true
	if pat[p+1] == '^' {
		sig = false
		p++
	}
	for p++; p < ec; p++ {
		switch {
		case pat[p] == patternEscape:
			p++
			if matchClass(c, pat[p]) {
				return sig
			}
		case pat[p+1] == '-' && p+2 < ec:
			p += 2
			if pat[p-2] <= c && c <= pat[p] {
				return sig
			}
		case pat[p] == c:
			return sig
		}
	}
	return !sig
}

// matchClass implements %a, %d, ... with C-locale ctype semantics; upper case negates.
func matchClass(c, cl byte) bool {
	var res bool
	switch lower(cl) {
	case 'a':
		res = isAlpha(c)
	case 'c':
		res = c < 32 || c == 127
	case 'd':
		res = isDigit(c)
	case 'l':
		res = c >= 'a' && c <= 'z'
	case 'p':
		res = c > 32 && c < 127 && !isAlpha(c) && !isDigit(c)
	case 's':
		res = c == ' ' || (c >= '\t' && c <= '\r')
	case 'u':
		res = c >= 'A' && c <= 'Z'
	case 'w':
		res = isAlpha(c) || isDigit(c)
	case 'x':
		res = isDigit(c) || (lower(c) >= 'a' && lower(c) <= 'f')
	case 'z':
		res = c == 0
	default:
		return cl == c
	}
	if cl >= 'a' && cl <= 'z' {
		return res
	}
	return !res
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// getCapture returns capture i of the match src[s:e]; with no captures, capture 0 is the match.
func (ms *matchState) getCapture(i, s, e int) lua.LValue {
	if i >= ms.level {
		if i != 0 {
			ms.L.RaiseError("invalid capture index")
		}
		return lua.LString(ms.src[s:e])
	}
	c := ms.capture[i]
	switch c.len {
	case capUnfinished:
		ms.L.RaiseError("unfinished capture")
	case capPosition:
		return lua.LNumber(c.init + 1)
	}
	return lua.LString(ms.src[c.init : c.init+c.len])
}

// pushCaptures pushes the captures (or, when whole is set and there are none, the match itself).
func (ms *matchState) pushCaptures(s, e int, whole bool) int {
	n := ms.level
	if n == 0 && whole {
		n = 1
	}
	for i := 0; i < n; i++ {
		ms.L.Push(ms.getCapture(i, s, e))
	}
	return n
}

// posRelative turns a Lua string position (negative counts from the end) into a 0-based offset.
func posRelative(pos, length int) int {
	if pos < 0 {
		pos += length + 1
	}
	return max(pos, 0)
}

func (rs *runState) strFind(L *lua.LState) int  { return rs.findAux(L, true) }
func (rs *runState) strMatch(L *lua.LState) int { return rs.findAux(L, false) }

func (rs *runState) findAux(L *lua.LState, find bool) int {
	src := L.CheckString(1)
	pat := L.CheckString(2)
	init := posRelative(L.OptInt(3, 1), len(src)) - 1
	init = min(max(init, 0), len(src))
	if find && (lua.LVAsBool(L.Get(4)) || !strings.ContainsAny(pat, patternSpecials)) {
		if i := strings.Index(src[init:], pat); i >= 0 {
			L.Push(lua.LNumber(init + i + 1))
			L.Push(lua.LNumber(init + i + len(pat)))
			return 2
		}
		L.Push(lua.LNil)
		return 1
	}
	ms := rs.newMatchState(L, src, pat)
	p, anchor := 0, strings.HasPrefix(pat, "^")
	if anchor {
		p = 1
	}
	for s := init; s <= len(src); s++ {
		ms.reset()
		if e := ms.match(s, p); e != -1 {
			if find {
				L.Push(lua.LNumber(s + 1))
				L.Push(lua.LNumber(e))
				return ms.pushCaptures(-1, -1, false) + 2
			}
			return ms.pushCaptures(s, e, true)
		}
		if anchor {
			break
		}
	}
	L.Push(lua.LNil)
	return 1
}

// strGmatch returns an iterator that finds the next match on each call, lazily.
func (rs *runState) strGmatch(L *lua.LState) int {
	src := L.CheckString(1)
	pat := L.CheckString(2)
	pos := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		ms := rs.newMatchState(L, src, pat)
		for s := pos; s <= len(src); s++ {
			ms.reset()
			if e := ms.match(s, 0); e != -1 {
				pos = e
				if e == s {
					pos++ // an empty match moves on by one
				}
				return ms.pushCaptures(s, e, true)
			}
		}
		pos = len(src) + 1
		return 0
	}))
	return 1
}

func (rs *runState) strGsub(L *lua.LState) int {
	src := L.CheckString(1)
	pat := L.CheckString(2)
	repl := L.Get(3)
	switch repl.(type) {
	case lua.LString, lua.LNumber, *lua.LTable, *lua.LFunction:
	default:
		L.ArgError(3, "string/function/table expected")
	}
	maxN := L.OptInt(4, len(src)+1)
	ms := rs.newMatchState(L, src, pat)
	p, anchor := 0, strings.HasPrefix(pat, "^")
	if anchor {
		p = 1
	}
	var b strings.Builder
	s, n := 0, 0
scan:
	for n < maxN {
		ms.reset()
		e := ms.match(s, p)
		if e != -1 {
			n++
			rs.addValue(ms, &b, s, e, repl)
		}
		switch {
		case e != -1 && e > s:
			s = e
		case s < len(src):
			b.WriteByte(src[s])
			s++
		default:
			break scan // end of subject
		}
		rs.checkSize(L, b.Len(), "string.gsub")
		if anchor {
			break
		}
	}
	rs.checkSize(L, b.Len()+len(src)-s, "string.gsub")
	b.WriteString(src[s:])
	L.Push(lua.LString(b.String()))
	L.Push(lua.LNumber(n))
	return 2
}

func (rs *runState) addValue(ms *matchState, b *strings.Builder, s, e int, repl lua.LValue) {
	L := ms.L
	var v lua.LValue
	switch r := repl.(type) {
	case lua.LString, lua.LNumber:
		rs.addString(ms, b, s, e, r.String())
		return
	case *lua.LFunction:
		L.Push(r)
		n := ms.pushCaptures(s, e, true)
		L.Call(n, 1)
		v = L.Get(-1)
		L.Pop(1)
	case *lua.LTable:
		v = L.GetTable(r, ms.getCapture(0, s, e))
	}
	switch {
	case !lua.LVAsBool(v):
		b.WriteString(ms.src[s:e]) // nil or false keeps the original text
	case plainString(v):
		rs.checkSize(L, b.Len()+len(v.String()), "string.gsub")
		b.WriteString(v.String())
	default:
		L.RaiseError("invalid replacement value (a %s)", v.Type().String())
	}
}

// addString expands a gsub replacement string: %0 is the match, %1-%9 captures, %x a literal x.
func (rs *runState) addString(ms *matchState, b *strings.Builder, s, e int, repl string) {
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c != patternEscape || i+1 == len(repl) {
			b.WriteByte(c)
			continue
		}
		i++
		var piece string
		switch d := repl[i]; {
		case !isDigit(d):
			b.WriteByte(d)
			continue
		case d == '0':
			piece = ms.src[s:e]
		default:
			piece = ms.getCapture(int(d-'1'), s, e).String()
		}
		rs.checkSize(ms.L, b.Len()+len(piece), "string.gsub")
		b.WriteString(piece)
	}
	rs.checkSize(ms.L, b.Len(), "string.gsub")
}
