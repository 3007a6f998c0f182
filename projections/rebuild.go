package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/goflow-dev/goflow/eventstore"
)

// RebuildPageSize is how many events Rebuild and CatchUp apply per transaction.
const RebuildPageSize = 10000

// LogReader is what Rebuild and CatchUp need of the event store.
type LogReader interface {
	ReadAll(ctx context.Context, params eventstore.ReadAllParams) ([]eventstore.Envelope, error)
}

// RebuildStats reports a Rebuild or CatchUp.
type RebuildStats struct {
	// Events is how many events were applied.
	Events int64
	// Elapsed is the wall time taken.
	Elapsed time.Duration
}

// Rate is events per second.
func (s RebuildStats) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Events) / s.Elapsed.Seconds()
}

// Rebuild empties projection p and replays the whole log into it, RebuildPageSize events per
// transaction (each committing its writes with the checkpoint of the page's last event), calling
// progress after every page with the events applied so far and the log's size when it started.
//
// Rebuild must not run beside a live Runner of the same projection (stop goflow serve first): the
// runner would keep applying events to the emptied projection while it is rebuilt.
func Rebuild(ctx context.Context, log LogReader, docs DocStore, p Projection, progress func(done, total int64)) (RebuildStats, error) {
	start := time.Now()
	if err := docs.Reset(ctx, p.Name()); err != nil {
		return RebuildStats{}, fmt.Errorf("rebuild %s: %w", p.Name(), err)
	}
	stats, err := catchUp(ctx, log, docs, p, 0, progress)
	stats.Elapsed = time.Since(start)
	if err != nil {
		return stats, fmt.Errorf("rebuild %s: %w", p.Name(), err)
	}
	return stats, nil
}

// CatchUp applies the events after p's checkpoint in pages, like Rebuild without the reset. The
// Runner does it before going live, so that a projection far behind the log (new, or after a long
// stop) does not catch up one event per transaction.
func CatchUp(ctx context.Context, log LogReader, docs DocStore, p Projection, progress func(done, total int64)) (RebuildStats, error) {
	start := time.Now()
	from, _, err := docs.Checkpoint(ctx, p.Name())
	if err != nil {
		return RebuildStats{}, fmt.Errorf("catch up %s: %w", p.Name(), err)
	}
	stats, err := catchUp(ctx, log, docs, p, from, progress)
	stats.Elapsed = time.Since(start)
	if err != nil {
		return stats, fmt.Errorf("catch up %s: %w", p.Name(), err)
	}
	return stats, nil
}

// page is one read of the log, handed from the reader goroutine to the applier.
type page struct {
	events []eventstore.Envelope
	err    error
}

func catchUp(ctx context.Context, log LogReader, docs DocStore, p Projection, after int64, progress func(done, total int64)) (RebuildStats, error) {
	var total int64
	if progress != nil {
		n, err := docs.EventCount(ctx)
		if err != nil {
			return RebuildStats{}, err
		}
		total = n
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The next page is read while this one is applied.
	pages := make(chan page, 1)
	go func() {
		defer close(pages)
		for cursor := after; ; {
			events, err := log.ReadAll(ctx, eventstore.ReadAllParams{After: cursor, Limit: RebuildPageSize})
			select {
			case pages <- page{events, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || len(events) < RebuildPageSize {
				return
			}
			cursor = events[len(events)-1].GlobalPosition
		}
	}()

	keyed, _ := p.(KeyedProjection)
	sel, selective := p.(SelectiveProjection)
	var stats RebuildStats
	for pg := range pages {
		if pg.err != nil {
			return stats, fmt.Errorf("read the log: %w", pg.err)
		}
		if len(pg.events) == 0 {
			break
		}
		last := pg.events[len(pg.events)-1].GlobalPosition
		err := docs.Update(ctx, p.Name(), func(tx DocTx) error {
			if keyed != nil {
				var keys []string
				for _, e := range pg.events {
					keys = append(keys, keyed.Keys(e)...)
				}
				if err := tx.Prefetch(keys); err != nil {
					return err
				}
			}
			for _, e := range pg.events {
				if selective && !sel.Handles(e) {
					continue // the live runner does not apply it either
				}
				if err := p.Apply(ctx, tx, e); err != nil {
					return fmt.Errorf("apply event at %d (%s %s v%d): %w", e.GlobalPosition, e.Type, e.StreamID, e.StreamVersion, err)
				}
			}
			return nil
		}, last, int64(len(pg.events)))
		if err != nil {
			return stats, err
		}
		stats.Events += int64(len(pg.events))
		if progress != nil {
			progress(stats.Events, max(total, stats.Events))
		}
	}
	return stats, ctx.Err()
}
