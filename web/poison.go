package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/runtime/workflow"
)

// The poison queue: an app's workflow runs that failed every attempt, listed for builders, who
// retry (see runtime.go) or dismiss them.

// poisonAggregate stores an app's queue in its poison-<appId> stream.
var poisonAggregate = aggregate[*domain.PoisonQueue]{
	name:   "poison queue",
	stream: domain.StreamPoison,
	zero:   func() *domain.PoisonQueue { return &domain.PoisonQueue{} },
}

func decidePoison(cmds ...domain.PoisonCommand) func(*domain.PoisonQueue, domain.Env) ([]domain.Event, error) {
	return decideAll[*domain.PoisonQueue](cmds...)
}

// poisonList is the queue, oldest first.
type poisonList struct {
	Items   []*domain.PoisonEntry `json:"items"`
	Version int64                 `json:"version"`
}

func (a *api) listPoison(w http.ResponseWriter, r *http.Request) error {
	app, err := a.requireApp(r, "appID")
	if err != nil {
		return err
	}
	q, err := load(r.Context(), a.store, poisonAggregate, app.state.ID, 0)
	if err != nil {
		return err
	}
	return ok(w, poisonList{Items: q.state.Sorted(), Version: q.version})
}

// dismissPoison takes a run out of the queue without running it.
func (a *api) dismissPoison(w http.ResponseWriter, r *http.Request) error {
	app, err := a.requireApp(r, "appID")
	if err != nil {
		return err
	}
	runID, err := pathID(r, "runID", "run")
	if err != nil {
		return err
	}
	expected, err := queryVersion(r)
	if err != nil {
		return err
	}
	res, err := execute(r.Context(), a, r, command[*domain.PoisonQueue]{
		agg: poisonAggregate, id: app.state.ID, expected: &expected, decide: decidePoison(domain.RemovePoisoned{RunID: runID, Reason: domain.PoisonDismissed}),
	})
	if err != nil {
		return err
	}
	return ok(w, poisonList{Items: res.state.Sorted(), Version: res.version})
}

// retryPoison runs a poisoned run's workflow again (its current version, with the recorded
// payload, outside any session). On success the run leaves the queue; on failure it stays and
// the answer is 409 retry_failed with the error. The body's expectedVersion is the queue's
// version, so that two people do not retry one run twice.
func (a *api) retryPoison(w http.ResponseWriter, r *http.Request) error {
	app, err := a.requireApp(r, "appID")
	if err != nil {
		return err
	}
	runID, err := pathID(r, "runID", "run")
	if err != nil {
		return err
	}
	var req struct {
		ExpectedVersion *int64 `json:"expectedVersion"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if _, err := requireVersion(req.ExpectedVersion); err != nil {
		return err
	}
	q, err := load(r.Context(), a.store, poisonAggregate, app.state.ID, 0)
	if err != nil {
		return err
	}
	if q.version != *req.ExpectedVersion {
		return versionConflict(domain.StreamPoison(app.state.ID), *req.ExpectedVersion, q.version)
	}
	entry, found := q.state.Entries[runID]
	if !found {
		return notFound("not_found", "No poisoned run has the id %q.", truncate(runID, 40))
	}
	sl, err := load(r.Context(), a.store, scriptAggregate, entry.WorkflowID, 0)
	if err != nil {
		return err
	}
	wf := sl.state
	if !wf.Exists() || wf.AppID != app.state.ID || wf.Kind != domain.ScriptWorkflow {
		return newAPIError(http.StatusConflict, "workflow_gone", "", "The run's workflow %q no longer exists; dismiss the run.", truncate(entry.WorkflowID, 40))
	}
	runner, host, _, err := a.workflowRunner(r.Context(), app.state.ID, appQueries{a: a, appID: app.state.ID})
	var ce *configError
	if errors.As(err, &ce) {
		return newAPIError(http.StatusConflict, ce.code, "", "%s", ce.message)
	}
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), backendTimeout)
	defer cancel()
	out, werr := runner.Run(ctx, workflow.Invocation{
		Workflow: wf.Name, Script: wf.Text, Payload: entry.Payload, SessionID: entry.SessionID, CorrelationID: runID,
		Policy: retryPolicy(wf), Host: host,
	}, nil)
	if werr != nil {
		return newAPIError(http.StatusConflict, "retry_failed", "", "The run failed again after %d attempt(s): %s", out.Attempts, werr.Error())
	}
	res, err := execute(r.Context(), a, r, command[*domain.PoisonQueue]{
		agg: poisonAggregate, id: app.state.ID, decide: decidePoison(domain.RemovePoisoned{RunID: runID, Reason: domain.PoisonRetried}),
	})
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"runId": runID, "result": nullIfEmpty(out.Result), "attempts": out.Attempts, "version": res.version})
}
