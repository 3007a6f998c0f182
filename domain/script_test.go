package domain_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
)

func newScript(t *testing.T, cmds ...domain.ScriptCommand) (*domain.Script, []domain.Event) {
	t.Helper()
	s := &domain.Script{}
	var log []domain.Event
	all := append([]domain.ScriptCommand{domain.CreateScript{ScriptID: "s1", AppID: "a1", Name: "onClick", Kind: domain.ScriptEventHandler, Language: domain.LanguageJS, Text: "function handleEvent(p, ctx) {}\n"}}, cmds...)
	for _, c := range all {
		evs, err := s.Decide(c, testEnv())
		require.NoError(t, err)
		for _, e := range evs {
			s.Apply(e)
		}
		log = append(log, evs...)
	}
	return s, log
}

func TestScriptDecideRejections(t *testing.T) {
	t.Parallel()
	live := func(t *testing.T) *domain.Script { s, _ := newScript(t); return s }
	deleted := func(t *testing.T) *domain.Script { s, _ := newScript(t, domain.DeleteScript{}); return s }
	missing := func(*testing.T) *domain.Script { return &domain.Script{} }
	broken := func(t *testing.T) *domain.Script {
		_, log := newScript(t)
		log = append(log, &domain.ScriptTextChanged{Edits: []domain.TextEdit{{Pos: 0, Insert: "x"}}, Length: 1, Hash: "nope"})
		return domain.FoldScript(log)
	}
	create := func(mod func(*domain.CreateScript)) domain.CreateScript {
		c := domain.CreateScript{ScriptID: "s2", AppID: "a1", Name: "reducer", Kind: domain.ScriptPageReducer, Language: domain.LanguageJS, Text: "x"}
		mod(&c)
		return c
	}
	big := strings.Repeat("a", domain.MaxScriptText+1)
	cases := []struct {
		name  string
		state func(*testing.T) *domain.Script
		cmd   domain.ScriptCommand
		kind  error
		code  string
		path  string
	}{
		{"create existing", live, create(func(*domain.CreateScript) {}), domain.ErrConflict, "exists", ""},
		{"create over deleted", deleted, create(func(*domain.CreateScript) {}), domain.ErrConflict, "exists", ""},
		{"create empty id", missing, create(func(c *domain.CreateScript) { c.ScriptID = "" }), domain.ErrInvalid, "invalid_id", "/scriptId"},
		{"create empty app", missing, create(func(c *domain.CreateScript) { c.AppID = "" }), domain.ErrInvalid, "invalid_id", "/appId"},
		{"create blank name", missing, create(func(c *domain.CreateScript) { c.Name = "\t" }), domain.ErrInvalid, "invalid_name", "/name"},
		{"create unknown kind", missing, create(func(c *domain.CreateScript) { c.Kind = "macro" }), domain.ErrInvalid, "invalid_kind", "/kind"},
		{"create unknown language", missing, create(func(c *domain.CreateScript) { c.Language = "python" }), domain.ErrInvalid, "invalid_language", "/language"},
		{"create workflow in js", missing, create(func(c *domain.CreateScript) { c.Kind = domain.ScriptWorkflow }), domain.ErrInvalid, "language_mismatch", "/language"},
		{"create handler in lua", missing, create(func(c *domain.CreateScript) { c.Kind = domain.ScriptEventHandler; c.Language = domain.LanguageLua }), domain.ErrInvalid, "language_mismatch", "/language"},
		{"create app reducer in lua", missing, create(func(c *domain.CreateScript) { c.Kind = domain.ScriptAppReducer; c.Language = domain.LanguageLua }), domain.ErrInvalid, "language_mismatch", "/language"},
		{"create too large", missing, create(func(c *domain.CreateScript) { c.Text = big }), domain.ErrInvalid, "too_large", "/text"},
		{"create invalid utf-8", missing, create(func(c *domain.CreateScript) { c.Text = "a\xffb" }), domain.ErrInvalid, "invalid_text", "/text"},
		{"create NUL", missing, create(func(c *domain.CreateScript) { c.Text = "a\x00b" }), domain.ErrInvalid, "invalid_text", "/text"},
		{"change missing", missing, domain.ChangeScriptText{Text: "x"}, domain.ErrNotFound, "not_found", ""},
		{"change deleted", deleted, domain.ChangeScriptText{Text: "x"}, domain.ErrNotFound, "not_found", ""},
		{"change to same text", live, domain.ChangeScriptText{Text: "function handleEvent(p, ctx) {}\n"}, domain.ErrInvalid, "no_change", "/text"},
		{"change too large", live, domain.ChangeScriptText{Text: big}, domain.ErrInvalid, "too_large", "/text"},
		{"change invalid utf-8", live, domain.ChangeScriptText{Text: "\xc3"}, domain.ErrInvalid, "invalid_text", "/text"},
		{"change broken history", broken, domain.ChangeScriptText{Text: "y"}, domain.ErrConflict, "replay_failed", ""},
		{"rename missing", missing, domain.RenameScript{Name: "x"}, domain.ErrNotFound, "not_found", ""},
		{"rename deleted", deleted, domain.RenameScript{Name: "x"}, domain.ErrNotFound, "not_found", ""},
		{"rename too long", live, domain.RenameScript{Name: strings.Repeat("n", 101)}, domain.ErrInvalid, "invalid_name", "/name"},
		{"delete missing", missing, domain.DeleteScript{}, domain.ErrNotFound, "not_found", ""},
		{"delete deleted", deleted, domain.DeleteScript{}, domain.ErrNotFound, "not_found", ""},
		{"restore missing", missing, domain.RestoreScript{Text: "x", FromVersion: 1}, domain.ErrNotFound, "not_found", ""},
		{"restore deleted", deleted, domain.RestoreScript{Text: "x", FromVersion: 1}, domain.ErrNotFound, "not_found", ""},
		{"restore version 0", live, domain.RestoreScript{Text: "x", FromVersion: 0}, domain.ErrInvalid, "invalid_version", "/fromVersion"},
		{"restore future version", live, domain.RestoreScript{Text: "x", FromVersion: 2}, domain.ErrInvalid, "invalid_version", "/fromVersion"},
		{"restore current text", live, domain.RestoreScript{Text: "function handleEvent(p, ctx) {}\n", FromVersion: 1}, domain.ErrInvalid, "no_change", "/text"},
		{"restore too large", live, domain.RestoreScript{Text: big, FromVersion: 1}, domain.ErrInvalid, "too_large", "/text"},
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

func TestScriptLifecycle(t *testing.T) {
	t.Parallel()
	v1 := "function handleEvent(p, ctx) {}\n"
	v2 := "function handleEvent(p, ctx) {\n  ctx.dispatch({type: 'clicked'});\n}\n"
	v3 := "function handleEvent(payload, ctx) {\n  ctx.dispatch({type: 'clicked', payload});\n}\n"
	s, log := newScript(t,
		domain.ChangeScriptText{Text: v2},
		domain.ChangeScriptText{Text: v3},
		domain.RenameScript{Name: " onSave "},
		domain.RenameScript{Name: "onSave"}, // no event
		domain.RestoreScript{Text: v1, FromVersion: 1},
	)
	require.Len(t, log, 5)
	require.Equal(t, int64(5), s.Version)
	require.Equal(t, v1, s.Text)
	require.Equal(t, "onSave", s.Name)
	require.Equal(t, domain.LanguageJS, s.Language)

	changed := log[1].(*domain.ScriptTextChanged)
	require.Equal(t, len(v2), changed.Length)
	require.Equal(t, domain.TextHash(v2), changed.Hash)
	require.Len(t, changed.Hash, 64)
	text, err := changed.Replay(v1)
	require.NoError(t, err)
	require.Equal(t, v2, text)

	// The change v2 -> v3 holds the edits, not the text.
	inserted := 0
	for _, e := range log[2].(*domain.ScriptTextChanged).Edits {
		inserted += len(e.Insert)
	}
	require.LessOrEqual(t, inserted, len("ayload, payload")+8)

	require.Equal(t, s, domain.FoldScript(log))
	requireJSONRoundTrip(t, s)

	// Text at each version, as the history projection computes it.
	require.Equal(t, v2, domain.FoldScript(log[:2]).Text)
	require.Equal(t, v3, domain.FoldScript(log[:3]).Text)

	evs, err := s.Decide(domain.DeleteScript{}, testEnv())
	require.NoError(t, err)
	s.Apply(evs[0])
	require.False(t, s.Exists())
	requireJSONRoundTrip(t, s)
}

func TestScriptLanguageDefaultsFromKind(t *testing.T) {
	t.Parallel()
	for kind, lang := range map[domain.ScriptKind]domain.ScriptLanguage{
		domain.ScriptEventHandler: domain.LanguageJS,
		domain.ScriptPageReducer:  domain.LanguageJS,
		domain.ScriptAppReducer:   domain.LanguageJS,
		domain.ScriptWorkflow:     domain.LanguageLua,
	} {
		s := &domain.Script{}
		evs, err := s.Decide(domain.CreateScript{ScriptID: "s", AppID: "a", Name: "n", Kind: kind}, testEnv())
		require.NoError(t, err)
		require.Equal(t, lang, evs[0].(*domain.ScriptCreated).Language, "kind %s", kind)
		evs, err = s.Decide(domain.CreateScript{ScriptID: "s", AppID: "a", Name: "n", Kind: kind, Language: lang}, testEnv())
		require.NoError(t, err, "kind %s", kind)
		require.Len(t, evs, 1)
	}
}

func TestScriptReplayFailureIsRepairedByRestore(t *testing.T) {
	t.Parallel()
	_, log := newScript(t, domain.ChangeScriptText{Text: "v2\n"})
	tampered := *log[1].(*domain.ScriptTextChanged)
	tampered.Hash = domain.TextHash("something else")
	s := domain.FoldScript([]domain.Event{log[0], &tampered})
	require.NotEmpty(t, s.ReplayError)
	requireJSONRoundTrip(t, s)

	// Edits that do not apply are caught as well.
	bad := domain.FoldScript([]domain.Event{log[0], &domain.ScriptTextChanged{Edits: []domain.TextEdit{{Pos: 9999, Delete: 1}}, Length: 0, Hash: domain.TextHash("")}})
	require.NotEmpty(t, bad.ReplayError)

	evs, err := s.Decide(domain.RestoreScript{Text: s.Text, FromVersion: 1}, testEnv())
	require.NoError(t, err, "restoring the current text is allowed when it repairs the history")
	s.Apply(evs[0])
	require.Empty(t, s.ReplayError)
	evs, err = s.Decide(domain.ChangeScriptText{Text: "v3\n"}, testEnv())
	require.NoError(t, err)
	require.Len(t, evs, 1)
}

func TestScriptRetry(t *testing.T) {
	t.Parallel()
	newScript := func(kind domain.ScriptKind, lang domain.ScriptLanguage) *domain.Script {
		s := &domain.Script{}
		evs, err := s.Decide(domain.CreateScript{ScriptID: "s1", AppID: "a1", Name: "x", Kind: kind, Language: lang, Text: "x"}, testEnv())
		require.NoError(t, err)
		s.Apply(evs[0])
		return s
	}
	w := newScript(domain.ScriptWorkflow, domain.LanguageLua)
	evs, err := w.Decide(domain.SetScriptRetry{Retry: &domain.RetryPolicy{MaxAttempts: 3, BackoffMs: 100}}, testEnv())
	require.NoError(t, err)
	w.Apply(evs[0])
	require.Equal(t, &domain.RetryPolicy{MaxAttempts: 3, BackoffMs: 100}, w.Retry)
	evs, err = w.Decide(domain.SetScriptRetry{}, testEnv())
	require.NoError(t, err)
	w.Apply(evs[0])
	require.Nil(t, w.Retry)

	for _, tc := range []struct {
		s          *domain.Script
		p          domain.RetryPolicy
		code, path string
	}{
		{newScript(domain.ScriptEventHandler, domain.LanguageJS), domain.RetryPolicy{MaxAttempts: 2}, "not_a_workflow", "/retry"},
		{w, domain.RetryPolicy{MaxAttempts: 0}, "invalid_retry", "/retry/maxAttempts"},
		{w, domain.RetryPolicy{MaxAttempts: domain.MaxRunAttempts + 1}, "invalid_retry", "/retry/maxAttempts"},
		{w, domain.RetryPolicy{MaxAttempts: 2, BackoffMs: -1}, "invalid_retry", "/retry/backoffMs"},
	} {
		_, err := tc.s.Decide(domain.SetScriptRetry{Retry: &tc.p}, testEnv())
		requireDomainErr(t, err, domain.ErrInvalid, tc.code, tc.path)
	}
}

func TestScriptEventsCodec(t *testing.T) {
	t.Parallel()
	events := []domain.Event{
		&domain.ScriptCreated{ScriptID: "s1", AppID: "a1", Name: "flow", Kind: domain.ScriptWorkflow, Language: domain.LanguageLua, Text: "return 1\n"},
		&domain.ScriptTextChanged{Edits: []domain.TextEdit{{Pos: 7, Delete: 1, Insert: "2 -- €"}}, Length: 16, Hash: domain.TextHash("return 2 -- €\n")},
		&domain.ScriptTextChanged{Edits: []domain.TextEdit{{Pos: 0, Delete: 3}}, Length: 0, Hash: domain.TextHash("")},
		&domain.ScriptRenamed{Name: "flow2"},
		&domain.ScriptDeleted{},
		&domain.ScriptRestored{Text: "<b>&</b>", FromVersion: 2},
		&domain.ScriptRetrySet{Retry: &domain.RetryPolicy{MaxAttempts: 3, BackoffMs: 200}},
	}
	requireCoversPrefix(t, "script.", events)
	requireCodecRoundTrip(t, events)
}

func TestScriptCreatedUpcastFromV1(t *testing.T) {
	t.Parallel()
	_, _, version, err := domain.Encode(&domain.ScriptCreated{ScriptID: "s1"})
	require.NoError(t, err)
	require.Equal(t, 2, version, "script.created is written at payload schema version 2")

	cases := []struct {
		name, v1 string
		want     domain.ScriptLanguage
	}{
		{"javascript", `{"scriptId":"s1","appId":"a1","name":"onClick","kind":"event_handler","lang":"javascript","text":"x"}`, domain.LanguageJS},
		{"lua", `{"scriptId":"s1","appId":"a1","name":"onClick","kind":"workflow","lang":"lua","text":"x"}`, domain.LanguageLua},
	}
	for _, tc := range cases {
		e, err := domain.Decode("script.created", 1, json.RawMessage(tc.v1))
		require.NoError(t, err, tc.name)
		got := e.(*domain.ScriptCreated)
		require.Equal(t, tc.want, got.Language, tc.name)
		require.Equal(t, "s1", got.ScriptID)
		require.Equal(t, "x", got.Text)

		// Schema version 0 (unset) means 1.
		e, err = domain.Decode("script.created", 0, json.RawMessage(tc.v1))
		require.NoError(t, err)
		require.Equal(t, tc.want, e.(*domain.ScriptCreated).Language)
	}

	// A v2 payload is not upcast.
	e, err := domain.Decode("script.created", 2, json.RawMessage(`{"scriptId":"s1","language":"js"}`))
	require.NoError(t, err)
	require.Equal(t, domain.LanguageJS, e.(*domain.ScriptCreated).Language)

	for _, bad := range []string{`{"lang":"cobol"}`, `{"lang":5}`, `[1]`} {
		_, err := domain.Decode("script.created", 1, json.RawMessage(bad))
		require.Error(t, err, bad)
	}
	_, err = domain.Decode("script.created", 3, json.RawMessage(`{}`))
	require.Error(t, err, "a payload newer than the build is refused")
}

func TestEditScriptText(t *testing.T) {
	env := domain.Env{Now: time.Unix(0, 0), Actor: "a", NewID: func() string { return "x" }}
	s := &domain.Script{}
	evs, err := s.Decide(domain.CreateScript{ScriptID: "s1", AppID: "a1", Name: "h", Kind: domain.ScriptEventHandler, Text: "héllo wörld"}, env)
	require.NoError(t, err)
	s.Apply(evs[0])
	tests := []struct {
		name  string
		edits []domain.TextEdit
		want  string
		code  string
	}{
		{"insert and delete", []domain.TextEdit{{Pos: 0, Insert: "¡"}, {Pos: 7, Delete: 6, Insert: "there"}}, "¡héllo there", ""},
		{"splits a character", []domain.TextEdit{{Pos: 2, Delete: 1}}, "", "invalid_edit"},
		{"out of range", []domain.TextEdit{{Pos: 99}}, "", "invalid_edit"},
		{"cancels out", []domain.TextEdit{{Pos: 0, Delete: 1, Insert: "h"}}, "héllo wörld", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := *s
			evs, err := st.Decide(domain.EditScriptText{Edits: tt.edits}, env)
			if tt.code != "" {
				var de *domain.Error
				require.ErrorAs(t, err, &de)
				require.Equal(t, tt.code, de.Code)
				return
			}
			require.NoError(t, err)
			for _, e := range evs {
				st.Apply(e)
			}
			require.Equal(t, tt.want, st.Text)
			if tt.want == s.Text {
				require.Empty(t, evs)
			} else {
				require.Equal(t, tt.edits, evs[0].(*domain.ScriptTextChanged).Edits, "the edits are recorded as given")
			}
		})
	}
}
