package jsbox_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/goflow-dev/goflow/runtime/jsbox"
	"github.com/stretchr/testify/require"
)

// hostileCase is a script that must end with a clear error without harming
// the process or the next call. body is wrapped into handleEvent, or into
// reducer when reducer is set (then body must return the state).
type hostileCase struct {
	name    string
	reducer bool
	body    string
	want    error
	msg     string // substring of the error message, optional
}

var hostileCases = []hostileCase{
	// Runaway code.
	{name: "infinite loop", body: `while (true) {}`, want: jsbox.ErrTimeout},
	{name: "loop inside try/catch", body: `for (;;) { try { while (true) {} } catch (e) {} }`, want: jsbox.ErrTimeout},
	{name: "loop in finally", body: `try { while (true) {} } finally { for (;;) {} }`, want: jsbox.ErrTimeout},
	{name: "loop in top-level code", body: `}; for (;;) {}; function unused() {`, want: jsbox.ErrTimeout},
	{name: "loop in comparator", body: `[3, 2, 1].sort(() => { for (;;) {} })`, want: jsbox.ErrTimeout},
	{name: "loop in getter of the result", reducer: true, body: `return { get x() { for (;;) {} } }`, want: jsbox.ErrTimeout},
	{name: "loop in toJSON of a thrown value", body: `throw { toJSON() { for (;;) {} } }`, want: jsbox.ErrTimeout},
	{name: "promise job loop", body: `Promise.resolve().then(function f() { return Promise.resolve().then(f) })`, want: jsbox.ErrTimeout},
	{name: "async await loop", body: `(async () => { for (;;) await null })()`, want: jsbox.ErrTimeout},
	{name: "allocation loop", body: `const a = []; for (;;) a.push({ i: a.length })`, want: jsbox.ErrTimeout},
	{name: "map growth loop", body: `const m = new Map(); for (let i = 0; ; i++) m.set(i, String(i))`, want: jsbox.ErrTimeout},
	{name: "string doubling", body: `let s = 'x'; for (;;) s += s`, want: jsbox.ErrTimeout},
	{name: "spread of a huge sparse array", body: `const a = []; a.length = 1e9; const b = [...a]`, want: jsbox.ErrTimeout},
	{name: "log flood", body: `for (;;) console.log('x'.repeat(1000))`, want: jsbox.ErrTimeout},

	// Recursion.
	{name: "unbounded recursion", body: `function f() { return f() + 1 } f()`, want: jsbox.ErrStackOverflow},
	{name: "recursion through a native callback", body: `function f() { return [1].map(f) } f()`, want: jsbox.ErrStackOverflow},
	{name: "recursion that catches", body: `function f() { try { return f() } catch (e) { return f() } } f()`, want: jsbox.ErrStackOverflow},
	{name: "deeply nested array to string", body: `let a = []; for (let i = 0; i < 3000; i++) a = [a]; String(a)`, want: jsbox.ErrStackOverflow},
	{name: "recursion in a getter of the result", reducer: true, body: `function f() { return f() } return { get x() { return f() } }`, want: jsbox.ErrStackOverflow},

	// String memory bombs.
	{name: "repeat", body: `'x'.repeat(2 ** 30)`, want: jsbox.ErrTooLarge},
	{name: "repeat with a lying valueOf", body: `let n = 0; 'x'.repeat({ valueOf() { return n++ ? 2 ** 30 : 1 } }).repeat(2 ** 29)`, want: jsbox.ErrTooLarge},
	{name: "padStart", body: `'x'.padStart(2 ** 30, 'ab')`, want: jsbox.ErrTooLarge},
	{name: "padEnd", body: `''.padEnd(2 ** 30)`, want: jsbox.ErrTooLarge},
	{name: "string concat", body: `const s = 'x'.repeat(1e5); s.concat(s, s, s, s, s, s, s, s, s, s, s)`, want: jsbox.ErrTooLarge},
	{name: "join", body: `new Array(1e5).fill('x'.repeat(1e5)).join('')`, want: jsbox.ErrTooLarge},
	{name: "join with a huge separator", body: `new Array(1e5).join('y'.repeat(1e5))`, want: jsbox.ErrTooLarge},
	{name: "replaceAll with empty pattern", body: `'a'.repeat(1e5).replaceAll('', 'b'.repeat(1e4))`, want: jsbox.ErrTooLarge},
	{name: "replace with $' expansion", body: `'a'.repeat(5e3).replace(/a/g, "$'")`, want: jsbox.ErrTooLarge},
	{name: "replace with a function", body: `const big = 'b'.repeat(1e4); 'a'.repeat(1e4).replace(/a/g, () => big)`, want: jsbox.ErrTooLarge},
	{name: "JSON.stringify shared-subtree bomb", body: `let o = {}; for (let i = 0; i < 40; i++) o = { a: o, b: o }; JSON.stringify(o)`, want: jsbox.ErrTooLarge},
	{name: "JSON.stringify deep nesting", body: `let o = {}; for (let i = 0; i < 3000; i++) o = { a: o }; JSON.stringify(o)`, want: jsbox.ErrTooLarge},
	{name: "JSON.parse deep nesting", body: `JSON.parse('['.repeat(1e5) + ']'.repeat(1e5))`, want: jsbox.ErrTooLarge},

	// Array memory bombs and uninterruptible native loops.
	{name: "join of a 2^32-1 length array", body: `Array(2 ** 32 - 1).join('')`, want: jsbox.ErrTooLarge},
	{name: "fill of a huge array", body: `new Array(1e9).fill(0)`, want: jsbox.ErrTooLarge},
	{name: "indexOf on a huge array-like", body: `Array.prototype.indexOf.call({ length: 2 ** 53 - 1 }, 1)`, want: jsbox.ErrTooLarge},
	{name: "array-like with a lying length getter", body: `let n = 0; Array.prototype.indexOf.call({ get length() { return n++ ? 1e9 : 0 } }, 1)`, want: jsbox.ErrScript, msg: "length accessor"},
	{name: "Array.from a huge array-like", body: `Array.from({ length: 1e9 })`, want: jsbox.ErrTooLarge},
	{name: "apply with a huge array-like", body: `Math.max.apply(null, { length: 1e9 })`, want: jsbox.ErrTooLarge},
	{name: "Reflect.apply with a huge array-like", body: `Reflect.apply(Math.max, null, { length: 1e9 })`, want: jsbox.ErrTooLarge},
	{name: "concat", body: `const a = new Array(1e5).fill(0); a.concat(a, a, a, a, a, a, a, a, a, a, a, a, a, a, a)`, want: jsbox.ErrTooLarge},
	{name: "flat of a square", body: `new Array(2e4).fill(new Array(2e4).fill(0)).flat()`, want: jsbox.ErrTooLarge},
	{name: "flat(Infinity) of deep nesting", body: `let a = [1]; for (let i = 0; i < 3000; i++) a = [a]; a.flat(Infinity).length`, want: jsbox.ErrTooLarge},
	{name: "typed array allocation", body: `new Uint8Array(2e9)`, want: jsbox.ErrScript, msg: "Uint8Array is not defined"},

	// Catastrophic regular expressions (backtracking engine).
	{name: "catastrophic regexp test", body: `/^(a+)+(?=$)/.test('a'.repeat(40) + '!')`, want: jsbox.ErrTimeout},
	{name: "catastrophic regexp exec", body: `/(a|aa)+(?=c)/.exec('a'.repeat(60))`, want: jsbox.ErrTimeout},
	{name: "catastrophic regexp via String.match", body: `('a'.repeat(40) + '!').match('^(\\w+\\s?)*(?=$)')`, want: jsbox.ErrTimeout},
	{name: "catastrophic regexp via replace", body: `('a'.repeat(40) + '!').replace(/^(a+)+(?=$)/g, '')`, want: jsbox.ErrTimeout},
	{name: "catastrophic regexp via split", body: `('a'.repeat(40) + '!').split(/^(a+)+(?=$)/)`, want: jsbox.ErrTimeout},
	{name: "catastrophic regexp with a spoofed source", body: `const r = /^(a+)+(?=$)/; Object.defineProperty(r, 'source', { value: 'x' }); r.exec('a'.repeat(40) + '!')`, want: jsbox.ErrTimeout},

	// State meant to leak into the next call (the follow-up checks it did not).
	{name: "Object.prototype pollution", body: `Object.prototype.polluted = 1`, want: jsbox.ErrScript},
	{name: "__proto__ pollution", body: `({}).__proto__.polluted = 1`, want: jsbox.ErrScript},
	{name: "defineProperty on Object.prototype", body: `Object.defineProperty(Object.prototype, 'polluted', { get() { return 1 } })`, want: jsbox.ErrScript},
	{name: "replacing a built-in method", body: `Array.prototype.includes = () => true`, want: jsbox.ErrScript},
	{name: "replacing JSON.stringify", body: `JSON.stringify = () => '{}'`, want: jsbox.ErrScript},
	{name: "global variable", body: `globalThis.leak = 1`, want: jsbox.ErrScript},
	{name: "implicit global", body: `leak = 1`, want: jsbox.ErrScript},
	{name: "redefining the injected API", body: `Object.defineProperty(globalThis, 'dispatch', { value: () => {} })`, want: jsbox.ErrScript},
	{name: "mutating ctx.state", body: `ctx.state.items.push(1)`, want: jsbox.ErrScript},

	// Code generation and host objects.
	{name: "Function constructor", body: `Function('return this')()`, want: jsbox.ErrScript, msg: "disabled"},
	{name: "Function via constructor property", body: `(() => {}).constructor('return 1')()`, want: jsbox.ErrScript, msg: "disabled"},
	{name: "AsyncFunction constructor", body: `(async () => {}).constructor('return 1')()`, want: jsbox.ErrScript, msg: "disabled"},
	{name: "GeneratorFunction constructor", body: `(function* () {}).constructor('yield 1')().next()`, want: jsbox.ErrScript, msg: "disabled"},
	{name: "Function reached from a built-in", body: `[].map.constructor('return 1')()`, want: jsbox.ErrScript, msg: "disabled"},
	{name: "eval", body: `eval('1')`, want: jsbox.ErrScript, msg: "eval"},
	{name: "indirect eval", body: `(0, globalThis.eval)('1')`, want: jsbox.ErrScript},
	{name: "caller of the entry function", body: `(function f() { return f.caller })()`, want: jsbox.ErrScript},
	{name: "arguments.callee", body: `(function () { return arguments.callee })()`, want: jsbox.ErrScript},
	{name: "Proxy", body: `new Proxy({}, {})`, want: jsbox.ErrScript, msg: "Proxy is not defined"},

	// Results.
	{name: "cyclic result", reducer: true, body: `const s = {}; s.self = s; return s`, want: jsbox.ErrScript, msg: "circular"},
	{name: "cyclic payload", body: `const p = []; p.push(p); dispatch(createAction('x', p))`, want: jsbox.ErrScript, msg: "circular"},
	{name: "oversized state", reducer: true, body: `return { a: 'x'.repeat(6e5), b: 'y'.repeat(6e5) }`, want: jsbox.ErrTooLarge},
	{name: "oversized dispatches", body: `const p = 'y'.repeat(1e5); for (;;) dispatch(createAction('x', p))`, want: jsbox.ErrTooLarge},
	{name: "dispatch flood", body: `for (;;) dispatch(createAction('x', 'y'.repeat(100)))`, want: jsbox.ErrTooLarge},
	{name: "state too deep", reducer: true, body: `let o = {}; for (let i = 0; i < 1000; i++) o = { a: o }; return o`, want: jsbox.ErrTooLarge},
	{name: "BigInt in the result", reducer: true, body: `return { n: 10n }`, want: jsbox.ErrScript, msg: "BigInt"},
	{name: "function as the result", reducer: true, body: `return () => 1`, want: jsbox.ErrScript, msg: "not JSON"},
	{name: "undefined result", reducer: true, body: `return undefined`, want: jsbox.ErrScript, msg: "undefined"},
	{name: "promise result", reducer: true, body: `return Promise.resolve(state)`, want: jsbox.ErrScript, msg: "Promise"},
	{name: "huge error message", body: `throw new Error('x'.repeat(1e6))`, want: jsbox.ErrScript},
	{name: "huge thrown string", body: `throw 'x'.repeat(1e6)`, want: jsbox.ErrScript},
	{name: "rejected async handler", body: `return (async () => { await null; throw new TypeError('late') })()`, want: jsbox.ErrScript, msg: "late"},
}

