package domain

import (
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// User is an account. Its id is the username: immutable, and unique because the caller creates
// the stream user-<username> with expected version "no stream".
//
// The domain never sees a secret: PasswordHash is an encoded argon2id hash and the Hash fields of
// tokens and sessions hex SHA-256 hashes, all computed by the caller.
type User struct {
	ID          string `json:"id"` // the username
	DisplayName string `json:"displayName"`
	// Admin marks a server administrator (manages users).
	Admin bool `json:"admin"`
	// PasswordHash is never shown by the API.
	PasswordHash string `json:"passwordHash"`
	Disabled     bool   `json:"disabled"`
	// Tokens are the API tokens by id; revoked ones are removed, expired ones stay until revoked.
	Tokens map[string]APIToken `json:"tokens,omitempty"`
	// Sessions are the live sessions by id; Apply drops expired ones.
	Sessions  map[string]AuthSession `json:"sessions,omitempty"`
	CreatedAt time.Time              `json:"createdAt"`
	Version   int64                  `json:"version"`
}

// APIToken is a long-lived credential for scripts and tools.
type APIToken struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Hash      string    `json:"hash"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// AuthSession is a browser login.
type AuthSession struct {
	ID        string    `json:"id"`
	Hash      string    `json:"hash"`
	Address   string    `json:"address"`
	CreatedAt time.Time `json:"createdAt"`
	LastSeen  time.Time `json:"lastSeen"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Limits of accounts.
const (
	MinUsernameLen = 3  // bytes
	MaxUsernameLen = 40 // bytes
	// MaxSessions bounds a user's live sessions: a login beyond it ends the least recently used.
	MaxSessions = 50
	// MaxTokens bounds a user's tokens, expired ones included (revoking frees a slot).
	MaxTokens = 50
	// MaxCredentialLifetime bounds how far ahead a token or session may expire.
	MaxCredentialLifetime = 365 * 24 * time.Hour
	MaxAddressLen         = 200 // bytes of a client address
	MaxPasswordHashLen    = 512 // bytes of an encoded password hash
	maxReasonLen          = 64  // bytes of a reason code
)

// Reasons the domain itself ends sessions for (callers add their own, like "logout").
const (
	SessionEndPasswordChanged = "password_changed"
	SessionEndEvicted         = "evicted"
	SessionEndUserDisabled    = "user_disabled"
)

// UserCommand is a command on a User.
type UserCommand interface{ userCommand() }

type CreateUser struct {
	Username     string `json:"username"`
	DisplayName  string `json:"displayName"`
	Admin        bool   `json:"admin"`
	PasswordHash string `json:"passwordHash"`
}

// ChangePassword sets a new password hash and ends every live session but KeepSessionID (the
// one the change was made from; "" ends them all).
type ChangePassword struct {
	PasswordHash  string `json:"passwordHash"`
	KeepSessionID string `json:"keepSessionId"`
}

// StartSession records a login.
type StartSession struct {
	SessionID string    `json:"sessionId"`
	Hash      string    `json:"hash"`
	Address   string    `json:"address"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// RecordLoginFailure records a refused login (wrong password, disabled account) of an existing
// user. Reason is a code such as "wrong_password".
type RecordLoginFailure struct {
	Address string `json:"address"`
	Reason  string `json:"reason"`
}

// TouchSession records that a session is in use (for idle expiry).
type TouchSession struct {
	SessionID string `json:"sessionId"`
}

// EndSession ends a session; ending one that is not live changes nothing. Reason is a code such
// as "logout".
type EndSession struct {
	SessionID string `json:"sessionId"`
	Reason    string `json:"reason"`
}

type CreateToken struct {
	TokenID   string    `json:"tokenId"`
	Name      string    `json:"name"`
	Hash      string    `json:"hash"`
	ExpiresAt time.Time `json:"expiresAt"`
}

type RevokeToken struct {
	TokenID string `json:"tokenId"`
}

// SetUserDisabled disables (ending every session) or re-enables an account.
type SetUserDisabled struct {
	Disabled bool `json:"disabled"`
}

type SetUserAdmin struct {
	Admin bool `json:"admin"`
}

func (CreateUser) userCommand()         {}
func (ChangePassword) userCommand()     {}
func (StartSession) userCommand()       {}
func (RecordLoginFailure) userCommand() {}
func (TouchSession) userCommand()       {}
func (EndSession) userCommand()         {}
func (CreateToken) userCommand()        {}
func (RevokeToken) userCommand()        {}
func (SetUserDisabled) userCommand()    {}
func (SetUserAdmin) userCommand()       {}

// Every user event carries At, the command's time, so that Apply can expire sessions without a
// clock of its own.

type UserCreated struct {
	UserID       string    `json:"userId"`
	DisplayName  string    `json:"displayName"`
	Admin        bool      `json:"admin"`
	PasswordHash string    `json:"passwordHash"`
	At           time.Time `json:"at"`
}

type UserPasswordChanged struct {
	PasswordHash string    `json:"passwordHash"`
	At           time.Time `json:"at"`
}

type UserLoggedIn struct {
	SessionID string    `json:"sessionId"`
	Hash      string    `json:"hash"`
	Address   string    `json:"address"`
	ExpiresAt time.Time `json:"expiresAt"`
	At        time.Time `json:"at"`
}

type UserLoginFailed struct {
	Address string    `json:"address"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
}

type UserSessionTouched struct {
	SessionID string    `json:"sessionId"`
	At        time.Time `json:"at"`
}

type UserSessionEnded struct {
	SessionID string    `json:"sessionId"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
}

type UserTokenCreated struct {
	TokenID   string    `json:"tokenId"`
	Name      string    `json:"name"`
	Hash      string    `json:"hash"`
	ExpiresAt time.Time `json:"expiresAt"`
	At        time.Time `json:"at"`
}

type UserTokenRevoked struct {
	TokenID string    `json:"tokenId"`
	At      time.Time `json:"at"`
}

type UserDisabled struct {
	At time.Time `json:"at"`
}

type UserEnabled struct {
	At time.Time `json:"at"`
}

type UserAdminChanged struct {
	Admin bool      `json:"admin"`
	At    time.Time `json:"at"`
}

func (*UserCreated) EventType() string         { return "user.created" }
func (*UserPasswordChanged) EventType() string { return "user.password_changed" }
func (*UserLoggedIn) EventType() string        { return "user.logged_in" }
func (*UserLoginFailed) EventType() string     { return "user.login_failed" }
func (*UserSessionTouched) EventType() string  { return "user.session_touched" }
func (*UserSessionEnded) EventType() string    { return "user.session_ended" }
func (*UserTokenCreated) EventType() string    { return "user.token_created" }
func (*UserTokenRevoked) EventType() string    { return "user.token_revoked" }
func (*UserDisabled) EventType() string        { return "user.disabled" }
func (*UserEnabled) EventType() string         { return "user.enabled" }
func (*UserAdminChanged) EventType() string    { return "user.admin_changed" }

// stamped is implemented by the events that carry their time.
type stamped interface{ occurredAt() time.Time }

func (e *UserCreated) occurredAt() time.Time         { return e.At }
func (e *UserPasswordChanged) occurredAt() time.Time { return e.At }
func (e *UserLoggedIn) occurredAt() time.Time        { return e.At }
func (e *UserLoginFailed) occurredAt() time.Time     { return e.At }
func (e *UserSessionTouched) occurredAt() time.Time  { return e.At }
func (e *UserSessionEnded) occurredAt() time.Time    { return e.At }
func (e *UserTokenCreated) occurredAt() time.Time    { return e.At }
func (e *UserTokenRevoked) occurredAt() time.Time    { return e.At }
func (e *UserDisabled) occurredAt() time.Time        { return e.At }
func (e *UserEnabled) occurredAt() time.Time         { return e.At }
func (e *UserAdminChanged) occurredAt() time.Time    { return e.At }

// userEvents lists the events of the User aggregate.
var userEvents = []eventDef{
	{event: &UserCreated{}},
	{event: &UserPasswordChanged{}},
	{event: &UserLoggedIn{}},
	{event: &UserLoginFailed{}},
	{event: &UserSessionTouched{}},
	{event: &UserSessionEnded{}},
	{event: &UserTokenCreated{}},
	{event: &UserTokenRevoked{}},
	{event: &UserDisabled{}},
	{event: &UserEnabled{}},
	{event: &UserAdminChanged{}},
}

// AuthLogLoginFailed is a refused login for a username that has no account, appended to
// StreamUnknownLogins (a user stream cannot hold it: creating one would take the username).
type AuthLogLoginFailed struct {
	Username string    `json:"username"`
	Address  string    `json:"address"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
}

func (*AuthLogLoginFailed) EventType() string { return "authlog.login_failed" }

// authLogEvents lists the events of the authlog streams, which belong to no aggregate.
var authLogEvents = []eventDef{
	{event: &AuthLogLoginFailed{}},
}

// UnknownLoginFailed returns the event recording a refused login for a username without an
// account. The caller bounds username and address (they come straight from the request).
func UnknownLoginFailed(username, address, reason string, now time.Time) Event {
	return &AuthLogLoginFailed{Username: username, Address: address, Reason: reason, At: now.UTC()}
}

// Exists reports whether the user was created (accounts are disabled, never deleted).
func (u *User) Exists() bool { return u.ID != "" }

// Session returns a live session: present and not expired at now.
func (u *User) Session(id string, now time.Time) (AuthSession, bool) {
	s, ok := u.Sessions[id]
	if !ok || !now.Before(s.ExpiresAt) {
		return AuthSession{}, false
	}
	return s, true
}

// Token returns a valid token: present (not revoked) and not expired at now.
func (u *User) Token(id string, now time.Time) (APIToken, bool) {
	t, ok := u.Tokens[id]
	if !ok || !now.Before(t.ExpiresAt) {
		return APIToken{}, false
	}
	return t, true
}

// liveSessions returns the sessions live at now, by id.
func (u *User) liveSessions(now time.Time) []AuthSession {
	var out []AuthSession
	for _, id := range slices.Sorted(maps.Keys(u.Sessions)) {
		if s, ok := u.Session(id, now); ok {
			out = append(out, s)
		}
	}
	return out
}

// Apply evolves the state by one event of its stream (every event counts towards Version). After
// each timed event it drops the sessions expired by then, which keeps the state bounded.
func (u *User) Apply(e Event) {
	u.Version++
	switch e := e.(type) {
	case *UserCreated:
		u.ID, u.DisplayName, u.Admin, u.PasswordHash, u.CreatedAt = e.UserID, e.DisplayName, e.Admin, e.PasswordHash, e.At
	case *UserPasswordChanged:
		u.PasswordHash = e.PasswordHash
	case *UserLoggedIn:
		if u.Sessions == nil {
			u.Sessions = map[string]AuthSession{}
		}
		u.Sessions[e.SessionID] = AuthSession{
			ID: e.SessionID, Hash: e.Hash, Address: e.Address, CreatedAt: e.At, LastSeen: e.At, ExpiresAt: e.ExpiresAt,
		}
	case *UserSessionTouched:
		if s, ok := u.Sessions[e.SessionID]; ok {
			s.LastSeen = e.At
			u.Sessions[e.SessionID] = s
		}
	case *UserSessionEnded:
		delete(u.Sessions, e.SessionID)
	case *UserTokenCreated:
		if u.Tokens == nil {
			u.Tokens = map[string]APIToken{}
		}
		u.Tokens[e.TokenID] = APIToken{ID: e.TokenID, Name: e.Name, Hash: e.Hash, CreatedAt: e.At, ExpiresAt: e.ExpiresAt}
	case *UserTokenRevoked:
		delete(u.Tokens, e.TokenID)
		u.Tokens = nilIfEmpty(u.Tokens)
	case *UserDisabled:
		u.Disabled = true
	case *UserEnabled:
		u.Disabled = false
	case *UserAdminChanged:
		u.Admin = e.Admin
	}
	if s, ok := e.(stamped); ok {
		at := s.occurredAt()
		maps.DeleteFunc(u.Sessions, func(_ string, s AuthSession) bool { return !at.Before(s.ExpiresAt) })
		u.Sessions = nilIfEmpty(u.Sessions)
	}
}

// FoldUser folds a user stream into its state.
func FoldUser(events []Event) *User { return fold[User](events) }

// Decide validates c against the state and returns the events to append. A command that would
// change nothing (enabling an enabled account, ending a session that is not live) yields no
// events and no error.
func (u *User) Decide(c UserCommand, env Env) ([]Event, error) {
	now := env.Now.UTC()
	if cr, ok := c.(CreateUser); ok {
		if u.Version > 0 {
			return nil, conflict("username_taken", "/username", "the username %q is taken", u.ID)
		}
		if err := CheckUsername(cr.Username); err != nil {
			return nil, err
		}
		display := ""
		if strings.TrimSpace(cr.DisplayName) != "" {
			var err error
			if display, err = checkName("/displayName", cr.DisplayName); err != nil {
				return nil, err
			}
		}
		if err := checkPasswordHash(cr.PasswordHash); err != nil {
			return nil, err
		}
		return []Event{&UserCreated{UserID: cr.Username, DisplayName: display, Admin: cr.Admin, PasswordHash: cr.PasswordHash, At: now}}, nil
	}
	if !u.Exists() {
		return nil, notFound("user_not_found", "", "user not found")
	}
	switch c := c.(type) {
	case ChangePassword:
		if err := checkPasswordHash(c.PasswordHash); err != nil {
			return nil, err
		}
		evs := []Event{&UserPasswordChanged{PasswordHash: c.PasswordHash, At: now}}
		for _, s := range u.liveSessions(now) {
			if s.ID != c.KeepSessionID {
				evs = append(evs, &UserSessionEnded{SessionID: s.ID, Reason: SessionEndPasswordChanged, At: now})
			}
		}
		return evs, nil
	case StartSession:
		if u.Disabled {
			return nil, conflict("user_disabled", "", "the account %q is disabled", u.ID)
		}
		if err := checkID("/sessionId", c.SessionID); err != nil {
			return nil, err
		}
		if _, taken := u.Sessions[c.SessionID]; taken {
			return nil, conflict("session_exists", "/sessionId", "session %q already exists", c.SessionID)
		}
		if err := checkSecretHash(c.Hash); err != nil {
			return nil, err
		}
		if err := checkAddress(c.Address); err != nil {
			return nil, err
		}
		expires := c.ExpiresAt.UTC()
		if err := checkExpiry(now, expires); err != nil {
			return nil, err
		}
		var evs []Event
		live := u.liveSessions(now)
		if n := len(live) - MaxSessions + 1; n > 0 {
			// Evict the least recently used, so that a forgotten browser gives way to the new login.
			slices.SortStableFunc(live, func(a, b AuthSession) int { return a.LastSeen.Compare(b.LastSeen) })
			for _, s := range live[:n] {
				evs = append(evs, &UserSessionEnded{SessionID: s.ID, Reason: SessionEndEvicted, At: now})
			}
		}
		return append(evs, &UserLoggedIn{SessionID: c.SessionID, Hash: c.Hash, Address: c.Address, ExpiresAt: expires, At: now}), nil
	case RecordLoginFailure:
		if err := checkAddress(c.Address); err != nil {
			return nil, err
		}
		if err := checkReason(c.Reason); err != nil {
			return nil, err
		}
		return []Event{&UserLoginFailed{Address: c.Address, Reason: c.Reason, At: now}}, nil
	case TouchSession:
		if _, ok := u.Session(c.SessionID, now); !ok {
			return nil, notFound("session_not_found", "/sessionId", "no live session %q", c.SessionID)
		}
		return []Event{&UserSessionTouched{SessionID: c.SessionID, At: now}}, nil
	case EndSession:
		if err := checkReason(c.Reason); err != nil {
			return nil, err
		}
		if _, ok := u.Session(c.SessionID, now); !ok {
			return nil, nil
		}
		return []Event{&UserSessionEnded{SessionID: c.SessionID, Reason: c.Reason, At: now}}, nil
	case CreateToken:
		return u.decideCreateToken(c, now)
	case RevokeToken:
		if _, ok := u.Tokens[c.TokenID]; !ok {
			return nil, notFound("token_not_found", "/tokenId", "no token %q", c.TokenID)
		}
		return []Event{&UserTokenRevoked{TokenID: c.TokenID, At: now}}, nil
	case SetUserDisabled:
		if c.Disabled == u.Disabled {
			return nil, nil
		}
		if !c.Disabled {
			return []Event{&UserEnabled{At: now}}, nil
		}
		evs := []Event{&UserDisabled{At: now}}
		for _, s := range u.liveSessions(now) {
			evs = append(evs, &UserSessionEnded{SessionID: s.ID, Reason: SessionEndUserDisabled, At: now})
		}
		return evs, nil
	case SetUserAdmin:
		if c.Admin == u.Admin {
			return nil, nil
		}
		return []Event{&UserAdminChanged{Admin: c.Admin, At: now}}, nil
	case nil:
		return nil, invalid("unknown_command", "", "no command")
	default:
		return nil, invalid("unknown_command", "", "unknown user command %T", c)
	}
}

func (u *User) decideCreateToken(c CreateToken, now time.Time) ([]Event, error) {
	if u.Disabled {
		// A disabled account must not gain credentials it could use once re-enabled.
		return nil, conflict("user_disabled", "", "the account %q is disabled", u.ID)
	}
	if err := checkID("/tokenId", c.TokenID); err != nil {
		return nil, err
	}
	if _, taken := u.Tokens[c.TokenID]; taken {
		return nil, conflict("token_exists", "/tokenId", "token %q already exists", c.TokenID)
	}
	name, err := checkName("/name", c.Name)
	if err != nil {
		return nil, err
	}
	if err := checkSecretHash(c.Hash); err != nil {
		return nil, err
	}
	expires := c.ExpiresAt.UTC()
	if err := checkExpiry(now, expires); err != nil {
		return nil, err
	}
	if len(u.Tokens) >= MaxTokens {
		return nil, conflict("too_many_tokens", "", "at most %d tokens: revoke unused or expired ones first", MaxTokens)
	}
	return []Event{&UserTokenCreated{TokenID: c.TokenID, Name: name, Hash: c.Hash, ExpiresAt: expires, At: now}}, nil
}

// CheckUsername checks a username (a user's id): 3..40 bytes of lowercase letters, digits, '_'
// and '-', starting with a letter or digit. '.' is excluded because it separates the parts of
// session cookies and API tokens.
func CheckUsername(s string) error { return checkUsername("/username", s) }

// checkUsername checks a username, or a reference to a user, reported at path.
func checkUsername(path, s string) error {
	if len(s) < MinUsernameLen || len(s) > MaxUsernameLen {
		return invalid("invalid_username", path, "usernames are %d..%d characters", MinUsernameLen, MaxUsernameLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '-') {
			return invalid("invalid_username", path, "usernames are lowercase letters, digits, '_' and '-', starting with a letter or digit")
		}
	}
	return nil
}

// checkPasswordHash accepts an encoded argon2id hash (PHC string format), so that a plain
// password can never be stored by mistake.
func checkPasswordHash(h string) error {
	if !strings.HasPrefix(h, "$argon2id$") || len(h) > MaxPasswordHashLen || !printableASCII(h) {
		return invalid("invalid_password_hash", "/passwordHash", "passwordHash must be an encoded argon2id hash of at most %d bytes", MaxPasswordHashLen)
	}
	return nil
}

// checkSecretHash accepts a hex SHA-256 hash (64 lowercase hex digits).
func checkSecretHash(h string) error {
	ok := len(h) == 64
	for i := 0; ok && i < len(h); i++ {
		ok = h[i] >= '0' && h[i] <= '9' || h[i] >= 'a' && h[i] <= 'f'
	}
	if !ok {
		return invalid("invalid_hash", "/hash", "hash must be a hex SHA-256 hash")
	}
	return nil
}

func checkAddress(a string) error {
	if len(a) > MaxAddressLen || !utf8.ValidString(a) || strings.ContainsFunc(a, unicode.IsControl) {
		return invalid("invalid_address", "/address", "address must be at most %d bytes of text", MaxAddressLen)
	}
	return nil
}

// checkReason accepts a reason code: 1..64 bytes of lowercase letters, digits and '_'.
func checkReason(r string) error {
	ok := r != "" && len(r) <= maxReasonLen
	for i := 0; ok && i < len(r); i++ {
		ok = r[i] >= 'a' && r[i] <= 'z' || r[i] >= '0' && r[i] <= '9' || r[i] == '_'
	}
	if !ok {
		return invalid("invalid_reason", "/reason", "reason must be a code of 1..%d lowercase letters, digits and '_'", maxReasonLen)
	}
	return nil
}

func checkExpiry(now, expires time.Time) error {
	if !expires.After(now) || expires.Sub(now) > MaxCredentialLifetime {
		return invalid("invalid_expiry", "/expiresAt", "expiresAt must be in the future and at most %d days away", int(MaxCredentialLifetime/(24*time.Hour)))
	}
	return nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
