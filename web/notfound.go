package web

import (
	"bytes"
	"net/http"
	"strings"
)

// problemFallback answers the mux's own 404 and 405 responses (no route for the path, or not for
// the method) with problem documents, like every other error of the API; the Allow header of a
// 405 is kept. A GET or HEAD of a path outside /api/ that no route takes goes to ui, the editor.
func problemFallback(mux *http.ServeMux, ui http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		if ui != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.URL.Path != "/api" && !strings.HasPrefix(r.URL.Path, "/api/") {
			ui.ServeHTTP(w, r)
			return
		}
		rec := &bufferedResponse{header: http.Header{}}
		mux.ServeHTTP(rec, r)
		switch rec.status {
		case http.StatusNotFound:
			writeProblem(w, r, Problem{Status: rec.status, Code: "no_route", Detail: "No endpoint has this path; see GET /api/openapi.json."})
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", rec.header.Get("Allow"))
			writeProblem(w, r, Problem{Status: rec.status, Code: "method_not_allowed", Detail: "This path does not accept " + r.Method + "; see the Allow header."})
		default: // a redirect (e.g. to the cleaned path): pass it on as is
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.status)
			_, _ = w.Write(rec.body.Bytes())
		}
	})
}

// bufferedResponse keeps a small response in memory.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
