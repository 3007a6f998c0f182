package delivery_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/delivery"
	"github.com/goflow-dev/goflow/eventstore/postgres"
	"github.com/goflow-dev/goflow/eventstore/postgres/pgtest"
	"github.com/goflow-dev/goflow/eventstore/sqlite"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// store is what these tests need of a backend.
type store interface {
	eventstore.Store
}

func openPostgres(t *testing.T) store {
	t.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, postgres.Config{URL: pgtest.URL(t), PollInterval: 100 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	_, err = s.Migrate(ctx)
	require.NoError(t, err)
	return s
}

func openSQLite(t *testing.T) store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "events.db"), PollInterval: 100 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	_, err = s.Migrate(ctx)
	require.NoError(t, err)
	return s
}

var backends = []struct {
	name string
	open func(t *testing.T) store
}{
	{"postgres", openPostgres},
	{"sqlite", openSQLite},
}

// TestUniversalPubSub runs watermill's own Pub/Sub suite against the Subscriber over each backend,
// for every feature the Subscriber claims.
func TestUniversalPubSub(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			features := tests.Features{
				ConsumerGroups:                      true,
				ExactlyOnceDelivery:                 false,
				GuaranteedOrder:                     true,
				GuaranteedOrderWithSingleSubscriber: true,
				Persistent:                          true,
				NewSubscriberReceivesOldMessages:    false,
				// Topics are stream ids; keep them free of "-" so that no topic is another's category.
				GenerateTopicFunc: func(tests.TestContext) string {
					return "topic_" + strings.ReplaceAll(uuid.NewString(), "-", "")
				},
			}
			newPubSub := func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
				return delivery.NewPublisher(s), delivery.NewSubscriber(s, delivery.SubscriberConfig{
					ConsumerGroup: group,
					ClaimInterval: 50 * time.Millisecond,
				})
			}
			tests.TestPubSub(t, features,
				func(t *testing.T) (message.Publisher, message.Subscriber) { return newPubSub(t, "") },
				newPubSub)
		})
	}
}

// TestRouterDeliversDomainEvents appends domain events through the store (not the Publisher) and
// consumes the "page" category through the router: a panicking handler is recovered and retried,
// every event arrives once in order with its envelope metadata, and progress survives a restart.
func TestRouterDeliversDomainEvents(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			s := b.open(t)
			for i := range 5 {
				_, err := s.Append(ctx, "page-1", eventstore.Any(), []eventstore.EventData{{
					Type: "page.node_prop_set", Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)), Actor: "ada",
				}})
				require.NoError(t, err)
			}
			_, err := s.Append(ctx, "app-1", eventstore.Any(), []eventstore.EventData{{Type: "app.created", Data: json.RawMessage(`{}`)}})
			require.NoError(t, err)

			var panicked atomic.Bool
			got := make(chan *message.Message, 100)
			run := func(stopAfter int) {
				router, err := delivery.NewRouter(delivery.RouterConfig{RetryInterval: time.Millisecond})
				require.NoError(t, err)
				sub := delivery.NewSubscriber(s, delivery.SubscriberConfig{ConsumerGroup: "pages", ClaimInterval: 50 * time.Millisecond})
				var seen atomic.Int32
				router.AddConsumerHandler("pages", "page", sub, func(msg *message.Message) error {
					if !panicked.Swap(true) {
						panic("first attempt fails")
					}
					got <- msg
					seen.Add(1)
					return nil
				})
				rctx, rcancel := context.WithCancel(ctx)
				done := make(chan error, 1)
				go func() { done <- router.Run(rctx) }()
				deadline := time.After(30 * time.Second)
				for seen.Load() < int32(stopAfter) {
					select {
					case <-deadline:
						t.Fatalf("router handled %d of %d messages", seen.Load(), stopAfter)
					case <-time.After(5 * time.Millisecond):
					}
				}
				rcancel()
				require.NoError(t, <-done)
				require.NoError(t, router.Close())
			}
			run(5)
			close(got)
			var ns []int
			for msg := range got {
				require.Equal(t, "page-1", msg.Metadata.Get(delivery.MetaStreamID))
				require.Equal(t, "page.node_prop_set", msg.Metadata.Get(delivery.MetaEventType))
				require.Equal(t, "ada", msg.Metadata.Get(delivery.MetaActor))
				var d struct{ N int }
				require.NoError(t, json.Unmarshal(msg.Payload, &d))
				ns = append(ns, d.N)
			}
			require.Equal(t, []int{0, 1, 2, 3, 4}, ns)

			// A restarted consumer of the same group resumes after its checkpoint.
			_, err = s.Append(ctx, "page-2", eventstore.Any(), []eventstore.EventData{{Type: "page.created", Data: json.RawMessage(`{"n":5}`)}})
			require.NoError(t, err)
			got = make(chan *message.Message, 100)
			run(1)
			close(got)
			var rest []string
			for msg := range got {
				rest = append(rest, msg.Metadata.Get(delivery.MetaStreamID))
			}
			require.Equal(t, []string{"page-2"}, rest)
		})
	}
}

