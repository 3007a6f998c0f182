package web

import (
	"net/http"

	"github.com/goflow-dev/goflow/domain"
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
