package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/sqlite"
	"github.com/goflow-dev/goflow/realtime"
	"github.com/goflow-dev/goflow/realtime/client"
	"github.com/goflow-dev/goflow/realtime/textot"
)

// allowAll is an Access that allows everything.
type allowAll struct{}

func (allowAll) Allow(context.Context, string, domain.Permission, string) error { return nil }

// liveServer is a real realtime.Server over a real SQLite store, served over HTTP.
type liveServer struct {
	url    string
	store  *sqlite.Store
	server *realtime.Server
}

func startLiveServer(t *testing.T) liveServer {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "goflow.db"), PollInterval: 50 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	_, err = st.Migrate(ctx)
	require.NoError(t, err)

	quiet := slog.New(slog.DiscardHandler)
	engine, err := realtime.NewEngine(realtime.EngineConfig{Store: st, Logger: quiet})
	require.NoError(t, err)
	srv, err := realtime.NewServer(realtime.ServerConfig{
		Engine: engine, Access: allowAll{}, Logger: quiet,
		User: func(r *http.Request) string {
			if r.Header.Get("Authorization") != "Bearer gft_test" {
				return ""
			}
			return "alice"
		},
	})
	require.NoError(t, err)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- engine.Run(runCtx) }()
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Shutdown()
		hs.Close()
		stop()
		// Run reports a cancel that lands while it reads the log's head (see the report).
		if err := <-done; !errors.Is(err, context.Canceled) {
			require.NoError(t, err)
		}
	})
	return liveServer{url: "ws" + strings.TrimPrefix(hs.URL, "http") + "/api/realtime", store: st, server: srv}
}

// appendEvents decides commands and appends their events to a stream.
func appendEvents(t *testing.T, st eventstore.Store, stream string, events []domain.Event) {
	t.Helper()
	data := make([]eventstore.EventData, len(events))
	for i, e := range events {
		typ, raw, ver, err := domain.Encode(e)
		require.NoError(t, err)
		data[i] = eventstore.EventData{Type: typ, Data: raw, SchemaVersion: ver, Actor: "alice"}
	}
	_, err := st.Append(context.Background(), stream, eventstore.Any(), data)
	require.NoError(t, err)
}

