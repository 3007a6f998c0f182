package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/goflow-dev/goflow/domain"
)

// scriptAggregate stores scripts in script-<id> streams. Text changes are small diffs, so folding
// a script from its first event is cheap; no snapshots.
var scriptAggregate = aggregate[*domain.Script]{
	name:    "script",
	missing: "script_not_found",
	stream:  domain.StreamScript,
	zero:    func() *domain.Script { return &domain.Script{} },
}

// scriptBody is a script as the API shows it.
type scriptBody struct {
	ID       string                `json:"id"`
	AppID    string                `json:"appId"`
	Name     string                `json:"name"`
	Kind     domain.ScriptKind     `json:"kind"`
	Language domain.ScriptLanguage `json:"language"`
	Text     string                `json:"text"`
	Version  int64                 `json:"version"`
	// ReplayError is set when the script's history does not replay; restore a version to repair it.
	ReplayError string `json:"replayError,omitempty"`
	// Deleted is true only when an old version (?version=) of a since deleted script is shown.
	Deleted bool `json:"deleted,omitempty"`
	// Retry is a workflow's retry policy (absent: one attempt).
	Retry *domain.RetryPolicy `json:"retry,omitempty"`
}

func scriptView(s *domain.Script, version int64) scriptBody {
	return scriptBody{
		ID: s.ID, AppID: s.AppID, Name: s.Name, Kind: s.Kind, Language: s.Language, Text: s.Text,
		Version: version, ReplayError: s.ReplayError, Deleted: s.Deleted, Retry: s.Retry,
	}
}

func decideScript(cmds ...domain.ScriptCommand) func(*domain.Script, domain.Env) ([]domain.Event, error) {
	return decideAll[*domain.Script](cmds...)
}

// requireScript loads the script named by the scriptID path parameter, at version upTo (0: head).
// A deleted script is 404 at head; an old version of it can still be read.
func (a *api) requireScript(r *http.Request, upTo int64) (loaded[*domain.Script], error) {
	id, err := pathID(r, "scriptID", "script")
	if err != nil {
		return loaded[*domain.Script]{}, err
	}
	l, err := load(r.Context(), a.store, scriptAggregate, id, upTo)
	if err != nil {
		return l, err
	}
	if l.state.ID == "" || (upTo == 0 && l.state.Deleted) {
		return l, notFound("script_not_found", "No script has the id %q.", truncate(id, 40))
	}
	if upTo > l.version {
		return l, notFound("version_not_found", "Script %s has %d versions; there is no version %d.", id, l.version, upTo)
	}
	return l, nil
}

type createScriptRequest struct {
	Name     string                `json:"name"`
	Kind     domain.ScriptKind     `json:"kind"`
	Language domain.ScriptLanguage `json:"language"`
	Text     string                `json:"text"`
}

func (a *api) createScript(w http.ResponseWriter, r *http.Request) error {
	app, err := a.requireApp(r, "appID")
	if err != nil {
		return err
	}
	var req createScriptRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	id := newID()
	none := int64(0)
	res, err := execute(r.Context(), a, r, command[*domain.Script]{
		agg: scriptAggregate, id: id, expected: &none,
		decide: decideScript(domain.CreateScript{
			ScriptID: id, AppID: app.state.ID, Name: req.Name, Kind: req.Kind, Language: req.Language, Text: req.Text,
		}),
	})
	if err != nil {
		return err
	}
	return created(w, "/api/scripts/"+id, scriptView(res.state, res.version))
}

// getScript answers the script at head, or at ?version=N.
func (a *api) getScript(w http.ResponseWriter, r *http.Request) error {
	v, err := queryPositive(r, "version")
	if err != nil {
		return err
	}
	s, err := a.requireScript(r, v)
	if err != nil {
		return err
	}
	return ok(w, scriptView(s.state, s.version))
}

type putScriptTextRequest struct {
	ExpectedVersion *int64  `json:"expectedVersion"`
	Text            *string `json:"text"`
}

func (a *api) putScriptText(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireScript(r, 0)
	if err != nil {
		return err
	}
	var req putScriptTextRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if _, err := requireVersion(req.ExpectedVersion); err != nil {
		return err
	}
	if req.Text == nil {
		return unprocessable("required", "/text", "text is required (send \"\" for an empty script).")
	}
	res, err := execute(r.Context(), a, r, command[*domain.Script]{
		agg: scriptAggregate, id: s.state.ID, expected: req.ExpectedVersion,
		decide: decideScript(domain.ChangeScriptText{Text: *req.Text}),
	})
	if err != nil {
		return err
	}
	return ok(w, scriptView(res.state, res.version))
}

type patchScriptRequest struct {
	ExpectedVersion *int64  `json:"expectedVersion"`
	Name            *string `json:"name"`
	// Retry sets a workflow's retry policy; JSON null removes it.
	Retry optional[domain.RetryPolicy] `json:"retry"`
}

