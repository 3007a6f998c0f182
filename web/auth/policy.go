package auth

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrWeakPassword reports a new password the policy refuses; the wrapping error says why in
// words fit for the user.
var ErrWeakPassword = errors.New("weak password")

// Password length bounds, in bytes. The upper bound keeps hashing cost and storage predictable.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// CheckPasswordPolicy reports whether password is acceptable as a new password. It checks only
// what is cheap and unambiguous; it is not a strength meter.
func CheckPasswordPolicy(password string) error {
	switch {
	case len(password) < MinPasswordLen:
		return fmt.Errorf("%w: must be at least %d bytes long", ErrWeakPassword, MinPasswordLen)
	case len(password) > MaxPasswordLen:
		return fmt.Errorf("%w: must be at most %d bytes long", ErrWeakPassword, MaxPasswordLen)
	case !utf8.ValidString(password):
		return fmt.Errorf("%w: must be valid UTF-8 text", ErrWeakPassword)
	case oneRepeatedRune(password):
		return fmt.Errorf("%w: must not be one character repeated", ErrWeakPassword)
	}
	return nil
}

func oneRepeatedRune(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	for _, r := range s {
		if r != first {
			return false
		}
	}
	return true
}
