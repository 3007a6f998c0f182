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

// newSandbox uses a 2s default deadline, so that tests not about deadlines
// pass on a loaded machine (or under -race); deadline tests set their own.
func newSandbox(t testing.TB, mutate func(*jsbox.Config)) *jsbox.Sandbox {
	t.Helper()
	cfg := jsbox.Config{Limits: jsbox.Limits{Timeout: 2 * time.Second}}
	if mutate != nil {
		mutate(&cfg)
	}
	sb, err := jsbox.NewSandbox(cfg)
	require.NoError(t, err)
	return sb
}

var testTime = time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

func handlerScript(id, source string) jsbox.Program {
	return jsbox.Program{ID: id, Version: 1, Source: source}
}

func TestHandlerSemantics(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, nil)
	button := jsbox.ComponentInfo{
		NodeID:  "n1",
		Type:    "Button",
		Props:   json.RawMessage(`{"label":"Save","disabled":false}`),
		Actions: []string{"focus", "flash"},
	}
	cases := []struct {
		name        string
		source      string
		event       jsbox.Event
		state       string
		wantActions []jsbox.Action
		wantUpdates []jsbox.ComponentUpdate
		wantLogs    []jsbox.LogLine
		wantErr     error
		wantMsg     string
	}{
		{
			name: "dispatches in order",
			source: `function handleEvent(payload, ctx) {
				dispatch(createAction('first', { n: payload.n }));
				dispatch(createAction('second'));
				dispatch({ type: 'third', payload: [1, 'two', null, true] });
			}`,
			event: jsbox.Event{Name: "onClick", Payload: json.RawMessage(`{"n":1}`)},
			wantActions: []jsbox.Action{
				{Type: "first", Payload: json.RawMessage(`{"n":1}`)},
				{Type: "second"},
				{Type: "third", Payload: json.RawMessage(`[1,"two",null,true]`)},
			},
		},
		{
			name: "payload is copied at dispatch",
			source: `function handleEvent() {
				const p = { items: [1] };
				dispatch(createAction('add', p));
				p.items.push(2);
			}`,
			wantActions: []jsbox.Action{{Type: "add", Payload: json.RawMessage(`{"items":[1]}`)}},
		},
		{
			name: "reads ctx.state and ctx.event",
			source: `function handleEvent(payload, ctx) {
				dispatch(createAction('seen', { count: ctx.state.count, event: ctx.event.name, same: payload === ctx.event.payload }));
			}`,
			event:       jsbox.Event{Name: "onChange", Payload: json.RawMessage(`{"value":"x"}`)},
			state:       `{"count":41}`,
			wantActions: []jsbox.Action{{Type: "seen", Payload: json.RawMessage(`{"count":41,"event":"onChange","same":true}`)}},
		},
		{
			name:    "ctx.state is frozen",
			source:  `function handleEvent(payload, ctx) { ctx.state.count = 1 }`,
			state:   `{"count":0}`,
			wantErr: jsbox.ErrScript, wantMsg: "read",
		},
		{
			name:        "missing state is null",
			source:      `function handleEvent(payload, ctx) { dispatch(createAction('s', { state: ctx.state, payload })) }`,
			wantActions: []jsbox.Action{{Type: "s", Payload: json.RawMessage(`{"state":null}`)}},
		},
		{
			name: "getProps and setProps",
			source: `function handleEvent(payload, ctx) {
				const before = ctx.component.getProps();
				before.label = 'mutated copy';
				ctx.component.setProps({ disabled: true, constructor: 'ok', __proto__: { evil: 1 } });
				const after = ctx.component.getProps();
				dispatch(createAction('props', { before: ctx.component.getProps().label, disabled: after.disabled, id: ctx.component.id, type: ctx.component.type }));
			}`,
			wantUpdates: []jsbox.ComponentUpdate{{NodeID: "n1", Kind: jsbox.UpdateSetProps, Props: json.RawMessage(`{"disabled":true,"constructor":"ok"}`)}},
			wantActions: []jsbox.Action{{Type: "props", Payload: json.RawMessage(`{"before":"Save","disabled":true,"id":"n1","type":"Button"}`)}},
		},
		{
			name:   "emit a declared action",
			source: `function handleEvent(payload, ctx) { ctx.component.emit('flash', { ms: 200 }); ctx.component.emit('focus') }`,
			wantUpdates: []jsbox.ComponentUpdate{
				{NodeID: "n1", Kind: jsbox.UpdateEmit, Action: "flash", Params: json.RawMessage(`{"ms":200}`)},
				{NodeID: "n1", Kind: jsbox.UpdateEmit, Action: "focus"},
			},
		},
		{
			name:    "emit an undeclared action",
			source:  `function handleEvent(payload, ctx) { ctx.component.emit('explode') }`,
			wantErr: jsbox.ErrScript, wantMsg: `"explode" is not an action of component Button (declared: focus, flash)`,
		},
		{
			name: "emit error is catchable",
			source: `function handleEvent(payload, ctx) {
				try { ctx.component.emit('explode') } catch (e) { dispatch(createAction('caught', e instanceof TypeError)) }
			}`,
			wantActions: []jsbox.Action{{Type: "caught", Payload: json.RawMessage(`true`)}},
		},
		{
			name: "async handler",
			source: `async function handleEvent() {
				await null;
				dispatch(createAction('later'));
			}`,
			wantActions: []jsbox.Action{{Type: "later"}},
		},
		{
			name: "logs",
			source: `function handleEvent() {
				console.log('a', 1, { b: [2] }, undefined, null);
				utils.log('via utils');
				console.warn('careful');
				console.error(new TypeError('bad'));
				console.info(function named() {});
			}`,
			wantLogs: []jsbox.LogLine{
				{Level: "log", Message: `a 1 {"b":[2]} undefined null`},
				{Level: "log", Message: "via utils"},
				{Level: "warn", Message: "careful"},
				{Level: "error", Message: "TypeError: bad"},
				{Level: "info", Message: "[Function: named]"},
			},
		},
		{
			name: "utils.formatDate",
			source: `function handleEvent() {
				dispatch(createAction('d', [
					utils.formatDate(Date.now()),
					utils.formatDate(new Date(0), 'YYYY-MM-DD HH:mm:ss [UTC] ddd'),
					utils.formatDate(Date.UTC(2024, 0, 5, 13, 4), 'D MMM YY h:mm A'),
				]));
			}`,
			wantActions: []jsbox.Action{{Type: "d", Payload: json.RawMessage(`["2025-03-14T15:09:26.535Z","1970-01-01 00:00:00 UTC Thu","5 Jan 24 1:04 PM"]`)}},
		},
		{
			name: "utils.validateSchema",
			source: `function handleEvent(payload) {
				const schema = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 2 }, age: { type: 'integer', minimum: 0 } } };
				dispatch(createAction('v', [utils.validateSchema(schema, payload), utils.validateSchema(schema, { name: 'Al', age: 3 })]));
			}`,
			event: jsbox.Event{Payload: json.RawMessage(`{"name":"A","age":-1.5}`)},
			wantActions: []jsbox.Action{{Type: "v", Payload: json.RawMessage(`[
				{"valid":false,"errors":[{"path":"/age","message":"expected integer, got number"},{"path":"/name","message":"expected at least 2 characters"}]},
				{"valid":true,"errors":[]}]`)}},
		},
		{
			name: "built-ins keep working under the guards",
			source: `function handleEvent() {
				const a = [3, 1, 2];
				const out = {
					sorted: [...a].sort(),
					mapped: a.map(x => x * 2).filter(x => x > 2),
					sum: a.reduce((s, x) => s + x, 0),
					joined: [1, [2, [3, null]], undefined].join('-'),
					str: String([1, [2, 3]]),
					flat: [1, [2, [3, [4]]]].flat(Infinity),
					flatMap: [1, 2].flatMap(x => [x, [x]]),
					concat: a.concat([4], 5),
					from: Array.from({ length: 3 }, (_, i) => i),
					set: [...new Set([1, 1, 2])],
					forOf: (() => { let s = 0; for (const x of a) s += x; return s })(),
					apply: Math.max.apply(null, a),
					padded: '7'.padStart(3, '0') + 'x'.padEnd(2, '-') + 'ab'.repeat(2),
					swapped: 'x-y x-y'.replace(/(\w)-(\w)/g, '$2-$1'),
					named: '2024-05'.replace(/(?<y>\d+)-(?<m>\d+)/, '$<m>/$<y>'),
					lookahead: /^(?=.*\d).{8,}$/.test('password1'),
					backref: /(\w)\1/.exec('abccd')[0],
					split: 'a1b2c'.split(/\d/),
					json: JSON.parse(JSON.stringify({ d: new Date(0), n: NaN, u: undefined, nested: [undefined, () => 1] })),
					pretty: JSON.stringify({ a: [1] }, null, 2),
					replacer: JSON.stringify({ a: 1, b: 2 }, ['b']),
					cyclicJoin: (() => { const c = [1]; c.push(c); return c.join() })(),
				};
				dispatch(createAction('out', out));
			}`,
			wantActions: []jsbox.Action{{Type: "out", Payload: json.RawMessage(`{
				"sorted":[1,2,3],"mapped":[6,4],"sum":6,"joined":"1-2,3,-","str":"1,2,3","flat":[1,2,3,4],
				"flatMap":[1,[1],2,[2]],"concat":[3,1,2,4,5],"from":[0,1,2],"set":[1,2],"forOf":6,"apply":3,
				"padded":"007x-abab","swapped":"y-x y-x","named":"05/2024","lookahead":true,"backref":"cc",
				"split":["a","b","c"],"json":{"d":"1970-01-01T00:00:00.000Z","n":null,"nested":[null,null]},
				"pretty":"{\n  \"a\": [\n    1\n  ]\n}","replacer":"{\"b\":2}","cyclicJoin":"1,"}`)}},
		},
		{
			name: "ordinary assignments that shadow frozen built-ins",
			source: `function handleEvent() {
				class AppError extends Error { constructor(m) { super(m); this.name = 'AppError' } }
				const e = new AppError('boom');
				const counts = {};
				for (const w of ['constructor', 'toString', 'a', 'a']) counts[w] = (counts[w] || 0) + 1;
				const o = { n: 1 };
				o.toString = () => 'custom';
				dispatch(createAction('ok', { err: String(e), counts: Object.keys(counts).length, a: counts.a, o: String(o) }));
			}`,
			wantActions: []jsbox.Action{{Type: "ok", Payload: json.RawMessage(`{"err":"AppError: boom","counts":3,"a":2,"o":"custom"}`)}},
		},
		{
			name: "no host globals",
			source: `function handleEvent() {
				const names = ['require', 'process', 'host', 'module', 'exports', 'setTimeout', 'setInterval', 'eval',
					'Proxy', 'GoError', 'ArrayBuffer', 'Uint8Array', 'SharedArrayBuffer', 'WeakRef', 'fetch', 'XMLHttpRequest'];
				dispatch(createAction('g', names.filter(n => typeof globalThis[n] !== 'undefined')));
			}`,
			wantActions: []jsbox.Action{{Type: "g", Payload: json.RawMessage(`[]`)}},
		},
		{
			name:    "thrown error",
			source:  "function handleEvent() {\n  null.x;\n}",
			wantErr: jsbox.ErrScript, wantMsg: "TypeError",
		},
		{
			name:    "thrown string",
			source:  `function handleEvent() { throw 'boom' }`,
			wantErr: jsbox.ErrScript, wantMsg: `uncaught "boom"`,
		},
		{
			name:    "thrown object",
			source:  `function handleEvent() { throw { code: 42 } }`,
			wantErr: jsbox.ErrScript, wantMsg: `uncaught {"code":42}`,
		},
		{
			name:    "error in top-level code",
			source:  `undefinedThing(); function handleEvent() {}`,
			wantErr: jsbox.ErrScript, wantMsg: "undefinedThing",
		},
		{
			name:    "missing handleEvent",
			source:  `function handle() {}`,
			wantErr: jsbox.ErrInvalidScript, wantMsg: "handleEvent",
		},
		{
			name:    "createAction validates its type",
			source:  `function handleEvent() { createAction('') }`,
			wantErr: jsbox.ErrScript, wantMsg: "non-empty string",
		},
		{
			name:    "dispatch validates its action",
			source:  `function handleEvent() { dispatch('inc') }`,
			wantErr: jsbox.ErrScript, wantMsg: "must be an object",
		},
		{
			name:    "setProps wants an object",
			source:  `function handleEvent(p, ctx) { ctx.component.setProps([1]) }`,
			wantErr: jsbox.ErrScript, wantMsg: "patch must be an object",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res, err := sb.RunHandler(context.Background(), jsbox.HandlerInput{
				Script:    handlerScript(c.name, c.source),
				Event:     c.event,
				State:     json.RawMessage(c.state),
				Component: button,
				Det:       jsbox.Determinism{Time: testTime, Seed: 1},
			})
			if c.wantErr != nil {
				require.ErrorIs(t, err, c.wantErr)
				require.Contains(t, err.Error(), c.wantMsg)
				require.Nil(t, res.Actions, "nothing may be applied after an error")
				return
			}
			require.NoError(t, err)
			requireActions(t, c.wantActions, res.Actions)
			require.Len(t, res.ComponentUpdates, len(c.wantUpdates))
			for i, want := range c.wantUpdates {
				got := res.ComponentUpdates[i]
				require.Equal(t, want.NodeID, got.NodeID)
				require.Equal(t, want.Kind, got.Kind)
				require.Equal(t, want.Action, got.Action)
				requireJSON(t, want.Props, got.Props)
				requireJSON(t, want.Params, got.Params)
			}
			if c.wantLogs != nil {
				require.Equal(t, c.wantLogs, res.Logs)
			}
			require.Positive(t, res.Duration)
		})
	}
}

