package main

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/eventstore/postgres"
	"github.com/goflow-dev/goflow/eventstore/postgres/pgtest"
	"github.com/goflow-dev/goflow/eventstore/sqlite"
	"github.com/goflow-dev/goflow/projections"
)

// appendDomainEvents writes an app and a script with two text changes (5 events) through the store.
func appendDomainEvents(t *testing.T, st eventstore.Store) {
	t.Helper()
	ctx := context.Background()
	env := domain.Env{Now: time.Now(), Actor: "ada", NewID: func() string { return "x" }}
	write := func(stream string, version int64, events []domain.Event, err error) {
		t.Helper()
		require.NoError(t, err)
		var data []eventstore.EventData
		for _, e := range events {
			typ, raw, sv, err := domain.Encode(e)
			require.NoError(t, err)
			data = append(data, eventstore.EventData{Type: typ, Data: raw, SchemaVersion: sv, Actor: env.Actor})
		}
		_, err = st.Append(ctx, stream, eventstore.Exact(version), data)
		require.NoError(t, err)
	}
	app := &domain.App{}
	evs, err := app.Decide(domain.CreateApp{AppID: "a1", Name: "Shop", WorkspaceID: "w"}, env)
	write(domain.StreamApp("a1"), 0, evs, err)
	s := &domain.Script{}
	for i, c := range []domain.ScriptCommand{
		domain.CreateScript{ScriptID: "s1", AppID: "a1", Name: "onClick", Kind: domain.ScriptEventHandler, Language: domain.LanguageJS, Text: "a\n"},
		domain.ChangeScriptText{Text: "a\nb\n"},
		domain.ChangeScriptText{Text: "a\nb\nc\n"},
	} {
		evs, err := s.Decide(c, env)
		write(domain.StreamScript("s1"), int64(i), evs, err)
		for _, e := range evs {
			s.Apply(e)
		}
	}
	pg := &domain.Page{}
	evs, err = pg.Decide(domain.CreatePage{PageID: "p1", AppID: "a1", Name: "Home"}, env)
	write(domain.StreamPage("p1"), 0, evs, err)
}

func TestProjectionsRebuildAndStatus(t *testing.T) {
	t.Parallel()
	cases := map[string]func(t *testing.T) ([]string, func() (eventstore.Store, func())){
		"sqlite": func(t *testing.T) ([]string, func() (eventstore.Store, func())) {
			dir := t.TempDir()
			return []string{"--data-dir", dir}, func() (eventstore.Store, func()) {
				s, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(dir, sqliteFile)})
				require.NoError(t, err)
				return s, func() { require.NoError(t, s.Close()) }
			}
		},
		"postgres": func(t *testing.T) ([]string, func() (eventstore.Store, func())) {
			url := pgtest.URL(t)
			return []string{"--database-url", url}, func() (eventstore.Store, func()) {
				s, err := postgres.Open(context.Background(), postgres.Config{URL: url})
				require.NoError(t, err)
				return s, func() { require.NoError(t, s.Close()) }
			}
		},
	}
	for name, open := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			extra, openStore := open(t)
			cmd := func(args ...string) (string, string, error) {
				a, stdout, stderr := testApp(nil)
				err := a.run(context.Background(), append(args, extra...))
				return stdout.String(), stderr.String(), err
			}
			_, _, err := cmd("projections", "status")
			require.ErrorContains(t, err, "migrate up", "projections need the migrated tables")
			_, _, err = cmd("migrate", "up")
			require.NoError(t, err)
			st, closeStore := openStore()
			appendDomainEvents(t, st)
			// On Postgres the log is read below the oldest transaction running anywhere on the
			// server (other tests' too): wait until the events are readable, or a rebuild that
			// starts at once may legitimately see fewer of them.
			require.Eventually(t, func() bool {
				evs, err := st.ReadAll(context.Background(), eventstore.ReadAllParams{Limit: 100})
				return err == nil && len(evs) == 5
			}, 30*time.Second, 10*time.Millisecond)
			closeStore()

			stdout, stderr, err := cmd("projections", "rebuild")
			require.NoError(t, err, stderr)
			for _, p := range projections.Names() {
				require.Regexp(t, `(?m)^`+p+` +rebuilt from 5 events in \S+ \(\d+ events/s\)$`, stdout)
				require.Regexp(t, p+` +\[#{30}\] 100% 5/5 events +\d+ ev/s`, stderr)
			}

			stdout, _, err = cmd("projections", "rebuild", "scripts")
			require.NoError(t, err)
			require.Contains(t, stdout, "scripts  rebuilt from 5 events")
			require.NotContains(t, stdout, "pages")

			stdout, _, err = cmd("projections", "status")
			require.NoError(t, err)
			require.Contains(t, stdout, ": 5 events in the log")
			require.Regexp(t, `(?m)^PROJECTION\s+POSITION\s+EVENTS\s+RUNNING$`, stdout)
			for _, p := range projections.Names() {
				require.Regexp(t, `(?m)^`+p+`\s+\d+\s+5\s+no$`, stdout)
			}
		})
	}
}

// TestProjectionsRebuildRefusesWhileServing: a running server holds the projections' leases, so
// a rebuild is refused unless forced; serve itself projects what is appended.
func TestProjectionsRebuildRefusesWhileServing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, _, stderr := testApp(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- a.run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json", "--data-dir", dir})
	}()
	stderr.waitForJSONLog(t, "http server listening")
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, sqliteFile)})
	require.NoError(t, err)
	appendDomainEvents(t, st)
	require.NoError(t, st.Close())

	status := func() string {
		b, stdout, _ := testApp(nil)
		require.NoError(t, b.run(context.Background(), []string{"projections", "status", "--data-dir", dir}))
		return stdout.String()
	}
	projected := regexp.MustCompile(`(?m)^scripts\s+\d+\s+5\s+yes$`)
	deadline := time.Now().Add(30 * time.Second)
	for out := status(); !projected.MatchString(out); out = status() {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not project the events within 30s:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}

	b, _, _ := testApp(nil)
	err = b.run(context.Background(), []string{"projections", "rebuild", "scripts", "--data-dir", dir})
	require.ErrorContains(t, err, "stop it first")
	b, stdout, _ := testApp(nil)
	require.NoError(t, b.run(context.Background(), []string{"projections", "rebuild", "--force", "scripts", "--data-dir", dir}))
	require.Contains(t, stdout.String(), "rebuilt from 5 events")

	cancel()
	require.NoError(t, <-done)
}
