package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// syncBuffer collects a command's output; Changed is signalled on every write, so a test can wait
// for a log line without sleeping.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.changed <- struct{}{}:
	default:
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitForJSONLog waits for a JSON log line with the given msg and returns it.
func (b *syncBuffer) waitForJSONLog(t *testing.T, msg string) map[string]any {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		for _, line := range strings.Split(b.String(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
				return m
			}
		}
		select {
		case <-b.changed:
		case <-timeout:
			t.Fatalf("no %q log line within 30s; output:\n%s", msg, b.String())
		}
	}
}

// testApp is an app with its own output buffers and environment, and nothing on standard input.
func testApp(env map[string]string) (app, *syncBuffer, *syncBuffer) {
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	return app{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr, getenv: func(k string) string { return env[k] }}, stdout, stderr
}

func TestVersion(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"version"}, strings.NewReader(""), &stdout, &stderr))
	require.True(t, strings.HasPrefix(stdout.String(), "goflow dev ("), stdout.String())
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{},
		{"bogus"},
		{"migrate"},
		{"migrate", "sideways"},
		{"version", "extra"},
		{"serve", "--no-such-flag"},
		{"serve", "--log-level", "loud"},
		{"serve", "--log-format", "xml"},
		{"migrate", "up", "--database-url", "mysql://localhost/goflow"},
		{"projections"},
		{"projections", "sideways"},
		{"projections", "rebuild", "nosuch"},
		{"projections", "rebuild", "pages", "scripts"},
		{"projections", "rebuild", "--data-dir", "x", "pages", "scripts"},
		{"projections", "status", "pages"},
		{"projections", "status", "--force"},
		{"user"},
		{"user", "delete"},
		{"user", "create"},
		{"user", "create", "--username", "ada", "extra"},
		{"serve", "--session-idle", "0s"},
		{"serve", "--session-max", "soon"},
		{"serve", "--fanout", "redis://127.0.0.1:6379"},
		{"serve", "--fanout", "127.0.0.1:4222"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			a, _, _ := testApp(nil)
			err := a.run(context.Background(), args)
			require.ErrorIs(t, err, errUsage)
		})
	}
}

func TestHelpSucceeds(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"-h"}, {"serve", "-h"}, {"migrate", "status", "-h"}, {"migrate", "-h"},
		{"projections", "-h"}, {"projections", "rebuild", "-h"}, {"projections", "status", "-h"},
		{"user", "-h"}, {"user", "create", "-h"}, {"bench", "pages", "-h"}} {
		a, stdout, stderr := testApp(nil)
		require.NoError(t, a.run(context.Background(), args), "%q", args)
		require.Contains(t, stdout.String()+stderr.String(), "Usage", "%q", args)
	}
}

func TestFlagsOverrideEnvOverrideDefaults(t *testing.T) {
	t.Parallel()
	newFlags := func() (*flag.FlagSet, envBindings, *string, *string, *bool) {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		env := envBindings{"addr": "T_ADDR", "level": "T_LEVEL", "quiet": "T_QUIET"}
		addr := fs.String("addr", ":8080", "")
		level := fs.String("level", "info", "")
		quiet := fs.Bool("quiet", false, "")
		return fs, env, addr, level, quiet
	}
	getenv := func(k string) string {
		return map[string]string{"T_ADDR": ":9000", "T_LEVEL": "", "T_QUIET": "true"}[k]
	}

	fs, env, addr, level, quiet := newFlags()
	require.NoError(t, fs.Parse([]string{"--addr", ":7000"}))
	require.NoError(t, applyEnv(fs, env, getenv))
	require.Equal(t, ":7000", *addr, "a flag beats the environment")
	require.Equal(t, "info", *level, "an empty environment variable leaves the default")
	require.True(t, *quiet, "the environment beats the default")

	fs, env, _, _, quiet = newFlags()
	require.NoError(t, fs.Parse([]string{"--quiet=false"}))
	require.NoError(t, applyEnv(fs, env, getenv))
	require.False(t, *quiet, "an explicit false flag beats a true environment variable")

	fs, env, _, _, _ = newFlags()
	require.NoError(t, fs.Parse(nil))
	err := applyEnv(fs, env, func(k string) string {
		if k == "T_QUIET" {
			return "maybe"
		}
		return ""
	})
	require.ErrorContains(t, err, "T_QUIET")
}