func requireActions(t *testing.T, want, got []jsbox.Action) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i].Type, got[i].Type)
		requireJSON(t, want[i].Payload, got[i].Payload)
	}
}

func requireJSON(t *testing.T, want, got json.RawMessage) {
	t.Helper()
	if len(want) == 0 {
		require.Empty(t, got)
		return
	}
	require.JSONEq(t, string(want), string(got))
}

func TestScriptErrorCarriesMessageAndStack(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, nil)
	_, err := sb.RunHandler(context.Background(), jsbox.HandlerInput{
		Script: handlerScript("stack", "function helper() {\n  throw new RangeError('out of range');\n}\nfunction handleEvent() {\n  helper();\n}"),
	})
	var jsErr *jsbox.Error
	require.ErrorAs(t, err, &jsErr)
	require.ErrorIs(t, err, jsbox.ErrScript)
	require.Equal(t, "RangeError: out of range", jsErr.Message)
	require.Contains(t, jsErr.Stack, "helper")
	require.Contains(t, jsErr.Stack, "stack:2", "line numbers are those of the builder's source")
}

func TestLogsAreCapped(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, func(c *jsbox.Config) { c.Limits.MaxLogBytes = 1000 })
	res, err := sb.RunHandler(context.Background(), jsbox.HandlerInput{
		Script: handlerScript("logs", `function handleEvent() { for (let i = 0; i < 100; i++) console.log('line', i, 'x'.repeat(50)) }`),
	})
	require.NoError(t, err, "logging never fails a call")
	total := 0
	for _, l := range res.Logs {
		total += len(l.Message)
	}
	require.LessOrEqual(t, total, 1100)
	require.Equal(t, "log output truncated at 1000 bytes", res.Logs[len(res.Logs)-1].Message)

	// Logs are kept when the script fails, for the debugger.
	res, err = sb.RunHandler(context.Background(), jsbox.HandlerInput{
		Script: handlerScript("logs-fail", `function handleEvent() { console.log('before'); throw new Error('x') }`),
	})
	require.ErrorIs(t, err, jsbox.ErrScript)
	require.Equal(t, []jsbox.LogLine{{Level: "log", Message: "before"}}, res.Logs)
}