// TestSubscriberRejectsBadTopic: a malformed topic is an error, not a silent empty subscription.
func TestSubscriberRejectsBadTopic(t *testing.T) {
	t.Parallel()
	s := openSQLite(t)
	sub := delivery.NewSubscriber(s, delivery.SubscriberConfig{})
	defer sub.Close()
	_, err := sub.Subscribe(context.Background(), "")
	require.True(t, errors.Is(err, eventstore.ErrInvalidInput), "got %v", err)
	require.NoError(t, sub.Close())
	_, err = sub.Subscribe(context.Background(), "page")
	require.True(t, errors.Is(err, eventstore.ErrClosed), "got %v", err)
}

// TestResumeFrom: a Subscriber with ResumeFrom starts after the cursor it returns whenever it
// claims the lease, saves no checkpoint of its own, and still redelivers a nacked message.
func TestResumeFrom(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			s := b.open(t)
			var pos []int64
			for i := range 5 {
				res, err := s.Append(ctx, "page-1", eventstore.Any(), []eventstore.EventData{{
					Type: "page.node_prop_set", Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)),
				}})
				require.NoError(t, err)
				pos = append(pos, res.Events[0].GlobalPosition)
			}
			_, err := s.Append(ctx, "app-1", eventstore.Any(), []eventstore.EventData{{Type: "app.created", Data: json.RawMessage(`{}`)}})
			require.NoError(t, err)

			// committed stands in for a consumer's own checkpoint, saved with its writes.
			var committed atomic.Int64
			var calls atomic.Int32
			newSub := func() *delivery.Subscriber {
				return delivery.NewSubscriber(s, delivery.SubscriberConfig{
					ConsumerGroup: "g",
					ClaimInterval: 20 * time.Millisecond,
					ResumeFrom: func(_ context.Context, topic string) (int64, error) {
						calls.Add(1)
						if topic != "page" {
							return 0, fmt.Errorf("unexpected topic %q", topic)
						}
						return committed.Load(), nil
					},
				})
			}
			next := func(ch <-chan *message.Message) *message.Message {
				t.Helper()
				select {
				case msg := <-ch:
					return msg
				case <-ctx.Done():
					t.Fatal("no message")
					return nil
				}
			}
			position := func(msg *message.Message) int64 {
				e, err := delivery.EnvelopeFromMessage(msg)
				require.NoError(t, err)
				return e.GlobalPosition
			}

			committed.Store(pos[1])
			sub := newSub()
			ch, err := sub.Subscribe(ctx, "page")
			require.NoError(t, err)
			msg := next(ch)
			require.Equal(t, pos[2], position(msg), "starts after ResumeFrom's cursor")
			msg.Nack()
			msg = next(ch)
			require.Equal(t, pos[2], position(msg), "a nack redelivers")
			exp, err := delivery.LeaseExpiry(ctx, s, "g", "page")
			require.NoError(t, err)
			require.True(t, exp.After(time.Now()), "a consuming subscriber holds the lease")
			committed.Store(pos[2])
			msg.Ack()
			msg = next(ch)
			require.Equal(t, pos[3], position(msg))
			committed.Store(pos[3])
			msg.Ack()
			require.NoError(t, sub.Close())

			own, err := s.CheckpointLoad(ctx, "delivery:g:page")
			require.NoError(t, err)
			require.Zero(t, own, "no checkpoint of its own")
			require.EqualValues(t, 1, calls.Load())
			exp, err = delivery.LeaseExpiry(ctx, s, "g", "page")
			require.NoError(t, err)
			require.True(t, exp.IsZero(), "a closed subscriber releases its lease")

			// A new consumer of the group resumes from the consumer's cursor, wherever it is.
			for _, tc := range []struct{ from, want int64 }{{pos[3], pos[4]}, {pos[0], pos[1]}} {
				committed.Store(tc.from)
				sub := newSub()
				ch, err := sub.Subscribe(ctx, "page")
				require.NoError(t, err)
				msg := next(ch)
				require.Equal(t, tc.want, position(msg))
				msg.Ack()
				require.NoError(t, sub.Close())
			}

			// A failing ResumeFrom keeps the consumer retrying rather than starting from 0.
			failing := delivery.NewSubscriber(s, delivery.SubscriberConfig{
				ConsumerGroup: "g2",
				ClaimInterval: 10 * time.Millisecond,
				ResumeFrom: func(context.Context, string) (int64, error) {
					if calls.Add(1) < 10 {
						return 0, errors.New("not yet")
					}
					return pos[3], nil
				},
			})
			defer failing.Close()
			ch, err = failing.Subscribe(ctx, "page")
			require.NoError(t, err)
			msg = next(ch)
			require.Equal(t, pos[4], position(msg))
			msg.Ack()
		})
	}
}

