package domain_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
)

// secretHash is what callers store for a secret: its hex SHA-256.
func secretHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// pwHash is a well-formed encoded argon2id hash, distinct per n.
func pwHash(n int) string {
	return fmt.Sprintf("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g%d", n)
}

// userSteps runs commands against one user at a moving clock and keeps the event log.
type userSteps struct {
	t   *testing.T
	u   *domain.User
	env domain.Env
	log []domain.Event
}

func newUserSteps(t *testing.T, cmds ...domain.UserCommand) *userSteps {
	t.Helper()
	s := &userSteps{t: t, u: &domain.User{}, env: testEnv()}
	s.do(domain.CreateUser{Username: "ada", DisplayName: " Ada L. ", PasswordHash: pwHash(1)})
	for _, c := range cmds {
		s.do(c)
	}
	return s
}

// do decides c, checks that Decide left the state alone, applies the events and returns them.
func (s *userSteps) do(c domain.UserCommand) []domain.Event {
	s.t.Helper()
	before := jsonCopy(s.t, s.u)
	evs, err := s.u.Decide(c, s.env)
	require.NoError(s.t, err, "%T", c)
	require.Equal(s.t, before, s.u, "Decide must not mutate the state")
	for _, e := range evs {
		s.u.Apply(e)
	}
	s.log = append(s.log, evs...)
	return evs
}

// at moves the clock to start + d.
func (s *userSteps) at(d time.Duration) { s.env.Now = testEnv().Now.Add(d) }

func (s *userSteps) login(id string, ttl time.Duration) []domain.Event {
	s.t.Helper()
	return s.do(domain.StartSession{SessionID: id, Hash: secretHash("secret-" + id), Address: "192.0.2.1", ExpiresAt: s.env.Now.Add(ttl)})
}

// ended lists the session ends among events as "id:reason".
func ended(events []domain.Event) []string {
	var out []string
	for _, e := range events {
		if se, ok := e.(*domain.UserSessionEnded); ok {
			out = append(out, se.SessionID+":"+se.Reason)
		}
	}
	return out
}

func TestCheckUsername(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ok   bool
	}{
		{"ada", true},
		{"a-b_c", true},
		{"0xy", true},
		{"ada-", true},
		{strings.Repeat("a", 40), true},
		{"", false},
		{"ab", false},
		{strings.Repeat("a", 41), false},
		{"Ada", false},
		{"_ada", false},
		{"-ada", false},
		{"a.b", false},
		{"a b", false},
		{"a/b", false},
		{"adä", false},
		{"ada\n", false},
	}
	for _, tc := range tests {
		err := domain.CheckUsername(tc.name)
		if tc.ok {
			require.NoError(t, err, "%q", tc.name)
			continue
		}
		requireDomainErr(t, err, domain.ErrInvalid, "invalid_username", "/username")
	}
}

