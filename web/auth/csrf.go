package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// csrfMessage versions the derivation, so that a future change of scheme invalidates old tokens
// instead of silently accepting them.
const csrfMessage = "goflow-csrf-v1"

// CSRFToken derives the CSRF token of a session from the session secret: stateless, stable for
// the session's life, and unforgeable without the secret (which only the cookie carries).
func CSRFToken(sessionSecret string) string {
	return base64.RawURLEncoding.EncodeToString(csrfMAC(sessionSecret))
}

// CSRFMatches reports whether token is the CSRF token of the session, in constant time. An
// empty session secret never matches: its token would be public.
func CSRFMatches(sessionSecret, token string) bool {
	if sessionSecret == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(token), []byte(CSRFToken(sessionSecret))) == 1
}

func csrfMAC(sessionSecret string) []byte {
	m := hmac.New(sha256.New, []byte(sessionSecret))
	m.Write([]byte(csrfMessage))
	return m.Sum(nil)
}