func hostileSource(c hostileCase) string {
	if c.reducer {
		return "function reducer(state, action) {\n" + c.body + "\n}"
	}
	return "function handleEvent(payload, ctx) {\n" + c.body + "\n}"
}

// TestHostileScripts runs every case in one Sandbox; after each, ordinary
// scripts must run and see no trace of it.
func TestHostileScripts(t *testing.T) {
	sb := newSandbox(t, nil)
	ctx := context.Background()
	for i, c := range hostileCases {
		t.Run(c.name, func(t *testing.T) {
			script := jsbox.Program{ID: "hostile", Version: int64(i), Source: hostileSource(c)}
			// Cases meant to hit another guard get a long deadline, so that a
			// loaded machine cannot turn them into timeouts.
			timeout, maxElapsed := 50*time.Millisecond, 3*time.Second
			if c.want != jsbox.ErrTimeout {
				timeout, maxElapsed = 5*time.Second, 5*time.Second
			}
			start := time.Now()
			var err error
			if c.reducer {
				_, err = sb.RunReducer(ctx, jsbox.ReducerInput{Script: script, State: json.RawMessage(`{"items":[]}`), Action: jsbox.Action{Type: "x"}, Timeout: timeout})
			} else {
				_, err = sb.RunHandler(ctx, jsbox.HandlerInput{Script: script, State: json.RawMessage(`{"items":[]}`), Timeout: timeout})
			}
			elapsed := time.Since(start)
			require.ErrorIs(t, err, c.want, "got %v", err)
			var jsErr *jsbox.Error
			require.ErrorAs(t, err, &jsErr)
			require.LessOrEqual(t, len(jsErr.Message), 2100, "message must be truncated")
			require.LessOrEqual(t, len(jsErr.Stack), 2100, "stack must be truncated")
			if c.msg != "" {
				require.Contains(t, err.Error(), c.msg)
			}
			// Timeouts: 50ms, plus regexp2's clock period for regexps; the bound is generous so that a
			// loaded CI machine cannot fail it, while an uninterrupted script would never end.
			require.Less(t, elapsed, maxElapsed)
			requireHealthy(t, sb)
		})
	}
	require.Zero(t, sb.Stats().Abandoned, "every hostile script must stop when interrupted")
}