func TestReducerSemantics(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, nil)
	const counter = `
		function reducer(state = { count: 0, items: [] }, action) {
			switch (action.type) {
			case 'inc': return { ...state, count: state.count + (action.payload ? action.payload.by : 1) };
			case 'push': state.items.push(action.payload); return state; // mutation of the copy is fine
			case 'reset': return null;
			case 'dates': return { at: new Date(), now: Date.now(), nan: NaN, gone: undefined, list: [undefined] };
			case 'dispatch': dispatch(createAction('nope')); return state;
			case 'async': return (async () => state)();
			default: return state;
			}
		}`
	cases := []struct {
		name    string
		state   string
		action  jsbox.Action
		want    string
		wantErr error
		wantMsg string
	}{
		{name: "initial state from the default parameter", action: jsbox.Action{Type: "inc"}, want: `{"count":1,"items":[]}`},
		{name: "payload", state: `{"count":5,"items":[]}`, action: jsbox.Action{Type: "inc", Payload: json.RawMessage(`{"by":10}`)}, want: `{"count":15,"items":[]}`},
		{name: "in-place mutation", state: `{"count":0,"items":["a"]}`, action: jsbox.Action{Type: "push", Payload: json.RawMessage(`"b"`)}, want: `{"count":0,"items":["a","b"]}`},
		{name: "unknown action keeps state", state: `{"z":1,"a":2}`, action: jsbox.Action{Type: "other"}, want: `{"z":1,"a":2}`},
		{name: "null state", state: `{"count":1}`, action: jsbox.Action{Type: "reset"}, want: `null`},
		{name: "JSON conversions", action: jsbox.Action{Type: "dates"}, want: `{"at":"2025-03-14T15:09:26.535Z","now":1741964966535,"nan":null,"list":[null]}`},
		{name: "dispatch is not available", action: jsbox.Action{Type: "dispatch"}, wantErr: jsbox.ErrScript, wantMsg: "only available in event handlers"},
		{name: "async reducer", action: jsbox.Action{Type: "async"}, wantErr: jsbox.ErrScript, wantMsg: "synchronous"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res, err := sb.RunReducer(context.Background(), jsbox.ReducerInput{
				Script: jsbox.Program{ID: "counter", Version: 3, Source: counter},
				State:  json.RawMessage(c.state),
				Action: c.action,
				Det:    jsbox.Determinism{Time: testTime},
			})
			if c.wantErr != nil {
				require.ErrorIs(t, err, c.wantErr)
				require.Contains(t, err.Error(), c.wantMsg)
				require.Nil(t, res.State)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.want, string(res.State), "key order is preserved")
		})
	}

	_, err := sb.RunReducer(context.Background(), jsbox.ReducerInput{
		Script: handlerScript("no-reducer", `function handleEvent() {}`),
		Action: jsbox.Action{Type: "x"},
	})
	require.ErrorIs(t, err, jsbox.ErrInvalidScript)
}

