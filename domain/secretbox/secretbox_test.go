package secretbox_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain/secretbox"
)

func newBox(t *testing.T) *secretbox.Box {
	t.Helper()
	key, err := secretbox.GenerateKey()
	require.NoError(t, err)
	box, err := secretbox.New(key)
	require.NoError(t, err)
	return box
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	box := newBox(t)
	tests := []struct{ name, plaintext, aad string }{
		{"password", "s3cr3t-p@ss", "ds_1/password"},
		{"empty value", "", "ds_1/apiKey"},
		{"empty aad", "value", ""},
		{"binary and unicode", "\x00\xff€ \n", "ds_2/bearerToken"},
		{"long", strings.Repeat("x", 8<<10), "ds_3/password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sealed, err := box.Seal(tt.plaintext, tt.aad)
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(sealed, "gfsec:v1:"))
			require.True(t, secretbox.IsSealed(sealed))
			if tt.plaintext != "" {
				require.NotContains(t, sealed, tt.plaintext)
			}
			raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, "gfsec:v1:"))
			require.NoError(t, err)
			require.Len(t, raw, 12+len(tt.plaintext)+16, "nonce || ciphertext || tag")

			got, err := box.Open(sealed, tt.aad)
			require.NoError(t, err)
			require.Equal(t, tt.plaintext, got)
		})
	}
}

func TestSealIsRandomized(t *testing.T) {
	t.Parallel()
	box := newBox(t)
	a, err := box.Seal("same", "ds_1/password")
	require.NoError(t, err)
	b, err := box.Seal("same", "ds_1/password")
	require.NoError(t, err)
	require.NotEqual(t, a, b, "equal secrets must not be recognisable as equal")
	rawA, _ := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(a, "gfsec:v1:"))
	rawB, _ := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(b, "gfsec:v1:"))
	require.NotEqual(t, rawA[:12], rawB[:12], "fresh nonce per seal")
}

func TestOpenDetectsTampering(t *testing.T) {
	t.Parallel()
	box := newBox(t)
	const plaintext, aad = "hunter2", "ds_1/password"
	sealed, err := box.Seal(plaintext, aad)
	require.NoError(t, err)
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, secretbox.Prefix))
	require.NoError(t, err)
	reseal := func(b []byte) string { return secretbox.Prefix + base64.RawStdEncoding.EncodeToString(b) }

	// Flip one bit of each byte in turn: nonce (0..11), ciphertext (12..18), tag (19..34).
	for i := range raw {
		region := "tag"
		switch {
		case i < 12:
			region = "nonce"
		case i < 12+len(plaintext):
			region = "ciphertext"
		}
		tampered := bytes.Clone(raw)
		tampered[i] ^= 0x01
		_, err := box.Open(reseal(tampered), aad)
		require.ErrorIs(t, err, secretbox.ErrCorrupt, "%s byte %d", region, i)
	}

	tests := []struct {
		name   string
		sealed string
	}{
		{"truncated tag", reseal(raw[:len(raw)-1])},
		{"extra byte", reseal(append(bytes.Clone(raw), 0))},
		{"nonce only", reseal(raw[:12])},
		{"empty body", secretbox.Prefix},
		{"bad base64", secretbox.Prefix + "!!!!"},
		{"padded base64", sealed + "="},
		{"space inside", sealed[:20] + " " + sealed[20:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := box.Open(tt.sealed, aad)
			require.ErrorIs(t, err, secretbox.ErrCorrupt)
		})
	}
}

func TestOpenWithWrongKeyOrAAD(t *testing.T) {
	t.Parallel()
	box, other := newBox(t), newBox(t)
	sealed, err := box.Seal("hunter2", "ds_1/password")
	require.NoError(t, err)

	_, err = other.Open(sealed, "ds_1/password")
	require.ErrorIs(t, err, secretbox.ErrCorrupt, "wrong key")
	for _, aad := range []string{"ds_2/password", "ds_1/apiKey", "", "ds_1/password "} {
		_, err = box.Open(sealed, aad)
		require.ErrorIs(t, err, secretbox.ErrCorrupt, "aad %q", aad)
	}
	got, err := box.Open(sealed, "ds_1/password")
	require.NoError(t, err)
	require.Equal(t, "hunter2", got)
}

func TestOpenNotSealed(t *testing.T) {
	t.Parallel()
	box := newBox(t)
	for _, s := range []string{"", "hunter2", "gfsec:v2:AAAA", "GFSEC:V1:AAAA", " gfsec:v1:AAAA", "gfsec:v1"} {
		require.False(t, secretbox.IsSealed(s), s)
		_, err := box.Open(s, "ds_1/password")
		require.ErrorIs(t, err, secretbox.ErrNotSealed, "%q", s)
		require.NotErrorIs(t, err, secretbox.ErrCorrupt)
	}
}

func TestNewRejectsWrongKeySize(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		_, err := secretbox.New(make([]byte, n))
		require.ErrorIs(t, err, secretbox.ErrInvalidKey, "%d bytes", n)
	}
}
