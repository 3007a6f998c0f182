package domain

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// RuntimeSession is one run of an app (preview or published): the stream records every dispatch,
// so the time-travel debugger can replay it. The reducer states themselves are not part of this
// aggregate; runtime/session recomputes them from the events.
type RuntimeSession struct {
	ID     string      `json:"id"`
	AppID  string      `json:"appId"`
	PageID string      `json:"pageId"`
	Mode   SessionMode `json:"mode"`
	User   string      `json:"user"`
	// Seed is the session's base seed, from which the runtime derives each dispatch's seed; the
	// seed every step ran with is recorded on the step.
	Seed    uint64    `json:"seed"`
	Started time.Time `json:"started"`
	// Steps is the number of the last recorded dispatch (steps count from 1).
	Steps   int64 `json:"steps"`
	Ended   bool  `json:"ended"`
	Version int64 `json:"version"`
}

// SessionMode says whether the session runs the draft app or the published one.
type SessionMode string

const (
	SessionPreview   SessionMode = "preview"
	SessionPublished SessionMode = "published"
)

// Limits of session events. The sizes match the JavaScript sandbox's defaults (runtime/jsbox
// Limits.MaxStateBytes and MaxResultBytes), which domain cannot import: anything larger could not
// have come out of, or be fed back into, a script anyway.
const (
	MaxSessionStateBytes   = 1 << 20 // the initial page or app state, as JSON
	MaxActionPayloadBytes  = 1 << 20 // one action's payload, as JSON
	MaxSourcePayloadBytes  = 1 << 20 // the component event's payload, as JSON
	MaxActionTypeLen       = 200     // bytes
	MaxSessionEventNameLen = 100     // bytes, the component event's name ("onClick")
	MaxDispatchError       = 4 << 10 // bytes of a recorded reducer error; longer ones are cut
	MaxDispatchesPerRecord = 1000    // steps appended by one RecordDispatches
)

// ScriptRef names one version of a script. As a session's page or app reducer, the zero
// ScriptRef means "no reducer": that state passes through every action unchanged.
type ScriptRef struct {
	ScriptID string `json:"scriptId"`
	Version  int64  `json:"version"`
}

// IsZero reports whether r names no script (an absent reducer).
func (r ScriptRef) IsZero() bool { return r == ScriptRef{} }

// SessionState is a page state and an app state, each a JSON value; empty means undefined, so
// the reducers' default parameters apply.
type SessionState struct {
	Page json.RawMessage `json:"page,omitempty"`
	App  json.RawMessage `json:"app,omitempty"`
}

