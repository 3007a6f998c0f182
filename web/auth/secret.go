package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
)

// NewSecret returns 32 random bytes (256 bits) as unpadded base64url: the secret half of a
// token or session, shown to its holder once and stored only as HashSecret.
func NewSecret() string { return randomString(32) }

// NewID returns 12 random bytes as unpadded base64url (16 characters): an identifier for a
// token or session, not secret, used to find the stored hash.
func NewID() string { return randomString(12) }

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails: crypto/rand crashes the program instead
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret returns the hex SHA-256 of secret, the form a secret is stored in. A fast hash is
// enough here, unlike for passwords: the secrets are 256 random bits, so nothing can be guessed.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// HashMatches reports whether secret hashes to storedHex, in time independent of where they
// differ.
func HashMatches(storedHex, secret string) bool {
	stored, err := hex.DecodeString(storedHex)
	if err != nil || len(stored) != sha256.Size {
		return false
	}
	sum := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(stored, sum[:]) == 1
}
