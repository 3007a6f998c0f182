package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/goflow-dev/goflow/eventstore"
)

// BenchItems is how many appends one BenchmarkBatch operation makes.
const BenchItems = 100

// BenchmarkBatch compares BenchItems single appends (one commit each) with one AppendBatch of the
// same items (one commit), each item one event to its own stream, as the runtime dispatches
// component events of many sessions. Both report appends/s; store must implement
// eventstore.BatchAppender.
func BenchmarkBatch(b *testing.B, store eventstore.Store) {
	ba, ok := store.(eventstore.BatchAppender)
	if !ok {
		b.Skipf("%T does not implement eventstore.BatchAppender", store)
	}
	ctx := context.Background()
	items := func(round int) []eventstore.StreamAppend {
		out := make([]eventstore.StreamAppend, BenchItems)
		for i := range out {
			out[i] = eventstore.StreamAppend{
				StreamID: fmt.Sprintf("bench-session-%d", i),
				Expected: eventstore.Any(),
				Events:   []eventstore.EventData{ev("bench.dispatched", map[string]int{"round": round, "i": i})},
			}
		}
		return out
	}
	b.Run(fmt.Sprintf("Single%d", BenchItems), func(b *testing.B) {
		round := 0
		for b.Loop() {
			for _, it := range items(round) {
				if _, err := store.Append(ctx, it.StreamID, it.Expected, it.Events); err != nil {
					b.Fatal(err)
				}
			}
			round++
		}
		b.ReportMetric(float64(round*BenchItems)/b.Elapsed().Seconds(), "appends/s")
	})
	b.Run(fmt.Sprintf("Batch%d", BenchItems), func(b *testing.B) {
		round := 0
		for b.Loop() {
			res, err := ba.AppendBatch(ctx, items(round))
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range res {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
			round++
		}
		b.ReportMetric(float64(round*BenchItems)/b.Elapsed().Seconds(), "appends/s")
	})
}
