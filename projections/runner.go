package projections

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/delivery"
)

// EventLog is what the Runner needs of the event store: delivery's source and the log reader.
type EventLog interface {
	delivery.Source
	LogReader
}

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	// Log is the event store. Required.
	Log EventLog
	// Docs keeps the projections' documents; in the event store's database. Required.
	Docs DocStore
	// Projections are run, each by its own consumer. Names must be unique. Required.
	Projections []Projection
	// Logger receives consumer errors; default slog.Default().
	Logger *slog.Logger
	// LeaseTTL and ClaimInterval tune the delivery consumers (see delivery.SubscriberConfig);
	// zero takes delivery's defaults.
	LeaseTTL, ClaimInterval time.Duration
	// RetryInterval is the first pause before a failed event is retried (see delivery.RouterConfig).
	RetryInterval time.Duration
	// PollInterval bounds how long WaitFor waits between checks when no local progress wakes it
	// (progress made by another node's runner); default 100ms.
	PollInterval time.Duration
}

// Runner keeps projections up to date with the log: each projection is a watermill handler (a
// delivery.Subscriber of the whole log, consumer group "projection:<name>") that applies each event
// in one DocStore.Update together with the projection's checkpoint. The Subscriber resumes from that
// checkpoint (delivery.SubscriberConfig.ResumeFrom), so progress and documents never disagree. The
// group's lease makes one runner per projection active among several goflow serve nodes; the others
// stand by.
type Runner struct {
	cfg      RunnerConfig
	log      *slog.Logger
	progress *eventstore.Signal
}

// NewRunner validates cfg and returns a Runner; Run starts it.
func NewRunner(cfg RunnerConfig) (*Runner, error) {
	if cfg.Log == nil || cfg.Docs == nil || len(cfg.Projections) == 0 {
		return nil, errors.New("projections runner: Log, Docs and Projections are required")
	}
	seen := map[string]bool{}
	for _, p := range cfg.Projections {
		if err := ValidateName(p.Name()); err != nil {
			return nil, fmt.Errorf("projections runner: %w", err)
		}
		if seen[p.Name()] {
			return nil, fmt.Errorf("projections runner: projection %q given twice", p.Name())
		}
		seen[p.Name()] = true
	}
	if cfg.PollInterval < 0 || cfg.LeaseTTL < 0 || cfg.ClaimInterval < 0 || cfg.RetryInterval < 0 {
		return nil, errors.New("projections runner: negative interval")
	}
	cfg.PollInterval = cmp.Or(cfg.PollInterval, 100*time.Millisecond)
	return &Runner{
		cfg:      cfg,
		log:      cmp.Or(cfg.Logger, slog.Default()),
		progress: eventstore.NewSignal(),
	}, nil
}

// ConsumerGroup is the delivery consumer group of a projection.
func ConsumerGroup(projection string) string { return "projection:" + projection }

// Run catches every projection up with the log in pages (CatchUp), then follows the log through
// the watermill router until ctx ends. It returns nil after ctx ends, once every handler has
// stopped.
func (r *Runner) Run(ctx context.Context) error {
	if err := r.catchUp(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		// Going live anyway keeps the healthy projections current; the failing one retries (and
		// logs) event by event.
		r.log.Error("projection catch-up failed; continuing event by event", "err", err)
	}
	router, err := delivery.NewRouter(delivery.RouterConfig{Logger: r.log, RetryInterval: r.cfg.RetryInterval})
	if err != nil {
		return fmt.Errorf("projections runner: %w", err)
	}
	for _, p := range r.cfg.Projections {
		sub := delivery.NewSubscriber(r.cfg.Log, delivery.SubscriberConfig{
			ConsumerGroup: ConsumerGroup(p.Name()),
			// A message per read of the log, applied in one transaction: under load a projection
			// commits once per batch of events instead of once per event.
			Batch:         true,
			LeaseTTL:      r.cfg.LeaseTTL,
			ClaimInterval: r.cfg.ClaimInterval,
			Logger:        r.log,
			ResumeFrom: func(ctx context.Context, _ string) (int64, error) {
				pos, _, err := r.cfg.Docs.Checkpoint(ctx, p.Name())
				return pos, err
			},
		})
		router.AddConsumerHandler(ConsumerGroup(p.Name()), delivery.AllTopic, sub, r.handler(ctx, p))
	}
	err = router.Run(ctx)
	if cerr := router.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if err != nil {
		return fmt.Errorf("projections runner: %w", err)
	}
	return nil
}