func TestUserDecideRejections(t *testing.T) {
	t.Parallel()
	env := testEnv()
	now := env.Now
	live := func(t *testing.T) *domain.User {
		s := newUserSteps(t)
		s.login("s1", time.Hour)
		s.do(domain.CreateToken{TokenID: "t1", Name: "ci", Hash: secretHash("t1"), ExpiresAt: now.Add(time.Hour)})
		return s.u
	}
	disabled := func(t *testing.T) *domain.User { return newUserSteps(t, domain.SetUserDisabled{Disabled: true}).u }
	missing := func(*testing.T) *domain.User { return &domain.User{} }
	fullTokens := func(t *testing.T) *domain.User {
		s := newUserSteps(t)
		for i := range domain.MaxTokens {
			s.do(domain.CreateToken{TokenID: fmt.Sprintf("tok%d", i), Name: "t", Hash: secretHash("t"), ExpiresAt: now.Add(time.Minute)})
		}
		return s.u
	}
	create := func(mod func(*domain.CreateUser)) domain.CreateUser {
		c := domain.CreateUser{Username: "bob", PasswordHash: pwHash(1)}
		mod(&c)
		return c
	}
	session := func(mod func(*domain.StartSession)) domain.StartSession {
		c := domain.StartSession{SessionID: "s2", Hash: secretHash("s2"), Address: "192.0.2.1", ExpiresAt: now.Add(time.Hour)}
		mod(&c)
		return c
	}
	token := func(mod func(*domain.CreateToken)) domain.CreateToken {
		c := domain.CreateToken{TokenID: "t2", Name: "deploy", Hash: secretHash("t2"), ExpiresAt: now.Add(time.Hour)}
		mod(&c)
		return c
	}
	cases := []struct {
		name  string
		state func(*testing.T) *domain.User
		cmd   domain.UserCommand
		kind  error
		code  string
		path  string
	}{
		{"create existing", live, create(func(c *domain.CreateUser) { c.Username = "ada" }), domain.ErrConflict, "username_taken", "/username"},
		{"create bad username", missing, create(func(c *domain.CreateUser) { c.Username = "Bob" }), domain.ErrInvalid, "invalid_username", "/username"},
		{"create long display name", missing, create(func(c *domain.CreateUser) { c.DisplayName = strings.Repeat("x", 101) }), domain.ErrInvalid, "invalid_name", "/displayName"},
		{"create plain password", missing, create(func(c *domain.CreateUser) { c.PasswordHash = "hunter2" }), domain.ErrInvalid, "invalid_password_hash", "/passwordHash"},
		{"create empty password hash", missing, create(func(c *domain.CreateUser) { c.PasswordHash = "" }), domain.ErrInvalid, "invalid_password_hash", "/passwordHash"},
		{"create huge password hash", missing, create(func(c *domain.CreateUser) { c.PasswordHash = pwHash(1) + strings.Repeat("x", 512) }), domain.ErrInvalid, "invalid_password_hash", "/passwordHash"},
		{"password of missing", missing, domain.ChangePassword{PasswordHash: pwHash(2)}, domain.ErrNotFound, "user_not_found", ""},
		{"password not a hash", live, domain.ChangePassword{PasswordHash: "$argon2id$ with space"}, domain.ErrInvalid, "invalid_password_hash", "/passwordHash"},
		{"login missing", missing, session(func(*domain.StartSession) {}), domain.ErrNotFound, "user_not_found", ""},
		{"login disabled", disabled, session(func(*domain.StartSession) {}), domain.ErrConflict, "user_disabled", ""},
		{"login bad id", live, session(func(c *domain.StartSession) { c.SessionID = "a b" }), domain.ErrInvalid, "invalid_id", "/sessionId"},
		{"login taken id", live, session(func(c *domain.StartSession) { c.SessionID = "s1" }), domain.ErrConflict, "session_exists", "/sessionId"},
		{"login secret not hashed", live, session(func(c *domain.StartSession) { c.Hash = "secret" }), domain.ErrInvalid, "invalid_hash", "/hash"},
		{"login uppercase hash", live, session(func(c *domain.StartSession) { c.Hash = strings.ToUpper(secretHash("x")) }), domain.ErrInvalid, "invalid_hash", "/hash"},
		{"login bad address", live, session(func(c *domain.StartSession) { c.Address = "a\x00b" }), domain.ErrInvalid, "invalid_address", "/address"},
		{"login expired", live, session(func(c *domain.StartSession) { c.ExpiresAt = now }), domain.ErrInvalid, "invalid_expiry", "/expiresAt"},
		{"login too long", live, session(func(c *domain.StartSession) { c.ExpiresAt = now.Add(366 * 24 * time.Hour) }), domain.ErrInvalid, "invalid_expiry", "/expiresAt"},
		{"failure of missing", missing, domain.RecordLoginFailure{Address: "x", Reason: "wrong_password"}, domain.ErrNotFound, "user_not_found", ""},
		{"failure without reason", live, domain.RecordLoginFailure{Address: "x"}, domain.ErrInvalid, "invalid_reason", "/reason"},
		{"failure prose reason", live, domain.RecordLoginFailure{Address: "x", Reason: "Wrong password!"}, domain.ErrInvalid, "invalid_reason", "/reason"},
		{"failure long address", live, domain.RecordLoginFailure{Address: strings.Repeat("1", 201), Reason: "x"}, domain.ErrInvalid, "invalid_address", "/address"},
		{"touch unknown", live, domain.TouchSession{SessionID: "nope"}, domain.ErrNotFound, "session_not_found", "/sessionId"},
		{"end bad reason", live, domain.EndSession{SessionID: "s1", Reason: ""}, domain.ErrInvalid, "invalid_reason", "/reason"},
		{"token of missing", missing, token(func(*domain.CreateToken) {}), domain.ErrNotFound, "user_not_found", ""},
		{"token of disabled", disabled, token(func(*domain.CreateToken) {}), domain.ErrConflict, "user_disabled", ""},
		{"token bad id", live, token(func(c *domain.CreateToken) { c.TokenID = "" }), domain.ErrInvalid, "invalid_id", "/tokenId"},
		{"token taken id", live, token(func(c *domain.CreateToken) { c.TokenID = "t1" }), domain.ErrConflict, "token_exists", "/tokenId"},
		{"token blank name", live, token(func(c *domain.CreateToken) { c.Name = " " }), domain.ErrInvalid, "invalid_name", "/name"},
		{"token long name", live, token(func(c *domain.CreateToken) { c.Name = strings.Repeat("n", 101) }), domain.ErrInvalid, "invalid_name", "/name"},
		{"token bad hash", live, token(func(c *domain.CreateToken) { c.Hash = secretHash("x")[:63] }), domain.ErrInvalid, "invalid_hash", "/hash"},
		{"token expired", live, token(func(c *domain.CreateToken) { c.ExpiresAt = now.Add(-time.Second) }), domain.ErrInvalid, "invalid_expiry", "/expiresAt"},
		{"token no expiry", live, token(func(c *domain.CreateToken) { c.ExpiresAt = time.Time{} }), domain.ErrInvalid, "invalid_expiry", "/expiresAt"},
		{"token over a year", live, token(func(c *domain.CreateToken) { c.ExpiresAt = now.Add(domain.MaxCredentialLifetime + time.Second) }), domain.ErrInvalid, "invalid_expiry", "/expiresAt"},
		{"too many tokens", fullTokens, token(func(*domain.CreateToken) {}), domain.ErrConflict, "too_many_tokens", ""},
		{"revoke unknown", live, domain.RevokeToken{TokenID: "t9"}, domain.ErrNotFound, "token_not_found", "/tokenId"},
		{"disable missing", missing, domain.SetUserDisabled{Disabled: true}, domain.ErrNotFound, "user_not_found", ""},
		{"admin missing", missing, domain.SetUserAdmin{Admin: true}, domain.ErrNotFound, "user_not_found", ""},
		{"nil command", live, nil, domain.ErrInvalid, "unknown_command", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.state(t)
			before := jsonCopy(t, s)
			evs, err := s.Decide(tc.cmd, env)
			require.Nil(t, evs)
			requireDomainErr(t, err, tc.kind, tc.code, tc.path)
			require.Equal(t, before, s, "Decide must not mutate the state")
		})
	}
}

