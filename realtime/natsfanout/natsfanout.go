// Package natsfanout announces co-editing commits to every GoFlow node through NATS JetStream
// (watermill-nats), so that rooms on other nodes broadcast them without waiting for the event
// log's wake-up. It implements realtime.Fanout.
//
// Every node gets every announcement: each Fanout reads through its own ephemeral consumer that
// starts at new messages (never a queue group or a shared durable, which would split them).
package natsfanout

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/goflow-dev/goflow/realtime"
)

// DefaultSubject is the NATS subject announcements go to when Config.Subject is empty.
const DefaultSubject = "goflow.realtime"

// retention is how long the stream keeps an announcement: it is worthless once the nodes
// following the log have caught up, so the stream never grows.
const retention = time.Minute

// ErrSubscribed: Subscribe was called while another Subscribe of the same Fanout is running.
var ErrSubscribed = errors.New("natsfanout: already subscribed")

// Config configures a Fanout.
type Config struct {
	// URL of the NATS server, e.g. "nats://127.0.0.1:4222". Required.
	URL string
	// Subject the announcements are published on; default DefaultSubject. Nodes that should
	// hear each other use the same subject. The JetStream stream holding it is named after it
	// ("." becomes "_") and created on first use.
	Subject string
	// Logger receives bad announcements and subscription errors; default slog.Default().
	Logger *slog.Logger
}

// announcement is the message payload.
type announcement struct {
	Doc     string `json:"doc"`
	Version int64  `json:"version"`
}

// Fanout publishes and receives announcements over one NATS connection. Close releases it.
type Fanout struct {
	log     *slog.Logger
	subject string
	stream  string // the watermill topic: JetStream names the stream after it
	conn    *nats.Conn
	pub     *wmnats.Publisher
	sub     *wmnats.Subscriber
	msgs    <-chan *message.Message
	cancel  context.CancelFunc

	mu         sync.Mutex
	subscribed bool
	closed     bool
}

var _ realtime.Fanout = (*Fanout)(nil)

// New connects to cfg.URL, makes sure the stream exists and starts this node's consumer, so
// every announcement published after New returns reaches Subscribe. The consumer lives until
// Close, not ctx; ctx bounds the set-up only.
func New(ctx context.Context, cfg Config) (*Fanout, error) {
	if cfg.URL == "" {
		return nil, errors.New("natsfanout: Config.URL is required")
	}
	cfg.Subject = cmp.Or(cfg.Subject, DefaultSubject)
	if strings.ContainsAny(cfg.Subject, "*> \t") {
		return nil, fmt.Errorf("natsfanout: subject %q must be a plain subject, without wildcards or spaces", cfg.Subject)
	}
	cfg.Logger = cmp.Or(cfg.Logger, slog.Default())
	f := &Fanout{
		log:     cfg.Logger,
		subject: cfg.Subject,
		// Stream names may not contain dots; the topic doubles as the stream name.
		stream: strings.ReplaceAll(cfg.Subject, ".", "_"),
	}
	log := cfg.Logger
	conn, err := nats.Connect(cfg.URL, nats.Name("goflow-fanout"), nats.Timeout(connectTimeout(ctx)),
		// Keep reconnecting however long NATS is away: meanwhile the nodes follow the log.
		nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("natsfanout: disconnected from NATS", "err", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { log.Info("natsfanout: reconnected to NATS") }),
	)
	if err != nil {
		return nil, fmt.Errorf("natsfanout: connect to %s: %w", redact(cfg.URL), err)
	}
	f.conn = conn
	if err := f.start(ctx); err != nil {
		f.conn.Close()
		return nil, err
	}
	return f, nil
}

func (f *Fanout) start(ctx context.Context) error {
	js, err := f.conn.JetStream(nats.Context(ctx))
	if err != nil {
		return fmt.Errorf("natsfanout: jetstream: %w", err)
	}
	if err := f.ensureStream(ctx, js); err != nil {
		return err
	}
	logger := watermill.NewSlogLogger(f.log)
	// The topic is the stream name; this maps it to the subject for publishing (see marshaler)
	// and subscribing.
	subjects := func(_, _ string) *wmnats.SubjectDetail { return &wmnats.SubjectDetail{Primary: f.subject} }
	jsCfg := wmnats.JetStreamConfig{
		// watermill's provisioning would make an unbounded file stream and check it before every
		// publish; ensureStream made a bounded one above.
		AutoProvision: false,
		AckAsync:      true,
		// No DurablePrefix: an ephemeral consumer per Fanout, so every node sees everything,
		// starting with what is published from now on (old announcements are stale).
		SubscribeOptions: []nats.SubOpt{nats.DeliverNew(), nats.AckExplicit()},
	}
	f.pub, err = wmnats.NewPublisherWithNatsConn(f.conn, wmnats.PublisherPublishConfig{
		Marshaler: marshaler{subject: f.subject}, SubjectCalculator: subjects, JetStream: jsCfg,
	}, logger)
	if err != nil {
		return fmt.Errorf("natsfanout: publisher: %w", err)
	}
	f.sub, err = wmnats.NewSubscriberWithNatsConn(f.conn, wmnats.SubscriberSubscriptionConfig{
		Unmarshaler: marshaler{subject: f.subject}, SubjectCalculator: subjects, JetStream: jsCfg,
		AckWaitTimeout: 30 * time.Second, CloseTimeout: 5 * time.Second,
	}, logger)
	if err != nil {
		return fmt.Errorf("natsfanout: subscriber: %w", err)
	}
	subCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f.msgs, err = f.sub.Subscribe(subCtx, f.stream)
	if err != nil {
		cancel()
		return fmt.Errorf("natsfanout: subscribe to %s: %w", f.subject, err)
	}
	f.cancel = cancel
	return nil
}

