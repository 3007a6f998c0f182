package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/goflow-dev/goflow/realtime"
	"github.com/goflow-dev/goflow/realtime/natsfanout"
)

// envFanout sets --fanout.
const envFanout = "GOFLOW_FANOUT"

// fanoutFlags select the optional co-editing fan-out between nodes (realtime/natsfanout).
type fanoutFlags struct {
	url string
}

func (f *fanoutFlags) register(fs *flag.FlagSet, env envBindings) {
	fs.StringVar(&f.url, "fanout", "",
		withEnv("NATS JetStream URL (nats://host:4222) to announce co-editing commits to the other nodes; empty: off (nodes learn of each other's commits from the event log only)", envFanout))
	env["fanout"] = envFanout
}

// validate rejects anything but a nats:// URL, before anything is opened.
func (f *fanoutFlags) validate() error {
	if f.url == "" {
		return nil
	}
	u, err := url.Parse(f.url)
	if err != nil || !strings.EqualFold(u.Scheme, "nats") || u.Host == "" {
		return usageError("fan-out %q (--fanout, %s): want a nats://host:port URL", redactURL(f.url), envFanout)
	}
	return nil
}

// open connects the fan-out, or returns nil (no fan-out) and a no-op close when none is set. It
// returns the interface, never a nil *natsfanout.Fanout inside it.
func (f *fanoutFlags) open(ctx context.Context, log *slog.Logger) (realtime.Fanout, func() error, error) {
	if f.url == "" {
		return nil, func() error { return nil }, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	fan, err := natsfanout.New(ctx, natsfanout.Config{URL: f.url, Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("co-editing fan-out: %w", err)
	}
	return fan, fan.Close, nil
}

// redactURL hides a URL's password.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		return u.Redacted()
	}
	return s
}
