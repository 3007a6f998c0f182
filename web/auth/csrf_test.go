package auth_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/web/auth"
)

func TestCSRFToken(t *testing.T) {
	t.Parallel()
	// Vectors computed independently: base64url(HMAC-SHA256(key, "goflow-csrf-v1")), unpadded.
	require.Equal(t, "_P_1oqInzPkpO6rf921M3OaXPFx0v4lfZBvg2vBRtnM", auth.CSRFToken("k"))
	require.Equal(t, "ryql9UQiZwNol5_kBGb1sAtdddtrLL_8w6ju7q_4um0", auth.CSRFToken("another-secret"))

	secret := auth.NewSecret()
	token := auth.CSRFToken(secret)
	require.Equal(t, token, auth.CSRFToken(secret), "stable for the session")
	tests := []struct {
		name          string
		sessionSecret string
		token         string
		want          bool
	}{
		{"match", secret, token, true},
		{"vector", "k", "_P_1oqInzPkpO6rf921M3OaXPFx0v4lfZBvg2vBRtnM", true},
		{"other session", auth.NewSecret(), token, false},
		{"empty token", secret, "", false},
		{"truncated", secret, token[:len(token)-1], false},
		{"padded", secret, token + "=", false},
		{"the secret itself", secret, secret, false},
		{"empty session secret", "", auth.CSRFToken(""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, auth.CSRFMatches(tt.sessionSecret, tt.token))
		})
	}
}
