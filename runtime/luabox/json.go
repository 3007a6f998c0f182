package luabox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// maxJSONDepth bounds the nesting of values crossing the boundary either way.
const maxJSONDepth = 100

// JSON <-> Lua mapping:
//   - objects are tables with string keys; a null member is left out (so data.x == nil tests work);
//   - arrays are tables 1..n carrying a marker metatable (so an emptied array encodes as []); a null
//     element becomes json.null so that positions and the length survive;
//   - numbers are Lua numbers (float64); strings, booleans as such; a top-level null is nil.
//
// On the way out a table whose keys are exactly 1..n is an array, any other table an object with its
// string and number keys (numbers written as strings); an empty table is {} unless it has the array
// marker (json.array). Keys come out in insertion order. Functions, coroutines, userdata other than
// json.null, NaN and infinities cannot be encoded; nor can cycles (a table shared by two branches can).

var errJSONCycle = errors.New("cannot encode a table that contains itself")

// decodeJSON converts one JSON document into a Lua value.
func (rs *runState) decodeJSON(L *lua.LState, data []byte) (lua.LValue, error) {
	d := decoder{rs: rs, L: L, dec: json.NewDecoder(bytes.NewReader(data))}
	v, err := d.value(0)
	if err != nil {
		return lua.LNil, err
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return lua.LNil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

type member struct {
	key   string
	value lua.LValue
}

// decoder collects each array's or object's members on a scratch stack first, so that its table
// is made at its final size (gopher-lua's default table preallocates room for 32 of each).
type decoder struct {
	rs      *runState
	L       *lua.LState
	dec     *json.Decoder
	scratch []member
}

func (d *decoder) value(depth int) (lua.LValue, error) {
	tok, err := d.dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return lua.LNil, err
	}
	switch t := tok.(type) {
	case nil:
		return lua.LNil, nil
	case bool:
		return lua.LBool(t), nil
	case float64:
		return lua.LNumber(t), nil
	case string:
		return lua.LString(t), nil
	case json.Delim:
		if depth >= maxJSONDepth {
			return lua.LNil, fmt.Errorf("%w: JSON nests deeper than %d levels", ErrTooLarge, maxJSONDepth)
		}
		base := len(d.scratch)
		defer func() { d.scratch = d.scratch[:base] }()
		for d.dec.More() {
			var key string
			if t == '{' {
				kt, err := d.dec.Token()
				if err != nil {
					return lua.LNil, err
				}
				key, _ = kt.(string)
			}
			v, err := d.value(depth + 1)
			if err != nil {
				return lua.LNil, err
			}
			d.scratch = append(d.scratch, member{key: key, value: v})
		}
		if _, err := d.dec.Token(); err != nil { // the closing delimiter
			return lua.LNil, err
		}
		members := d.scratch[base:]
		if t == '[' {
			tbl := d.L.CreateTable(len(members), 0)
			tbl.Metatable = d.rs.arrayMT
			for i, m := range members {
				if m.value == lua.LNil {
					m.value = d.rs.null
				}
				tbl.RawSetInt(i+1, m.value)
			}
			return tbl, nil
		}
		tbl := d.L.CreateTable(0, len(members))
		for _, m := range members {
			if m.value != lua.LNil {
				tbl.RawSetString(m.key, m.value)
			}
		}
		return tbl, nil
	}
	return lua.LNil, fmt.Errorf("unexpected JSON token %v", tok)
}

// encodeJSON converts a Lua value into JSON of at most limit bytes.
func (rs *runState) encodeJSON(v lua.LValue, limit int) ([]byte, error) {
	e := encoder{rs: rs, limit: limit}
	if err := e.value(v, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

type encoder struct {
	rs    *runState
	buf   []byte
	limit int
	path  []*lua.LTable // tables being encoded, for cycle detection
}

func (e *encoder) value(v lua.LValue, depth int) error {
	switch v := v.(type) {
	case *lua.LNilType:
		e.buf = append(e.buf, "null"...)
	case lua.LBool:
		e.buf = strconv.AppendBool(e.buf, bool(v))
	case lua.LNumber:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("cannot encode the number %v", f)
		}
		e.buf = appendNumber(e.buf, f)
	case lua.LString:
		e.buf = appendString(e.buf, string(v))
	case *lua.LUserData:
		if v != e.rs.null {
			return errors.New("cannot encode a userdata value")
		}
		e.buf = append(e.buf, "null"...)
	case *lua.LTable:
		if err := e.table(v, depth); err != nil {
			return err
		}
	default:
		return fmt.Errorf("cannot encode a %s value", v.Type().String())
	}
	if len(e.buf) > e.limit {
		return fmt.Errorf("%w: the JSON encoding exceeds %d bytes", ErrTooLarge, e.limit)
	}
	return nil
}

func (e *encoder) table(t *lua.LTable, depth int) error {
	if depth >= maxJSONDepth {
		return fmt.Errorf("%w: the value nests deeper than %d levels", ErrTooLarge, maxJSONDepth)
	}
	if slices.Contains(e.path, t) {
		return errJSONCycle
	}
	e.path = append(e.path, t)
	defer func() { e.path = e.path[:len(e.path)-1] }()

	n, maxIndex, isArray := 0, 0, true
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n++
		if idx, ok := k.(lua.LNumber); ok && idx >= 1 && float64(idx) == math.Trunc(float64(idx)) && idx <= math.MaxInt32 {
			maxIndex = max(maxIndex, int(idx))
		} else {
			isArray = false
		}
	}
	if n == 0 {
		if t.Metatable == e.rs.arrayMT {
			e.buf = append(e.buf, "[]"...)
		} else {
			e.buf = append(e.buf, "{}"...)
		}
		return nil
	}
	if isArray && maxIndex == n {
		e.buf = append(e.buf, '[')
		for i := 1; i <= n; i++ {
			if i > 1 {
				e.buf = append(e.buf, ',')
			}
			if err := e.value(t.RawGet(lua.LNumber(i)), depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, ']')
		return nil
	}
	e.buf = append(e.buf, '{')
	first := true
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		var key string
		switch k := k.(type) {
		case lua.LString:
			key = string(k)
		case lua.LNumber:
			key = k.String()
		default:
			return fmt.Errorf("cannot encode a table key of type %s", k.Type().String())
		}
		if !first {
			e.buf = append(e.buf, ',')
		}
		first = false
		e.buf = appendString(e.buf, key)
		e.buf = append(e.buf, ':')
		if err := e.value(v, depth+1); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// appendNumber formats like encoding/json: integers without a fraction, exponents only for very
// large or small magnitudes.
func appendNumber(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string; invalid UTF-8 becomes U+FFFD, as encoding/json does.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
