package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/runtime/jsbox"
	"github.com/goflow-dev/goflow/runtime/session"
)

// The read side of the time-travel debugger: a recorded runtime session, its steps, and the
// page and app states at any step, recomputed by replaying the recorded actions through the
// recorded reducer versions (runtime/session). The server keeps the session.Snapshots of recently
// read sessions (snapshotCache), so a state or diff request replays at most a snapshot interval
// from the nearest snapshot (more when a skipped step lies further back), and a session that grew
// since it was last read replays only its new steps.

// replayTimeout is the per-reducer deadline of replays. It is far above the live default
// (50ms): a replay runs on whatever machine serves the API, and a step that merely ran slow
// there must not show a timeout the session never had.
const replayTimeout = 2 * time.Second

// newReplaySandbox builds the sandbox every replay of the server runs in.
func newReplaySandbox() (*jsbox.Sandbox, error) {
	return jsbox.NewSandbox(jsbox.Config{Limits: jsbox.Limits{Timeout: replayTimeout}})
}

// errScriptUnavailable: a recorded step names a script version that cannot be run (missing, of
// another app, or not JavaScript), so the session cannot be replayed.
var errScriptUnavailable = errors.New("script unavailable")

// appScripts loads script versions from the event store for replays of one app's sessions,
// folding each script stream up to the version asked for. Scripts of other apps are refused,
// so that a session's recorded references cannot run code its readers may not see.
type appScripts struct {
	store eventstore.Store
	appID string
}

// Program returns the text of script id at version.
func (s appScripts) Program(ctx context.Context, id string, version int64) (jsbox.Program, error) {
	if version < 1 {
		return jsbox.Program{}, fmt.Errorf("%w: %s@%d: no such version", errScriptUnavailable, id, version)
	}
	l, err := load(ctx, s.store, scriptAggregate, id, version)
	if err != nil {
		return jsbox.Program{}, err
	}
	switch {
	case l.state.ID == "" || l.version < version:
		return jsbox.Program{}, fmt.Errorf("%w: %s@%d does not exist", errScriptUnavailable, id, version)
	case l.state.AppID != s.appID:
		return jsbox.Program{}, fmt.Errorf("%w: %s belongs to another app", errScriptUnavailable, id)
	case l.state.Language != domain.LanguageJS:
		return jsbox.Program{}, fmt.Errorf("%w: %s is not JavaScript", errScriptUnavailable, id)
	}
	return jsbox.Program{ID: id, Version: version, Source: l.state.Text}, nil
}

// recordedSession is a session stream read in full.
type recordedSession struct {
	// id is the session id, the snapshot cache's key.
	id      string
	state   *domain.RuntimeSession
	started *domain.SessionStarted
	// startedID is the id of the session.started event, which tells a cached replay of an
	// earlier stream under the same id (there is none while streams are append-only) apart.
	startedID uuid.UUID
	steps     []*domain.SessionActionDispatched
	// runs are the backend run events (queries, workflows), in order.
	runs []domain.Event
	// events are the stream's envelopes, for the export.
	events []eventstore.Envelope
}

// requireSession reads the session named by the sessionID path parameter.
func (a *api) requireSession(r *http.Request) (recordedSession, error) {
	id, err := pathID(r, "sessionID", "session")
	if err != nil {
		return recordedSession{}, err
	}
	stream := domain.StreamSession(id)
	envs, err := a.store.ReadStream(r.Context(), stream, 1, 0)
	if err != nil {
		return recordedSession{}, fmt.Errorf("read %s: %w", stream, err)
	}
	rs := recordedSession{id: id, state: &domain.RuntimeSession{}, events: envs}
	for _, env := range envs {
		e, err := domain.Decode(env.Type, env.SchemaVersion, env.Data)
		if err != nil {
			return recordedSession{}, fmt.Errorf("%s version %d: %w", stream, env.StreamVersion, err)
		}
		rs.state.Apply(e)
		switch e := e.(type) {
		case *domain.SessionStarted:
			rs.started, rs.startedID = e, env.ID
		case *domain.SessionActionDispatched:
			rs.steps = append(rs.steps, e)
		default:
			if isRunEvent(e) {
				rs.runs = append(rs.runs, e)
			}
		}
	}
	if rs.started == nil {
		return recordedSession{}, notFound("session_not_found", "No session has the id %q.", truncate(id, 40))
	}
	return rs, nil
}

// replayer returns a runner over the server's sandbox that loads the session's app's scripts.
func (a *api) replayer(rs recordedSession) *session.Runner {
	return session.NewRunner(a.sandbox, appScripts{store: a.store, appID: rs.state.AppID})
}