// TestDeterminism: the same inputs give the same outputs, whatever ran in
// between and in whichever Sandbox; another seed gives other numbers.
func TestDeterminism(t *testing.T) {
	t.Parallel()
	source := `
		function handleEvent(payload, ctx) {
			const rolls = [];
			for (let i = 0; i < 5; i++) rolls.push(Math.floor(Math.random() * 1e6));
			dispatch(createAction('roll', { rolls, now: Date.now(), iso: new Date().toISOString(), d: String(new Date().getUTCDate()), f: utils.formatDate(Date.now(), 'x') }));
		}
		function reducer(state = { seen: [] }, action) {
			return { seen: [...state.seen, Math.random(), Date.now()] };
		}`
	run := func(sb *jsbox.Sandbox, seed int64) (json.RawMessage, json.RawMessage) {
		det := jsbox.Determinism{Time: testTime, Seed: seed}
		script := jsbox.Program{ID: "dice", Version: 1, Source: source}
		h, err := sb.RunHandler(context.Background(), jsbox.HandlerInput{Script: script, Det: det})
		require.NoError(t, err)
		r, err := sb.RunReducer(context.Background(), jsbox.ReducerInput{Script: script, Action: jsbox.Action{Type: "roll"}, Det: det})
		require.NoError(t, err)
		return h.Actions[0].Payload, r.State
	}
	a := newSandbox(t, nil)
	b := newSandbox(t, func(c *jsbox.Config) { c.MaxConcurrent = 1 })
	h1, r1 := run(a, 42)
	_, _ = run(a, 7) // other calls in between must not shift anything
	h2, r2 := run(a, 42)
	h3, r3 := run(b, 42)
	require.Equal(t, string(h1), string(h2))
	require.Equal(t, string(h1), string(h3))
	require.Equal(t, string(r1), string(r2))
	require.Equal(t, string(r1), string(r3))
	require.Contains(t, string(h1), `"now":1741964966535`)

	h4, r4 := run(a, 43)
	require.NotEqual(t, string(h1), string(h4))
	require.NotEqual(t, string(r1), string(r4))
}

