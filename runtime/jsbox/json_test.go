package jsbox

import (
	"math"
	"strings"
	"testing"

	"github.com/dop251/goja"
	"github.com/stretchr/testify/require"
)

// TestJSONWriterMatchesNative compares jsonWriter with goja's own
// JSON.stringify on values where both must agree.
func TestJSONWriterMatchesNative(t *testing.T) {
	t.Parallel()
	rt := goja.New()
	cases := []struct{ value, replacer, space string }{
		{value: `null`}, {value: `true`}, {value: `0`}, {value: `-0`}, {value: `1.5`}, {value: `-1e-7`},
		{value: `1e21`}, {value: `123456789012345680000`}, {value: `0.000001`}, {value: `2**53 + 2`},
		{value: `NaN`}, {value: `-Infinity`}, {value: `"plain"`}, {value: `"quote \" backslash \\ tab \t nl \n ctl \u0001 \u001f del \u007f é 😀 \u2028"`},
		{value: `[]`}, {value: `{}`}, {value: `[1, "a", null, true, undefined, () => 1, Symbol('s')]`},
		{value: `{a: 1, b: undefined, c: () => 1, d: Symbol('x'), e: [undefined], f: {g: null}}`},
		{value: `{2: 'two', 1: 'one', b: 'b', a: 'a'}`},
		{value: `new Date(86400000)`}, {value: `{d: new Date(0)}`},
		{value: `{toJSON(key) { return 'key:' + key }}`}, {value: `{x: {toJSON(key) { return [key] }}}`},
		{value: `new Number(3)`}, {value: `new String('s')`}, {value: `new Boolean(false)`}, {value: `[new Boolean(true)]`},
		{value: `new Map([[1, 2]])`}, {value: `Object.create({inherited: 1}, {own: {value: 2, enumerable: true}, hidden: {value: 3}})`},
		{value: `(() => { const a = [1, 2]; a.length = 4; return a })()`},
		{value: `{a: [1, {b: 2}], c: 'x'}`, space: `2`}, {value: `{a: [1, {b: 2}], c: [], d: {}}`, space: `'--'`},
		{value: `[1, [2]]`, space: `20`}, {value: `{a: 1}`, space: `'abcdefghijklmnop'`}, {value: `{a: 1}`, space: `0`},
		{value: `{a: 1, b: 2, c: {a: 3, d: 4}}`, replacer: `['a', 'c']`}, {value: `{1: 'x', a: 1}`, replacer: `[1]`},
		{value: `{a: 1, b: 'x', c: [1, 2]}`, replacer: `function (k, v) { return typeof v === 'number' ? v * 10 : v }`},
		{value: `{a: 1, b: 2}`, replacer: `function (k, v) { return k === 'a' ? undefined : v }`},
		{value: `[1, 2]`, replacer: `function (k, v) { return k === '' ? {wrapped: v, holder: typeof this} : v }`},
		{value: `undefined`}, {value: `() => 1`},
	}
	for _, c := range cases {
		src := "JSON.stringify(" + c.value + ", " + or(c.replacer, "undefined") + ", " + or(c.space, "undefined") + ")"
		want, err := rt.RunString(src)
		require.NoError(t, err, src)
		val, err := rt.RunString("(" + c.value + ")")
		require.NoError(t, err)
		w := jsonWriter{rt: rt, max: 1 << 20, maxDepth: 64}
		if c.replacer != "" {
			r, err := rt.RunString("(" + c.replacer + ")")
			require.NoError(t, err)
			require.NoError(t, w.setReplacer(r))
		}
		if c.space != "" {
			s, err := rt.RunString("(" + c.space + ")")
			require.NoError(t, err)
			w.setSpace(s)
		}
		got, ok, err := w.stringify(val)
		require.NoError(t, err, src)
		if goja.IsUndefined(want) {
			require.False(t, ok, src)
			continue
		}
		require.True(t, ok, src)
		require.Equal(t, want.String(), got, src)
	}
}

