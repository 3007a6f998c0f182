package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// ScriptKind says what a script is for; it decides the language.
type ScriptKind string

const (
	ScriptEventHandler ScriptKind = "event_handler"
	ScriptPageReducer  ScriptKind = "page_reducer"
	ScriptAppReducer   ScriptKind = "app_reducer"
	ScriptWorkflow     ScriptKind = "workflow"
)

// ScriptLanguage is the language a script is written in.
type ScriptLanguage string

const (
	LanguageJS  ScriptLanguage = "js"
	LanguageLua ScriptLanguage = "lua"
)

// MaxScriptText bounds a script's text in bytes.
const MaxScriptText = 256 << 10

// LanguageFor returns the language scripts of kind k are written in: workflows run in the Lua
// sandbox, everything else in the JS one.
func LanguageFor(k ScriptKind) (ScriptLanguage, bool) {
	switch k {
	case ScriptWorkflow:
		return LanguageLua, true
	case ScriptEventHandler, ScriptPageReducer, ScriptAppReducer:
		return LanguageJS, true
	}
	return "", false
}

// Script is a piece of user code: an event handler, a reducer or a workflow.
type Script struct {
	ID       string         `json:"id"`
	AppID    string         `json:"appId"`
	Name     string         `json:"name"`
	Kind     ScriptKind     `json:"kind"`
	Language ScriptLanguage `json:"language"`
	Text     string         `json:"text"`
	Deleted  bool           `json:"deleted"`
	// ReplayError is set when a recorded text change did not reproduce the text it promised
	// (length and hash). Text is then untrustworthy: further text changes are refused until a
	// restore, which carries the full text, repairs the script.
	ReplayError string `json:"replayError,omitempty"`
	// Retry is a workflow's retry policy; nil runs it once.
	Retry   *RetryPolicy `json:"retry,omitempty"`
	Version int64        `json:"version"`
}

// RetryPolicy says how often a failing workflow run is attempted and how long to wait first.
type RetryPolicy struct {
	MaxAttempts int `json:"maxAttempts"` // 1..MaxRunAttempts, the first attempt included
	BackoffMs   int `json:"backoffMs"`   // before the second attempt; doubled for each next one
}

// MaxRetryBackoffMs bounds RetryPolicy.BackoffMs.
const MaxRetryBackoffMs = 60_000

// SetScriptRetry sets a workflow's retry policy; nil removes it.
type SetScriptRetry struct {
	Retry *RetryPolicy `json:"retry"`
}

func (SetScriptRetry) scriptCommand() {}

type ScriptRetrySet struct {
	Retry *RetryPolicy `json:"retry"`
}

func (*ScriptRetrySet) EventType() string { return "script.retry_set" }

// ScriptCommand is a command on a Script.
type ScriptCommand interface{ scriptCommand() }

type CreateScript struct {
	ScriptID string         `json:"scriptId"`
	AppID    string         `json:"appId"`
	Name     string         `json:"name"`
	Kind     ScriptKind     `json:"kind"`
	Language ScriptLanguage `json:"language"`
	Text     string         `json:"text"`
}

// ChangeScriptText replaces the text; the event records only the difference.
type ChangeScriptText struct {
	Text string `json:"text"`
}

// EditScriptText applies character-level edits (byte offsets into the current text, in
// ApplyTextEdits form) and records exactly those edits: the co-editing socket's form, which keeps
// each person's change as they typed it rather than as a diff of the two texts.
type EditScriptText struct {
	Edits []TextEdit `json:"edits"`
}

type RenameScript struct {
	Name string `json:"name"`
}

type DeleteScript struct{}

// RestoreScript sets the text back to what it was at FromVersion. The caller reads that text from
// history (the aggregate only holds its head) and passes it in Text.
type RestoreScript struct {
	Text        string `json:"text"`
	FromVersion int64  `json:"fromVersion"`
}

func (CreateScript) scriptCommand()     {}
func (ChangeScriptText) scriptCommand() {}
func (EditScriptText) scriptCommand()   {}
func (RenameScript) scriptCommand()     {}
func (DeleteScript) scriptCommand()     {}
func (RestoreScript) scriptCommand()    {}

// ScriptCreated is at payload schema version 2; version 1 called the language "lang" with the
// values "javascript" and "lua" (see upcastScriptCreatedV1).
type ScriptCreated struct {
	ScriptID string         `json:"scriptId"`
	AppID    string         `json:"appId"`
	Name     string         `json:"name"`
	Kind     ScriptKind     `json:"kind"`
	Language ScriptLanguage `json:"language"`
	Text     string         `json:"text"`
}

