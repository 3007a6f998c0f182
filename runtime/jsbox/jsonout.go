package jsbox

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"
)

var (
	errJSONTooLarge = errors.New("too large")
	errJSONTooDeep  = errors.New("too deeply nested")
	errJSONCycle    = errors.New("converting circular structure to JSON")
	errJSONBigInt   = errors.New("do not know how to serialize a BigInt")
)

// jsonWriter is JSON.stringify done in Go, with what the native one lacks: a
// byte budget checked as output grows (a value reached many times through
// shared references expands exponentially), a depth cap (the native recursion
// is unbounded), and cycle detection. Getters, toJSON and the replacer are
// script code: they run in the VM under the deadline, and what they throw
// propagates as a goja panic through this walker.
//
// Strings reach Go as UTF-8, so lone surrogates come out as U+FFFD.
type jsonWriter struct {
	rt       *goja.Runtime
	max      int // bytes
	maxDepth int

	replacer goja.Callable
	allow    []string // property list replacer
	gap      string

	buf   []byte
	stack []*goja.Object // objects being serialized, for cycle detection
}

func (w *jsonWriter) setReplacer(r goja.Value) error {
	obj, ok := r.(*goja.Object)
	if !ok {
		return nil
	}
	if fn, ok := goja.AssertFunction(obj); ok {
		w.replacer = fn
		return nil
	}
	if obj.ClassName() != "Array" {
		return nil
	}
	n := obj.Get("length").ToInteger()
	if n > 1<<16 {
		return errors.New("property list too long")
	}
	seen := map[string]bool{}
	w.allow = []string{}
	for i := range n {
		item := obj.Get(strconv.FormatInt(i, 10))
		var key string
		switch e := item.Export().(type) {
		case string:
			key = e
		case int64, float64:
			key = item.String()
		default:
			if o, ok := item.(*goja.Object); ok && (o.ClassName() == "String" || o.ClassName() == "Number") {
				key = o.String()
			} else {
				continue
			}
		}
		if !seen[key] {
			seen[key] = true
			w.allow = append(w.allow, key)
		}
	}
	return nil
}

func (w *jsonWriter) setSpace(s goja.Value) {
	if o, ok := s.(*goja.Object); ok {
		switch o.ClassName() {
		case "Number":
			s = w.rt.ToValue(o.ToFloat())
		case "String":
			s = w.rt.ToValue(o.String())
		}
	}
	switch e := s.Export().(type) {
	case int64:
		w.gap = strings.Repeat(" ", int(min(max(e, 0), 10)))
	case float64:
		if e >= 1 {
			w.gap = strings.Repeat(" ", int(min(e, 10)))
		}
	case string:
		if utf8.RuneCountInString(e) > 10 {
			e = string([]rune(e)[:10])
		}
		w.gap = e
	}
}

// stringify returns ok=false when the value serializes to undefined.
func (w *jsonWriter) stringify(val goja.Value) (s string, ok bool, err error) {
	var holder *goja.Object
	if w.replacer != nil {
		holder = w.rt.NewObject()
		if err := holder.Set("", val); err != nil {
			return "", false, err
		}
	}
	ok, err = w.property(holder, "", val, 0)
	if err != nil || !ok {
		return "", false, err
	}
	return string(w.buf), true, nil
}

func (w *jsonWriter) write(s string) error {
	if len(w.buf)+len(s) > w.max {
		return errJSONTooLarge
	}
	w.buf = append(w.buf, s...)
	return nil
}

func (w *jsonWriter) call(fn goja.Callable, this goja.Value, args ...goja.Value) goja.Value {
	res, err := fn(this, args...)
	if err != nil {
		// Rethrow into the VM: a script exception stays catchable, an
		// interrupt stays uncatchable.
		panic(err)
	}
	return res
}

// property is SerializeJSONProperty: it writes holder[key] (already read as
// val) and reports whether anything was written.
func (w *jsonWriter) property(holder *goja.Object, key string, val goja.Value, depth int) (bool, error) {
	if obj, ok := val.(*goja.Object); ok {
		if toJSON, ok := goja.AssertFunction(obj.Get("toJSON")); ok {
			val = w.call(toJSON, obj, w.rt.ToValue(key))
		}
	}
	if w.replacer != nil {
		val = w.call(w.replacer, holder, w.rt.ToValue(key), val)
	}
	if obj, ok := val.(*goja.Object); ok {
		switch obj.ClassName() {
		case "Number":
			val = w.rt.ToValue(obj.ToFloat())
		case "String":
			val = w.rt.ToValue(obj.String())
		case "Boolean":
			val = w.rt.ToValue(obj.Export())
		case "BigInt":
			return false, errJSONBigInt
		}
	}
	if val == nil || goja.IsUndefined(val) {
		return false, nil
	}
	if goja.IsNull(val) {
		return true, w.write("null")
	}
	if obj, ok := val.(*goja.Object); ok {
		if _, callable := goja.AssertFunction(obj); callable {
			return false, nil
		}
		return true, w.composite(obj, depth+1)
	}
	if _, ok := val.(*goja.Symbol); ok {
		return false, nil
	}
	switch e := val.Export().(type) {
	case string:
		return true, w.quote(e)
	case int64:
		return true, w.write(strconv.FormatInt(e, 10))
	case float64:
		return true, w.write(formatNumber(e))
	case bool:
		return true, w.write(strconv.FormatBool(e))
	case *big.Int:
		return false, errJSONBigInt
	}
	return false, nil
}