func (a *api) patchScript(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireScript(r, 0)
	if err != nil {
		return err
	}
	var req patchScriptRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if _, err := requireVersion(req.ExpectedVersion); err != nil {
		return err
	}
	var cmds []domain.ScriptCommand
	if req.Name != nil {
		cmds = append(cmds, domain.RenameScript{Name: *req.Name})
	}
	if req.Retry.Set {
		cmds = append(cmds, domain.SetScriptRetry{Retry: req.Retry.Value})
	}
	if len(cmds) == 0 {
		return unprocessable("empty_patch", "", "Send name or retry (use PUT /api/scripts/{scriptID}/text to change the text).")
	}
	res, err := execute(r.Context(), a, r, command[*domain.Script]{
		agg: scriptAggregate, id: s.state.ID, expected: req.ExpectedVersion,
		decide: decideScript(cmds...),
	})
	if err != nil {
		return err
	}
	return ok(w, scriptView(res.state, res.version))
}

func (a *api) deleteScript(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireScript(r, 0)
	if err != nil {
		return err
	}
	expected, err := queryVersion(r)
	if err != nil {
		return err
	}
	res, err := execute(r.Context(), a, r, command[*domain.Script]{
		agg: scriptAggregate, id: s.state.ID, expected: &expected, decide: decideScript(domain.DeleteScript{}),
	})
	if err != nil {
		return err
	}
	return ok(w, deletedBody{ID: s.state.ID, Version: res.version, Deleted: true})
}

type restoreRequest struct {
	// Version is the version whose content comes back.
	Version         int64  `json:"version"`
	ExpectedVersion *int64 `json:"expectedVersion"`
}

func (req restoreRequest) check() error {
	if _, err := requireVersion(req.ExpectedVersion); err != nil {
		return err
	}
	if req.Version < 1 || req.Version > *req.ExpectedVersion {
		return unprocessable("invalid_version", "/version", "version must be between 1 and expectedVersion (%d).", *req.ExpectedVersion)
	}
	return nil
}

// restoreScript appends a change that sets the text back to its text at an earlier version.
func (a *api) restoreScript(w http.ResponseWriter, r *http.Request) error {
	head, err := a.requireScript(r, 0)
	if err != nil {
		return err
	}
	var req restoreRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := req.check(); err != nil {
		return err
	}
	old, err := load(r.Context(), a.store, scriptAggregate, head.state.ID, req.Version)
	if err != nil {
		return err
	}
	res, err := execute(r.Context(), a, r, command[*domain.Script]{
		agg: scriptAggregate, id: head.state.ID, expected: req.ExpectedVersion,
		decide: decideScript(domain.RestoreScript{Text: old.state.Text, FromVersion: req.Version}),
	})
	if err != nil {
		return err
	}
	return ok(w, scriptView(res.state, res.version))
}

// diffBody is a unified diff between two versions of a script.
type diffBody struct {
	From int64  `json:"from"`
	To   int64  `json:"to"`
	Diff string `json:"diff"`
}

// diffScript answers the unified diff of the script's text between ?from= and ?to= (default: the
// head), as JSON or, when the client accepts text/plain but not JSON, as plain text.
func (a *api) diffScript(w http.ResponseWriter, r *http.Request) error {
	head, err := a.requireScript(r, 0)
	if err != nil {
		return err
	}
	from, to, err := diffRange(r, head.version)
	if err != nil {
		return err
	}
	texts := [2]string{}
	for i, v := range []int64{from, to} {
		l, err := load(r.Context(), a.store, scriptAggregate, head.state.ID, v)
		if err != nil {
			return err
		}
		texts[i] = l.state.Text
	}
	name := head.state.Name
	diff := domain.UnifiedDiff(texts[0], texts[1],
		name+"@"+strconv.FormatInt(from, 10), name+"@"+strconv.FormatInt(to, 10))
	if prefersText(r) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write([]byte(diff))
		return nil
	}
	return ok(w, diffBody{From: from, To: to, Diff: diff})
}

// diffRange reads ?from= (required) and ?to= (default head), both within 1..head.
func diffRange(r *http.Request, head int64) (from, to int64, err error) {
	if from, err = queryPositive(r, "from"); err != nil {
		return 0, 0, err
	}
	if from == 0 {
		return 0, 0, badRequest("required", "from", "The from query parameter is required.")
	}
	if to, err = queryPositive(r, "to"); err != nil {
		return 0, 0, err
	}
	if to == 0 {
		to = head
	}
	for _, v := range []struct {
		name string
		v    int64
	}{{"from", from}, {"to", to}} {
		if v.v > head {
			return 0, 0, notFound("version_not_found", "There is no version %d (%s); the head is version %d.", v.v, v.name, head)
		}
	}
	return from, to, nil
}

// prefersText reports whether the client asked for text/plain rather than JSON.
func prefersText(r *http.Request) bool {
	acc := r.Header.Get("Accept")
	return strings.Contains(acc, "text/plain") && !strings.Contains(acc, "application/json")
}
