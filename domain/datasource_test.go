package domain_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
)

// cfg builds a config from alternating keys and raw JSON values.
func cfg(kv ...string) map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = json.RawMessage(kv[i+1])
	}
	return m
}

func newRESTSource(t *testing.T, cmds ...domain.DataSourceCommand) (*domain.DataSource, []domain.Event) {
	t.Helper()
	d := &domain.DataSource{}
	var log []domain.Event
	all := append([]domain.DataSourceCommand{domain.CreateDataSource{
		DataSourceID: "d1", AppID: "a1", Name: "CRM", Kind: domain.DataSourceREST,
		Config:  cfg("baseUrl", `"https://api.example.com/v1"`, "headers", `{"X-Team": "sales"}`),
		Secrets: map[string]string{"apiKey": "k-123"},
	}}, cmds...)
	for _, c := range all {
		evs, err := d.Decide(c, testEnv())
		require.NoError(t, err)
		for _, e := range evs {
			d.Apply(e)
		}
		log = append(log, evs...)
	}
	return d, log
}

func TestDataSourceDecideRejections(t *testing.T) {
	t.Parallel()
	live := func(t *testing.T) *domain.DataSource { d, _ := newRESTSource(t); return d }
	deleted := func(t *testing.T) *domain.DataSource { d, _ := newRESTSource(t, domain.DeleteDataSource{}); return d }
	missing := func(*testing.T) *domain.DataSource { return &domain.DataSource{} }
	rest := func(mod func(*domain.CreateDataSource)) domain.CreateDataSource {
		c := domain.CreateDataSource{DataSourceID: "d2", AppID: "a1", Name: "API", Kind: domain.DataSourceREST, Config: cfg("baseUrl", `"https://x.example.com"`)}
		mod(&c)
		return c
	}
	pg := func(config map[string]json.RawMessage, secrets map[string]string) domain.CreateDataSource {
		return domain.CreateDataSource{DataSourceID: "d2", AppID: "a1", Name: "DB", Kind: domain.DataSourcePostgres, Config: config, Secrets: secrets}
	}
	pgOK := func(kv ...string) map[string]json.RawMessage {
		m := cfg("host", `"db.internal"`, "port", `5432`, "database", `"shop"`, "user", `"app"`)
		for k, v := range cfg(kv...) {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name  string
		state func(*testing.T) *domain.DataSource
		cmd   domain.DataSourceCommand
		kind  error
		code  string
		path  string
	}{
		{"create existing", live, rest(func(*domain.CreateDataSource) {}), domain.ErrConflict, "exists", ""},
		{"create over deleted", deleted, rest(func(*domain.CreateDataSource) {}), domain.ErrConflict, "exists", ""},
		{"create empty id", missing, rest(func(c *domain.CreateDataSource) { c.DataSourceID = "" }), domain.ErrInvalid, "invalid_id", "/dataSourceId"},
		{"create empty app", missing, rest(func(c *domain.CreateDataSource) { c.AppID = "" }), domain.ErrInvalid, "invalid_id", "/appId"},
		{"create blank name", missing, rest(func(c *domain.CreateDataSource) { c.Name = "" }), domain.ErrInvalid, "invalid_name", "/name"},
		{"create unknown kind", missing, rest(func(c *domain.CreateDataSource) { c.Kind = "mysql" }), domain.ErrInvalid, "invalid_kind", "/kind"},
		{"rest without baseUrl", missing, rest(func(c *domain.CreateDataSource) { c.Config = cfg() }), domain.ErrInvalid, "missing_field", "/config/baseUrl"},
		{"rest nil config", missing, rest(func(c *domain.CreateDataSource) { c.Config = nil }), domain.ErrInvalid, "missing_field", "/config/baseUrl"},
		{"rest baseUrl not a string", missing, rest(func(c *domain.CreateDataSource) { c.Config = cfg("baseUrl", `42`) }), domain.ErrInvalid, "invalid_config", "/config/baseUrl"},
		{"rest relative baseUrl", missing, rest(func(c *domain.CreateDataSource) { c.Config = cfg("baseUrl", `"/v1"`) }), domain.ErrInvalid, "invalid_url", "/config/baseUrl"},
		{"rest ftp baseUrl", missing, rest(func(c *domain.CreateDataSource) { c.Config = cfg("baseUrl", `"ftp://x.example.com"`) }), domain.ErrInvalid, "invalid_url", "/config/baseUrl"},
		{"rest headers not an object", missing, rest(func(c *domain.CreateDataSource) {
			c.Config = cfg("baseUrl", `"https://x.example.com"`, "headers", `["a"]`)
		}), domain.ErrInvalid, "invalid_config", "/config/headers"},
		{"rest header value not a string", missing, rest(func(c *domain.CreateDataSource) {
			c.Config = cfg("baseUrl", `"https://x.example.com"`, "headers", `{"X-A": 1}`)
		}), domain.ErrInvalid, "invalid_config", "/config/headers"},
		{"rest bad header name", missing, rest(func(c *domain.CreateDataSource) {
			c.Config = cfg("baseUrl", `"https://x.example.com"`, "headers", `{"Bad Header": "x"}`)
		}), domain.ErrInvalid, "invalid_config", "/config/headers/Bad Header"},
		{"rest bad timeout", missing, rest(func(c *domain.CreateDataSource) {
			c.Config = cfg("baseUrl", `"https://x.example.com"`, "timeoutMs", `0`)
		}), domain.ErrInvalid, "invalid_config", "/config/timeoutMs"},
		{"rest timeout above the ceiling", missing, rest(func(c *domain.CreateDataSource) {
			c.Config = cfg("baseUrl", `"https://x.example.com"`, "timeoutMs", `60001`)
		}), domain.ErrInvalid, "invalid_config", "/config/timeoutMs"},
		{"rest allowedHosts not an array", missing, rest(func(c *domain.CreateDataSource) {
			c.Config = cfg("baseUrl", `"https://x.example.com"`, "allowedHosts", `"api.example.com"`)
		}), domain.ErrInvalid, "invalid_config", "/config/allowedHosts"},
		{"rest allowedHosts null", missing, rest(func(c *domain.CreateDataSource) {
			c.Config = cfg("baseUrl", `"https://x.example.com"`, "allowedHosts", `null`)
		}), domain.ErrInvalid, "invalid_config", "/config/allowedHosts"},
		{"rest allowedHosts entry with a scheme", missing, rest(func(c *domain.CreateDataSource) {
			c.Config = cfg("baseUrl", `"https://x.example.com"`, "allowedHosts", `["api.example.com", "https://y.example.com"]`)
		}), domain.ErrInvalid, "invalid_config", "/config/allowedHosts/1"},
		{"rest allowedHosts entry with a path", missing, rest(func(c *domain.CreateDataSource) {
			c.Config = cfg("baseUrl", `"https://x.example.com"`, "allowedHosts", `["y.example.com/v1"]`)
		}), domain.ErrInvalid, "invalid_config", "/config/allowedHosts/0"},
		{"rest allowedHosts entry with credentials", missing, rest(func(c *domain.CreateDataSource) {
			c.Config = cfg("baseUrl", `"https://x.example.com"`, "allowedHosts", `["u@y.example.com"]`)
		}), domain.ErrInvalid, "invalid_config", "/config/allowedHosts/0"},
		{"rest allowedHosts too many", missing, rest(func(c *domain.CreateDataSource) {
			c.Config = cfg("baseUrl", `"https://x.example.com"`, "allowedHosts", `["a.example.com"`+strings.Repeat(`,"a.example.com"`, domain.MaxDataSourceAllowedHosts)+`]`)
		}), domain.ErrInvalid, "invalid_config", "/config/allowedHosts"},
		{"rest user not a string", missing, rest(func(c *domain.CreateDataSource) {
			c.Config = cfg("baseUrl", `"https://x.example.com"`, "user", `1`)
		}), domain.ErrInvalid, "invalid_config", "/config/user"},
		{"rest bad apiKeyHeader", missing, rest(func(c *domain.CreateDataSource) {
			c.Config = cfg("baseUrl", `"https://x.example.com"`, "apiKeyHeader", `"X Key"`)
		}), domain.ErrInvalid, "invalid_config", "/config/apiKeyHeader"},
		{"rest unknown field", missing, rest(func(c *domain.CreateDataSource) {
			c.Config = cfg("baseUrl", `"https://x.example.com"`, "base_url", `"x"`)
		}), domain.ErrInvalid, "unknown_field", "/config/base_url"},
		{"rest value not JSON", missing, rest(func(c *domain.CreateDataSource) {
			c.Config = cfg("baseUrl", `"https://x.example.com"`, "headers", `{`)
		}), domain.ErrInvalid, "invalid_config", "/config/headers"},
		{"rest unknown secret", missing, rest(func(c *domain.CreateDataSource) { c.Secrets = map[string]string{"token": "x"} }), domain.ErrInvalid, "unknown_secret", "/secrets/token"},
		{"rest oversized secret", missing, rest(func(c *domain.CreateDataSource) {
			c.Secrets = map[string]string{"apiKey": strings.Repeat("k", domain.MaxSecretLen+1)}
		}), domain.ErrInvalid, "invalid_secret", "/secrets/apiKey"},
		{"rest config too large", missing, rest(func(c *domain.CreateDataSource) {
			c.Config = cfg("baseUrl", `"https://x.example.com"`, "headers", `{"X-Big":"`+strings.Repeat("b", domain.MaxDataSourceConfig)+`"}`)
		}), domain.ErrInvalid, "too_large", "/config"},
		{"postgres without host", missing, pg(cfg("port", `5432`, "database", `"shop"`, "user", `"app"`), nil), domain.ErrInvalid, "missing_field", "/config/host"},
		{"postgres without database", missing, pg(cfg("host", `"h"`, "port", `5432`, "user", `"app"`), nil), domain.ErrInvalid, "missing_field", "/config/database"},
		{"postgres without user", missing, pg(cfg("host", `"h"`, "port", `5432`, "database", `"shop"`), nil), domain.ErrInvalid, "missing_field", "/config/user"},
		{"postgres without port", missing, pg(cfg("host", `"h"`, "database", `"shop"`, "user", `"app"`), nil), domain.ErrInvalid, "missing_field", "/config/port"},
		{"postgres port 0", missing, pg(pgOK("port", `0`), nil), domain.ErrInvalid, "invalid_config", "/config/port"},
		{"postgres port 65536", missing, pg(pgOK("port", `65536`), nil), domain.ErrInvalid, "invalid_config", "/config/port"},
		{"postgres port as string", missing, pg(pgOK("port", `"5432"`), nil), domain.ErrInvalid, "invalid_config", "/config/port"},
		{"postgres empty host", missing, pg(pgOK("host", `""`), nil), domain.ErrInvalid, "invalid_config", "/config/host"},
		{"postgres bad sslmode", missing, pg(pgOK("sslmode", `"maybe"`), nil), domain.ErrInvalid, "invalid_config", "/config/sslmode"},
		{"postgres statement timeout 0", missing, pg(pgOK("statementTimeoutMs", `0`), nil), domain.ErrInvalid, "invalid_config", "/config/statementTimeoutMs"},
		{"postgres statement timeout above the ceiling", missing, pg(pgOK("statementTimeoutMs", `60001`), nil), domain.ErrInvalid, "invalid_config", "/config/statementTimeoutMs"},
		{"postgres statement timeout as string", missing, pg(pgOK("statementTimeoutMs", `"5000"`), nil), domain.ErrInvalid, "invalid_config", "/config/statementTimeoutMs"},
		{"postgres maxRows 0", missing, pg(pgOK("maxRows", `0`), nil), domain.ErrInvalid, "invalid_config", "/config/maxRows"},
		{"postgres maxRows above the ceiling", missing, pg(pgOK("maxRows", `100001`), nil), domain.ErrInvalid, "invalid_config", "/config/maxRows"},
		{"postgres maxRows fraction", missing, pg(pgOK("maxRows", `10.5`), nil), domain.ErrInvalid, "invalid_config", "/config/maxRows"},
		{"postgres url with fields", missing, pg(pgOK("url", `"postgres://db/shop"`), nil), domain.ErrInvalid, "invalid_config", "/config/host"},
		{"postgres http url", missing, pg(cfg("url", `"http://db/shop"`), nil), domain.ErrInvalid, "invalid_url", "/config/url"},
		{"postgres url with password", missing, pg(cfg("url", `"postgres://app:hunter2@db/shop"`), nil), domain.ErrInvalid, "secret_in_config", "/config/url"},
		{"postgres apiKey secret", missing, pg(pgOK(), map[string]string{"apiKey": "x"}), domain.ErrInvalid, "unknown_secret", "/secrets/apiKey"},
		{"postgres password in config", missing, pg(pgOK("password", `"x"`), nil), domain.ErrInvalid, "unknown_field", "/config/password"},
		{"static without data", missing, domain.CreateDataSource{DataSourceID: "d2", AppID: "a1", Name: "S", Kind: domain.DataSourceStatic}, domain.ErrInvalid, "missing_field", "/config/data"},
		{"static with a secret", missing, domain.CreateDataSource{DataSourceID: "d2", AppID: "a1", Name: "S", Kind: domain.DataSourceStatic, Config: cfg("data", `[]`), Secrets: map[string]string{"password": "x"}}, domain.ErrInvalid, "unknown_secret", "/secrets/password"},
		{"update missing", missing, domain.UpdateDataSource{}, domain.ErrNotFound, "not_found", ""},
		{"update deleted", deleted, domain.UpdateDataSource{}, domain.ErrNotFound, "not_found", ""},
		{"update invalid config", live, domain.UpdateDataSource{Config: cfg("baseUrl", `"nope"`)}, domain.ErrInvalid, "invalid_url", "/config/baseUrl"},
		{"update config of another kind", live, domain.UpdateDataSource{Config: cfg("data", `[]`)}, domain.ErrInvalid, "unknown_field", "/config/data"},
		{"update unknown secret", live, domain.UpdateDataSource{Secrets: map[string]string{"sshKey": ""}}, domain.ErrInvalid, "unknown_secret", "/secrets/sshKey"},
		{"rename missing", missing, domain.RenameDataSource{Name: "x"}, domain.ErrNotFound, "not_found", ""},
		{"rename deleted", deleted, domain.RenameDataSource{Name: "x"}, domain.ErrNotFound, "not_found", ""},
		{"rename blank", live, domain.RenameDataSource{Name: ""}, domain.ErrInvalid, "invalid_name", "/name"},
		{"delete missing", missing, domain.DeleteDataSource{}, domain.ErrNotFound, "not_found", ""},
		{"delete deleted", deleted, domain.DeleteDataSource{}, domain.ErrNotFound, "not_found", ""},
		{"nil command", live, nil, domain.ErrInvalid, "unknown_command", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := tc.state(t)
			before := jsonCopy(t, d)
			evs, err := d.Decide(tc.cmd, testEnv())
			require.Nil(t, evs)
			requireDomainErr(t, err, tc.kind, tc.code, tc.path)
			require.Equal(t, before, d, "Decide must not mutate the state")
		})
	}
}

