package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCheckScript: drafts and saved texts compile as the runtime compiles them, and errors say
// where.
func TestCheckScript(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	c := b.c
	app := createApp(t, c, "Check")
	js := createKindScript(t, c, app, "page_reducer", "function reducer(state, action) { return state; }")
	lua := createKindScript(t, c, app, "workflow", "function process_event(d) return d end")
	tests := []struct {
		name, script string
		body         map[string]any
		ok           bool
		line         float64
		message      string
	}{
		{"saved js", js, map[string]any{}, true, 0, ""},
		{"js draft", js, map[string]any{"text": "function reducer(state, action) {\n  return {;\n}"}, false, 2, "SyntaxError"},
		{"saved lua", lua, map[string]any{}, true, 0, ""},
		{"lua draft", lua, map[string]any{"text": "function process_event(d)\n  return d +\nend"}, false, 3, "syntax error"},
	}
	for _, tt := range tests {
		got := c.post("/api/scripts/"+tt.script+"/check", tt.body).ok(http.StatusOK)
		require.Equal(t, tt.ok, got["ok"], tt.name)
		errs := got["errors"].([]any)
		if tt.ok {
			require.Empty(t, errs, tt.name)
			continue
		}
		require.Len(t, errs, 1, tt.name)
		e := errs[0].(map[string]any)
		require.Contains(t, e["message"], tt.message, tt.name)
		require.InDelta(t, tt.line, e["line"], 1, "%s: %v", tt.name, e)
	}
	c.post("/api/scripts/"+js+"/check", map[string]any{"text": strings.Repeat("x", 300<<10)}).problem(http.StatusUnprocessableEntity, "too_large")
	require.Equal(t, "function reducer(state, action) { return state; }", c.get("/api/scripts/" + js).ok(http.StatusOK)["text"], "a check saves nothing")
}
