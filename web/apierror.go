package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
)

// apiError is a rejection the web layer decides itself (bad JSON, a bad query parameter, a stale
// expected version), carrying everything its problem document needs.
type apiError struct {
	status         int
	code           string
	path           string
	detail         string
	currentVersion *int64
	opIndex        *int
	// headers are set on the response (WWW-Authenticate, Retry-After).
	headers map[string]string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.status, e.code, e.detail)
}

func newAPIError(status int, code, path, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, path: path, detail: fmt.Sprintf(format, args...)}
}

func badRequest(code, path, format string, args ...any) *apiError {
	return newAPIError(http.StatusBadRequest, code, path, format, args...)
}

func unprocessable(code, path, format string, args ...any) *apiError {
	return newAPIError(http.StatusUnprocessableEntity, code, path, format, args...)
}

func notFound(code, format string, args ...any) *apiError {
	return newAPIError(http.StatusNotFound, code, "", format, args...)
}

// versionConflict answers a write whose expected version is not the stream's.
func versionConflict(stream string, expected, current int64) *apiError {
	e := newAPIError(http.StatusConflict, "version_conflict", "/expectedVersion",
		"Expected version %d but %s is at version %d: reload and retry.", expected, stream, current)
	e.currentVersion = &current
	return e
}

// opError marks err as the rejection of the op at index i of a batch.
type opError struct {
	index int
	err   error
}

func (e *opError) Error() string { return fmt.Sprintf("op %d: %v", e.index, e.err) }
func (e *opError) Unwrap() error { return e.err }

// problemFor maps an error to the problem document the client sees. It returns false for errors
// that are the server's fault: those are logged and answered with a generic 500 whose detail
// reveals nothing.
func problemFor(err error) (Problem, bool) {
	var p Problem
	var (
		ae  *apiError
		de  *domain.Error
		vce *eventstore.VersionConflictError
		oe  *opError
	)
	switch {
	case errors.As(err, &ae):
		p = Problem{Status: ae.status, Code: ae.code, Path: ae.path, Detail: ae.detail, CurrentVersion: ae.currentVersion, OpIndex: ae.opIndex}
	case errors.As(err, &de):
		p = Problem{Status: domainStatus(de.Kind), Code: de.Code, Path: de.Path, Detail: de.Message}
	case errors.As(err, &vce):
		actual := vce.Actual
		p = Problem{
			Status: http.StatusConflict, Code: "version_conflict", Path: "/expectedVersion", CurrentVersion: &actual,
			Detail: fmt.Sprintf("%s changed meanwhile and is at version %d: reload and retry.", vce.StreamID, actual),
		}
	case errors.Is(err, eventstore.ErrInvalidInput):
		p = Problem{Status: http.StatusUnprocessableEntity, Code: "invalid_events", Detail: err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		p = Problem{Status: http.StatusServiceUnavailable, Code: "timeout", Detail: "The request took too long; try again."}
	default:
		return Problem{
			Status: http.StatusInternalServerError,
			Detail: "The server hit an unexpected error; it has been logged.",
		}, false
	}
	if errors.As(err, &oe) {
		i := oe.index
		p.OpIndex = &i
	}
	return p, true
}

func domainStatus(kind error) int {
	switch kind {
	case domain.ErrNotFound:
		return http.StatusNotFound
	case domain.ErrConflict:
		return http.StatusConflict
	default:
		return http.StatusUnprocessableEntity
	}
}

// handlerFunc is an API handler: it writes the success response itself and returns an error for
// everything else, which serveAPI turns into a problem document.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// serveAPI adapts a handlerFunc to net/http.
func serveAPI(log *slog.Logger, fn handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := fn(w, r)
		if err == nil {
			return
		}
		if r.Context().Err() != nil && errors.Is(err, r.Context().Err()) {
			return // the client went away; nobody reads the answer
		}
		var ae *apiError
		if errors.As(err, &ae) {
			for k, v := range ae.headers {
				w.Header().Set(k, v)
			}
		}
		p, ok := problemFor(err)
		if !ok {
			log.ErrorContext(r.Context(), "api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		writeProblem(w, r, p)
	}
}

// isNotFound reports whether err is a 404 of this package or of the domain.
func isNotFound(err error) bool {
	var ae *apiError
	return errors.Is(err, domain.ErrNotFound) || (errors.As(err, &ae) && ae.status == http.StatusNotFound)
}