// TestBatchDelivery: with Batch, a read of the log arrives as one message holding its events in
// order; a nack redelivers the whole batch; the group's checkpoint moves past it on the ack.
func TestBatchDelivery(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			s := b.open(t)
			var want []int64
			for i := range 6 {
				res, err := s.Append(ctx, fmt.Sprintf("page-%d", i%2), eventstore.Any(), []eventstore.EventData{{
					Type: "page.node_prop_set", Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)),
				}})
				require.NoError(t, err)
				want = append(want, res.Events[0].GlobalPosition)
			}
			sub := delivery.NewSubscriber(s, delivery.SubscriberConfig{ConsumerGroup: "batch", ClaimInterval: 20 * time.Millisecond, Batch: true})
			ch, err := sub.Subscribe(ctx, "page")
			require.NoError(t, err)
			var got []int64
			nacked := false
			for len(got) < len(want) {
				var msg *message.Message
				select {
				case msg = <-ch:
				case <-ctx.Done():
					t.Fatal("no message")
				}
				events, err := delivery.EnvelopesFromMessage(msg)
				require.NoError(t, err)
				if !nacked {
					nacked = true
					msg.Nack()
					continue
				}
				for _, e := range events {
					got = append(got, e.GlobalPosition)
				}
				msg.Ack()
			}
			require.Equal(t, want, got, "every event once, in log order, the nacked batch again")
			require.Eventually(t, func() bool { // saved after the ack, on the subscriber's goroutine
				cp, err := s.CheckpointLoad(ctx, "delivery:batch:page")
				return err == nil && cp == want[len(want)-1]
			}, 10*time.Second, 5*time.Millisecond, "the checkpoint is past the last batch")
			require.NoError(t, sub.Close())
		})
	}
}
