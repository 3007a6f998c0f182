package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/runtime/jsbox"
	"github.com/goflow-dev/goflow/runtime/session"
)

// The read side of the time-travel debugger: a recorded runtime session, its steps, and the
// page and app states at any step, recomputed by replaying the recorded actions through the
// recorded reducer versions (runtime/session). Nothing is cached: every state request replays
// from the start, which is fine for sessions of a few thousand steps.

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
	state   *domain.RuntimeSession
	started *domain.SessionStarted
	steps   []*domain.SessionActionDispatched
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
	rs := recordedSession{state: &domain.RuntimeSession{}}
	for _, env := range envs {
		e, err := domain.Decode(env.Type, env.SchemaVersion, env.Data)
		if err != nil {
			return recordedSession{}, fmt.Errorf("%s version %d: %w", stream, env.StreamVersion, err)
		}
		rs.state.Apply(e)
		switch e := e.(type) {
		case *domain.SessionStarted:
			rs.started = e
		case *domain.SessionActionDispatched:
			rs.steps = append(rs.steps, e)
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

// statesAt replays rs up to the largest of steps and returns the outcome at each of them (index
// for index). Steps must lie within 0..rs.state.Steps.
func (a *api) statesAt(ctx context.Context, rs recordedSession, steps ...int64) ([]session.Outcome, error) {
	upTo := int64(0)
	for _, n := range steps {
		upTo = max(upTo, n)
	}
	// Only the asked-for states are kept: a long history's states are never all held at once.
	want := make(map[int64]session.Outcome, len(steps))
	for _, n := range steps {
		want[n] = session.Outcome{}
	}
	if upTo > 0 {
		for o, err := range session.ReplaySeq(ctx, a.replayer(rs), rs.started, rs.steps, session.ReplayOptions{UpTo: upTo}) {
			if err != nil {
				return nil, replayError(err)
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
	return out, nil
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

// sessionActions answers the recorded steps in order, paginated, optionally only those whose
// action has ?type=.
func (a *api) sessionActions(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	rs, err := a.requireSession(r)
	if err != nil {
		return err
	}
	typ := r.URL.Query().Get("type")
	items := make([]stepView, 0, len(rs.steps))
	for _, d := range rs.steps {
		if typ != "" && d.Action.Type != typ {
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
	// timed out live but not in the replay, or the reverse).
	Diverged bool `json:"diverged,omitempty"`
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
	outs, err := a.statesAt(r.Context(), rs, n)
	if err != nil {
		return err
	}
	o := outs[0]
	body := stateView{Step: n, Page: o.State.Page, App: o.State.App, Error: o.Error}
	if n > 0 {
		d := rs.steps[n-1]
		page, app := d.PageReducer, d.AppReducer
		body.PageReducer, body.AppReducer = &page, &app
		body.Diverged = o.Error != d.Error
	}
	return ok(w, body)
}

// stateDiffView lists the paths that changed between two steps' states.
type stateDiffView struct {
	From int64            `json:"from"`
	To   int64            `json:"to"`
	Page []session.Change `json:"page"`
	App  []session.Change `json:"app"`
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
	outs, err := a.statesAt(r.Context(), rs, from, to)
	if err != nil {
		return err
	}
	body := stateDiffView{From: from, To: to}
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
