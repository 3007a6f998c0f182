package web

import (
	"context"
	"net/http"

	"github.com/google/uuid"
)

// RequestIDHeader is the response header that carries the request's id. The same id is the
// correlation id of every event the request appends, so a log line, a response and the events in
// the store can be tied together.
const RequestIDHeader = "X-Request-Id"

type requestIDKey struct{}

// RequestID gives every request a fresh UUID v7, stored in the request context (see requestID)
// and sent back in the X-Request-Id header. A client-sent X-Request-Id is ignored: the id becomes
// an event's correlation id, which clients must not be able to forge or collide.
func RequestID() Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, err := uuid.NewV7()
			if err != nil { // the clock or the random source failed; a v4 still identifies
				id = uuid.New()
			}
			w.Header().Set(RequestIDHeader, id.String())
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
		})
	}
}

// requestID returns the request's id, or a fresh one when the RequestID middleware did not run
// (handlers tested in isolation).
func requestID(ctx context.Context) uuid.UUID {
	if id, ok := ctx.Value(requestIDKey{}).(uuid.UUID); ok {
		return id
	}
	return uuid.Must(uuid.NewV7())
}
