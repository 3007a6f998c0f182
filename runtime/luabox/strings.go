package luabox

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// fmtMaxWidth is the largest width or precision Go's fmt honours; string.format is gopher-lua's,
// built on fmt.
const fmtMaxWidth = 1_000_000

// guardStrings replaces every string function that can grow a string beyond its inputs with a
// version that checks the size first, replaces the pattern functions with the deadline-aware
// matcher, and hides the string metatable.
func (rs *runState) guardStrings(L *lua.LState, g *lua.LTable) {
	str, ok := g.RawGetString("string").(*lua.LTable)
	if !ok {
		return
	}
	if orig, ok := str.RawGetString("format").(*lua.LFunction); ok && orig.IsG {
		str.RawSetString("format", L.NewFunction(rs.strFormat(orig.GFunction)))
	}
	str.RawSetString("rep", L.NewFunction(rs.strRep))
	str.RawSetString("find", L.NewFunction(rs.strFind))
	str.RawSetString("match", L.NewFunction(rs.strMatch))
	gmatch := L.NewFunction(rs.strGmatch)
	str.RawSetString("gmatch", gmatch)
	str.RawSetString("gfind", gmatch)
	str.RawSetString("gsub", L.NewFunction(rs.strGsub))
	str.RawSetString("dump", rs.forbidden(L, "string.dump"))
	str.RawSetString("__index", lua.LNil)

	// Strings index the library through their own metatable; __metatable makes getmetatable("")
	// return false rather than something a script could reach the library's internals through.
	mt := L.CreateTable(0, 2)
	mt.RawSetString("__index", str)
	mt.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(lua.LString(""), mt)

	if tbl, ok := g.RawGetString("table").(*lua.LTable); ok {
		tbl.RawSetString("concat", L.NewFunction(rs.tableConcat))
	}
}

// checkSize raises ErrTooLarge when a string of n bytes would exceed the limit.
func (rs *runState) checkSize(L *lua.LState, n int, what string) {
	if n > rs.limits.MaxStringBytes {
		rs.raise(L, ErrTooLarge, "%s: the result would exceed the %d-byte string limit", what, rs.limits.MaxStringBytes)
	}
}

func plainString(v lua.LValue) bool {
	switch v.(type) {
	case lua.LString, lua.LNumber:
		return true
	}
	return false
}

// concat implements the .. operator (the compiler rewrites a .. b .. c into concat(a, b, c)): strings
// and numbers are joined after a size check; other operands go through __concat right to left, as
// the VM would.
func (rs *runState) concat(L *lua.LState) int {
	n := L.GetTop()
	all := true
	for i := 1; i <= n && all; i++ {
		all = plainString(L.Get(i))
	}
	if all {
		size := 0
		for i := 1; i <= n; i++ {
			size += len(L.Get(i).String())
		}
		rs.checkSize(L, size, "string concatenation")
		var b strings.Builder
		b.Grow(size)
		for i := 1; i <= n; i++ {
			b.WriteString(L.Get(i).String())
		}
		L.Push(lua.LString(b.String()))
		return 1
	}
	acc := L.Get(n)
	for i := n - 1; i >= 1; i-- {
		acc = rs.concatPair(L, L.Get(i), acc)
	}
	L.Push(acc)
	return 1
}

func (rs *runState) concatPair(L *lua.LState, a, b lua.LValue) lua.LValue {
	if plainString(a) && plainString(b) {
		as, bs := a.String(), b.String()
		rs.checkSize(L, len(as)+len(bs), "string concatenation")
		return lua.LString(as + bs)
	}
	mm := L.GetMetaField(a, "__concat")
	if mm == lua.LNil {
		mm = L.GetMetaField(b, "__concat")
	}
	if mm == lua.LNil {
		bad := a
		if plainString(a) {
			bad = b
		}
		L.RaiseError("attempt to concatenate a %s value", bad.Type().String())
	}
	L.Push(mm)
	L.Push(a)
	L.Push(b)
	L.Call(2, 1)
	r := L.Get(-1)
	L.Pop(1)
	return r
}

// strRep is string.rep(s, n) with the size checked before anything is allocated.
func (rs *runState) strRep(L *lua.LState) int {
	s := L.CheckString(1)
	n := float64(L.CheckNumber(2))
	if !(n >= 1) || s == "" { // also catches NaN
		L.Push(lua.LString(""))
		return 1
	}
	if float64(len(s))*n > float64(rs.limits.MaxStringBytes) {
		rs.raise(L, ErrTooLarge, "string.rep: the result would exceed the %d-byte string limit", rs.limits.MaxStringBytes)
	}
	L.Push(lua.LString(strings.Repeat(s, int(n))))
	return 1
}

// strFormat wraps gopher-lua's string.format: it estimates the largest possible result from the
// widths and precisions in the format and the longest argument before formatting.
func (rs *runState) strFormat(orig lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		f := L.CheckString(1)
		longest := 0
		for i := 2; i <= L.GetTop(); i++ {
			if s, ok := L.Get(i).(lua.LString); ok {
				longest = max(longest, len(s))
			} else {
				longest = max(longest, 64) // numbers, and "table: 0x..." style names
			}
		}
		rs.checkSize(L, formatEstimate(f, longest), "string.format")
		n := orig(L)
		if s, ok := L.Get(-1).(lua.LString); ok {
			rs.checkSize(L, len(s), "string.format")
		}
		return n
	}
}

// formatEstimate bounds the length of fmt.Sprintf(f, args...) where no argument formats longer
// than longest (before padding). Every run of digits inside a directive counts as a width, every *
// as the largest width fmt accepts; over-counting is harmless.
func formatEstimate(f string, longest int) int {
	est := len(f)
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		i++
		if i < len(f) && f[i] == '%' {
			continue
		}
		num := 0
	directive:
		for ; i < len(f); i++ {
			switch c := f[i]; {
			case c >= '0' && c <= '9':
				num = min(num*10+int(c-'0'), fmtMaxWidth)
			case c == '*':
				est += fmtMaxWidth
			case strings.IndexByte("+-# .[]", c) >= 0:
				est += num
				num = 0
			default:
				break directive
			}
		}
		est += num + longest + 32
		if est > 1<<40 {
			return est
		}
	}
	return est
}

// tableConcat is table.concat(t [, sep [, i [, j]]]) with Lua 5.1 semantics and the result size
// checked before it is built.
func (rs *runState) tableConcat(L *lua.LState) int {
	t := L.CheckTable(1)
	sep := L.OptString(2, "")
	i := L.OptInt(3, 1)
	j := t.Len()
	if L.Get(4) != lua.LNil {
		j = L.CheckInt(4)
	}
	if i > j {
		L.Push(lua.LString(""))
		return 1
	}
	size := 0
	for k := i; ; k++ {
		v := t.RawGet(lua.LNumber(k))
		if !plainString(v) {
			L.RaiseError("invalid value (at index %d) in table for 'concat'", k)
		}
		size += len(v.String())
		if k == j {
			break
		}
		size += len(sep)
		rs.checkSize(L, size, "table.concat")
	}
	rs.checkSize(L, size, "table.concat")
	var b strings.Builder
	b.Grow(size)
	for k := i; ; k++ {
		b.WriteString(t.RawGet(lua.LNumber(k)).String())
		if k == j {
			break
		}
		b.WriteString(sep)
	}
	L.Push(lua.LString(b.String()))
	return 1
}