// withSnapshots runs fn with rs's cached snapshots covering at least steps 1..upTo (at most
// len(rs.steps)): built when the session is not cached, extended by the new steps when it is.
// They may cover more steps than rs when a concurrent request read the stream later: the stream
// is append-only, so rs's steps are a prefix of theirs.
func (a *api) withSnapshots(ctx context.Context, rs recordedSession, upTo int64, fn func(e *snapshotEntry) error) error {
	return a.snapshots.use(ctx, rs.id, func(e *snapshotEntry) error {
		switch {
		case e.snaps == nil || e.started != rs.startedID:
			e.snaps, e.changed = nil, nil
			snaps, err := session.NewSnapshots(ctx, a.replayer(rs), rs.started, rs.steps[:upTo], session.DefaultSnapshotEvery)
			if err != nil {
				return err
			}
			e.snaps, e.started = snaps, rs.startedID
		case e.snaps.Steps() < upTo:
			if err := e.snaps.Extend(ctx, rs.steps[e.snaps.Steps():upTo]); err != nil {
				return err
			}
		}
		return fn(e)
	})
}

// statesAt returns the outcome at each of steps (index for index) of a replay of rs that leaves
// out the steps in skip, and the steps up to the largest of steps that it leaves out, in order.
// Steps must lie within 0..rs.state.Steps. The states come from the snapshot cache and are those
// of a replay from step 0 (replayStatesAt).
func (a *api) statesAt(ctx context.Context, rs recordedSession, skip map[int64]bool, steps ...int64) ([]session.Outcome, []int64, error) {
	upTo := int64(0)
	for _, n := range steps {
		upTo = max(upTo, n)
	}
	var skipped []int64
	for n, on := range skip {
		if on && n <= upTo {
			skipped = append(skipped, n)
		}
	}
	slices.Sort(skipped)
	out := make([]session.Outcome, len(steps))
	err := a.withSnapshots(ctx, rs, upTo, func(e *snapshotEntry) error {
		for i, n := range steps {
			o, err := e.snaps.OutcomeAt(ctx, n, skip)
			if err != nil {
				return err
			}
			out[i] = o
		}
		return nil
	})
	if err != nil && len(skip) > 0 && ctx.Err() == nil {
		// The snapshots replay the recorded history, skipped steps included; a skipped step
		// that cannot run (its script missing) does not stop a replay that leaves it out.
		return a.replayStatesAt(ctx, rs, skip, steps...)
	}
	if err != nil {
		return nil, nil, replayError(err)
	}
	return out, skipped, nil
}

// replayStatesAt is statesAt by a replay from step 0, holding only the asked-for states.
func (a *api) replayStatesAt(ctx context.Context, rs recordedSession, skip map[int64]bool, steps ...int64) ([]session.Outcome, []int64, error) {
	upTo := int64(0)
	for _, n := range steps {
		upTo = max(upTo, n)
	}
	// Only the asked-for states are kept: a long history's states are never all held at once.
	want := make(map[int64]session.Outcome, len(steps))
	for _, n := range steps {
		want[n] = session.Outcome{}
	}
	var skipped []int64
	if upTo > 0 {
		for o, err := range session.ReplaySeq(ctx, a.replayer(rs), rs.started, rs.steps, session.ReplayOptions{UpTo: upTo, Skip: skip}) {
			if err != nil {
				return nil, nil, replayError(err)
			}
			if o.Skipped {
				skipped = append(skipped, o.State.Step)
			}
			if _, ok := want[o.State.Step]; ok {
				want[o.State.Step] = o
			}
		}
	}
	out := make([]session.Outcome, len(steps))
	for i, n := range steps {
		if n == 0 {
			out[i] = session.Outcome{State: session.InitialState(rs.started)}
			continue
		}
		out[i] = want[n]
	}
	return out, skipped, nil
}

// replayError turns a replay that could not run into a problem; other errors stay 500s.
func replayError(err error) error {
	switch {
	case errors.Is(err, errScriptUnavailable):
		return newAPIError(http.StatusConflict, "replay_failed", "", "The session cannot be replayed: %s.", err.Error())
	case errors.Is(err, session.ErrBadInput):
		return newAPIError(http.StatusConflict, "replay_failed", "", "The session's recorded steps cannot be replayed: %s.", err.Error())
	}
	return err
}

// queryStep reads a required step number within 0..last.
func queryStep(r *http.Request, name string, last int64) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, badRequest("required", name, "The %s query parameter is required: a step between 0 and %d.", name, last)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > last {
		return 0, badRequest("invalid_"+name, name, "%s must be a step between 0 and %d, got %q.", name, last, s)
	}
	return n, nil
}

