package jsbox

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// maxSchemaErrors caps the errors one validateSchema call reports.
const maxSchemaErrors = 20

// maxSchemaSteps bounds the work of one validateSchema call (schema nodes
// times value nodes can be large, and the validator is Go code the deadline
// cannot interrupt).
const maxSchemaSteps = 200_000

type schemaError struct {
	Path    string `json:"path"` // JSON pointer into the value; "" is the value itself
	Message string `json:"message"`
}

type schemaResult struct {
	Valid  bool          `json:"valid"`
	Errors []schemaError `json:"errors"`
}

// hostValidateSchema is utils.validateSchema(schema, value): both cross as
// JSON copies, and so does the result.
func (v *vm) hostValidateSchema(call goja.FunctionCall) goja.Value {
	schemaJSON, ok := v.toJSON(call.Argument(0), v.lim.MaxStringLength, "utils.validateSchema schema")
	if !ok {
		v.throwType("utils.validateSchema(schema, value): schema must be an object or a boolean")
	}
	valueJSON, ok := v.toJSON(call.Argument(1), v.lim.MaxStringLength, "utils.validateSchema value")
	if !ok {
		valueJSON = "null" // undefined validates like null; type checks report it
	}
	var schema, value any
	if err := json.Unmarshal([]byte(schemaJSON), &schema); err != nil {
		v.throwType("utils.validateSchema: %s", err.Error())
	}
	if err := json.Unmarshal([]byte(valueJSON), &value); err != nil {
		v.throwType("utils.validateSchema: %s", err.Error())
	}
	out, err := json.Marshal(validateSchema(schema, value))
	if err != nil {
		v.throwType("utils.validateSchema: %s", err.Error())
	}
	return v.mustFromJSON(out, false)
}

// validateSchema checks value against a subset of JSON Schema: type, enum,
// const, properties, required, additionalProperties, min/maxProperties,
// items (schema or tuple), min/maxItems, uniqueItems, min/maxLength, pattern
// (Go regexp syntax), minimum, maximum, exclusiveMinimum/Maximum (number or
// draft-4 boolean), multipleOf, allOf, anyOf, oneOf, not. Other keywords are
// ignored, except $ref, which is reported as unsupported rather than silently
// passing. Both arguments are decoded JSON (map[string]any, []any, float64,
// string, bool, nil). Object properties are visited in sorted order so the
// errors are deterministic.
func validateSchema(schema, value any) schemaResult {
	s := schemaValidator{errors: []schemaError{}}
	s.validate(schema, value, "")
	return schemaResult{Valid: len(s.errors) == 0, Errors: s.errors}
}

type schemaValidator struct {
	errors []schemaError
	// probing suppresses error collection inside anyOf / oneOf / not, where
	// only the verdict of each branch matters.
	probing int
	failed  bool
	steps   int
}

func (s *schemaValidator) fail(path, format string, args ...any) {
	s.failed = true
	if s.probing > 0 || len(s.errors) >= maxSchemaErrors {
		return
	}
	s.errors = append(s.errors, schemaError{Path: path, Message: fmt.Sprintf(format, args...)})
}

