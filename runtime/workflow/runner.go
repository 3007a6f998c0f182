package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/goflow-dev/goflow/runtime/luabox"
)

// Observer follows one invocation, so the caller can record it as session events. Calls come from
// the goroutine running [Runner.Run], in order: for each attempt Started, then Log for each line,
// then Succeeded or Failed.
type Observer interface {
	// Started: attempt n (1-based) begins.
	Started(attempt int)
	// Log: a line the workflow logged during the current attempt. The built-in sandbox reports its
	// lines when the attempt ends, the flow service those of its answer.
	Log(line string)
	// Succeeded: the current attempt returned result (JSON) after d.
	Succeeded(result json.RawMessage, d time.Duration)
	// Failed: the current attempt failed with err after d; willRetry tells whether another attempt
	// follows (after the policy's backoff).
	Failed(err error, d time.Duration, willRetry bool)
}

// nopObserver stands in for a nil Observer; being zero-sized, it costs no allocation.
type nopObserver struct{}

func (nopObserver) Started(int)                              {}
func (nopObserver) Log(string)                               {}
func (nopObserver) Succeeded(json.RawMessage, time.Duration) {}
func (nopObserver) Failed(error, time.Duration, bool)        {}

// RunnerConfig configures the [Runner] of one app.
type RunnerConfig struct {
	// Sandbox runs the built-in Lua workflows (its Host is usually a [*Host]). Required unless Flow
	// is set.
	Sandbox *luabox.Sandbox
	// Flow, when set (the app's flowServiceUrl), receives every attempt instead of the sandbox.
	Flow *FlowService
}

// Runner runs workflow invocations of one app with retries. It is safe for concurrent use.
type Runner struct {
	sandbox *luabox.Sandbox
	flow    *FlowService
}

// NewRunner validates cfg and returns a runner.
func NewRunner(cfg RunnerConfig) (*Runner, error) {
	if cfg.Flow != nil {
		if err := cfg.Flow.Validate(); err != nil {
			return nil, err
		}
	} else if cfg.Sandbox == nil {
		return nil, errors.New("workflow: a runner needs a sandbox or a flow service")
	}
	return &Runner{sandbox: cfg.Sandbox, flow: cfg.Flow}, nil
}

// Invocation is one workflow run to perform.
type Invocation struct {
	// Workflow names the workflow: the chunk name in Lua error messages, "workflow" in the flow
	// service contract.
	Workflow string
	// Script is the Lua source (process_event(data, ctx)); unused with a flow service.
	Script string
	// Payload is the JSON passed as data (Lua) or "payload" (flow service); empty means null.
	Payload json.RawMessage
	// Ctx is the JSON passed to process_event as ctx (session and app information); the flow
	// service does not receive it.
	Ctx json.RawMessage
	// SessionID and CorrelationID identify the run for the flow service (and the caller's records).
	SessionID     string
	CorrelationID string
	// Policy is the workflow's retry policy.
	Policy Policy
	// Host, when set, serves the built-in run's query, http.request and ai.complete instead of
	// the sandbox's own host (see luabox.Run.Host).
	Host luabox.Host
}

// Outcome summarizes an invocation.
type Outcome struct {
	// Result is the successful attempt's result (JSON), nil on failure.
	Result json.RawMessage
	// Attempts is the number of attempts made.
	Attempts int
	// Duration is the wall-clock time of the whole invocation, backoff included.
	Duration time.Duration
	// Backoff is the total time waited between attempts.
	Backoff time.Duration
	// Poisoned: the invocation failed for good (a permanent error, or the last allowed attempt
	// failed); the caller moves it to the poison queue. A run stopped because ctx ended is not
	// poisoned: the caller stopped it and may run it again.
	Poisoned bool
}

// Run performs inv: attempts until one succeeds, an error is not [Retryable], the policy's
// attempts are used up, or ctx ends; between attempts it waits per the policy. The error is the
// last attempt's (nil on success).
func (r *Runner) Run(ctx context.Context, inv Invocation, obs Observer) (Outcome, error) {
	if obs == nil {
		obs = nopObserver{}
	}
	p := inv.Policy.withDefaults()
	start := time.Now()
	var out Outcome
	for attempt := 1; ; attempt++ {
		out.Attempts = attempt
		obs.Started(attempt)
		result, d, err := r.attempt(ctx, &inv, attempt, obs)
		if err == nil {
			obs.Succeeded(result, d)
			out.Result = result
			out.Duration = time.Since(start)
			return out, nil
		}
		willRetry := attempt < p.MaxAttempts && ctx.Err() == nil && Retryable(err)
		obs.Failed(err, d, willRetry)
		if !willRetry {
			out.Poisoned = ctx.Err() == nil
			out.Duration = time.Since(start)
			return out, err
		}
		delay := p.Delay(attempt)
		if !sleep(ctx, delay) {
			out.Duration = time.Since(start)
			return out, fmt.Errorf("retry abandoned: %w; last attempt: %w", context.Cause(ctx), err)
		}
		out.Backoff += delay
	}
}

// attempt runs one attempt in the sandbox or at the flow service and reports its log lines.
func (r *Runner) attempt(ctx context.Context, inv *Invocation, n int, obs Observer) (json.RawMessage, time.Duration, error) {
	if r.flow != nil {
		start := time.Now()
		res, err := r.flow.Call(ctx, FlowRequest{
			Workflow: inv.Workflow, Payload: inv.Payload, SessionID: inv.SessionID,
			CorrelationID: inv.CorrelationID, Attempt: n,
		})
		for _, line := range res.Logs {
			obs.Log(line)
		}
		return res.Result, time.Since(start), err
	}
	res, err := r.sandbox.Run(ctx, luabox.Run{Script: inv.Script, Name: inv.Workflow, Data: inv.Payload, Ctx: inv.Ctx, Host: inv.Host})
	for _, line := range res.Logs {
		obs.Log(line)
	}
	return res.Output, res.Duration, err
}

// sleep waits d or until ctx ends; it reports whether the full wait elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
