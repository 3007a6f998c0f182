package workflow_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/runtime/luabox"
	"github.com/goflow-dev/goflow/runtime/workflow"
)

// TestRunnerAddsNoAllocations: a successful built-in run through the Runner allocates no more than
// the same run straight on the sandbox (the later `goflow bench workflows` measures Lua run
// overhead, which the Runner must not add to).
func TestRunnerAddsNoAllocations(t *testing.T) {
	sb := luabox.NewSandbox(luabox.Limits{}, nil)
	runner, err := workflow.NewRunner(workflow.RunnerConfig{Sandbox: sb})
	require.NoError(t, err)
	script := lua(`return {n = data.n + 1}`)
	payload := json.RawMessage(`{"n":1}`)
	ctx := context.Background()
	direct := testing.AllocsPerRun(200, func() {
		if _, err := sb.Run(ctx, luabox.Run{Script: script, Name: "w", Data: payload}); err != nil {
			t.Fatal(err)
		}
	})
	viaRunner := testing.AllocsPerRun(200, func() {
		if _, err := runner.Run(ctx, workflow.Invocation{Workflow: "w", Script: script, Payload: payload}, nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("allocations per run: sandbox %.0f, runner %.0f", direct, viaRunner)
	// One allocation of slack absorbs a stray timer or GC allocation; the Runner itself adds none.
	require.LessOrEqual(t, viaRunner, direct+1)
}
