package query_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/runtime/query"
)

func TestBindParams(t *testing.T) {
	t.Parallel()
	declared := []domain.QueryParam{
		{Name: "name", Type: domain.ParamString, Required: true},
		{Name: "limit", Type: domain.ParamInteger, Default: json.RawMessage(`50`)},
		{Name: "min", Type: domain.ParamNumber},
		{Name: "paid", Type: domain.ParamBoolean},
		{Name: "filter", Type: domain.ParamObject},
		{Name: "ids", Type: domain.ParamArray},
	}
	cases := []struct {
		name   string
		params string
		want   query.Values // nil when an error is expected
		path   string
	}{
		{"required and default", `{"name": "ann"}`, query.Values{"name": json.RawMessage(`"ann"`), "limit": json.RawMessage(`50`)}, ""},
		{"all given, compacted", `{"name": "ann", "limit": 1e2, "min": -1.5, "paid": true, "filter": { "a" : 1 }, "ids": [1, 2]}`, query.Values{
			"name": json.RawMessage(`"ann"`), "limit": json.RawMessage(`100`), "min": json.RawMessage(`-1.5`), "paid": json.RawMessage(`true`),
			"filter": json.RawMessage(`{"a":1}`), "ids": json.RawMessage(`[1,2]`),
		}, ""},
		{"integer written with a fraction", `{"name": "ann", "limit": 12.0}`, query.Values{"name": json.RawMessage(`"ann"`), "limit": json.RawMessage(`12`)}, ""},
		{"null takes the default", `{"name": "ann", "limit": null}`, query.Values{"name": json.RawMessage(`"ann"`), "limit": json.RawMessage(`50`)}, ""},
		{"missing required", `{}`, nil, "/name"},
		{"null params, missing required", `null`, nil, "/name"},
		{"empty params, missing required", ``, nil, "/name"},
		{"required given null", `{"name": null}`, nil, "/name"},
		{"unknown param", `{"name": "ann", "nmae": "x"}`, nil, "/nmae"},
		{"unknown param with slash", `{"name": "ann", "a/b": 1}`, nil, "/a~1b"},
		{"string for integer", `{"name": "ann", "limit": "5"}`, nil, "/limit"},
		{"fraction for integer", `{"name": "ann", "limit": 1.5}`, nil, "/limit"},
		{"number for string", `{"name": 5}`, nil, "/name"},
		{"string for number", `{"name": "a", "min": "1"}`, nil, "/min"},
		{"number for boolean", `{"name": "a", "paid": 1}`, nil, "/paid"},
		{"array for object", `{"name": "a", "filter": []}`, nil, "/filter"},
		{"object for array", `{"name": "a", "ids": {}}`, nil, "/ids"},
		{"params an array", `[1]`, nil, ""},
		{"params a string", `"x"`, nil, ""},
		{"params not JSON", `{"name": `, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := query.BindParams(declared, json.RawMessage(tc.params))
			if tc.want != nil {
				require.NoError(t, err)
				require.Equal(t, tc.want, got)
				return
			}
			require.ErrorIs(t, err, query.ErrInvalidParams)
			var pe *query.ParamError
			require.True(t, errors.As(err, &pe))
			require.Equal(t, tc.path, pe.Path)
			if tc.path != "" {
				require.Contains(t, err.Error(), tc.path+":")
			}
		})
	}
}
