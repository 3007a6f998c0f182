package web

import (
	"log/slog"
	"net/http"
	"slices"
	"time"
)

// RequestLogging logs one line per request: method, path, status, response size, duration and
// remote address. 5xx responses are logged at error level; successful requests to quietPaths
// (health probes) at debug level; the rest at info level.
func RequestLogging(log *slog.Logger, quietPaths ...string) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &statusRecorder{ResponseWriter: w}
			defer func() {
				status := rec.status
				if status == 0 { // the handler wrote nothing: net/http sends 200
					status = http.StatusOK
				}
				level := slog.LevelInfo
				switch {
				case status >= 500:
					level = slog.LevelError
				case status < 400 && slices.Contains(quietPaths, r.URL.Path):
					level = slog.LevelDebug
				}
				log.LogAttrs(r.Context(), level, "http request",
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
					slog.Int("status", status),
					slog.Int64("bytes", rec.bytes),
					slog.Duration("duration", time.Since(start)),
					slog.String("remote", r.RemoteAddr),
				)
			}()
			next.ServeHTTP(rec, r)
		})
	}
}
