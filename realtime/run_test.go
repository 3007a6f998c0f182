package realtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/realtime"
)

// fakeRuntime counts a page's events: the state is {"n": <events so far>}.
type fakeRuntime struct {
	n     int
	ended chan string // the sessions End was called for
}

func (f *fakeRuntime) End(_ context.Context, _, session string) error {
	f.ended <- session
	return nil
}

func (f *fakeRuntime) Start(_ context.Context, _, page string, _ domain.SessionMode) (realtime.RunResult, error) {
	return realtime.RunResult{Session: "s1", Page: page, State: realtime.RunValue{Page: json.RawMessage(`{"n":0}`)}}, nil
}

func (f *fakeRuntime) Event(_ context.Context, _ string, ev realtime.ComponentEvent) (realtime.RunResult, error) {
	switch ev.NodeID {
	case "refused":
		return realtime.RunResult{}, &realtime.RunError{Code: "no_handler", Message: "nothing bound"}
	case "broken":
		return realtime.RunResult{}, errors.New("store down: secret detail")
	}
	f.n++
	return realtime.RunResult{Session: ev.Session, Step: int64(f.n), State: realtime.RunValue{Page: json.RawMessage(`{"n":` + strconv.Itoa(f.n) + `}`)}}, nil
}

// TestRunMessages: P33, P35, P38 at the protocol layer (web's runtime_test covers the rest).
func TestRunMessages(t *testing.T) {
	t.Parallel()
	e := newRulesEnv(t, realtime.EngineConfig{Inline: true})

	// Without a runtime, run is refused.
	s, tr := e.join("alice", "c1")
	e.send(s, map[string]any{"type": "run", "doc": e.page})
	errs := tr.take("error")
	require.Len(t, errs, 1)
	require.Equal(t, "runtime_unavailable", errs[0]["code"])

	rt := &fakeRuntime{ended: make(chan string, 1)}
	srv, err := realtime.NewServer(realtime.ServerConfig{
		Engine: e.engine, Access: allowAll{}, User: func(*http.Request) string { return "" },
		Logger: slog.New(slog.DiscardHandler), Runtime: rt,
	})
	require.NoError(t, err)
	s = srv.NewSession(context.Background(), "alice", tr)
	t.Cleanup(s.Close)
	e.send(s, map[string]any{"type": "hello", "protocol": 1, "clientId": "c2"})
	require.Len(t, tr.take("welcome"), 1)

	e.send(s, map[string]any{"type": "run", "doc": e.script})
	e.send(s, map[string]any{"type": "run", "doc": e.page, "mode": "draft"})
	e.send(s, map[string]any{"type": "component_event", "session": "s1", "nodeId": "btn", "event": "onClick"})
	var codes []string
	for _, m := range tr.take("error") {
		codes = append(codes, m["code"].(string))
	}
	require.Equal(t, []string{"unknown_doc", "unsupported_mode", "unknown_session"}, codes, "before the run, the session is unknown")

	e.send(s, map[string]any{"type": "run", "doc": e.page, "mode": "preview"})
	started := tr.take("run_started")
	require.Len(t, started, 1)
	require.Equal(t, "s1", started[0]["session"])
	require.Equal(t, strings.TrimPrefix(e.page, "page-"), started[0]["page"])
	require.Equal(t, map[string]any{"page": map[string]any{"n": float64(0)}, "app": nil}, started[0]["state"])

	tests := []struct {
		node, code string
		step       float64
	}{
		{node: "btn", step: 1},
		{node: "refused", code: "no_handler"},
		{node: "broken", code: "run_failed"},
		{node: "btn", step: 2},
	}
	for _, tt := range tests {
		e.send(s, map[string]any{"type": "component_event", "session": "s1", "nodeId": tt.node, "event": "onClick"})
		if tt.code != "" {
			errs := tr.take("error")
			require.Len(t, errs, 1, tt.node)
			require.Equal(t, tt.code, errs[0]["code"], tt.node)
			require.NotContains(t, errs[0]["message"], "secret", "internal errors are not shown")
			continue
		}
		st := tr.take("run_state")
		require.Len(t, st, 1, tt.node)
		require.Equal(t, tt.step, st[0]["step"])
		require.Equal(t, []any{}, st[0]["updates"])
		require.Equal(t, map[string]any{"n": tt.step}, st[0]["state"].(map[string]any)["page"])
		require.Equal(t, []any{}, st[0]["effects"])
	}

	// Closing the connection ends its sessions.
	s.Close()
	select {
	case id := <-rt.ended:
		require.Equal(t, "s1", id)
	case <-time.After(10 * time.Second):
		t.Fatal("the closed connection's session was not ended")
	}
}