// ScriptTextChanged records a text change as edits against the previous text, with the length
// and SHA-256 (hex) of the resulting text so that replay can be checked.
type ScriptTextChanged struct {
	Edits  []TextEdit `json:"edits"`
	Length int        `json:"length"`
	Hash   string     `json:"hash"`
}

type ScriptRenamed struct {
	Name string `json:"name"`
}

type ScriptDeleted struct{}

// ScriptRestored carries the full restored text, so it also repairs a broken replay.
type ScriptRestored struct {
	Text        string `json:"text"`
	FromVersion int64  `json:"fromVersion"`
}

func (*ScriptCreated) EventType() string     { return "script.created" }
func (*ScriptTextChanged) EventType() string { return "script.text_changed" }
func (*ScriptRenamed) EventType() string     { return "script.renamed" }
func (*ScriptDeleted) EventType() string     { return "script.deleted" }
func (*ScriptRestored) EventType() string    { return "script.restored" }

// scriptEvents lists the events of the Script aggregate.
var scriptEvents = []eventDef{
	{event: &ScriptCreated{}, upcasters: []Upcaster{upcastScriptCreatedV1}},
	{event: &ScriptTextChanged{}},
	{event: &ScriptRenamed{}},
	{event: &ScriptDeleted{}},
	{event: &ScriptRestored{}},
	{event: &ScriptRetrySet{}},
}

// upcastScriptCreatedV1 renames "lang" to "language" and maps "javascript" to "js".
func upcastScriptCreatedV1(data json.RawMessage) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("script.created v1: %w", err)
	}
	if raw, ok := m["lang"]; ok {
		var lang string
		if err := json.Unmarshal(raw, &lang); err != nil {
			return nil, fmt.Errorf("script.created v1 lang: %w", err)
		}
		switch lang {
		case "javascript":
			lang = string(LanguageJS)
		case "lua":
		default:
			return nil, fmt.Errorf("script.created v1: unknown lang %q", lang)
		}
		delete(m, "lang")
		m["language"], _ = json.Marshal(lang)
	}
	return json.Marshal(m)
}

// TextHash is the hash recorded with text changes: SHA-256 of the text, hex encoded.
func TextHash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// Exists reports whether the script was created and not deleted.
func (s *Script) Exists() bool { return s.ID != "" && !s.Deleted }

// Apply evolves the state by one event of its stream (every event counts towards Version).
func (s *Script) Apply(e Event) {
	s.Version++
	switch e := e.(type) {
	case *ScriptCreated:
		s.ID, s.AppID, s.Name, s.Kind, s.Language, s.Text = e.ScriptID, e.AppID, e.Name, e.Kind, e.Language, e.Text
	case *ScriptTextChanged:
		if s.ReplayError != "" {
			return
		}
		text, err := e.Replay(s.Text)
		if err != nil {
			s.ReplayError = fmt.Sprintf("version %d: %v", s.Version, err)
			return
		}
		s.Text = text
	case *ScriptRenamed:
		s.Name = e.Name
	case *ScriptDeleted:
		s.Deleted = true
	case *ScriptRetrySet:
		if e.Retry == nil {
			s.Retry = nil
		} else {
			p := *e.Retry
			s.Retry = &p
		}
	case *ScriptRestored:
		s.Text, s.ReplayError = e.Text, ""
	}
}

// Replay applies the change to the previous text and checks the result's length and hash.
func (e *ScriptTextChanged) Replay(prev string) (string, error) {
	text, err := ApplyTextEdits(prev, e.Edits)
	if err != nil {
		return "", err
	}
	if len(text) != e.Length || TextHash(text) != e.Hash {
		return "", fmt.Errorf("replayed text does not match the recorded length and hash")
	}
	return text, nil
}

// FoldScript folds a script stream into its state.
func FoldScript(events []Event) *Script { return fold[Script](events) }