// requireHealthy runs ordinary scripts that would notice leaked state.
func requireHealthy(t *testing.T, sb *jsbox.Sandbox) {
	t.Helper()
	ctx := context.Background()
	res, err := sb.RunHandler(ctx, jsbox.HandlerInput{
		Script: jsbox.Program{ID: "healthy-handler", Version: 1, Source: `
			function handleEvent(payload, ctx) {
				const leaks = [];
				if (({}).polluted !== undefined || [].polluted !== undefined) leaks.push('prototype');
				if (typeof leak !== 'undefined' || 'leak' in globalThis) leaks.push('global');
				if ([1, 2].includes(3)) leaks.push('includes');
				if (JSON.stringify({ a: 1 }) !== '{"a":1}') leaks.push('JSON');
				if (typeof dispatch !== 'function' || dispatch.length !== 1) leaks.push('dispatch');
				dispatch(createAction('ok', { leaks, n: payload.n, items: ctx.state.items }));
			}`},
		Event: jsbox.Event{Name: "onClick", Payload: json.RawMessage(`{"n":7}`)},
		State: json.RawMessage(`{"items":[1,2]}`),
	})
	require.NoError(t, err)
	require.Len(t, res.Actions, 1)
	require.JSONEq(t, `{"leaks":[],"n":7,"items":[1,2]}`, string(res.Actions[0].Payload))

	red, err := sb.RunReducer(ctx, jsbox.ReducerInput{
		Script: jsbox.Program{ID: "healthy-reducer", Version: 1, Source: `
			function reducer(state = { count: 0 }, action) {
				return { ...state, count: state.count + action.payload.by, s: 'ab'.repeat(2) };
			}`},
		Action: jsbox.Action{Type: "inc", Payload: json.RawMessage(`{"by":2}`)},
	})
	require.NoError(t, err)
	require.JSONEq(t, `{"count":2,"s":"abab"}`, string(red.State))
}

