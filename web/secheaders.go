package web

import "net/http"

// Content security policies. The API's forbids everything: its responses are JSON, never
// documents to render. The UI's (served with the editor) allows only the server's own scripts,
// styles, fonts and connections: Monaco is bundled, never loaded from a CDN, and its workers run
// from blob: URLs.
const (
	apiCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
	uiCSP  = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
		"font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; " +
		"base-uri 'none'; form-action 'self'; object-src 'none'"
)

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
