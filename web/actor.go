package web

import (
	"context"
	"net/http"
	"strings"
	"unicode"
)

// ActorHeader names the actor of a request until accounts exist. Every write must carry it; the
// value is recorded as the actor of the events the request appends.
const ActorHeader = "X-GoFlow-Actor"

// maxActorLength bounds the header value (it lands in every event envelope).
const maxActorLength = 200

type actorKey struct{}

// HeaderActor takes the request's actor from the X-GoFlow-Actor header and stores it in the
// request context (see actorFrom). Writes (every method but GET, HEAD and OPTIONS) without a
// usable actor are answered 401 before the handler runs; reads pass without one. routes wraps
// each write route in it (not the whole mux, so that a POST to a read-only path is still 405).
//
// It is the one place that decides who is acting: accounts (the next issue) replace this
// middleware with one that derives the actor from a session, and the handlers do not change.
func HeaderActor() Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			actor := strings.TrimSpace(r.Header.Get(ActorHeader))
			if actor != "" {
				if msg := checkActor(actor); msg != "" {
					writeProblem(w, r, Problem{Status: http.StatusBadRequest, Code: "invalid_actor", Detail: msg})
					return
				}
				r = r.WithContext(context.WithValue(r.Context(), actorKey{}, actor))
			} else if !safeMethod(r.Method) {
				w.Header().Set("WWW-Authenticate", `GoFlow-Actor realm="goflow"`)
				writeProblem(w, r, Problem{
					Status: http.StatusUnauthorized,
					Code:   "actor_required",
					Detail: "Writes need an actor: send the " + ActorHeader + " header.",
				})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func checkActor(actor string) string {
	if len(actor) > maxActorLength {
		return ActorHeader + " is longer than 200 bytes."
	}
	for _, c := range actor {
		if !unicode.IsPrint(c) {
			return ActorHeader + " contains a non-printable character."
		}
	}
	return ""
}

// safeMethod reports whether a method only reads (RFC 9110 section 9.2.1).
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// actorFrom returns the request's actor ("" on reads without the header).
func actorFrom(ctx context.Context) string {
	a, _ := ctx.Value(actorKey{}).(string)
	return a
}