// storeCases are the two backends, each as extra arguments and environment for a command.
func storeCases(t *testing.T) map[string]func(t *testing.T) (args []string, env map[string]string, desc string) {
	return map[string]func(t *testing.T) ([]string, map[string]string, string){
		"sqlite": func(t *testing.T) ([]string, map[string]string, string) {
			dir := t.TempDir()
			return []string{"--data-dir", dir}, nil, "sqlite " + filepath.Join(dir, "goflow.db")
		},
		"sqlite via env": func(t *testing.T) ([]string, map[string]string, string) {
			dir := t.TempDir()
			return nil, map[string]string{"GOFLOW_DATA_DIR": dir}, "sqlite " + filepath.Join(dir, "goflow.db")
		},
		// Postgres servers need a secret key (see TestSecretKeyResolution); migrate ignores it.
		"postgres": func(t *testing.T) ([]string, map[string]string, string) {
			return []string{"--database-url", pgtest.URL(t)}, map[string]string{envSecretKey: testKey(t)}, "postgres "
		},
		"postgres via env": func(t *testing.T) ([]string, map[string]string, string) {
			return nil, map[string]string{"GOFLOW_DATABASE_URL": pgtest.URL(t), envSecretKey: testKey(t)}, "postgres "
		},
	}
}

func TestMigrateUpAndStatus(t *testing.T) {
	t.Parallel()
	for name, backend := range storeCases(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			extra, env, desc := backend(t)
			migrate := func(sub string) string {
				t.Helper()
				a, stdout, stderr := testApp(env)
				err := a.run(context.Background(), append([]string{"migrate", sub}, extra...))
				require.NoError(t, err, "stderr:\n%s", stderr.String())
				require.True(t, strings.HasPrefix(stdout.String(), desc), stdout.String())
				return stdout.String()
			}

			out := migrate("status")
			require.Regexp(t, `(?m)^VERSION\s+NAME\s+STATE$`, out)
			require.Regexp(t, `(?m)^1\s+00001_events\.sql\s+pending$`, out)
			require.Regexp(t, `(?m)^2\s+00002_projections\.sql\s+pending$`, out)
			require.NotContains(t, out, "applied")

			require.Contains(t, migrate("up"), "applied 2 migration(s)")
			out = migrate("status")
			require.Regexp(t, `(?m)^1\s+00001_events\.sql\s+applied$`, out)
			require.Regexp(t, `(?m)^2\s+00002_projections\.sql\s+applied$`, out)
			require.NotContains(t, migrate("status"), "pending")
			require.Contains(t, migrate("up"), "applied 0 migration(s)", "up is idempotent")
		})
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	for name, backend := range storeCases(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			extra, env, _ := backend(t)
			a, _, stderr := testApp(env)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				done <- a.run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, extra...))
			}()

			listening := stderr.waitForJSONLog(t, "http server listening")
			base := fmt.Sprintf("http://%s", listening["addr"])
			for _, path := range []string{"/healthz", "/readyz"} {
				resp, err := http.Get(base + path)
				require.NoError(t, err)
				var body map[string]string
				require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
				resp.Body.Close()
				require.Equal(t, http.StatusOK, resp.StatusCode, path)
				require.Equal(t, map[string]string{"status": "ok"}, body, path)
			}
			require.EqualValues(t, 2, stderr.waitForJSONLog(t, "migrations applied")["count"])
			stderr.waitForJSONLog(t, "projections running")

			cancel()
			select {
			case err := <-done:
				require.NoError(t, err, "graceful shutdown; stderr:\n%s", stderr.String())
			case <-time.After(30 * time.Second):
				t.Fatal("serve did not stop within 30s of cancellation")
			}
			stderr.waitForJSONLog(t, "projections stopped")
			stderr.waitForJSONLog(t, "goflow stopped")
		})
	}
}

func TestServeNoMigrateWarnsAboutPendingMigrations(t *testing.T) {
	t.Parallel()
	a, _, stderr := testApp(map[string]string{"GOFLOW_NO_MIGRATE": "1"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- a.run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json", "--data-dir", t.TempDir()})
	}()
	require.EqualValues(t, 2, stderr.waitForJSONLog(t, "migrations pending and --no-migrate is set; run goflow migrate up")["pending"])
	stderr.waitForJSONLog(t, "http server listening")
	require.NotContains(t, stderr.String(), `"msg":"migrations applied"`)
	cancel()
	require.NoError(t, <-done)
}

func TestServeFailsOnABusyAddress(t *testing.T) {
	t.Parallel()
	a, _, stderr := testApp(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := make(chan error, 1)
	go func() {
		first <- a.run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json", "--data-dir", t.TempDir()})
	}()
	addr := stderr.waitForJSONLog(t, "http server listening")["addr"].(string)

	b, _, _ := testApp(nil)
	err := b.run(context.Background(), []string{"serve", "--addr", addr, "--data-dir", t.TempDir()})
	require.ErrorContains(t, err, "listen on "+addr)

	cancel()
	require.NoError(t, <-first)
}

func TestServeRejectsAnUnreachablePostgres(t *testing.T) {
	t.Parallel()
	a, _, _ := testApp(map[string]string{envSecretKey: testKey(t)})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Port 1 on loopback refuses connections at once.
	err := a.run(ctx, []string{"serve", "--database-url", "postgres://user:hunter2@127.0.0.1:1/goflow?connect_timeout=5"})
	require.Error(t, err)
	require.False(t, errors.Is(err, errUsage))
	require.NotContains(t, err.Error(), "hunter2", "passwords never reach the output")
}