func TestDataSourceKinds(t *testing.T) {
	t.Parallel()
	cases := []domain.CreateDataSource{
		{Kind: domain.DataSourcePostgres, Config: cfg("host", `"db"`, "port", `5432`, "database", `"shop"`, "user", `"app"`, "sslmode", `"require"`), Secrets: map[string]string{"password": "pw"}},
		{Kind: domain.DataSourcePostgres, Config: cfg("url", `"postgres://app@db:5432/shop?sslmode=disable"`)},
		{Kind: domain.DataSourcePostgres, Config: cfg("url", `"postgresql://db/shop"`)},
		{Kind: domain.DataSourcePostgres, Config: cfg("url", `"postgres://db/shop"`, "statementTimeoutMs", `60000`, "maxRows", `100000`)},
		{Kind: domain.DataSourcePostgres, Config: cfg("url", `"postgres://db/shop"`, "statementTimeoutMs", `1`, "maxRows", `1`)},
		{Kind: domain.DataSourceREST, Config: cfg("baseUrl", `"https://api.example.com"`, "timeoutMs", `60000`, "user", `"svc"`, "apiKeyHeader", `"X-Token"`,
			"allowedHosts", `["files.example.com", "*.cdn.example.org", "10.0.0.5:8443", "localhost"]`), Secrets: map[string]string{"password": "p"}},
		{Kind: domain.DataSourceREST, Config: cfg("baseUrl", `"https://api.example.com"`, "allowedHosts", `[]`)},
		{Kind: domain.DataSourceStatic, Config: cfg("data", `{"rows": [{"id": 1}, {"id": 2}]}`)},
		{Kind: domain.DataSourceStatic, Config: cfg("data", `null`)},
		{Kind: domain.DataSourceREST, Config: cfg("baseUrl", `"http://localhost:8080"`, "timeoutMs", `5000`), Secrets: map[string]string{"bearerToken": "t", "password": "p", "apiKey": ""}},
	}
	for _, c := range cases {
		c.DataSourceID, c.AppID, c.Name = "d", "a", "n"
		d := &domain.DataSource{}
		evs, err := d.Decide(c, testEnv())
		require.NoError(t, err, "%+v", c)
		require.Len(t, evs, 1)
		d.Apply(evs[0])
		require.True(t, d.Exists())
		require.NotContains(t, d.Secrets, "apiKey", "an empty secret is not set")
		requireJSONRoundTrip(t, d)
		requireCodecRoundTrip(t, evs)
	}
}

