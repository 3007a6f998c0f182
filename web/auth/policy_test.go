package auth_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/web/auth"
)

func TestCheckPasswordPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		password string
		wantMsg  string // empty: accepted
	}{
		{"empty", "", "at least 10 bytes"},
		{"nine bytes", "abcdefghi", "at least 10 bytes"},
		{"ten bytes", "abcdefghij", ""},
		{"ten bytes of multibyte text", "ééééé€", ""}, // 5×2 + 3 bytes, 6 characters
		{"256 bytes", strings.Repeat("ab", 128), ""},
		{"257 bytes", strings.Repeat("ab", 128) + "c", "at most 256 bytes"},
		{"invalid UTF-8", "abcdefghij\xff", "valid UTF-8"},
		{"one character repeated", strings.Repeat("a", 12), "one character repeated"},
		{"one multibyte character repeated", strings.Repeat("€", 5), "one character repeated"},
		{"nearly one character repeated", strings.Repeat("a", 11) + "b", ""},
		{"spaces inside", "correct horse battery staple", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := auth.CheckPasswordPolicy(tt.password)
			if tt.wantMsg == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, auth.ErrWeakPassword)
			require.ErrorContains(t, err, tt.wantMsg)
		})
	}
}
