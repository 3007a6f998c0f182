package web

import "net/http"

// probePaths are hit every few seconds by load balancers and orchestrators; their successful
// requests are logged at debug level only.
var probePaths = []string{"/healthz", "/readyz"}

// routes is the one place every route is registered.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()

	health := &healthHandler{store: s.cfg.Store, timeout: s.cfg.ReadyTimeout, log: s.log}
	mux.HandleFunc("GET /healthz", health.healthz)
	mux.HandleFunc("GET /readyz", health.readyz)

	return mux
}
