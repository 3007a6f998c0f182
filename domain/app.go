package domain

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// App is the root of what a builder edits: a name, the workspace it belongs to and its settings.
type App struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	WorkspaceID string      `json:"workspaceId"`
	Settings    AppSettings `json:"settings"`
	// FlowSecret is the sealed secret that signs requests to the flow service (the caller seals
	// and opens it; the API never shows it).
	FlowSecret string `json:"flowSecret,omitempty"`
	// Published is the latest release, which "published" runs use; nil until the first publish.
	Published *AppRelease `json:"published,omitempty"`
	Deleted   bool        `json:"deleted"`
	Version   int64       `json:"version"`
}

// AppSettings are the app-wide settings.
type AppSettings struct {
	// FlowServiceURL, when set, sends workflows to an external flow service instead of the
	// built-in Lua runner.
	FlowServiceURL string `json:"flowServiceUrl"`
	// Theme maps theme token names to values ("color.primary": "#3366ff").
	Theme map[string]string `json:"theme"`
	// ScriptTimeoutMs is the deadline of each handler and reducer call of a running app, in
	// milliseconds; 0 means DefaultScriptTimeoutMs.
	ScriptTimeoutMs int `json:"scriptTimeoutMs,omitempty"`
	// AllowedHosts are the hosts workflows may reach with http.request: exact names
	// ("api.example.com", optionally with ":port") or one leading wildcard label
	// ("*.example.com"). Empty: none.
	AllowedHosts []string `json:"allowedHosts,omitempty"`
}

// MaxAllowedHosts bounds AppSettings.AllowedHosts.
const MaxAllowedHosts = 100

// Script deadlines of running apps. The ceiling keeps one app from holding a runtime worker
// long enough to starve the others.
const (
	DefaultScriptTimeoutMs = 50
	MaxScriptTimeoutMs     = 1000
)

// ScriptTimeout is the per-call deadline of the app's scripts.
func (st AppSettings) ScriptTimeout() time.Duration {
	if st.ScriptTimeoutMs <= 0 {
		return DefaultScriptTimeoutMs * time.Millisecond
	}
	return time.Duration(st.ScriptTimeoutMs) * time.Millisecond
}

// Limits of app fields.
const (
	MaxNameLen        = 100 // runes, for the names of every aggregate in this package
	MaxThemeTokens    = 500
	MaxThemeValueLen  = 200 // runes
	MaxThemeTokenName = 100 // runes
)

// AppCommand is a command on an App.
type AppCommand interface{ appCommand() }

type CreateApp struct {
	AppID       string `json:"appId"`
	Name        string `json:"name"`
	WorkspaceID string `json:"workspaceId"`
}

type RenameApp struct {
	Name string `json:"name"`
}

// UpdateAppSettings replaces the settings as a whole.
type UpdateAppSettings struct {
	Settings AppSettings `json:"settings"`
}

type DeleteApp struct{}

// PublishApp makes the given page and script versions the app's release: published runs use
// them while builders keep editing the draft.
type PublishApp struct {
	Pages   map[string]int64 `json:"pages"`
	Scripts map[string]int64 `json:"scripts"`
}

// AppRelease is one publish of an app: the version of every page and script it runs.
type AppRelease struct {
	Release   int64            `json:"release"` // 1, 2, 3, ... per app
	Pages     map[string]int64 `json:"pages"`
	Scripts   map[string]int64 `json:"scripts"`
	Published time.Time        `json:"published"`
	By        string           `json:"by"`
}

// MaxReleaseEntries bounds the pages, and separately the scripts, of one release.
const MaxReleaseEntries = 10_000

func (CreateApp) appCommand()         {}
func (RenameApp) appCommand()         {}
func (UpdateAppSettings) appCommand() {}
func (DeleteApp) appCommand()         {}
func (PublishApp) appCommand()        {}
func (SetFlowSecret) appCommand()     {}

// SetFlowSecret replaces the flow service secret with Sealed (already sealed by the caller; ""
// removes it).
type SetFlowSecret struct {
	Sealed string `json:"sealed"`
}

type AppFlowSecretSet struct {
	Sealed string `json:"sealed"`
}

type AppCreated struct {
	AppID       string `json:"appId"`
	Name        string `json:"name"`
	WorkspaceID string `json:"workspaceId"`
}

type AppRenamed struct {
	Name string `json:"name"`
}

type AppSettingsUpdated struct {
	Settings AppSettings `json:"settings"`
}

type AppDeleted struct{}

type AppPublished struct {
	AppRelease
}

func (*AppCreated) EventType() string         { return "app.created" }
func (*AppRenamed) EventType() string         { return "app.renamed" }
func (*AppSettingsUpdated) EventType() string { return "app.settings_updated" }
func (*AppDeleted) EventType() string         { return "app.deleted" }
func (*AppPublished) EventType() string       { return "app.published" }
func (*AppFlowSecretSet) EventType() string   { return "app.flow_secret_set" }

