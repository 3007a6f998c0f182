package web

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/goflow-dev/goflow/domain"
)

// The debugger's view of a session's backend runs: each query and workflow run with its
// attempts, placed after the step that preceded it.

// runView is one backend run.
type runView struct {
	RunID string `json:"runId"`
	Kind  string `json:"kind"` // "query" or "workflow"
	ID    string `json:"id"`   // the query's or the workflow's id
	Name  string `json:"name"`
	// AfterStep is the last step recorded before the run started.
	AfterStep int64           `json:"afterStep"`
	Input     json.RawMessage `json:"input,omitempty"` // parameters or payload
	Status    string          `json:"status"`          // "succeeded", "failed" or "running"
	Rows      int             `json:"rows,omitempty"`
	External  bool            `json:"external,omitempty"`
	Attempts  []attemptView   `json:"attempts"`
	At        time.Time       `json:"at"`
}

// attemptView is one attempt of a run (a query has one).
type attemptView struct {
	Attempt        int             `json:"attempt"`
	Logs           []string        `json:"logs,omitempty"`
	Result         json.RawMessage `json:"result,omitempty"`
	Error          string          `json:"error,omitempty"`
	DurationMicros int64           `json:"durationMicros"`
	Retrying       bool            `json:"retrying,omitempty"`
	Poisoned       bool            `json:"poisoned,omitempty"`
}

// sessionRuns answers the session's backend runs in the order they started.
func (a *api) sessionRuns(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.requireSession(r)
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"items": groupRuns(rs.runs)})
}

// groupRuns folds run events into one view per run.
func groupRuns(events []domain.Event) []*runView {
	out := []*runView{}
	byID := map[string]*runView{}
	attempt := func(v *runView, n int) *attemptView {
		for i := range v.Attempts {
			if v.Attempts[i].Attempt == n {
				return &v.Attempts[i]
			}
		}
		v.Attempts = append(v.Attempts, attemptView{Attempt: n})
		return &v.Attempts[len(v.Attempts)-1]
	}
	for _, e := range events {
		switch e := e.(type) {
		case *domain.SessionQueryRan:
			v := &runView{RunID: e.RunID, Kind: "query", ID: e.QueryID, Name: e.Name, AfterStep: e.AfterStep,
				Input: e.Params, Status: "succeeded", Rows: e.Rows, At: e.At,
				Attempts: []attemptView{{Attempt: 1, Error: e.Error, DurationMicros: e.DurationMicros}}}
			if e.Error != "" {
				v.Status = "failed"
			}
			out = append(out, v)
		case *domain.SessionWorkflowStarted:
			v, seen := byID[e.RunID]
			if !seen {
				v = &runView{RunID: e.RunID, Kind: "workflow", ID: e.WorkflowID, Name: e.Name, AfterStep: e.AfterStep,
					Input: e.Payload, External: e.External, At: e.At}
				byID[e.RunID] = v
				out = append(out, v)
			}
			v.Status = "running"
			attempt(v, e.Attempt)
		case *domain.SessionWorkflowLogged:
			if v := byID[e.RunID]; v != nil {
				at := attempt(v, e.Attempt)
				at.Logs = append(at.Logs, e.Lines...)
			}
		case *domain.SessionWorkflowSucceeded:
			if v := byID[e.RunID]; v != nil {
				at := attempt(v, e.Attempt)
				at.Result, at.DurationMicros = e.Result, e.DurationMicros
				v.Status = "succeeded"
			}
		case *domain.SessionWorkflowFailed:
			if v := byID[e.RunID]; v != nil {
				at := attempt(v, e.Attempt)
				at.Error, at.DurationMicros, at.Retrying, at.Poisoned = e.Error, e.DurationMicros, e.Retrying, e.Poisoned
				v.Status = "failed"
				if e.Retrying {
					v.Status = "running"
				}
			}
		}
	}
	return out
}