func TestUserCreate(t *testing.T) {
	t.Parallel()
	s := newUserSteps(t)
	require.True(t, s.u.Exists())
	require.Equal(t, "ada", s.u.ID)
	require.Equal(t, "Ada L.", s.u.DisplayName, "display names are trimmed")
	require.Equal(t, pwHash(1), s.u.PasswordHash)
	require.Equal(t, testEnv().Now, s.u.CreatedAt)
	require.False(t, s.u.Admin)
	require.EqualValues(t, 1, s.u.Version)

	evs, err := (&domain.User{}).Decide(domain.CreateUser{Username: "root", Admin: true, PasswordHash: pwHash(2)}, testEnv())
	require.NoError(t, err)
	root := domain.FoldUser(evs)
	require.True(t, root.Admin)
	require.Empty(t, root.DisplayName, "the display name is optional")
	require.False(t, (&domain.User{}).Exists())
}

func TestUserSessions(t *testing.T) {
	t.Parallel()
	s := newUserSteps(t)
	start := s.env.Now

	s.login("s1", time.Hour)
	sess, ok := s.u.Session("s1", start)
	require.True(t, ok)
	require.Equal(t, domain.AuthSession{
		ID: "s1", Hash: secretHash("secret-s1"), Address: "192.0.2.1", CreatedAt: start, LastSeen: start, ExpiresAt: start.Add(time.Hour),
	}, sess)
	_, ok = s.u.Session("s1", start.Add(time.Hour))
	require.False(t, ok, "a session is not live at its expiry")
	_, ok = s.u.Session("s2", start)
	require.False(t, ok)

	s.at(10 * time.Minute)
	require.Len(t, s.do(domain.TouchSession{SessionID: "s1"}), 1)
	sess, _ = s.u.Session("s1", s.env.Now)
	require.Equal(t, s.env.Now, sess.LastSeen)
	require.Equal(t, start, sess.CreatedAt)

	s.login("s2", 2*time.Hour)
	s.login("s3", 3*time.Hour)
	require.Empty(t, s.do(domain.EndSession{SessionID: "nope", Reason: "logout"}), "ending an unknown session changes nothing")

	// Past s1's expiry: s1 cannot be touched or ended, and the next event drops it.
	s.at(90 * time.Minute)
	_, err := s.u.Decide(domain.TouchSession{SessionID: "s1"}, s.env)
	requireDomainErr(t, err, domain.ErrNotFound, "session_not_found", "/sessionId")
	require.Empty(t, s.do(domain.EndSession{SessionID: "s1", Reason: "logout"}))
	require.Contains(t, s.u.Sessions, "s1", "kept until the next event")
	s.do(domain.RecordLoginFailure{Address: "198.51.100.7", Reason: "wrong_password"})
	require.NotContains(t, s.u.Sessions, "s1", "expired sessions are dropped by any event")
	require.Len(t, s.u.Sessions, 2)

	require.Equal(t, []string{"s2:logout"}, ended(s.do(domain.EndSession{SessionID: "s2", Reason: "logout"})))
	s.login("s4", time.Hour)

	// A password change logs out every other session.
	evs := s.do(domain.ChangePassword{PasswordHash: pwHash(2), KeepSessionID: "s4"})
	require.IsType(t, &domain.UserPasswordChanged{}, evs[0])
	require.Equal(t, []string{"s3:password_changed"}, ended(evs))
	require.Equal(t, pwHash(2), s.u.PasswordHash)
	require.Equal(t, []string{"s4"}, sessionIDs(s.u))
	require.Equal(t, []string{"s4:password_changed"}, ended(s.do(domain.ChangePassword{PasswordHash: pwHash(3)})), "no session kept")
	require.Nil(t, s.u.Sessions)

	// Disabling ends every session and refuses logins until enabled again.
	s.login("s5", time.Hour)
	s.login("s6", time.Hour)
	evs = s.do(domain.SetUserDisabled{Disabled: true})
	require.IsType(t, &domain.UserDisabled{}, evs[0])
	require.Equal(t, []string{"s5:user_disabled", "s6:user_disabled"}, ended(evs))
	require.True(t, s.u.Disabled)
	require.Nil(t, s.u.Sessions)
	require.Empty(t, s.do(domain.SetUserDisabled{Disabled: true}))
	require.Len(t, s.do(domain.RecordLoginFailure{Address: "192.0.2.1", Reason: "user_disabled"}), 1, "failures of disabled users are recorded")
	require.Len(t, s.do(domain.SetUserDisabled{Disabled: false}), 1)
	require.False(t, s.u.Disabled)
	s.login("s7", time.Hour)

	require.Equal(t, s.u, domain.FoldUser(s.log))
	requireJSONRoundTrip(t, s.u)
}

