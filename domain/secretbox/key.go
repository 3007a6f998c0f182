package secretbox

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidKey reports key material that is not KeySize bytes in a known encoding. Its
// messages never include the material itself.
var ErrInvalidKey = errors.New("invalid secretbox key")

// GenerateKey returns a new random key.
func GenerateKey() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return key, nil
}

// EncodeKey returns key as standard padded base64, the form ParseKey and key files use.
func EncodeKey(key []byte) string {
	return base64.StdEncoding.EncodeToString(key)
}

// ParseKey decodes a key given as 64 hex digits or as base64 (standard or URL alphabet, padded
// or not) of KeySize bytes, so keys from `openssl rand -hex 32`, `openssl rand -base64 32` or
// EncodeKey all work.
func ParseKey(s string) ([]byte, error) {
	if len(s) == 2*KeySize {
		// 64 characters can only be hex: base64 of 32 bytes is 43 or 44 characters.
		key, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%w: 64 characters but not hex", ErrInvalidKey)
		}
		return key, nil
	}
	unpadded := strings.TrimSuffix(s, "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if key, err := enc.Strict().DecodeString(unpadded); err == nil && len(key) == KeySize {
			return key, nil
		}
	}
	return nil, fmt.Errorf("%w: want base64 of %d bytes or %d hex digits", ErrInvalidKey, KeySize, 2*KeySize)
}
