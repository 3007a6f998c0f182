// Package pgtest gives tests a fresh, empty Postgres database over a real connection.
//
// Each call to URL creates a new database (goflow_t_<random>) and drops it when the test ends, so
// tests can run in parallel without seeing each other's rows.
//
// The server is chosen once per test binary:
//
//   - GOFLOW_TEST_DATABASE_URL set (a postgres:// URL of a role that may CREATE DATABASE): the
//     databases are created on that server. This is what CI does.
//   - otherwise a throwaway cluster is started on first use: initdb into a temp dir, postgres on a
//     free 127.0.0.1 port with its socket in that dir and fsync off. It is stopped and removed when
//     the test binary exits.
//
// The throwaway cluster needs a TestMain in every package that calls URL, because TestMain is a
// test binary's only teardown hook:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// Without a server (no GOFLOW_TEST_DATABASE_URL and no Postgres binaries) tests are skipped, unless
// CI is set or GOFLOW_REQUIRE_POSTGRES=1, in which case they fail: Postgres tests must not be
// silently skipped in CI.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables read by this package.
const (
	// EnvDatabaseURL names a server to create test databases on instead of a throwaway cluster.
	EnvDatabaseURL = "GOFLOW_TEST_DATABASE_URL"
	// EnvRequirePostgres, set to 1, turns a skip for want of Postgres into a failure.
	EnvRequirePostgres = "GOFLOW_REQUIRE_POSTGRES"
)

// cluster is the one throwaway server of this test binary. It is package state on purpose: a test
// binary is one process, tests in it (and in parallel) must share a single server rather than start
// one each, and Main (called from TestMain, the only per-binary teardown hook) must find it to stop
// it. Nothing outside this file touches it.
var cluster struct {
	once       sync.Once
	mainCalled bool // set by Main before any test runs
	srv        *server
	err        error
	skip       string // non-empty: no Postgres binaries; the reason to skip
}

// Main runs the package's tests, then stops and removes the throwaway cluster if one was started,
// and exits with the tests' status. Call it from TestMain.
func Main(m *testing.M) {
	cluster.mainCalled = true
	code := m.Run()
	if cluster.srv != nil {
		if err := cluster.srv.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stop throwaway cluster: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// URL returns the postgres:// URL of a new, empty database that is dropped (WITH (FORCE)) when t
// and its subtests finish.
func URL(t testing.TB) string {
	t.Helper()
	admin := adminURL(t)

	name := "goflow_t_" + randomHex(t, 8)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := execAdmin(ctx, admin, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := execAdmin(ctx, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})

	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("pgtest: parse admin URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// adminURL returns the URL of a database on the chosen server to run CREATE/DROP DATABASE from.
func adminURL(t testing.TB) string {
	t.Helper()
	if raw := os.Getenv(EnvDatabaseURL); raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			t.Fatalf("pgtest: %s must be a postgres:// URL, got %q", EnvDatabaseURL, raw)
		}
		return raw
	}
	cluster.once.Do(func() {
		bin, reason := findBinaries()
		switch {
		case reason != "":
			cluster.skip = reason
		case !cluster.mainCalled:
			cluster.err = fmt.Errorf("%s is unset, and the throwaway cluster needs a TestMain to stop it; add\n"+
				"\tfunc TestMain(m *testing.M) { pgtest.Main(m) }\nto this package's tests", EnvDatabaseURL)
		default:
			cluster.srv, cluster.err = startServer(bin)
		}
	})
	switch {
	case cluster.skip != "":
		msg := fmt.Sprintf("pgtest: no Postgres: %s unset and %s", EnvDatabaseURL, cluster.skip)
		if os.Getenv("CI") != "" || os.Getenv(EnvRequirePostgres) == "1" {
			t.Fatalf("%s; Postgres tests must not be skipped in CI (CI or %s=1 is set)", msg, EnvRequirePostgres)
		}
		t.Skip(msg)
	case cluster.err != nil:
		t.Fatalf("pgtest: start throwaway cluster: %v", cluster.err)
	}
	return cluster.srv.adminURL
}

func execAdmin(ctx context.Context, admin, sql string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("pgtest: random name: %v", err)
	}
	return hex.EncodeToString(b)
}

// binaries are the Postgres server programs of one installation.
type binaries struct {
	initdb, postgres string
}

// findBinaries looks for initdb and postgres on PATH, then in /usr/lib/postgresql/*/bin (newest
// version first). It returns a reason instead when there are none.
func findBinaries() (binaries, string) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if b, ok := binariesIn(filepath.Dir(p)); ok {
			return b, ""
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	for _, d := range dirs {
		if b, ok := binariesIn(d); ok {
			return b, ""
		}
	}
	return binaries{}, "no initdb/postgres found on PATH or in /usr/lib/postgresql/*/bin"
}

func binariesIn(dir string) (binaries, bool) {
	b := binaries{initdb: filepath.Join(dir, "initdb"), postgres: filepath.Join(dir, "postgres")}
	for _, p := range []string{b.initdb, b.postgres} {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return binaries{}, false
		}
	}
	return b, true
}

