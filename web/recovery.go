package web

import (
	"log/slog"
	"net/http"
	"runtime/debug"
)

// Recovery turns a panicking handler into a 500 problem response (if the response has not
// started) and an error log with the stack, so that no request can crash the process.
// http.ErrAbortHandler is re-raised: it is net/http's way to abort a response on purpose.
func Recovery(log *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &statusRecorder{ResponseWriter: w}
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.ErrorContext(r.Context(), "panic in http handler",
					"method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				if rec.wroteHeader() {
					panic(http.ErrAbortHandler) // too late for a clean error: cut the response off
				}
				writeProblem(rec, r, Problem{
					Status: http.StatusInternalServerError,
					Detail: "The server hit an unexpected error; it has been logged.",
				})
			}()
			next.ServeHTTP(rec, r)
		})
	}
}
