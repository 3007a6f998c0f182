package web

import (
	"fmt"
	"net/http"
)

// DefaultMaxBodyBytes is the request body limit when Config.MaxBodyBytes is zero.
const DefaultMaxBodyBytes = 1 << 20

// LimitBody caps request bodies at max bytes. A request that declares a larger Content-Length is
// answered 413 at once; a body that turns out larger while a handler reads it fails the read with
// *http.MaxBytesError, which the JSON decoder reports as 413 too.
func LimitBody(max int64) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > max {
				writeProblem(w, r, tooLarge(max))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, max)
			next.ServeHTTP(w, r)
		})
	}
}

func tooLarge(max int64) Problem {
	return Problem{
		Status: http.StatusRequestEntityTooLarge,
		Code:   "body_too_large",
		Detail: fmt.Sprintf("The request body is larger than the limit of %d bytes.", max),
	}
}
