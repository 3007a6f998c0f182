// Package web is GoFlow's HTTP API: routes, handlers and middleware over net/http.
package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/domain/secretbox"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/projections"
	"github.com/goflow-dev/goflow/realtime"
	"github.com/goflow-dev/goflow/runtime/luabox"
	"github.com/goflow-dev/goflow/runtime/query"
	"github.com/goflow-dev/goflow/web/auth"
)

// Pinger is what the server needs of the event store to answer readiness probes.
// eventstore.Store satisfies it.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config configures a Server.
type Config struct {
	// Addr is the TCP address ListenAndServe listens on; default ":8080".
	Addr string
	// Logger receives request logs and server errors; default slog.Default().
	Logger *slog.Logger
	// Store is pinged by GET /readyz. Required.
	Store Pinger
	// ReadyTimeout bounds the store ping of GET /readyz; default 2s.
	ReadyTimeout time.Duration
	// ReadHeaderTimeout bounds reading a request's headers; default 10s.
	ReadHeaderTimeout time.Duration
	// ShutdownTimeout bounds the graceful shutdown once the serving context ends: requests still
	// running after it are cut off. Default 15s.
	ShutdownTimeout time.Duration

	// Events is the event store the API reads and appends to. Nil means Store, if Store is an
	// eventstore.Store; with neither, the /api routes answer 503 (a server for its probes only).
	Events eventstore.Store
	// Catalog holds the component manifests page edits are validated against and GET
	// /api/components serves; default domain.DefaultCatalog().
	Catalog *domain.Catalog
	// Docs is the projections' document store (read models: the app catalogue, lists, page
	// documents, the script change log). Required for the /api routes, like Events.
	Docs projections.DocStore
	// Projections waits, after each write, until the projections have handled it, so that reads
	// right after a write see it (pass the *projections.Runner that feeds Docs). Nil skips the
	// wait.
	Projections ProjectionWaiter
	// ProjectionWait bounds that wait; a write whose projections lag longer still succeeds.
	// Default 2s.
	ProjectionWait time.Duration
	// MaxBodyBytes caps request bodies (413 beyond it); default DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
	// MaxHeaderBytes caps request headers; default 64 KiB.
	MaxHeaderBytes int

	// Auth configures accounts, sessions and login throttling.
	Auth AuthConfig
	// SecretBox seals data source secrets before they are stored. Required with Events.
	SecretBox *secretbox.Box
	// RealtimeAuthCheck is how often open co-editing connections have their credentials and
	// subscriptions checked again; default 1 minute.
	RealtimeAuthCheck time.Duration
	// AllowedOrigins are other origins (host patterns, e.g. "editor.example.com") whose pages may
	// open the co-editing WebSocket; the server's own origin always may.
	AllowedOrigins []string
	// Workflows bounds each run of a built-in Lua workflow; zero fields take luabox's defaults
	// (2 s, 128 MiB of heap growth, ...).
	Workflows luabox.Limits
	// Fanout, if set, announces co-editing commits to the other nodes and receives theirs
	// (realtime/natsfanout), so they reach subscribers sooner than through the event log.
	Fanout realtime.Fanout
}

// Server serves GoFlow's HTTP API.
type Server struct {
	cfg      Config
	log      *slog.Logger
	api      *api
	engine   *realtime.Engine
	realtime *realtime.Server
	openapi  []byte
	handler  http.Handler
	// ui serves the embedded editor UI at every path the API does not take.
	ui http.Handler
}

