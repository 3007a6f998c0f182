package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/domain/secretbox"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/projections"
	"github.com/goflow-dev/goflow/web"
	"github.com/goflow-dev/goflow/web/auth"
)

// fakeClock is a clock a test moves by hand, for AuthConfig.Now and LimiterConfig.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now().UTC().Truncate(time.Second)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// forBackends runs fn as a parallel subtest per backend, for tests that build their own server
// config (a fake clock, their own secret box).
func forBackends(t *testing.T, fn func(t *testing.T, backend string)) {
	t.Helper()
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			fn(t, backend)
		})
	}
}

// browser is a client signed in by a session cookie, as a browser would be.
type browser struct {
	*client
	cookie, csrf string
}

// loginAs signs user in with the harness password and returns the session's client.
func loginAs(c *client, user string) browser {
	c.t.Helper()
	sess, cookie := signIn(c.as(""), "/api/auth/login", map[string]any{"username": user, "password": passwordOf(user)}, http.StatusOK)
	csrf, _ := sess["csrfToken"].(string)
	require.NotEmpty(c.t, csrf)
	return browser{client: c.as("").withSession(cookie, csrf), cookie: cookie, csrf: csrf}
}

// noCSRF returns the browser's client without its CSRF token.
func (b browser) noCSRF() *client { return b.as("").withSession(b.cookie, "") }

// cookieOf returns the session cookie a response set, nil if it set none.
func cookieOf(r apiResponse) *http.Cookie {
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == web.SessionCookie {
			return ck
		}
	}
	return nil
}

// bearer returns a request function that authenticates by tok alone.
func bearer(c *client, tok string) func(method, path string, body any) apiResponse {
	return func(method, path string, body any) apiResponse {
		c.t.Helper()
		return c.as("").do(method, path, body, "Authorization", "Bearer "+tok)
	}
}

// newToken creates an API token for c's user and plants it as a secret; it returns the token
// and its id.
func newToken(c *client, body map[string]any) (string, string) {
	c.t.Helper()
	m := c.post("/api/auth/tokens", body).ok(http.StatusCreated)
	tok, _ := m["token"].(string)
	id, _ := m["id"].(string)
	require.NotEmpty(c.t, tok)
	c.ids.plant(tok)
	return tok, id
}

// readStream returns every event of a stream.
func readStream(t *testing.T, b apiBundle, stream string) []eventstore.Envelope {
	t.Helper()
	envs, err := b.store.ReadStream(context.Background(), stream, 1, 0)
	require.NoError(t, err)
	return envs
}

// lastOfType returns the last event of the type, failing the test if there is none.
func lastOfType(t *testing.T, envs []eventstore.Envelope, typ string) eventstore.Envelope {
	t.Helper()
	for _, e := range slices.Backward(envs) {
		if e.Type == typ {
			return e
		}
	}
	t.Fatalf("no %s event among %d", typ, len(envs))
	return eventstore.Envelope{}
}

// dataOf decodes an event's data as a JSON object.
func dataOf(t *testing.T, e eventstore.Envelope) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(e.Data, &m), "%s", e.Data)
	return m
}

// newBareAPI serves the API over fresh SQLite stores like newAPI, but signs nobody up.
func newBareAPI(t *testing.T, cfg web.Config) *client {
	t.Helper()
	st, docs := openStore(t, "sqlite")
	cfg.Store, cfg.Docs = st, docs
	cfg.Projections = startRunner(t, st, docs)
	cfg.ProjectionWait = 10 * time.Second
	logs := &syncBuffer{}
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Auth.Passwords = auth.TestParams()
	cfg.SecretBox = testBox(t)
	s, err := web.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	ids := &identities{tokens: map[string]string{}}
	t.Cleanup(func() { ids.checkLeaks(t, logs) })
	return &client{t: t, base: srv.URL, ids: ids}
}

// postFrom sends a JSON POST from the local address ip. Every 127.0.0.0/8 address is the
// loopback interface, so a test can stand for several clients of the per-address limiter.
func postFrom(t *testing.T, base, ip, path string, body any) apiResponse {
	t.Helper()
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: dialer.DialContext}
	defer tr.CloseIdleConnections()
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(string(raw)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err = io.ReadAll(resp.Body)
	require.NoError(t, err)
	return apiResponse{t: t, status: resp.StatusCode, header: resp.Header, raw: raw}
}

func credentials(user, password string) map[string]any {
	return map[string]any{"username": user, "password": password}
}