// passes reports whether value satisfies schema, without recording errors.
func (s *schemaValidator) passes(schema, value any, path string) bool {
	saved := s.failed
	s.failed = false
	s.probing++
	s.validate(schema, value, path)
	s.probing--
	ok := !s.failed
	s.failed = saved
	return ok
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

func typeMatches(want, got string) bool {
	return want == got || (want == "number" && got == "integer")
}

func num(v any) (float64, bool) {
	f, ok := v.(float64)
	return f, ok
}

func pointer(path, key string) string {
	key = strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
	return path + "/" + key
}

func (s *schemaValidator) validate(schema, value any, path string) {
	s.steps++
	if s.steps > maxSchemaSteps {
		if s.steps == maxSchemaSteps+1 {
			// Recorded even while probing: the verdict is no longer meaningful.
			s.errors = append(s.errors, schemaError{Path: path, Message: fmt.Sprintf("validation stopped after %d steps", maxSchemaSteps)})
		}
		s.failed = true
		return
	}
	switch sc := schema.(type) {
	case bool:
		if !sc {
			s.fail(path, "no value is allowed here")
		}
		return
	case map[string]any:
		s.validateObjectSchema(sc, value, path)
	default:
		s.fail(path, "invalid schema: expected an object or a boolean")
	}
}

func (s *schemaValidator) validateObjectSchema(sc map[string]any, value any, path string) {
	if _, ok := sc["$ref"]; ok {
		s.fail(path, "unsupported schema keyword $ref")
		return
	}
	got := jsonType(value)
	switch t := sc["type"].(type) {
	case string:
		if !typeMatches(t, got) {
			s.fail(path, "expected %s, got %s", t, got)
			return
		}
	case []any:
		ok := false
		for _, want := range t {
			if w, isStr := want.(string); isStr && typeMatches(w, got) {
				ok = true
			}
		}
		if !ok {
			s.fail(path, "expected one of %v, got %s", t, got)
			return
		}
	}
	if enum, ok := sc["enum"].([]any); ok {
		if !slices.ContainsFunc(enum, func(e any) bool { return reflect.DeepEqual(e, value) }) {
			s.fail(path, "value is not one of the allowed values")
		}
	}
	if c, ok := sc["const"]; ok && !reflect.DeepEqual(c, value) {
		s.fail(path, "value must be %s", compactJSON(c))
	}
	switch x := value.(type) {
	case map[string]any:
		s.validateObject(sc, x, path)
	case []any:
		s.validateArray(sc, x, path)
	case string:
		s.validateString(sc, x, path)
	case float64:
		s.validateNumber(sc, x, path)
	}
	if all, ok := sc["allOf"].([]any); ok {
		for _, sub := range all {
			s.validate(sub, value, path)
		}
	}
	if anyOf, ok := sc["anyOf"].([]any); ok {
		if !slices.ContainsFunc(anyOf, func(sub any) bool { return s.passes(sub, value, path) }) {
			s.fail(path, "value matches none of anyOf")
		}
	}
	if oneOf, ok := sc["oneOf"].([]any); ok {
		n := 0
		for _, sub := range oneOf {
			if s.passes(sub, value, path) {
				n++
			}
		}
		if n != 1 {
			s.fail(path, "value matches %d schemas of oneOf, expected exactly 1", n)
		}
	}
	if not, ok := sc["not"]; ok && s.passes(not, value, path) {
		s.fail(path, "value must not match the schema in not")
	}
}

func (s *schemaValidator) validateObject(sc map[string]any, obj map[string]any, path string) {
	if req, ok := sc["required"].([]any); ok {
		for _, r := range req {
			if name, ok := r.(string); ok {
				if _, present := obj[name]; !present {
					s.fail(pointer(path, name), "required property is missing")
				}
			}
		}
	}
	if n, ok := num(sc["minProperties"]); ok && float64(len(obj)) < n {
		s.fail(path, "expected at least %v properties", n)
	}
	if n, ok := num(sc["maxProperties"]); ok && float64(len(obj)) > n {
		s.fail(path, "expected at most %v properties", n)
	}
	props, _ := sc["properties"].(map[string]any)
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	additional, hasAdditional := sc["additionalProperties"]
	for _, k := range keys {
		if sub, ok := props[k]; ok {
			s.validate(sub, obj[k], pointer(path, k))
			continue
		}
		if hasAdditional {
			if b, isBool := additional.(bool); isBool && !b {
				s.fail(pointer(path, k), "property is not allowed")
			} else {
				s.validate(additional, obj[k], pointer(path, k))
			}
		}
	}
}

func (s *schemaValidator) validateArray(sc map[string]any, arr []any, path string) {
	if n, ok := num(sc["minItems"]); ok && float64(len(arr)) < n {
		s.fail(path, "expected at least %v items", n)
	}
	if n, ok := num(sc["maxItems"]); ok && float64(len(arr)) > n {
		s.fail(path, "expected at most %v items", n)
	}
	if u, _ := sc["uniqueItems"].(bool); u {
		// encoding/json sorts object keys, so equal values encode equally.
		first := make(map[string]int, len(arr))
		for i, item := range arr {
			b, _ := json.Marshal(item)
			if j, dup := first[string(b)]; dup {
				s.fail(pointer(path, strconv.Itoa(i)), "duplicate of item %d", j)
			} else {
				first[string(b)] = i
			}
		}
	}
	switch items := sc["items"].(type) {
	case []any: // tuple form
		for i := range min(len(items), len(arr)) {
			s.validate(items[i], arr[i], pointer(path, strconv.Itoa(i)))
		}
	case nil:
	default:
		for i, item := range arr {
			s.validate(items, item, pointer(path, strconv.Itoa(i)))
		}
	}
}

func (s *schemaValidator) validateString(sc map[string]any, str, path string) {
	n := float64(utf8.RuneCountInString(str))
	if m, ok := num(sc["minLength"]); ok && n < m {
		s.fail(path, "expected at least %v characters", m)
	}
	if m, ok := num(sc["maxLength"]); ok && n > m {
		s.fail(path, "expected at most %v characters", m)
	}
	if p, ok := sc["pattern"].(string); ok {
		// Go's regexp is linear-time; JavaScript-only syntax (lookaround,
		// backreferences) is reported as an invalid pattern.
		re, err := regexp.Compile(p)
		switch {
		case err != nil:
			s.fail(path, "invalid pattern %q: %v", p, err)
		case !re.MatchString(str):
			s.fail(path, "does not match pattern %q", p)
		}
	}
}

func (s *schemaValidator) validateNumber(sc map[string]any, f float64, path string) {
	if m, ok := num(sc["minimum"]); ok {
		if ex, _ := sc["exclusiveMinimum"].(bool); ex && f <= m {
			s.fail(path, "expected more than %v", m)
		} else if f < m {
			s.fail(path, "expected at least %v", m)
		}
	}
	if m, ok := num(sc["maximum"]); ok {
		if ex, _ := sc["exclusiveMaximum"].(bool); ex && f >= m {
			s.fail(path, "expected less than %v", m)
		} else if f > m {
			s.fail(path, "expected at most %v", m)
		}
	}
	if m, ok := num(sc["exclusiveMinimum"]); ok && f <= m {
		s.fail(path, "expected more than %v", m)
	}
	if m, ok := num(sc["exclusiveMaximum"]); ok && f >= m {
		s.fail(path, "expected less than %v", m)
	}
	if m, ok := num(sc["multipleOf"]); ok && m > 0 {
		if q := f / m; math.Abs(q-math.Round(q)) > 1e-9 {
			s.fail(path, "expected a multiple of %v", m)
		}
	}
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return truncate(string(b), 200)
}
