package web

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/domain/secretbox"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/projections"
	"github.com/goflow-dev/goflow/runtime/jsbox"
	"github.com/goflow-dev/goflow/runtime/luabox"
	"github.com/goflow-dev/goflow/runtime/query"
	"github.com/goflow-dev/goflow/web/auth"
)

// ProjectionWaiter is what the API needs of the projections runner (*projections.Runner): to
// wait until every projection has handled the event at a global-log position, so that a client
// reading right after its write sees it (read your writes).
type ProjectionWaiter interface {
	WaitFor(ctx context.Context, position int64) error
}

// api holds the dependencies of the JSON API's handlers.
type api struct {
	store          eventstore.Store
	docs           projections.DocStore
	catalog        *domain.Catalog
	runner         ProjectionWaiter
	projectionWait time.Duration
	log            *slog.Logger
	pages          *pageCache
	auth           AuthConfig
	limiter        *auth.Limiter
	// box seals data source secrets before they are stored.
	box *secretbox.Box
	// sandbox runs the reducers of time-travel replays.
	sandbox *jsbox.Sandbox
	// queries runs the apps' queries against their data sources (pools kept per data source).
	queries *query.Executor
	// lua runs the built-in Lua workflows of every app (each run brings its app's host); its
	// compiled scripts are shared.
	lua *luabox.Sandbox
	// snapshots keeps the replayed states of recently read sessions (the time-travel debugger).
	snapshots *snapshotCache
	// setupMu serializes first-administrator setups.
	setupMu sync.Mutex
}

// handle adapts an API handler to net/http, answering 503 while the server has no event store or
// no projection store (a server built only for its health probes).
func (a *api) handle(fn handlerFunc) http.HandlerFunc {
	if a.store == nil || a.docs == nil {
		fn = func(http.ResponseWriter, *http.Request) error { return errNotConfigured }
	}
	return serveAPI(a.log, fn)
}

// maxPathIDLength bounds ids taken from URL paths (they become part of stream ids).
const maxPathIDLength = 100

// pathIDValue checks an id taken from a URL (path or query), answering 404 for a value no
// aggregate can have.
func pathIDValue(id, what string) (string, error) {
	ok := id != "" && len(id) <= maxPathIDLength
	for _, c := range id {
		if unicode.IsSpace(c) || !unicode.IsPrint(c) {
			ok = false
			break
		}
	}
	if !ok {
		return "", notFound(what+"_not_found", "No %s has the id %q.", what, truncate(id, 40))
	}
	return id, nil
}

// pathID returns the path parameter name, answering 404 for a value no aggregate can have.
func pathID(r *http.Request, name, what string) (string, error) {
	return pathIDValue(r.PathValue(name), what)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// created answers 201 with a Location header.
func created(w http.ResponseWriter, location string, body any) error {
	w.Header().Set("Location", location)
	writeJSON(w, http.StatusCreated, body)
	return nil
}

// ok answers 200.
func ok(w http.ResponseWriter, body any) error {
	writeJSON(w, http.StatusOK, body)
	return nil
}