func TestSetup(t *testing.T) {
	t.Parallel()
	const token = "setup-token-for-this-test"

	t.Run("first administrator", func(t *testing.T) {
		t.Parallel()
		c := newBareAPI(t, web.Config{Auth: web.AuthConfig{SetupToken: token}})
		body := func(setupToken, user, password string) map[string]any {
			return map[string]any{"setupToken": setupToken, "username": user, "password": password}
		}
		for _, tt := range []struct {
			name   string
			body   map[string]any
			status int
			code   string
		}{
			{"wrong token", body("not-the-setup-token", "root", passwordOf("root")), http.StatusForbidden, "invalid_setup_token"},
			{"no token", body("", "root", passwordOf("root")), http.StatusForbidden, "invalid_setup_token"},
			{"weak password", body(token, "root", "short"), http.StatusBadRequest, "weak_password"},
			{"invalid username", body(token, "r.t", passwordOf("root")), http.StatusUnprocessableEntity, "invalid_username"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := c.with(t).post("/api/auth/setup", tt.body)
				r.problem(tt.status, tt.code)
				require.Nil(t, cookieOf(r), "a refused setup must not sign anyone in")
			})
		}

		// The refusals created nobody: setup still works, and signs the administrator in.
		sess, cookie := signIn(c, "/api/auth/setup", body(token, "Root", passwordOf("root")), http.StatusCreated)
		user := sess["user"].(map[string]any)
		require.Equal(t, "root", user["id"], "usernames are lowercased")
		require.Equal(t, true, user["admin"])
		require.NotEmpty(t, sess["csrfToken"])
		root := c.withSession(cookie, sess["csrfToken"].(string))
		require.Len(t, root.get("/api/users").ok(http.StatusOK)["items"], 1)

		// Setup is one-time, whoever asks and whatever the username.
		c.post("/api/auth/setup", body(token, "intruder", passwordOf("intruder"))).problem(http.StatusConflict, "setup_done")
		c.post("/api/auth/setup", body(token, "root", passwordOf("root"))).problem(http.StatusConflict, "setup_done")
		c.post("/api/auth/login", credentials("intruder", passwordOf("intruder"))).problem(http.StatusUnauthorized, "invalid_login")
	})

	t.Run("after the harness setup", func(t *testing.T) {
		t.Parallel()
		b := newAPI(t, "sqlite", webConfig())
		anon := b.c.as("")
		anon.post("/api/auth/setup", map[string]any{"setupToken": "wrong-token-guess", "username": "eve", "password": passwordOf("eve")}).
			problem(http.StatusForbidden, "invalid_setup_token")
		anon.post("/api/auth/setup", map[string]any{"setupToken": harnessSetupToken, "username": "eve", "password": passwordOf("eve")}).
			problem(http.StatusConflict, "setup_done")
	})

	t.Run("disabled without a setup token", func(t *testing.T) {
		t.Parallel()
		c := newBareAPI(t, web.Config{}) // an empty store: only the missing token refuses
		c.post("/api/auth/setup", map[string]any{"setupToken": "", "username": "root", "password": passwordOf("root")}).
			problem(http.StatusForbidden, "setup_disabled")
		c.post("/api/auth/setup", map[string]any{"setupToken": "anything-at-all", "username": "root", "password": passwordOf("root")}).
			problem(http.StatusForbidden, "setup_disabled")
	})
}

func TestLogin(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		anon := b.c.as("")

		r := anon.post("/api/auth/login", credentials("alice", passwordOf("alice")))
		m := r.ok(http.StatusOK)
		ck := cookieOf(r)
		require.NotNil(t, ck, "login sets the session cookie")
		require.True(t, ck.HttpOnly)
		require.Equal(t, http.SameSiteLaxMode, ck.SameSite)
		require.Equal(t, "/", ck.Path)
		require.False(t, ck.Secure, "plain HTTP without SecureCookies")
		require.Equal(t, "no-store", r.header.Get("Cache-Control"))
		require.Equal(t, "session", m["authenticatedBy"])
		require.NotEmpty(t, m["csrfToken"])
		require.NotEmpty(t, m["expiresAt"])
		user := m["user"].(map[string]any)
		require.Equal(t, "alice", user["id"])
		require.Equal(t, true, user["admin"])
		require.NotContains(t, user, "passwordHash")
		require.NotContains(t, string(r.raw), "argon2", "no password hash in the answer")
		require.NotContains(t, string(r.raw), ck.Value, "the cookie's secret is only in the cookie")

		sess := anon.withSession(ck.Value, "").get("/api/auth/session").ok(http.StatusOK)
		require.Equal(t, m["csrfToken"], sess["csrfToken"])
		require.Equal(t, "alice", sess["user"].(map[string]any)["id"])

		// Wrong password and unknown user are refused alike: the answer tells nobody who has an
		// account. (Four refusals: under the default limiter's five free attempts.)
		var first map[string]any
		for _, tt := range []struct{ name, user, password string }{
			{"wrong password", "alice", "pw-alice-wrong-guess"},
			{"unknown user", "mallory", "pw-mallory-any-guess"},
			{"invalid username", "al.ice", passwordOf("alice")},
			{"nothing", "", ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := anon.with(t).post("/api/auth/login", credentials(tt.user, tt.password))
				p := r.problem(http.StatusUnauthorized, "invalid_login")
				require.Nil(t, cookieOf(r))
				require.Equal(t, `Bearer realm="goflow"`, r.header.Get("WWW-Authenticate"))
				if first == nil {
					first = p
				}
				require.Equal(t, first, p, "every refused login gets the same answer")
			})
		}

		// Usernames are case-insensitive.
		for _, name := range []string{"ALICE", "  Alice "} {
			sess, cookie := signIn(anon, "/api/auth/login", credentials(name, passwordOf("alice")), http.StatusOK)
			require.Equal(t, "alice", sess["user"].(map[string]any)["id"])
			anon.withSession(cookie, "").get("/api/auth/session").ok(http.StatusOK)
		}
	})
}

func TestLoginSecureCookies(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", web.Config{Auth: web.AuthConfig{SecureCookies: true}})
	r := b.c.as("").post("/api/auth/login", credentials("alice", passwordOf("alice")))
	m := r.ok(http.StatusOK)
	ck := cookieOf(r)
	require.NotNil(t, ck)
	require.True(t, ck.Secure)
	require.True(t, ck.HttpOnly)

	// The cookie that clears the session is marked the same way.
	out := b.c.as("").withSession(ck.Value, m["csrfToken"].(string)).post("/api/auth/logout", nil)
	require.Equal(t, http.StatusNoContent, out.status, "body: %s", out.raw)
	cleared := cookieOf(out)
	require.NotNil(t, cleared)
	require.True(t, cleared.Secure)
}