// TestIsolationBetweenCalls: a call that tries every way to leave state
// behind (and catches the errors, so it succeeds) is followed by one that
// looks for it, on the same pooled runtime.
func TestIsolationBetweenCalls(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, func(c *jsbox.Config) { c.MaxConcurrent = 1 })
	polluter := handlerScript("polluter", `
		function handleEvent() {
			const attempts = [
				() => { Object.prototype.leak = 1 },
				() => { Array.prototype.leak = 1 },
				() => { Function.prototype.leak = 1 },
				() => { Error.prototype.leak = 1 },
				() => { JSON.leak = 1 },
				() => { Math.random = () => 4 },
				() => { globalThis.leak = 1 },
				() => { Object.getPrototypeOf([][Symbol.iterator]()).leak = 1 },
				() => { Object.getPrototypeOf(function* () {}).leak = 1 },
				() => { Object.getPrototypeOf(async function () {}).leak = 1 },
				() => { Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())).leak = 1 },
				() => { Promise.prototype.leak = 1 },
				() => { RegExp.prototype.leak = 1 },
				() => { utils.leak = 1 },
				() => { console.leak = 1 },
				() => { Object.setPrototypeOf(Object.prototype, { leak: 1 }) },
				() => { Reflect.defineProperty(Object.prototype, 'leak', { value: 1 }) || (() => { throw 1 })() },
			];
			let succeeded = 0;
			for (const a of attempts) { try { a(); succeeded++ } catch (e) {} }
			dispatch(createAction('done', succeeded));
		}`)
	res, err := sb.RunHandler(context.Background(), jsbox.HandlerInput{Script: polluter})
	require.NoError(t, err)
	require.JSONEq(t, `0`, string(res.Actions[0].Payload), "every attempt must fail")

	checker := handlerScript("checker", `
		function handleEvent() {
			const found = [({}).leak, [].leak, (() => {}).leak, new Error().leak, JSON.leak, globalThis.leak,
				[][Symbol.iterator]().leak, Promise.resolve().leak, /x/.leak, utils.leak, console.leak]
				.filter(x => x !== undefined);
			dispatch(createAction('found', { found, random: Math.random() !== 4 }));
		}`)
	res, err = sb.RunHandler(context.Background(), jsbox.HandlerInput{Script: checker})
	require.NoError(t, err)
	require.JSONEq(t, `{"found":[],"random":true}`, string(res.Actions[0].Payload))
}

