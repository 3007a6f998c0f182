package domain_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
)

// Helpers shared by the tests of app, script, schema, data source and query.

func testEnv() domain.Env {
	n := 0
	return domain.Env{
		Now:   time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Actor: "tester",
		NewID: func() string { n++; return "id" + strings.Repeat("x", n) },
	}
}

// requireDomainErr checks that err is a *domain.Error of the given kind, code and path.
func requireDomainErr(t *testing.T, err error, kind error, code, path string) {
	t.Helper()
	require.Error(t, err)
	var de *domain.Error
	require.ErrorAs(t, err, &de)
	require.ErrorIs(t, err, kind)
	require.Equal(t, code, de.Code, "message: %s", de.Message)
	require.Equal(t, path, de.Path, "message: %s", de.Message)
	require.NotEmpty(t, de.Message)
}

// requireCodecRoundTrip encodes and decodes every event through the registry.
func requireCodecRoundTrip(t *testing.T, events []domain.Event) {
	t.Helper()
	for _, e := range events {
		typ, data, version, err := domain.Encode(e)
		require.NoError(t, err)
		require.Equal(t, e.EventType(), typ)
		require.True(t, json.Valid(data))
		got, err := domain.Decode(typ, version, data)
		require.NoError(t, err)
		require.Equal(t, e, got, "event %s", typ)
	}
}

// requireCoversPrefix checks that events include every registered type starting with prefix.
func requireCoversPrefix(t *testing.T, prefix string, events []domain.Event) {
	t.Helper()
	var registered, covered []string
	for _, typ := range domain.EventTypes() {
		if strings.HasPrefix(typ, prefix) {
			registered = append(registered, typ)
		}
	}
	for _, e := range events {
		if !slices.Contains(covered, e.EventType()) {
			covered = append(covered, e.EventType())
		}
	}
	slices.Sort(registered)
	slices.Sort(covered)
	require.Equal(t, registered, covered)
}

// requireJSONRoundTrip checks that a state survives JSON exactly, as projections store it.
func requireJSONRoundTrip[T any](t *testing.T, s *T) {
	t.Helper()
	b, err := json.Marshal(s)
	require.NoError(t, err)
	var got T
	require.NoError(t, json.Unmarshal(b, &got))
	require.Equal(t, s, &got)
}

// jsonCopy deep-copies a state through JSON (used to check that Decide does not mutate).
func jsonCopy[T any](t *testing.T, s *T) *T {
	t.Helper()
	b, err := json.Marshal(s)
	require.NoError(t, err)
	var out T
	require.NoError(t, json.Unmarshal(b, &out))
	return &out
}

func newApp(t *testing.T, extra ...domain.AppCommand) *domain.App {
	t.Helper()
	s := &domain.App{}
	for _, c := range append([]domain.AppCommand{domain.CreateApp{AppID: "a1", Name: "Shop", WorkspaceID: "w1"}}, extra...) {
		evs, err := s.Decide(c, testEnv())
		require.NoError(t, err)
		for _, e := range evs {
			s.Apply(e)
		}
	}
	return s
}

