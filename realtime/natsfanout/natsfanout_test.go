package natsfanout_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/realtime/natsfanout"
)

// natsURL is the NATS server (with JetStream) the tests run against; GOFLOW_TEST_NATS_URL
// overrides it.
func natsURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("GOFLOW_TEST_NATS_URL")
	if u == "" {
		u = "nats://127.0.0.1:4222"
	}
	nc, err := nats.Connect(u, nats.Timeout(2*time.Second))
	if err != nil {
		// Like pgtest: a missing server may skip a local run, never a CI one.
		if os.Getenv("CI") != "" {
			t.Fatalf("NATS at %s is unreachable and CI is set: %v", u, err)
		}
		t.Skipf("NATS at %s is unreachable: %v", u, err)
	}
	nc.Close()
	return u
}

// uniqueSubject returns a subject of its own for a test and deletes its stream afterwards.
func uniqueSubject(t *testing.T, url string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	subject := "goflow.test." + hex.EncodeToString(b)
	t.Cleanup(func() {
		nc, err := nats.Connect(url)
		if err != nil {
			return
		}
		defer nc.Close()
		if js, err := nc.JetStream(); err == nil {
			_ = js.DeleteStream(streamName(subject))
		}
	})
	return subject
}

func streamName(subject string) string {
	out := []byte(subject)
	for i, c := range out {
		if c == '.' {
			out[i] = '_'
		}
	}
	return string(out)
}

func newFanout(t *testing.T, url, subject string) *natsfanout.Fanout {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, err := natsfanout.New(ctx, natsfanout.Config{URL: url, Subject: subject, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, f.Close()) })
	return f
}

type announcement struct {
	doc     string
	version int64
}

// recorder collects what a subscription receives.
type recorder struct {
	mu  sync.Mutex
	got []announcement
}

func (r *recorder) add(doc string, version int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, announcement{doc, version})
}

func (r *recorder) all() []announcement {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]announcement(nil), r.got...)
}

// subscribe runs f.Subscribe until the test ends and checks it then returns cleanly.
func subscribe(t *testing.T, f *natsfanout.Fanout) *recorder {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{}
	done := make(chan error, 1)
	go func() { done <- f.Subscribe(ctx, rec.add) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return rec
}

func TestEveryFanoutReceivesEveryAnnouncement(t *testing.T) {
	t.Parallel()
	url := natsURL(t)
	subject := uniqueSubject(t, url)
	a, b := newFanout(t, url, subject), newFanout(t, url, subject)
	recA, recB := subscribe(t, a), subscribe(t, b)

	ctx := context.Background()
	require.NoError(t, a.Publish(ctx, "page-p1", 2))
	require.NoError(t, b.Publish(ctx, "script-s1", 7))

	want := []announcement{{"page-p1", 2}, {"script-s1", 7}}
	for name, rec := range map[string]*recorder{"a": recA, "b": recB} {
		require.Eventually(t, func() bool { return len(rec.all()) >= len(want) }, 10*time.Second, 10*time.Millisecond,
			"fan-out %s got %v", name, rec.all())
		require.ElementsMatch(t, want, rec.all(), "fan-out %s: every announcement, its own included, exactly once", name)
	}
}

func TestOtherSubjectsAreNotHeard(t *testing.T) {
	t.Parallel()
	url := natsURL(t)
	a := newFanout(t, url, uniqueSubject(t, url))
	b := newFanout(t, url, uniqueSubject(t, url))
	recA, recB := subscribe(t, a), subscribe(t, b)

	require.NoError(t, a.Publish(context.Background(), "page-p1", 2))
	require.Eventually(t, func() bool { return len(recA.all()) == 1 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, b.Publish(context.Background(), "page-p2", 3))
	require.Eventually(t, func() bool { return len(recB.all()) == 1 }, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, []announcement{{"page-p1", 2}}, recA.all())
	require.Equal(t, []announcement{{"page-p2", 3}}, recB.all())
}

func TestBadPayloadsAreSkippedAndAcked(t *testing.T) {
	t.Parallel()
	url := natsURL(t)
	subject := uniqueSubject(t, url)
	f := newFanout(t, url, subject)
	rec := subscribe(t, f)

	nc, err := nats.Connect(url)
	require.NoError(t, err)
	defer nc.Close()
	js, err := nc.JetStream()
	require.NoError(t, err)
	for _, bad := range []string{"not json", `{"doc":"","version":3}`, `{"doc":"page-x","version":0}`, `[1,2]`} {
		_, err := js.Publish(subject, []byte(bad))
		require.NoError(t, err)
	}
	require.NoError(t, f.Publish(context.Background(), "page-ok", 4))
	require.Eventually(t, func() bool { return len(rec.all()) == 1 }, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, []announcement{{"page-ok", 4}}, rec.all(), "bad payloads never reach the callback and do not block the good one")

	// Acked: the consumer has nothing outstanding, so nothing will be redelivered.
	require.Eventually(t, func() bool {
		for ci := range js.ConsumersInfo(streamName(subject)) {
			if ci.NumAckPending != 0 || ci.NumRedelivered != 0 || ci.Delivered.Stream < 5 {
				return false
			}
		}
		return true
	}, 10*time.Second, 20*time.Millisecond)
}

func TestSecondConcurrentSubscribeIsRefused(t *testing.T) {
	t.Parallel()
	url := natsURL(t)
	f := newFanout(t, url, uniqueSubject(t, url))
	run := func(d time.Duration) chan error {
		done := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), d)
			defer cancel()
			done <- f.Subscribe(ctx, func(string, int64) {})
		}()
		return done
	}
	first, second := run(300*time.Millisecond), run(300*time.Millisecond)
	require.ElementsMatch(t, []error{nil, natsfanout.ErrSubscribed}, []error{<-first, <-second}, "one runs until its ctx ends, the other is refused")
	require.NoError(t, <-run(50*time.Millisecond), "once it returned, Subscribe may be called again")
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]natsfanout.Config{
		"no url":      {},
		"wildcard":    {URL: "nats://127.0.0.1:4222", Subject: "goflow.*"},
		"unreachable": {URL: "nats://" + closedAddr(t)},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			_, err := natsfanout.New(ctx, cfg)
			require.Error(t, err)
		})
	}
}

// closedAddr is a local address nobody listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}
