package luabox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/runtime/luabox"
)

func TestRunSemantics(t *testing.T) {
	tests := []struct {
		name     string
		script   string
		data     string
		ctx      string
		want     string // JSON, compared semantically
		wantLogs []string
	}{
		{
			name:   "data round trip keeps arrays, empty arrays and array nulls",
			script: `function process_event(data) return data end`,
			data:   `{"a":1,"b":[1,2,null],"c":{"d":"x","n":null},"e":[],"f":{},"g":true,"h":-0.5}`,
			want:   `{"a":1,"b":[1,2,null],"c":{"d":"x"},"e":[],"f":{},"g":true,"h":-0.5}`,
		},
		{
			name: "compute over data and ctx",
			script: `function process_event(data, ctx)
				local total = 0
				for _, it in ipairs(data.items) do total = total + it.price * it.qty end
				return {total = total, user = ctx.user, n = #data.items}
			end`,
			data: `{"items":[{"price":2.5,"qty":2},{"price":1,"qty":3}]}`,
			ctx:  `{"user":"ada","session":"s1"}`,
			want: `{"total":8,"user":"ada","n":2}`,
		},
		{
			name:   "no return value is null",
			script: `function process_event() end`,
			want:   `null`,
		},
		{
			name: "concatenation semantics survive the rewrite",
			script: `function process_event()
				local function two() return "x", "y" end
				local mt = {__concat = function(a, b) return "meta" end}
				local obj = setmetatable({}, mt)
				return {
					"a" .. 1 .. "b" .. 2.5,
					two() .. "z",
					"z" .. two(),
					obj .. "x",
					"x" .. obj,
					(function(...) return "v" .. ... end)("1", "2"),
				}
			end`,
			want: `["a1b2.5","xz","zx","meta","meta","v1"]`,
		},
		{
			name: "returned calls keep all their results",
			script: `local obj = {}
			function obj:two() return self, 2 end
			local function two() return 1, 2 end
			local function viaCall() return two() end
			local function viaMethod() return obj:two() end
			local function countdown(n) if n == 0 then return "done", n end return countdown(n - 1) end
			function process_event()
				local a, b = viaCall()
				local c, d = viaMethod()
				return {a, b, c == obj, d, countdown(150)}
			end`,
			want: `[1,2,true,2,"done",0]`,
		},
		{
			name: "string library",
			script: `function process_event()
				local words = {}
				for w in ("one two  three"):gmatch("%a+") do words[#words + 1] = w end
				local s1, n1 = string.gsub("hello world", "(o)", "[%1]")
				local s2 = string.gsub("$name is $age", "%$(%w+)", {name = "Ada", age = 36})
				local s3 = string.gsub("abc", "%w", function(c) return c:upper() .. "." end)
				return {
					{string.find("hello world", "o w")},
					{string.match("key=val", "(%w+)=(%w+)")},
					words, s1, n1, s2, s3,
					string.match("  trim me  ", "^%s*(.-)%s*$"),
					string.match("f(a(b)c)", "%b()"),
					("ab"):rep(3),
					string.format("%5.2f|%d|%s", 3.14159, 42, "x"),
					table.concat({1, 2, "three"}, ","),
					getmetatable("") == false,
					rawget(_G, "os") == nil,
				}
			end`,
			want: `[[5,7],["key","val"],["one","two","three"],"hell[o] w[o]rld",2,"Ada is 36","A.B.C.",
				"trim me","(a(b)c)","ababab"," 3.14|42|x","1,2,three",true,true]`,
		},
		{
			name: "json round trips",
			script: `function process_event(data)
				local t = json.decode(data.text)
				t.added = json.null
				return {
					json.encode({1, 2, 3}),
					json.encode({a = {b = "c"}}),
					json.encode(json.array()),
					json.encode({}),
					json.encode("q\"\\\n\1é"),
					json.encode(1e21),
					json.encode(0.1),
					json.encode({[1] = "a", [3] = "c"}),
					json.decode(json.encode(t)),
					json.decode("null") == nil,
					json.encode({a = json.null}),
				}
			end`,
			data: `{"text":"{\"list\":[1,null,{\"x\":[]}],\"s\":\"\\u00e9\"}"}`,
			want: `["[1,2,3]","{\"a\":{\"b\":\"c\"}}","[]","{}","\"q\\\"\\\\\\n\\u0001é\"","1e+21","0.1",
				"{\"1\":\"a\",\"3\":\"c\"}",{"list":[1,null,{"x":[]}],"s":"é"},true,"{\"a\":null}"]`,
		},
		{
			name: "query through the host",
			script: `function process_event()
				local users = query("users", {limit = 2})
				local ok, err = pcall(query, "fail")
				return {first = users[1].name, count = #users, ok = ok, err = err}
			end`,
			want: `{"first":"Ada","count":2,"ok":false,"err":"t:3: query \"fail\" failed: run query: boom"}`,
		},
		{
			name: "http.request through the host",
			script: `function process_event()
				local r = http.request{method = "post", url = "https://api.example/x", body = {k = "v"}}
				local echo = json.decode(r.body)
				local ok, err = pcall(http.request, {url = "https://forbidden.example/"})
				return {status = r.status, ctype = r.headers["Content-Type"], method = echo.method,
					body = echo.body, ok = ok}
			end`,
			want: `{"status":200,"ctype":"application/json","method":"POST","body":"{\"k\":\"v\"}","ok":false}`,
		},
		{
			name: "ai.complete through the host",
			script: `function process_event()
				local a = ai.complete{model = "m1", prompt = "hi", max_tokens = 5}
				local b = ai.complete{messages = {{role = "system", content = "be brief"}, {role = "user", content = "yo"}}}
				return {a.text, a.model, a.finish_reason, a.usage.prompt_tokens, b.text}
			end`,
			want: `["echo: hi","m1","stop",2,"echo: yo"]`,
		},
		{
			name: "logs are captured",
			script: `function process_event()
				log("a", 1, {x = 1}, nil, true)
				print("b")
				return 1
			end`,
			want:     `1`,
			wantLogs: []string{`a 1 {"x":1} nil true`, "b"},
		},
		{
			name: "coroutines and math work within limits",
			script: `function process_event()
				local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
				local r = math.random()
				return {gen(), gen(), gen(), r >= 0 and r < 1, math.floor(2.7)}
			end`,
			want: `[1,2,3,true,2]`,
		},
		{
			name: "forbidden names can be probed with pcall",
			script: `function process_event()
				local ok, err = pcall(function() return os.time() end)
				return {ok, err}
			end`,
			want: `[false,"t:2: os is not available in workflows"]`,
		},
		{
			name: "large integer keys go to the hash part",
			script: `function process_event()
				local t = {}
				t[2^26 - 1] = "far"
				t[2^40] = "farther"
				return {t[2^26 - 1], t[2^40], #t}
			end`,
			want: `["far","farther",0]`,
		},
	}
	sb, host := setup(t, luabox.Limits{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := sb.Run(context.Background(), luabox.Run{
				Script: tt.script, Name: "t", Data: json.RawMessage(tt.data), Ctx: json.RawMessage(tt.ctx),
			})
			require.NoError(t, err)
			require.JSONEq(t, tt.want, string(res.Output))
			if tt.wantLogs != nil {
				require.Equal(t, tt.wantLogs, res.Logs)
			}
			require.Positive(t, res.Duration)
		})
	}
	t.Cleanup(func() {
		require.Contains(t, host.queries, `users {"limit":2}`)
		require.Contains(t, host.queries, `fail null`)
	})
}