func TestDeadlines(t *testing.T) {
	t.Parallel()
	// A default far above the per-call timeout: if the override were ignored, the first call
	// would run for 20 s, which no scheduling noise explains.
	sb := newSandbox(t, func(c *jsbox.Config) { c.Limits.Timeout = 20 * time.Second })
	loop := handlerScript("loop", `function handleEvent() { for (;;) {} }`)

	start := time.Now()
	_, err := sb.RunHandler(context.Background(), jsbox.HandlerInput{Script: loop, Timeout: 5 * time.Millisecond})
	require.ErrorIs(t, err, jsbox.ErrTimeout)
	require.Less(t, time.Since(start), 10*time.Second, "the per-call timeout overrides the default")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err = sb.RunHandler(ctx, jsbox.HandlerInput{Script: loop, Timeout: time.Second})
	require.ErrorIs(t, err, jsbox.ErrTimeout, "the context deadline wins when sooner")

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(10*time.Millisecond, cancel)
	_, err = sb.RunHandler(ctx, jsbox.HandlerInput{Script: loop, Timeout: time.Second})
	require.ErrorIs(t, err, context.Canceled)
}

func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, func(c *jsbox.Config) { c.MaxConcurrent = 1 })
	loop := handlerScript("loop", `function handleEvent() { for (;;) {} }`)
	busy := make(chan error, 1)
	go func() {
		_, err := sb.RunHandler(context.Background(), jsbox.HandlerInput{Script: loop, Timeout: 300 * time.Millisecond})
		busy <- err
	}()
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := sb.RunHandler(ctx, jsbox.HandlerInput{Script: handlerScript("quick", `function handleEvent() {}`)})
	require.ErrorIs(t, err, context.DeadlineExceeded, "the only slot is busy")
	require.ErrorIs(t, <-busy, jsbox.ErrTimeout)
	_, err = sb.RunHandler(context.Background(), jsbox.HandlerInput{Script: handlerScript("quick", `function handleEvent() {}`)})
	require.NoError(t, err)
}

