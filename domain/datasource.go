package domain

import (
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DataSourceKind is the kind of system a data source talks to.
type DataSourceKind string

const (
	DataSourceREST     DataSourceKind = "rest"
	DataSourcePostgres DataSourceKind = "postgres"
	DataSourceStatic   DataSourceKind = "static"
)

// DataSource is a connection queries run against. Secrets are write-only: they are kept apart
// from Config and never leave the server through View.
//
// Secrets travel inside the events for now; encryption at rest comes with the accounts issue.
type DataSource struct {
	ID      string                     `json:"id"`
	AppID   string                     `json:"appId"`
	Name    string                     `json:"name"`
	Kind    DataSourceKind             `json:"kind"`
	Config  map[string]json.RawMessage `json:"config"`
	Secrets map[string]string          `json:"secrets"`
	Deleted bool                       `json:"deleted"`
	Version int64                      `json:"version"`
}

// DataSourceView is a data source as readers see it: the secret values are replaced by the
// names of the secrets that are set.
type DataSourceView struct {
	ID           string                     `json:"id"`
	AppID        string                     `json:"appId"`
	Name         string                     `json:"name"`
	Kind         DataSourceKind             `json:"kind"`
	Config       map[string]json.RawMessage `json:"config"`
	SecretFields []string                   `json:"secretFields"`
	Deleted      bool                       `json:"deleted"`
	Version      int64                      `json:"version"`
}

// View returns the data source without its secret values.
func (d *DataSource) View() DataSourceView {
	fields := slices.Sorted(maps.Keys(d.Secrets))
	if fields == nil {
		fields = []string{}
	}
	return DataSourceView{
		ID: d.ID, AppID: d.AppID, Name: d.Name, Kind: d.Kind,
		Config: cloneRawMap(d.Config), SecretFields: fields, Deleted: d.Deleted, Version: d.Version,
	}
}

// Limits of data source fields.
const (
	MaxDataSourceConfig = 1 << 20 // bytes of config JSON (a static source's data lives there)
	MaxSecretLen        = 8 << 10 // bytes per secret value
)

// Limits and defaults of the execution settings in a data source's config.
const (
	DefaultRESTTimeoutMs      = 10_000 // rest timeoutMs
	MaxRESTTimeoutMs          = 60_000
	MaxDataSourceAllowedHosts = 50    // rest allowedHosts entries
	DefaultStatementTimeoutMs = 5_000 // postgres statementTimeoutMs
	MaxStatementTimeoutMs     = 60_000
	DefaultMaxRows            = 1_000 // postgres maxRows
	MaxMaxRows                = 100_000
)

// DataSourceSecretFields lists the secret names a kind accepts.
func DataSourceSecretFields(k DataSourceKind) []string {
	switch k {
	case DataSourceREST:
		return []string{"apiKey", "bearerToken", "password"}
	case DataSourcePostgres:
		return []string{"password"}
	}
	return nil
}

// DataSourceCommand is a command on a DataSource.
type DataSourceCommand interface{ dataSourceCommand() }

type CreateDataSource struct {
	DataSourceID string                     `json:"dataSourceId"`
	AppID        string                     `json:"appId"`
	Name         string                     `json:"name"`
	Kind         DataSourceKind             `json:"kind"`
	Config       map[string]json.RawMessage `json:"config"`
	// Secrets with an empty value are left unset.
	Secrets map[string]string `json:"secrets"`
}

// UpdateDataSource replaces the config (nil keeps it) and merges the secrets: a key with an empty
// value removes that secret, keys not mentioned are kept.
type UpdateDataSource struct {
	Config  map[string]json.RawMessage `json:"config"`
	Secrets map[string]string          `json:"secrets"`
}

type RenameDataSource struct {
	Name string `json:"name"`
}

type DeleteDataSource struct{}

func (CreateDataSource) dataSourceCommand() {}
func (UpdateDataSource) dataSourceCommand() {}
func (RenameDataSource) dataSourceCommand() {}
func (DeleteDataSource) dataSourceCommand() {}

type DataSourceCreated struct {
	DataSourceID string                     `json:"dataSourceId"`
	AppID        string                     `json:"appId"`
	Name         string                     `json:"name"`
	Kind         DataSourceKind             `json:"kind"`
	Config       map[string]json.RawMessage `json:"config"`
	Secrets      map[string]string          `json:"secrets,omitempty"`
}

// DataSourceUpdated carries the whole new config, the secrets set (new values) and the names of
// the secrets removed.
type DataSourceUpdated struct {
	Config         map[string]json.RawMessage `json:"config"`
	Secrets        map[string]string          `json:"secrets,omitempty"`
	RemovedSecrets []string                   `json:"removedSecrets,omitempty"`
}

type DataSourceRenamed struct {
	Name string `json:"name"`
}

type DataSourceDeleted struct{}

func (*DataSourceCreated) EventType() string { return "datasource.created" }
func (*DataSourceUpdated) EventType() string { return "datasource.updated" }
func (*DataSourceRenamed) EventType() string { return "datasource.renamed" }
func (*DataSourceDeleted) EventType() string { return "datasource.deleted" }

// dataSourceEvents lists the events of the DataSource aggregate.
var dataSourceEvents = []eventDef{
	{event: &DataSourceCreated{}},
	{event: &DataSourceUpdated{}},
	{event: &DataSourceRenamed{}},
	{event: &DataSourceDeleted{}},
}

// Exists reports whether the data source was created and not deleted.
func (d *DataSource) Exists() bool { return d.ID != "" && !d.Deleted }

// Apply evolves the state by one event of its stream (every event counts towards Version).
func (d *DataSource) Apply(e Event) {
	d.Version++
	switch e := e.(type) {
	case *DataSourceCreated:
		d.ID, d.AppID, d.Name, d.Kind = e.DataSourceID, e.AppID, e.Name, e.Kind
		d.Config = cloneRawMap(e.Config)
		d.Secrets = nilIfEmpty(maps.Clone(e.Secrets))
	case *DataSourceUpdated:
		d.Config = cloneRawMap(e.Config)
		secrets := maps.Clone(d.Secrets)
		if secrets == nil {
			secrets = map[string]string{}
		}
		maps.Copy(secrets, e.Secrets)
		for _, k := range e.RemovedSecrets {
			delete(secrets, k)
		}
		d.Secrets = nilIfEmpty(secrets)
	case *DataSourceRenamed:
		d.Name = e.Name
	case *DataSourceDeleted:
		d.Deleted = true
	}
}

// FoldDataSource folds a data source stream into its state.
func FoldDataSource(events []Event) *DataSource { return fold[DataSource](events) }

// Decide validates c against the state and returns the events to append. A command that would
// change nothing yields no events and no error.
func (d *DataSource) Decide(c DataSourceCommand, env Env) ([]Event, error) {
	if cr, ok := c.(CreateDataSource); ok {
		if d.Version > 0 {
			return nil, conflict("exists", "", "data source %q already exists", d.ID)
		}
		if err := checkID("/dataSourceId", cr.DataSourceID); err != nil {
			return nil, err
		}
		if err := checkID("/appId", cr.AppID); err != nil {
			return nil, err
		}
		name, err := checkName("/name", cr.Name)
		if err != nil {
			return nil, err
		}
		if DataSourceConfigFields(cr.Kind) == nil {
			return nil, invalid("invalid_kind", "/kind", "kind must be rest, postgres or static")
		}
		cfg, err := checkDataSourceConfig(cr.Kind, cr.Config)
		if err != nil {
			return nil, err
		}
		set, _, err := checkSecrets(cr.Kind, cr.Secrets, nil)
		if err != nil {
			return nil, err
		}
		return []Event{&DataSourceCreated{DataSourceID: cr.DataSourceID, AppID: cr.AppID, Name: name, Kind: cr.Kind, Config: cfg, Secrets: set}}, nil
	}
	if !d.Exists() {
		return nil, notFound("not_found", "", "data source not found")
	}
	switch c := c.(type) {
	case UpdateDataSource:
		cfg := d.Config
		if c.Config != nil {
			var err error
			if cfg, err = checkDataSourceConfig(d.Kind, c.Config); err != nil {
				return nil, err
			}
		}
		set, removed, err := checkSecrets(d.Kind, c.Secrets, d.Secrets)
		if err != nil {
			return nil, err
		}
		if len(set) == 0 && len(removed) == 0 && rawMapsEqual(cfg, d.Config) {
			return nil, nil
		}
		return []Event{&DataSourceUpdated{Config: cloneRawMap(cfg), Secrets: set, RemovedSecrets: removed}}, nil
	case RenameDataSource:
		name, err := checkName("/name", c.Name)
		if err != nil {
			return nil, err
		}
		if name == d.Name {
			return nil, nil
		}
		return []Event{&DataSourceRenamed{Name: name}}, nil
	case DeleteDataSource:
		return []Event{&DataSourceDeleted{}}, nil
	case nil:
		return nil, invalid("unknown_command", "", "no command")
	default:
		return nil, invalid("unknown_command", "", "unknown data source command %T", c)
	}
}

// checkSecrets validates secret changes against the kind and the current secrets. It returns
// the secrets to set (only the ones whose value changes) and the names to remove (only the ones
// that are set), sorted.
func checkSecrets(kind DataSourceKind, in, current map[string]string) (map[string]string, []string, error) {
	allowed := DataSourceSecretFields(kind)
	set := map[string]string{}
	var removed []string
	for _, k := range slices.Sorted(maps.Keys(in)) {
		v := in[k]
		path := "/secrets/" + ptrTok(k)
		if !slices.Contains(allowed, k) {
			return nil, nil, invalid("unknown_secret", path, "%s data sources have no secret %q (allowed: %s)", kind, k, strings.Join(allowed, ", "))
		}
		if len(v) > MaxSecretLen || !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return nil, nil, invalid("invalid_secret", path, "secret values must be valid text of at most %d bytes", MaxSecretLen)
		}
		cur, has := current[k]
		switch {
		case v == "" && has:
			removed = append(removed, k)
		case v != "" && (!has || cur != v):
			set[k] = v
		}
	}
	return nilIfEmpty(set), removed, nil
}

