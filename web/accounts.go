package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/projections"
	"github.com/goflow-dev/goflow/web/auth"
)

// AuthConfig configures accounts and sessions.
type AuthConfig struct {
	// SetupToken, when set, lets POST /api/auth/setup create the first administrator while no
	// account exists (goflow serve prints one on the first start of an empty store). "" disables
	// setup.
	SetupToken string
	// Passwords are the argon2id parameters new password hashes use; zero means
	// auth.DefaultParams(). Existing hashes verify with the parameters they were made with.
	Passwords auth.Params
	// SessionIdle ends a session unused for this long; default 12h.
	SessionIdle time.Duration
	// SessionMax ends every session this long after login, used or not; default 7 days.
	SessionMax time.Duration
	// SecureCookies marks the session cookie Secure even on plain HTTP requests (set it behind a
	// TLS-terminating proxy). Requests that arrive over TLS always get Secure cookies.
	SecureCookies bool
	// Limiter throttles login attempts per account and per client address.
	Limiter auth.LimiterConfig
	// Now is the clock sessions and tokens expire by; default time.Now.
	Now func() time.Time
}

func (c AuthConfig) withDefaults() AuthConfig {
	if c.Passwords == (auth.Params{}) {
		c.Passwords = auth.DefaultParams()
	}
	c.SessionIdle = cmp.Or(c.SessionIdle, 12*time.Hour)
	c.SessionMax = cmp.Or(c.SessionMax, 7*24*time.Hour)
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// touchEvery is how stale a session's last-seen time may get before a request refreshes it.
func (c AuthConfig) touchEvery() time.Duration { return min(c.SessionIdle/10, 5*time.Minute) }

// userAggregate stores accounts in user-<username> streams: the username is the user's id, so
// appending user.created to a stream that must not exist is what makes usernames unique.
var userAggregate = aggregate[*domain.User]{
	name:    "user",
	missing: "user_not_found",
	stream:  domain.StreamUser,
	zero:    func() *domain.User { return &domain.User{} },
}

func decideUser(cmds ...domain.UserCommand) func(*domain.User, domain.Env) ([]domain.Event, error) {
	return decideAll[*domain.User](cmds...)
}

// userBody is an account as the API shows it: never its password hash, sessions or tokens.
type userBody struct {
	ID          string    `json:"id"`
	DisplayName string    `json:"displayName,omitempty"`
	Admin       bool      `json:"admin"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"createdAt"`
}

func userView(u *domain.User) userBody {
	return userBody{ID: u.ID, DisplayName: u.DisplayName, Admin: u.Admin, Disabled: u.Disabled, CreatedAt: u.CreatedAt}
}

// sessionBody answers login, setup and GET /api/auth/session.
type sessionBody struct {
	User userBody `json:"user"`
	// AuthenticatedBy is "session" or "token".
	AuthenticatedBy string `json:"authenticatedBy"`
	// CSRFToken must accompany unsafe requests authenticated by the session cookie, in the
	// X-CSRF-Token header. Absent for token-authenticated requests, which need none.
	CSRFToken string     `json:"csrfToken,omitempty"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// UserSpec describes an account to create.
type UserSpec struct {
	Username    string
	Password    string
	DisplayName string
	Admin       bool
}

// CreateUser creates an account outside any request (goflow user create). The actor recorded
// is actor ("cli" for the command line).
func CreateUser(ctx context.Context, store eventstore.Store, params auth.Params, actor string, spec UserSpec) error {
	if params == (auth.Params{}) {
		params = auth.DefaultParams()
	}
	events, err := newUserEvents(params, spec, time.Now().UTC())
	if err != nil {
		return err
	}
	data, err := encodeEventsAs(actor, nil, "", events)
	if err != nil {
		return err
	}
	_, err = store.Append(ctx, domain.StreamUser(spec.Username), eventstore.NoStream(), data)
	if errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		return &domain.Error{Kind: domain.ErrConflict, Code: "username_taken", Path: "/username", Message: fmt.Sprintf("the username %q is taken", spec.Username)}
	}
	return err
}

// newUserEvents checks a new account's username and password and decides its creation.
func newUserEvents(params auth.Params, spec UserSpec, now time.Time) ([]domain.Event, error) {
	if err := domain.CheckUsername(spec.Username); err != nil {
		return nil, err
	}
	if err := auth.CheckPasswordPolicy(spec.Password); err != nil {
		return nil, badRequest("weak_password", "/password", "%s", err.Error())
	}
	hash, err := auth.HashPassword(params, spec.Password)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	env := domain.Env{Now: now, NewID: newID}
	return (&domain.User{}).Decide(domain.CreateUser{
		Username: spec.Username, DisplayName: spec.DisplayName, Admin: spec.Admin, PasswordHash: hash,
	}, env)
}

// createUser appends a new account's creation, 409 if the username is taken.
func (a *api) createUserStream(r *http.Request, spec UserSpec) (committed[*domain.User], error) {
	events, err := newUserEvents(a.auth.Passwords, spec, a.now())
	if err != nil {
		return committed[*domain.User]{}, err
	}
	none := int64(0)
	res, err := execute(r.Context(), a, r, command[*domain.User]{
		agg: userAggregate, id: spec.Username, expected: &none,
		decide: func(u *domain.User, _ domain.Env) ([]domain.Event, error) { return evolve(u, events), nil },
	})
	var ae *apiError
	if errors.Is(err, eventstore.ErrWrongExpectedVersion) || errors.As(err, &ae) && ae.code == "version_conflict" {
		return res, newAPIError(http.StatusConflict, "username_taken", "/username", "The username %q is taken.", spec.Username)
	}
	return res, err
}

type setupRequest struct {
	SetupToken  string `json:"setupToken"`
	Username    string `json:"username"`
	Password    string `json:"password"`
	DisplayName string `json:"displayName"`
}

// setup creates the first administrator with the one-time setup token and signs them in.
func (a *api) setup(w http.ResponseWriter, r *http.Request) error {
	var req setupRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if a.auth.SetupToken == "" {
		return newAPIError(http.StatusForbidden, "setup_disabled", "", "Setup is not enabled on this server: ask an administrator, or run goflow user create --admin.")
	}
	addr := clientAddress(r)
	if wait := a.limiter.Wait("setup", "addr:"+addr); wait > 0 {
		return tooManyAttempts(wait)
	}
	if !auth.HashMatches(auth.HashSecret(a.auth.SetupToken), req.SetupToken) {
		a.limiter.Fail("setup", "addr:"+addr)
		return newAPIError(http.StatusForbidden, "invalid_setup_token", "/setupToken", "The setup token is wrong: use the one goflow serve printed.")
	}
	// One setup at a time: the check for existing accounts and the creation must not interleave.
	a.setupMu.Lock()
	defer a.setupMu.Unlock()
	if exists, err := a.anyUser(r.Context()); err != nil {
		return err
	} else if exists {
		return newAPIError(http.StatusConflict, "setup_done", "", "Setup has already been done: sign in instead.")
	}
	username := strings.ToLower(strings.TrimSpace(req.Username))
	r = withActor(r, username)
	if _, err := a.createUserStream(r, UserSpec{Username: username, Password: req.Password, DisplayName: req.DisplayName, Admin: true}); err != nil {
		return err
	}
	a.log.InfoContext(r.Context(), "first administrator created", "user", username)
	return a.startSession(w, r, username, http.StatusCreated)
}

// anyUser reports whether any account exists. It asks the event log, not a projection that may
// lag, so that no second setup slips in after the first.
func (a *api) anyUser(ctx context.Context) (bool, error) {
	evs, err := a.store.ReadAll(ctx, eventstore.ReadAllParams{Topic: domain.CategoryUser, Limit: 1})
	if err != nil {
		return false, err
	}
	return len(evs) > 0, nil
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// login checks a username and password and starts a session. Unknown users and wrong passwords
// get the same answer after the same work, so that answers do not reveal who has an account.
func (a *api) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	username := strings.ToLower(strings.TrimSpace(req.Username))
	addr := clientAddress(r)
	keys := []string{"user:" + username, "addr:" + addr}
	if wait := a.limiter.Wait(keys...); wait > 0 {
		return tooManyAttempts(wait)
	}
	refused := invalidCredentials("invalid_login", "The username or password is wrong.")

	var u loaded[*domain.User]
	known := domain.CheckUsername(username) == nil && len(req.Password) <= maxPasswordBytes
	if known {
		var err error
		if u, err = load(r.Context(), a.store, userAggregate, username, 0); err != nil {
			return err
		}
		known = u.state.Exists()
	}
	if !known {
		auth.DummyVerify(a.auth.Passwords, req.Password)
		a.limiter.Fail(keys...)
		a.recordUnknownLogin(r, username, addr)
		return refused
	}
	match, err := auth.VerifyPassword(u.state.PasswordHash, req.Password)
	if err != nil {
		return fmt.Errorf("verify password of %s: %w", username, err)
	}
	if !match || u.state.Disabled {
		a.limiter.Fail(keys...)
		reason := "wrong_password"
		if match {
			reason = "user_disabled"
		}
		a.recordUserEvent(r, username, domain.RecordLoginFailure{Address: addr, Reason: reason})
		return refused
	}
	// Only the account's count: clearing the address's would let someone with one valid account
	// reset their throttle between guesses at others.
	a.limiter.Succeed("user:" + username)
	a.endPresentedSession(r)
	return a.startSession(w, withActor(r, username), username, http.StatusOK)
}

// maxPasswordBytes bounds what login hashes: argon2 of a megabyte is a cheap denial of service.
const maxPasswordBytes = 1024

// startSession records a login, sets the session cookie and answers with the session.
func (a *api) startSession(w http.ResponseWriter, r *http.Request, userID string, status int) error {
	sid, secret := auth.NewID(), auth.NewSecret()
	expires := a.now().Add(a.auth.SessionMax)
	res, err := execute(r.Context(), a, r, command[*domain.User]{
		agg: userAggregate, id: userID,
		decide: decideUser(domain.StartSession{SessionID: sid, Hash: auth.HashSecret(secret), Address: clientAddress(r), ExpiresAt: expires}),
	})
	if err != nil {
		return err
	}
	http.SetCookie(w, a.sessionCookie(r, auth.FormatSession(userID, sid, secret), expires))
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, sessionBody{
		User: userView(res.state), AuthenticatedBy: "session", CSRFToken: auth.CSRFToken(secret), ExpiresAt: &expires,
	})
	return nil
}

func (a *api) sessionCookie(r *http.Request, value string, expires time.Time) *http.Cookie {
	c := &http.Cookie{
		Name: SessionCookie, Value: value, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: a.auth.SecureCookies || r.TLS != nil,
	}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	return c
}

// endPresentedSession ends the session of a cookie sent with a login, so that signing in always
// starts a fresh session (no session fixation) and does not leave the old one behind.
func (a *api) endPresentedSession(r *http.Request) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return
	}
	userID, sid, secret, ok := auth.ParseSession(c.Value)
	if !ok {
		return
	}
	u, err := a.userDoc(r.Context(), userID)
	if err != nil {
		return
	}
	if s, ok := u.Session(sid, a.now()); ok && auth.HashMatches(s.Hash, secret) {
		a.recordUserEvent(withActor(r, userID), userID, domain.EndSession{SessionID: sid, Reason: "replaced"})
	}
}

// recordUserEvent appends an audit event to a user's stream. Failing to record one is logged,
// not returned: the caller's answer does not depend on it.
func (a *api) recordUserEvent(r *http.Request, userID string, c domain.UserCommand) {
	if _, err := execute(r.Context(), a, r, command[*domain.User]{agg: userAggregate, id: userID, decide: decideUser(c)}); err != nil {
		a.log.WarnContext(r.Context(), "recording an account event failed", "user", userID, "event", fmt.Sprintf("%T", c), "err", err)
	}
}

// recordUnknownLogin records a failed login for a username with no account.
func (a *api) recordUnknownLogin(r *http.Request, username, addr string) {
	e := domain.UnknownLoginFailed(truncate(username, 100), addr, "unknown_user", a.now())
	data, err := encodeEvents(r, "", []domain.Event{e})
	if err == nil {
		_, err = a.store.Append(r.Context(), domain.StreamUnknownLogins, eventstore.Any(), data)
	}
	if err != nil {
		a.log.WarnContext(r.Context(), "recording a failed login failed", "err", err)
	}
}

func (a *api) logout(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r.Context())
	if p.sessionID != "" {
		if _, err := execute(r.Context(), a, r, command[*domain.User]{
			agg: userAggregate, id: p.userID, decide: decideUser(domain.EndSession{SessionID: p.sessionID, Reason: "logout"}),
		}); err != nil {
			return err
		}
	}
	http.SetCookie(w, a.sessionCookie(r, "", time.Time{}))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *api) getSession(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r.Context())
	u, err := a.userDoc(r.Context(), p.userID)
	if err != nil {
		return err
	}
	body := sessionBody{User: userView(u), AuthenticatedBy: "token"}
	if p.sessionID != "" {
		body.AuthenticatedBy, body.CSRFToken = "session", auth.CSRFToken(p.sessionSecret)
		if s, ok := u.Session(p.sessionID, a.now()); ok {
			body.ExpiresAt = &s.ExpiresAt
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	return ok(w, body)
}

// touchSession records that a session is in use.
func (a *api) touchSession(r *http.Request, userID, sessionID string) error {
	_, err := execute(r.Context(), a, withActor(r, userID), command[*domain.User]{
		agg: userAggregate, id: userID, decide: decideUser(domain.TouchSession{SessionID: sessionID}),
	})
	return err
}

type passwordRequest struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

// changePassword sets a new password after checking the current one; every other session of
// the user ends.
func (a *api) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req passwordRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	p := principalFrom(r.Context())
	keys := []string{"user:" + p.userID, "addr:" + clientAddress(r)}
	if wait := a.limiter.Wait(keys...); wait > 0 {
		return tooManyAttempts(wait)
	}
	u, err := load(r.Context(), a.store, userAggregate, p.userID, 0)
	if err != nil {
		return err
	}
	match := false
	if len(req.CurrentPassword) <= maxPasswordBytes { // bound the hashing work, as login does
		if match, err = auth.VerifyPassword(u.state.PasswordHash, req.CurrentPassword); err != nil {
			return err
		}
	}
	if !match {
		a.limiter.Fail(keys...)
		return badRequest("wrong_password", "/currentPassword", "The current password is wrong.")
	}
	a.limiter.Succeed("user:" + p.userID)
	if err := auth.CheckPasswordPolicy(req.NewPassword); err != nil {
		return badRequest("weak_password", "/newPassword", "%s", err.Error())
	}
	hash, err := auth.HashPassword(a.auth.Passwords, req.NewPassword)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	if _, err := execute(r.Context(), a, r, command[*domain.User]{
		agg: userAggregate, id: p.userID,
		decide: decideUser(domain.ChangePassword{PasswordHash: hash, KeepSessionID: p.sessionID}),
	}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// tokenBody is an API token as listed: never its secret or hash.
type tokenBody struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	Expired   bool      `json:"expired"`
}

// createdTokenBody answers the token's creation, the only time its secret is shown.
type createdTokenBody struct {
	tokenBody
	Token string `json:"token"`
}

func (a *api) listTokens(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r.Context())
	u, err := a.userDoc(r.Context(), p.userID)
	if err != nil {
		return err
	}
	now := a.now()
	out := make([]tokenBody, 0, len(u.Tokens))
	for _, t := range u.Tokens {
		out = append(out, tokenBody{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, Expired: !now.Before(t.ExpiresAt)})
	}
	slices.SortFunc(out, func(x, y tokenBody) int { return x.CreatedAt.Compare(y.CreatedAt) })
	return ok(w, map[string]any{"items": out})
}

type createTokenRequest struct {
	Name string `json:"name"`
	// ExpiresInDays defaults to 90; at most 365.
	ExpiresInDays *int `json:"expiresInDays"`
}

func (a *api) createToken(w http.ResponseWriter, r *http.Request) error {
	var req createTokenRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	days := 90
	if req.ExpiresInDays != nil {
		days = *req.ExpiresInDays
	}
	if days < 1 || days > 365 {
		return badRequest("invalid_expiry", "/expiresInDays", "expiresInDays must be between 1 and 365.")
	}
	p := principalFrom(r.Context())
	id, secret := auth.NewID(), auth.NewSecret()
	expires := a.now().Add(time.Duration(days) * 24 * time.Hour)
	res, err := execute(r.Context(), a, r, command[*domain.User]{
		agg: userAggregate, id: p.userID,
		decide: decideUser(domain.CreateToken{TokenID: id, Name: req.Name, Hash: auth.HashSecret(secret), ExpiresAt: expires}),
	})
	if err != nil {
		return err
	}
	t := res.state.Tokens[id]
	w.Header().Set("Cache-Control", "no-store")
	return created(w, "/api/auth/tokens/"+id, createdTokenBody{
		tokenBody: tokenBody{ID: id, Name: t.Name, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt},
		Token:     auth.FormatToken(p.userID, id, secret),
	})
}

func (a *api) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "tokenID", "token")
	if err != nil {
		return err
	}
	p := principalFrom(r.Context())
	if _, err := execute(r.Context(), a, r, command[*domain.User]{
		agg: userAggregate, id: p.userID, decide: decideUser(domain.RevokeToken{TokenID: id}),
	}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Administration of accounts.

func (a *api) listUsers(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	out, err := listDocs(r.Context(), a.docs, projections.Users, "", p, func(d projections.Doc) (userBody, bool, error) {
		u, keep, err := decodeState[domain.User](d)
		if err != nil || !keep || !u.Exists() {
			return userBody{}, false, err
		}
		return userView(u), true, nil
	})
	if err != nil {
		return err
	}
	return ok(w, out)
}

type createUserRequest struct {
	Username    string `json:"username"`
	Password    string `json:"password"`
	DisplayName string `json:"displayName"`
	Admin       bool   `json:"admin"`
}

func (a *api) createUser(w http.ResponseWriter, r *http.Request) error {
	var req createUserRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	username := strings.ToLower(strings.TrimSpace(req.Username))
	res, err := a.createUserStream(r, UserSpec{Username: username, Password: req.Password, DisplayName: req.DisplayName, Admin: req.Admin})
	if err != nil {
		return err
	}
	return created(w, "/api/users/"+username, userView(res.state))
}

type patchUserRequest struct {
	Disabled *bool `json:"disabled"`
	Admin    *bool `json:"admin"`
}

func (a *api) patchUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "userID", "user")
	if err != nil {
		return err
	}
	var req patchUserRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if id == actorFrom(r.Context()) && ((req.Disabled != nil && *req.Disabled) || (req.Admin != nil && !*req.Admin)) {
		return newAPIError(http.StatusConflict, "self_lockout", "", "You cannot disable yourself or drop your own administrator role.")
	}
	var cmds []domain.UserCommand
	if req.Disabled != nil {
		cmds = append(cmds, domain.SetUserDisabled{Disabled: *req.Disabled})
	}
	if req.Admin != nil {
		cmds = append(cmds, domain.SetUserAdmin{Admin: *req.Admin})
	}
	res, err := execute(r.Context(), a, r, command[*domain.User]{agg: userAggregate, id: id, decide: decideUser(cmds...)})
	if err != nil {
		return err
	}
	if !res.state.Exists() {
		return notFound("user_not_found", "No user has the id %q.", truncate(id, 40))
	}
	return ok(w, userView(res.state))
}

// withActor returns r acting as userID: the actor of requests that sign someone in, before any
// principal exists.
func withActor(r *http.Request, userID string) *http.Request {
	if p := principalFrom(r.Context()); p != nil && p.userID == userID {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), principalKey{}, &principal{userID: userID}))
}

// clientAddress is the caller's IP address, the key login throttling counts per address.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func tooManyAttempts(wait time.Duration) error {
	secs := int(wait.Round(time.Second) / time.Second)
	secs = max(secs, 1)
	e := newAPIError(http.StatusTooManyRequests, "too_many_attempts", "", "Too many failed attempts: try again in %d seconds.", secs)
	e.headers = map[string]string{"Retry-After": strconv.Itoa(secs)}
	return e
}
