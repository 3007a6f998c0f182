package query

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"

	"github.com/goflow-dev/goflow/domain"
)

// ParamError says which parameter is wrong and why. It unwraps to ErrInvalidParams.
type ParamError struct {
	// Path is a JSON pointer into the params object: "/name", or "" for the object itself.
	Path   string
	Reason string
}

func (e *ParamError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s: %s", ErrInvalidParams, e.Reason)
	}
	return fmt.Sprintf("%s: %s: %s", ErrInvalidParams, e.Path, e.Reason)
}

func (e *ParamError) Unwrap() error { return ErrInvalidParams }

// Values are checked parameter values by name, compact JSON. A parameter that was not given and
// has no default is absent and counts as null.
type Values map[string]json.RawMessage

// BindParams checks the JSON object raw (null or empty: no params) against the declared params
// and returns the values with defaults applied. An unknown name, a missing required param or a
// value of the wrong type is a *ParamError naming the param. A null value counts as not given.
func BindParams(declared []domain.QueryParam, raw json.RawMessage) (Values, error) {
	given := map[string]json.RawMessage{}
	if t := bytes.TrimSpace(raw); len(t) > 0 && string(t) != "null" {
		if t[0] != '{' {
			return nil, &ParamError{Reason: "params must be a JSON object"}
		}
		if err := json.Unmarshal(t, &given); err != nil {
			return nil, &ParamError{Reason: "params are not valid JSON"}
		}
	}
	// Sorted so that the error for several bad params is always about the same one.
	for _, name := range slices.Sorted(maps.Keys(given)) {
		if !slices.ContainsFunc(declared, func(p domain.QueryParam) bool { return p.Name == name }) {
			return nil, &ParamError{Path: "/" + pointerToken(name), Reason: "unknown param"}
		}
	}
	out := make(Values, len(declared))
	for _, p := range declared {
		path := "/" + pointerToken(p.Name)
		v, ok := given[p.Name]
		if ok && string(bytes.TrimSpace(v)) == "null" {
			ok = false
		}
		switch {
		case ok:
			if !p.Type.Accepts(v) {
				return nil, &ParamError{Path: path, Reason: fmt.Sprintf("expected %s, got %s", p.Type, jsonType(v))}
			}
			var buf bytes.Buffer
			if err := json.Compact(&buf, v); err != nil {
				return nil, &ParamError{Path: path, Reason: "not valid JSON"}
			}
			out[p.Name] = buf.Bytes()
			if p.Type == domain.ParamInteger {
				out[p.Name] = canonicalInteger(buf.Bytes())
			}
		case p.Default != nil:
			out[p.Name] = p.Default
			if p.Type == domain.ParamInteger {
				out[p.Name] = canonicalInteger(p.Default)
			}
		case p.Required:
			return nil, &ParamError{Path: path, Reason: "required param missing"}
		}
	}
	return out, nil
}

// canonicalInteger writes a whole number given as 1e2 or 100.0 as 100, so that it reads as an
// integer wherever it is substituted.
func canonicalInteger(v json.RawMessage) json.RawMessage {
	if bytes.IndexAny(v, ".eE") < 0 {
		return v
	}
	f, _, err := big.ParseFloat(string(v), 10, uint(4*len(v)+64), big.ToNearestEven)
	if err != nil {
		return v
	}
	i, _ := f.Int(nil)
	return json.RawMessage(i.String())
}

// jsonType names the JSON type of v for messages.
func jsonType(v json.RawMessage) string {
	t := bytes.TrimSpace(v)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// pointerToken escapes one JSON-pointer reference token (RFC 6901).
func pointerToken(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