func (l liveServer) dial(t *testing.T, clientID string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, client.Config{
		URL: l.url, Header: http.Header{"Authorization": {"Bearer gft_test"}}, ClientID: clientID,
		Logger: slog.New(slog.DiscardHandler), Backoff: client.Backoff{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Two clients co-edit a page and a script over the real server, through a reconnect, and
// converge to the server's state.
func TestSmokeTwoClientsConvergeOnTheRealServer(t *testing.T) {
	t.Parallel()
	l := startLiveServer(t)
	n := 0
	env := domain.Env{Now: time.Now(), Actor: "alice", NewID: func() string { n++; return fmt.Sprint("root", n) }}
	page := &domain.Page{}
	events, err := page.Decide(domain.CreatePage{PageID: "p1", AppID: "a1", Name: "Home"}, env)
	require.NoError(t, err)
	appendEvents(t, l.store, domain.StreamPage("p1"), events)
	script := &domain.Script{}
	events, err = script.Decide(domain.CreateScript{ScriptID: "s1", AppID: "a1", Name: "handler", Kind: domain.ScriptEventHandler, Text: "hello\n"}, env)
	require.NoError(t, err)
	appendEvents(t, l.store, domain.StreamScript("s1"), events)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b := l.dial(t, "tab-a"), l.dial(t, "tab-b")
	pa, err := a.OpenPage(ctx, "p1")
	require.NoError(t, err)
	pb, err := b.OpenPage(ctx, "page-p1")
	require.NoError(t, err)
	sa, err := a.OpenScript(ctx, "s1")
	require.NoError(t, err)
	sb, err := b.OpenScript(ctx, "s1")
	require.NoError(t, err)
	require.Equal(t, "hello\n", sb.Text())
	require.Equal(t, "alice", a.Session().User())

	// Page: A inserts a button; B edits it once it sees it; both set other props at once.
	_, err = pa.Submit(json.RawMessage(`{"op":"insert_node","nodeId":"b1","type":"Button"}`))
	require.NoError(t, err)
	require.NoError(t, a.Flush(ctx))
	_, v := pa.Confirmed()
	require.NoError(t, b.WaitVersion(ctx, "page-p1", v))
	_, err = pb.Submit(setLabel("b1", "From B"))
	require.NoError(t, err)
	_, err = pa.Submit(json.RawMessage(`{"op":"set_prop","nodeId":"b1","path":"variant","value":"danger"}`))
	require.NoError(t, err)
	_, err = pa.Submit(setLabel("ghost", "nobody")) // refused by the server
	require.NoError(t, err)

	// Script: both type at once, several edits each, so buffers fill.
	for i := range 5 {
		require.NoError(t, sa.Edit(ins(0, fmt.Sprintf("a%d ", i))))
		require.NoError(t, sb.Edit(ins(textot.Len16(sb.Text()), fmt.Sprintf("b%d ", i))))
	}

	// The connection drops mid-flight: the client reconnects and resubmits.
	connects := a.Connects()
	a.Drop()
	require.NoError(t, sa.Edit(ins(0, "offline ")))
	require.NoError(t, a.Wait(ctx, func(*client.Session) bool { return a.Connects() > connects && a.Connected() }))
	require.NoError(t, a.Flush(ctx))
	require.NoError(t, b.Flush(ctx))

	// Both converge to what the server stored.
	stored, err := l.store.ReadStream(ctx, domain.StreamScript("s1"), 1, 0)
	require.NoError(t, err)
	head := stored[len(stored)-1].StreamVersion
	require.NoError(t, a.WaitVersion(ctx, "script-s1", head))
	require.NoError(t, b.WaitVersion(ctx, "script-s1", head))
	evs := make([]domain.Event, len(stored))
	for i, env := range stored {
		evs[i], err = domain.Decode(env.Type, env.SchemaVersion, env.Data)
		require.NoError(t, err)
	}
	want := domain.FoldScript(evs).Text
	require.Equal(t, want, sa.Text())
	require.Equal(t, want, sb.Text())
	require.Equal(t, want, sa.ConfirmedText())
	for i := range 5 {
		require.Equal(t, 1, strings.Count(want, fmt.Sprintf("a%d ", i)), want)
		require.Equal(t, 1, strings.Count(want, fmt.Sprintf("b%d ", i)), want)
	}
	require.Equal(t, 1, strings.Count(want, "offline "), want)

	pageHead, err := l.store.StreamVersion(ctx, domain.StreamPage("p1"))
	require.NoError(t, err)
	require.NoError(t, a.WaitVersion(ctx, "page-p1", pageHead))
	require.NoError(t, b.WaitVersion(ctx, "page-p1", pageHead))
	la, lb := pa.Local(), pb.Local()
	require.Equal(t, la.Document(), lb.Document())
	require.Equal(t, "From B", label(la, "b1"))
	require.JSONEq(t, `"danger"`, string(la.Nodes["b1"].Props["variant"]))
	rej := pa.Rejections()
	require.Len(t, rej, 1)
	require.Equal(t, "node_not_found", rej[0].Code)
	require.Empty(t, pb.Rejections())
	require.Empty(t, sa.Rejections())
	require.Empty(t, sb.Rejections())

	// Close ends the client for good.
	require.NoError(t, a.Close())
	require.NoError(t, sa.Edit(ins(0, "late ")))
	require.ErrorIs(t, a.Flush(ctx), client.ErrClosed)
}

func TestSmokeBadCredentialsFailTheDial(t *testing.T) {
	t.Parallel()
	l := startLiveServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := client.Dial(ctx, client.Config{URL: l.url, ClientID: "tab-a", Logger: slog.New(slog.DiscardHandler)})
	var de *client.DialError
	require.True(t, errors.As(err, &de), "%v", err)
	require.Equal(t, http.StatusUnauthorized, de.Status)
}

// The server going away closes with 1001; the client comes back by itself.
func TestSmokeServerShutdownReconnects(t *testing.T) {
	t.Parallel()
	l := startLiveServer(t)
	env := domain.Env{Now: time.Now(), Actor: "alice"}
	script := &domain.Script{}
	events, err := script.Decide(domain.CreateScript{ScriptID: "s1", AppID: "a1", Name: "handler", Kind: domain.ScriptEventHandler, Text: "x"}, env)
	require.NoError(t, err)
	appendEvents(t, l.store, domain.StreamScript("s1"), events)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a := l.dial(t, "tab-a")
	sa, err := a.OpenScript(ctx, "s1")
	require.NoError(t, err)
	l.server.Shutdown()
	require.NoError(t, a.Wait(ctx, func(*client.Session) bool { return a.Connects() == 2 && a.Connected() }))
	require.Equal(t, int(websocketGoingAway), client.CloseCode(a.LastError()))
	require.NoError(t, sa.Edit(ins(1, "y")))
	require.NoError(t, a.Flush(ctx))
	require.Equal(t, "xy", sa.ConfirmedText())
	select {
	case doc := <-a.Changes():
		require.Equal(t, "script-s1", doc)
	case <-ctx.Done():
		t.Fatal("no change notification")
	}
}

const websocketGoingAway = 1001

// Three clients edit a page and a script at random on the real server while their connections
// drop now and then; they converge, and no script edit is applied twice.
func TestSmokeRandomEditsWithDropsConverge(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("long")
	}
	l := startLiveServer(t)
	env := domain.Env{Now: time.Now(), Actor: "alice", NewID: func() string { return "root" }}
	page := &domain.Page{}
	events, err := page.Decide(domain.CreatePage{PageID: "p1", AppID: "a1", Name: "Home"}, env)
	require.NoError(t, err)
	appendEvents(t, l.store, domain.StreamPage("p1"), events)
	script := &domain.Script{}
	events, err = script.Decide(domain.CreateScript{ScriptID: "s1", AppID: "a1", Name: "handler", Kind: domain.ScriptEventHandler, Text: "hello\n"}, env)
	require.NoError(t, err)
	appendEvents(t, l.store, domain.StreamScript("s1"), events)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var clients []*client.Client
	var pages []*client.PageDoc
	var scripts []*client.ScriptDoc
	for i := range 3 {
		c := l.dial(t, fmt.Sprint("tab-", i))
		p, err := c.OpenPage(ctx, "p1")
		require.NoError(t, err)
		s, err := c.OpenScript(ctx, "s1")
		require.NoError(t, err)
		clients, pages, scripts = append(clients, c), append(pages, p), append(scripts, s)
	}
	const steps = 300
	rng := rand.New(rand.NewPCG(1, 2))
	for step := range steps {
		i := rng.IntN(len(clients))
		switch r := rng.IntN(20); {
		case r == 0:
			clients[i].Drop()
		case r < 10:
			n := textot.Len16(scripts[i].Text())
			pos, del := rng.IntN(n+1), 0
			if pos < n && rng.IntN(3) == 0 {
				del = 1
			}
			require.NoError(t, scripts[i].Edit(textot.Op{{Pos: pos, Delete: del, Insert: fmt.Sprintf("<%d>", step)}}))
		default:
			id := fmt.Sprint("n", rng.IntN(5))
			op := setLabel(id, fmt.Sprint("L", step))
			switch rng.IntN(6) {
			case 0, 1:
				op = json.RawMessage(fmt.Sprintf(`{"op":"insert_node","nodeId":%q,"type":"Button"}`, id))
			case 2:
				op = json.RawMessage(fmt.Sprintf(`{"op":"delete_node","nodeId":%q}`, id))
			}
			_, err := pages[i].Submit(op)
			require.NoError(t, err)
		}
		if rng.IntN(2) == 0 {
			time.Sleep(500 * time.Microsecond) // let messages cross
		}
	}
	for _, c := range clients {
		require.NoError(t, c.Flush(ctx))
	}
	sv, err := l.store.StreamVersion(ctx, "script-s1")
	require.NoError(t, err)
	pv, err := l.store.StreamVersion(ctx, "page-p1")
	require.NoError(t, err)
	for _, c := range clients {
		require.NoError(t, c.WaitVersion(ctx, "script-s1", sv))
		require.NoError(t, c.WaitVersion(ctx, "page-p1", pv))
	}
	text := scripts[0].Text()
	doc := pages[0].Local().Document()
	for i := range clients {
		require.Equal(t, text, scripts[i].Text())
		require.Equal(t, text, scripts[i].ConfirmedText())
		require.Equal(t, doc, pages[i].Local().Document())
		require.Empty(t, scripts[i].Rejections())
	}
	for step := range steps {
		require.LessOrEqual(t, strings.Count(text, fmt.Sprintf("<%d>", step)), 1, "an edit applied twice")
	}
}