func sessionIDs(u *domain.User) []string {
	var out []string
	for id := range u.Sessions {
		out = append(out, id)
	}
	return out
}

func TestUserSessionEviction(t *testing.T) {
	t.Parallel()
	s := newUserSteps(t)
	for i := range domain.MaxSessions {
		s.at(time.Duration(i) * time.Second)
		s.login(fmt.Sprintf("s%02d", i), time.Hour)
	}
	// s00 and s01 are the oldest logins, but s00 was used since: s01 is the least recently used.
	s.at(time.Minute)
	s.do(domain.TouchSession{SessionID: "s00"})
	evs := s.login("new", 2*time.Hour)
	require.Equal(t, []string{"s01:evicted"}, ended(evs))
	require.IsType(t, &domain.UserLoggedIn{}, evs[len(evs)-1], "the eviction comes first")
	require.Len(t, s.u.Sessions, domain.MaxSessions)
	require.Contains(t, s.u.Sessions, "new")
	require.Contains(t, s.u.Sessions, "s00")

	// Expired sessions do not count: after an hour only "new" is still live.
	s.at(time.Hour + time.Minute)
	require.Empty(t, ended(s.login("later", time.Hour)))
	require.ElementsMatch(t, []string{"new", "later"}, sessionIDs(s.u))
	require.Equal(t, s.u, domain.FoldUser(s.log))
}

