package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// healthHandler answers liveness and readiness probes.
type healthHandler struct {
	store   Pinger
	timeout time.Duration
	log     *slog.Logger
}

type statusBody struct {
	Status string `json:"status"`
}

// healthz reports that the process is up and serving HTTP. It checks no dependency, so that an
// orchestrator does not restart a healthy process because the database is briefly unreachable.
func (h *healthHandler) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, statusBody{Status: "ok"})
}

// readyz reports whether the server can do its work: the event store answers a ping within the
// configured timeout. Otherwise it answers 503 with a problem document.
func (h *healthHandler) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	if err := h.store.Ping(ctx); err != nil {
		h.log.WarnContext(r.Context(), "readiness check failed: event store ping", "err", err)
		writeProblem(w, r, Problem{
			Status: http.StatusServiceUnavailable,
			Title:  "Not ready",
			Detail: "The event store did not answer a ping.",
		})
		return
	}
	writeJSON(w, http.StatusOK, statusBody{Status: "ok"})
}