// TestLoginEndsThePresentedSession: logging in with a session cookie ends that session, so a
// cookie planted before login (session fixation) is worth nothing after it.
func TestLoginEndsThePresentedSession(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		old := loginAs(b.c, "alice")
		old.get("/api/auth/session").ok(http.StatusOK)

		sess, cookie := signIn(old.noCSRF(), "/api/auth/login", credentials("alice", passwordOf("alice")), http.StatusOK)
		require.NotEqual(t, old.cookie, cookie)
		require.NotEqual(t, old.csrf, sess["csrfToken"])
		old.get("/api/auth/session").problem(http.StatusUnauthorized, "session_expired")
		b.c.as("").withSession(cookie, "").get("/api/auth/session").ok(http.StatusOK)

		ended := lastOfType(t, readStream(t, b, domain.StreamUser("alice")), "user.session_ended")
		_, sid, _, ok := auth.ParseSession(old.cookie)
		require.True(t, ok)
		require.Equal(t, sid, dataOf(t, ended)["sessionId"])
		require.Equal(t, "replaced", dataOf(t, ended)["reason"])
	})
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		s := loginAs(b.c, "alice")
		other := loginAs(b.c, "alice")
		create := map[string]any{"name": "From the browser"}

		for _, tt := range []struct {
			name   string
			csrf   string
			status int
		}{
			{"no token", "", http.StatusForbidden},
			{"wrong token", "bm90LXRoZS1jc3JmLXRva2Vu", http.StatusForbidden},
			{"another session's token", other.csrf, http.StatusForbidden},
			{"the session's token", s.csrf, http.StatusCreated},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := s.as("").with(t).withSession(s.cookie, tt.csrf).post("/api/workspaces", create)
				if tt.status == http.StatusCreated {
					require.Equal(t, "owner", r.ok(http.StatusCreated)["role"])
					return
				}
				r.problem(tt.status, "csrf_failed")
			})
		}

		// Every unsafe method needs the token; a refusal changes nothing and keeps the session.
		for _, tt := range []struct{ method, path string }{
			{"PATCH", "/api/workspaces/" + b.ws},
			{"PUT", "/api/auth/password"},
			{"DELETE", "/api/auth/tokens/some-token"},
			{"POST", "/api/auth/logout"},
		} {
			s.noCSRF().do(tt.method, tt.path, map[string]any{"name": "Renamed"}).problem(http.StatusForbidden, "csrf_failed")
		}
		require.Equal(t, "Test workspace", b.c.get("/api/workspaces/" + b.ws).ok(http.StatusOK)["name"])
		s.noCSRF().get("/api/auth/session").ok(http.StatusOK) // safe methods need no token
		s.noCSRF().get("/api/workspaces").ok(http.StatusOK)

		// API tokens are not sent by browsers on their own: they need no CSRF token.
		b.c.post("/api/workspaces", create).ok(http.StatusCreated)
		sess := b.c.get("/api/auth/session").ok(http.StatusOK)
		require.Equal(t, "token", sess["authenticatedBy"])
		require.NotContains(t, sess, "csrfToken")
	})
}

func TestSessionLogout(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		s := loginAs(b.c, "alice")
		other := loginAs(b.c, "alice")

		r := s.post("/api/auth/logout", nil)
		require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.raw)
		ck := cookieOf(r)
		require.NotNil(t, ck, "logout clears the cookie")
		require.Empty(t, ck.Value)
		require.Less(t, ck.MaxAge, 0)
		require.True(t, ck.HttpOnly)
		require.Equal(t, "/", ck.Path)

		s.get("/api/auth/session").problem(http.StatusUnauthorized, "session_expired")
		s.post("/api/auth/logout", nil).problem(http.StatusUnauthorized, "session_expired")
		other.get("/api/auth/session").ok(http.StatusOK) // other sessions live on

		ended := lastOfType(t, readStream(t, b, domain.StreamUser("alice")), "user.session_ended")
		require.Equal(t, "logout", dataOf(t, ended)["reason"])
		require.Equal(t, "alice", ended.Actor)

		// Logging out with a token ends no session and leaves the token valid.
		require.Equal(t, http.StatusNoContent, b.c.post("/api/auth/logout", nil).status)
		b.c.get("/api/auth/session").ok(http.StatusOK)
		other.get("/api/auth/session").ok(http.StatusOK)
	})
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	const idle, maxAge = 30 * time.Minute, 2 * time.Hour
	forBackends(t, func(t *testing.T, backend string) {
		clock := newFakeClock()
		b := newAPI(t, backend, web.Config{Auth: web.AuthConfig{SessionIdle: idle, SessionMax: maxAge, Now: clock.Now}})

		t.Run("idle", func(t *testing.T) {
			s := loginAs(b.c.with(t), "alice")
			clock.Advance(idle - time.Minute)
			s.get("/api/auth/session").ok(http.StatusOK)
			clock.Advance(idle + time.Second)
			s.get("/api/auth/session").problem(http.StatusUnauthorized, "session_expired")
		})

		t.Run("activity keeps it alive", func(t *testing.T) {
			s := loginAs(b.c.with(t), "alice")
			for range 6 { // an hour of use, twice the idle limit
				clock.Advance(idle / 3)
				s.get("/api/auth/session").ok(http.StatusOK)
			}
			clock.Advance(idle + time.Second)
			s.get("/api/auth/session").problem(http.StatusUnauthorized, "session_expired")
		})

		t.Run("absolute", func(t *testing.T) {
			start := clock.Now()
			s := loginAs(b.c.with(t), "alice")
			sess := s.get("/api/auth/session").ok(http.StatusOK)
			expires, err := time.Parse(time.RFC3339Nano, sess["expiresAt"].(string))
			require.NoError(t, err)
			require.True(t, start.Add(maxAge).Equal(expires), "expiresAt %s", expires)

			step := idle / 3
			for clock.Now().Add(step).Before(expires) {
				clock.Advance(step)
				s.get("/api/auth/session").ok(http.StatusOK)
			}
			clock.Advance(step)
			s.get("/api/auth/session").problem(http.StatusUnauthorized, "session_expired")
		})
	})
}

