package secretbox_test

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain/secretbox"
)

func TestParseKey(t *testing.T) {
	t.Parallel()
	key := make([]byte, secretbox.KeySize)
	for i := range key {
		key[i] = byte(0xf0 + i) // includes bytes whose base64 differs between std and url alphabets
	}
	std := base64.StdEncoding.EncodeToString(key)
	url := base64.URLEncoding.EncodeToString(key)
	require.NotEqual(t, std, url, "the fixture must exercise both alphabets")
	tests := []struct {
		name  string
		input string
		ok    bool
	}{
		{"EncodeKey", secretbox.EncodeKey(key), true},
		{"std padded", std, true},
		{"std unpadded", strings.TrimRight(std, "="), true},
		{"url padded", url, true},
		{"url unpadded", strings.TrimRight(url, "="), true},
		{"hex lower", hex.EncodeToString(key), true},
		{"hex upper", strings.ToUpper(hex.EncodeToString(key)), true},
		{"empty", "", false},
		{"16 bytes base64", base64.StdEncoding.EncodeToString(key[:16]), false},
		{"33 bytes base64", base64.StdEncoding.EncodeToString(append(key, 0)), false},
		{"31 bytes hex", hex.EncodeToString(key[:31]), false},
		{"64 chars not hex", strings.Repeat("g", 64), false},
		{"double padding", std + "=", false},
		{"mixed alphabets", mixAlphabets(std, url), false},
		{"surrounding space", " " + std, false},
		{"garbage", "not a key at all", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := secretbox.ParseKey(tt.input)
			if !tt.ok {
				require.ErrorIs(t, err, secretbox.ErrInvalidKey)
				if len(tt.input) > 8 {
					require.NotContains(t, err.Error(), tt.input[1:], "errors must not echo key material")
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, key, got)
		})
	}
}

// mixAlphabets returns the unpadded encoding with its first URL-only character taken from url
// and the rest from std, so it holds characters of both alphabets and neither decoder accepts it.
func mixAlphabets(std, url string) string {
	s := []byte(strings.TrimRight(std, "="))
	for i := range s {
		if url[i] != s[i] {
			s[i] = url[i]
			break
		}
	}
	return string(s)
}

func TestGenerateKey(t *testing.T) {
	t.Parallel()
	a, err := secretbox.GenerateKey()
	require.NoError(t, err)
	b, err := secretbox.GenerateKey()
	require.NoError(t, err)
	require.Len(t, a, secretbox.KeySize)
	require.NotEqual(t, a, b)
	parsed, err := secretbox.ParseKey(secretbox.EncodeKey(a))
	require.NoError(t, err)
	require.Equal(t, a, parsed)
}
