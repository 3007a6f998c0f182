package luabox_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"

	"github.com/goflow-dev/goflow/runtime/luabox"
)

// serializer renders any number of values, nils included, as one comparable string.
const serializer = `
local function ser(...)
	local out = {}
	for i = 1, select("#", ...) do
		local v = select(i, ...)
		out[#out + 1] = type(v) .. ":" .. tostring(v)
	end
	return table.concat(out, "|")
end
`

// TestPatternsMatchGopherLua checks the sandbox's own matcher against gopher-lua's stock string
// library, expression by expression, except where the stock library deviates from Lua 5.1 (those
// cases are pinned separately in TestPatternsLua51).
func TestPatternsMatchGopherLua(t *testing.T) {
	t.Parallel()
	exprs := []string{
		`string.find("hello world", "o w")`,
		`string.find("hello world", "o", 6)`,
		`string.find("hello", "l+")`,
		`string.find("hello", "xyz")`,
		`string.find("a.b", ".", 1, true)`,
		`string.find("a+b", "+", 1, true)`,
		`string.find("abc", "b", -1)`,
		`string.find("abc", "b", -2)`,
		`string.find("abc", "")`,
		`string.find("abc", "^b")`,
		`string.find("abc", "^a")`,
		`string.find("abc", "c$")`,
		`string.find("abc", "()b()")`,
		`string.find("key = value", "(%w+)%s*=%s*(%w+)")`,
		`string.match("2024-01-15", "(%d+)-(%d+)-(%d+)")`,
		`string.match("  padded  ", "^%s*(.-)%s*$")`,
		`string.match("hello", ".-(l+)(.*)")`,
		`string.match("THE (quick) fox", "%((%a+)%)")`,
		`string.match("f(a(b)c)d", "%b()")`,
		`string.match("[[x]]", "%[(%b[])%]")`,
		`string.match("hello", "h?ello")`,
		`string.match("ello", "h?ello")`,
		`string.match("aaab", "a-b")`,
		`string.match("x = 10", "%s*(%S+)%s*=%s*(%d+)")`,
		`string.match("abcabc", "(abc)%1")`,
		`string.match("hello123", "%a+")`,
		`string.match("hello123", "%d+$")`,
		`string.match("CamelCase", "%u%l+")`,
		`string.match("tab\there", "%c")`,
		`string.match("a,b;c", "[,;]")`,
		`string.match("a-b", "[%-]")`,
		`string.match("x]y", "[]]")`,
		`string.match("abc", "[^a]+")`,
		`string.match("0x1F", "0x(%x+)")`,
		`string.match("hello", "()ll()")`,
		`string.gsub("hello world", "o", "0")`,
		`string.gsub("hello world", "o", "0", 1)`,
		`string.gsub("hello", "", "-")`,
		`string.gsub("abc", "%w", "%0%0")`,
		`string.gsub("hello world", "(%w+)", "<%1>")`,
		`string.gsub("hello world", "(%w+) (%w+)", "%2 %1")`,
		`string.gsub("abc", ".", {a = 1, b = false})`,
		`string.gsub("abc", ".", function(c) if c == "b" then return nil end return c:upper() end)`,
		`string.gsub("  x  ", "^%s+", "")`,
		`string.gsub("a.b.c", "%.", "/")`,
		`string.gsub("abc", "()", "%1")`,
		`(function() local t = {} for k, v in ("a=1, b=2, c=3"):gmatch("(%w+)=(%w+)") do t[#t+1] = k .. v end return unpack(t) end)()`,
		`(function() local t = {} for w in ("one two three"):gmatch("%a+") do t[#t+1] = w end return unpack(t) end)()`,
		`(function() local n = 0 for _ in ("abc"):gmatch("") do n = n + 1 end return n end)()`,
		`pcall(string.find, "abc", "[a")`,
		`pcall(string.find, "abc", "(()")`,
		`pcall(string.gsub, "abc", "(b)", "%2")`,
		`pcall(string.find, "abc", "%1")`,
	}
	sb, _ := setup(t, luabox.Limits{})
	for _, expr := range exprs {
		body := serializer + "return ser(" + expr + ")"
		stock := lua.NewState()
		require.NoError(t, stock.DoString(body), expr)
		want := stock.Get(-1).String()
		stock.Close()

		res, err := sb.Run(context.Background(), luabox.Run{Script: "function process_event()\n" + body + "\nend"})
		require.NoError(t, err, expr)
		var got string
		require.NoError(t, json.Unmarshal(res.Output, &got))
		require.Equal(t, normalizeErrors(want), normalizeErrors(got), expr)
	}
}

// normalizeErrors drops the position prefixes from pcall results, which differ between a Go
// function raising in the stock library and here.
func normalizeErrors(s string) string {
	if len(s) > 13 && s[:13] == "boolean:false" {
		return "boolean:false|error"
	}
	return s
}

// TestPatternsLua51 pins Lua 5.1 behaviour the stock gopher-lua matcher gets differently or that
// the sandbox adds.
func TestPatternsLua51(t *testing.T) {
	t.Parallel()
	sb, _ := setup(t, luabox.Limits{})
	tests := []struct{ expr, want string }{
		// A %d in a replacement refers to a position capture's number.
		{`string.gsub("abc", "()b", "%1")`, `string:a2c|number:1`},
		// Lazily matched gsub over a long subject is linear, not quadratic.
		{`#string.gsub(string.rep("a", 100000), "a", "bb")`, `number:200000`},
		{`pcall(string.find, string.rep("a", 400), string.rep("a?", 300))`, `boolean:false|string:workflow:11: pattern too complex`},
		// No match is one nil (the stock library returns nothing at all).
		{`string.match("aaa", "a-b")`, `nil:nil`},
		{`string.match("abc", "b", 3)`, `nil:nil`},
		// The frontier pattern (the stock library reads %f as a literal f).
		{`string.gsub("THE (quick) fox", "%f[%a]%a+", "W")`, `string:W (W) W|number:3`},
		{`pcall(string.find, "abc", "%")`, `boolean:false|string:workflow:11: malformed pattern (ends with '%')`},
		// A true replacement is an error, as in Lua 5.1 (the stock library writes "true").
		{`pcall(string.gsub, "abc", ".", {b = true})`, `boolean:false|string:workflow:11: invalid replacement value (a boolean)`},
	}
	for _, tt := range tests {
		res, err := sb.Run(context.Background(), luabox.Run{Script: "function process_event()\n" + serializer + "return ser(" + tt.expr + ")\nend"})
		require.NoError(t, err, tt.expr)
		var got string
		require.NoError(t, json.Unmarshal(res.Output, &got))
		require.Equal(t, tt.want, got, tt.expr)
	}
}