// catchUp runs CatchUp for every projection at once.
func (r *Runner) catchUp(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(r.cfg.Projections))
	for i, p := range r.cfg.Projections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stats, err := CatchUp(ctx, r.cfg.Log, r.cfg.Docs, p, nil)
			errs[i] = err
			if err == nil && stats.Events > 0 {
				r.log.Info("projection caught up", "projection", p.Name(), "events", stats.Events,
					"elapsed", stats.Elapsed.Round(time.Millisecond))
				r.progress.Notify()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// skipFlushDelay is how long the checkpoint of ignored events may wait for the next handled
// event before it is written on its own: short, because WaitFor waits for it.
const skipFlushDelay = 2 * time.Millisecond

// liveCheckpoint tracks ignored events whose checkpoint is not written yet. mu serializes the
// projection's writes, so that a delayed flush can never move the checkpoint backwards past a
// handled event.
type liveCheckpoint struct {
	mu       sync.Mutex
	position int64 // the last ignored event
	events   int64 // ignored events since the last write
	timer    *time.Timer
}

func (r *Runner) handler(ctx context.Context, p Projection) message.NoPublishHandlerFunc {
	sel, selective := p.(SelectiveProjection)
	lc := &liveCheckpoint{}
	flush := func() {
		lc.mu.Lock()
		defer lc.mu.Unlock()
		lc.timer = nil
		if lc.events == 0 || ctx.Err() != nil {
			return
		}
		err := r.cfg.Docs.Update(ctx, p.Name(), func(DocTx) error { return nil }, lc.position, lc.events)
		if err != nil {
			// The next handled event writes it; a restart re-reads the ignored events.
			r.log.Warn("projection checkpoint write failed", "projection", p.Name(), "err", err)
			return
		}
		lc.events = 0
		r.progress.Notify()
	}
	keyed, _ := p.(KeyedProjection)
	return func(msg *message.Message) error {
		events, err := delivery.EnvelopesFromMessage(msg)
		if err != nil {
			return err
		}
		handled := events
		if selective {
			handled = make([]eventstore.Envelope, 0, len(events))
			for _, e := range events {
				if sel.Handles(e) {
					handled = append(handled, e)
				}
			}
		}
		last := events[len(events)-1].GlobalPosition
		if len(handled) == 0 {
			lc.mu.Lock()
			lc.position, lc.events = last, lc.events+int64(len(events))
			if lc.timer == nil {
				lc.timer = time.AfterFunc(skipFlushDelay, flush)
			}
			lc.mu.Unlock()
			return nil
		}
		lc.mu.Lock()
		defer lc.mu.Unlock()
		mctx := msg.Context()
		err = r.cfg.Docs.Update(mctx, p.Name(), func(tx DocTx) error {
			if keyed != nil && len(handled) > 1 {
				var keys []string
				for _, e := range handled {
					keys = append(keys, keyed.Keys(e)...)
				}
				if err := tx.Prefetch(keys); err != nil {
					return err
				}
			}
			for _, e := range handled {
				if err := p.Apply(mctx, tx, e); err != nil {
					return fmt.Errorf("event at %d (%s %s v%d): %w", e.GlobalPosition, e.Type, e.StreamID, e.StreamVersion, err)
				}
			}
			return nil
		}, last, int64(len(events))+lc.events)
		if err != nil {
			return fmt.Errorf("projection %s: %w", p.Name(), err)
		}
		lc.events = 0 // the checkpoint now covers them
		r.progress.Notify()
		return nil
	}
}

// WaitFor waits until every projection has applied the event at position (a GlobalPosition the
// caller got from an append), or ctx ends.
//
// Positions are cursors, not counters (in Postgres their numeric order is not the log's), so it
// asks the DocStore whether each projection's checkpoint is at or past position in the log's own
// order (DocStore.Reached). It re-checks after local progress, and at least every PollInterval for
// progress made by another node. A position that is not in the log is never reached.
func (r *Runner) WaitFor(ctx context.Context, position int64) error {
	pending := make([]string, 0, len(r.cfg.Projections))
	for _, p := range r.cfg.Projections {
		pending = append(pending, p.Name())
	}
	timer := time.NewTimer(r.cfg.PollInterval)
	defer timer.Stop()
	for {
		wake := r.progress.C()
		for len(pending) > 0 {
			ok, err := r.cfg.Docs.Reached(ctx, pending[0], position)
			if err != nil {
				return fmt.Errorf("wait for position %d: %w", position, err)
			}
			if !ok {
				break
			}
			pending = pending[1:] // reached stays reached
		}
		if len(pending) == 0 {
			return nil
		}
		timer.Reset(r.cfg.PollInterval)
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for position %d (%s behind): %w", position, pending[0], ctx.Err())
		case <-wake:
		case <-timer.C:
		}
	}
}
