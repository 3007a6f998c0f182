package jsbox

import (
	"strings"
	"testing"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
	"github.com/stretchr/testify/require"
)

func TestBracketNesting(t *testing.T) {
	t.Parallel()
	cases := map[string]int{
		`f(a[1], {b: 2})`:           2,
		`"((((" + '[[[' + "\"(("`:   0,
		"// (((((\n/* [[[[ */ x":    0,
		"`${a + `${(b)}`}` + `(((`": 3,
		`}}}} ((`:                   2,
	}
	for src, want := range cases {
		require.Equal(t, want, bracketNesting(src), src)
	}
}

func TestASTDepth(t *testing.T) {
	t.Parallel()
	parse := func(src string) bool {
		prog, err := goja.Parse("t", src, parser.WithDisableSourceMaps)
		require.NoError(t, err)
		return astTooDeep(prog, 100)
	}
	require.False(t, parse(`function f(a) { if (a) { return [a, {b: a + 1}] } }`))
	require.False(t, parse(strings.Repeat("x = 1;\n", 5000)), "long but flat")
	require.True(t, parse("x = 1"+strings.Repeat("+1", 200)))
	require.True(t, parse(strings.Repeat("if (x) ", 200)+"y()"))
}