func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, func(c *jsbox.Config) { c.MaxConcurrent = 4 })
	script := jsbox.Program{ID: "sum", Version: 1, Source: `function reducer(s = 0, a) { return s + a.payload }`}
	errs := make(chan error, 20)
	for i := range 20 {
		go func() {
			res, err := sb.RunReducer(context.Background(), jsbox.ReducerInput{
				Script: script, State: json.RawMessage(`100`), Action: jsbox.Action{Type: "add", Payload: json.RawMessage(strings.Repeat("1", 1+i%3))},
			})
			if err == nil && string(res.State) != []string{"101", "111", "211"}[i%3] {
				err = &jsbox.Error{Kind: jsbox.ErrScript, Message: "wrong state " + string(res.State)}
			}
			errs <- err
		}()
	}
	for range 20 {
		require.NoError(t, <-errs)
	}
}

func TestProgramCache(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, func(c *jsbox.Config) { c.ProgramCacheSize = 2 })
	run := func(p jsbox.Program) string {
		res, err := sb.RunReducer(context.Background(), jsbox.ReducerInput{Script: p, Action: jsbox.Action{Type: "x"}})
		require.NoError(t, err)
		return string(res.State)
	}
	require.Equal(t, `1`, run(jsbox.Program{ID: "r", Version: 1, Source: `function reducer() { return 1 }`}))
	// Same key, edited source (an unsaved draft): the new source runs.
	require.Equal(t, `2`, run(jsbox.Program{ID: "r", Version: 1, Source: `function reducer() { return 2 }`}))
	require.Equal(t, `3`, run(jsbox.Program{ID: "r", Version: 2, Source: `function reducer() { return 3 }`}))
	require.Equal(t, `4`, run(jsbox.Program{ID: "s", Version: 1, Source: `function reducer() { return 4 }`}))
	require.Equal(t, 2, sb.Stats().CachedPrograms)
	require.NoError(t, sb.Check(jsbox.Program{ID: "ok", Source: `function reducer() {}`}))
}

func TestNewSandboxValidates(t *testing.T) {
	t.Parallel()
	_, err := jsbox.NewSandbox(jsbox.Config{Limits: jsbox.Limits{Timeout: -1}})
	require.ErrorContains(t, err, "Timeout")
	_, err = jsbox.NewSandbox(jsbox.Config{MaxConcurrent: -1})
	require.ErrorContains(t, err, "MaxConcurrent")
}

// TestAbandonedRuntime: a built-in that cannot be interrupted (filling a huge
// sparse array, allowed here by a raised MaxArrayLength) does not hold the
// caller; its runtime is abandoned and replaced.
func TestAbandonedRuntime(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, func(c *jsbox.Config) {
		c.MaxConcurrent = 1
		c.Limits.MaxArrayLength = 1e7
	})
	start := time.Now()
	_, err := sb.RunHandler(context.Background(), jsbox.HandlerInput{
		Script:  handlerScript("slow-native", `function handleEvent() { new Array(3e6).fill(0) }`),
		Timeout: 10 * time.Millisecond,
	})
	require.ErrorIs(t, err, jsbox.ErrTimeout)
	require.Contains(t, err.Error(), "abandoned")
	require.Less(t, time.Since(start), time.Second)
	require.Equal(t, uint64(1), sb.Stats().Abandoned)
	require.Equal(t, int64(1), sb.Stats().Stuck)

	requireHealthy(t, sb) // the freed slot builds a new runtime

	require.Eventually(t, func() bool { return sb.Stats().Stuck == 0 }, 20*time.Second, 50*time.Millisecond,
		"the abandoned goroutine ends when the built-in returns")
}
