package workflow_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/runtime/luabox"
	"github.com/goflow-dev/goflow/runtime/workflow"
)

// luaFixture is one app: a local AI endpoint, a local HTTP API (allowed as 127.0.0.1; "localhost"
// is not allowed), queries answered from fixed data, and a runner over the built-in sandbox.
type luaFixture struct {
	runner    *workflow.Runner
	ai        *aiServer
	api       string // base URL of the allowed HTTP API
	apiHits   *atomic.Int64
	queries   *atomic.Int64 // query calls
	aiCalls   *atomic.Int64
	forbidden string // the same API under a host that is not allowed
}

type luaSetup struct {
	noAI     bool
	aiSteps  []http.HandlerFunc // reply n-th AI call with aiSteps[n-1], the last repeats
	queryErr func(call int64) error
	timeout  time.Duration
}

func setupLua(t *testing.T, s luaSetup) *luaFixture {
	t.Helper()
	f := &luaFixture{queries: &atomic.Int64{}, aiCalls: &atomic.Int64{}}
	if len(s.aiSteps) == 0 {
		s.aiSteps = []http.HandlerFunc{completion}
	}
	f.ai = newAIServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := f.aiCalls.Add(1)
		s.aiSteps[min(int(n), len(s.aiSteps))-1](w, r)
	})
	api, hits := echoServer(t)
	f.api, f.apiHits = api.URL, hits
	f.forbidden = "http://localhost:" + api.URL[len("http://127.0.0.1:"):]

	httpClient, err := workflow.NewHTTPClient([]string{"127.0.0.1"}, workflow.HTTPOptions{})
	require.NoError(t, err)
	host := &workflow.Host{HTTP: httpClient, Queries: queryFunc(func(ctx context.Context, name string, params json.RawMessage) (json.RawMessage, error) {
		n := f.queries.Add(1)
		if s.queryErr != nil {
			if err := s.queryErr(n); err != nil {
				return nil, err
			}
		}
		if name != "customer" {
			return nil, workflow.Permanent(fmt.Errorf("unknown query %q", name))
		}
		return json.RawMessage(fmt.Sprintf(`{"name":"Ada","params":%s}`, params)), nil
	})}
	if !s.noAI {
		host.AI, err = workflow.NewAIClient(workflow.AIConfig{BaseURL: f.ai.URL + "/v1", APIKey: testAPIKey, DefaultModel: "gpt-test", MaxTokensCap: 64})
		require.NoError(t, err)
	}
	f.runner, err = workflow.NewRunner(workflow.RunnerConfig{
		Sandbox: luabox.NewSandbox(luabox.Limits{Timeout: cmp.Or(s.timeout, 2*time.Second)}, host),
	})
	require.NoError(t, err)
	return f
}

func TestLuaWorkflowUsesTheHost(t *testing.T) {
	t.Parallel()
	f := setupLua(t, luaSetup{})
	script := lua(fmt.Sprintf(`
		local customer = query("customer", {id = data.customerId})
		log("customer", customer.name)
		local reply = ai.complete{prompt = "Greet " .. customer.name, max_tokens = 1000}
		local resp = http.request{method = "POST", url = %q, body = {greeting = reply.text}}
		local ok, err = pcall(http.request, {url = %q})
		return {
			customer = customer, greeting = reply.text, tokens = reply.usage.completion_tokens,
			posted = json.decode(resp.body), refused = not ok and tostring(err):find("allowed hosts", 1, true) ~= nil,
			session = ctx.session,
		}`, f.api+"/greetings", f.forbidden+"/secret"))
	obs := &recordingObserver{}
	out, err := f.runner.Run(context.Background(), workflow.Invocation{
		Workflow: "greet", Script: script, Payload: json.RawMessage(`{"customerId":7}`),
		Ctx: json.RawMessage(`{"session":"sess-1"}`), Policy: workflow.Policy{MaxAttempts: 3},
	}, obs)
	require.NoError(t, err)
	require.JSONEq(t, `{
		"customer": {"name": "Ada", "params": {"id": 7}},
		"greeting": "Bonjour!", "tokens": 3,
		"posted": {"method": "POST", "path": "/greetings", "header": "", "body": "{\"greeting\":\"Bonjour!\"}"},
		"refused": true, "session": "sess-1"
	}`, string(out.Result))
	require.Equal(t, 1, out.Attempts)
	require.False(t, out.Poisoned)
	require.Equal(t, []string{"started 1", "log customer Ada", "succeeded " + string(out.Result)}, obs.Events())

	// The AI endpoint got the prompt as one user message, max_tokens capped, and the key.
	rec := f.ai.last(t)
	require.Equal(t, "Bearer "+testAPIKey, rec.Auth)
	require.Equal(t, []any{map[string]any{"role": "user", "content": "Greet Ada"}}, rec.Body["messages"])
	require.Equal(t, float64(64), rec.Body["max_tokens"])
	require.Equal(t, "gpt-test", rec.Body["model"])
	// Only the allowed request reached the API: the refused one was stopped before dialing.
	require.Equal(t, int64(1), f.apiHits.Load())
}

