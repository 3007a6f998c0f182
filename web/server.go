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
}

// Server serves GoFlow's HTTP API.
type Server struct {
	cfg     Config
	log     *slog.Logger
	handler http.Handler
}

// New validates cfg, fills in defaults and builds the server's handler.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("web: Config.Store is required")
	}
	for name, d := range map[string]time.Duration{
		"ReadyTimeout": cfg.ReadyTimeout, "ReadHeaderTimeout": cfg.ReadHeaderTimeout, "ShutdownTimeout": cfg.ShutdownTimeout,
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

	s := &Server{cfg: cfg, log: cfg.Logger}
	s.handler = chain(s.routes(),
		RequestLogging(s.log, probePaths...),
		Recovery(s.log),
	)
	return s, nil
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
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	s.log.Info("http server listening", "addr", ln.Addr().String())

	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	select {
	case err := <-served: // failed before any shutdown was asked for
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}

	s.log.Info("http server shutting down", "timeout", s.cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		_ = hs.Close()
		return fmt.Errorf("http server shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	s.log.Info("http server stopped")
	return nil
}
