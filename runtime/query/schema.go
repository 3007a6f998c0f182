package query

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/goflow-dev/goflow/domain"
)

// ErrResultMismatch: a result does not match the query's result schema (*MismatchError).
var ErrResultMismatch = errors.New("result does not match the schema")

// MaxMismatches bounds how many mismatches a MismatchError lists.
const MaxMismatches = 20

// Mismatch is one place where a result breaks its schema.
type Mismatch struct {
	// Path is the JSON pointer of the offending value in the result ("" for the whole result).
	Path    string `json:"path"`
	Message string `json:"message"`
}

// MismatchError lists the mismatches of a result, at most MaxMismatches; More counts the ones
// left out. It unwraps to ErrResultMismatch.
type MismatchError struct {
	Mismatches []Mismatch
	More       int
}

func (e *MismatchError) Error() string {
	var b strings.Builder
	b.WriteString(ErrResultMismatch.Error())
	for i, m := range e.Mismatches {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", cmpOr(m.Path, "/"), m.Message)
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "; and %d more", e.More)
	}
	return b.String()
}

func (e *MismatchError) Unwrap() error { return ErrResultMismatch }

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ValidateResult checks data against the JSON Schema 2020-12 document schemaDoc. A schema that
// does not compile is the domain's ErrInvalid error; data that is not JSON or breaks the schema
// is a *MismatchError listing each failing value by its instance path, deepest failures only,
// in document order.
func ValidateResult(schemaDoc, data json.RawMessage) error {
	sch, err := domain.CompileSchema(schemaDoc)
	if err != nil {
		return fmt.Errorf("result schema: %w", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return &MismatchError{Mismatches: []Mismatch{{Message: "the result is not valid JSON"}}}
	}
	err = sch.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("%w: %w", ErrResultMismatch, err)
	}
	out := &MismatchError{}
	seen := map[Mismatch]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		m := Mismatch{Path: pointer(e.InstanceLocation), Message: "does not match the schema"}
		if o := e.BasicOutput(); o.Error != nil {
			m.Message = o.Error.String()
		}
		if seen[m] {
			return
		}
		seen[m] = true
		if len(out.Mismatches) < MaxMismatches {
			out.Mismatches = append(out.Mismatches, m)
		} else {
			out.More++
		}
	}
	walk(ve)
	return out
}

func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(pointerToken(t))
	}
	return b.String()
}

// InferSchema derives a JSON Schema 2020-12 document from a sample result, to be saved as a
// derived schema: each value's type (integer for whole numbers written without a fraction or
// exponent, number otherwise), objects with their properties and as required the keys present in
// every sample, arrays with one item schema merged from all items, type lists such as
// ["null", "string"] where samples differ, and string formats (date-time, date, email, uri) when
// every sample has one. It is domain.DeriveSchema, the inference behind POST
// /api/schemas/derive, so that a schema saved from a query result and one derived in the editor
// agree. The output is deterministic (sorted keys) and validates the data it came from.
func InferSchema(data json.RawMessage) (json.RawMessage, error) {
	doc, err := domain.DeriveSchema(data)
	if err != nil {
		return nil, fmt.Errorf("infer a schema: %w", err)
	}
	return doc, nil
}
