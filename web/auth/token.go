package auth

import "strings"

// TokenPrefix starts every API token, so that leaked tokens are recognisable by secret scanners
// and cannot be mistaken for session cookies.
const TokenPrefix = "gft_"

// maxCredentialLen bounds a token or session string, so that parsing never handles large input.
const maxCredentialLen = 300

// FormatToken returns the API token the user is shown once: TokenPrefix, then the user id,
// token id and secret joined by dots. None of the parts may contain a dot.
func FormatToken(userID, tokenID, secret string) string {
	return TokenPrefix + userID + "." + tokenID + "." + secret
}

// ParseToken splits a token made by FormatToken. ok is false for anything else, including
// empty parts, strings over 300 bytes, and bytes other than printable non-space ASCII.
func ParseToken(s string) (userID, tokenID, secret string, ok bool) {
	rest, found := strings.CutPrefix(s, TokenPrefix)
	if !found || len(s) > maxCredentialLen {
		return "", "", "", false
	}
	return splitCredential(rest)
}

// FormatSession returns the session cookie value: the user id, session id and secret joined by
// dots. None of the parts may contain a dot.
func FormatSession(userID, sessionID, secret string) string {
	return userID + "." + sessionID + "." + secret
}

// ParseSession splits a cookie value made by FormatSession, with the rules of ParseToken.
func ParseSession(s string) (userID, sessionID, secret string, ok bool) {
	if len(s) > maxCredentialLen {
		return "", "", "", false
	}
	return splitCredential(s)
}

func splitCredential(s string) (string, string, string, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return "", "", "", false
	}
	for _, p := range parts {
		if !credentialPart(p) {
			return "", "", "", false
		}
	}
	return parts[0], parts[1], parts[2], true
}

// credentialPart accepts a non-empty run of printable ASCII other than space: ids and base64url
// secrets fit, while whitespace, control bytes and non-ASCII (which headers and cookies mangle)
// do not.
func credentialPart(p string) bool {
	if p == "" {
		return false
	}
	for i := range len(p) {
		if c := p[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}