// ensureStream creates the stream of the subject if it is missing (auto-provisioning), with a
// short retention: announcements only matter for a moment. It is on disk so that it outlives a
// NATS restart.
func (f *Fanout) ensureStream(ctx context.Context, js nats.JetStreamContext) error {
	_, err := js.StreamInfo(f.stream, nats.Context(ctx))
	if err == nil {
		return nil
	}
	if !errors.Is(err, nats.ErrStreamNotFound) {
		return fmt.Errorf("natsfanout: stream %s: %w", f.stream, err)
	}
	_, err = js.AddStream(&nats.StreamConfig{
		Name:        f.stream,
		Description: "GoFlow co-editing commit announcements",
		Subjects:    []string{f.subject},
		Storage:     nats.FileStorage,
		MaxAge:      retention,
	}, nats.Context(ctx))
	if err != nil && !errors.Is(err, nats.ErrStreamNameAlreadyInUse) { // another node won the race
		return fmt.Errorf("natsfanout: create stream %s: %w", f.stream, err)
	}
	return nil
}

// Publish announces that doc reached version. It waits for JetStream to store the message.
func (f *Fanout) Publish(ctx context.Context, doc string, version int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	payload, err := json.Marshal(announcement{Doc: doc, Version: version})
	if err != nil {
		return fmt.Errorf("natsfanout: encode announcement: %w", err)
	}
	if err := f.pub.Publish(f.stream, message.NewMessage(uuid.NewString(), payload)); err != nil {
		return fmt.Errorf("natsfanout: publish %s@%d: %w", doc, version, err)
	}
	return nil
}

// Subscribe calls fn for every announcement, this node's own included, acknowledging each once
// fn returns, until ctx ends (it then returns nil) or the Fanout is closed. Bad payloads are
// logged and acknowledged. One Subscribe at a time: a second concurrent call gets ErrSubscribed.
func (f *Fanout) Subscribe(ctx context.Context, fn func(doc string, version int64)) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return realtime.ErrClosed
	}
	if f.subscribed {
		f.mu.Unlock()
		return ErrSubscribed
	}
	f.subscribed = true
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.subscribed = false
		f.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case msg, ok := <-f.msgs:
			if !ok {
				return fmt.Errorf("natsfanout: subscription to %s ended", f.subject)
			}
			f.handle(msg, fn)
		}
	}
}

func (f *Fanout) handle(msg *message.Message, fn func(doc string, version int64)) {
	defer msg.Ack()
	var a announcement
	if err := json.Unmarshal(msg.Payload, &a); err != nil || a.Doc == "" || a.Version < 1 {
		f.log.Warn("natsfanout: ignoring a bad announcement", "subject", f.subject, "payload", truncate(msg.Payload), "err", err)
		return
	}
	fn(a.Doc, a.Version)
}

// Close stops the consumer and closes the connection. It is safe to call more than once.
func (f *Fanout) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	f.mu.Unlock()
	f.cancel()
	err := f.sub.Close() // drains the connection: the consumer goes away with it
	f.conn.Close()
	if err != nil {
		return fmt.Errorf("natsfanout: close: %w", err)
	}
	return nil
}

// marshaler puts announcements on the configured subject (watermill-nats would use the topic,
// which is the stream name here) and never fails to unmarshal, so that nothing is left unacked
// to be redelivered forever: a message without watermill headers is still handled, and a bad
// payload is reported by Subscribe.
type marshaler struct{ subject string }

func (m marshaler) Marshal(topic string, msg *message.Message) (*nats.Msg, error) {
	nm, err := (&wmnats.NATSMarshaler{}).Marshal(topic, msg)
	if err != nil {
		return nil, err
	}
	nm.Subject = m.subject
	return nm, nil
}

func (marshaler) Unmarshal(nm *nats.Msg) (*message.Message, error) {
	msg, err := (&wmnats.NATSMarshaler{}).Unmarshal(nm)
	if err != nil {
		return message.NewMessage(nm.Header.Get(wmnats.WatermillUUIDHdr), nm.Data), nil
	}
	return msg, nil
}

// connectTimeout is the dial timeout: ctx's deadline if it has one, else 5s.
func connectTimeout(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return max(time.Until(d), time.Millisecond)
	}
	return 5 * time.Second
}

// redact drops credentials from a NATS URL for error messages.
func redact(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	if _, host, ok := strings.Cut(rest, "@"); ok {
		return scheme + "://***@" + host
	}
	return u
}

func truncate(b []byte) string {
	const n = 200
	if len(b) <= n {
		return string(b)
	}
	return strings.ToValidUTF8(string(b[:n]), "") + "…"
}