// Decide validates c against the state and returns the events to append. Renaming to the current
// name yields no events; changing the text to the current text is rejected ("no_change") because
// a text change is an auditable act.
func (s *Script) Decide(c ScriptCommand, env Env) ([]Event, error) {
	if cr, ok := c.(CreateScript); ok {
		if s.Version > 0 {
			return nil, conflict("exists", "", "script %q already exists", s.ID)
		}
		if err := checkID("/scriptId", cr.ScriptID); err != nil {
			return nil, err
		}
		if err := checkID("/appId", cr.AppID); err != nil {
			return nil, err
		}
		name, err := checkName("/name", cr.Name)
		if err != nil {
			return nil, err
		}
		want, ok := LanguageFor(cr.Kind)
		if !ok {
			return nil, invalid("invalid_kind", "/kind", "kind must be event_handler, page_reducer, app_reducer or workflow")
		}
		lang := cr.Language
		switch lang {
		case "":
			lang = want
		case LanguageJS, LanguageLua:
			if lang != want {
				return nil, invalid("language_mismatch", "/language", "%s scripts are written in %s", cr.Kind, want)
			}
		default:
			return nil, invalid("invalid_language", "/language", "language must be js or lua")
		}
		if err := checkScriptText("/text", cr.Text); err != nil {
			return nil, err
		}
		return []Event{&ScriptCreated{ScriptID: cr.ScriptID, AppID: cr.AppID, Name: name, Kind: cr.Kind, Language: lang, Text: cr.Text}}, nil
	}
	if !s.Exists() {
		return nil, notFound("not_found", "", "script not found")
	}
	switch c := c.(type) {
	case ChangeScriptText:
		if s.ReplayError != "" {
			return nil, conflict("replay_failed", "", "the script's history does not replay (%s); restore a version first", s.ReplayError)
		}
		if err := checkScriptText("/text", c.Text); err != nil {
			return nil, err
		}
		if c.Text == s.Text {
			return nil, invalid("no_change", "/text", "the text is unchanged")
		}
		return []Event{&ScriptTextChanged{Edits: TextEditsBetween(s.Text, c.Text), Length: len(c.Text), Hash: TextHash(c.Text)}}, nil
	case EditScriptText:
		if s.ReplayError != "" {
			return nil, conflict("replay_failed", "", "the script's history does not replay (%s); restore a version first", s.ReplayError)
		}
		text, err := ApplyTextEdits(s.Text, c.Edits)
		if err != nil {
			return nil, err
		}
		if err := checkScriptText("/text", text); err != nil {
			return nil, err
		}
		if text == s.Text {
			return nil, nil // edits that cancel out change nothing
		}
		edits := slices.Clone(c.Edits)
		return []Event{&ScriptTextChanged{Edits: edits, Length: len(text), Hash: TextHash(text)}}, nil
	case RenameScript:
		name, err := checkName("/name", c.Name)
		if err != nil {
			return nil, err
		}
		if name == s.Name {
			return nil, nil
		}
		return []Event{&ScriptRenamed{Name: name}}, nil
	case DeleteScript:
		return []Event{&ScriptDeleted{}}, nil
	case SetScriptRetry:
		if s.Kind != ScriptWorkflow {
			return nil, invalid("not_a_workflow", "/retry", "only workflows have a retry policy")
		}
		if c.Retry == nil {
			if s.Retry == nil {
				return nil, nil
			}
			return []Event{&ScriptRetrySet{}}, nil
		}
		p := *c.Retry
		if p.MaxAttempts < 1 || p.MaxAttempts > MaxRunAttempts {
			return nil, invalid("invalid_retry", "/retry/maxAttempts", "maxAttempts must be 1..%d", MaxRunAttempts)
		}
		if p.BackoffMs < 0 || p.BackoffMs > MaxRetryBackoffMs {
			return nil, invalid("invalid_retry", "/retry/backoffMs", "backoffMs must be 0..%d", MaxRetryBackoffMs)
		}
		return []Event{&ScriptRetrySet{Retry: &p}}, nil
	case RestoreScript:
		if c.FromVersion < 1 || c.FromVersion > s.Version {
			return nil, invalid("invalid_version", "/fromVersion", "fromVersion must be between 1 and %d", s.Version)
		}
		if err := checkScriptText("/text", c.Text); err != nil {
			return nil, err
		}
		if c.Text == s.Text && s.ReplayError == "" {
			return nil, invalid("no_change", "/text", "the script already has this text")
		}
		return []Event{&ScriptRestored{Text: c.Text, FromVersion: c.FromVersion}}, nil
	case nil:
		return nil, invalid("unknown_command", "", "no command")
	default:
		return nil, invalid("unknown_command", "", "unknown script command %T", c)
	}
}

func checkScriptText(path, text string) error {
	if len(text) > MaxScriptText {
		return invalid("too_large", path, "script text is %d bytes, at most %d allowed", len(text), MaxScriptText)
	}
	if !utf8.ValidString(text) || strings.IndexByte(text, 0) >= 0 {
		// NUL is refused as well: Postgres text cannot hold it.
		return invalid("invalid_text", path, "script text must be valid UTF-8 without NUL characters")
	}
	return nil
}
