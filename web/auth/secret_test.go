package auth_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/web/auth"
)

func TestNewSecretAndNewID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		gen   func() string
		bytes int
	}{
		{"secret", auth.NewSecret, 32},
		{"id", auth.NewID, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			seen := map[string]bool{}
			for range 100 {
				s := tt.gen()
				raw, err := base64.RawURLEncoding.DecodeString(s)
				require.NoError(t, err)
				require.Len(t, raw, tt.bytes)
				require.NotContains(t, s, ".", "ids and secrets are joined by dots in tokens")
				require.False(t, seen[s], "repeated value %q", s)
				seen[s] = true
			}
		})
	}
}

func TestHashSecret(t *testing.T) {
	t.Parallel()
	// SHA-256("abc") from FIPS 180-2.
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	require.Equal(t, abc, auth.HashSecret("abc"))

	secret := auth.NewSecret()
	stored := auth.HashSecret(secret)
	tests := []struct {
		name      string
		storedHex string
		secret    string
		want      bool
	}{
		{"match", stored, secret, true},
		{"known vector", abc, "abc", true},
		{"upper-case hex", strings.ToUpper(abc), "abc", true},
		{"other secret", stored, auth.NewSecret(), false},
		{"secret with a byte more", stored, secret + "x", false},
		{"empty secret", stored, "", false},
		{"empty stored", "", secret, false},
		{"stored not hex", strings.Repeat("zz", 32), "abc", false},
		{"stored truncated", abc[:62], "abc", false},
		{"stored is the secret itself", secret, secret, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, auth.HashMatches(tt.storedHex, tt.secret))
		})
	}
}
