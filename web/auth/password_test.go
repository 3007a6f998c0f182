package auth_test

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/argon2"

	"github.com/goflow-dev/goflow/web/auth"
)

func TestHashPasswordRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params auth.Params
		format string
	}{
		{"test params", auth.TestParams(), `^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`},
		{"default params", auth.DefaultParams(), `^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`},
		{"custom params", auth.Params{Memory: 128, Time: 2, Threads: 2, SaltLen: 8, KeyLen: 16},
			`^\$argon2id\$v=19\$m=128,t=2,p=2\$[A-Za-z0-9+/]{11}\$[A-Za-z0-9+/]{22}$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			encoded, err := auth.HashPassword(tt.params, "correct horse battery")
			require.NoError(t, err)
			require.Regexp(t, regexp.MustCompile(tt.format), encoded)

			ok, err := auth.VerifyPassword(encoded, "correct horse battery")
			require.NoError(t, err)
			require.True(t, ok)

			for _, wrong := range []string{"", "correct horse batter", "correct horse battery ", "Correct horse battery"} {
				ok, err := auth.VerifyPassword(encoded, wrong)
				require.NoError(t, err)
				require.False(t, ok, "wrong password %q", wrong)
			}
			require.False(t, auth.NeedsRehash(encoded, tt.params))
		})
	}
}

func TestHashPasswordSaltsEachHash(t *testing.T) {
	t.Parallel()
	a, err := auth.HashPassword(auth.TestParams(), "same password")
	require.NoError(t, err)
	b, err := auth.HashPassword(auth.TestParams(), "same password")
	require.NoError(t, err)
	require.NotEqual(t, a, b)
}

func TestHashPasswordRefusesBadParams(t *testing.T) {
	t.Parallel()
	valid := auth.TestParams()
	tests := []struct {
		name   string
		modify func(p *auth.Params)
	}{
		{"zero", func(p *auth.Params) { *p = auth.Params{} }},
		{"no threads", func(p *auth.Params) { p.Threads = 0 }},
		{"no time", func(p *auth.Params) { p.Time = 0 }},
		{"time over 10", func(p *auth.Params) { p.Time = 11 }},
		{"memory over 1 GiB", func(p *auth.Params) { p.Memory = 1<<20 + 1 }},
		{"memory under 8 KiB per thread", func(p *auth.Params) { p.Threads = 9 }},
		{"short salt", func(p *auth.Params) { p.SaltLen = 7 }},
		{"short key", func(p *auth.Params) { p.KeyLen = 15 }},
		{"long key", func(p *auth.Params) { p.KeyLen = 65 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := valid
			tt.modify(&p)
			_, err := auth.HashPassword(p, "password123")
			require.ErrorIs(t, err, auth.ErrInvalidParams)
		})
	}
}

// A hash built straight from argon2.IDKey, with parameters HashPassword was not given, verifies:
// VerifyPassword takes the parameters from the string.
func TestVerifyPasswordReadsParamsFromTheHash(t *testing.T) {
	t.Parallel()
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte("hunter2hunter2"), salt, 3, 96, 3, 24)
	encoded := fmt.Sprintf("$argon2id$v=19$m=96,t=3,p=3$%s$%s",
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))

	ok, err := auth.VerifyPassword(encoded, "hunter2hunter2")
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = auth.VerifyPassword(encoded, "hunter2hunter3")
	require.NoError(t, err)
	require.False(t, ok)

	require.False(t, auth.NeedsRehash(encoded, auth.Params{Memory: 96, Time: 3, Threads: 3, SaltLen: 16, KeyLen: 24}))
	require.True(t, auth.NeedsRehash(encoded, auth.DefaultParams()))
}

func TestVerifyPasswordTamperedHash(t *testing.T) {
	t.Parallel()
	encoded, err := auth.HashPassword(auth.TestParams(), "password123")
	require.NoError(t, err)
	parts := strings.Split(encoded, "$") // "", alg, version, params, salt, hash
	flipFirst := func(s string) string {
		if s[0] == 'A' {
			return "B" + s[1:]
		}
		return "A" + s[1:]
	}
	tests := []struct {
		name    string
		encoded string
	}{
		{"salt changed", strings.Join([]string{"", parts[1], parts[2], parts[3], flipFirst(parts[4]), parts[5]}, "$")},
		{"hash changed", strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], flipFirst(parts[5])}, "$")},
		{"memory changed", strings.Replace(encoded, "m=64,", "m=72,", 1)},
		{"time changed", strings.Replace(encoded, "t=1,", "t=2,", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.NotEqual(t, encoded, tt.encoded)
			ok, err := auth.VerifyPassword(tt.encoded, "password123")
			require.NoError(t, err)
			require.False(t, ok)
		})
	}
}

func TestVerifyPasswordRejectsMalformedHashes(t *testing.T) {
	t.Parallel()
	salt := base64.RawStdEncoding.EncodeToString([]byte("0123456789abcdef"))
	key := base64.RawStdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	build := func(alg, version, params, salt, key string) string {
		return strings.Join([]string{"", alg, version, params, salt, key}, "$")
	}
	tests := []struct {
		name    string
		encoded string
	}{
		{"empty", ""},
		{"plain text", "password123"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"too few fields", "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{"too many fields", build("argon2id", "v=19", "m=64,t=1,p=1", salt, key) + "$x"},
		{"no leading dollar", build("argon2id", "v=19", "m=64,t=1,p=1", salt, key)[1:]},
		{"argon2i", build("argon2i", "v=19", "m=64,t=1,p=1", salt, key)},
		{"old version", build("argon2id", "v=16", "m=64,t=1,p=1", salt, key)},
		{"no version", build("argon2id", "", "m=64,t=1,p=1", salt, key)},
		{"params out of order", build("argon2id", "v=19", "t=1,m=64,p=1", salt, key)},
		{"missing param", build("argon2id", "v=19", "m=64,t=1", salt, key)},
		{"extra param", build("argon2id", "v=19", "m=64,t=1,p=1,k=1", salt, key)},
		{"non-numeric memory", build("argon2id", "v=19", "m=abc,t=1,p=1", salt, key)},
		{"signed memory", build("argon2id", "v=19", "m=+64,t=1,p=1", salt, key)},
		{"negative time", build("argon2id", "v=19", "m=64,t=-1,p=1", salt, key)},
		{"space in params", build("argon2id", "v=19", "m=64, t=1,p=1", salt, key)},
		{"memory over 1 GiB", build("argon2id", "v=19", "m=1048577,t=1,p=1", salt, key)},
		{"memory over 32 bits", build("argon2id", "v=19", "m=4294967296,t=1,p=1", salt, key)},
		{"memory under 8 KiB per thread", build("argon2id", "v=19", "m=64,t=1,p=9", salt, key)},
		{"time 0", build("argon2id", "v=19", "m=64,t=0,p=1", salt, key)},
		{"time over 10", build("argon2id", "v=19", "m=64,t=11,p=1", salt, key)},
		{"threads 0", build("argon2id", "v=19", "m=64,t=1,p=0", salt, key)},
		{"threads over 255", build("argon2id", "v=19", "m=65536,t=1,p=256", salt, key)},
		{"salt not base64", build("argon2id", "v=19", "m=64,t=1,p=1", "not*base64!", key)},
		{"salt padded", build("argon2id", "v=19", "m=64,t=1,p=1", salt+"==", key)},
		{"salt too short", build("argon2id", "v=19", "m=64,t=1,p=1", "YWJj", key)},
		{"hash not base64", build("argon2id", "v=19", "m=64,t=1,p=1", salt, "%%%%")},
		{"hash empty", build("argon2id", "v=19", "m=64,t=1,p=1", salt, "")},
		{"hash too short", build("argon2id", "v=19", "m=64,t=1,p=1", salt, "YWJjZGVmZ2g")},
		{"far too long", build("argon2id", "v=19", "m=64,t=1,p=1", salt, strings.Repeat("A", 600))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, err := auth.VerifyPassword(tt.encoded, "password123")
			require.ErrorIs(t, err, auth.ErrInvalidHash)
			require.False(t, ok)
			require.True(t, auth.NeedsRehash(tt.encoded, auth.TestParams()))
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	t.Parallel()
	encoded, err := auth.HashPassword(auth.TestParams(), "password123")
	require.NoError(t, err)
	tests := []struct {
		name   string
		modify func(p *auth.Params)
		want   bool
	}{
		{"same", func(*auth.Params) {}, false},
		{"memory", func(p *auth.Params) { p.Memory = 128 }, true},
		{"time", func(p *auth.Params) { p.Time = 2 }, true},
		{"threads", func(p *auth.Params) { p.Threads = 2 }, true},
		{"salt length", func(p *auth.Params) { p.SaltLen = 32 }, true},
		{"key length", func(p *auth.Params) { p.KeyLen = 64 }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := auth.TestParams()
			tt.modify(&p)
			require.Equal(t, tt.want, auth.NeedsRehash(encoded, p))
		})
	}
}

func TestDummyVerifyToleratesBadParams(t *testing.T) {
	t.Parallel()
	// Params{} would make argon2 panic; DummyVerify must fall back rather than crash a login.
	require.NotPanics(t, func() { auth.DummyVerify(auth.Params{}, "whoever") })
	require.NotPanics(t, func() { auth.DummyVerify(auth.TestParams(), "whoever") })
}