func or(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

func TestJSONWriterLimits(t *testing.T) {
	t.Parallel()
	rt := goja.New()
	cases := []struct {
		value string
		want  error
	}{
		{`(() => { const o = {}; o.o = o; return o })()`, errJSONCycle},
		{`(() => { const a = []; a.push([a]); return a })()`, errJSONCycle},
		{`({n: 1n})`, errJSONBigInt},
		{`(() => { let o = 1; for (let i = 0; i < 40; i++) o = [o]; return o })()`, errJSONTooDeep},
		{`(() => { let o = {}; for (let i = 0; i < 30; i++) o = {a: o, b: o}; return o })()`, errJSONTooLarge},
		{`(() => { const a = []; a.length = 1e9; return a })()`, errJSONTooLarge},
		{`'x'.repeat(200)`, errJSONTooLarge},
	}
	for _, c := range cases {
		val, err := rt.RunString(c.value)
		require.NoError(t, err)
		w := jsonWriter{rt: rt, max: 100, maxDepth: 32}
		_, _, err = w.stringify(val)
		require.ErrorIs(t, err, c.want, c.value)
	}
	// A shared (not cyclic) object is fine.
	val, err := rt.RunString(`(() => { const s = {x: 1}; return [s, s] })()`)
	require.NoError(t, err)
	w := jsonWriter{rt: rt, max: 100, maxDepth: 8}
	got, _, err := w.stringify(val)
	require.NoError(t, err)
	require.Equal(t, `[{"x":1},{"x":1}]`, got)
}

func TestFormatNumber(t *testing.T) {
	t.Parallel()
	tenth, fifth := 0.1, 0.2 // variables: constant arithmetic would be exact
	cases := []struct {
		f    float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "0"}, {1, "1"}, {-1.5, "-1.5"}, {1e21, "1e+21"}, {1.5e-7, "1.5e-7"},
		{123e-20, "1.23e-18"}, {1e-6, "0.000001"}, {tenth + fifth, "0.30000000000000004"},
		{1.7976931348623157e308, "1.7976931348623157e+308"}, {math.NaN(), "null"}, {math.Inf(1), "null"},
		{5e-324, "5e-324"}, {4294967296, "4294967296"},
	}
	for _, c := range cases {
		require.Equal(t, c.want, formatNumber(c.f), "%v", c.f)
	}
}

// TestJSONReaderMatchesNative builds values with jsonReader and with goja's
// JSON.parse and compares them through JSON.stringify and a few identities.
func TestJSONReaderMatchesNative(t *testing.T) {
	t.Parallel()
	sb, err := NewSandbox(Config{})
	require.NoError(t, err)
	v := <-sb.slots
	defer func() { sb.slots <- v }()
	v.run = &runState{}
	texts := []string{
		`null`, `true`, `false`, `0`, `-0`, `12`, `-12`, `1.5`, `1e3`, `1E-3`, `123456789012345678901234567890`,
		`9007199254740993`, `"a"`, `""`, `"esc \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00 \u2028"`,
		`[]`, `{}`, ` [ 1 , [ 2 , { "a" : [ ] } ] ] `, `{"b":1,"a":2,"1":3,"0":4}`, `{"a":1,"a":2}`,
		`{"__proto__":{"polluted":1},"x":1}`, `{"constructor":1,"toString":2}`,
	}
	check, err := v.rt.RunString(`(function (a, b) {
		const s = (x) => JSON.stringify(x, (k, v) => typeof v === 'number' && Object.is(v, -0) ? '-0' : v);
		return s(a) === s(b) && ({}).polluted === undefined &&
			(a === null || typeof a !== 'object' || Object.getPrototypeOf(a) === Object.getPrototypeOf(b)) &&
			(a === null || typeof a !== 'object' || Object.keys(a).join() === Object.keys(b).join());
	})`)
	require.NoError(t, err)
	same, ok := goja.AssertFunction(check)
	require.True(t, ok)
	parse, ok := goja.AssertFunction(v.rt.Get("JSON").ToObject(v.rt).Get("parse"))
	require.True(t, ok)
	for _, text := range texts {
		mine, err := v.fromJSON([]byte(text), false)
		require.NoError(t, err, text)
		native, err := parse(goja.Undefined(), v.rt.ToValue(text))
		require.NoError(t, err, text)
		res, err := same(goja.Undefined(), mine, native)
		require.NoError(t, err, text)
		require.True(t, res.ToBoolean(), text)
	}
	for _, bad := range []string{``, `[`, `{"a"}`, `[1,]`, `tru`, `"\x"`, `1 2`, `"open`, `{"a":1,}`} {
		_, err := v.fromJSON([]byte(bad), false)
		require.Error(t, err, bad)
	}
	// goja's JSON.parse rejects 1e400; JavaScript (and this reader) give Infinity.
	inf, err := v.fromJSON([]byte(`[1e400,-1e400]`), false)
	require.NoError(t, err)
	require.Equal(t, "Infinity,-Infinity", inf.String())

	_, err = v.fromJSON([]byte(strings.Repeat("[", 200)+strings.Repeat("]", 200)), false)
	require.ErrorIs(t, err, errJSONTooDeep)

	frozen, err := v.fromJSON([]byte(`{"a":{"b":[1,{"c":2}]}}`), true)
	require.NoError(t, err)
	isFrozen, err := v.rt.RunString(`(o) => Object.isFrozen(o) && Object.isFrozen(o.a) && Object.isFrozen(o.a.b) && Object.isFrozen(o.a.b[1])`)
	require.NoError(t, err)
	fn, _ := goja.AssertFunction(isFrozen)
	res, err := fn(goja.Undefined(), frozen)
	require.NoError(t, err)
	require.True(t, res.ToBoolean())
}

func TestJSONDepth(t *testing.T) {
	t.Parallel()
	require.Equal(t, 0, jsonDepth(`"[[["`))
	require.Equal(t, 1, jsonDepth(`{"a":"\"[{"}`))
	require.Equal(t, 3, jsonDepth(`[{"a":[1]},[]]`))
}
