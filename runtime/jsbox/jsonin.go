package jsbox

import (
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dop251/goja"
)

var errJSONSyntax = errors.New("invalid JSON")

// jsonReader builds script values from JSON text in Go. goja's JSON.parse
// goes through encoding/json's token API and is about three times slower;
// inputs (state, payloads, props) are parsed on every call, so this is the
// hot path. The text has been validated (json.Valid, depth) or was written by
// jsonWriter; errors are still reported, never panicked.
//
// Objects are built like JSON.parse builds them: "__proto__" becomes an own
// property, a repeated key keeps its first position and its last value.
type jsonReader struct {
	rt       *goja.Runtime
	s        []byte
	i        int
	maxDepth int
	// When freeze is set every object and array comes out frozen: object
	// properties are defined read-only and the object made non-extensible
	// (cheaper than freezing afterwards, which iterates the keys again).
	freeze            goja.Callable // Object.freeze, for arrays
	preventExtensions goja.Callable
}

func (v *vm) fromJSON(data []byte, frozen bool) (goja.Value, error) {
	r := jsonReader{rt: v.rt, s: data, maxDepth: v.lim.MaxJSONDepth}
	if frozen {
		r.freeze, r.preventExtensions = v.freeze, v.preventExtensions
	}
	val, err := r.value(0)
	if err != nil {
		return nil, err
	}
	r.space()
	if r.i != len(r.s) {
		return nil, errJSONSyntax
	}
	return val, nil
}

func (r *jsonReader) space() {
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

func (r *jsonReader) expect(lit string) bool {
	if len(r.s)-r.i < len(lit) || string(r.s[r.i:r.i+len(lit)]) != lit {
		return false
	}
	r.i += len(lit)
	return true
}

func (r *jsonReader) value(depth int) (goja.Value, error) {
	r.space()
	if r.i >= len(r.s) {
		return nil, errJSONSyntax
	}
	switch c := r.s[r.i]; c {
	case '{':
		return r.object(depth + 1)
	case '[':
		return r.array(depth + 1)
	case '"':
		s, err := r.str()
		if err != nil {
			return nil, err
		}
		return r.rt.ToValue(s), nil
	case 't':
		if r.expect("true") {
			return r.rt.ToValue(true), nil
		}
	case 'f':
		if r.expect("false") {
			return r.rt.ToValue(false), nil
		}
	case 'n':
		if r.expect("null") {
			return goja.Null(), nil
		}
	default:
		return r.number()
	}
	return nil, errJSONSyntax
}

func (r *jsonReader) object(depth int) (goja.Value, error) {
	if depth > r.maxDepth {
		return nil, errJSONTooDeep
	}
	r.i++ // {
	obj := r.rt.NewObject()
	r.space()
	if r.i < len(r.s) && r.s[r.i] == '}' {
		r.i++
		return r.sealed(obj)
	}
	for {
		r.space()
		key, err := r.str()
		if err != nil {
			return nil, err
		}
		r.space()
		if r.i >= len(r.s) || r.s[r.i] != ':' {
			return nil, errJSONSyntax
		}
		r.i++
		val, err := r.value(depth)
		if err != nil {
			return nil, err
		}
		switch {
		case r.freeze != nil:
			err = obj.DefineDataProperty(key, val, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE)
		case key == "__proto__":
			err = obj.DefineDataProperty(key, val, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE)
		default:
			err = obj.Set(key, val)
		}
		if err != nil {
			return nil, err
		}
		r.space()
		if r.i >= len(r.s) {
			return nil, errJSONSyntax
		}
		switch r.s[r.i] {
		case ',':
			r.i++
		case '}':
			r.i++
			return r.sealed(obj)
		default:
			return nil, errJSONSyntax
		}
	}
}

func (r *jsonReader) array(depth int) (goja.Value, error) {
	if depth > r.maxDepth {
		return nil, errJSONTooDeep
	}
	r.i++ // [
	var items []any
	r.space()
	if r.i < len(r.s) && r.s[r.i] == ']' {
		r.i++
		return r.done(r.rt.NewArray())
	}
	for {
		val, err := r.value(depth)
		if err != nil {
			return nil, err
		}
		items = append(items, val)
		r.space()
		if r.i >= len(r.s) {
			return nil, errJSONSyntax
		}
		switch r.s[r.i] {
		case ',':
			r.i++
		case ']':
			r.i++
			return r.done(r.rt.NewArray(items...))
		default:
			return nil, errJSONSyntax
		}
	}
}

// sealed finishes a frozen object whose properties are already read-only.
func (r *jsonReader) sealed(obj *goja.Object) (goja.Value, error) {
	if r.preventExtensions != nil {
		if _, err := r.preventExtensions(goja.Undefined(), obj); err != nil {
			return nil, err
		}
	}
	return obj, nil
}

func (r *jsonReader) done(obj *goja.Object) (goja.Value, error) {
	if r.freeze != nil {
		if _, err := r.freeze(goja.Undefined(), obj); err != nil {
			return nil, err
		}
	}
	return obj, nil
}

func (r *jsonReader) number() (goja.Value, error) {
	start := r.i
	integer := true
	for r.i < len(r.s) {
		c := r.s[r.i]
		if c >= '0' && c <= '9' || c == '-' {
			r.i++
		} else if c == '.' || c == 'e' || c == 'E' || c == '+' {
			integer = false
			r.i++
		} else {
			break
		}
	}
	text := string(r.s[start:r.i])
	// Integers that fit a float64 exactly stay integers (as in goja), except
	// -0, which must remain a negative zero.
	if integer && len(text) < 16 && text != "-0" {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return r.rt.ToValue(n), nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		var numErr *strconv.NumError
		if !errors.As(err, &numErr) || numErr.Err != strconv.ErrRange {
			return nil, errJSONSyntax
		}
		// Out of range: ParseFloat returned ±Inf or 0, like JSON.parse.
	}
	return r.rt.ToValue(f), nil
}

func (r *jsonReader) str() (string, error) {
	if r.i >= len(r.s) || r.s[r.i] != '"' {
		return "", errJSONSyntax
	}
	r.i++
	start := r.i
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case '"':
			s := string(r.s[start:r.i])
			r.i++
			return s, nil
		case '\\':
			return r.escapedStr(start)
		}
		r.i++
	}
	return "", errJSONSyntax
}