func TestLuaWorkflowRetries(t *testing.T) {
	t.Parallel()
	transient := errors.New("connection reset by peer")
	tests := []struct {
		name     string
		setup    luaSetup
		script   string
		policy   workflow.Policy
		want     string
		wantErr  error
		wantMsg  string
		attempts int
		poisoned bool
		events   []string
	}{
		{
			name:    "script error is not retried",
			script:  lua(`log("about to fail") error("order has no lines")`),
			policy:  workflow.Policy{MaxAttempts: 3, Backoff: time.Millisecond},
			wantErr: luabox.ErrScript, wantMsg: "order has no lines", attempts: 1, poisoned: true,
			events: []string{"started 1", "log about to fail", "failed retry=false"},
		},
		{
			name:    "forbidden host is not retried",
			script:  lua(`return http.request{url = "https://evil.example.net/steal"}`),
			policy:  workflow.Policy{MaxAttempts: 3, Backoff: time.Millisecond},
			wantErr: workflow.ErrHostNotAllowed, wantMsg: `"evil.example.net"`, attempts: 1, poisoned: true,
			events: []string{"started 1", "failed retry=false"},
		},
		{
			name:    "AI not configured",
			setup:   luaSetup{noAI: true},
			script:  lua(`return ai.complete{prompt = "hi"}`),
			policy:  workflow.Policy{MaxAttempts: 3, Backoff: time.Millisecond},
			wantErr: workflow.ErrAINotConfigured, wantMsg: "AI is not configured for this workspace", attempts: 1, poisoned: true,
			events: []string{"started 1", "failed retry=false"},
		},
		{
			name:    "too large is not retried",
			script:  lua(`return string.rep("x", 2^30)`),
			policy:  workflow.Policy{MaxAttempts: 3, Backoff: time.Millisecond},
			wantErr: luabox.ErrTooLarge, attempts: 1, poisoned: true,
			events: []string{"started 1", "failed retry=false"},
		},
		{
			name:    "permanent query error is not retried",
			script:  lua(`return query("nope")`),
			policy:  workflow.Policy{MaxAttempts: 3, Backoff: time.Millisecond},
			wantErr: workflow.ErrPermanent, wantMsg: `unknown query "nope"`, attempts: 1, poisoned: true,
			events: []string{"started 1", "failed retry=false"},
		},
		{
			name: "transient query error is retried",
			setup: luaSetup{queryErr: func(n int64) error {
				if n == 1 {
					return transient
				}
				return nil
			}},
			script: lua(`log("try") return query("customer").name`),
			policy: workflow.Policy{MaxAttempts: 3, Backoff: 5 * time.Millisecond},
			want:   `"Ada"`, attempts: 2,
			events: []string{"started 1", "log try", "failed retry=true", "started 2", "log try", `succeeded "Ada"`},
		},
		{
			name:   "AI 503 is retried",
			setup:  luaSetup{aiSteps: []http.HandlerFunc{errorReply(503, `{"error":{"message":"overloaded"}}`), completion}},
			script: lua(`return ai.complete{prompt = "hi"}.text`),
			policy: workflow.Policy{MaxAttempts: 2, Backoff: 5 * time.Millisecond},
			want:   `"Bonjour!"`, attempts: 2,
			events: []string{"started 1", "failed retry=true", "started 2", `succeeded "Bonjour!"`},
		},
		{
			name:    "AI 401 is not retried and hides the key",
			setup:   luaSetup{aiSteps: []http.HandlerFunc{errorReply(401, `{"error":{"message":"Incorrect API key provided: `+testAPIKey+`"}}`)}},
			script:  lua(`return ai.complete{prompt = "hi"}.text`),
			policy:  workflow.Policy{MaxAttempts: 3, Backoff: time.Millisecond},
			wantErr: workflow.ErrPermanent, wantMsg: "Incorrect API key provided: [redacted]", attempts: 1, poisoned: true,
			events: []string{"started 1", "failed retry=false"},
		},
		{
			name:    "timeouts are retried until the attempts run out",
			setup:   luaSetup{timeout: 30 * time.Millisecond},
			script:  lua(`while true do end`),
			policy:  workflow.Policy{MaxAttempts: 2, Backoff: time.Millisecond},
			wantErr: luabox.ErrTimeout, attempts: 2, poisoned: true,
			events: []string{"started 1", "failed retry=true", "started 2", "failed retry=false"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setupLua(t, tt.setup)
			obs := &recordingObserver{}
			out, err := f.runner.Run(context.Background(), workflow.Invocation{Workflow: "wf", Script: tt.script, Policy: tt.policy}, obs)
			require.Equal(t, tt.events, obs.Events())
			require.Equal(t, tt.attempts, out.Attempts)
			require.Equal(t, tt.poisoned, out.Poisoned)
			if tt.want != "" {
				require.NoError(t, err)
				require.JSONEq(t, tt.want, string(out.Result))
				return
			}
			require.ErrorIs(t, err, tt.wantErr, "got %v", err)
			require.Contains(t, err.Error(), tt.wantMsg)
			require.NotContains(t, err.Error(), testAPIKey)
			// The error the observer saw is the one returned.
			require.Equal(t, err, obs.errs[len(obs.errs)-1])
		})
	}
}