// maxSkip bounds the steps one ?skip= may name, so that parsing it stays cheap.
const maxSkip = 1000

// querySkip reads the optional ?skip=3,5,9: steps within 1..last to leave out of a replay (the
// debugger's skip / unskip, kept by the client; the recorded history is never rewritten).
func querySkip(r *http.Request, last int64) (map[int64]bool, error) {
	s := r.URL.Query().Get("skip")
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) > maxSkip {
		return nil, badRequest("too_many_skips", "skip", "skip names %d steps; at most %d are allowed.", len(parts), maxSkip)
	}
	skip := make(map[int64]bool, len(parts))
	for _, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n < 1 || n > last {
			return nil, badRequest("invalid_skip", "skip", "skip must list steps between 1 and %d separated by commas, got %q.", last, truncate(p, 40))
		}
		skip[n] = true
	}
	return skip, nil
}

// sessionView is a session as the API shows it.
type sessionView struct {
	ID          string             `json:"id"`
	AppID       string             `json:"appId"`
	PageID      string             `json:"pageId"`
	Mode        domain.SessionMode `json:"mode"`
	User        string             `json:"user"`
	Started     time.Time          `json:"started"`
	Steps       int64              `json:"steps"`
	Ended       bool               `json:"ended"`
	PageReducer domain.ScriptRef   `json:"pageReducer"`
	AppReducer  domain.ScriptRef   `json:"appReducer"`
	Version     int64              `json:"version"`
}

func (a *api) getRuntimeSession(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.requireSession(r)
	if err != nil {
		return err
	}
	s := rs.state
	return ok(w, sessionView{
		ID: s.ID, AppID: s.AppID, PageID: s.PageID, Mode: s.Mode, User: s.User, Started: s.Started,
		Steps: s.Steps, Ended: s.Ended, PageReducer: rs.started.PageReducer, AppReducer: rs.started.AppReducer,
		Version: s.Version,
	})
}

// stepView is one recorded step.
type stepView struct {
	Step           int64                 `json:"step"`
	Action         domain.SessionAction  `json:"action"`
	Source         *domain.SessionSource `json:"source,omitempty"`
	Handler        *domain.ScriptRef     `json:"handler,omitempty"`
	PageReducer    domain.ScriptRef      `json:"pageReducer"`
	AppReducer     domain.ScriptRef      `json:"appReducer"`
	Time           time.Time             `json:"time"`
	DurationMicros int64                 `json:"durationMicros"`
	Error          string                `json:"error,omitempty"`
}

func stepKey(s stepView) string { return strconv.FormatInt(s.Step, 10) }

// maxStatePath bounds ?path=, so that matching it against every change stays cheap.
const maxStatePath = 512

// queryStatePath reads the optional ?path=: "page" or "app" (which state), optionally followed
// by a JSON pointer into it as session.Diff writes change paths, "~1" for a "/" in a key and
// "~0" for a "~": page/items/0/name, app/user, page. It returns the path in the form of
// changedPaths.
func queryStatePath(r *http.Request) (string, bool, error) {
	q := r.URL.Query()
	if !q.Has("path") {
		return "", false, nil
	}
	s := q.Get("path")
	bad := func(format string, args ...any) error {
		return badRequest("invalid_path", "path", "path must be page or app, optionally followed by a JSON pointer into that state (page/items/0): "+format, args...)
	}
	if len(s) > maxStatePath {
		return "", false, bad("it is %d bytes, at most %d are allowed.", len(s), maxStatePath)
	}
	state, pointer, _ := strings.Cut(s, "/")
	if state != "page" && state != "app" {
		return "", false, bad("got %q.", truncate(s, 40))
	}
	// A "~" only escapes "/" (~1) or itself (~0) in a JSON pointer.
	for i := 0; i < len(pointer); i++ {
		if pointer[i] == '~' && (i+1 == len(pointer) || (pointer[i+1] != '0' && pointer[i+1] != '1')) {
			return "", false, bad("a ~ must be followed by 0 or 1, got %q.", truncate(s, 40))
		}
	}
	return s, true, nil
}

// pathsRelated says whether a change at path c concerns path p: the same path, one below it, or
// one above it (a parent replaced, added or removed as a whole). Both are in changedPaths form.
func pathsRelated(c, p string) bool {
	return c == p || strings.HasPrefix(c, p+"/") || strings.HasPrefix(p, c+"/")
}

