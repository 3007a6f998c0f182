package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/web"
)

// requireSecurityHeaders checks the headers every response must carry.
func requireSecurityHeaders(t *testing.T, h http.Header) {
	t.Helper()
	require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	require.Equal(t, "DENY", h.Get("X-Frame-Options"))
	require.NotEmpty(t, h.Get("Referrer-Policy"))
	require.NotEqual(t, "unsafe-url", h.Get("Referrer-Policy"))
	require.Contains(t, h.Get("Content-Security-Policy"), "frame-ancestors 'none'")
}

// TestSecurityHeaders checks every kind of answer the real server gives: successes, the mux's
// own 404 and 405, refusals by authentication and authorization, handler problems, throttling.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	c, anon := b.c, b.c.as("")
	s := loginAs(c, "alice")

	for _, tt := range []struct {
		name   string
		send   func() apiResponse
		status int
	}{
		{"probe", func() apiResponse { return anon.get("/healthz") }, http.StatusOK},
		{"openapi", func() apiResponse { return anon.get("/api/openapi.json") }, http.StatusOK},
		{"api read", func() apiResponse { return c.get("/api/workspaces") }, http.StatusOK},
		{"created", func() apiResponse { return c.post("/api/workspaces", map[string]any{"name": "Headers"}) }, http.StatusCreated},
		{"login", func() apiResponse {
			return anon.post("/api/auth/login", credentials("alice", passwordOf("alice")))
		}, http.StatusOK},
		{"no content", func() apiResponse { return c.post("/api/auth/logout", nil) }, http.StatusNoContent},
		{"no route", func() apiResponse { return anon.get("/api/no/such/path") }, http.StatusNotFound},
		{"no method", func() apiResponse { return anon.do("PUT", "/healthz", nil) }, http.StatusMethodNotAllowed},
		{"anonymous", func() apiResponse { return anon.get("/api/auth/session") }, http.StatusUnauthorized},
		{"bad token", func() apiResponse {
			return anon.do("GET", "/api/workspaces", nil, "Authorization", "Bearer nonsense")
		}, http.StatusUnauthorized},
		{"csrf", func() apiResponse { return s.noCSRF().post("/api/workspaces", map[string]any{"name": "x"}) }, http.StatusForbidden},
		{"not admin", func() apiResponse { return c.as("bob").get("/api/users") }, http.StatusForbidden},
		{"hidden workspace", func() apiResponse { return c.get("/api/workspaces/no-such-workspace") }, http.StatusNotFound},
		{"malformed json", func() apiResponse { return c.post("/api/workspaces", `{"name":`) }, http.StatusBadRequest},
		{"failed login", func() apiResponse {
			return anon.post("/api/auth/login", credentials("alice", "pw-alice-wrong-guess"))
		}, http.StatusUnauthorized},
		{"too large", func() apiResponse {
			return c.post("/api/workspaces", `{"name":"`+strings.Repeat("x", int(web.DefaultMaxBodyBytes))+`"}`)
		}, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.send()
			require.Equal(t, tt.status, r.status, "body: %s", r.raw)
			requireSecurityHeaders(t, r.header)
			require.Contains(t, r.header.Get("Content-Security-Policy"), "default-src 'none'", "API answers load nothing")
		})
	}
}

// TestSecurityHeadersLetHandlersSetTheirOwnCSP: the middleware sets the API's policy before the
// handler runs, so a handler that serves documents (the UI) can replace it.
func TestSecurityHeadersLetHandlersSetTheirOwnCSP(t *testing.T) {
	t.Parallel()
	const own = "default-src 'self'; frame-ancestors 'none'"
	for _, tt := range []struct {
		name    string
		handler http.HandlerFunc
		csp     string
	}{
		{"default", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }, "default-src 'none'"},
		{"own policy", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Security-Policy", own)
			w.WriteHeader(http.StatusOK)
		}, own},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			web.SecurityHeaders()(tt.handler).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			requireSecurityHeaders(t, rec.Header())
			require.Contains(t, rec.Header().Get("Content-Security-Policy"), tt.csp)
		})
	}
}
