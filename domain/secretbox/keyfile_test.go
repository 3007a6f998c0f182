package secretbox_test

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain/secretbox"
)

func TestLoadOrCreateKeyFileCreatesThenReuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "nested", "deeper", "secret.key")

	key, created, err := secretbox.LoadOrCreateKeyFile(path)
	require.NoError(t, err)
	require.True(t, created)
	require.Len(t, key, secretbox.KeySize)

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, secretbox.EncodeKey(key)+"\n", string(data))
	if runtime.GOOS != "windows" {
		info, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
		info, err = os.Stat(filepath.Join(dir, "nested"))
		require.NoError(t, err)
		require.Zero(t, info.Mode().Perm()&0o077, "created directories are private")
	}

	again, created, err := secretbox.LoadOrCreateKeyFile(path)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, key, again, "the second start reuses the key")
}

func TestLoadOrCreateKeyFileReadsExistingKeys(t *testing.T) {
	t.Parallel()
	key, err := secretbox.GenerateKey()
	require.NoError(t, err)
	tests := []struct {
		name    string
		content string
	}{
		{"EncodeKey with newline", secretbox.EncodeKey(key) + "\n"},
		{"surrounded by whitespace", "  \t" + secretbox.EncodeKey(key) + "\r\n\n"},
		{"hex", hex.EncodeToString(key) + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "secret.key")
			require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o600))
			got, created, err := secretbox.LoadOrCreateKeyFile(path)
			require.NoError(t, err)
			require.False(t, created)
			require.Equal(t, key, got)
		})
	}
}

func TestLoadOrCreateKeyFileRefusesBadFiles(t *testing.T) {
	t.Parallel()
	key, err := secretbox.GenerateKey()
	require.NoError(t, err)
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		wantErr error
		unix    bool // the check only applies where unix permissions exist
	}{
		{"group readable", secretbox.EncodeKey(key), 0o640, secretbox.ErrKeyFileMode, true},
		{"world readable", secretbox.EncodeKey(key), 0o644, secretbox.ErrKeyFileMode, true},
		{"group writable", secretbox.EncodeKey(key), 0o620, secretbox.ErrKeyFileMode, true},
		{"other executable", secretbox.EncodeKey(key), 0o601, secretbox.ErrKeyFileMode, true},
		{"empty", "", 0o600, secretbox.ErrInvalidKey, false},
		{"not a key", "hello\n", 0o600, secretbox.ErrInvalidKey, false},
		{"short key", secretbox.EncodeKey(key[:16]), 0o600, secretbox.ErrInvalidKey, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.unix && runtime.GOOS == "windows" {
				t.Skip("no unix permissions")
			}
			path := filepath.Join(t.TempDir(), "secret.key")
			require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o600))
			require.NoError(t, os.Chmod(path, tt.mode)) // WriteFile's mode is filtered by the umask
			_, _, err := secretbox.LoadOrCreateKeyFile(path)
			require.ErrorIs(t, err, tt.wantErr)

			got, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, tt.content, string(got), "a refused file is left alone")
		})
	}

	t.Run("directory", func(t *testing.T) {
		t.Parallel()
		_, _, err := secretbox.LoadOrCreateKeyFile(t.TempDir())
		require.Error(t, err)
	})
}