func TestUserTokens(t *testing.T) {
	t.Parallel()
	s := newUserSteps(t)
	start := s.env.Now
	evs := s.do(domain.CreateToken{TokenID: "t1", Name: "  CI  ", Hash: secretHash("t1"), ExpiresAt: start.Add(24 * time.Hour)})
	require.Len(t, evs, 1)
	tok, ok := s.u.Token("t1", start)
	require.True(t, ok)
	require.Equal(t, domain.APIToken{ID: "t1", Name: "CI", Hash: secretHash("t1"), CreatedAt: start, ExpiresAt: start.Add(24 * time.Hour)}, tok)
	_, ok = s.u.Token("t1", start.Add(24*time.Hour))
	require.False(t, ok, "a token is not valid at its expiry")
	_, ok = s.u.Token("t2", start)
	require.False(t, ok)

	s.do(domain.CreateToken{TokenID: "t2", Name: "deploy", Hash: secretHash("t2"), ExpiresAt: start.Add(domain.MaxCredentialLifetime)})

	// Expired tokens stay listed (and count) until revoked.
	s.at(48 * time.Hour)
	s.do(domain.SetUserAdmin{Admin: true})
	require.Contains(t, s.u.Tokens, "t1")
	_, ok = s.u.Token("t1", s.env.Now)
	require.False(t, ok)
	require.Len(t, s.do(domain.RevokeToken{TokenID: "t1"}), 1, "expired tokens can be revoked")
	require.NotContains(t, s.u.Tokens, "t1")
	_, err := s.u.Decide(domain.RevokeToken{TokenID: "t1"}, s.env)
	requireDomainErr(t, err, domain.ErrNotFound, "token_not_found", "/tokenId")
	s.do(domain.RevokeToken{TokenID: "t2"})
	require.Nil(t, s.u.Tokens)

	for i := range domain.MaxTokens {
		s.do(domain.CreateToken{TokenID: fmt.Sprintf("x%d", i), Name: "x", Hash: secretHash("x"), ExpiresAt: s.env.Now.Add(time.Hour)})
	}
	s.do(domain.RevokeToken{TokenID: "x7"})
	require.Len(t, s.do(domain.CreateToken{TokenID: "last", Name: "x", Hash: secretHash("x"), ExpiresAt: s.env.Now.Add(time.Hour)}), 1, "revoking frees a slot")

	require.Equal(t, s.u, domain.FoldUser(s.log))
	requireJSONRoundTrip(t, s.u)
}

func TestUserAdmin(t *testing.T) {
	t.Parallel()
	s := newUserSteps(t)
	require.Empty(t, s.do(domain.SetUserAdmin{Admin: false}))
	require.Equal(t, []domain.Event{&domain.UserAdminChanged{Admin: true, At: s.env.Now}}, s.do(domain.SetUserAdmin{Admin: true}))
	require.True(t, s.u.Admin)
	require.Empty(t, s.do(domain.SetUserAdmin{Admin: true}))
	s.do(domain.SetUserAdmin{Admin: false})
	require.False(t, s.u.Admin)
	require.EqualValues(t, 3, s.u.Version)
}