func TestRunStoppedByContextIsNotPoisoned(t *testing.T) {
	t.Parallel()
	srv := newFlowServer(t, answer(500, `{"error":"down"}`))
	runner, err := workflow.NewRunner(workflow.RunnerConfig{Flow: &workflow.FlowService{URL: srv.URL, Secret: flowSecret}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	obs := &cancelOnFailure{cancel: cancel}
	out, err := runner.Run(ctx, workflow.Invocation{Workflow: "w", Policy: workflow.Policy{MaxAttempts: 5, Backoff: time.Minute}}, obs)
	require.ErrorIs(t, err, context.Canceled)
	require.Contains(t, err.Error(), "down", "the last attempt's error is kept")
	require.Equal(t, 1, out.Attempts)
	require.False(t, out.Poisoned)
	require.Less(t, out.Duration, 30*time.Second, "the backoff ended with the context")
}

// cancelOnFailure cancels the run's context when an attempt fails, as a shutting-down server would.
type cancelOnFailure struct {
	recordingObserver
	cancel context.CancelFunc
}

func (o *cancelOnFailure) Failed(err error, d time.Duration, willRetry bool) {
	o.recordingObserver.Failed(err, d, willRetry)
	o.cancel()
}

func TestPolicy(t *testing.T) {
	t.Parallel()
	p := workflow.Policy{MaxAttempts: 5, Backoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		got = append(got, p.Delay(n))
	}
	require.Equal(t, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second}, got)
	require.Equal(t, workflow.DefaultBackoff, workflow.Policy{}.Delay(1))

	p.Jitter = true
	for n := 1; n <= 6; n++ {
		d, full := p.Delay(n), got[n-1]
		require.GreaterOrEqual(t, d, full/2)
		require.LessOrEqual(t, d, full)
	}

	for _, bad := range []workflow.Policy{{MaxAttempts: 11}, {MaxAttempts: -1}, {Backoff: -1}} {
		require.Error(t, bad.Validate(), "%+v", bad)
	}
	require.NoError(t, workflow.Policy{MaxAttempts: 10, Backoff: time.Second}.Validate())
}

// TestMaxAttemptsIsCapped: a policy above the maximum makes at most MaxAttempts attempts.
func TestMaxAttemptsIsCapped(t *testing.T) {
	t.Parallel()
	f := setupLua(t, luaSetup{queryErr: func(int64) error { return errors.New("still down") }})
	out, err := f.runner.Run(context.Background(), workflow.Invocation{Workflow: "w", Script: lua(`return query("customer")`),
		Policy: workflow.Policy{MaxAttempts: 50, Backoff: time.Microsecond, MaxBackoff: time.Microsecond}}, nil)
	require.Error(t, err)
	require.Equal(t, workflow.MaxAttempts, out.Attempts)
	require.Equal(t, int64(workflow.MaxAttempts), f.queries.Load())
	require.True(t, out.Poisoned)
}