func TestRunHostRequests(t *testing.T) {
	t.Parallel()
	sb, host := setup(t, luabox.Limits{})
	mustRun(t, sb, `function process_event()
		http.request{url = "https://api.example/y", headers = {Authorization = "Bearer t", ["X-N"] = 1}, body = "raw"}
		ai.complete{prompt = "p", temperature = 0.5, max_tokens = 9}
	end`, "")
	require.Len(t, host.http, 1)
	require.Equal(t, luabox.HTTPRequest{
		Method: "GET", URL: "https://api.example/y",
		Headers: map[string]string{"Authorization": "Bearer t", "X-N": "1"}, Body: []byte("raw"),
	}, host.http[0])
	require.Len(t, host.ai, 1)
	require.Equal(t, "p", host.ai[0].Prompt)
	require.Equal(t, 9, host.ai[0].MaxTokens)
	require.NotNil(t, host.ai[0].Temperature)
	require.InDelta(t, 0.5, *host.ai[0].Temperature, 1e-9)
}

func TestRunNoStateSharedBetweenRuns(t *testing.T) {
	t.Parallel()
	sb, _ := setup(t, luabox.Limits{})
	script := `
		counter = (counter or 0) + 1
		string.upper = function() return "hijacked" end
		function process_event() return {counter, ("a"):upper()} end`
	for range 3 {
		require.JSONEq(t, `[1,"hijacked"]`, mustRun(t, sb, script, ""))
	}
	require.JSONEq(t, `"A"`, mustRun(t, sb, `function process_event() return ("a"):upper() end`, ""))
}

func TestRunLogLimit(t *testing.T) {
	t.Parallel()
	sb, _ := setup(t, luabox.Limits{MaxLogBytes: 100})
	res, err := sb.Run(context.Background(), luabox.Run{Script: `function process_event()
		for i = 1, 1000 do log(string.rep("x", 30)) end
		return "done"
	end`})
	require.NoError(t, err)
	require.JSONEq(t, `"done"`, string(res.Output))
	require.Equal(t, "[log truncated]", res.Logs[len(res.Logs)-1])
	total := 0
	for _, l := range res.Logs[:len(res.Logs)-1] {
		total += len(l)
	}
	require.LessOrEqual(t, total, 100)
}