// New validates cfg, fills in defaults and builds the server's handler.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("web: Config.Store is required")
	}
	for name, d := range map[string]time.Duration{
		"ReadyTimeout": cfg.ReadyTimeout, "ReadHeaderTimeout": cfg.ReadHeaderTimeout, "ShutdownTimeout": cfg.ShutdownTimeout,
		"ProjectionWait": cfg.ProjectionWait,
	} {
		if d < 0 {
			return nil, fmt.Errorf("web: Config.%s is negative (%s)", name, d)
		}
	}
	cfg.Addr = cmp.Or(cfg.Addr, ":8080")
	cfg.Logger = cmp.Or(cfg.Logger, slog.Default())
	cfg.ReadyTimeout = cmp.Or(cfg.ReadyTimeout, 2*time.Second)
	cfg.ReadHeaderTimeout = cmp.Or(cfg.ReadHeaderTimeout, 10*time.Second)
	cfg.ShutdownTimeout = cmp.Or(cfg.ShutdownTimeout, 15*time.Second)
	cfg.ProjectionWait = cmp.Or(cfg.ProjectionWait, 2*time.Second)
	if cfg.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("web: Config.MaxBodyBytes is negative (%d)", cfg.MaxBodyBytes)
	}
	cfg.MaxBodyBytes = cmp.Or(cfg.MaxBodyBytes, DefaultMaxBodyBytes)
	cfg.MaxHeaderBytes = cmp.Or(cfg.MaxHeaderBytes, 64<<10)
	if cfg.Events == nil {
		cfg.Events, _ = cfg.Store.(eventstore.Store)
	}
	if cfg.Events != nil && cfg.Docs != nil && cfg.SecretBox == nil {
		return nil, errors.New("web: Config.SecretBox is required: data source secrets are sealed with it")
	}
	cfg.Auth = cfg.Auth.withDefaults()
	if cfg.Auth.SessionIdle < 0 || cfg.Auth.SessionMax < 0 || cfg.Auth.SessionMax > domain.MaxCredentialLifetime {
		return nil, fmt.Errorf("web: session lifetimes must be positive and at most %s", domain.MaxCredentialLifetime)
	}
	if cfg.Catalog == nil {
		cat, err := domain.DefaultCatalog()
		if err != nil {
			return nil, fmt.Errorf("web: component catalog: %w", err)
		}
		cfg.Catalog = cat
	}

	box, err := newReplaySandbox()
	if err != nil {
		return nil, fmt.Errorf("web: replay sandbox: %w", err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, ui: newUIHandler()}
	s.api = &api{
		store:          cfg.Events,
		docs:           cfg.Docs,
		catalog:        cfg.Catalog,
		runner:         cfg.Projections,
		projectionWait: cfg.ProjectionWait,
		log:            s.log,
		pages:          newPageCache(64 << 20),
		auth:           cfg.Auth,
		limiter:        auth.NewLimiter(cfg.Auth.Limiter),
		box:            cfg.SecretBox,
		sandbox:        box,
		snapshots:      newSnapshotCache(snapshotCacheEntries, snapshotCacheSteps, snapshotCacheBytes),
		queries:        query.New(query.Options{Logger: s.log}),
		lua:            luabox.NewSandbox(cfg.Workflows, nil),
	}
	if err := s.newRealtime(); err != nil {
		return nil, fmt.Errorf("web: realtime: %w", err)
	}
	doc, err := openAPIDocument()
	if err != nil {
		return nil, fmt.Errorf("web: openapi document: %w", err)
	}
	s.openapi = doc
	s.handler = chain(problemFallback(s.routes(), s.ui),
		RequestLogging(s.log, probePaths...),
		Recovery(s.log),
		RequestID(),
		SecurityHeaders(),
		LimitBody(cfg.MaxBodyBytes),
		s.api.authenticate,
	)
	return s, nil
}

// Close releases what the server holds beyond its connections: the data sources' pools. Serve
// calls it on the way out; a server only used through Handler (tests) calls it when done.
func (s *Server) Close() {
	s.api.queries.Close()
}

// Handler returns the server's root handler, middleware included.
func (s *Server) Handler() http.Handler { return s.handler }

// ListenAndServe listens on Config.Addr and serves until ctx ends (see Serve).
func (s *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves HTTP on ln until ctx ends, then shuts down gracefully: it stops accepting
// connections and waits up to Config.ShutdownTimeout for running requests. It returns nil after a
// clean shutdown. Serve closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	s.log.Info("http server listening", "addr", ln.Addr().String())

	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	rtCtx, stopRealtime := context.WithCancel(context.WithoutCancel(ctx))
	rtDone := make(chan struct{})
	go func() {
		defer close(rtDone)
		if err := s.RunRealtime(rtCtx); err != nil {
			s.log.Error("co-editing fan-out stopped", "err", err)
		}
	}()
	defer func() {
		stopRealtime()
		<-rtDone
	}()

	select {
	case err := <-served: // failed before any shutdown was asked for
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}

	s.log.Info("http server shutting down", "timeout", s.cfg.ShutdownTimeout.String())
	if s.realtime != nil {
		s.realtime.Shutdown() // hijacked WebSocket connections are not part of hs.Shutdown
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		_ = hs.Close()
		return fmt.Errorf("http server shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	s.Close()
	s.log.Info("http server stopped")
	return nil
}
