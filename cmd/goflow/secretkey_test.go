package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain/secretbox"
	"github.com/goflow-dev/goflow/eventstore/postgres/pgtest"
)

// testKey returns a new key in the form --secret-key takes.
func testKey(t *testing.T) string {
	t.Helper()
	key, err := secretbox.GenerateKey()
	require.NoError(t, err)
	return secretbox.EncodeKey(key)
}

// logRecords parses JSON log output into records.
func logRecords(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		recs = append(recs, m)
	}
	return recs
}

func TestSecretKeyResolution(t *testing.T) {
	t.Parallel()
	key, err := secretbox.GenerateKey()
	require.NoError(t, err)
	encoded := secretbox.EncodeKey(key)
	const pgURL = "postgres://goflow@127.0.0.1:1/goflow" // never connected to

	writeKeyFile := func(t *testing.T, mode os.FileMode) string {
		path := filepath.Join(t.TempDir(), "key")
		require.NoError(t, os.WriteFile(path, []byte(encoded+"\n"), mode))
		require.NoError(t, os.Chmod(path, mode)) // regardless of the umask
		return path
	}

	type result struct {
		key       []byte
		err       error
		logs      []map[string]any
		generated string // the key file that should now exist in the data dir, if any
	}
	for name, tc := range map[string]struct {
		flags func(t *testing.T, dataDir string) (secretKeyFlags, storeFlags)
		check func(t *testing.T, r result)
	}{
		"explicit base64 key": {
			flags: func(t *testing.T, dir string) (secretKeyFlags, storeFlags) {
				return secretKeyFlags{key: encoded}, storeFlags{dataDir: dir}
			},
			check: func(t *testing.T, r result) {
				require.NoError(t, r.err)
				require.Equal(t, key, r.key)
			},
		},
		"explicit hex key with postgres": {
			flags: func(t *testing.T, dir string) (secretKeyFlags, storeFlags) {
				return secretKeyFlags{key: hex.EncodeToString(key)}, storeFlags{dataDir: dir, databaseURL: pgURL}
			},
			check: func(t *testing.T, r result) {
				require.NoError(t, r.err)
				require.Equal(t, key, r.key)
			},
		},
		"explicit key beats key file": {
			flags: func(t *testing.T, dir string) (secretKeyFlags, storeFlags) {
				return secretKeyFlags{key: encoded, file: filepath.Join(dir, "nosuch")}, storeFlags{dataDir: dir}
			},
			check: func(t *testing.T, r result) {
				require.NoError(t, r.err)
				require.Equal(t, key, r.key)
			},
		},
		"malformed explicit key": {
			flags: func(t *testing.T, dir string) (secretKeyFlags, storeFlags) {
				return secretKeyFlags{key: encoded[:20]}, storeFlags{dataDir: dir}
			},
			check: func(t *testing.T, r result) {
				require.ErrorIs(t, r.err, errUsage)
				require.ErrorContains(t, r.err, "--secret-key")
				require.NotContains(t, r.err.Error(), encoded[:20], "the value is never repeated")
			},
		},
		"key file with postgres": {
			flags: func(t *testing.T, dir string) (secretKeyFlags, storeFlags) {
				return secretKeyFlags{file: writeKeyFile(t, 0o600)}, storeFlags{dataDir: dir, databaseURL: pgURL}
			},
			check: func(t *testing.T, r result) {
				require.NoError(t, r.err)
				require.Equal(t, key, r.key)
			},
		},
		"missing key file is not created": {
			flags: func(t *testing.T, dir string) (secretKeyFlags, storeFlags) {
				return secretKeyFlags{file: filepath.Join(dir, "typo.key")}, storeFlags{dataDir: dir}
			},
			check: func(t *testing.T, r result) {
				require.ErrorIs(t, r.err, errUsage)
				require.ErrorContains(t, r.err, "typo.key does not exist")
			},
		},
		"key file readable by others": {
			flags: func(t *testing.T, dir string) (secretKeyFlags, storeFlags) {
				return secretKeyFlags{file: writeKeyFile(t, 0o644)}, storeFlags{dataDir: dir}
			},
			check: func(t *testing.T, r result) {
				require.ErrorIs(t, r.err, secretbox.ErrKeyFileMode)
			},
		},
		"sqlite generates a key beside the database": {
			flags: func(t *testing.T, dir string) (secretKeyFlags, storeFlags) {
				return secretKeyFlags{}, storeFlags{dataDir: dir}
			},
			check: func(t *testing.T, r result) {
				require.NoError(t, r.err)
				require.Len(t, r.key, secretbox.KeySize)
				require.NotEqual(t, key, r.key)
				require.Equal(t, "generated a new secret key", r.logs[0]["msg"])
				require.Equal(t, r.generated, r.logs[0]["path"])
			},
		},
		"postgres without a key is refused": {
			flags: func(t *testing.T, dir string) (secretKeyFlags, storeFlags) {
				return secretKeyFlags{}, storeFlags{dataDir: dir, databaseURL: pgURL}
			},
			check: func(t *testing.T, r result) {
				require.ErrorIs(t, r.err, errUsage)
				for _, want := range []string{"--secret-key ", "GOFLOW_SECRET_KEY", "--secret-key-file", "--insecure-dev-key"} {
					require.ErrorContains(t, r.err, want)
				}
			},
		},
		"postgres with --insecure-dev-key": {
			flags: func(t *testing.T, dir string) (secretKeyFlags, storeFlags) {
				return secretKeyFlags{insecureDev: true}, storeFlags{dataDir: dir, databaseURL: pgURL}
			},
			check: func(t *testing.T, r result) {
				require.NoError(t, r.err)
				require.Len(t, r.key, secretbox.KeySize)
				require.Equal(t, "WARN", r.logs[0]["level"])
				require.Contains(t, r.logs[0]["msg"], "--insecure-dev-key")
				require.Equal(t, "generated a new secret key", r.logs[1]["msg"])
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "data") // not there yet, like a first start's
			kf, sf := tc.flags(t, dir)
			var logs bytes.Buffer
			k, err := kf.resolve(sf, slog.New(slog.NewJSONHandler(&logs, nil)))
			r := result{key: k, err: err, logs: logRecords(t, logs.String())}
			require.NotContains(t, logs.String(), encoded, "key material is never logged")
			if k != nil {
				require.NotContains(t, logs.String(), secretbox.EncodeKey(k))
				require.NotContains(t, logs.String(), hex.EncodeToString(k))
			}

			path := filepath.Join(dir, secretKeyFile)
			info, statErr := os.Stat(path)
			if err == nil && (kf.key == "" && kf.file == "") {
				r.generated = path
				require.NoError(t, statErr, "the generated key is kept")
				require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
			} else {
				require.True(t, errors.Is(statErr, os.ErrNotExist), "no key file is made when a key is given or refused")
			}
			tc.check(t, r)

			if r.generated != "" {
				// The next start reads the same key back.
				logs.Reset()
				again, err := kf.resolve(sf, slog.New(slog.NewJSONHandler(&logs, nil)))
				require.NoError(t, err)
				require.Equal(t, k, again)
				require.Contains(t, logs.String(), `"msg":"secret key loaded"`)
				require.NotContains(t, logs.String(), "generated")
			}
		})
	}
}

// TestServeSecretKeyWithPostgres starts serve on Postgres: refused without a key (before
// connecting), served with --insecure-dev-key, which keeps its key in --data-dir.
func TestServeSecretKeyWithPostgres(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	dir := t.TempDir()

	a, _, _ := testApp(map[string]string{envDatabaseURL: url})
	err := a.run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir})
	require.ErrorIs(t, err, errUsage)
	require.ErrorContains(t, err, "--secret-key-file")
	require.NoFileExists(t, filepath.Join(dir, secretKeyFile))

	a, _, stderr := testApp(map[string]string{envDatabaseURL: url, envInsecureDevKey: "true"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- a.run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json", "--data-dir", dir})
	}()
	stderr.waitForJSONLog(t, "generated a new secret key")
	stderr.waitForJSONLog(t, "http server listening")
	info, err := os.Stat(filepath.Join(dir, secretKeyFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	cancel()
	require.NoError(t, <-done)
}
