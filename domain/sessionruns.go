package domain

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"
)

// Backend runs of a session: queries and workflows a running app started. They are recorded on
// the session stream beside the dispatches, so the debugger shows them in order, but they are
// not steps: replays skip them (their outcome reached the reducers as dispatched actions).

// Limits of recorded runs.
const (
	MaxRunParamsBytes = 64 << 10 // a query's parameters or a workflow's payload, as recorded
	MaxRunResultBytes = 1 << 20  // a workflow's result, as recorded
	MaxRunLogLine     = 4 << 10  // bytes of one recorded workflow log line
	MaxRunLogLines    = 200      // log lines recorded per attempt
	MaxRunAttempts    = 10
)

// SessionQueryRan records one query execution: never the data source's secrets, and not the
// rows themselves (they reach the reducers in the succeeded action).
type SessionQueryRan struct {
	RunID   string          `json:"runId"`
	QueryID string          `json:"queryId"`
	Name    string          `json:"name"`
	Params  json.RawMessage `json:"params,omitempty"`
	// AfterStep is the last step recorded before the query ran.
	AfterStep      int64     `json:"afterStep"`
	DurationMicros int64     `json:"durationMicros"`
	Rows           int       `json:"rows"`
	Error          string    `json:"error,omitempty"`
	At             time.Time `json:"at"`
}

// SessionWorkflowStarted records the start of one attempt of a workflow run.
type SessionWorkflowStarted struct {
	RunID      string          `json:"runId"`
	WorkflowID string          `json:"workflowId"`
	Name       string          `json:"name"`
	Version    int64           `json:"version"`
	Attempt    int             `json:"attempt"`
	Payload    json.RawMessage `json:"payload,omitempty"`
	// External is set when the app's flow service ran it instead of the built-in Lua runner.
	External  bool      `json:"external,omitempty"`
	AfterStep int64     `json:"afterStep"`
	At        time.Time `json:"at"`
}

// SessionWorkflowLogged is the log lines one attempt wrote.
type SessionWorkflowLogged struct {
	RunID   string   `json:"runId"`
	Attempt int      `json:"attempt"`
	Lines   []string `json:"lines"`
}

// SessionWorkflowSucceeded records an attempt that returned a result.
type SessionWorkflowSucceeded struct {
	RunID          string          `json:"runId"`
	Attempt        int             `json:"attempt"`
	Result         json.RawMessage `json:"result,omitempty"`
	DurationMicros int64           `json:"durationMicros"`
}

// SessionWorkflowFailed records an attempt that failed: Retrying when another follows, Poisoned
// when it was the last and the run went to the app's poison queue.
type SessionWorkflowFailed struct {
	RunID          string `json:"runId"`
	Attempt        int    `json:"attempt"`
	Error          string `json:"error"`
	DurationMicros int64  `json:"durationMicros"`
	Retrying       bool   `json:"retrying,omitempty"`
	Poisoned       bool   `json:"poisoned,omitempty"`
}

func (*SessionQueryRan) EventType() string          { return "session.query_ran" }
func (*SessionWorkflowStarted) EventType() string   { return "session.workflow_started" }
func (*SessionWorkflowLogged) EventType() string    { return "session.workflow_logged" }
func (*SessionWorkflowSucceeded) EventType() string { return "session.workflow_succeeded" }
func (*SessionWorkflowFailed) EventType() string    { return "session.workflow_failed" }

// RecordRuns appends backend run events (the five types above) in order.
type RecordRuns struct {
	Events []Event `json:"-"`
}

func (RecordRuns) sessionCommand() {}

// maxRunEventsPerRecord bounds one RecordRuns.
const maxRunEventsPerRecord = 100