func TestHostileInputs(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, nil)
	ctx := context.Background()
	script := jsbox.Program{ID: "h", Version: 1, Source: `function handleEvent() {}`}
	deep := strings.Repeat("[", 200) + strings.Repeat("]", 200)
	cases := []struct {
		name string
		in   jsbox.HandlerInput
		want error
	}{
		{"deeply nested state", jsbox.HandlerInput{Script: script, State: json.RawMessage(deep)}, jsbox.ErrTooLarge},
		{"deeply nested payload", jsbox.HandlerInput{Script: script, Event: jsbox.Event{Payload: json.RawMessage(deep)}}, jsbox.ErrTooLarge},
		{"oversized state", jsbox.HandlerInput{Script: script, State: json.RawMessage(`"` + strings.Repeat("x", 2<<20) + `"`)}, jsbox.ErrTooLarge},
		{"invalid JSON", jsbox.HandlerInput{Script: script, State: json.RawMessage(`{`)}, jsbox.ErrInvalidInput},
		{"props not an object", jsbox.HandlerInput{Script: script, Component: jsbox.ComponentInfo{Props: json.RawMessage(`[1]`)}}, jsbox.ErrInvalidInput},
	}
	for _, c := range cases {
		_, err := sb.RunHandler(ctx, c.in)
		require.ErrorIs(t, err, c.want, c.name)
	}
	_, err := sb.RunReducer(ctx, jsbox.ReducerInput{Script: script})
	require.ErrorIs(t, err, jsbox.ErrInvalidInput, "empty action type")
}