func TestPasswordChange(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		bob := b.c.as("bob")
		bob.token() // creates bob
		changer := loginAs(b.c, "bob")
		other := loginAs(b.c, "bob")
		const newPassword = "pw-bob-battery-staple-2"

		for _, tt := range []struct {
			name             string
			current, newPass string
			code             string
		}{
			{"wrong current password", "pw-bob-wrong-guess", newPassword, "wrong_password"},
			{"no current password", "", newPassword, "wrong_password"},
			{"too short", passwordOf("bob"), "short", "weak_password"},
			{"one character repeated", passwordOf("bob"), "zzzzzzzzzzzz", "weak_password"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				changer.with(t).put("/api/auth/password", map[string]any{"currentPassword": tt.current, "newPassword": tt.newPass}).
					problem(http.StatusBadRequest, tt.code)
			})
		}
		other.get("/api/auth/session").ok(http.StatusOK) // refusals end nothing

		r := changer.put("/api/auth/password", map[string]any{"currentPassword": passwordOf("bob"), "newPassword": newPassword})
		require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.raw)

		anon := b.c.as("")
		anon.post("/api/auth/login", credentials("bob", passwordOf("bob"))).problem(http.StatusUnauthorized, "invalid_login")
		signIn(anon, "/api/auth/login", credentials("bob", newPassword), http.StatusOK)
		changer.get("/api/auth/session").ok(http.StatusOK)
		other.get("/api/auth/session").problem(http.StatusUnauthorized, "session_expired")

		// Changed with a token, the password change ends every session.
		_, cookie := signIn(anon, "/api/auth/login", credentials("bob", newPassword), http.StatusOK)
		r = bob.put("/api/auth/password", map[string]any{"currentPassword": newPassword, "newPassword": newPassword + "-3"})
		require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.raw)
		changer.get("/api/auth/session").problem(http.StatusUnauthorized, "session_expired")
		anon.withSession(cookie, "").get("/api/auth/session").problem(http.StatusUnauthorized, "session_expired")

		changed := lastOfType(t, readStream(t, b, domain.StreamUser("bob")), "user.password_changed")
		require.Equal(t, "bob", changed.Actor)
		require.NotContains(t, string(changed.Data), newPassword)
	})
}

func TestTokenLifecycle(t *testing.T) {
	t.Parallel()
	forBackends(t, func(t *testing.T, backend string) {
		clock := newFakeClock()
		b := newAPI(t, backend, web.Config{Auth: web.AuthConfig{Now: clock.Now}})
		c := b.c

		r := c.post("/api/auth/tokens", map[string]any{"name": "ci", "expiresInDays": 1})
		m := r.ok(http.StatusCreated)
		tok, id := m["token"].(string), m["id"].(string)
		c.ids.plant(tok) // from now on no response or log line may contain it
		require.Equal(t, "/api/auth/tokens/"+id, r.header.Get("Location"))
		require.Equal(t, "no-store", r.header.Get("Cache-Control"))
		require.Equal(t, "ci", m["name"])
		expires, err := time.Parse(time.RFC3339Nano, m["expiresAt"].(string))
		require.NoError(t, err)
		require.True(t, clock.Now().Add(24*time.Hour).Equal(expires), "expiresAt %s", expires)
		user, tokenID, secret, ok := auth.ParseToken(tok)
		require.True(t, ok, "token %.8s...", tok)
		require.Equal(t, "alice", user)
		require.Equal(t, id, tokenID)

		as := bearer(c, tok)
		sess := as("GET", "/api/auth/session", nil).ok(http.StatusOK)
		require.Equal(t, "token", sess["authenticatedBy"])
		require.Equal(t, "alice", sess["user"].(map[string]any)["id"])
		as("POST", "/api/workspaces", map[string]any{"name": "By token"}).ok(http.StatusCreated)

		// The list shows the token without its secret or hash.
		list := c.get("/api/auth/tokens")
		require.NotContains(t, string(list.raw), auth.HashSecret(secret))
		items := list.ok(http.StatusOK)["items"].([]any)
		require.Len(t, items, 2) // the harness's and this one
		var listed map[string]any
		for _, it := range items {
			obj := it.(map[string]any)
			require.Equal(t, []string{"createdAt", "expired", "expiresAt", "id", "name"}, slices.Sorted(maps.Keys(obj)))
			if obj["id"] == id {
				listed = obj
			}
		}
		require.NotNil(t, listed)
		require.Equal(t, false, listed["expired"])

		// Expired by the clock.
		clock.Advance(24*time.Hour - time.Second)
		as("GET", "/api/auth/session", nil).ok(http.StatusOK)
		clock.Advance(time.Second)
		as("GET", "/api/auth/session", nil).problem(http.StatusUnauthorized, "invalid_token")
		for _, it := range c.get("/api/auth/tokens").ok(http.StatusOK)["items"].([]any) {
			if obj := it.(map[string]any); obj["id"] == id {
				require.Equal(t, true, obj["expired"])
			}
		}

		// Revoked.
		tok2, id2 := newToken(c, map[string]any{"name": "revoke me"})
		bearer(c, tok2)("GET", "/api/auth/session", nil).ok(http.StatusOK)
		c.as("bob").delete("/api/auth/tokens/"+id2).problem(http.StatusNotFound, "token_not_found") // not bob's
		require.Equal(t, http.StatusNoContent, c.delete("/api/auth/tokens/"+id2).status)
		bearer(c, tok2)("GET", "/api/auth/session", nil).problem(http.StatusUnauthorized, "invalid_token")
		c.delete("/api/auth/tokens/"+id2).problem(http.StatusNotFound, "token_not_found")
		for _, it := range c.get("/api/auth/tokens").ok(http.StatusOK)["items"].([]any) {
			require.NotEqual(t, id2, it.(map[string]any)["id"])
		}

		for _, tt := range []struct {
			name   string
			body   map[string]any
			status int
			code   string
		}{
			{"zero days", map[string]any{"name": "x", "expiresInDays": 0}, http.StatusBadRequest, "invalid_expiry"},
			{"negative days", map[string]any{"name": "x", "expiresInDays": -3}, http.StatusBadRequest, "invalid_expiry"},
			{"over a year", map[string]any{"name": "x", "expiresInDays": 366}, http.StatusBadRequest, "invalid_expiry"},
			{"no name", map[string]any{"expiresInDays": 30}, http.StatusUnprocessableEntity, "invalid_name"},
			{"a year", map[string]any{"name": "long", "expiresInDays": 365}, http.StatusCreated, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := c.with(t).post("/api/auth/tokens", tt.body)
				if tt.status == http.StatusCreated {
					c.ids.plant(r.ok(http.StatusCreated)["token"].(string))
					return
				}
				r.problem(tt.status, tt.code)
			})
		}
	})
}