// pgMajor extracts the version from /usr/lib/postgresql/<version>/bin; 0 if it is not a number.
func pgMajor(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

// server is a running throwaway cluster.
type server struct {
	dir      string // temp dir holding the data dir, the socket and the log
	adminURL string
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the postgres process has exited
	waitErr  error         // set before exited is closed
}

// startServer initdbs a cluster in a new temp dir and starts postgres on a free port. The port is
// picked by binding :0 and releasing it, so another process can take it first; a failed start is
// retried on a new port.
func startServer(bin binaries) (*server, error) {
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	sweepStale()
	dir, err := os.MkdirTemp("", tempPrefix)
	if err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("chown %s to the postgres user: %w", dir, err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(bin.initdb, "-D", data, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%s: %w\n%s", bin.initdb, err, out)
	}

	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s := &server{
			dir:      dir,
			adminURL: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port),
		}
		if lastErr = s.start(bin, cred, data, port); lastErr == nil {
			return s, nil
		}
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

// start runs postgres in the foreground of a goroutine locked to its OS thread, with a
// parent-death signal: if the test binary dies without running Main (a -timeout panic, a kill),
// the kernel sends postgres SIGQUIT and it shuts down instead of lingering. Pdeathsig fires when
// the starting thread exits, hence the locked thread that lives as long as postgres does.
func (s *server) start(bin binaries, cred *syscall.Credential, data string, port int) error {
	logPath := filepath.Join(s.dir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child keeps its own descriptor
	s.cmd = exec.Command(bin.postgres, "-D", data,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+s.dir,
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=300",
		"-c", "shared_buffers=64MB",
	)
	s.cmd.Dir = s.dir
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	s.exited = make(chan struct{})

	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: this thread must outlive postgres (see above)
		if err := s.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start %s: %w", bin.postgres, err)
	}

	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := execAdmin(ctx, s.adminURL, "SELECT 1")
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("postgres exited (%v) before accepting connections; log %s:\n%s",
				s.waitErr, logPath, tail(logPath))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("postgres not ready after 60s: %v; log %s:\n%s", err, logPath, tail(logPath))
		}
	}
}

// stop shuts postgres down (fast mode), then removes the temp dir.
func (s *server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		s.kill()
	}
	return os.RemoveAll(s.dir)
}

func (s *server) kill() {
	_ = s.cmd.Process.Kill()
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
	}
}

// credential returns the postgres user's uid/gid when running as root (initdb and postgres
// refuse to run as root), nil otherwise.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and Postgres refuses root: need a postgres user to run as: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("postgres user ids: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// tempPrefix starts the name of every throwaway cluster's temp dir.
const tempPrefix = "goflow-pgtest-"

// sweepStale removes temp dirs left by test binaries that died without running Main (their
// postgres was stopped by the parent-death signal, but the files stay). A dir is stale when no
// live postmaster owns it and nothing in it changed for ten minutes, so a cluster that another
// test binary is creating or running right now is never touched.
func sweepStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*"))
	for _, dir := range dirs {
		if postmasterAlive(filepath.Join(dir, "data", "postmaster.pid")) {
			continue
		}
		fresh := false
		for _, p := range []string{dir, filepath.Join(dir, "data"), filepath.Join(dir, "postgres.log")} {
			if fi, err := os.Stat(p); err == nil && time.Since(fi.ModTime()) < 10*time.Minute {
				fresh = true
			}
		}
		if !fresh {
			_ = os.RemoveAll(dir)
		}
	}
}

// postmasterAlive reports whether a postmaster.pid file names a running process.
func postmasterAlive(pidFile string) bool {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return true // unreadable: leave it alone
	}
	err = syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the last lines of a log file for error messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}
