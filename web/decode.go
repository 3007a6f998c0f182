package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// decodeJSON reads the request body into v strictly: exactly one JSON value, no field v does not
// declare. A failure is an *apiError: 400 with a detail saying what is wrong and, where it
// applies, the field's path; 413 when the body exceeds the LimitBody cap.
func decodeJSON(r *http.Request, v any) error {
	raw, err := readBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return badRequest("empty_body", "", "The request body is empty; send a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	// A second value (or any non-space text) after the first is a client bug worth reporting.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("malformed_json", "", "The request body holds more than one JSON value.")
	}
	return nil
}

// readBody reads the whole request body: 413 past the LimitBody cap, 400 if it cannot be read.
func readBody(r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			p := tooLarge(mbe.Limit)
			return nil, &apiError{status: p.Status, code: p.Code, detail: p.Detail}
		}
		return nil, badRequest("unreadable_body", "", "The request body could not be read.")
	}
	return raw, nil
}

// jsonError turns an encoding/json error into a 400 with a readable detail.
func jsonError(err error) *apiError {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax):
		return badRequest("malformed_json", "", "The request body is not valid JSON (at byte %d: %s).", syntax.Offset, syntax.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed_json", "", "The request body is not valid JSON: it ends too early.")
	case errors.As(err, &typ):
		path := jsonPath(typ.Field)
		if path == "" {
			return badRequest("wrong_type", "", "The request body must be a JSON %s, not %s.", typ.Type.Kind(), typ.Value)
		}
		return badRequest("wrong_type", path, "Field %s must be of type %s, not %s.", path, goTypeName(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for this; its message is stable: json: unknown field "x".
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest("unknown_field", "/"+name, "Unknown field %q: this request does not accept it.", name)
	default:
		return badRequest("malformed_json", "", "The request body could not be decoded: %s.", err.Error())
	}
}

// jsonPath turns encoding/json's dotted field path ("settings.theme") into a JSON pointer.
func jsonPath(field string) string {
	if field == "" {
		return ""
	}
	return "/" + strings.ReplaceAll(field, ".", "/")
}

// goTypeName names a Go kind the way a JSON client thinks of it.
func goTypeName(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "number"
	case "slice", "array":
		return "array"
	case "map", "struct":
		return "object"
	case "bool":
		return "boolean"
	default:
		return kind
	}
}

// requireVersion checks that a write carried its expected version.
func requireVersion(v *int64) (int64, error) {
	if v == nil {
		return 0, unprocessable("required", "/expectedVersion", "expectedVersion is required: send the version you last read.")
	}
	if *v < 0 {
		return 0, unprocessable("invalid_version", "/expectedVersion", "expectedVersion must not be negative.")
	}
	return *v, nil
}

// requireString checks a required string field.
func requireString(path, v string) error {
	if strings.TrimSpace(v) == "" {
		return unprocessable("required", path, "%s is required.", strings.TrimPrefix(path, "/"))
	}
	return nil
}