func TestTokenRejected(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		c := b.c
		tok := c.token()
		_, tokenID, secret, ok := auth.ParseToken(tok)
		require.True(t, ok)
		bobTok := c.as("bob").token()

		for _, tt := range []struct{ name, header string }{
			{"basic scheme", "Basic YWxpY2U6c2VjcmV0"},
			{"no token", "Bearer"},
			{"not a token", "Bearer not-a-goflow-token"},
			{"session cookie as token", "Bearer alice." + tokenID + "." + secret},
			{"unknown token id", "Bearer " + auth.FormatToken("alice", "no-such-token", secret)},
			{"wrong secret", "Bearer " + auth.FormatToken("alice", tokenID, "AAAA"+secret[4:])},
			{"another user's id", "Bearer " + auth.FormatToken("bob", tokenID, secret)},
			{"unknown user", "Bearer " + auth.FormatToken("ghost", tokenID, secret)},
			{"too long", "Bearer " + auth.FormatToken("alice", tokenID, secret+strings.Repeat("A", 400))},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := c.as("").with(t).do("GET", "/api/auth/session", nil, "Authorization", tt.header)
				r.problem(http.StatusUnauthorized, "invalid_token")
				require.Equal(t, `Bearer realm="goflow"`, r.header.Get("WWW-Authenticate"))
			})
		}

		// A disabled user's token and sessions stop working; re-enabling brings the token back
		// (disabling ended the sessions for good).
		bobSession := loginAs(c, "bob")
		bearer(c, bobTok)("GET", "/api/auth/session", nil).ok(http.StatusOK)
		require.Equal(t, true, c.patch("/api/users/bob", map[string]any{"disabled": true}).ok(http.StatusOK)["disabled"])
		bearer(c, bobTok)("GET", "/api/auth/session", nil).problem(http.StatusUnauthorized, "invalid_token")
		bearer(c, bobTok)("POST", "/api/workspaces", map[string]any{"name": "x"}).problem(http.StatusUnauthorized, "invalid_token")
		bobSession.get("/api/auth/session").problem(http.StatusUnauthorized, "session_expired")
		c.as("").post("/api/auth/login", credentials("bob", passwordOf("bob"))).problem(http.StatusUnauthorized, "invalid_login")

		require.Equal(t, false, c.patch("/api/users/bob", map[string]any{"disabled": false}).ok(http.StatusOK)["disabled"])
		bearer(c, bobTok)("GET", "/api/auth/session", nil).ok(http.StatusOK)
		bobSession.get("/api/auth/session").problem(http.StatusUnauthorized, "session_expired")
	})
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	const free, delay = 3, time.Minute
	newLimited := func(t *testing.T) (apiBundle, *fakeClock) {
		clock := newFakeClock()
		b := newAPI(t, "sqlite", web.Config{Auth: web.AuthConfig{
			Now:     clock.Now,
			Limiter: auth.LimiterConfig{FreeAttempts: free, BaseDelay: delay, Now: clock.Now},
		}})
		return b, clock
	}
	throttled := func(r apiResponse, wait time.Duration) {
		r.t.Helper()
		r.problem(http.StatusTooManyRequests, "too_many_attempts")
		require.Equal(r.t, strconv.Itoa(int(wait/time.Second)), r.header.Get("Retry-After"))
		require.Nil(r.t, cookieOf(r))
	}

	t.Run("per account", func(t *testing.T) {
		t.Parallel()
		b, clock := newLimited(t)
		base := b.srv.URL
		b.c.post("/api/users", map[string]any{"username": "bob", "password": passwordOf("bob")}).ok(http.StatusCreated)

		// Failures from three addresses: each address has one, alice's account has three.
		for _, ip := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
			postFrom(t, base, ip, "/api/auth/login", credentials("alice", "pw-alice-guess-"+ip)).
				problem(http.StatusUnauthorized, "invalid_login")
		}
		for _, ip := range []string{"127.0.0.1", "127.0.0.5"} {
			throttled(postFrom(t, base, ip, "/api/auth/login", credentials("alice", passwordOf("alice"))), delay)
			throttled(postFrom(t, base, ip, "/api/auth/login", credentials("ALICE", "pw-alice-guess-more")), delay)
		}
		// Another account from the same addresses is not held up.
		postFrom(t, base, "127.0.0.2", "/api/auth/login", credentials("bob", passwordOf("bob"))).ok(http.StatusOK)

		clock.Advance(delay / 2)
		throttled(postFrom(t, base, "127.0.0.1", "/api/auth/login", credentials("alice", passwordOf("alice"))), delay/2)
		clock.Advance(delay / 2)
		postFrom(t, base, "127.0.0.1", "/api/auth/login", credentials("alice", passwordOf("alice"))).ok(http.StatusOK)

		// The success forgave the failures: three more are needed to be blocked again.
		for range free - 1 {
			postFrom(t, base, "127.0.0.2", "/api/auth/login", credentials("alice", "pw-alice-guess-again")).
				problem(http.StatusUnauthorized, "invalid_login")
		}
		postFrom(t, base, "127.0.0.1", "/api/auth/login", credentials("alice", passwordOf("alice"))).ok(http.StatusOK)
	})

	t.Run("per address", func(t *testing.T) {
		t.Parallel()
		b, clock := newLimited(t)
		base := b.srv.URL

		// Guessing across usernames (known or not) from one address.
		for _, user := range []string{"alice", "carol", "dave"} {
			b.c.as("").post("/api/auth/login", credentials(user, "pw-sprayed-guess")).problem(http.StatusUnauthorized, "invalid_login")
		}
		throttled(b.c.as("").post("/api/auth/login", credentials("erin", "pw-sprayed-guess")), delay)
		throttled(b.c.as("").post("/api/auth/login", credentials("alice", passwordOf("alice"))), delay)
		// The accounts themselves are not locked: another address gets in.
		postFrom(t, base, "127.0.0.2", "/api/auth/login", credentials("alice", passwordOf("alice"))).ok(http.StatusOK)
		throttled(b.c.as("").post("/api/auth/login", credentials("alice", passwordOf("alice"))), delay)

		clock.Advance(delay)
		signIn(b.c.as(""), "/api/auth/login", credentials("alice", passwordOf("alice")), http.StatusOK)
	})

	t.Run("doubling", func(t *testing.T) {
		t.Parallel()
		b, clock := newLimited(t)
		anon := b.c.as("")
		for range free {
			anon.post("/api/auth/login", credentials("alice", "pw-alice-guess")).problem(http.StatusUnauthorized, "invalid_login")
		}
		throttled(anon.post("/api/auth/login", credentials("alice", passwordOf("alice"))), delay)
		clock.Advance(delay)
		anon.post("/api/auth/login", credentials("alice", "pw-alice-guess")).problem(http.StatusUnauthorized, "invalid_login")
		throttled(anon.post("/api/auth/login", credentials("alice", passwordOf("alice"))), 2*delay)
		clock.Advance(2 * delay)
		signIn(anon, "/api/auth/login", credentials("alice", passwordOf("alice")), http.StatusOK)
	})
}