// appEvents lists the events of the App aggregate.
var appEvents = []eventDef{
	{event: &AppCreated{}},
	{event: &AppRenamed{}},
	{event: &AppSettingsUpdated{}},
	{event: &AppDeleted{}},
	{event: &AppPublished{}},
	{event: &AppFlowSecretSet{}},
}

// Exists reports whether the app was created and not deleted.
func (s *App) Exists() bool { return s.ID != "" && !s.Deleted }

// Apply evolves the state by one event of its stream. Every event counts towards Version, so that
// Version stays the stream version even for event types this build ignores.
func (s *App) Apply(e Event) {
	s.Version++
	switch e := e.(type) {
	case *AppCreated:
		s.ID, s.Name, s.WorkspaceID = e.AppID, e.Name, e.WorkspaceID
	case *AppRenamed:
		s.Name = e.Name
	case *AppSettingsUpdated:
		s.Settings = cloneAppSettings(e.Settings)
	case *AppDeleted:
		s.Deleted = true
	case *AppFlowSecretSet:
		s.FlowSecret = e.Sealed
	case *AppPublished:
		r := e.AppRelease
		r.Pages, r.Scripts = maps.Clone(r.Pages), maps.Clone(r.Scripts)
		s.Published = &r
	}
}

// FoldApp folds an app stream into its state.
func FoldApp(events []Event) *App { return fold[App](events) }

// Decide validates c against the state and returns the events to append. A command that would
// change nothing (a rename to the current name) yields no events and no error.
func (s *App) Decide(c AppCommand, env Env) ([]Event, error) {
	if cr, ok := c.(CreateApp); ok {
		if s.Version > 0 {
			return nil, conflict("exists", "", "app %q already exists", s.ID)
		}
		if err := checkID("/appId", cr.AppID); err != nil {
			return nil, err
		}
		name, err := checkName("/name", cr.Name)
		if err != nil {
			return nil, err
		}
		if cr.WorkspaceID != "" {
			if err := checkID("/workspaceId", cr.WorkspaceID); err != nil {
				return nil, err
			}
		}
		return []Event{&AppCreated{AppID: cr.AppID, Name: name, WorkspaceID: cr.WorkspaceID}}, nil
	}
	if !s.Exists() {
		return nil, notFound("not_found", "", "app not found")
	}
	switch c := c.(type) {
	case RenameApp:
		name, err := checkName("/name", c.Name)
		if err != nil {
			return nil, err
		}
		if name == s.Name {
			return nil, nil
		}
		return []Event{&AppRenamed{Name: name}}, nil
	case UpdateAppSettings:
		if err := checkAppSettings(c.Settings); err != nil {
			return nil, err
		}
		next := cloneAppSettings(c.Settings)
		if next.FlowServiceURL == s.Settings.FlowServiceURL && maps.Equal(next.Theme, s.Settings.Theme) &&
			next.ScriptTimeoutMs == s.Settings.ScriptTimeoutMs && slices.Equal(next.AllowedHosts, s.Settings.AllowedHosts) {
			return nil, nil
		}
		return []Event{&AppSettingsUpdated{Settings: next}}, nil
	case DeleteApp:
		return []Event{&AppDeleted{}}, nil
	case PublishApp:
		return s.decidePublish(c, env)
	case SetFlowSecret:
		// Sealing adds a nonce, tag and encoding: allow for them.
		if len(c.Sealed) > 2*MaxSecretLen {
			return nil, invalid("too_large", "/secret", "the secret is at most %d bytes", MaxSecretLen)
		}
		return []Event{&AppFlowSecretSet{Sealed: c.Sealed}}, nil
	case nil:
		return nil, invalid("unknown_command", "", "no command")
	default:
		return nil, invalid("unknown_command", "", "unknown app command %T", c)
	}
}

func (s *App) decidePublish(c PublishApp, env Env) ([]Event, error) {
	if len(c.Pages) == 0 {
		return nil, invalid("nothing_to_publish", "/pages", "an app without pages cannot be published")
	}
	for field, m := range map[string]map[string]int64{"pages": c.Pages, "scripts": c.Scripts} {
		if len(m) > MaxReleaseEntries {
			return nil, invalid("too_large", "/"+field, "a release holds at most %d %s", MaxReleaseEntries, field)
		}
		for id, v := range m {
			if err := checkID("/"+field+"/"+ptrTok(id), id); err != nil {
				return nil, err
			}
			if v < 1 {
				return nil, invalid("invalid_version", "/"+field+"/"+ptrTok(id), "versions start at 1")
			}
		}
	}
	next := int64(1)
	if s.Published != nil {
		next = s.Published.Release + 1
	}
	scripts := maps.Clone(c.Scripts)
	if scripts == nil {
		scripts = map[string]int64{}
	}
	return []Event{&AppPublished{AppRelease{
		Release: next, Pages: maps.Clone(c.Pages), Scripts: scripts,
		Published: env.Now.UTC(), By: env.Actor,
	}}}, nil
}

