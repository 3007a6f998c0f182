package jsbox

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidateSchema(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, schema, value string
		wantErrors          []schemaError
	}{
		{"true schema", `true`, `{"x":1}`, nil},
		{"false schema", `false`, `1`, []schemaError{{"", "no value is allowed here"}}},
		{"type", `{"type":"string"}`, `1`, []schemaError{{"", "expected string, got integer"}}},
		{"integer is a number", `{"type":"number"}`, `3`, nil},
		{"type list", `{"type":["string","null"]}`, `null`, nil},
		{"enum", `{"enum":["a",{"b":1}]}`, `{"b":1}`, nil},
		{"enum miss", `{"enum":["a"]}`, `"b"`, []schemaError{{"", "value is not one of the allowed values"}}},
		{"const", `{"const":[1,2]}`, `[1,3]`, []schemaError{{"", "value must be [1,2]"}}},
		{"object", `{"type":"object","required":["a","b"],"properties":{"a":{"type":"integer","minimum":1},"c/d":{"type":"string"}},"additionalProperties":false}`,
			`{"a":0,"c/d":1,"z":true}`,
			[]schemaError{{"/b", "required property is missing"}, {"/a", "expected at least 1"}, {"/c~1d", "expected string, got integer"}, {"/z", "property is not allowed"}}},
		{"additionalProperties schema", `{"additionalProperties":{"type":"number"}}`, `{"a":1,"b":"x"}`, []schemaError{{"/b", "expected number, got string"}}},
		{"min/max properties", `{"minProperties":2,"maxProperties":2}`, `{"a":1}`, []schemaError{{"", "expected at least 2 properties"}}},
		{"array", `{"type":"array","items":{"type":"string","maxLength":2},"minItems":1,"maxItems":2,"uniqueItems":true}`,
			`["ab","abc","ab"]`,
			[]schemaError{{"", "expected at most 2 items"}, {"/2", "duplicate of item 0"}, {"/1", "expected at most 2 characters"}}},
		{"unique objects", `{"uniqueItems":true}`, `[{"a":1,"b":2},{"b":2,"a":1}]`, []schemaError{{"/1", "duplicate of item 0"}}},
		{"tuple", `{"items":[{"type":"string"},{"type":"number"}]}`, `["a","b",3]`, []schemaError{{"/1", "expected number, got string"}}},
		{"string length counts code points", `{"minLength":2,"maxLength":2}`, `"é😀"`, nil},
		{"pattern", `{"pattern":"^[a-z]+$"}`, `"abc1"`, []schemaError{{"", `does not match pattern "^[a-z]+$"`}}},
		{"invalid pattern", `{"pattern":"(?=x)"}`, `"x"`, []schemaError{{"", "invalid pattern \"(?=x)\": error parsing regexp: invalid or unsupported Perl syntax: `(?=`"}}},
		{"numbers", `{"minimum":0,"maximum":10,"multipleOf":0.5}`, `10.25`, []schemaError{{"", "expected at most 10"}, {"", "expected a multiple of 0.5"}}},
		{"exclusive numbers", `{"exclusiveMinimum":0,"exclusiveMaximum":1}`, `1`, []schemaError{{"", "expected less than 1"}}},
		{"draft-4 exclusive", `{"minimum":0,"exclusiveMinimum":true}`, `0`, []schemaError{{"", "expected more than 0"}}},
		{"allOf", `{"allOf":[{"type":"integer"},{"minimum":5}]}`, `3`, []schemaError{{"", "expected at least 5"}}},
		{"anyOf", `{"anyOf":[{"type":"string"},{"type":"boolean"}]}`, `1`, []schemaError{{"", "value matches none of anyOf"}}},
		{"oneOf", `{"oneOf":[{"type":"number"},{"type":"integer"}]}`, `1`, []schemaError{{"", "value matches 2 schemas of oneOf, expected exactly 1"}}},
		{"not", `{"not":{"type":"null"}}`, `null`, []schemaError{{"", "value must not match the schema in not"}}},
		{"$ref is refused", `{"$ref":"#/defs/x"}`, `1`, []schemaError{{"", "unsupported schema keyword $ref"}}},
		{"invalid schema", `{"items":5}`, `[1]`, []schemaError{{"/0", "invalid schema: expected an object or a boolean"}}},
	}
	for _, c := range cases {
		var schema, value any
		require.NoError(t, json.Unmarshal([]byte(c.schema), &schema), c.name)
		require.NoError(t, json.Unmarshal([]byte(c.value), &value), c.name)
		got := validateSchema(schema, value)
		require.Equal(t, len(c.wantErrors) == 0, got.Valid, c.name)
		if c.wantErrors == nil {
			c.wantErrors = []schemaError{}
		}
		require.Equal(t, c.wantErrors, got.Errors, c.name)
	}
}

func TestValidateSchemaIsBounded(t *testing.T) {
	t.Parallel()
	// Every item checked against a large anyOf: the step budget stops it.
	branches := strings.Repeat(`{"type":"string"},`, 200) + `{"type":"null"}`
	var schema, value any
	require.NoError(t, json.Unmarshal([]byte(`{"items":{"anyOf":[`+branches+`]}}`), &schema))
	require.NoError(t, json.Unmarshal([]byte(`[`+strings.Repeat(`1,`, 5000)+`1]`), &value))
	got := validateSchema(schema, value)
	require.False(t, got.Valid)
	require.Contains(t, got.Errors[len(got.Errors)-1].Message, "validation stopped")
	require.LessOrEqual(t, len(got.Errors), maxSchemaErrors+1)
}