func TestAuditEvents(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		c := b.c
		bob := c.as("bob")
		appID := createApp(t, bob, "Bob's app")

		s := loginAs(c, "alice")
		c.as("").post("/api/auth/login", credentials("alice", "pw-alice-wrong-guess")).problem(http.StatusUnauthorized, "invalid_login")
		c.as("").post("/api/auth/login", credentials("Nobody-Here", "pw-nobody-any-guess")).problem(http.StatusUnauthorized, "invalid_login")
		tok, tokID := newToken(c, map[string]any{"name": "audit"})
		c.put("/api/workspaces/"+b.ws+"/members/bob", map[string]any{"role": "viewer"}).ok(http.StatusOK)

		type want struct {
			stream, typ, actor string
			data               map[string]any
		}
		for _, tt := range []want{
			{domain.StreamUser("alice"), "user.logged_in", "alice", map[string]any{"address": "127.0.0.1"}},
			{domain.StreamUser("alice"), "user.login_failed", "", map[string]any{"address": "127.0.0.1", "reason": "wrong_password"}},
			{domain.StreamUser("alice"), "user.token_created", "alice", map[string]any{"tokenId": tokID, "name": "audit"}},
			{domain.StreamUnknownLogins, "authlog.login_failed", "", map[string]any{"username": "nobody-here", "address": "127.0.0.1", "reason": "unknown_user"}},
			{domain.StreamUser("bob"), "user.created", "alice", map[string]any{"userId": "bob", "admin": false}},
			{domain.StreamUser("bob"), "user.logged_in", "bob", map[string]any{"address": "127.0.0.1"}},
			{domain.StreamWorkspace(b.ws), "workspace.created", "alice", map[string]any{"ownerId": "alice"}},
			{domain.StreamWorkspace(b.ws), "workspace.member_added", "alice", map[string]any{"userId": "bob", "role": "editor"}},
			{domain.StreamWorkspace(b.ws), "workspace.member_role_changed", "alice", map[string]any{"userId": "bob", "role": "viewer", "previous": "editor"}},
		} {
			t.Run(tt.typ+" in "+tt.stream, func(t *testing.T) {
				e := lastOfType(t, readStream(t, b, tt.stream), tt.typ)
				require.Equal(t, tt.actor, e.Actor)
				require.NotNil(t, e.CorrelationID, "events carry the request id")
				data := dataOf(t, e)
				for k, v := range tt.data {
					require.Equal(t, v, data[k], "%s of %s", k, e.Data)
				}
			})
		}

		// The session that loginAs started is the one user.logged_in records.
		_, sid, sessionSecret, ok := auth.ParseSession(s.cookie)
		require.True(t, ok)
		loggedIn := lastOfType(t, readStream(t, b, domain.StreamUser("alice")), "user.logged_in")
		require.Equal(t, sid, dataOf(t, loggedIn)["sessionId"])

		// Credentials are stored as hashes only.
		_, _, tokenSecret, ok := auth.ParseToken(tok)
		require.True(t, ok)
		for _, e := range readStream(t, b, domain.StreamUser("alice")) {
			for _, secret := range []string{passwordOf("alice"), sessionSecret, tokenSecret, tok, s.cookie} {
				require.NotContains(t, string(e.Data), secret, "%s stores a credential", e.Type)
			}
		}

		// What bob did carries his name.
		appEvents := readStream(t, b, domain.StreamApp(appID))
		require.NotEmpty(t, appEvents)
		for _, e := range appEvents {
			require.Equal(t, "bob", e.Actor, "%s", e.Type)
		}
	})
}