func TestRunErrorKeepsLogs(t *testing.T) {
	t.Parallel()
	sb, _ := setup(t, luabox.Limits{})
	res, err := sb.Run(context.Background(), luabox.Run{Name: "flow", Script: `function process_event()
		log("before")
		error("bad input")
	end`})
	require.ErrorIs(t, err, luabox.ErrScript)
	require.Equal(t, "workflow script error: flow:3: bad input", err.Error())
	require.Equal(t, []string{"before"}, res.Logs)
}

func TestRunHostErrorUnwraps(t *testing.T) {
	t.Parallel()
	sb, _ := setup(t, luabox.Limits{})
	_, err := sb.Run(context.Background(), luabox.Run{Script: `function process_event() return query("fail") end`})
	require.ErrorIs(t, err, luabox.ErrScript)
	require.ErrorIs(t, err, errBoom)
}

func TestRunWithoutHost(t *testing.T) {
	t.Parallel()
	sb := luabox.NewSandbox(luabox.Limits{}, nil)
	_, err := sb.Run(context.Background(), luabox.Run{Script: `function process_event() return query("users") end`})
	require.ErrorIs(t, err, luabox.ErrForbidden)
}

func TestRunCanceledByCaller(t *testing.T) {
	t.Parallel()
	sb, _ := setup(t, luabox.Limits{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := sb.Run(ctx, luabox.Run{Script: `function process_event() while true do end end`})
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, luabox.ErrTimeout)
}

func TestRunCallerDeadline(t *testing.T) {
	t.Parallel()
	sb, _ := setup(t, luabox.Limits{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := sb.Run(ctx, luabox.Run{Script: `function process_event() while true do end end`})
	require.ErrorIs(t, err, luabox.ErrTimeout)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestRunInvalidData(t *testing.T) {
	t.Parallel()
	sb, _ := setup(t, luabox.Limits{})
	_, err := sb.Run(context.Background(), luabox.Run{Script: `function process_event() end`, Data: json.RawMessage(`{"a":`)})
	require.Error(t, err)
	require.True(t, strings.HasPrefix(err.Error(), "luabox: data:"), err.Error())
}

func TestLimitsDefaults(t *testing.T) {
	t.Parallel()
	got := luabox.NewSandbox(luabox.Limits{MaxLogBytes: 10, MaxCallStack: -1}, nil).Limits()
	require.Equal(t, luabox.Limits{
		Timeout: luabox.DefaultTimeout, MaxCallStack: luabox.DefaultMaxCallStack, MaxRegistry: luabox.DefaultMaxRegistry,
		MaxStringBytes: luabox.DefaultMaxStringBytes, MaxCoroutines: luabox.DefaultMaxCoroutines,
		MaxResultBytes: luabox.DefaultMaxResultBytes, MaxLogBytes: 10, MaxMemoryBytes: luabox.DefaultMaxMemoryBytes,
	}, got)
}

// TestRunConcurrent mixes runaway and normal runs on shared sandboxes: the runaway ones time out, the
// normal ones are unaffected.
func TestRunConcurrent(t *testing.T) {
	t.Parallel()
	normal, _ := setup(t, luabox.Limits{})
	runaway, _ := setup(t, luabox.Limits{Timeout: 50 * time.Millisecond})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				if (g+i)%2 == 0 {
					_, err := runaway.Run(context.Background(), luabox.Run{Script: `function process_event() while true do end end`})
					if !errors.Is(err, luabox.ErrTimeout) {
						errs <- fmt.Errorf("runaway run: %v", err)
					}
					continue
				}
				res, err := normal.Run(context.Background(), luabox.Run{
					Script: `function process_event(d) return d.n * 2 end`, Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)),
				})
				if err != nil || string(res.Output) != fmt.Sprint(i*2) {
					errs <- fmt.Errorf("normal run %d: %s, %v", i, res.Output, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestRunHostPerRun: a run's own Host replaces the sandbox's for that run only.
func TestRunHostPerRun(t *testing.T) {
	t.Parallel()
	sb, shared := setup(t, luabox.Limits{})
	own := &fakeHost{}
	script := `function process_event() return query("users", {}) end`
	res, err := sb.Run(context.Background(), luabox.Run{Script: script, Name: "t", Host: own})
	require.NoError(t, err)
	require.JSONEq(t, `[{"id":1,"name":"Ada"},{"id":2,"name":"Grace"}]`, string(res.Output))
	require.Len(t, own.queries, 1)
	require.Empty(t, shared.queries, "the sandbox's host was not asked")
	mustRun(t, sb, script, "")
	require.Len(t, shared.queries, 1, "without a run host, the sandbox's serves")
	require.Len(t, own.queries, 1)
}

func TestCheck(t *testing.T) {
	t.Parallel()
	require.NoError(t, luabox.Check("wf", "function process_event(d) return d end"))
	err := luabox.Check("wf", "function process_event(d)\n return d +\nend")
	require.ErrorIs(t, err, luabox.ErrInvalidScript)
	require.Contains(t, err.Error(), "line:3")
}