func (w *jsonWriter) composite(obj *goja.Object, depth int) error {
	if depth > w.maxDepth {
		return errJSONTooDeep
	}
	for _, o := range w.stack {
		if o == obj {
			return errJSONCycle
		}
	}
	w.stack = append(w.stack, obj)
	defer func() { w.stack = w.stack[:len(w.stack)-1] }()
	if obj.ClassName() == "Array" {
		return w.array(obj, depth)
	}
	return w.object(obj, depth)
}

func (w *jsonWriter) newline(depth int) error {
	if w.gap == "" {
		return nil
	}
	if err := w.write("\n"); err != nil {
		return err
	}
	for range depth {
		if err := w.write(w.gap); err != nil {
			return err
		}
	}
	return nil
}

func (w *jsonWriter) array(obj *goja.Object, depth int) error {
	n := obj.Get("length").ToInteger()
	// Every element takes at least one byte: a huge (sparse) length fails
	// here instead of looping.
	if int64(len(w.buf))+n > int64(w.max) {
		return errJSONTooLarge
	}
	if err := w.write("["); err != nil {
		return err
	}
	for i := range n {
		if i > 0 {
			if err := w.write(","); err != nil {
				return err
			}
		}
		if err := w.newline(depth); err != nil {
			return err
		}
		key := strconv.FormatInt(i, 10)
		ok, err := w.property(obj, key, obj.Get(key), depth)
		if err != nil {
			return err
		}
		if !ok {
			if err := w.write("null"); err != nil {
				return err
			}
		}
	}
	if n > 0 {
		if err := w.newline(depth - 1); err != nil {
			return err
		}
	}
	return w.write("]")
}

func (w *jsonWriter) object(obj *goja.Object, depth int) error {
	keys := w.allow
	if keys == nil {
		keys = obj.Keys()
	}
	if err := w.write("{"); err != nil {
		return err
	}
	wrote := false
	for _, k := range keys {
		// Roll back the key when the value turns out to be undefined.
		mark := len(w.buf)
		if wrote {
			if err := w.write(","); err != nil {
				return err
			}
		}
		if err := w.newline(depth); err != nil {
			return err
		}
		if err := w.quote(k); err != nil {
			return err
		}
		sep := ":"
		if w.gap != "" {
			sep = ": "
		}
		if err := w.write(sep); err != nil {
			return err
		}
		ok, err := w.property(obj, k, obj.Get(k), depth)
		if err != nil {
			return err
		}
		if !ok {
			w.buf = w.buf[:mark]
			continue
		}
		wrote = true
	}
	if wrote {
		if err := w.newline(depth - 1); err != nil {
			return err
		}
	}
	return w.write("}")
}

const hexDigits = "0123456789abcdef"

// quote is QuoteJSONString: only '"', '\\' and control characters are escaped.
func (w *jsonWriter) quote(s string) error {
	if len(w.buf)+len(s)+2 > w.max {
		return errJSONTooLarge
	}
	w.buf = append(w.buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		w.buf = append(w.buf, s[start:i]...)
		switch c {
		case '"':
			w.buf = append(w.buf, '\\', '"')
		case '\\':
			w.buf = append(w.buf, '\\', '\\')
		case '\b':
			w.buf = append(w.buf, '\\', 'b')
		case '\f':
			w.buf = append(w.buf, '\\', 'f')
		case '\n':
			w.buf = append(w.buf, '\\', 'n')
		case '\r':
			w.buf = append(w.buf, '\\', 'r')
		case '\t':
			w.buf = append(w.buf, '\\', 't')
		default:
			w.buf = append(w.buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		start = i + 1
	}
	w.buf = append(w.buf, s[start:]...)
	w.buf = append(w.buf, '"')
	if len(w.buf) > w.max {
		return errJSONTooLarge
	}
	return nil
}

// formatNumber is Number.prototype.toString for finite values; NaN and the
// infinities serialize as null, as in JSON.stringify.
func formatNumber(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "null"
	}
	if f == 0 {
		return "0" // also -0
	}
	if abs := math.Abs(f); abs >= 1e-6 && abs < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // 1.5e-07, 1e+21
	mant, exp, _ := strings.Cut(s, "e")
	sign := exp[0]
	exp = strings.TrimLeft(exp[1:], "0")
	return mant + "e" + string(sign) + exp
}
