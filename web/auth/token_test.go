package auth_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/web/auth"
)

func TestTokenRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct{ userID, tokenID, secret string }{
		{"u1", "t1", "s1"},
		{"0b7c1d3e-5f60-4a1b-9c2d-3e4f5a6b7c8d", auth.NewID(), auth.NewSecret()},
		{auth.NewID(), auth.NewID(), auth.NewSecret()},
	}
	for _, tt := range tests {
		token := auth.FormatToken(tt.userID, tt.tokenID, tt.secret)
		require.True(t, strings.HasPrefix(token, auth.TokenPrefix))
		userID, tokenID, secret, ok := auth.ParseToken(token)
		require.True(t, ok, token)
		require.Equal(t, []string{tt.userID, tt.tokenID, tt.secret}, []string{userID, tokenID, secret})

		session := auth.FormatSession(tt.userID, tt.tokenID, tt.secret)
		userID, sessionID, secret, ok := auth.ParseSession(session)
		require.True(t, ok, session)
		require.Equal(t, []string{tt.userID, tt.tokenID, tt.secret}, []string{userID, sessionID, secret})

		// The two formats do not stand in for each other.
		_, _, _, ok = auth.ParseToken(session)
		require.False(t, ok, "a session cookie is not a token")
	}
}

func TestParseMalformedCredentials(t *testing.T) {
	t.Parallel()
	valid := "user.id." + auth.NewSecret()
	tests := []struct {
		name string
		s    string // a session value; the token case prepends TokenPrefix
	}{
		{"empty", ""},
		{"one part", "user"},
		{"two parts", "user.id"},
		{"four parts", "user.id.secret.more"},
		{"empty user", ".id.secret"},
		{"empty id", "user..secret"},
		{"empty secret", "user.id."},
		{"only dots", ".."},
		{"space", "user.id.sec ret"},
		{"leading space", " user.id.secret"},
		{"trailing newline", "user.id.secret\n"},
		{"tab", "user\t.id.secret"},
		{"NUL", "user.id\x00.secret"},
		{"DEL", "user.id.secret\x7f"},
		{"non-ASCII", "usér.id.secret"},
		{"over 300 bytes", "user.id." + strings.Repeat("a", 300)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, _, ok := auth.ParseSession(tt.s)
			require.False(t, ok, "session %q", tt.s)
			_, _, _, ok = auth.ParseToken(auth.TokenPrefix + tt.s)
			require.False(t, ok, "token %q", tt.s)
		})
	}

	t.Run("token prefix", func(t *testing.T) {
		t.Parallel()
		for _, s := range []string{valid, "gft" + valid, "GFT_" + valid, "gft-" + valid, " gft_" + valid} {
			_, _, _, ok := auth.ParseToken(s)
			require.False(t, ok, "token %q", s)
		}
		_, _, _, ok := auth.ParseToken(auth.TokenPrefix + valid)
		require.True(t, ok)
	})

	t.Run("length bound", func(t *testing.T) {
		t.Parallel()
		session := "u.i." + strings.Repeat("s", 296)
		require.Len(t, session, 300)
		_, _, _, ok := auth.ParseSession(session)
		require.True(t, ok, "300 bytes is within the bound")
		token := auth.TokenPrefix + "u.i." + strings.Repeat("s", 292)
		require.Len(t, token, 300)
		_, _, _, ok = auth.ParseToken(token)
		require.True(t, ok, "300 bytes is within the bound")
		_, _, _, ok = auth.ParseToken(token + "s")
		require.False(t, ok, "the bound counts the prefix")
	})
}
