package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/projections"
	"github.com/goflow-dev/goflow/web/auth"
)

// SessionCookie names the cookie that carries a browser's session.
const SessionCookie = "goflow_session"

// CSRFHeader carries the CSRF token on unsafe requests authenticated by the session cookie.
const CSRFHeader = "X-CSRF-Token"

// principal is the authenticated caller of a request.
type principal struct {
	userID string
	admin  bool
	// sessionID and sessionSecret are set when the session cookie authenticated the request.
	sessionID     string
	sessionSecret string
	// tokenID is set when an API token authenticated the request.
	tokenID string
}

type principalKey struct{}

// credentialProblemKey carries why presented credentials were not accepted, so that a protected
// route can say so (an expired session, a missing CSRF token) rather than a bare "sign in".
type credentialProblemKey struct{}

// principalFrom returns the request's authenticated caller, nil for anonymous requests.
func principalFrom(ctx context.Context) *principal {
	p, _ := ctx.Value(principalKey{}).(*principal)
	return p
}

// actorFrom returns the request's actor: the authenticated user, recorded on every event the
// request appends ("" for anonymous requests, which only reach public routes).
func actorFrom(ctx context.Context) string {
	if p := principalFrom(ctx); p != nil {
		return p.userID
	}
	return ""
}

// safeMethod reports whether a method only reads (RFC 9110 section 9.2.1).
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// authenticate identifies the caller from an API token (Authorization: Bearer) or the session
// cookie and puts the principal in the request context. It never answers a request itself:
// authorize decides what an anonymous caller may do, so a stale cookie does not stand in the way
// of logging in again.
func (a *api) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.docs == nil {
			next.ServeHTTP(w, r)
			return
		}
		p, problem, err := a.identify(r)
		if err != nil {
			serveAPI(a.log, func(http.ResponseWriter, *http.Request) error { return err })(w, r)
			return
		}
		ctx := r.Context()
		if p != nil {
			ctx = context.WithValue(ctx, principalKey{}, p)
		} else if problem != nil {
			ctx = context.WithValue(ctx, credentialProblemKey{}, problem)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// identify checks the request's credentials. It returns the principal, or why the presented
// credentials were refused (nil, problem, nil), or neither for a request without credentials.
// err is for store failures only.
func (a *api) identify(r *http.Request) (*principal, *apiError, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return nil, invalidCredentials("invalid_token", "Use Authorization: Bearer <token>."), nil
		}
		return a.identifyToken(r.Context(), strings.TrimSpace(token))
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil, nil, nil
	}
	p, problem, err := a.identifySession(r, c.Value)
	if p == nil || err != nil {
		return p, problem, err
	}
	if !safeMethod(r.Method) && !auth.CSRFMatches(p.sessionSecret, r.Header.Get(CSRFHeader)) {
		return nil, newAPIError(http.StatusForbidden, "csrf_failed", "",
			"Requests signed in by the session cookie must send the %s header from GET /api/auth/session.", CSRFHeader), nil
	}
	return p, nil, nil
}

func (a *api) identifyToken(ctx context.Context, token string) (*principal, *apiError, error) {
	refused := invalidCredentials("invalid_token", "The API token is not valid: it is malformed, revoked or expired.")
	userID, tokenID, secret, ok := auth.ParseToken(token)
	if !ok {
		return nil, refused, nil
	}
	u, err := a.userDoc(ctx, userID)
	if errors.Is(err, projections.ErrNotFound) {
		return nil, refused, nil
	}
	if err != nil {
		return nil, nil, err
	}
	t, ok := u.Token(tokenID, a.now())
	if !ok || u.Disabled || !auth.HashMatches(t.Hash, secret) {
		return nil, refused, nil
	}
	return &principal{userID: u.ID, admin: u.Admin, tokenID: tokenID}, nil, nil
}

func (a *api) identifySession(r *http.Request, cookie string) (*principal, *apiError, error) {
	refused := invalidCredentials("session_expired", "Your session has ended or expired: sign in again.")
	userID, sessionID, secret, ok := auth.ParseSession(cookie)
	if !ok {
		return nil, refused, nil
	}
	u, err := a.userDoc(r.Context(), userID)
	if errors.Is(err, projections.ErrNotFound) {
		return nil, refused, nil
	}
	if err != nil {
		return nil, nil, err
	}
	now := a.now()
	s, ok := u.Session(sessionID, now)
	if !ok || u.Disabled || !auth.HashMatches(s.Hash, secret) {
		return nil, refused, nil
	}
	if now.Sub(s.LastSeen) > a.auth.SessionIdle {
		return nil, refused, nil
	}
	p := &principal{userID: u.ID, admin: u.Admin, sessionID: sessionID, sessionSecret: secret}
	if now.Sub(s.LastSeen) > a.auth.touchEvery() {
		// Idle expiry needs to know the session is in use; recording that every few minutes
		// (not on every request) keeps the event log quiet.
		if err := a.touchSession(r, u.ID, sessionID); err != nil {
			a.log.WarnContext(r.Context(), "session touch failed", "user", u.ID, "err", err)
		}
	}
	return p, nil, nil
}

func invalidCredentials(code, detail string) *apiError {
	e := newAPIError(http.StatusUnauthorized, code, "", "%s", detail)
	e.headers = map[string]string{"WWW-Authenticate": `Bearer realm="goflow"`}
	return e
}

// unauthenticated answers a protected route called without accepted credentials.
func unauthenticated(r *http.Request) error {
	if p, ok := r.Context().Value(credentialProblemKey{}).(*apiError); ok {
		return p
	}
	return invalidCredentials("unauthenticated", "Sign in first: send the session cookie from POST /api/auth/login or an API token as Authorization: Bearer <token>.")
}

// userDoc reads a user's state from the users projection.
func (a *api) userDoc(ctx context.Context, id string) (*domain.User, error) {
	if domain.CheckUsername(id) != nil {
		return nil, projections.ErrNotFound
	}
	d, err := a.docs.Get(ctx, projections.Users, id)
	if err != nil {
		return nil, err
	}
	u := new(domain.User)
	if err := json.Unmarshal(d.Data, u); err != nil {
		return nil, fmt.Errorf("decode user %s: %w", id, err)
	}
	if !u.Exists() {
		return nil, projections.ErrNotFound
	}
	return u, nil
}

// workspaceDoc reads a workspace's state, answering 404 for one that does not exist.
func (a *api) workspaceDoc(ctx context.Context, id string) (*domain.Workspace, error) {
	d, err := a.docs.Get(ctx, projections.Workspaces, id)
	if errors.Is(err, projections.ErrNotFound) {
		return nil, workspaceNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	ws := new(domain.Workspace)
	if err := json.Unmarshal(d.Data, ws); err != nil {
		return nil, fmt.Errorf("decode workspace %s: %w", id, err)
	}
	if !ws.Exists() {
		return nil, workspaceNotFound(id)
	}
	return ws, nil
}

// now is the auth clock (a test can move it to expire sessions).
func (a *api) now() time.Time { return a.auth.Now().UTC() }