// DataSourceConfigFields lists the config fields a kind accepts (nil for an unknown kind); which
// are required is checked by Decide.
func DataSourceConfigFields(k DataSourceKind) []string {
	switch k {
	case DataSourceREST:
		return []string{"baseUrl", "headers", "timeoutMs", "allowedHosts", "user", "apiKeyHeader"}
	case DataSourcePostgres:
		return []string{"url", "host", "port", "database", "user", "sslmode", "statementTimeoutMs", "maxRows"}
	case DataSourceStatic:
		return []string{"data"}
	}
	return nil
}

// checkDataSourceConfig validates a config for kind and returns it with compacted values.
func checkDataSourceConfig(kind DataSourceKind, in map[string]json.RawMessage) (map[string]json.RawMessage, error) {
	cfg := make(map[string]json.RawMessage, len(in))
	size := 0
	for _, k := range slices.Sorted(maps.Keys(in)) {
		path := "/config/" + ptrTok(k)
		if fields := DataSourceConfigFields(kind); !slices.Contains(fields, k) {
			return nil, invalid("unknown_field", path, "%s data sources have no config field %q (allowed: %s)", kind, k, strings.Join(fields, ", "))
		}
		v, ok := compactJSON(in[k])
		if !ok {
			return nil, invalid("invalid_config", path, "not valid JSON")
		}
		size += len(k) + len(v)
		cfg[k] = v
	}
	if size > MaxDataSourceConfig {
		return nil, invalid("too_large", "/config", "config is %d bytes, at most %d allowed", size, MaxDataSourceConfig)
	}
	str := func(k string) (string, bool, error) {
		raw, ok := cfg[k]
		if !ok {
			return "", false, nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || strings.TrimSpace(s) == "" {
			return "", true, invalid("invalid_config", "/config/"+k, "%s must be a non-empty string", k)
		}
		return s, true, nil
	}
	required := func(k string) (string, error) {
		s, ok, err := str(k)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", invalid("missing_field", "/config/"+k, "%s data sources need %s", kind, k)
		}
		return s, nil
	}
	switch kind {
	case DataSourceREST:
		base, err := required("baseUrl")
		if err != nil {
			return nil, err
		}
		if !isHTTPURL(base) {
			return nil, invalid("invalid_url", "/config/baseUrl", "baseUrl must be an absolute http or https URL")
		}
		if raw, ok := cfg["headers"]; ok {
			var h map[string]string
			if err := json.Unmarshal(raw, &h); err != nil || h == nil {
				return nil, invalid("invalid_config", "/config/headers", "headers must be an object of strings")
			}
			for name := range h {
				if !validHeaderName(name) {
					return nil, invalid("invalid_config", "/config/headers/"+ptrTok(name), "%q is not a valid header name", name)
				}
			}
		}
		if err := checkIntField(cfg, "timeoutMs", MaxRESTTimeoutMs); err != nil {
			return nil, err
		}
		if err := checkAllowedHosts(cfg); err != nil {
			return nil, err
		}
		if _, _, err := str("user"); err != nil {
			return nil, err
		}
		if h, ok, err := str("apiKeyHeader"); err != nil {
			return nil, err
		} else if ok && !validHeaderName(h) {
			return nil, invalid("invalid_config", "/config/apiKeyHeader", "%q is not a valid header name", h)
		}
	case DataSourcePostgres:
		if err := checkPostgresConfig(cfg, str, required); err != nil {
			return nil, err
		}
		if err := checkIntField(cfg, "statementTimeoutMs", MaxStatementTimeoutMs); err != nil {
			return nil, err
		}
		if err := checkIntField(cfg, "maxRows", MaxMaxRows); err != nil {
			return nil, err
		}
	case DataSourceStatic:
		if _, ok := cfg["data"]; !ok {
			return nil, invalid("missing_field", "/config/data", "static data sources need data")
		}
	}
	return cfg, nil
}

