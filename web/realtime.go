package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/realtime"
)

// RealtimePath is where clients open the co-editing WebSocket (docs/protocol.md).
const RealtimePath = "/api/realtime"

// newRealtime builds the co-editing engine and WebSocket server over the API's stores.
func (s *Server) newRealtime() error {
	if s.api.store == nil || s.api.docs == nil {
		return nil
	}
	engine, err := realtime.NewEngine(realtime.EngineConfig{
		Store: s.api.store, Catalog: s.api.catalog, Logger: s.log, Now: s.api.now, NewID: newID,
		AfterCommit: s.api.snapshotCoEdited, Fanout: s.cfg.Fanout,
	})
	if err != nil {
		return err
	}
	var rt realtime.Runtime
	if s.api.sandbox != nil {
		rt = newPageRuntime(s.api)
	}
	srv, err := realtime.NewServer(realtime.ServerConfig{
		Engine:            engine,
		Access:            realtimeAccess{s.api},
		User:              func(r *http.Request) string { return actorFrom(r.Context()) },
		StillValid:        s.api.stillValid,
		AuthCheckInterval: s.cfg.RealtimeAuthCheck,
		OriginPatterns:    s.cfg.AllowedOrigins,
		Logger:            s.log,
		Runtime:           rt,
	})
	if err != nil {
		return err
	}
	s.engine, s.realtime = engine, srv
	return nil
}

// snapshotCoEdited saves page snapshots for co-edited pages on the same schedule as the API's
// own writes, so that history reads of a page edited live start from a recent snapshot.
func (a *api) snapshotCoEdited(ctx context.Context, doc string, before, after int64, state any) {
	n := pageAggregate.snapshotEvery
	if _, ok := state.(*domain.Page); ok && n > 0 && before/n != after/n {
		a.saveSnapshot(ctx, doc, after, state)
	}
}

// serveRealtime upgrades GET /api/realtime.
func (s *Server) serveRealtime(w http.ResponseWriter, r *http.Request) {
	if s.realtime == nil {
		writeProblem(w, r, Problem{Status: http.StatusServiceUnavailable, Code: "not_configured", Detail: "This server has no event store configured."})
		return
	}
	s.realtime.ServeHTTP(w, r)
}

// RunRealtime follows the event log for the co-editing engine, so that changes made through the
// HTTP API or on other nodes reach the WebSocket subscribers, until ctx ends. Serve runs it; a
// test serving Handler itself starts it.
func (s *Server) RunRealtime(ctx context.Context) error {
	if s.engine == nil {
		<-ctx.Done()
		return nil
	}
	return s.engine.Run(ctx)
}

// realtimeAccess checks co-editing permissions with the same roles as the HTTP routes.
type realtimeAccess struct{ a *api }

// Allow resolves a document (a page or script stream) to its workspace and checks the user's
// role there. Outsiders learn only that there is no such document.
func (x realtimeAccess) Allow(ctx context.Context, user string, perm domain.Permission, doc string) error {
	noSuch := fmt.Errorf("no document %q", doc)
	ws, err := x.a.workspaceOfStream(ctx, doc, "document", doc)
	if err == nil {
		var role domain.Role
		if role, err = x.a.roleIn(ctx, ws, user); err == nil && !role.Allows(perm) {
			what, _, _ := strings.Cut(doc, "-")
			return fmt.Errorf("your role in this workspace (%s) does not allow %s on this %s", role, perm, what)
		}
	}
	if isNotFound(err) {
		return noSuch
	}
	return err
}

// stillValid re-checks the credentials a WebSocket was opened with.
func (a *api) stillValid(r *http.Request) bool {
	p, _, err := a.identify(r)
	if err != nil {
		return true // a store hiccup is not a reason to drop everyone
	}
	return p != nil && p.userID == actorFrom(r.Context())
}