// SessionAction is a dispatched action as recorded.
type SessionAction struct {
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// SessionSource is the component event whose handler dispatched an action.
type SessionSource struct {
	NodeID  string          `json:"nodeId"`
	Event   string          `json:"event"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// SessionCommand is a command on a RuntimeSession.
type SessionCommand interface{ sessionCommand() }

type StartRuntimeSession struct {
	SessionID    string       `json:"sessionId"`
	AppID        string       `json:"appId"`
	PageID       string       `json:"pageId"`
	Mode         SessionMode  `json:"mode"`
	Seed         uint64       `json:"seed"`
	InitialState SessionState `json:"initialState"`
	PageReducer  ScriptRef    `json:"pageReducer"`
	AppReducer   ScriptRef    `json:"appReducer"`
}

// RecordDispatches appends the dispatches of one component event (or one direct action), in
// order; runtime/session builds them. They are appended together so that a handler's actions
// are never half recorded.
type RecordDispatches struct {
	Dispatches []SessionActionDispatched `json:"dispatches"`
}

type EndRuntimeSession struct{}

func (StartRuntimeSession) sessionCommand() {}
func (RecordDispatches) sessionCommand()    {}
func (EndRuntimeSession) sessionCommand()   {}

type SessionStarted struct {
	SessionID    string       `json:"sessionId"`
	AppID        string       `json:"appId"`
	PageID       string       `json:"pageId"`
	Mode         SessionMode  `json:"mode"`
	User         string       `json:"user"`
	Seed         uint64       `json:"seed"`
	InitialState SessionState `json:"initialState"`
	PageReducer  ScriptRef    `json:"pageReducer"`
	AppReducer   ScriptRef    `json:"appReducer"`
	At           time.Time    `json:"at"`
}

// SessionActionDispatched is one action folded through the page reducer and then the app
// reducer (a zero ScriptRef: no reducer, that state stays as it was). Time and Seed are what Date and Math.random returned to the reducers, so a replay
// reproduces the step.
type SessionActionDispatched struct {
	Step        int64          `json:"step"`
	Action      SessionAction  `json:"action"`
	Source      *SessionSource `json:"source,omitempty"`  // nil for an action dispatched directly
	Handler     *ScriptRef     `json:"handler,omitempty"` // the handler script that dispatched it
	PageReducer ScriptRef      `json:"pageReducer"`
	AppReducer  ScriptRef      `json:"appReducer"`
	// Time is Date.now() for the reducers, in Unix milliseconds.
	Time int64 `json:"time"`
	// Seed seeds Math.random for the reducers.
	Seed uint64 `json:"seed"`
	// DurationMicros is the time the two reducers took for this step (the handler's is not
	// split across its actions).
	DurationMicros int64 `json:"durationMicros"`
	// Error is set when a reducer threw: the step then left both states as they were.
	Error string `json:"error,omitempty"`
}

type SessionEnded struct {
	At time.Time `json:"at"`
}

func (*SessionStarted) EventType() string          { return "session.started" }
func (*SessionActionDispatched) EventType() string { return "session.action_dispatched" }
func (*SessionEnded) EventType() string            { return "session.ended" }

// sessionEvents lists the events of the RuntimeSession aggregate.
var sessionEvents = []eventDef{
	{event: &SessionStarted{}},
	{event: &SessionActionDispatched{}},
	{event: &SessionEnded{}},
	{event: &SessionQueryRan{}},
	{event: &SessionWorkflowStarted{}},
	{event: &SessionWorkflowLogged{}},
	{event: &SessionWorkflowSucceeded{}},
	{event: &SessionWorkflowFailed{}},
}

// Exists reports whether the session was started (an ended session still exists: its history
// stays readable).
func (s *RuntimeSession) Exists() bool { return s.ID != "" }

// Apply evolves the state by one event of its stream.
func (s *RuntimeSession) Apply(e Event) {
	s.Version++
	switch e := e.(type) {
	case *SessionStarted:
		s.ID, s.AppID, s.PageID, s.Mode, s.User, s.Seed, s.Started = e.SessionID, e.AppID, e.PageID, e.Mode, e.User, e.Seed, e.At
	case *SessionActionDispatched:
		s.Steps = e.Step
	case *SessionEnded:
		s.Ended = true
	}
}

// FoldRuntimeSession folds a session stream into its state.
func FoldRuntimeSession(events []Event) *RuntimeSession { return fold[RuntimeSession](events) }

// Decide validates c against the state and returns the events to append. Ending an ended
// session yields nothing.
func (s *RuntimeSession) Decide(c SessionCommand, env Env) ([]Event, error) {
	if st, ok := c.(StartRuntimeSession); ok {
		if s.Version > 0 {
			return nil, conflict("exists", "", "session %q already exists", s.ID)
		}
		return decideStartSession(st, env)
	}
	if !s.Exists() {
		return nil, notFound("not_found", "", "session not found")
	}
	switch c := c.(type) {
	case RecordDispatches:
		if s.Ended {
			return nil, conflict("ended", "", "session has ended")
		}
		return s.decideRecord(c)
	case RecordRuns:
		// Runs may finish after the session ended (its connection closed mid-run): their
		// record still belongs to it.
		return s.decideRuns(c, env)
	case EndRuntimeSession:
		if s.Ended {
			return nil, nil
		}
		return []Event{&SessionEnded{At: env.Now}}, nil
	case nil:
		return nil, invalid("unknown_command", "", "no command")
	default:
		return nil, invalid("unknown_command", "", "unknown session command %T", c)
	}
}

func decideStartSession(c StartRuntimeSession, env Env) ([]Event, error) {
	for _, id := range []struct{ path, id string }{
		{"/sessionId", c.SessionID}, {"/appId", c.AppID}, {"/pageId", c.PageID},
	} {
		if err := checkID(id.path, id.id); err != nil {
			return nil, err
		}
	}
	if c.Mode != SessionPreview && c.Mode != SessionPublished {
		return nil, invalid("invalid_mode", "/mode", "mode must be %q or %q", SessionPreview, SessionPublished)
	}
	initial := SessionState{}
	for _, st := range []struct {
		path string
		in   json.RawMessage
		out  *json.RawMessage
	}{
		{"/initialState/page", c.InitialState.Page, &initial.Page},
		{"/initialState/app", c.InitialState.App, &initial.App},
	} {
		raw, err := optionalJSON(st.path, st.in, MaxSessionStateBytes)
		if err != nil {
			return nil, err
		}
		*st.out = raw
	}
	for _, r := range []struct {
		path string
		ref  ScriptRef
	}{{"/pageReducer", c.PageReducer}, {"/appReducer", c.AppReducer}} {
		if err := checkReducerRef(r.path, r.ref); err != nil {
			return nil, err
		}
	}
	return []Event{&SessionStarted{
		SessionID: c.SessionID, AppID: c.AppID, PageID: c.PageID, Mode: c.Mode, User: env.Actor,
		Seed: c.Seed, InitialState: initial, PageReducer: c.PageReducer, AppReducer: c.AppReducer,
		At: env.Now,
	}}, nil
}

func (s *RuntimeSession) decideRecord(c RecordDispatches) ([]Event, error) {
	if len(c.Dispatches) == 0 {
		return nil, nil
	}
	if len(c.Dispatches) > MaxDispatchesPerRecord {
		return nil, invalid("too_many", "/dispatches", "at most %d dispatches at once", MaxDispatchesPerRecord)
	}
	out := make([]Event, 0, len(c.Dispatches))
	next := s.Steps + 1
	for i, d := range c.Dispatches {
		path := "/dispatches/" + strconv.Itoa(i)
		if d.Step != next {
			return nil, conflict("step_out_of_order", path+"/step", "step %d, expected %d", d.Step, next)
		}
		ev, err := checkDispatch(path, d)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
		next++
	}
	return out, nil
}

// checkDispatch validates one dispatch and returns a copy whose JSON is compacted and whose error
// is cut to MaxDispatchError.
func checkDispatch(path string, d SessionActionDispatched) (*SessionActionDispatched, error) {
	if d.Action.Type == "" || len(d.Action.Type) > MaxActionTypeLen || !utf8.ValidString(d.Action.Type) {
		return nil, invalid("invalid_action", path+"/action/type", "action type must be 1..%d bytes", MaxActionTypeLen)
	}
	payload, err := optionalJSON(path+"/action/payload", d.Action.Payload, MaxActionPayloadBytes)
	if err != nil {
		return nil, err
	}
	d.Action.Payload = payload
	if d.Source != nil {
		src := *d.Source
		if err := checkID(path+"/source/nodeId", src.NodeID); err != nil {
			return nil, err
		}
		if src.Event == "" || len(src.Event) > MaxSessionEventNameLen || !utf8.ValidString(src.Event) {
			return nil, invalid("invalid_event", path+"/source/event", "event name must be 1..%d bytes", MaxSessionEventNameLen)
		}
		if src.Payload, err = optionalJSON(path+"/source/payload", src.Payload, MaxSourcePayloadBytes); err != nil {
			return nil, err
		}
		d.Source = &src
	}
	if d.Handler != nil {
		h := *d.Handler
		if err := checkScriptRef(path+"/handler", h); err != nil {
			return nil, err
		}
		d.Handler = &h
	}
	if err := checkReducerRef(path+"/pageReducer", d.PageReducer); err != nil {
		return nil, err
	}
	if err := checkReducerRef(path+"/appReducer", d.AppReducer); err != nil {
		return nil, err
	}
	if d.DurationMicros < 0 {
		return nil, invalid("invalid_duration", path+"/durationMicros", "duration must not be negative")
	}
	d.Error = CutDispatchError(d.Error)
	return &d, nil
}

func checkScriptRef(path string, r ScriptRef) error {
	if err := checkID(path+"/scriptId", r.ScriptID); err != nil {
		return err
	}
	if r.Version < 1 {
		return invalid("invalid_version", path+"/version", "script version must be at least 1")
	}
	return nil
}

// checkReducerRef accepts the zero ref (no reducer) or a complete one; a half-empty ref is
// rejected, since it names neither.
func checkReducerRef(path string, r ScriptRef) error {
	if r.IsZero() {
		return nil
	}
	return checkScriptRef(path, r)
}

// optionalJSON returns raw compacted, or nil when it is empty (undefined).
func optionalJSON(path string, raw json.RawMessage, maxBytes int) (json.RawMessage, error) {
	if len(strings.TrimSpace(string(raw))) == 0 {
		return nil, nil
	}
	if len(raw) > maxBytes {
		return nil, invalid("too_large", path, "JSON is %d bytes, at most %d allowed", len(raw), maxBytes)
	}
	out, ok := compactJSON(raw)
	if !ok {
		return nil, invalid("invalid_json", path, "not valid JSON")
	}
	return out, nil
}

// CutDispatchError cuts a reducer error to what a recorded step keeps (MaxDispatchError bytes,
// whole UTF-8 sequences), so that replays can compare their errors with recorded ones.
func CutDispatchError(s string) string { return cutUTF8(s, MaxDispatchError) }

// cutUTF8 cuts s to at most n bytes without splitting a UTF-8 sequence.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
