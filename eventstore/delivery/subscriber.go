package delivery

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/goflow-dev/goflow/eventstore"
)

// Source is what the Subscriber needs of a store.
type Source interface {
	Subscribe(ctx context.Context, params eventstore.SubscribeParams, handle eventstore.Handler) error
	CheckpointLoad(ctx context.Context, name string) (int64, error)
	CheckpointSwap(ctx context.Context, name string, old, new int64) (bool, error)
}

// SubscriberConfig configures a Subscriber. Zero values take the defaults.
type SubscriberConfig struct {
	// ConsumerGroup names the consumer; subscribers of one group share progress. Default "default".
	ConsumerGroup string
	// ResendInterval is the pause before a nacked message is delivered again. Default 10ms.
	ResendInterval time.Duration
	// LeaseTTL is how long a consumer's claim on a group and topic lasts without renewal; a
	// standby takes over after a crashed consumer within it. Default 15s.
	LeaseTTL time.Duration
	// ClaimInterval is how often a standby tries to take the lease. Default 500ms.
	ClaimInterval time.Duration
	// BatchSize is how many events are read from the store at once. Default 500.
	BatchSize int
	// Batch delivers the events of each read as one message (see MetaBatch and
	// EnvelopesFromMessage) instead of one message per event: for consumers that apply several
	// events in one transaction. Acks, nacks and checkpoints then cover the whole batch.
	Batch bool
	// Logger receives consumer errors. Default slog.Default().
	Logger *slog.Logger
	// ResumeFrom, if set, replaces the group's own checkpoint: whenever the subscriber (re)claims
	// the lease on a topic it starts after the cursor ResumeFrom returns, and it saves no
	// checkpoint of its own. For consumers that commit their progress with their own writes (a
	// projection's checkpoint in the same transaction as its documents), so that progress and
	// effects never disagree. Leases, ordering and nack redelivery are unchanged.
	ResumeFrom func(ctx context.Context, topic string) (int64, error)
}

// Subscriber delivers committed events as watermill messages; see the package comment.
type Subscriber struct {
	store Source
	cfg   SubscriberConfig
	log   *slog.Logger

	closing context.Context
	close   context.CancelFunc
	mu      sync.Mutex
	closed  bool
	running sync.WaitGroup
}

var _ message.Subscriber = (*Subscriber)(nil)

// errLostLease stops a consumer whose group's lease or checkpoint was taken by another.
var errLostLease = errors.New("lease lost to another consumer of the group")

// NewSubscriber returns a Subscriber over store.
func NewSubscriber(store Source, cfg SubscriberConfig) *Subscriber {
	cfg.ConsumerGroup = cmp.Or(cfg.ConsumerGroup, "default")
	cfg.ResendInterval = cmp.Or(cfg.ResendInterval, 10*time.Millisecond)
	cfg.LeaseTTL = cmp.Or(cfg.LeaseTTL, 15*time.Second)
	cfg.ClaimInterval = cmp.Or(cfg.ClaimInterval, 500*time.Millisecond)
	cfg.BatchSize = cmp.Or(cfg.BatchSize, 500)
	closing, cancel := context.WithCancel(context.Background())
	return &Subscriber{
		store:   store,
		cfg:     cfg,
		log:     cmp.Or(cfg.Logger, slog.Default()).With("consumer_group", cfg.ConsumerGroup),
		closing: closing,
		close:   cancel,
	}
}

// Subscribe starts consuming topic. The channel closes when ctx ends or the Subscriber closes.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	if topic != AllTopic {
		if err := eventstore.ValidateStreamID(topic); err != nil {
			return nil, fmt.Errorf("subscribe: topic: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("subscribe to %s: %w", topic, eventstore.ErrClosed)
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.closing, cancel)
	out := make(chan *message.Message)
	s.running.Add(1)
	go func() {
		defer s.running.Done()
		defer close(out)
		defer stop()
		defer cancel()
		s.consume(ctx, topic, out)
	}()
	return out, nil
}

// Close stops every subscription and waits for them to release their leases.
func (s *Subscriber) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.close()
	s.running.Wait()
	return nil
}

