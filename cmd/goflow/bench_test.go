package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/goflow-dev/goflow/eventstore/postgres/pgtest"
)

// TestBenchAppend runs a very short benchmark: every scenario prints GoFlow's rate beside the raw
// baseline and their ratio, and the JSON results carry positive rates.
func TestBenchAppend(t *testing.T) {
	t.Parallel()
	a, stdout, stderr := testApp(nil)
	err := a.run(context.Background(), []string{"bench", "append", "--database-url", pgtest.URL(t),
		"--duration", "200ms", "--concurrency", "1,4", "--read-events", "2000", "--json"})
	if err != nil {
		t.Fatalf("bench: %v\nstderr: %s", err, stderr)
	}
	out := stdout.String()
	for _, want := range []string{"append 1 event, conc 1", "append 1 event, conc 4", "append 100-event batches", "read global log", "ratio"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	var results []struct {
		Name  string  `json:"name"`
		Rate  float64 `json:"eventsPerSecond"`
		Raw   float64 `json:"rawEventsPerSecond"`
		Ratio float64 `json:"ratio"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "["):]), &results); err != nil {
		t.Fatalf("JSON results: %v\n%s", err, out)
	}
	if len(results) != 4 {
		t.Fatalf("got %d results, want 4", len(results))
	}
	for _, r := range results {
		if r.Rate <= 0 || r.Raw <= 0 || r.Ratio <= 0 {
			t.Errorf("%s: rate %v raw %v ratio %v, want all positive", r.Name, r.Rate, r.Raw, r.Ratio)
		}
	}
}

func TestBenchNeedsPostgres(t *testing.T) {
	t.Parallel()
	a, _, _ := testApp(nil)
	if err := a.run(context.Background(), []string{"bench", "append"}); err == nil || !strings.Contains(err.Error(), "postgres") {
		t.Fatalf("got %v, want a usage error naming postgres", err)
	}
}

// TestBenchPages runs a tiny page benchmark end to end: every scenario prints its figures beside
// the raw baseline, and the JSON results are complete.
func TestBenchPages(t *testing.T) {
	t.Parallel()
	a, stdout, stderr := testApp(nil)
	err := a.run(context.Background(), []string{"bench", "pages", "--database-url", pgtest.URL(t),
		"--nodes", "20", "--events", "60", "--requests", "10", "--early-version", "30", "--rebuild-pages", "1", "--json"})
	if err != nil {
		t.Fatalf("bench pages: %v\nstderr: %s", err, stderr)
	}
	out := stdout.String()
	for _, want := range []string{"GET page at head", "GET page at version 30", "rebuild pages", "raw global-log read"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	var res struct {
		Reads []struct {
			P99    float64 `json:"p99Ms"`
			RawP99 float64 `json:"rawP99Ms"`
		} `json:"reads"`
		Rebuild struct {
			Rates  map[string]float64 `json:"eventsPerSecond"`
			Events int64              `json:"events"`
		} `json:"rebuild"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &res); err != nil {
		t.Fatalf("JSON results: %v\n%s", err, out)
	}
	if len(res.Reads) != 2 || res.Reads[0].P99 <= 0 || res.Reads[1].RawP99 <= 0 {
		t.Errorf("reads: %+v", res.Reads)
	}
	if res.Rebuild.Events < 60 || res.Rebuild.Rates["pages"] <= 0 {
		t.Errorf("rebuild: %+v", res.Rebuild)
	}
}