func TestAppDecideRejections(t *testing.T) {
	t.Parallel()
	deleted := func(t *testing.T) *domain.App { return newApp(t, domain.DeleteApp{}) }
	live := func(t *testing.T) *domain.App { return newApp(t) }
	missing := func(*testing.T) *domain.App { return &domain.App{} }
	cases := []struct {
		name  string
		state func(*testing.T) *domain.App
		cmd   domain.AppCommand
		kind  error
		code  string
		path  string
	}{
		{"create existing", live, domain.CreateApp{AppID: "a1", Name: "X"}, domain.ErrConflict, "exists", ""},
		{"create over deleted", deleted, domain.CreateApp{AppID: "a1", Name: "X"}, domain.ErrConflict, "exists", ""},
		{"create empty id", missing, domain.CreateApp{Name: "X"}, domain.ErrInvalid, "invalid_id", "/appId"},
		{"create id with space", missing, domain.CreateApp{AppID: "a 1", Name: "X"}, domain.ErrInvalid, "invalid_id", "/appId"},
		{"create id too long", missing, domain.CreateApp{AppID: strings.Repeat("a", 101), Name: "X"}, domain.ErrInvalid, "invalid_id", "/appId"},
		{"create bad workspace", missing, domain.CreateApp{AppID: "a1", Name: "X", WorkspaceID: "w/1"}, domain.ErrInvalid, "invalid_id", "/workspaceId"},
		{"create blank name", missing, domain.CreateApp{AppID: "a1", Name: "   "}, domain.ErrInvalid, "invalid_name", "/name"},
		{"create long name", missing, domain.CreateApp{AppID: "a1", Name: strings.Repeat("é", 101)}, domain.ErrInvalid, "invalid_name", "/name"},
		{"create control char name", missing, domain.CreateApp{AppID: "a1", Name: "a\x00b"}, domain.ErrInvalid, "invalid_name", "/name"},
		{"rename missing", missing, domain.RenameApp{Name: "X"}, domain.ErrNotFound, "not_found", ""},
		{"rename deleted", deleted, domain.RenameApp{Name: "X"}, domain.ErrNotFound, "not_found", ""},
		{"rename blank", live, domain.RenameApp{Name: ""}, domain.ErrInvalid, "invalid_name", "/name"},
		{"settings missing", missing, domain.UpdateAppSettings{}, domain.ErrNotFound, "not_found", ""},
		{"settings relative url", live, domain.UpdateAppSettings{Settings: domain.AppSettings{FlowServiceURL: "/flows"}}, domain.ErrInvalid, "invalid_url", "/settings/flowServiceUrl"},
		{"settings ftp url", live, domain.UpdateAppSettings{Settings: domain.AppSettings{FlowServiceURL: "ftp://flows.example.com"}}, domain.ErrInvalid, "invalid_url", "/settings/flowServiceUrl"},
		{"settings url without host", live, domain.UpdateAppSettings{Settings: domain.AppSettings{FlowServiceURL: "http://"}}, domain.ErrInvalid, "invalid_url", "/settings/flowServiceUrl"},
		{"settings negative timeout", live, domain.UpdateAppSettings{Settings: domain.AppSettings{ScriptTimeoutMs: -1}}, domain.ErrInvalid, "invalid_timeout", "/settings/scriptTimeoutMs"},
		{"settings timeout over the ceiling", live, domain.UpdateAppSettings{Settings: domain.AppSettings{ScriptTimeoutMs: domain.MaxScriptTimeoutMs + 1}}, domain.ErrInvalid, "invalid_timeout", "/settings/scriptTimeoutMs"},
		{"publish missing", missing, domain.PublishApp{Pages: map[string]int64{"p1": 1}}, domain.ErrNotFound, "not_found", ""},
		{"publish no pages", live, domain.PublishApp{}, domain.ErrInvalid, "nothing_to_publish", "/pages"},
		{"publish version 0", live, domain.PublishApp{Pages: map[string]int64{"p1": 0}}, domain.ErrInvalid, "invalid_version", "/pages/p1"},
		{"publish bad script id", live, domain.PublishApp{Pages: map[string]int64{"p1": 1}, Scripts: map[string]int64{"s 1": 1}}, domain.ErrInvalid, "invalid_id", "/scripts/s 1"},
		{"settings wildcard without a domain", live, domain.UpdateAppSettings{Settings: domain.AppSettings{AllowedHosts: []string{"*.com"}}}, domain.ErrInvalid, "invalid_hosts", "/settings/allowedHosts/0"},
		{"settings host with a path", live, domain.UpdateAppSettings{Settings: domain.AppSettings{AllowedHosts: []string{"api.example.com", "x.com/evil"}}}, domain.ErrInvalid, "invalid_hosts", "/settings/allowedHosts/1"},
		{"settings upper-case host", live, domain.UpdateAppSettings{Settings: domain.AppSettings{AllowedHosts: []string{"API.example.com"}}}, domain.ErrInvalid, "invalid_hosts", "/settings/allowedHosts/0"},
		{"settings empty token name", live, domain.UpdateAppSettings{Settings: domain.AppSettings{Theme: map[string]string{" ": "x"}}}, domain.ErrInvalid, "invalid_theme", "/settings/theme/ "},
		{"settings long token value", live, domain.UpdateAppSettings{Settings: domain.AppSettings{Theme: map[string]string{"a/b": strings.Repeat("x", 201)}}}, domain.ErrInvalid, "invalid_theme", "/settings/theme/a~1b"},
		{"delete missing", missing, domain.DeleteApp{}, domain.ErrNotFound, "not_found", ""},
		{"delete deleted", deleted, domain.DeleteApp{}, domain.ErrNotFound, "not_found", ""},
		{"nil command", live, nil, domain.ErrInvalid, "unknown_command", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.state(t)
			before := jsonCopy(t, s)
			evs, err := s.Decide(tc.cmd, testEnv())
			require.Nil(t, evs)
			requireDomainErr(t, err, tc.kind, tc.code, tc.path)
			require.Equal(t, before, s, "Decide must not mutate the state")
		})
	}
}