// changedPaths lists the paths one step changed, each "page" or "app" followed by the
// session.Diff change path (a JSON pointer), so "page" is the whole page state.
func changedPaths(before, after session.State) ([]string, error) {
	var out []string
	for _, st := range []struct {
		name     string
		from, to json.RawMessage
	}{{"page", before.Page, after.Page}, {"app", before.App, after.App}} {
		changes, err := session.Diff(st.from, st.to)
		if err != nil {
			return nil, fmt.Errorf("diff %s states of step %d: %w", st.name, after.Step, err)
		}
		for _, c := range changes {
			out = append(out, st.name+c.Path)
		}
	}
	return out, nil
}

// stepsChanging returns which of rs's steps changed the state at path or next to it (see
// pathsRelated), replaying the history through the snapshot cache, which keeps each step's
// changed paths, so that only steps recorded since the last such request are replayed.
func (a *api) stepsChanging(ctx context.Context, rs recordedSession, path string) (map[int64]bool, error) {
	last := int64(len(rs.steps))
	hits := map[int64]bool{}
	err := a.withSnapshots(ctx, rs, last, func(e *snapshotEntry) error {
		if k := int64(len(e.changed)); k < last {
			before, err := e.snaps.StateAt(ctx, k)
			if err != nil {
				return err
			}
			changed := e.changed
			err = e.snaps.Walk(ctx, k, last, func(o session.Outcome) error {
				ps, err := changedPaths(before, o.State)
				if err != nil {
					return err
				}
				changed, before = append(changed, ps), o.State
				return nil
			})
			if err != nil {
				return err
			}
			e.changed = changed
		}
		for i, ps := range e.changed[:last] {
			for _, c := range ps {
				if pathsRelated(c, path) {
					hits[int64(i)+1] = true
					break
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, replayError(err)
	}
	return hits, nil
}

// sessionActions answers the recorded steps in order, paginated, optionally only those whose
// action has ?type= and those that changed the state at ?path= (or below or above it).
func (a *api) sessionActions(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	path, byPath, err := queryStatePath(r)
	if err != nil {
		return err
	}
	rs, err := a.requireSession(r)
	if err != nil {
		return err
	}
	var changing map[int64]bool
	if byPath {
		if changing, err = a.stepsChanging(r.Context(), rs, path); err != nil {
			return err
		}
	}
	typ := r.URL.Query().Get("type")
	items := make([]stepView, 0, len(rs.steps))
	for _, d := range rs.steps {
		if typ != "" && d.Action.Type != typ {
			continue
		}
		if byPath && !changing[d.Step] {
			continue
		}
		items = append(items, stepView{
			Step: d.Step, Action: d.Action, Source: d.Source, Handler: d.Handler,
			PageReducer: d.PageReducer, AppReducer: d.AppReducer, Time: time.UnixMilli(d.Time).UTC(),
			DurationMicros: d.DurationMicros, Error: d.Error,
		})
	}
	return ok(w, paginate(items, stepKey, p))
}

// stateView is the replayed state after a step.
type stateView struct {
	Step int64           `json:"step"`
	Page json.RawMessage `json:"page,omitempty"`
	App  json.RawMessage `json:"app,omitempty"`
	// PageReducer and AppReducer are the versions that ran at the step (absent at step 0).
	PageReducer *domain.ScriptRef `json:"pageReducer,omitempty"`
	AppReducer  *domain.ScriptRef `json:"appReducer,omitempty"`
	// Error is the reducer error the replayed step produced (its state is then the previous one).
	Error string `json:"error,omitempty"`
	// Diverged is set when the replay's error differs from the recorded one (a reducer that
	// timed out live but not in the replay, or the reverse, or a skip that changed the outcome).
	Diverged bool `json:"diverged,omitempty"`
	// Skipped lists the steps up to Step that ?skip= left out.
	Skipped []int64 `json:"skipped,omitempty"`
}

// sessionState answers the page and app states after ?step=N (0: the initial state).
func (a *api) sessionState(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.requireSession(r)
	if err != nil {
		return err
	}
	n, err := queryStep(r, "step", rs.state.Steps)
	if err != nil {
		return err
	}
	skip, err := querySkip(r, rs.state.Steps)
	if err != nil {
		return err
	}
	outs, skipped, err := a.statesAt(r.Context(), rs, skip, n)
	if err != nil {
		return err
	}
	o := outs[0]
	body := stateView{Step: n, Page: o.State.Page, App: o.State.App, Error: o.Error, Skipped: skipped}
	if n > 0 {
		d := rs.steps[n-1]
		page, app := d.PageReducer, d.AppReducer
		body.PageReducer, body.AppReducer = &page, &app
		// A skipped step ran no reducer, so its missing error is no divergence.
		body.Diverged = !o.Skipped && o.Error != d.Error
	}
	return ok(w, body)
}

// stateDiffView lists the paths that changed between two steps' states.
type stateDiffView struct {
	From int64            `json:"from"`
	To   int64            `json:"to"`
	Page []session.Change `json:"page"`
	App  []session.Change `json:"app"`
	// Skipped lists the steps up to the later of From and To that ?skip= left out.
	Skipped []int64 `json:"skipped,omitempty"`
}

// diffSession answers the changes of the page and app states from ?from= to ?to=.
func (a *api) diffSession(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.requireSession(r)
	if err != nil {
		return err
	}
	from, err := queryStep(r, "from", rs.state.Steps)
	if err != nil {
		return err
	}
	to, err := queryStep(r, "to", rs.state.Steps)
	if err != nil {
		return err
	}
	skip, err := querySkip(r, rs.state.Steps)
	if err != nil {
		return err
	}
	outs, skipped, err := a.statesAt(r.Context(), rs, skip, from, to)
	if err != nil {
		return err
	}
	body := stateDiffView{From: from, To: to, Skipped: skipped}
	if body.Page, err = session.Diff(outs[0].State.Page, outs[1].State.Page); err != nil {
		return fmt.Errorf("diff page states: %w", err)
	}
	if body.App, err = session.Diff(outs[0].State.App, outs[1].State.App); err != nil {
		return fmt.Errorf("diff app states: %w", err)
	}
	body.Page = nonNil(body.Page)
	body.App = nonNil(body.App)
	return ok(w, body)
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// rerunRequest is an edited page reducer text to try against a session's history.
type rerunRequest struct {
	PageReducer *string `json:"pageReducer"`
}

// outcomeView is one step's result in a rerun.
type outcomeView struct {
	State stateOnly `json:"state"`
	Error string    `json:"error,omitempty"`
}

// stateOnly is a page state and an app state.
type stateOnly struct {
	Page json.RawMessage `json:"page,omitempty"`
	App  json.RawMessage `json:"app,omitempty"`
}

// rerunView reports the first step whose outcome the edited reducer changes.
type rerunView struct {
	Differs  bool         `json:"differs"`
	Step     int64        `json:"step,omitempty"`
	Original *outcomeView `json:"original,omitempty"`
	Edited   *outcomeView `json:"edited,omitempty"`
	Steps    int64        `json:"steps"`
}

// rerunSession replays the whole history with an edited page reducer text in place of every
// recorded page reducer version, without saving anything, and answers the first step whose
// state or error differs from the recorded versions' replay.
func (a *api) rerunSession(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.requireSession(r)
	if err != nil {
		return err
	}
	var req rerunRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.PageReducer == nil {
		return unprocessable("required", "/pageReducer", "pageReducer is required: the edited page reducer text.")
	}
	if len(*req.PageReducer) > domain.MaxScriptText {
		return unprocessable("too_large", "/pageReducer", "pageReducer is %d bytes; at most %d are allowed.", len(*req.PageReducer), domain.MaxScriptText)
	}
	// Version 0 is never a recorded version, so the edited text does not evict the recorded
	// versions from the sandbox's program cache (see session.ReplayOptions.PageReducer). A session
	// recorded without a page reducer has an empty id here: the edited text then runs at every
	// step, where the original replay passes the page state through.
	edited := jsbox.Program{ID: rs.started.PageReducer.ScriptID, Version: 0, Source: *req.PageReducer}
	if err := a.sandbox.Check(edited); err != nil {
		if errors.Is(err, jsbox.ErrInvalidScript) {
			return unprocessable("compile_error", "/pageReducer", "The page reducer does not compile: %s", err.Error())
		}
		return fmt.Errorf("check edited page reducer: %w", err)
	}
	diff, found, err := session.FirstDifference(r.Context(), a.replayer(rs), rs.started, rs.steps, edited, session.ReplayOptions{})
	if err != nil {
		return replayError(err)
	}
	body := rerunView{Differs: found, Steps: rs.state.Steps}
	if found {
		body.Step = diff.Step
		body.Original = &outcomeView{State: stateOnly{Page: diff.Original.State.Page, App: diff.Original.State.App}, Error: diff.Original.Error}
		body.Edited = &outcomeView{State: stateOnly{Page: diff.Edited.State.Page, App: diff.Edited.State.App}, Error: diff.Edited.Error}
	}
	return ok(w, body)
}
