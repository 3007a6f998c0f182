// Package luabox runs backend workflow scripts written in Lua 5.1 (gopher-lua) in a sandbox.
//
// A workflow script defines
//
//	function process_event(data, ctx) ... return result end
//
// and every [Sandbox.Run] executes it in a fresh interpreter: nothing survives between runs except the
// compiled bytecode, which is immutable. Data, the run context and the result cross the boundary as JSON.
//
// # What a script can use
//
// The base library (without the functions listed below), coroutine (capped), table, string and math, plus:
//
//	query(name, params)            -> value   Host.Query, JSON in and out
//	http.request{method=, url=, headers=, body=}
//	                               -> {status=, headers=, body=}   Host.HTTPRequest (the host enforces allowed hosts)
//	ai.complete{model=, prompt= | messages={{role=, content=}...}, max_tokens=, temperature=}
//	                               -> {text=, model=, finish_reason=, usage={prompt_tokens=, completion_tokens=}}
//	json.encode(v), json.decode(s), json.null, json.array([t])
//	log(...), print(...)           captured into Result.Logs
//
// Host errors are raised as Lua errors, so pcall can catch them.
//
// # JSON
//
// Objects become tables with string keys, a null member is left out (so data.x == nil works); arrays
// become sequences, a null element becomes json.null (positions and # survive). On the way out a table
// with keys exactly 1..n is an array, any other an object; an empty table is {} unless it came from a
// JSON array or was made by json.array(). Cycles, functions, NaN and infinities cannot be encoded.
//
// # What is removed
//
// Everything that loads code, touches files, the process, the environment or the garbage collector:
// load, loadstring, loadfile, dofile, require, module, getfenv, setfenv, collectgarbage, newproxy,
// string.dump, math.randomseed (it reseeds the process-wide generator) and the os, io, debug and
// package libraries. Reading one of these names raises an error classified as [ErrForbidden].
// getmetatable("") returns false instead of the string library. rawget, rawset and rawequal stay: they
// only bypass metamethods of tables the script itself made, inside its own fresh state.
//
// # What is contained, and how
//
//   - Time: the run's context (Limits.Timeout) is checked before every VM instruction, so loops end
//     even inside pcall (a caught timeout is raised again by the next instruction). Pattern matching
//     (find, match, gmatch, gsub) is this package's own matcher, which checks the context every few
//     thousand steps, so long subjects times complex patterns end at the deadline too. Host calls get
//     the same context.
//   - Call depth: Limits.MaxCallStack frames and Limits.MaxRegistry stack slots; deep recursion ends
//     with [ErrStackOverflow]. Tail calls are not proper tail calls here (see rewriter): tail
//     recursion counts against the same limit. Pattern recursion is capped at 200 levels.
//   - Strings: every operation that can make a string larger than its inputs checks the result size
//     before allocating: the .. operator (rewritten at compile time into a checked call), string.rep,
//     string.format, string.gsub, table.concat, json.encode and host responses. Past
//     Limits.MaxStringBytes the run gets [ErrTooLarge].
//   - Coroutines: at most Limits.MaxCoroutines are created per run.
//   - Memory in general (tables, many medium strings): a watchdog samples the process's live heap
//     (runtime/metrics, after each GC) every 10ms and stops the run with [ErrTooLarge] once it has grown
//     by more than Limits.MaxMemoryBytes since the run started. This is a process-wide backstop, not
//     per-run accounting: concurrent runs can be stopped for each other's growth, and between GC cycles
//     the heap can reach about twice the limit before the check sees it. The largest single allocation
//     one table store can make is capped by lowering gopher-lua's MaxArrayIndex (see init).
//
// The .. operator and tail calls are changed by rewriting the syntax tree before compilation (see
// rewriter); the rest of the language is gopher-lua's Lua 5.1.
//
// Not contained: a single long Go library call that neither allocates strings nor calls back into Lua
// (table.sort of a huge table without a comparator) runs to completion before the deadline is seen;
// its cost is bounded by the size of the table, which the memory watchdog bounds in turn.
package luabox
