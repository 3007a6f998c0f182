package web

import "net/http"

// apiCSP is the API's content security policy: it forbids everything, since its responses are
// JSON, never documents to render. (The editor UI, when it is served, sets its own self-only
// policy on its responses.)
const apiCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// SecurityHeaders sets the headers every response carries: no MIME sniffing, no framing (also
// for browsers that predate frame-ancestors), no referrer leaking ids in URLs to other sites,
// and the API's content security policy unless a handler sets its own (the UI does).
func SecurityHeaders() Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Content-Security-Policy", apiCSP)
			next.ServeHTTP(w, r)
		})
	}
}
