package eventstore_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/goflow-dev/goflow/eventstore"
)

func TestPrepareBatch(t *testing.T) {
	t.Parallel()
	good := func(stream string, n int) eventstore.StreamAppend {
		events := make([]eventstore.EventData, n)
		for i := range events {
			events[i] = eventstore.EventData{Type: "t", Data: json.RawMessage(`{}`)}
		}
		return eventstore.StreamAppend{StreamID: stream, Expected: eventstore.Any(), Events: events}
	}
	many := func(items, perItem int) []eventstore.StreamAppend {
		out := make([]eventstore.StreamAppend, items)
		for i := range out {
			out[i] = good(fmt.Sprintf("s-%d", i), perItem)
		}
		return out
	}
	tests := []struct {
		name       string
		batch      []eventstore.StreamAppend
		batchErr   bool
		itemErrors []bool // per item: whether it must carry ErrInvalidInput
	}{
		{name: "empty", batch: nil},
		{name: "valid", batch: []eventstore.StreamAppend{good("a", 1), good("a", 2)}, itemErrors: []bool{false, false}},
		{
			name: "invalid items flagged alone",
			batch: []eventstore.StreamAppend{
				good("a", 1),
				{StreamID: "", Expected: eventstore.Any(), Events: good("x", 1).Events},
				good("b", 0),
				{StreamID: "c", Expected: eventstore.Any(), Events: []eventstore.EventData{{Type: "t", Data: json.RawMessage(`{`)}}},
				{StreamID: "d", Expected: eventstore.Expected{Kind: 99}, Events: good("x", 1).Events},
			},
			itemErrors: []bool{false, true, true, true, true},
		},
		{name: "full", batch: many(eventstore.MaxBatchItems, 1), itemErrors: make([]bool, eventstore.MaxBatchItems)},
		{name: "too many items", batch: many(eventstore.MaxBatchItems+1, 0), batchErr: true},
		{name: "too many events", batch: many(2, eventstore.MaxBatchEvents/2+1), batchErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			prepared, results, err := eventstore.PrepareBatch(tc.batch)
			if tc.batchErr {
				if !errors.Is(err, eventstore.ErrInvalidInput) || prepared != nil || results != nil {
					t.Fatalf("PrepareBatch = %v, %v, %v; want nil, nil, ErrInvalidInput", prepared, results, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("PrepareBatch: %v", err)
			}
			if len(prepared) != len(tc.batch) || len(results) != len(tc.batch) {
				t.Fatalf("got %d prepared, %d results for %d items", len(prepared), len(results), len(tc.batch))
			}
			for i, wantErr := range tc.itemErrors {
				gotErr := results[i].Err
				switch {
				case wantErr && !errors.Is(gotErr, eventstore.ErrInvalidInput):
					t.Errorf("item %d: err %v, want ErrInvalidInput", i, gotErr)
				case wantErr && prepared[i] != nil:
					t.Errorf("item %d: invalid but prepared", i)
				case !wantErr && gotErr != nil:
					t.Errorf("item %d: unexpected err %v", i, gotErr)
				case !wantErr:
					for j, e := range prepared[i] {
						if e.ID == uuid.Nil || e.SchemaVersion != 1 {
							t.Errorf("item %d event %d: defaults not filled: %+v", i, j, e)
						}
					}
				}
			}
		})
	}
}
