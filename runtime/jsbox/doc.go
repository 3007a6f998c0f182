// Package jsbox runs builders' JavaScript event handlers and reducers in a
// sandbox on goja. It is pure Go, does no I/O and depends on no other GoFlow
// package.
//
// # Scripts
//
// A handler script defines
//
//	function handleEvent(payload, ctx) { dispatch(createAction('inc', { by: 1 })) }
//
// and a reducer script (page or app reducer alike) defines
//
//	function reducer(state = { count: 0 }, action) { return { ...state, count: state.count + 1 } }
//
// The injected API is createAction, dispatch, ctx.state (a frozen copy),
// ctx.event, ctx.component (getProps, setProps, emit), utils (formatDate,
// validateSchema, log) and console (mapped to utils.log). goflow-api.d.ts
// declares it for the editor (TypeScriptDefinitions). Scripts run in strict
// mode inside a function, so their declarations never become globals.
//
// Values cross the boundary only as JSON: inputs are JSON texts built into
// fresh script values, outputs are serialized inside the call. No Go object is
// ever reachable from a script: the host natives live in the prelude's
// closure (prelude.js), and eval, the Function constructors, Proxy, typed
// arrays and goja's GoError are removed.
//
// # Determinism
//
// Date.now(), new Date() and Math.random come from Determinism (recorded with
// the action), so replaying a call reproduces its result. Two things are left
// to the deployment: local-time Date methods use the server's time zone
// (run servers in UTC), and utils.formatDate formats in UTC only.
//
// # Runtimes
//
// Runtimes are pooled, one per concurrency slot. A pooled runtime is hardened
// once (~5-7ms): every intrinsic reachable from the global object and the
// hidden prototypes is frozen, so nothing a call does can be seen by the next
// one; prototype properties that ordinary code assigns on instances (name,
// message, toString, constructor, ...) are made accessors that define the
// property on the instance instead, so freezing does not break
// `this.name = 'AppError'`. A runtime is discarded after an interrupt, a
// panic or runtimeMaxUses calls. Creating a fresh runtime per call instead
// needs no hardening but still the guards, and measures about 5x slower per
// call (BenchmarkReducer/fresh vs /pooled), so pooling is what runs.
//
// # Limits and what they contain
//
// Every call ends with a typed error (ErrTimeout, ErrStackOverflow,
// ErrTooLarge, ErrScript, ErrInvalidScript) and leaves the Sandbox usable:
//
//   - Deadline: Limits.Timeout (or the per-call override, or the context
//     deadline) interrupts the runtime. Interrupts cannot be caught by the
//     script, and cover top-level code, promise jobs and async functions.
//   - Call depth: Limits.MaxCallStack. Stack overflows cannot be caught.
//   - Sizes: state, handler results and logs are capped as they are written;
//     JSON crossing the boundary and JSON.parse input have a depth cap;
//     JSON.stringify runs in Go with a byte budget, a depth cap and cycle
//     detection (no shared-subtree blow-up).
//   - Built-ins that loop in Go, where the deadline cannot reach, are wrapped:
//     Array methods that walk every index refuse lengths above
//     Limits.MaxArrayLength (sparse arrays and array-likes included, also via
//     apply, Reflect.apply/construct and Array.from); flat/flatMap are
//     bounded in size and depth; repeat, padStart, padEnd, concat, join and
//     replace/replaceAll refuse results above Limits.MaxStringLength; array
//     iteration (spread, for-of, Array.from, new Set(array)) steps through
//     JavaScript so the deadline applies.
//   - Regular expressions that need backtracking are first run in Go with a
//     match timeout (Limits.RegexpTimeout); linear-time ones run as they are.
//   - Sources are capped in size and nesting before they are compiled;
//     compiled programs are cached per (ID, Version) in a bounded LRU.
//   - A runtime that does not stop within abandonGrace of its deadline is
//     abandoned: the caller gets ErrTimeout at once and Stats().Stuck counts
//     the goroutine until it ends.
//   - Config.MaxConcurrent bounds how many calls run at once, and so the
//     transient memory hostile calls can hold together.
//
// Not contained in-process:
//
//   - Memory growth by plain JavaScript (s += s, pushing in a loop, building
//     maps) is bounded only by the deadline: a call can allocate what the VM
//     allocates in Timeout, tens to a few hundred MB, before it is stopped.
//   - Unguarded built-ins over inputs within the caps (sorting
//     MaxArrayLength elements, splitting a MaxStringLength string) run to
//     completion, milliseconds past the deadline at most.
//   - Backtracking regexps are stopped by regexp2's process-wide clock, which
//     ticks every 100ms: up to ~RegexpTimeout+200ms of CPU per match.
//   - Parsing is superlinear for some pathological sources (long arrow
//     chains); MaxSourceBytes bounds it, once per script version.
//   - A goja bug that loops forever inside a native keeps an abandoned
//     goroutine on a core; Go runtime fatal errors (out of memory, a stack
//     beyond 1 GB) cannot be recovered at all. The guards keep scripts away
//     from both; the containment for what remains is an isolated worker
//     process with a memory cap (not built here), to which a caller can send
//     the apps whose scripts trip ErrTooLarge or abandonment repeatedly.
package jsbox
