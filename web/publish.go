package web

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/projections"
)

// Publishing: a release pins the version of every page and script of an app, and published
// runs use those versions while builders keep editing the draft.

// releaseBody is a release as the API shows it.
type releaseBody struct {
	Release   int64            `json:"release"`
	Pages     map[string]int64 `json:"pages"`
	Scripts   map[string]int64 `json:"scripts"`
	Published time.Time        `json:"published"`
	By        string           `json:"by"`
}

func releaseView(r *domain.AppRelease) releaseBody {
	return releaseBody{
		Release: r.Release, Pages: r.Pages, Scripts: r.Scripts,
		Published: r.Published, By: r.By,
	}
}

// publishApp pins the head versions of the app's pages and scripts as its next release.
func (a *api) publishApp(w http.ResponseWriter, r *http.Request) error {
	app, err := a.requireApp(r, "appID")
	if err != nil {
		return err
	}
	cmd, err := a.draftVersions(r.Context(), app.state.ID)
	if err != nil {
		return err
	}
	res, err := execute(r.Context(), a, r, command[*domain.App]{
		agg: appAggregate, id: app.state.ID, decide: decideApp(cmd),
	})
	if err != nil {
		return err
	}
	return created(w, "/api/apps/"+app.state.ID+"/release", releaseView(res.state.Published))
}

// getRelease answers the app's latest release.
func (a *api) getRelease(w http.ResponseWriter, r *http.Request) error {
	app, err := a.requireApp(r, "appID")
	if err != nil {
		return err
	}
	if app.state.Published == nil {
		return notFound("not_published", "The app has not been published.")
	}
	return ok(w, releaseView(app.state.Published))
}

// draftVersions reads the head version of every page in the app's tree and of every script
// of the app from the event store (projections may lag a moment behind a just-saved edit).
func (a *api) draftVersions(ctx context.Context, appID string) (domain.PublishApp, error) {
	cmd := domain.PublishApp{Pages: map[string]int64{}, Scripts: map[string]int64{}}
	tree, err := load(ctx, a.store, treeAggregate, appID, 0)
	if err != nil {
		return cmd, err
	}
	for _, id := range slices.Sorted(maps.Keys(tree.state.Pages)) {
		p, err := load(ctx, a.store, pageAggregate, id, 0)
		if err != nil {
			return cmd, err
		}
		if p.state.Exists() {
			cmd.Pages[id] = p.version
		}
	}
	params := projections.ListParams{Limit: projections.MaxListLimit}
	for {
		scripts, next, err := projections.ListScripts(ctx, a.docs, appID, params)
		if err != nil {
			return cmd, fmt.Errorf("list scripts of %s: %w", appID, err)
		}
		for _, s := range scripts {
			l, err := load(ctx, a.store, scriptAggregate, s.ID, 0)
			if err != nil {
				return cmd, err
			}
			if l.state.Exists() {
				cmd.Scripts[s.ID] = l.version
			}
		}
		if next == "" {
			return cmd, nil
		}
		params.After = next
	}
}
