package query

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/goflow-dev/goflow/domain"
)

// SQL is a Postgres template rewritten for the extended protocol: {{name}} placeholders
// replaced by $1..$n, Names[i] the param bound to $(i+1).
type SQL struct {
	Text  string
	Names []string
}

// RewriteSQL turns a Postgres template into SQL with numbered bind parameters. Each distinct
// {{name}} becomes one $n (a name used twice binds the same $n); values are never written into
// the text. A placeholder inside a string literal (also E'...' and $$...$$), a quoted
// identifier or a comment is an ErrTemplate error rather than a bind parameter, because Postgres
// would read "$1" there as text; so is a hand-written $1, which would collide with the numbering.
func RewriteSQL(template string) (SQL, error) {
	var out strings.Builder
	var names []string
	s := template
	isIdent := func(c byte) bool {
		return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
	}
	// inside checks a quoted or commented span for placeholders before it is copied verbatim.
	inside := func(span, what string) error {
		if i := strings.Index(span, "{{"); i >= 0 {
			name := span[i:]
			if j := strings.Index(name, "}}"); j >= 0 {
				name = name[:j+2]
			}
			return fmt.Errorf("%w: the placeholder %s is inside %s, where Postgres cannot take a bind parameter; write it outside quotes (it is sent as a typed value, e.g. name = {{x}} or name LIKE '%%' || {{x}} || '%%')", ErrTemplate, name, what)
		}
		return nil
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\'':
			escapes := i > 0 && (s[i-1] == 'E' || s[i-1] == 'e') && (i < 2 || !isIdent(s[i-2]))
			end := scanQuoted(s, i, '\'', escapes)
			if end < 0 {
				return SQL{}, fmt.Errorf("%w: a string literal is not closed", ErrTemplate)
			}
			if err := inside(s[i:end], "a string literal"); err != nil {
				return SQL{}, err
			}
			out.WriteString(s[i:end])
			i = end
		case c == '"':
			end := scanQuoted(s, i, '"', false)
			if end < 0 {
				return SQL{}, fmt.Errorf("%w: a quoted identifier is not closed", ErrTemplate)
			}
			if err := inside(s[i:end], "a quoted identifier"); err != nil {
				return SQL{}, err
			}
			out.WriteString(s[i:end])
			i = end
		case c == '-' && strings.HasPrefix(s[i:], "--"):
			end := strings.IndexByte(s[i:], '\n')
			if end < 0 {
				end = len(s)
			} else {
				end += i
			}
			if err := inside(s[i:end], "a comment"); err != nil {
				return SQL{}, err
			}
			out.WriteString(s[i:end])
			i = end
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			end := scanBlockComment(s, i)
			if end < 0 {
				return SQL{}, fmt.Errorf("%w: a /* comment is not closed", ErrTemplate)
			}
			if err := inside(s[i:end], "a comment"); err != nil {
				return SQL{}, err
			}
			out.WriteString(s[i:end])
			i = end
		case c == '$' && (i == 0 || !isIdent(s[i-1])):
			if i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
				return SQL{}, fmt.Errorf("%w: write parameters as {{name}}, not as $%c", ErrTemplate, s[i+1])
			}
			tag, ok := dollarTag(s[i:])
			if !ok {
				out.WriteByte(c)
				i++
				continue
			}
			j := strings.Index(s[i+len(tag):], tag)
			if j < 0 {
				return SQL{}, fmt.Errorf("%w: a dollar-quoted string (%s) is not closed", ErrTemplate, tag)
			}
			end := i + len(tag) + j + len(tag)
			if err := inside(s[i:end], "a dollar-quoted string"); err != nil {
				return SQL{}, err
			}
			out.WriteString(s[i:end])
			i = end
		case c == '{' && strings.HasPrefix(s[i:], "{{"):
			j := strings.Index(s[i+2:], "}}")
			if j < 0 {
				return SQL{}, fmt.Errorf("%w: a {{ is not closed by }}", ErrTemplate)
			}
			name := strings.TrimSpace(s[i+2 : i+2+j])
			if _, err := domain.TemplatePlaceholders("{{" + name + "}}"); err != nil || name == "" {
				return SQL{}, fmt.Errorf("%w: {{%s}} is not a parameter name", ErrTemplate, s[i+2:i+2+j])
			}
			n := indexOf(names, name)
			if n < 0 {
				names = append(names, name)
				n = len(names) - 1
			}
			// Spaces keep "x{{a}}" from lexing as the identifier x$1 and "{{a}}1" as $11.
			if out.Len() > 0 && isIdent(out.String()[out.Len()-1]) {
				out.WriteByte(' ')
			}
			fmt.Fprintf(&out, "$%d", n+1)
			i += 2 + j + 2
			if i < len(s) && isIdent(s[i]) {
				out.WriteByte(' ')
			}
		default:
			out.WriteByte(c)
			i++
		}
	}
	return SQL{Text: out.String(), Names: names}, nil
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

