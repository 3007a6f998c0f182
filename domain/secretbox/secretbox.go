// Package secretbox seals secrets at rest with AES-256-GCM: data source passwords and API keys
// are stored (in events and projections) only as sealed strings, opened by the process holding
// the key when a query needs them.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the key length in bytes (AES-256).
const KeySize = 32

// Prefix starts every sealed value and names the format version, so sealed values are told
// apart from plain ones and a later format can coexist with this one.
const Prefix = "gfsec:v1:"

// ErrNotSealed reports a value without Prefix (e.g. a secret stored before encryption at rest);
// ErrCorrupt reports a sealed value that cannot be opened: damaged, sealed under another key,
// or sealed for another field (aad).
var (
	ErrNotSealed = errors.New("value is not sealed")
	ErrCorrupt   = errors.New("sealed value is corrupt or belongs to another key or field")
)

// Box seals and opens values under one key. Safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a KeySize-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrInvalidKey, len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("new cipher: %w", err)
	}
	// The AEAD draws a random 12-byte nonce per Seal and prepends it to the ciphertext. Random
	// nonces are safe up to 2^32 seals per key, far beyond the number of secrets stored.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("new gcm: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext, binding aad (e.g. the data source id and field name) so the sealed
// value only opens for the same aad: it cannot be copied to another field or record. The result
// is Prefix + base64 (standard, unpadded) of nonce || ciphertext || tag.
func (b *Box) Seal(plaintext, aad string) (string, error) {
	sealed := b.aead.Seal(nil, nil, []byte(plaintext), []byte(aad))
	return Prefix + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// Open decrypts a value made by Seal with the same key and aad.
func (b *Box) Open(sealed, aad string) (string, error) {
	enc, ok := strings.CutPrefix(sealed, Prefix)
	if !ok {
		return "", ErrNotSealed
	}
	raw, err := base64.RawStdEncoding.Strict().DecodeString(enc)
	if err != nil {
		return "", fmt.Errorf("%w: bad base64: %w", ErrCorrupt, err)
	}
	if len(raw) < b.aead.Overhead() {
		return "", fmt.Errorf("%w: %d bytes, shorter than nonce and tag", ErrCorrupt, len(raw))
	}
	plain, err := b.aead.Open(nil, nil, raw, []byte(aad))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return string(plain), nil
}

// IsSealed reports whether s has the sealed format's prefix; Open may still fail on it.
func IsSealed(s string) bool {
	return strings.HasPrefix(s, Prefix)
}
