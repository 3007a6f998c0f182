package luabox_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/runtime/luabox"
)

// hostileLimits keep the suite fast: short deadlines, a small memory budget. memoryLimits give the
// memory watchdog time to act before the deadline.
var (
	hostileLimits = luabox.Limits{
		Timeout:        300 * time.Millisecond,
		MaxStringBytes: 1 << 20,
		MaxMemoryBytes: 48 << 20,
	}
	memoryLimits = luabox.Limits{
		Timeout:        4 * time.Second,
		MaxStringBytes: 1 << 20,
		MaxMemoryBytes: 48 << 20,
	}
)

// TestHostileScripts runs scripts that try to hang, exhaust or escape the sandbox. Each must end
// with the expected error (nil: complete harmlessly), the error text must stay short, and a normal
// run right after must work. The cases run one after another: the memory watchdog is process-wide.
func TestHostileScripts(t *testing.T) {
	tests := []struct {
		name    string
		script  string // the body of process_event(data, ctx)
		chunk   bool   // script is the whole chunk instead
		limits  *luabox.Limits
		wantErr error
		wantMsg string // a substring of the error text
	}{
		// Runaway loops.
		{name: "busy loop", script: `while true do end`, wantErr: luabox.ErrTimeout},
		{name: "busy loop inside pcall", script: `while true do pcall(function() while true do end end) end`, wantErr: luabox.ErrTimeout},
		{name: "loop swallowing errors", script: `while true do pcall(error, "x") end`, wantErr: luabox.ErrTimeout},
		{name: "looping error handler", script: `xpcall(function() error("x") end, function() while true do end end)`, wantErr: luabox.ErrTimeout},
		{name: "loop inside a coroutine", script: `coroutine.wrap(function() while true do end end)()`, wantErr: luabox.ErrTimeout},
		{name: "endless tail calls", script: `local function f() return f() end return f()`, wantErr: luabox.ErrStackOverflow},
		{name: "tail call loop unwinding through pcall", script: `local function f(n) if n == 0 then error("x") end return f(n - 1) end for i = 1, 1e6 do pcall(f, 1e7) end`, wantErr: luabox.ErrTimeout},
		{name: "loop at top level", chunk: true, script: "while true do end\nfunction process_event() end", wantErr: luabox.ErrTimeout},
		{name: "slow host call", script: `return query("slow")`, wantErr: luabox.ErrTimeout},
		{name: "loop inside a coroutine under pcall", script: `pcall(coroutine.wrap(function() while true do end end))`, wantErr: luabox.ErrTimeout},
		{name: "numeric for to infinity", script: `for i = 1, math.huge do end`, wantErr: luabox.ErrTimeout},
		{name: "repeat until false inside nested pcall", script: `pcall(pcall, function() repeat until false end)`, wantErr: luabox.ErrTimeout},
		{name: "loop swallowing limit errors", script: `while true do pcall(string.rep, "x", 2^40) end`, wantErr: luabox.ErrTimeout},

		// String memory bombs.
		{name: "doubling concatenation", script: `local s = "x" while true do s = s .. s end`, wantErr: luabox.ErrTooLarge, wantMsg: "string concatenation"},
		{name: "string.rep", script: `return string.rep("x", 2^40)`, wantErr: luabox.ErrTooLarge, wantMsg: "string.rep"},
		{name: "string.rep as a method", script: `return ("xy"):rep(1e9)`, wantErr: luabox.ErrTooLarge},
		{name: "string.format widths", script: `local t = {} for i = 1, 100 do t[i] = 1 end return string.format(string.rep("%999999d", 100), unpack(t))`, wantErr: luabox.ErrTooLarge, wantMsg: "string.format"},
		{name: "string.format star widths", script: `return string.format("%*d%*d", 1000000, 1, 1000000, 2)`, wantErr: luabox.ErrTooLarge},
		{name: "gsub amplification", script: `return (string.rep("x", 1000):gsub("x", string.rep("y", 10000)))`, wantErr: luabox.ErrTooLarge, wantMsg: "string.gsub"},
		{name: "gsub %0 amplification", script: `return (string.rep("x", 100000):gsub(".+", string.rep("%0", 100)))`, wantErr: luabox.ErrTooLarge},
		{name: "table.concat", script: `local t = {} for i = 1, 100 do t[i] = string.rep("x", 100000) end return table.concat(t)`, wantErr: luabox.ErrTooLarge, wantMsg: "table.concat"},
		{name: "json.encode output", script: `local t = {} for i = 1, 30 do t[i] = string.rep("x", 100000) end return json.encode(t)`, wantErr: luabox.ErrTooLarge},
		{name: "format doubling", script: `local s = string.rep("x", 1000) while true do s = string.format("%s%s", s, s) end`, wantErr: luabox.ErrTooLarge, wantMsg: "string.format"},
		{name: "doubling concatenation inside pcall", script: `local s = "x" pcall(function() while true do s = s .. s end end) return s .. s`, wantErr: luabox.ErrTooLarge},
		{name: "many medium strings", limits: &memoryLimits, script: `local t = {} for i = 1, 1e9 do t[i] = string.rep("x", 500000) .. i end`, wantErr: luabox.ErrTooLarge, wantMsg: "heap grew"},

		// Table memory bombs.
		{name: "table growth", limits: &memoryLimits, script: `local t, i = {}, 0 while true do i = i + 1 t[i] = {i, i, i} end`, wantErr: luabox.ErrTooLarge, wantMsg: "heap grew"},
		{name: "table growth inside pcall", limits: &memoryLimits, script: `local t = {} pcall(function() local i = 0 while true do i = i + 1 t[i] = {i} end end) return #t`, wantErr: luabox.ErrTooLarge},
		{name: "table growth with string keys", limits: &memoryLimits, script: `local t, i = {}, 0 while true do i = i + 1 t["k" .. i] = {} end`, wantErr: luabox.ErrTooLarge, wantMsg: "heap grew"},
		{name: "table.insert flood", limits: &memoryLimits, script: `local t = {} while true do table.insert(t, {1, 2, 3}) end`, wantErr: luabox.ErrTooLarge},
		{name: "table growth inside a coroutine", limits: &memoryLimits, script: `coroutine.wrap(function() local t, i = {}, 0 while true do i = i + 1 t[i] = {i} end end)()`, wantErr: luabox.ErrTooLarge},
		{name: "far array index", script: `local t = {} t[2^26 - 1] = true return #t`},
		{name: "unpack of a huge range", script: `return unpack({}, 1, 1e8)`, wantErr: luabox.ErrStackOverflow},
		{name: "string.byte of a long string", script: `return string.rep("x", 1e6):byte(1, -1)`, wantErr: luabox.ErrStackOverflow},

		// Pathological patterns.
		{name: "backtracking find", script: `return string.rep("a", 5000):find(".-.-.-.-.-.-b")`, wantErr: luabox.ErrTimeout},
		{name: "backtracking gmatch", script: `for a in string.rep("a", 3000):gmatch("(.-)(.-)(.-)b") do end`, wantErr: luabox.ErrTimeout},
		{name: "backtracking gsub", script: `return string.rep("ab", 3000):gsub("(.*)(.*)(.*)c", "")`, wantErr: luabox.ErrTimeout},
		{name: "backtracking match", script: `return string.rep("a", 5000):match("(.-)(.-)(.-)(.-)x")`, wantErr: luabox.ErrTimeout},
		{name: "backtracking find in a pcall loop", script: `while true do pcall(string.find, string.rep("a", 3000), ".-.-.-b") end`, wantErr: luabox.ErrTimeout},
		{name: "backtracking gsub with a function", script: `return (string.rep("a", 3000):gsub("(.-)(.-)b", function() return "" end))`, wantErr: luabox.ErrTimeout},
		{name: "deep pattern", script: `return string.rep("a", 400):find(string.rep("a?", 300))`, wantErr: luabox.ErrScript, wantMsg: "pattern too complex"},

		// Reaching for removed capabilities.
		{name: "os", script: `os.exit(1)`, wantErr: luabox.ErrForbidden, wantMsg: "os is not available"},
		{name: "os via _G", script: `return _G.os.getenv("HOME")`, wantErr: luabox.ErrForbidden},
		{name: "io", script: `return io.open("/etc/passwd"):read("*a")`, wantErr: luabox.ErrForbidden},
		{name: "require", script: `return require("os")`, wantErr: luabox.ErrForbidden},
		{name: "package", script: `return package.loaded`, wantErr: luabox.ErrForbidden},
		{name: "load", script: `return load("return 1")()`, wantErr: luabox.ErrForbidden},
		{name: "loadstring", script: `return loadstring("return 1")()`, wantErr: luabox.ErrForbidden},
		{name: "dofile", script: `return dofile("/etc/passwd")`, wantErr: luabox.ErrForbidden},
		{name: "loadfile", script: `return loadfile("/etc/passwd")`, wantErr: luabox.ErrForbidden},
		{name: "debug", script: `return debug.getinfo(1)`, wantErr: luabox.ErrForbidden},
		{name: "getfenv", script: `return getfenv(1)`, wantErr: luabox.ErrForbidden},
		{name: "setfenv", script: `setfenv(1, {})`, wantErr: luabox.ErrForbidden},
		{name: "collectgarbage", script: `collectgarbage("collect")`, wantErr: luabox.ErrForbidden},
		{name: "math.randomseed", script: `math.randomseed(1)`, wantErr: luabox.ErrForbidden},
		{name: "string.dump", script: `return string.dump(process_event)`, wantErr: luabox.ErrForbidden},
		{name: "loadstring by a computed name", script: `return _G["load" .. "string"]("return 1")()`, wantErr: luabox.ErrForbidden},
		{name: "debug caught and rethrown", script: `local ok, err = pcall(function() return debug.traceback() end) error(err, 0)`, wantErr: luabox.ErrForbidden},
		{name: "getfenv of level 0", script: `return getfenv(0).os`, wantErr: luabox.ErrForbidden},
		{name: "collectgarbage via _G", script: `return _G.collectgarbage("count")`, wantErr: luabox.ErrForbidden},
		{name: "newproxy", script: `return newproxy(true)`, wantErr: luabox.ErrForbidden},
		{name: "module", script: `module("x")`, wantErr: luabox.ErrForbidden},
		{name: "rawget of a removed library finds nothing", script: `if rawget(_G, "os") ~= nil or rawget(_G, "io") ~= nil or rawget(_G, "debug") ~= nil then error("library leaked") end`},
		{name: "string metatable is hidden", script: `if getmetatable("") ~= false then error("string metatable leaked") end`},
		{name: "setmetatable on a string", script: `setmetatable("", {__index = {}})`, wantErr: luabox.ErrScript, wantMsg: "protected metatable"},
		{name: "forbidden error rethrown", script: `local ok, err = pcall(require, "x") error(err, 0)`, wantErr: luabox.ErrForbidden},
		{name: "string metatable", script: `getmetatable("").__index.upper = nil`, wantErr: luabox.ErrScript, wantMsg: "index"},
		{name: "globals metatable", script: `setmetatable(_G, nil)`, wantErr: luabox.ErrScript, wantMsg: "protected metatable"},
		{name: "host refuses a URL", script: `return http.request{url = "https://forbidden.example/"}`, wantErr: luabox.ErrForbidden},

		// Coroutine floods.
		{name: "coroutine.create flood", script: `for i = 1, 1e6 do coroutine.create(function() end) end`, wantErr: luabox.ErrTooLarge, wantMsg: "coroutines"},
		{name: "coroutine flood under pcall", script: `for i = 1, 1000 do pcall(coroutine.create, function() end) end return coroutine.create(function() end)`, wantErr: luabox.ErrTooLarge, wantMsg: "coroutines"},
		{name: "nested coroutine chain", script: `local function f() return coroutine.wrap(f)() end return f()`, wantErr: luabox.ErrTooLarge},
		{name: "coroutine.wrap flood", script: `local t = {} for i = 1, 1e6 do t[i] = coroutine.wrap(function() coroutine.yield() end) t[i]() end`, wantErr: luabox.ErrTooLarge},

		// Deep recursion.
		{name: "recursion", script: `local function f(n) return 1 + f(n + 1) end return f(1)`, wantErr: luabox.ErrStackOverflow},
		{name: "recursion after a caught overflow", script: `local function f() return 1 + f() end pcall(f) return f()`, wantErr: luabox.ErrStackOverflow},
		{name: "recursion through __index", script: `local t = setmetatable({}, {__index = function(t, k) return t[k] end}) return t.x`, wantErr: luabox.ErrStackOverflow},
		{name: "recursion through pcall", script: `local function f() pcall(f) error("x") end f()`, wantErr: luabox.ErrScript},
		{name: "mutual recursion", script: `local g local function f() return 1 + g() end g = function() return 1 + f() end return f()`, wantErr: luabox.ErrStackOverflow},
		{name: "recursion inside a coroutine", script: `return coroutine.wrap(function() local function f() return 1 + f() end return f() end)()`, wantErr: luabox.ErrStackOverflow},
		{name: "recursion through a gsub callback", script: `local function f(s) return (s:gsub(".", f)) end return f("x")`, wantErr: luabox.ErrStackOverflow},
		{name: "recursion through __concat", script: `local t = setmetatable({}, {}) getmetatable(t).__concat = function(a, b) return a .. b end return t .. "x"`, wantErr: luabox.ErrStackOverflow},
		{name: "recursion through tostring", script: `local t = setmetatable({}, {__tostring = function(t) return tostring(t) end}) return tostring(t)`, wantErr: luabox.ErrStackOverflow},

		// Errors and values that cannot cross the boundary.
		{name: "huge error message", script: `error(string.rep("x", 1e6))`, wantErr: luabox.ErrScript, wantMsg: "bytes truncated"},
		{name: "error with a table", script: `error({code = 1})`, wantErr: luabox.ErrScript, wantMsg: `error value {"code":1}`},
		{name: "inconsistent sort comparator", script: `local t = {} for i = 1, 500 do t[i] = (i * 7919) % 501 end table.sort(t, function(a, b) return true end) return #t`},
		{name: "failing sort comparator", script: `table.sort({3, 2, 1}, function(a, b) error("cmp") end)`, wantErr: luabox.ErrScript, wantMsg: "cmp"},
		{name: "cyclic json.encode", script: `local t = {} t.self = t return json.encode(t)`, wantErr: luabox.ErrScript, wantMsg: "contains itself"},
		{name: "cyclic result", script: `local a, b = {}, {} a.b = b b.a = a return a`, wantErr: luabox.ErrScript, wantMsg: "contains itself"},
		{name: "function result", script: `return print`, wantErr: luabox.ErrScript, wantMsg: "function"},
		{name: "NaN result", script: `return 0/0`, wantErr: luabox.ErrScript},
		{name: "deep json.decode", script: `return json.decode(string.rep("[", 1000) .. string.rep("]", 1000))`, wantErr: luabox.ErrTooLarge},
		{name: "deep result", script: `local t = {} for i = 1, 1000 do t = {t} end return t`, wantErr: luabox.ErrTooLarge},
		{name: "exponential shared tables", script: `local t = {"x"} for i = 1, 60 do t = {t, t} end return t`, wantErr: luabox.ErrTooLarge},
		{name: "result too large", script: `return string.rep("x", 900000) .. string.rep("y", 900000)`, limits: &luabox.Limits{MaxStringBytes: 4 << 20, MaxResultBytes: 1 << 20}, wantErr: luabox.ErrTooLarge},
		{name: "host answer too large", script: `return query("huge")`, wantErr: luabox.ErrTooLarge},

		// Scripts that are not workflows.
		{name: "syntax error", chunk: true, script: "function process_event(\n", wantErr: luabox.ErrInvalidScript},
		{name: "no process_event", chunk: true, script: "x = 1", wantErr: luabox.ErrInvalidScript, wantMsg: "process_event"},
		{name: "deep nesting", chunk: true, script: "function process_event() return " + strings.Repeat("{", 300) + strings.Repeat("}", 300) + " end", wantErr: luabox.ErrInvalidScript, wantMsg: "nests"},
		{name: "long concatenation chain", chunk: true, script: "function process_event() return 'a'" + strings.Repeat("..'a'", 150) + " end"},
		{name: "too long concatenation chain", chunk: true, script: "function process_event() return 'a'" + strings.Repeat("..'a'", 5000) + " end", wantErr: luabox.ErrInvalidScript, wantMsg: "register overflow"},
	}
	goroutines := runtime.NumGoroutine()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limits := hostileLimits
			if tt.limits != nil {
				limits = *tt.limits
			}
			sb, _ := setup(t, limits)
			script := tt.script
			if !tt.chunk {
				script = "function process_event(data, ctx)\n" + script + "\nend"
			}
			start := time.Now()
			res, err := sb.Run(context.Background(), luabox.Run{Script: script, Name: "hostile"})
			elapsed := time.Since(start)
			if tt.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.Error(t, err, "the run ended without an error, returning %s", res.Output)
				require.ErrorIs(t, err, tt.wantErr, "got %v", err)
				require.Contains(t, err.Error(), tt.wantMsg)
				require.Less(t, len(err.Error()), 1200, "error text must stay short")
			}
			// The deadline bounds every case; allow for a loaded machine and a GC cycle.
			require.Less(t, elapsed, 5*time.Second)

			// The sandbox is still usable and unaffected.
			require.JSONEq(t, `{"ok":true,"n":3}`, mustRun(t, sb, `function process_event(data)
				return {ok = true, n = #data.items}
			end`, `{"items":[1,2,3]}`))
		})
	}
	// Runs leave nothing running behind (timers and watchdogs have stopped).
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= goroutines+2 }, 2*time.Second, 20*time.Millisecond)
}

// TestHostileMutationsDoNotLeak: a run that rewrites the standard libraries, the workflow API and
// the globals (and then fails) leaves the next run of the same sandbox with the originals.
func TestHostileMutationsDoNotLeak(t *testing.T) {
	sb, _ := setup(t, hostileLimits)
	_, err := sb.Run(context.Background(), luabox.Run{Name: "poison", Script: `function process_event()
		string.rep = function() return "poisoned" end
		string.upper = nil
		table.concat = nil
		math.floor = function() return -1 end
		json.encode = nil
		log = nil
		tostring = function() return "poisoned" end
		setmetatable(string, {__index = function() return "poisoned" end})
		leaked_global = "poisoned"
		error("fail after poisoning")
	end`})
	require.ErrorIs(t, err, luabox.ErrScript)

	require.JSONEq(t, `["xxx","ABC","a,b",1,"[1]","1",true]`, mustRun(t, sb, `function process_event()
		log("still here")
		return {("x"):rep(3), string.upper("abc"), table.concat({"a", "b"}, ","), math.floor(1.5),
			json.encode({1}), tostring(1), leaked_global == nil}
	end`, ``))
}
