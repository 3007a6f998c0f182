package delivery

import (
	"context"
	"fmt"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/goflow-dev/goflow/eventstore"
)

// Appender is what the Publisher needs of a store.
type Appender interface {
	Append(ctx context.Context, streamID string, expected eventstore.Expected, events []eventstore.EventData) (eventstore.AppendResult, error)
}

// Publisher appends watermill messages to the stream named by the topic. Event ids derive from the
// topic and the message UUID, so publishing the same message twice to a topic writes it once.
type Publisher struct {
	store Appender

	mu     sync.RWMutex
	closed bool
}

var _ message.Publisher = (*Publisher)(nil)

// NewPublisher returns a Publisher over store.
func NewPublisher(store Appender) *Publisher { return &Publisher{store: store} }

// Publish appends msgs to stream topic, atomically per batch of eventstore.MaxBatchEvents.
func (p *Publisher) Publish(topic string, msgs ...*message.Message) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return fmt.Errorf("publish to %s: %w", topic, eventstore.ErrClosed)
	}
	if topic == AllTopic {
		return fmt.Errorf("publish: %w: %s is for subscribing only", eventstore.ErrInvalidInput, AllTopic)
	}
	for start := 0; start < len(msgs); start += eventstore.MaxBatchEvents {
		chunk := msgs[start:min(start+eventstore.MaxBatchEvents, len(msgs))]
		events := make([]eventstore.EventData, len(chunk))
		for i, msg := range chunk {
			e, err := eventFromMessage(topic, msg)
			if err != nil {
				return fmt.Errorf("publish to %s: %w", topic, err)
			}
			events[i] = e
		}
		ctx := chunk[0].Context()
		if _, err := p.store.Append(ctx, topic, eventstore.Any(), events); err != nil {
			return fmt.Errorf("publish to %s: %w", topic, err)
		}
	}
	return nil
}

// Close stops further publishing; it does not close the store.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	return nil
}
