package web

import (
	"cmp"
	"encoding/json"
	"net/http"
)

// Problem is an RFC 9457 problem details document, the body of every error response. Besides
// the standard members it carries GoFlow's extension members (RFC 9457 section 3.2), each present
// only where it applies.
type Problem struct {
	// Type is a URI identifying the problem type; "about:blank" (the default) means the problem
	// is described by the HTTP status alone.
	Type string `json:"type"`
	// Title is a short, human-readable summary of the problem type.
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Detail explains this occurrence of the problem to a human.
	Detail string `json:"detail,omitempty"`
	// Instance identifies this occurrence: the request path.
	Instance string `json:"instance,omitempty"`

	// Code is a machine-readable reason, e.g. "unknown_component", "slug_taken",
	// "version_conflict", "malformed_json".
	Code string `json:"code,omitempty"`
	// Path is the JSON-pointer-style path of the field the problem concerns, e.g. "/props/label".
	Path string `json:"path,omitempty"`
	// CurrentVersion is the stream's version on a version conflict (409), so that the client can
	// reload and retry.
	CurrentVersion *int64 `json:"currentVersion,omitempty"`
	// OpIndex is the index of the rejected op in a batch of page ops.
	OpIndex *int `json:"opIndex,omitempty"`
}

// ProblemContentType is the media type of problem documents (RFC 9457 section 3).
const ProblemContentType = "application/problem+json"

// writeProblem sends p, defaulting Type to about:blank, Title to the status text and Instance to
// the request path.
func writeProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	p.Type = cmp.Or(p.Type, "about:blank")
	p.Title = cmp.Or(p.Title, http.StatusText(p.Status))
	p.Instance = cmp.Or(p.Instance, r.URL.Path)
	body, err := json.Marshal(p)
	if err != nil { // cannot happen: Problem has only strings and numbers
		http.Error(w, http.StatusText(p.Status), p.Status)
		return
	}
	w.Header().Set("Content-Type", ProblemContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(body, '\n'))
}