func TestDataSourceSecretsAreWriteOnly(t *testing.T) {
	t.Parallel()
	d, log := newRESTSource(t,
		domain.UpdateDataSource{Secrets: map[string]string{"bearerToken": "tok"}},           // add
		domain.UpdateDataSource{Secrets: map[string]string{"apiKey": "k-123"}},              // same value: no event
		domain.UpdateDataSource{Secrets: map[string]string{"apiKey": "", "password": ""}},   // remove one, the other is not set
		domain.UpdateDataSource{Config: cfg("baseUrl", `"https://api.example.com/v2"`)},     // config only; headers dropped
		domain.UpdateDataSource{Config: cfg("baseUrl", "\"https://api.example.com/v2\"\n")}, // same once compacted
		domain.RenameDataSource{Name: "CRM v2"},
	)
	require.Len(t, log, 5)
	require.Equal(t, map[string]string{"bearerToken": "tok"}, d.Secrets)
	require.Equal(t, cfg("baseUrl", `"https://api.example.com/v2"`), d.Config)
	removal := log[2].(*domain.DataSourceUpdated)
	require.Equal(t, []string{"apiKey"}, removal.RemovedSecrets)
	require.Nil(t, removal.Secrets)

	v := d.View()
	require.Equal(t, []string{"bearerToken"}, v.SecretFields)
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	require.NotContains(t, string(raw), "tok\"", "the view must not carry secret values")
	require.NotContains(t, string(raw), "k-123")
	require.Equal(t, d.Config, v.Config)
	v.Config["baseUrl"][1] = 'X'
	require.Equal(t, cfg("baseUrl", `"https://api.example.com/v2"`), d.Config, "the view must not share the state's config")

	empty := (&domain.DataSource{}).View()
	require.NotNil(t, empty.SecretFields)

	require.Equal(t, d, domain.FoldDataSource(log))
	requireJSONRoundTrip(t, d)
	requireJSONRoundTrip(t, &domain.DataSource{})

	// Removing the last secret leaves none (nil, so that JSON round trips are exact).
	evs, err := d.Decide(domain.UpdateDataSource{Secrets: map[string]string{"bearerToken": ""}}, testEnv())
	require.NoError(t, err)
	d.Apply(evs[0])
	require.Nil(t, d.Secrets)
	require.Empty(t, d.View().SecretFields)
	requireJSONRoundTrip(t, d)
}

func TestDataSourceEventsCodec(t *testing.T) {
	t.Parallel()
	events := []domain.Event{
		&domain.DataSourceCreated{DataSourceID: "d1", AppID: "a1", Name: "CRM", Kind: domain.DataSourceREST, Config: cfg("baseUrl", `"https://x.example.com"`), Secrets: map[string]string{"apiKey": "k"}},
		&domain.DataSourceCreated{DataSourceID: "d1", AppID: "a1", Name: "S", Kind: domain.DataSourceStatic, Config: cfg("data", `[1,2]`)},
		&domain.DataSourceUpdated{Config: cfg("baseUrl", `"https://y.example.com"`), Secrets: map[string]string{"password": "p"}, RemovedSecrets: []string{"apiKey"}},
		&domain.DataSourceUpdated{Config: cfg("data", `{}`)},
		&domain.DataSourceRenamed{Name: "CRM 2"},
		&domain.DataSourceDeleted{},
	}
	requireCoversPrefix(t, "datasource.", events)
	requireCodecRoundTrip(t, events)
}
