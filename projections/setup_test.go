package projections_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/postgres"
	"github.com/goflow-dev/goflow/eventstore/postgres/pgtest"
	"github.com/goflow-dev/goflow/eventstore/sqlite"
	"github.com/goflow-dev/goflow/projections"
	"github.com/goflow-dev/goflow/projections/pgdocs"
	"github.com/goflow-dev/goflow/projections/sqlitedocs"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// backend is an event store and the DocStore in its database.
type backend struct {
	store eventstore.Store
	docs  projections.DocStore
}

var backends = []struct {
	name string
	open func(t *testing.T) backend
}{
	{"postgres", func(t *testing.T) backend {
		ctx := context.Background()
		s, err := postgres.Open(ctx, postgres.Config{URL: pgtest.URL(t), MaxConns: 8, PollInterval: 100 * time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, s.Close()) })
		_, err = s.Migrate(ctx)
		require.NoError(t, err)
		return backend{s, pgdocs.New(s.Pool())}
	}},
	{"sqlite", func(t *testing.T) backend {
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "goflow.db")
		s, err := sqlite.Open(ctx, sqlite.Config{Path: path, PollInterval: 100 * time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, s.Close()) })
		_, err = s.Migrate(ctx)
		require.NoError(t, err)
		docs, err := sqlitedocs.Open(ctx, path)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, docs.Close()) })
		return backend{s, docs}
	}},
}

// runRunner starts a Runner and returns it with a stop function that waits for it to end.
func runRunner(t *testing.T, b backend, ps ...projections.Projection) (*projections.Runner, func()) {
	t.Helper()
	r, err := projections.NewRunner(projections.RunnerConfig{
		Log: b.store, Docs: b.docs, Projections: ps,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		ClaimInterval: 20 * time.Millisecond, RetryInterval: time.Millisecond, PollInterval: 50 * time.Millisecond,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Fatal("runner did not stop")
		}
	}
	t.Cleanup(stop)
	return r, stop
}

// dump returns every document of a projection, in key order.
func dump(t *testing.T, docs projections.DocStore, projection string) []projections.Doc {
	t.Helper()
	var out []projections.Doc
	p := projections.ListParams{Limit: projections.MaxListLimit}
	for {
		page, next, err := docs.List(context.Background(), projection, p)
		require.NoError(t, err)
		out = append(out, page...)
		if next == "" {
			return out
		}
		p.After = next
	}
}

// requireSameDocs checks that two dumps hold the same keys, versions and JSON data.
func requireSameDocs(t *testing.T, projection string, want, got []projections.Doc) {
	t.Helper()
	keys := func(ds []projections.Doc) []string {
		out := make([]string, len(ds))
		for i, d := range ds {
			out[i] = d.Key
		}
		return out
	}
	require.Equal(t, keys(want), keys(got), "%s: keys", projection)
	for i := range want {
		require.Equal(t, want[i].Version, got[i].Version, "%s %s: version", projection, want[i].Key)
		require.JSONEq(t, string(want[i].Data), string(got[i].Data), "%s %s: data", projection, want[i].Key)
	}
}

// counter is a domain-agnostic projection: per stream, the event types seen (a state projection
// skipping what it has applied), and per event a log entry keyed by its id.
type counter struct{ name string }

type counted struct {
	Types []string `json:"types"`
}

func (c counter) Name() string { return c.name }

func (c counter) Apply(_ context.Context, tx projections.DocTx, e eventstore.Envelope) error {
	d, ok, err := tx.Get("s/" + e.StreamID)
	if err != nil {
		return err
	}
	var st counted
	if ok {
		if e.StreamVersion <= d.Version {
			return nil
		}
		if err := json.Unmarshal(d.Data, &st); err != nil {
			return err
		}
	}
	if e.Type == "test.poison" {
		return fmt.Errorf("poisoned")
	}
	st.Types = append(st.Types, e.Type)
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := tx.Put("s/"+e.StreamID, data, e.StreamVersion); err != nil {
		return err
	}
	entry, _ := json.Marshal(map[string]any{"stream": e.StreamID, "version": e.StreamVersion, "actor": e.Actor})
	return tx.Put("e/"+e.ID.String(), entry, 1)
}

// expectCounted computes counter's documents from the log itself.
func expectCounted(t *testing.T, s eventstore.Store) map[string]counted {
	t.Helper()
	out := map[string]counted{}
	var after int64
	for {
		events, err := s.ReadAll(context.Background(), eventstore.ReadAllParams{After: after, Limit: 500})
		require.NoError(t, err)
		if len(events) == 0 {
			return out
		}
		for _, e := range events {
			c := out[e.StreamID]
			c.Types = append(c.Types, e.Type)
			out[e.StreamID] = c
		}
		after = events[len(events)-1].GlobalPosition
	}
}

func appendN(t *testing.T, s eventstore.Store, stream string, types ...string) eventstore.Envelope {
	t.Helper()
	events := make([]eventstore.EventData, len(types))
	for i, typ := range types {
		events[i] = eventstore.EventData{Type: typ, Data: json.RawMessage(`{}`), Actor: "ada"}
	}
	res, err := s.Append(context.Background(), stream, eventstore.Any(), events)
	require.NoError(t, err)
	return res.Events[len(res.Events)-1]
}

func requireCounted(t *testing.T, b backend, name string) {
	t.Helper()
	want := expectCounted(t, b.store)
	var streams []string
	for _, d := range dump(t, b.docs, name) {
		if stream, ok := strings.CutPrefix(d.Key, "s/"); ok {
			streams = append(streams, stream)
			var got counted
			require.NoError(t, json.Unmarshal(d.Data, &got))
			require.Equal(t, want[stream], got, stream)
			require.EqualValues(t, len(want[stream].Types), d.Version)
		}
	}
	var wantStreams []string
	for s := range want {
		wantStreams = append(wantStreams, s)
	}
	slices.Sort(wantStreams)
	require.Equal(t, wantStreams, streams)
}

func mustUUID(t *testing.T, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	require.NoError(t, err)
	return id
}
