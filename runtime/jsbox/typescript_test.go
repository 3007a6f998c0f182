package jsbox

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTypeScriptDefinitionsCoverPrelude keeps goflow-api.d.ts in step with
// what the prelude injects.
func TestTypeScriptDefinitionsCoverPrelude(t *testing.T) {
	t.Parallel()
	dts := TypeScriptDefinitions()
	globals := regexp.MustCompile(`defineProperty\(G, '(\w+)', \{ value: \w+, \.\.\.constant \}\)`).FindAllStringSubmatch(preludeSource, -1)
	require.NotEmpty(t, globals)
	for _, g := range globals {
		require.True(t, regexp.MustCompile(`declare (function|const) `+g[1]+`\b`).MatchString(dts), "global %s", g[1])
	}
	// Each object literal's members, found by their indentation.
	members := []struct {
		name   string
		block  *regexp.Regexp
		member *regexp.Regexp
	}{
		{"utils", regexp.MustCompile(`(?s)const utils = freeze\(\{(.*?)\n  \}\);`), regexp.MustCompile(`(?m)^    (\w+)(?:\(|: )`)},
		{"console", regexp.MustCompile(`(?s)const consoleObj = freeze\(\{(.*?)\n  \}\);`), regexp.MustCompile(`(?m)^    (\w+)(?:\(|: )`)},
		{"component", regexp.MustCompile(`(?s)const component = freeze\(\{(.*?)\n    \}\);`), regexp.MustCompile(`(?m)^      (\w+)(?:\(|: )`)},
	}
	for _, obj := range members {
		block := obj.block.FindStringSubmatch(preludeSource)
		require.NotNil(t, block, obj.name)
		found := obj.member.FindAllStringSubmatch(block[1], -1)
		require.NotEmpty(t, found, obj.name)
		for _, m := range found {
			require.True(t, regexp.MustCompile(`\b`+m[1]+`\b[(?:]`).MatchString(dts), "%s.%s", obj.name, m[1])
		}
	}
	for _, s := range []string{"GoFlowHandler", "GoFlowReducer", "GoFlowHandlerContext", "GoFlowComponent"} {
		require.True(t, regexp.MustCompile(`(type|interface) `+s+`\b`).MatchString(dts), s)
	}
}
