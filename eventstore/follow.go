package eventstore

import (
	"cmp"
	"context"
	"sync"
	"time"
)

// Signal is a broadcast wake-up: every waiter of C is released by the next Notify. Backends notify
// it after each commit (and on a NOTIFY from another node) so that subscriptions wake at once.
type Signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// NewSignal returns a Signal with no pending notification.
func NewSignal() *Signal { return &Signal{ch: make(chan struct{})} }

// C returns a channel closed by the next Notify. Take it before reading, so that a commit landing
// between the read and the wait is not missed.
func (s *Signal) C() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

// Notify releases every current waiter.
func (s *Signal) Notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.ch)
	s.ch = make(chan struct{})
}

// FollowParams configures Follow.
type FollowParams struct {
	SubscribeParams
	// Read pages the global log (the backend's ReadAll).
	Read func(ctx context.Context, params ReadAllParams) ([]Envelope, error)
	// Wake is notified when new events may be readable.
	Wake *Signal
	// PollInterval bounds how long a caught-up subscription waits without a wake-up: the fallback
	// for lost notifications and for commits held back behind a long-open transaction.
	PollInterval time.Duration
}

// Follow implements Store.Subscribe over a backend's ReadAll: catch up page by page, then wait for
// a wake-up or the poll interval, until ctx ends or handle fails.
func Follow(ctx context.Context, p FollowParams, handle Handler) error {
	after := p.After
	limit := cmp.Or(p.BatchSize, 500)
	poll := cmp.Or(p.PollInterval, time.Second)
	timer := time.NewTimer(poll)
	defer timer.Stop()
	for {
		wake := p.Wake.C()
		events, err := p.Read(ctx, ReadAllParams{After: after, Limit: limit, Topic: p.Topic})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if len(events) > 0 {
			if err := handle(ctx, events); err != nil {
				return err
			}
			after = events[len(events)-1].GlobalPosition
			if len(events) == limit {
				continue // more to catch up on
			}
		}
		timer.Reset(poll)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-timer.C:
		}
	}
}
