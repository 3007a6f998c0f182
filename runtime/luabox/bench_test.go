package luabox_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/goflow-dev/goflow/runtime/luabox"
)

const (
	benchData   = `{"user":"ada","items":[{"price":2.5,"qty":2},{"price":1,"qty":3},{"price":4,"qty":1}]}`
	benchScript = `function process_event(data, ctx)
	local total = 0
	for _, it in ipairs(data.items) do total = total + it.price * it.qty end
	return {greeting = "hello " .. data.user, total = total, count = #data.items}
end`
)

// plainWorkflow is the same JSON work as benchScript, as a plain Go function: decode, compute,
// encode.
func plainWorkflow(data []byte) ([]byte, error) {
	var in map[string]any
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, err
	}
	items, _ := in["items"].([]any)
	total := 0.0
	for _, it := range items {
		m, _ := it.(map[string]any)
		price, _ := m["price"].(float64)
		qty, _ := m["qty"].(float64)
		total += price * qty
	}
	user, _ := in["user"].(string)
	return json.Marshal(map[string]any{"greeting": "hello " + user, "total": total, "count": len(items)})
}

// BenchmarkTrivialWorkflow measures a whole sandboxed run (fresh interpreter, JSON in and out) of a
// trivial workflow, reports p50/p99 and the ratio to the plain Go function measured in the same
// process right after.
func BenchmarkTrivialWorkflow(b *testing.B) {
	sb := luabox.NewSandbox(luabox.Limits{}, nil)
	run := luabox.Run{Script: benchScript, Name: "bench", Data: json.RawMessage(benchData)}
	ctx := context.Background()
	if _, err := sb.Run(ctx, run); err != nil {
		b.Fatal(err)
	}
	lua := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := sb.Run(ctx, run); err != nil {
			b.Fatal(err)
		}
		lua = append(lua, time.Since(start))
	}
	b.StopTimer()

	native := make([]time.Duration, 0, b.N)
	for range b.N {
		start := time.Now()
		if _, err := plainWorkflow([]byte(benchData)); err != nil {
			b.Fatal(err)
		}
		native = append(native, time.Since(start))
	}
	b.ReportMetric(float64(percentile(lua, 50).Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(percentile(lua, 99).Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(percentile(native, 50).Nanoseconds()), "go-p50-ns")
	b.ReportMetric(float64(mean(lua))/float64(mean(native)), "x-go")
}

// BenchmarkPlainGoWorkflow is the baseline on its own.
func BenchmarkPlainGoWorkflow(b *testing.B) {
	data := []byte(benchData)
	b.ReportAllocs()
	for range b.N {
		if _, err := plainWorkflow(data); err != nil {
			b.Fatal(err)
		}
	}
}

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func mean(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return sum / time.Duration(len(d))
}

// TestPlainWorkflowMatchesScript keeps the benchmark honest: both sides compute the same thing.
func TestPlainWorkflowMatchesScript(t *testing.T) {
	t.Parallel()
	want, err := plainWorkflow([]byte(benchData))
	if err != nil {
		t.Fatal(err)
	}
	sb := luabox.NewSandbox(luabox.Limits{}, nil)
	got := mustRun(t, sb, benchScript, benchData)
	var a, b map[string]any
	if err := json.Unmarshal(want, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(got), &b); err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) || a["total"] != b["total"] || a["greeting"] != b["greeting"] || a["count"] != b["count"] {
		t.Fatalf("script %s, Go %s", got, want)
	}
}