// scanQuoted returns the index just past the quoted span starting at s[start] (a doubled quote
// is an escaped one; with escapes, so is a backslash-escaped character), or -1 if it is open.
func scanQuoted(s string, start int, q byte, escapes bool) int {
	for i := start + 1; i < len(s); i++ {
		switch {
		case escapes && s[i] == '\\':
			i++
		case s[i] == q:
			if i+1 < len(s) && s[i+1] == q {
				i++
				continue
			}
			return i + 1
		}
	}
	return -1
}

// scanBlockComment returns the index just past the (nestable) comment starting at s[start].
func scanBlockComment(s string, start int) int {
	depth := 0
	for i := start; i < len(s)-1; i++ {
		switch {
		case s[i] == '/' && s[i+1] == '*':
			depth++
			i++
		case s[i] == '*' && s[i+1] == '/':
			depth--
			i++
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// dollarTag returns the opening "$tag$" of a dollar-quoted string at the start of s.
func dollarTag(s string) (string, bool) {
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '$':
			return s[:i+1], true
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 || (i > 1 && c >= '0' && c <= '9'):
		default:
			return "", false
		}
	}
	return "", false
}

// bindValue turns a checked parameter value into the Go value pgx sends for it. Postgres infers
// each parameter's type from the statement; these Go types encode into the usual targets:
// strings into text-like types, int64 into integers, float64 into floating and numeric types,
// JSON text into json/jsonb, and homogeneous arrays into arrays (= ANY({{ids}})).
func bindValue(typ domain.QueryParamType, raw json.RawMessage) (any, error) {
	if raw == nil || string(raw) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	switch typ {
	case domain.ParamObject:
		return string(raw), nil
	case domain.ParamArray:
		return bindArray(raw, v.([]any)), nil
	case domain.ParamInteger:
		n := v.(json.Number)
		if i, err := n.Int64(); err == nil {
			return i, nil
		}
		f, err := n.Float64()
		if err != nil || f < -9.2e18 || f > 9.2e18 {
			return nil, fmt.Errorf("integer %s is out of range", n)
		}
		return int64(f), nil
	case domain.ParamNumber:
		return v.(json.Number).Float64()
	}
	return v, nil // string, bool
}

// bindArray sends a homogeneous array of scalars as a typed slice (for Postgres arrays) and
// anything else as its JSON text (for json/jsonb).
func bindArray(raw json.RawMessage, items []any) any {
	if len(items) == 0 {
		return []string{}
	}
	switch items[0].(type) {
	case string:
		out := make([]string, len(items))
		for i, it := range items {
			s, ok := it.(string)
			if !ok {
				return string(raw)
			}
			out[i] = s
		}
		return out
	case bool:
		out := make([]bool, len(items))
		for i, it := range items {
			b, ok := it.(bool)
			if !ok {
				return string(raw)
			}
			out[i] = b
		}
		return out
	case json.Number:
		ints := make([]int64, 0, len(items))
		floats := make([]float64, len(items))
		for i, it := range items {
			n, ok := it.(json.Number)
			if !ok {
				return string(raw)
			}
			if v, err := n.Int64(); err == nil && ints != nil {
				ints = append(ints, v)
			} else {
				ints = nil
			}
			f, err := n.Float64()
			if err != nil {
				return string(raw)
			}
			floats[i] = f
		}
		if ints != nil {
			return ints
		}
		return floats
	}
	return string(raw)
}
