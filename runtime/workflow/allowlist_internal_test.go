package workflow

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHostAllowed checks the allowed-host matching without network access: wildcard hosts cannot
// be served by a local test server.
func TestHostAllowed(t *testing.T) {
	t.Parallel()
	c, err := NewHTTPClient([]string{"api.example.com", "*.Svc.Example.org.", "10.0.0.1", "[::1]"}, HTTPOptions{})
	require.NoError(t, err)
	tests := []struct {
		host string
		want bool
	}{
		{"api.example.com", true},
		{"API.EXAMPLE.COM", true},
		{"api.example.com.", true},
		{"example.com", false},
		{"x.api.example.com", false},
		{"api.example.com.evil.net", false},
		{"a.svc.example.org", true},
		{"a.b.svc.example.org", true},
		{"svc.example.org", false},
		{"evilsvc.example.org", false},
		{"10.0.0.1", true},
		{"10.0.0.2", false},
		{"::1", true},
		{"", false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, c.hostAllowed(tt.host), tt.host)
	}
}
