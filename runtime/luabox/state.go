package luabox

import (
	"context"

	lua "github.com/yuin/gopher-lua"
)

// maxArrayIndex replaces gopher-lua's default (64M): a store t[n] fills the array part up to n in a
// single instruction, which at the default is a 1 GiB allocation no deadline or watchdog can stop;
// here it is at most 64 MiB. Larger integer keys still work but live in the hash part, where # and
// ipairs do not see them, so a sequence stops growing at 4M elements. That is more than a JSON array
// within the default MaxStringBytes can hold.
const maxArrayIndex = 1 << 22

func init() {
	// gopher-lua keeps this knob as a package variable; it is set once, before any interpreter
	// exists, and this package is the process's only user of gopher-lua.
	lua.MaxArrayIndex = maxArrayIndex
}

// initialRegistry is the data stack an interpreter starts with; it grows up to Limits.MaxRegistry
// in registryGrowStep increments (gopher-lua grows it linearly, copying it each time).
const (
	initialRegistry  = 256
	registryGrowStep = 4096
)

// runState is everything one run owns: its context, limits, host, captured logs and the faults it
// raised. It lives exactly as long as the run's interpreter.
type runState struct {
	ctx    context.Context
	limits Limits
	host   Host

	logs         []string
	logBytes     int
	logTruncated bool
	faults       []fault
	coroutines   int

	null    *lua.LUserData // json.null: a JSON null inside an array
	arrayMT *lua.LTable    // marks tables decoded from JSON arrays, so {} stays [] on the way out
}

func newRunState(ctx context.Context, l Limits, h Host) *runState {
	return &runState{ctx: ctx, limits: l, host: h}
}

// newState builds the run's interpreter: only base, coroutine, table, string and math, with the
// dangerous parts removed, the growing parts guarded and the host API installed.
func (rs *runState) newState() *lua.LState {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:     true,
		CallStackSize:    rs.limits.MaxCallStack,
		RegistrySize:     min(initialRegistry, rs.limits.MaxRegistry),
		RegistryMaxSize:  rs.limits.MaxRegistry,
		RegistryGrowStep: registryGrowStep,
	})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.CoroutineLibName, lua.OpenCoroutine},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	rs.null = L.NewUserData()
	rs.arrayMT = L.CreateTable(0, 1)
	rs.arrayMT.RawSetString("__jsontype", lua.LString("array"))

	g := L.G.Global
	rs.restrictBase(L, g)
	rs.guardStrings(L, g)
	rs.guardCoroutines(L, g)
	rs.installAPI(L, g)
	L.SetContext(rs.ctx)
	return L
}

// forbiddenGlobal reports the names that are absent on purpose; reading one raises ErrForbidden
// instead of yielding nil, so a script that reaches for them fails with a clear message.
func forbiddenGlobal(name string) bool {
	switch name {
	case "os", "io", "debug", "package", "channel",
		"require", "module", "load", "loadstring", "loadfile", "dofile",
		"getfenv", "setfenv", "collectgarbage", "gcinfo", "newproxy", "_printregs":
		return true
	}
	return false
}

func (rs *runState) restrictBase(L *lua.LState, g *lua.LTable) {
	for _, name := range []string{
		"require", "module", "load", "loadstring", "loadfile", "dofile",
		"getfenv", "setfenv", "collectgarbage", "newproxy", "_printregs", "_GOPHER_LUA_VERSION",
	} {
		g.RawSetString(name, lua.LNil)
	}
	mt := L.CreateTable(0, 2)
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		if name, ok := L.Get(2).(lua.LString); ok && forbiddenGlobal(string(name)) {
			rs.raise(L, ErrForbidden, "%s is not available in workflows", string(name))
		}
		return 0
	}))
	mt.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(g, mt)

	if mathLib, ok := g.RawGetString("math").(*lua.LTable); ok {
		mathLib.RawSetString("randomseed", rs.forbidden(L, "math.randomseed"))
	}
}

// forbidden returns a stand-in for a removed library function.
func (rs *runState) forbidden(L *lua.LState, name string) *lua.LFunction {
	return L.NewFunction(func(L *lua.LState) int {
		rs.raise(L, ErrForbidden, "%s is not available in workflows", name)
		return 0
	})
}

// guardCoroutines counts coroutine.create and coroutine.wrap: each coroutine is a whole
// interpreter stack, so a flood of them is a memory bomb.
func (rs *runState) guardCoroutines(L *lua.LState, g *lua.LTable) {
	co, ok := g.RawGetString("coroutine").(*lua.LTable)
	if !ok {
		return
	}
	for _, name := range []string{"create", "wrap"} {
		orig, ok := co.RawGetString(name).(*lua.LFunction)
		if !ok || !orig.IsG {
			continue
		}
		co.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			if rs.coroutines >= rs.limits.MaxCoroutines {
				rs.raise(L, ErrTooLarge, "too many coroutines (limit %d per run)", rs.limits.MaxCoroutines)
			}
			rs.coroutines++
			return orig.GFunction(L)
		}))
	}
}