func checkAppSettings(st AppSettings) error {
	if st.FlowServiceURL != "" && !isHTTPURL(st.FlowServiceURL) {
		return invalid("invalid_url", "/settings/flowServiceUrl", "flowServiceUrl must be an absolute http or https URL")
	}
	if st.ScriptTimeoutMs < 0 || st.ScriptTimeoutMs > MaxScriptTimeoutMs {
		return invalid("invalid_timeout", "/settings/scriptTimeoutMs", "scriptTimeoutMs must be between 1 and %d (0: the default, %d)", MaxScriptTimeoutMs, DefaultScriptTimeoutMs)
	}
	if len(st.AllowedHosts) > MaxAllowedHosts {
		return invalid("invalid_hosts", "/settings/allowedHosts", "at most %d allowed hosts", MaxAllowedHosts)
	}
	for i, h := range st.AllowedHosts {
		if !validHostPattern(h) {
			return invalid("invalid_hosts", "/settings/allowedHosts/"+strconv.Itoa(i), "%q is not a host name (api.example.com, api.example.com:8443 or *.example.com)", h)
		}
	}
	if len(st.Theme) > MaxThemeTokens {
		return invalid("invalid_theme", "/settings/theme", "at most %d theme tokens", MaxThemeTokens)
	}
	for k, v := range st.Theme {
		path := "/settings/theme/" + ptrTok(k)
		if strings.TrimSpace(k) == "" || utf8.RuneCountInString(k) > MaxThemeTokenName || !utf8.ValidString(k) {
			return invalid("invalid_theme", path, "theme token names must be 1..%d characters", MaxThemeTokenName)
		}
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > MaxThemeValueLen {
			return invalid("invalid_theme", path, "theme token values must be at most %d characters", MaxThemeValueLen)
		}
	}
	return nil
}

// cloneAppSettings copies the theme so that state never shares a map with a command or event; an
// empty theme becomes nil so that JSON round trips are exact.
func cloneAppSettings(st AppSettings) AppSettings {
	st.AllowedHosts = slices.Clone(st.AllowedHosts)
	if len(st.AllowedHosts) == 0 {
		st.AllowedHosts = nil
	}
	if len(st.Theme) == 0 {
		st.Theme = nil
	} else {
		st.Theme = maps.Clone(st.Theme)
	}
	return st
}

// Helpers shared by the aggregates of this file group (app, script, schema, data source, query).

// checkName trims a display name and checks its length.
func checkName(path, name string) (string, error) {
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	if n == 0 || n > MaxNameLen || !utf8.ValidString(name) {
		return "", invalid("invalid_name", path, "name must be 1..%d characters", MaxNameLen)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", invalid("invalid_name", path, "name must not contain control characters")
		}
	}
	return name, nil
}

// MaxIDLen bounds aggregate ids (they become part of stream ids).
const MaxIDLen = 100

// checkID accepts the ids the store accepts inside a stream id: printable, no spaces.
func checkID(path, id string) error {
	if id == "" || len(id) > MaxIDLen || !utf8.ValidString(id) {
		return invalid("invalid_id", path, "id must be 1..%d bytes", MaxIDLen)
	}
	for _, r := range id {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '/' {
			return invalid("invalid_id", path, "id must not contain spaces, control characters or '/'")
		}
	}
	return nil
}

// isHTTPURL reports whether s is an absolute http or https URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Opaque == ""
}

// validHostPattern accepts a lower-case DNS name or IP literal with an optional port, or a
// wildcard "*." in front of a name of at least two labels.
func validHostPattern(h string) bool {
	name := strings.TrimPrefix(h, "*.")
	if name != h && strings.Count(name, ".") < 1 {
		return false
	}
	u, err := url.Parse("http://" + name)
	if err != nil || u.Host != name || u.Hostname() == "" || len(h) > 255 {
		return false
	}
	for _, r := range u.Hostname() {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == ':' || r == '[' || r == ']') {
			return false
		}
	}
	return true
}

// ptrTok escapes one JSON-pointer reference token (RFC 6901).
func ptrTok(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// compactJSON validates raw and returns it compacted, the form json.Marshal writes, so that states
// and events holding raw JSON round-trip byte for byte.
func compactJSON(raw json.RawMessage) (json.RawMessage, bool) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, false
	}
	// Marshal validates, compacts and escapes exactly as it will when the value is stored.
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, false
	}
	return b, true
}