func TestUserEventsAreStampedInUTC(t *testing.T) {
	t.Parallel()
	env := testEnv()
	paris := time.FixedZone("CET", 3600)
	env.Now = env.Now.In(paris)
	u := &domain.User{}
	evs, err := u.Decide(domain.CreateUser{Username: "ada", PasswordHash: pwHash(1)}, env)
	require.NoError(t, err)
	u.Apply(evs[0])
	evs, err = u.Decide(domain.StartSession{SessionID: "s1", Hash: secretHash("s"), ExpiresAt: env.Now.Add(time.Hour)}, env)
	require.NoError(t, err)
	u.Apply(evs[0])
	li := evs[0].(*domain.UserLoggedIn)
	require.Equal(t, time.UTC, li.At.Location())
	require.Equal(t, time.UTC, li.ExpiresAt.Location())
	require.True(t, li.At.Equal(env.Now))
	requireJSONRoundTrip(t, u)
}

func TestUserUnknownEventsCountTowardsVersion(t *testing.T) {
	t.Parallel()
	s := newUserSteps(t)
	s.login("s1", time.Hour)
	s.u.Apply(unknownEvent{})
	require.EqualValues(t, 3, s.u.Version)
	require.Contains(t, s.u.Sessions, "s1", "an event without a time expires nothing")
}

type unknownEvent struct{}

func (unknownEvent) EventType() string { return "user.from_the_future" }

func TestUserEventsCodec(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 1, 2, 3, 4, 5, 600, time.UTC)
	events := []domain.Event{
		&domain.UserCreated{UserID: "ada", DisplayName: "Ada", Admin: true, PasswordHash: pwHash(1), At: at},
		&domain.UserPasswordChanged{PasswordHash: pwHash(2), At: at},
		&domain.UserLoggedIn{SessionID: "s1", Hash: secretHash("s"), Address: "192.0.2.1", ExpiresAt: at.Add(time.Hour), At: at},
		&domain.UserLoginFailed{Address: "192.0.2.1", Reason: "wrong_password", At: at},
		&domain.UserSessionTouched{SessionID: "s1", At: at},
		&domain.UserSessionEnded{SessionID: "s1", Reason: "logout", At: at},
		&domain.UserTokenCreated{TokenID: "t1", Name: "CI", Hash: secretHash("t"), ExpiresAt: at.Add(time.Hour), At: at},
		&domain.UserTokenRevoked{TokenID: "t1", At: at},
		&domain.UserDisabled{At: at},
		&domain.UserEnabled{At: at},
		&domain.UserAdminChanged{Admin: false, At: at},
	}
	requireCoversPrefix(t, "user.", events)
	requireCodecRoundTrip(t, events)

	e := domain.UnknownLoginFailed("mallory", "203.0.113.9", "unknown_user", at.In(time.FixedZone("X", -7200)))
	require.Equal(t, &domain.AuthLogLoginFailed{Username: "mallory", Address: "203.0.113.9", Reason: "unknown_user", At: at}, e)
	requireCoversPrefix(t, "authlog.", []domain.Event{e})
	requireCodecRoundTrip(t, []domain.Event{e})
	require.Equal(t, "authlog-unknown", domain.StreamUnknownLogins)
	require.Equal(t, "user-ada", domain.StreamUser("ada"))
}

func TestUserJSONRoundTrip(t *testing.T) {
	t.Parallel()
	requireJSONRoundTrip(t, &domain.User{})
	s := newUserSteps(t)
	s.login("s1", time.Hour)
	s.do(domain.CreateToken{TokenID: "t1", Name: "CI", Hash: secretHash("t1"), ExpiresAt: s.env.Now.Add(time.Hour)})
	requireJSONRoundTrip(t, s.u)
	s.do(domain.EndSession{SessionID: "s1", Reason: "logout"})
	s.do(domain.RevokeToken{TokenID: "t1"})
	require.Nil(t, s.u.Sessions, "emptied maps become nil, as JSON brings them back")
	require.Nil(t, s.u.Tokens)
	requireJSONRoundTrip(t, s.u)
}