func TestHostileSources(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, nil)
	cases := []struct {
		name, source, msg string
	}{
		{"syntax error", "function handleEvent( {", "Line 1"},
		{"oversized source", "//" + strings.Repeat("x", 70<<10), "limit"},
		{"nested brackets", strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000), "nested"},
		{"long operator chain", "var x = 1" + strings.Repeat("+1", 5000), "nested"},
		{"nested arrows", "var f = " + strings.Repeat("x=>", 2000) + "1", "nested"},
		{"escaping the wrapper", "}); (function(){", "Unexpected"},
		{"strict-mode violation", "with ({}) {}", "strict"},
	}
	for _, c := range cases {
		start := time.Now()
		err := sb.Check(jsbox.Program{ID: c.name, Version: 1, Source: c.source})
		require.ErrorIs(t, err, jsbox.ErrInvalidScript, c.name)
		require.Contains(t, err.Error(), c.msg, c.name)
		require.Less(t, time.Since(start), time.Second, c.name)
	}
	// A source map comment naming a local file compiles without reading it
	// (source maps are disabled) and runs.
	_, err := sb.RunHandler(context.Background(), jsbox.HandlerInput{Script: jsbox.Program{
		ID: "sm", Version: 1, Source: "function handleEvent() {}\n//# sourceMappingURL=/etc/passwd",
	}})
	require.NoError(t, err)
}
