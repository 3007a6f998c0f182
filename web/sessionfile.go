package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"time"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
)

// A session's history as a file: JSON Lines, one recorded event per line in stream order. An
// export imported into an app becomes a new session there, whose replay equals the original's
// as long as the scripts it names belong to that app.

// sessionFileLine is one line of a session file. Time and Actor are the store's record of the
// event; an import keeps the events' data (the session's user, times and steps) but its
// envelopes record the import's own time and actor.
type sessionFileLine struct {
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schemaVersion,omitempty"`
	Data          json.RawMessage `json:"data"`
	Time          time.Time       `json:"time"`
	Actor         string          `json:"actor,omitempty"`
}

// exportSession answers the session's events as a JSON Lines attachment.
func (a *api) exportSession(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.requireSession(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, env := range rs.events {
		line := sessionFileLine{Type: env.Type, SchemaVersion: env.SchemaVersion, Data: env.Data, Time: env.Time.UTC(), Actor: env.Actor}
		if err := enc.Encode(line); err != nil {
			return fmt.Errorf("encode %s version %d: %w", env.StreamID, env.StreamVersion, err)
		}
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "session-" + rs.state.ID + ".jsonl"}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// importSession validates a session file line by line (known session events, session.started
// first, steps 1, 2, 3, ..., nothing after session.ended) with the domain's own rules and
// records it as a new session of the app. A bad line is a 400 naming it; nothing is stored then.
func (a *api) importSession(w http.ResponseWriter, r *http.Request) error {
	app, err := a.requireApp(r, "appID")
	if err != nil {
		return err
	}
	raw, err := readBody(r)
	if err != nil {
		return err
	}
	id := newID()
	events, err := decideImport(raw, id, app.state.ID)
	if err != nil {
		return err
	}
	data, err := encodeEvents(r, "", events)
	if err != nil {
		return err
	}
	stream := domain.StreamSession(id)
	var appended []eventstore.Envelope
	// Every line is validated before the first append, so only a store failure can leave a
	// prefix of the history behind (appends carry at most MaxBatchEvents events).
	for start := 0; start < len(data); start += eventstore.MaxBatchEvents {
		batch := data[start:min(start+eventstore.MaxBatchEvents, len(data))]
		expected := eventstore.NoStream()
		if start > 0 {
			expected = eventstore.Exact(int64(start))
		}
		res, err := a.store.Append(r.Context(), stream, expected, batch)
		if err != nil {
			return fmt.Errorf("append to %s: %w", stream, err)
		}
		appended = append(appended, res.Events...)
	}
	a.waitForProjections(r.Context(), appended)
	s := domain.RuntimeSession{}
	var started *domain.SessionStarted
	for _, e := range events {
		s.Apply(e)
		if st, ok := e.(*domain.SessionStarted); ok {
			started = st
		}
	}
	return created(w, "/api/sessions/"+id, sessionView{
		ID: s.ID, AppID: s.AppID, PageID: s.PageID, Mode: s.Mode, User: s.User, Started: s.Started,
		Steps: s.Steps, Ended: s.Ended, PageReducer: started.PageReducer, AppReducer: started.AppReducer,
		Version: s.Version,
	})
}

// decideImport turns a session file into the events of a new session id of app appID, deciding
// each line as the command that recorded it so that the domain's validation applies.
func decideImport(raw []byte, id, appID string) ([]domain.Event, error) {
	s := &domain.RuntimeSession{}
	var out []domain.Event
	lineNo := 0
	for len(raw) > 0 {
		var text []byte
		text, raw, _ = bytes.Cut(raw, []byte("\n"))
		lineNo++
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		evs, err := decideImportLine(s, text, id, appID)
		if err != nil {
			return nil, badRequest("invalid_line", "", "Line %d: %s.", lineNo, err.Error())
		}
		for _, e := range evs {
			s.Apply(e)
		}
		out = append(out, evs...)
	}
	if len(out) == 0 {
		return nil, badRequest("empty_body", "", "The session file is empty; send one JSON event per line, session.started first.")
	}
	return out, nil
}

// isRunEvent reports whether e records a backend run (which may follow session.ended).
func isRunEvent(e domain.Event) bool {
	switch e.(type) {
	case *domain.SessionQueryRan, *domain.SessionWorkflowStarted, *domain.SessionWorkflowLogged,
		*domain.SessionWorkflowSucceeded, *domain.SessionWorkflowFailed:
		return true
	}
	return false
}

// decideImportLine decides one line against the session so far.
func decideImportLine(s *domain.RuntimeSession, text []byte, id, appID string) ([]domain.Event, error) {
	var line sessionFileLine
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&line); err != nil {
		return nil, fmt.Errorf("not a session event line: %s", err.Error())
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	switch line.Type {
	case "session.started", "session.action_dispatched", "session.ended", "session.query_ran",
		"session.workflow_started", "session.workflow_logged", "session.workflow_succeeded", "session.workflow_failed":
	default:
		return nil, fmt.Errorf("%q is not a session event type", truncate(line.Type, 60))
	}
	e, err := domain.Decode(line.Type, line.SchemaVersion, line.Data)
	if err != nil {
		return nil, err
	}
	if !s.Exists() {
		if _, ok := e.(*domain.SessionStarted); !ok {
			return nil, errors.New("the first event must be session.started")
		}
	}
	if s.Ended && !isRunEvent(e) {
		return nil, errors.New("only backend runs may follow session.ended")
	}
	var evs []domain.Event
	switch e := e.(type) {
	case *domain.SessionStarted:
		// The recorded user and start time are kept: env supplies them to the decision.
		evs, err = s.Decide(domain.StartRuntimeSession{
			SessionID: id, AppID: appID, PageID: e.PageID, Mode: e.Mode, Seed: e.Seed,
			InitialState: e.InitialState, PageReducer: e.PageReducer, AppReducer: e.AppReducer,
		}, domain.Env{Now: e.At, Actor: e.User})
	case *domain.SessionActionDispatched:
		evs, err = s.Decide(domain.RecordDispatches{Dispatches: []domain.SessionActionDispatched{*e}}, domain.Env{})
	case *domain.SessionEnded:
		evs, err = s.Decide(domain.EndRuntimeSession{}, domain.Env{Now: e.At})
	case *domain.SessionQueryRan:
		evs, err = s.Decide(domain.RecordRuns{Events: []domain.Event{e}}, domain.Env{Now: e.At})
	case *domain.SessionWorkflowStarted:
		evs, err = s.Decide(domain.RecordRuns{Events: []domain.Event{e}}, domain.Env{Now: e.At})
	default:
		evs, err = s.Decide(domain.RecordRuns{Events: []domain.Event{e}}, domain.Env{})
	}
	if err != nil {
		return nil, err
	}
	return evs, nil
}
