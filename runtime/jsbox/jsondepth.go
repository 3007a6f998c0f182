package jsbox

import (
	"encoding/json"
)

// jsonDepth returns the deepest nesting of arrays and objects in a JSON text,
// without parsing it. Malformed input still gets a number; validity is
// checked elsewhere.
func jsonDepth[T ~string | ~[]byte](s T) int {
	depth, deepest := 0, 0
	inString := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
			deepest = max(deepest, depth)
		case ']', '}':
			depth--
		}
	}
	return deepest
}

// checkInput validates JSON handed to a script. Empty input is allowed (it
// means undefined or null, depending on the field).
func checkInput(what string, data json.RawMessage, maxBytes, maxDepth int) error {
	if len(data) == 0 {
		return nil
	}
	if len(data) > maxBytes {
		return newError(ErrTooLarge, "%s is %d bytes; the limit is %d", what, len(data), maxBytes)
	}
	if !json.Valid(data) {
		return newError(ErrInvalidInput, "%s is not valid JSON", what)
	}
	if d := jsonDepth(data); d > maxDepth {
		return newError(ErrTooLarge, "%s is nested %d levels deep; the limit is %d", what, d, maxDepth)
	}
	return nil
}