func (r *jsonReader) escapedStr(start int) (string, error) {
	buf := append([]byte(nil), r.s[start:r.i]...)
	for r.i < len(r.s) {
		c := r.s[r.i]
		switch c {
		case '"':
			r.i++
			return string(buf), nil
		case '\\':
			if r.i+1 >= len(r.s) {
				return "", errJSONSyntax
			}
			e := r.s[r.i+1]
			r.i += 2
			switch e {
			case 'n':
				buf = append(buf, '\n')
			case 't':
				buf = append(buf, '\t')
			case 'r':
				buf = append(buf, '\r')
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'u':
				ch, ok := r.hex4()
				if !ok {
					return "", errJSONSyntax
				}
				if utf16.IsSurrogate(ch) && r.i+1 < len(r.s) && r.s[r.i] == '\\' && r.s[r.i+1] == 'u' {
					save := r.i
					r.i += 2
					if low, ok := r.hex4(); ok && utf16.DecodeRune(ch, low) != utf8.RuneError {
						ch = utf16.DecodeRune(ch, low)
					} else {
						r.i = save
					}
				}
				// A lone surrogate cannot be represented in UTF-8: U+FFFD.
				buf = utf8.AppendRune(buf, ch)
			default:
				return "", errJSONSyntax
			}
		default:
			buf = append(buf, c)
			r.i++
		}
	}
	return "", errJSONSyntax
}

func (r *jsonReader) hex4() (rune, bool) {
	if r.i+4 > len(r.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(r.s[r.i:r.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	r.i += 4
	return rune(n), true
}
