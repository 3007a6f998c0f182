package session

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// ChangeKind says how a JSON path changed between two states.
type ChangeKind string

const (
	Added   ChangeKind = "added"
	Removed ChangeKind = "removed"
	Changed ChangeKind = "changed"
)

// Change is one changed path, a JSON pointer ("" is the whole value, "/items/0/name" a leaf).
type Change struct {
	Path string     `json:"path"`
	Kind ChangeKind `json:"kind"`
}

// Diff returns the paths that differ between states a and b, in document order (object keys
// sorted, array elements by index). Objects are compared key by key and arrays index by index;
// anything else (and a change of type) is one Changed path. Empty input means undefined: from
// undefined to a value is Added at "", the reverse Removed.
func Diff(a, b json.RawMessage) ([]Change, error) {
	av, aok, err := decodeState(a)
	if err != nil {
		return nil, fmt.Errorf("diff: first state: %w", err)
	}
	bv, bok, err := decodeState(b)
	if err != nil {
		return nil, fmt.Errorf("diff: second state: %w", err)
	}
	switch {
	case !aok && !bok:
		return nil, nil
	case !aok:
		return []Change{{Path: "", Kind: Added}}, nil
	case !bok:
		return []Change{{Path: "", Kind: Removed}}, nil
	}
	var out []Change
	diffValue("", av, bv, &out)
	return out, nil
}

func decodeState(raw json.RawMessage) (any, bool, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep integers beyond 2^53 exact
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false, err
	}
	if dec.More() {
		return nil, false, fmt.Errorf("trailing data after JSON value")
	}
	return v, true, nil
}

func diffValue(path string, a, b any, out *[]Change) {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok {
			*out = append(*out, Change{Path: path, Kind: Changed})
			return
		}
		keys := slices.Sorted(maps.Keys(a))
		for k := range b {
			if _, ok := a[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := path + "/" + pointerToken(k)
			av, inA := a[k]
			bv, inB := b[k]
			switch {
			case !inA:
				*out = append(*out, Change{Path: p, Kind: Added})
			case !inB:
				*out = append(*out, Change{Path: p, Kind: Removed})
			default:
				diffValue(p, av, bv, out)
			}
		}
	case []any:
		b, ok := b.([]any)
		if !ok {
			*out = append(*out, Change{Path: path, Kind: Changed})
			return
		}
		for i := range max(len(a), len(b)) {
			p := path + "/" + strconv.Itoa(i)
			switch {
			case i >= len(a):
				*out = append(*out, Change{Path: p, Kind: Added})
			case i >= len(b):
				*out = append(*out, Change{Path: p, Kind: Removed})
			default:
				diffValue(p, a[i], b[i], out)
			}
		}
	case json.Number:
		if b, ok := b.(json.Number); !ok || !numbersEqual(a, b) {
			*out = append(*out, Change{Path: path, Kind: Changed})
		}
	default: // string, bool, nil
		if a != b {
			*out = append(*out, Change{Path: path, Kind: Changed})
		}
	}
}

// numbersEqual compares by value, so 1 and 1.0 (or 1e0) are the same number.
func numbersEqual(a, b json.Number) bool {
	if a == b {
		return true
	}
	if ai, err := a.Int64(); err == nil {
		if bi, err := b.Int64(); err == nil {
			return ai == bi
		}
	}
	af, aerr := a.Float64()
	bf, berr := b.Float64()
	return aerr == nil && berr == nil && af == bf
}

// pointerToken escapes one JSON-pointer reference token (RFC 6901).
func pointerToken(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