func TestSecretsAtRest(t *testing.T) {
	t.Parallel()
	forBackends(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		box := testBox(t)
		b := newAPI(t, backend, web.Config{SecretBox: box})
		c := b.c
		appID := createApp(t, c, "Shop")
		const secret, rotated = "sk-live-Quokka-8817-at-rest", "sk-live-Wombat-2290-rotated"

		ds := c.post("/api/apps/"+appID+"/datasources", map[string]any{
			"name": "Payments", "kind": "rest",
			"config":  map[string]any{"baseUrl": "https://api.example.com"},
			"secrets": map[string]string{"apiKey": secret},
		}).ok(http.StatusCreated)
		id := ds["id"].(string)
		aad := web.SecretAAD(id, "apiKey")

		sealedIn := func(e eventstore.Envelope) string {
			t.Helper()
			var body struct {
				Secrets map[string]string `json:"secrets"`
			}
			require.NoError(t, json.Unmarshal(e.Data, &body))
			v := body.Secrets["apiKey"]
			require.True(t, strings.HasPrefix(v, secretbox.Prefix), "%s stores apiKey unsealed", e.Type)
			return v
		}
		created := lastOfType(t, readStream(t, b, domain.StreamDataSource(id)), "datasource.created")
		require.NotContains(t, string(created.Data), secret)
		sealed := sealedIn(created)
		plain, err := box.Open(sealed, aad)
		require.NoError(t, err)
		require.Equal(t, secret, plain)

		// The seal is bound to the key, the data source and the field.
		for name, open := range map[string]func() (string, error){
			"another field":       func() (string, error) { return box.Open(sealed, web.SecretAAD(id, "bearerToken")) },
			"another data source": func() (string, error) { return box.Open(sealed, web.SecretAAD(appID, "apiKey")) },
			"another key":         func() (string, error) { return testBox(t).Open(sealed, aad) },
		} {
			_, err := open()
			require.ErrorIs(t, err, secretbox.ErrCorrupt, name)
		}

		// A rotated secret is sealed too.
		c.patch("/api/datasources/"+id, map[string]any{"expectedVersion": 1, "secrets": map[string]string{"apiKey": rotated}}).ok(http.StatusOK)
		updated := lastOfType(t, readStream(t, b, domain.StreamDataSource(id)), "datasource.updated")
		require.NotContains(t, string(updated.Data), rotated)
		plain, err = box.Open(sealedIn(updated), aad)
		require.NoError(t, err)
		require.Equal(t, rotated, plain)

		// Nowhere in the global log, nor in the projection's document.
		all, err := b.store.ReadAll(ctx, eventstore.ReadAllParams{Limit: 10000})
		require.NoError(t, err)
		for _, e := range all {
			require.NotContains(t, string(e.Data), secret, "%s in %s", e.Type, e.StreamID)
			require.NotContains(t, string(e.Data), rotated, "%s in %s", e.Type, e.StreamID)
		}
		doc, err := b.docs.Get(ctx, projections.DataSources, projections.ScopedKey(appID, id))
		require.NoError(t, err)
		require.NotContains(t, string(doc.Data), secret)
		require.NotContains(t, string(doc.Data), rotated)
		require.Contains(t, string(doc.Data), secretbox.Prefix)
	})
}

func TestWorkspaceMembers(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		bob, carol := b.c.as("bob"), b.c.as("carol")
		carol.token() // creates carol

		ws := bob.post("/api/workspaces", map[string]any{"name": "  Bob's space "}).ok(http.StatusCreated)
		id := ws["id"].(string)
		require.Equal(t, "owner", ws["role"])
		require.Equal(t, "Bob's space", ws["name"])
		members := "/api/workspaces/" + id + "/members/"
		require.Equal(t, []any{map[string]any{"userId": "bob", "role": "owner"}},
			bob.get("/api/workspaces/" + id + "/members").ok(http.StatusOK)["items"])

		roles := map[string]string{}
		for _, it := range bob.get("/api/workspaces").ok(http.StatusOK)["items"].([]any) {
			w := it.(map[string]any)
			roles[w["id"].(string)] = w["role"].(string)
		}
		require.Equal(t, map[string]string{b.ws: "editor", id: "owner"}, roles)
		b.c.get("/api/workspaces/"+id).problem(http.StatusNotFound, "workspace_not_found") // admins are not members

		for _, tt := range []struct {
			name, method, user string
			body               map[string]any
			status             int
			code               string
		}{
			{"unknown user", "PUT", "nobody", map[string]any{"role": "viewer"}, http.StatusNotFound, "user_not_found"},
			{"invalid username", "PUT", "No.Body", map[string]any{"role": "viewer"}, http.StatusNotFound, "user_not_found"},
			{"invalid role", "PUT", "carol", map[string]any{"role": "superuser"}, http.StatusUnprocessableEntity, "invalid_role"},
			{"no role", "PUT", "carol", map[string]any{}, http.StatusUnprocessableEntity, "invalid_role"},
			{"demote the last owner", "PUT", "bob", map[string]any{"role": "editor"}, http.StatusConflict, "last_owner"},
			{"remove the last owner", "DELETE", "bob", nil, http.StatusConflict, "last_owner"},
			{"remove a stranger", "DELETE", "carol", nil, http.StatusNotFound, "member_not_found"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var body any
				if tt.body != nil {
					body = tt.body
				}
				bob.with(t).do(tt.method, members+tt.user, body).problem(tt.status, tt.code)
			})
		}

		// A member has access until removed; then the workspace is gone for them.
		require.Equal(t, "viewer", bob.put(members+"carol", map[string]any{"role": "viewer"}).ok(http.StatusOK)["role"])
		require.Equal(t, "viewer", carol.get("/api/workspaces/" + id).ok(http.StatusOK)["role"])
		carol.post("/api/workspaces/"+id+"/apps", map[string]any{"name": "x"}).problem(http.StatusForbidden, "forbidden")
		require.Equal(t, http.StatusNoContent, bob.delete(members+"carol").status)
		carol.get("/api/workspaces/"+id).problem(http.StatusNotFound, "workspace_not_found")
		carol.get("/api/workspaces/"+id+"/apps").problem(http.StatusNotFound, "workspace_not_found")
		for _, it := range carol.get("/api/workspaces").ok(http.StatusOK)["items"].([]any) {
			require.NotEqual(t, id, it.(map[string]any)["id"])
		}

		// With a second owner, the first may step down.
		bob.put(members+"carol", map[string]any{"role": "owner"}).ok(http.StatusOK)
		bob.put(members+"bob", map[string]any{"role": "editor"}).ok(http.StatusOK)
		bob.put(members+"carol", map[string]any{"role": "viewer"}).problem(http.StatusForbidden, "forbidden")
		carol.put(members+"carol", map[string]any{"role": "viewer"}).problem(http.StatusConflict, "last_owner")

		// Deleting needs the version last read.
		version := num(t, carol.get("/api/workspaces/" + id).ok(http.StatusOK)["version"])
		carol.delete("/api/workspaces/"+id).problem(http.StatusBadRequest, "required")
		carol.delete("/api/workspaces/"+id+"?expectedVersion=1").problem(http.StatusConflict, "version_conflict")
		deleted := carol.delete("/api/workspaces/" + id + "?expectedVersion=" + strconv.FormatInt(version, 10)).ok(http.StatusOK)
		require.Equal(t, true, deleted["deleted"])
		carol.get("/api/workspaces/"+id).problem(http.StatusNotFound, "workspace_not_found")
		bob.get("/api/workspaces/"+id).problem(http.StatusNotFound, "workspace_not_found")
		for _, it := range bob.get("/api/workspaces").ok(http.StatusOK)["items"].([]any) {
			require.NotEqual(t, id, it.(map[string]any)["id"])
		}
	})
}