func (s *RuntimeSession) decideRuns(c RecordRuns, env Env) ([]Event, error) {
	if len(c.Events) > maxRunEventsPerRecord {
		return nil, invalid("too_many", "/events", "at most %d run events at once", maxRunEventsPerRecord)
	}
	out := make([]Event, 0, len(c.Events))
	for _, e := range c.Events {
		checked, err := checkRunEvent(e, s.Steps, env)
		if err != nil {
			return nil, err
		}
		out = append(out, checked)
	}
	return out, nil
}

// checkRunEvent validates a run event and returns a normalised copy: JSON compacted, texts cut.
func checkRunEvent(e Event, steps int64, env Env) (Event, error) {
	attempt := func(n int) error {
		if n < 1 || n > MaxRunAttempts {
			return invalid("invalid_attempt", "/attempt", "attempt must be 1..%d", MaxRunAttempts)
		}
		return nil
	}
	switch e := e.(type) {
	case *SessionQueryRan:
		c := *e
		if err := checkRunIDs(c.RunID, c.QueryID); err != nil {
			return nil, err
		}
		p, err := optionalJSON("/params", c.Params, MaxRunParamsBytes)
		if err != nil {
			return nil, err
		}
		c.Params, c.Name, c.Error = p, cutUTF8(c.Name, MaxNameLen*4), CutDispatchError(c.Error)
		c.AfterStep, c.At = steps, env.Now
		if c.DurationMicros < 0 || c.Rows < 0 {
			return nil, invalid("invalid_run", "", "duration and rows must not be negative")
		}
		return &c, nil
	case *SessionWorkflowStarted:
		c := *e
		if err := checkRunIDs(c.RunID, c.WorkflowID); err != nil {
			return nil, err
		}
		if err := attempt(c.Attempt); err != nil {
			return nil, err
		}
		p, err := optionalJSON("/payload", c.Payload, MaxRunParamsBytes)
		if err != nil {
			return nil, err
		}
		c.Payload, c.Name = p, cutUTF8(c.Name, MaxNameLen*4)
		c.AfterStep, c.At = steps, env.Now
		return &c, nil
	case *SessionWorkflowLogged:
		c := *e
		if err := checkRunIDs(c.RunID, "-"); err != nil {
			return nil, err
		}
		if err := attempt(c.Attempt); err != nil {
			return nil, err
		}
		lines := c.Lines
		if len(lines) > MaxRunLogLines {
			lines = append(lines[:MaxRunLogLines:MaxRunLogLines], "[log cut]")
		}
		c.Lines = make([]string, len(lines))
		for i, l := range lines {
			c.Lines[i] = cutUTF8(strings.ToValidUTF8(l, "\uFFFD"), MaxRunLogLine)
		}
		return &c, nil
	case *SessionWorkflowSucceeded:
		c := *e
		if err := checkRunIDs(c.RunID, "-"); err != nil {
			return nil, err
		}
		if err := attempt(c.Attempt); err != nil {
			return nil, err
		}
		r, err := optionalJSON("/result", c.Result, MaxRunResultBytes)
		if err != nil {
			return nil, err
		}
		c.Result = r
		return &c, nil
	case *SessionWorkflowFailed:
		c := *e
		if err := checkRunIDs(c.RunID, "-"); err != nil {
			return nil, err
		}
		if err := attempt(c.Attempt); err != nil {
			return nil, err
		}
		if c.Retrying && c.Poisoned {
			return nil, invalid("invalid_run", "", "a failed attempt is retried or poisoned, not both")
		}
		if !utf8.ValidString(c.Error) {
			c.Error = strings.ToValidUTF8(c.Error, "\uFFFD")
		}
		c.Error = CutDispatchError(c.Error)
		return &c, nil
	case nil:
		return nil, invalid("unknown_event", "", "no event")
	default:
		return nil, invalid("unknown_event", "", "%s is not a run event", e.EventType())
	}
}

func checkRunIDs(runID, otherID string) error {
	if err := checkID("/runId", runID); err != nil {
		return err
	}
	return checkID("/id", otherID)
}
