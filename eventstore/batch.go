package eventstore

import (
	"context"
	"fmt"
)

// MaxBatchItems is the most items one AppendBatch may carry. A batch also carries at most
// MaxBatchEvents events in total, so that it costs no more than the largest single Append.
const MaxBatchItems = 1000

// StreamAppend is one item of a batch: what a single Append would take.
type StreamAppend struct {
	StreamID string
	Expected Expected
	Events   []EventData
}

// BatchResult is the outcome of one batch item: Result if Err is nil. Err is the error the same
// Append would have returned (ErrInvalidInput, ErrWrongExpectedVersion as a *VersionConflictError,
// ErrDuplicateEventID); an item with an Err wrote nothing.
type BatchResult struct {
	Result AppendResult
	Err    error
}

// BatchAppender is implemented by stores that can group appends to many streams into one
// transaction and one commit (group commit). Both backends implement it; consumers that need it
// declare it themselves (s, ok := store.(eventstore.BatchAppender)).
type BatchAppender interface {
	// AppendBatch appends every item in one transaction, in batch order, as if by consecutive
	// Appends that commit together: a later item sees the versions (and event ids) the earlier
	// ones wrote, so two items for one stream work. An item whose expected version does not hold,
	// whose event ids clash, or whose input is invalid gets its own BatchResult.Err and writes
	// nothing, without failing the others. The results match the batch index by index.
	//
	// The error is for the whole batch (an oversized batch, a closed store, a lost connection, an
	// ended context): then nothing was written and the results are nil. An empty batch returns no
	// results and touches nothing. A batch holds at most MaxBatchItems items and MaxBatchEvents
	// events in total.
	AppendBatch(ctx context.Context, batch []StreamAppend) ([]BatchResult, error)
}

// PrepareBatch checks a batch's overall limits (an error for the whole batch), then validates each
// item with PrepareAppend. It returns the prepared events of each item and the results slice with
// Err set for invalid items; backends write only the items whose Err is nil.
func PrepareBatch(batch []StreamAppend) ([][]EventData, []BatchResult, error) {
	if len(batch) > MaxBatchItems {
		return nil, nil, invalid("append batch: %d items exceed the limit of %d", len(batch), MaxBatchItems)
	}
	total := 0
	for _, item := range batch {
		total += len(item.Events)
	}
	if total > MaxBatchEvents {
		return nil, nil, invalid("append batch: %d events exceed the batch limit of %d", total, MaxBatchEvents)
	}
	prepared := make([][]EventData, len(batch))
	results := make([]BatchResult, len(batch))
	for i, item := range batch {
		events, err := PrepareAppend(item.StreamID, item.Expected, item.Events)
		if err != nil {
			results[i].Err = fmt.Errorf("batch item %d: %w", i, err)
			continue
		}
		prepared[i] = events
	}
	return prepared, results, nil
}