func TestAppLifecycle(t *testing.T) {
	t.Parallel()
	env := testEnv()
	var log []domain.Event
	s := &domain.App{}
	step := func(c domain.AppCommand) []domain.Event {
		t.Helper()
		evs, err := s.Decide(c, env)
		require.NoError(t, err)
		for _, e := range evs {
			s.Apply(e)
		}
		log = append(log, evs...)
		return evs
	}
	step(domain.CreateApp{AppID: "a1", Name: "  Shop  ", WorkspaceID: "w1"})
	require.True(t, s.Exists())
	require.Equal(t, "Shop", s.Name, "names are trimmed")
	require.Equal(t, int64(1), s.Version)

	require.Len(t, step(domain.RenameApp{Name: "Store"}), 1)
	require.Empty(t, step(domain.RenameApp{Name: " Store "}), "renaming to the current name changes nothing")

	settings := domain.AppSettings{FlowServiceURL: "https://flows.example.com/run", Theme: map[string]string{"color.primary": "#3366ff", "radius": "4px"}}
	require.Len(t, step(domain.UpdateAppSettings{Settings: settings}), 1)
	settings.Theme["color.primary"] = "#000000" // the state must not share the command's map
	require.Equal(t, "#3366ff", s.Settings.Theme["color.primary"])
	require.Empty(t, step(domain.UpdateAppSettings{Settings: domain.AppSettings{FlowServiceURL: "https://flows.example.com/run", Theme: map[string]string{"color.primary": "#3366ff", "radius": "4px"}}}))
	hosts := []string{"api.example.com", "*.internal.example.com", "10.0.0.5:8443"}
	require.Len(t, step(domain.UpdateAppSettings{Settings: domain.AppSettings{AllowedHosts: hosts, ScriptTimeoutMs: 200}}), 1)
	hosts[0] = "evil.com"
	require.Equal(t, "api.example.com", s.Settings.AllowedHosts[0], "state does not share the command's slice")
	require.Equal(t, 200*time.Millisecond, s.Settings.ScriptTimeout())
	require.Len(t, step(domain.UpdateAppSettings{Settings: domain.AppSettings{Theme: map[string]string{}}}), 1)
	require.Equal(t, 50*time.Millisecond, s.Settings.ScriptTimeout(), "0 is the default deadline")
	require.Nil(t, s.Settings.Theme, "an empty theme is stored as none")
	requireJSONRoundTrip(t, s)

	step(domain.DeleteApp{})
	require.False(t, s.Exists())
	require.Equal(t, int64(6), s.Version)

	folded := domain.FoldApp(log)
	require.Equal(t, s, folded)
	requireJSONRoundTrip(t, folded)
	requireJSONRoundTrip(t, &domain.App{})
}

func TestAppPublish(t *testing.T) {
	t.Parallel()
	s := newApp(t)
	publish := func(c domain.PublishApp) *domain.AppPublished {
		t.Helper()
		evs, err := s.Decide(c, testEnv())
		require.NoError(t, err)
		require.Len(t, evs, 1)
		s.Apply(evs[0])
		return evs[0].(*domain.AppPublished)
	}
	pages := map[string]int64{"p1": 4}
	first := publish(domain.PublishApp{Pages: pages})
	require.Equal(t, int64(1), first.Release)
	require.Equal(t, map[string]int64{}, first.Scripts, "no scripts is an empty set")
	require.Equal(t, "tester", first.By)
	pages["p1"] = 99
	require.Equal(t, int64(4), s.Published.Pages["p1"], "the release does not share the command's map")

	second := publish(domain.PublishApp{Pages: map[string]int64{"p1": 5, "p2": 1}, Scripts: map[string]int64{"s1": 2}})
	require.Equal(t, int64(2), second.Release)
	require.Equal(t, map[string]int64{"p1": 5, "p2": 1}, s.Published.Pages)
	require.Equal(t, int64(3), s.Version)
	requireJSONRoundTrip(t, s)
}

func TestAppEventsCodec(t *testing.T) {
	t.Parallel()
	events := []domain.Event{
		&domain.AppCreated{AppID: "a1", Name: "Shop", WorkspaceID: "w1"},
		&domain.AppRenamed{Name: "Store"},
		&domain.AppSettingsUpdated{Settings: domain.AppSettings{FlowServiceURL: "https://f.example.com", Theme: map[string]string{"color.primary": "#3366ff"}}},
		&domain.AppSettingsUpdated{},
		&domain.AppDeleted{},
		&domain.AppFlowSecretSet{Sealed: "v1.sealed"},
		&domain.AppPublished{AppRelease: domain.AppRelease{Release: 2, Pages: map[string]int64{"p1": 3}, Scripts: map[string]int64{"s1": 1}, Published: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), By: "ann"}},
	}
	requireCoversPrefix(t, "app.", events)
	requireCodecRoundTrip(t, events)
}