// consume holds the group's lease on topic (waiting as a standby while another consumer holds it)
// and delivers from the group's checkpoint, until ctx ends.
func (s *Subscriber) consume(ctx context.Context, topic string, out chan<- *message.Message) {
	name := checkpointName(s.cfg.ConsumerGroup, topic)
	log := s.log.With("topic", topic)
	for ctx.Err() == nil {
		lease, err := s.claim(ctx, name+":lease")
		if err != nil && ctx.Err() == nil {
			log.Warn("claim consumer lease", "err", err)
		}
		if err == nil && lease != nil {
			err = s.deliverFrom(ctx, name, topic, lease, out)
			s.release(lease)
			if err != nil && ctx.Err() == nil {
				log.Warn("consumer stopped; resuming from the checkpoint", "err", err)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(s.cfg.ClaimInterval):
		}
	}
}

// checkpointName names a group's checkpoint on a topic; its lease is the checkpoint name+":lease".
func checkpointName(group, topic string) string { return "delivery:" + group + ":" + topic }

// LeaseExpiry reports until when a consumer of group holds the lease on topic; the zero time if
// none does. Tools use it to refuse work that must not run beside a live consumer.
func LeaseExpiry(ctx context.Context, store Source, group, topic string) (time.Time, error) {
	v, err := store.CheckpointLoad(ctx, checkpointName(group, topic)+":lease")
	if err != nil {
		return time.Time{}, fmt.Errorf("lease of %s on %s: %w", group, topic, err)
	}
	if v <= time.Now().UnixNano() {
		return time.Time{}, nil
	}
	return time.Unix(0, v), nil
}

// lease is a claim on a group and topic: the checkpoint named name holds its expiry (unix nanos),
// which doubles as the token that renewals compare and swap.
type lease struct {
	name   string
	expiry atomic.Int64
}

// claim takes the lease if it is free or expired; nil if another consumer holds it.
func (s *Subscriber) claim(ctx context.Context, name string) (*lease, error) {
	cur, err := s.store.CheckpointLoad(ctx, name)
	if err != nil {
		return nil, err
	}
	now := time.Now().UnixNano()
	if cur > now {
		return nil, nil
	}
	next := now + s.cfg.LeaseTTL.Nanoseconds()
	ok, err := s.store.CheckpointSwap(ctx, name, cur, next)
	if err != nil || !ok {
		return nil, err
	}
	l := &lease{name: name}
	l.expiry.Store(next)
	return l, nil
}

// renew extends the lease every third of its TTL; it cancels the consumer if the lease is lost.
func (s *Subscriber) renew(ctx context.Context, l *lease, lost context.CancelCauseFunc) {
	t := time.NewTicker(s.cfg.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur := l.expiry.Load()
		next := time.Now().UnixNano() + s.cfg.LeaseTTL.Nanoseconds()
		ok, err := s.store.CheckpointSwap(ctx, l.name, cur, next)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("renew consumer lease", "err", err) // try again next tick
		case err == nil && !ok:
			lost(errLostLease)
			return
		case ok:
			l.expiry.Store(next)
		}
	}
}

// release gives the lease up at once so that a standby need not wait for it to expire.
func (s *Subscriber) release(l *lease) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.store.CheckpointSwap(ctx, l.name, l.expiry.Load(), 0); err != nil {
		s.log.Warn("release consumer lease", "err", err)
	}
}

func (s *Subscriber) deliverFrom(ctx context.Context, name, topic string, l *lease, out chan<- *message.Message) error {
	ctx, lost := context.WithCancelCause(ctx)
	var renewing sync.WaitGroup
	renewing.Add(1)
	go func() {
		defer renewing.Done()
		s.renew(ctx, l, lost)
	}()
	defer renewing.Wait()
	defer lost(nil)

	var pos int64
	var err error
	if s.cfg.ResumeFrom != nil {
		pos, err = s.cfg.ResumeFrom(ctx, topic)
	} else {
		pos, err = s.store.CheckpointLoad(ctx, name)
	}
	if err != nil {
		return fmt.Errorf("resume position: %w", err)
	}
	filter := topic
	if topic == AllTopic {
		filter = ""
	}
	err = s.store.Subscribe(ctx, eventstore.SubscribeParams{After: pos, Topic: filter, BatchSize: s.cfg.BatchSize},
		func(ctx context.Context, events []eventstore.Envelope) error {
			if s.cfg.Batch && len(events) > 0 {
				if err := s.deliverBatch(ctx, events, out); err != nil {
					return err
				}
				last := events[len(events)-1].GlobalPosition
				if s.cfg.ResumeFrom == nil {
					ok, err := s.store.CheckpointSwap(ctx, name, pos, last)
					if err != nil {
						return fmt.Errorf("save checkpoint: %w", err)
					}
					if !ok {
						return errLostLease
					}
				}
				pos = last
				return nil
			}
			for _, e := range events {
				if err := s.deliver(ctx, e, out); err != nil {
					return err
				}
				if s.cfg.ResumeFrom != nil {
					pos = e.GlobalPosition
					continue
				}
				ok, err := s.store.CheckpointSwap(ctx, name, pos, e.GlobalPosition)
				if err != nil {
					return fmt.Errorf("save checkpoint: %w", err)
				}
				if !ok {
					return errLostLease
				}
				pos = e.GlobalPosition
			}
			return nil
		})
	if cause := context.Cause(ctx); errors.Is(cause, errLostLease) {
		return cause
	}
	return err
}

// deliver hands one event to the consumer until it is acked; a nack redelivers it.
func (s *Subscriber) deliver(ctx context.Context, e eventstore.Envelope, out chan<- *message.Message) error {
	return s.deliverMessage(ctx, func() (*message.Message, error) { return messageFromEvent(e), nil }, out)
}

// deliverBatch hands a batch of events to the consumer as one message until it is acked.
func (s *Subscriber) deliverBatch(ctx context.Context, events []eventstore.Envelope, out chan<- *message.Message) error {
	return s.deliverMessage(ctx, func() (*message.Message, error) { return messageFromEvents(events) }, out)
}

// deliverMessage sends a fresh message from build until one is acked; a nack redelivers it.
func (s *Subscriber) deliverMessage(ctx context.Context, build func() (*message.Message, error), out chan<- *message.Message) error {
	for {
		msg, err := build()
		if err != nil {
			return err
		}
		msgCtx, cancel := context.WithCancel(ctx)
		msg.SetContext(msgCtx)
		select {
		case out <- msg:
		case <-ctx.Done():
			cancel()
			return ctx.Err()
		}
		select {
		case <-msg.Acked():
			cancel()
			return nil
		case <-msg.Nacked():
			cancel()
		case <-ctx.Done():
			cancel()
			return ctx.Err()
		}
		select {
		case <-time.After(s.cfg.ResendInterval):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
