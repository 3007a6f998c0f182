package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/goflow-dev/goflow/domain"
)

// Runtime runs pages for the socket's run and component_event messages (web implements it).
// Errors that are the client's to fix are *RunError values; any other error is reported as
// run_failed without its text.
type Runtime interface {
	// Start starts a runtime session of the page (its id, not its stream) for user, running the
	// draft (domain.SessionPreview) or the app's release (domain.SessionPublished).
	Start(ctx context.Context, user, page string, mode domain.SessionMode) (RunResult, error)
	// Event runs a component event in a session user started.
	Event(ctx context.Context, user string, ev ComponentEvent) (RunResult, error)
	// End ends a session user started: its connection closed.
	End(ctx context.Context, user, session string) error
}

// RunResult is a session's state after a start or an event.
type RunResult struct {
	Session string
	Page    string
	Step    int64
	State   RunValue
	// Updates are the component updates the handler asked for, each a JSON object.
	Updates []json.RawMessage
	// Effects are what the client does next (navigate, notify, copy), each a JSON object.
	Effects []json.RawMessage
	// Error is a reducer's error (the state stayed).
	Error string
}

// RunError is a refusal the client can act on; Code and Message are sent in an error message.
type RunError struct {
	Code    string
	Message string
}

func (e *RunError) Error() string { return e.Code + ": " + e.Message }

// run starts a runtime session of a page (P33, P34).
func (c *Session) run(m Run) {
	kind, id, ok := docKind(m.Doc)
	switch {
	case !ok || kind != domain.CategoryPage:
		c.sendError("unknown_doc", "doc must be page-<id>.", truncate(m.Doc, 60), TypeRun)
		return
	case m.Mode != "" && m.Mode != string(domain.SessionPreview) && m.Mode != string(domain.SessionPublished):
		c.sendError("unsupported_mode", `mode must be "preview" or "published".`, m.Doc, TypeRun)
		return
	case c.s.cfg.Runtime == nil:
		c.sendError("runtime_unavailable", "This server does not run apps.", m.Doc, TypeRun)
		return
	}
	if err := c.allow(domain.PermRun, m.Doc); err != nil {
		c.sendError("forbidden", err.Error(), m.Doc, TypeRun)
		return
	}
	c.mu.Lock()
	n := len(c.runs)
	c.mu.Unlock()
	if n >= MaxRunsPerConnection {
		c.sendError("too_many_runs", fmt.Sprintf("At most %d runs per connection.", MaxRunsPerConnection), m.Doc, TypeRun)
		return
	}
	mode := domain.SessionMode(m.Mode)
	if mode == "" {
		mode = domain.SessionPreview
	}
	res, err := c.s.cfg.Runtime.Start(c.ctx, c.user, id, mode)
	if err != nil {
		c.runError(err, m.Doc, TypeRun)
		return
	}
	c.mu.Lock()
	c.runs[res.Session] = m.Doc
	c.mu.Unlock()
	c.send(RunStarted{Type: TypeRunStarted, Session: res.Session, Page: res.Page, Step: res.Step, State: nullState(res.State)})
}

// componentEvent runs a component event in a session this connection started (P35-P37).
func (c *Session) componentEvent(m ComponentEvent) {
	c.mu.Lock()
	doc, ok := c.runs[m.Session]
	c.mu.Unlock()
	if !ok || c.s.cfg.Runtime == nil {
		c.sendError("unknown_session", "No run of this connection has that session id.", "", TypeComponentEvent)
		return
	}
	res, err := c.s.cfg.Runtime.Event(c.ctx, c.user, m)
	if err != nil {
		c.runError(err, doc, TypeComponentEvent)
		return
	}
	c.send(RunState{Type: TypeRunState, Session: m.Session, Step: res.Step, State: nullState(res.State),
		Updates: nonNil(res.Updates), Effects: nonNil(res.Effects), Error: res.Error})
}

// endRuns ends the runtime sessions of a closed connection, in the background: the connection
// is gone, and each end is one append.
func (c *Session) endRuns() {
	c.mu.Lock()
	ids := make([]string, 0, len(c.runs))
	for id := range c.runs {
		ids = append(ids, id)
	}
	c.runs = map[string]string{}
	c.mu.Unlock()
	if len(ids) == 0 || c.s.cfg.Runtime == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), endRunsTimeout)
		defer cancel()
		for _, id := range ids {
			if err := c.s.cfg.Runtime.End(ctx, c.user, id); err != nil {
				c.s.log.Warn("realtime: end run", "session", id, "err", err)
			}
		}
	}()
}

// endRunsTimeout bounds the ending of one closed connection's sessions.
const endRunsTimeout = 10 * time.Second

func nonNil(xs []json.RawMessage) []json.RawMessage {
	if xs == nil {
		return []json.RawMessage{}
	}
	return xs
}

func (c *Session) runError(err error, doc, ref string) {
	var re *RunError
	if errors.As(err, &re) {
		c.sendError(re.Code, re.Message, doc, ref)
		return
	}
	c.s.log.Error("realtime: run", "doc", doc, "ref", ref, "err", err)
	c.sendError("run_failed", "The page could not be run; retry.", doc, ref)
}

// nullState spells undefined states as null (an empty json.RawMessage does not marshal).
func nullState(v RunValue) RunValue {
	if len(v.Page) == 0 {
		v.Page = json.RawMessage("null")
	}
	if len(v.App) == 0 {
		v.App = json.RawMessage("null")
	}
	return v
}