func checkPostgresConfig(cfg map[string]json.RawMessage, str func(string) (string, bool, error), required func(string) (string, error)) error {
	if sslmode, ok, err := str("sslmode"); err != nil {
		return err
	} else if ok && !slices.Contains([]string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}, sslmode) {
		return invalid("invalid_config", "/config/sslmode", "sslmode must be disable, allow, prefer, require, verify-ca or verify-full")
	}
	if raw, ok, err := str("url"); err != nil {
		return err
	} else if ok {
		for _, k := range []string{"host", "port", "database", "user"} {
			if _, dup := cfg[k]; dup {
				return invalid("invalid_config", "/config/"+k, "give either url or host, port, database and user, not both")
			}
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			return invalid("invalid_url", "/config/url", "url must be a postgres:// URL with a host")
		}
		if _, has := u.User.Password(); has {
			return invalid("secret_in_config", "/config/url", "put the password in the password secret, not in the url")
		}
		return nil
	}
	for _, k := range []string{"host", "database", "user"} {
		if _, err := required(k); err != nil {
			return err
		}
	}
	raw, ok := cfg["port"]
	if !ok {
		return invalid("missing_field", "/config/port", "postgres data sources need port")
	}
	if n, err := strconv.Atoi(string(raw)); err != nil || n < 1 || n > 65535 {
		return invalid("invalid_config", "/config/port", "port must be an integer between 1 and 65535")
	}
	return nil
}

