package query_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/runtime/query"
)

func TestValidateResult(t *testing.T) {
	t.Parallel()
	products := `{"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}, "price": {"type": "number"}, "name": {"type": "string"}}, "required": ["id", "price"]}}`
	many := make([]string, 30)
	for i := range many {
		many[i] = fmt.Sprintf(`{"id": %d, "price": "free"}`, i)
	}
	cases := []struct {
		name   string
		schema string
		data   string
		want   []query.Mismatch // nil: valid
		more   int
	}{
		{"valid", products, `[{"id": 1, "price": 9.5, "name": "a"}, {"id": 2, "price": 3}]`, nil, 0},
		{"empty array", products, `[]`, nil, 0},
		{"wrong type", products, `[{"id": 1, "price": "9.5"}]`, []query.Mismatch{{Path: "/0/price"}}, 0},
		{"missing required and wrong type", products, `[{"id": 1, "price": 1}, {"id": 1.5}]`, []query.Mismatch{{Path: "/1"}, {Path: "/1/id"}}, 0},
		{"not an array", products, `{"id": 1}`, []query.Mismatch{{Path: ""}}, 0},
		{"capped", products, "[" + strings.Join(many, ",") + "]", make([]query.Mismatch, query.MaxMismatches), 30 - query.MaxMismatches},
		{"data not JSON", products, `[{`, []query.Mismatch{{Path: ""}}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := query.ValidateResult(json.RawMessage(tc.schema), json.RawMessage(tc.data))
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, query.ErrResultMismatch)
			var me *query.MismatchError
			require.True(t, errors.As(err, &me))
			require.Len(t, me.Mismatches, len(tc.want))
			require.Equal(t, tc.more, me.More)
			if tc.name != "capped" {
				paths := make([]string, len(me.Mismatches))
				for i, m := range me.Mismatches {
					paths[i] = m.Path
					require.NotEmpty(t, m.Message)
				}
				want := make([]string, len(tc.want))
				for i, w := range tc.want {
					want[i] = w.Path
				}
				require.ElementsMatch(t, want, paths)
			} else {
				require.Contains(t, err.Error(), "and 10 more")
			}
		})
	}

	t.Run("message names path and types", func(t *testing.T) {
		t.Parallel()
		err := query.ValidateResult(json.RawMessage(products), json.RawMessage(`[{"id": 1, "price": "x"}]`))
		require.ErrorContains(t, err, "/0/price: ")
		require.ErrorContains(t, err, "string")
		require.ErrorContains(t, err, "number")
	})
	t.Run("bad schema", func(t *testing.T) {
		t.Parallel()
		err := query.ValidateResult(json.RawMessage(`{"type": 5}`), json.RawMessage(`1`))
		require.ErrorIs(t, err, domain.ErrInvalid)
		require.NotErrorIs(t, err, query.ErrResultMismatch)
	})
}

func TestInferSchema(t *testing.T) {
	t.Parallel()
	const draft = `"$schema":"https://json-schema.org/draft/2020-12/schema"`
	cases := []struct {
		name string
		data string
		want string
	}{
		{"integer", `42`, `{` + draft + `,"type":"integer"}`},
		{"a fraction makes a number", `1.0`, `{` + draft + `,"type":"number"}`},
		{"number", `1.5`, `{` + draft + `,"type":"number"}`},
		{"string", `"x"`, `{` + draft + `,"type":"string"}`},
		{"null", `null`, `{` + draft + `,"type":"null"}`},
		{"empty array", `[]`, `{` + draft + `,"type":"array"}`},
		{"integers and numbers merge to number", `[1, 2.5]`, `{` + draft + `,"items":{"type":"number"},"type":"array"}`},
		{"nullable", `["a", null]`, `{` + draft + `,"items":{"type":["null","string"]},"type":"array"}`},
		{"rows: required only when always present", `[{"id": 1, "name": "a", "tags": ["x"]}, {"id": 2, "price": 3.5, "tags": [], "name": null}]`,
			`{` + draft + `,"items":{"properties":{"id":{"type":"integer"},"name":{"type":["null","string"]},"price":{"type":"number"},"tags":{"items":{"type":"string"},"type":"array"}},"required":["id","name","tags"],"type":"object"},"type":"array"}`},
		{"nested objects", `{"b": {"y": true}, "a": [{"x": 1}, {"x": 2, "z": {}}]}`,
			`{` + draft + `,"properties":{"a":{"items":{"properties":{"x":{"type":"integer"},"z":{"properties":{},"type":"object"}},"required":["x"],"type":"object"},"type":"array"},"b":{"properties":{"y":{"type":"boolean"}},"required":["y"],"type":"object"}},"required":["a","b"],"type":"object"}`},
		{"mixed object and scalar", `[{"a": 1}, 2]`, `{` + draft + `,"items":{"properties":{"a":{"type":"integer"}},"required":["a"],"type":["integer","object"]},"type":"array"}`},
		{"long fraction", `1.00000000000000000000001`, `{` + draft + `,"type":"number"}`},
		{"formats", `[{"at": "2024-01-02T03:04:05Z", "on": "2024-01-02"}, {"at": "2025-01-02T03:04:05+02:00", "on": "x"}]`,
			`{` + draft + `,"items":{"properties":{"at":{"format":"date-time","type":"string"},"on":{"type":"string"}},"required":["at","on"],"type":"object"},"type":"array"}`},
		{"big integer", `[12345678901234567890]`, `{` + draft + `,"items":{"type":"integer"},"type":"array"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := query.InferSchema(json.RawMessage(tc.data))
			require.NoError(t, err)
			require.JSONEq(t, tc.want, string(got))
			again, err := query.InferSchema(json.RawMessage(tc.data))
			require.NoError(t, err)
			require.Equal(t, string(got), string(again), "inference is deterministic")
			require.NoError(t, query.ValidateResult(got, json.RawMessage(tc.data)), "the inferred schema validates its sample")
			_, err = domain.CompileSchema(got)
			require.NoError(t, err)
		})
	}
	for _, bad := range []string{``, `{`, `1 2`} {
		_, err := query.InferSchema(json.RawMessage(bad))
		require.Error(t, err, "%q", bad)
	}
}