func TestUserAdmin(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		alice, bob := b.c, b.c.as("bob")

		bob.post("/api/users", map[string]any{"username": "mallory", "password": passwordOf("mallory")}).problem(http.StatusForbidden, "forbidden")
		bob.get("/api/users").problem(http.StatusForbidden, "forbidden")
		bob.patch("/api/users/bob", map[string]any{"admin": true}).problem(http.StatusForbidden, "forbidden")

		r := alice.post("/api/users", map[string]any{"username": "Dave", "password": passwordOf("dave"), "displayName": "Dave D."})
		dave := r.ok(http.StatusCreated)
		require.Equal(t, "dave", dave["id"])
		require.Equal(t, "Dave D.", dave["displayName"])
		require.Equal(t, false, dave["admin"])
		require.NotContains(t, dave, "passwordHash")
		require.Equal(t, "/api/users/dave", r.header.Get("Location"))
		signIn(alice.as(""), "/api/auth/login", credentials("dave", passwordOf("dave")), http.StatusOK)

		for _, tt := range []struct {
			name     string
			username string
			password string
			status   int
			code     string
		}{
			{"taken", "dave", passwordOf("dave2"), http.StatusConflict, "username_taken"},
			{"taken in capitals", "DAVE", passwordOf("dave2"), http.StatusConflict, "username_taken"},
			{"too short", "dv", passwordOf("dv"), http.StatusUnprocessableEntity, "invalid_username"},
			{"dot", "da.ve", passwordOf("dave"), http.StatusUnprocessableEntity, "invalid_username"},
			{"space", "da ve", passwordOf("dave"), http.StatusUnprocessableEntity, "invalid_username"},
			{"leading dash", "-dave", passwordOf("dave"), http.StatusUnprocessableEntity, "invalid_username"},
			{"too long", strings.Repeat("d", domain.MaxUsernameLen+1), passwordOf("dave"), http.StatusUnprocessableEntity, "invalid_username"},
			{"weak password", "erin", "erin", http.StatusBadRequest, "weak_password"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				alice.with(t).post("/api/users", map[string]any{"username": tt.username, "password": tt.password}).problem(tt.status, tt.code)
			})
		}
		alice.as("").post("/api/auth/login", credentials("dave", passwordOf("dave2"))).problem(http.StatusUnauthorized, "invalid_login")

		// An administrator cannot lock themself out.
		alice.patch("/api/users/alice", map[string]any{"disabled": true}).problem(http.StatusConflict, "self_lockout")
		alice.patch("/api/users/alice", map[string]any{"admin": false}).problem(http.StatusConflict, "self_lockout")
		alice.patch("/api/users/ghost", map[string]any{"disabled": true}).problem(http.StatusNotFound, "user_not_found")
		alice.get("/api/users").ok(http.StatusOK)

		// Granting the administrator role works at once, and the list shows no hashes.
		require.Equal(t, true, alice.patch("/api/users/bob", map[string]any{"admin": true}).ok(http.StatusOK)["admin"])
		list := bob.get("/api/users")
		require.NotContains(t, string(list.raw), "argon2")
		ids := map[string]bool{}
		for _, it := range list.ok(http.StatusOK)["items"].([]any) {
			u := it.(map[string]any)
			require.NotContains(t, u, "passwordHash")
			require.NotContains(t, u, "sessions")
			require.NotContains(t, u, "tokens")
			ids[u["id"].(string)] = true
		}
		require.Equal(t, map[string]bool{"alice": true, "bob": true, "dave": true}, ids)
		require.Equal(t, false, bob.patch("/api/users/alice", map[string]any{"admin": false}).ok(http.StatusOK)["admin"])
		alice.get("/api/users").problem(http.StatusForbidden, "forbidden")
	})
}

// TestUserConcurrentCreation: of simultaneous creations of one username exactly one succeeds,
// and every other is told the username is taken, also when it lost the race at the append
// (which Postgres shows often) rather than at the load.
func TestUserConcurrentCreation(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		const racers = 6
		bearer := "Bearer " + b.c.token() // minted here: no require off the test goroutine
		type result struct {
			resp apiResponse
			err  error
		}
		for round := range 3 {
			username := "racer" + strconv.Itoa(round)
			body := `{"username":"` + username + `","password":"` + passwordOf(username) + `"}`
			results := make(chan result, racers)
			var wg sync.WaitGroup
			for range racers {
				wg.Go(func() { // collect, check below
					req, err := http.NewRequest("POST", b.c.base+"/api/users", strings.NewReader(body))
					if err != nil {
						results <- result{err: err}
						return
					}
					req.Header.Set("Authorization", bearer)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						results <- result{err: err}
						return
					}
					defer resp.Body.Close()
					raw, err := io.ReadAll(resp.Body)
					results <- result{resp: apiResponse{t: t, status: resp.StatusCode, header: resp.Header, raw: raw}, err: err}
				})
			}
			wg.Wait()
			close(results)
			created := 0
			for r := range results {
				require.NoError(t, r.err)
				if r.resp.status == http.StatusCreated {
					created++
					continue
				}
				require.Equal(t, "/username", r.resp.problem(http.StatusConflict, "username_taken")["path"])
			}
			require.Equal(t, 1, created, "round %d", round)
		}
	})
}