// checkIntField checks that the optional config field k, when present, is an integer in 1..max.
func checkIntField(cfg map[string]json.RawMessage, k string, max int) error {
	raw, ok := cfg[k]
	if !ok {
		return nil
	}
	if n, err := strconv.Atoi(string(raw)); err != nil || n < 1 || n > max {
		return invalid("invalid_config", "/config/"+k, "%s must be an integer between 1 and %d", k, max)
	}
	return nil
}

// checkAllowedHosts checks a rest source's allowedHosts: an array of host patterns as apps'
// allowedHosts take them (lower-case "api.example.com", optionally with ":port", or
// "*.example.com"). The baseUrl's host is always allowed and need not be listed.
func checkAllowedHosts(cfg map[string]json.RawMessage) error {
	raw, ok := cfg["allowedHosts"]
	if !ok {
		return nil
	}
	var hosts []string
	if err := json.Unmarshal(raw, &hosts); err != nil || hosts == nil {
		return invalid("invalid_config", "/config/allowedHosts", "allowedHosts must be an array of host names")
	}
	if len(hosts) > MaxDataSourceAllowedHosts {
		return invalid("invalid_config", "/config/allowedHosts", "at most %d allowed hosts", MaxDataSourceAllowedHosts)
	}
	for i, h := range hosts {
		if !validHostPattern(h) {
			return invalid("invalid_config", "/config/allowedHosts/"+strconv.Itoa(i), "%q is not a host name (like api.example.com, 10.0.0.5:8443 or *.example.com)", h)
		}
	}
	return nil
}

// validHeaderName accepts RFC 9110 tokens.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// cloneRawMap copies a map of raw JSON values; nil stays nil.
func cloneRawMap(m map[string]json.RawMessage) map[string]json.RawMessage {
	if m == nil {
		return nil
	}
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k] = slices.Clone(v)
	}
	return out
}

func rawMapsEqual(a, b map[string]json.RawMessage) bool {
	return maps.EqualFunc(a, b, func(x, y json.RawMessage) bool { return string(x) == string(y) })
}

// nilIfEmpty keeps JSON round trips exact: an empty map would come back as nil through omitempty.
func nilIfEmpty[M ~map[K]V, K comparable, V any](m M) M {
	if len(m) == 0 {
		return nil
	}
	return m
}
