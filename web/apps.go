package web

import (
	"net/http"

	"github.com/goflow-dev/goflow/domain"
)

// appAggregate stores apps in app-<id> streams.
var appAggregate = aggregate[*domain.App]{
	name:    "app",
	missing: "app_not_found",
	stream:  domain.StreamApp,
	zero:    func() *domain.App { return &domain.App{} },
}

// appBody is an app as the API shows it.
type appBody struct {
	ID          string             `json:"id"`
	Name        string             `json:"name"`
	WorkspaceID string             `json:"workspaceId,omitempty"`
	Settings    domain.AppSettings `json:"settings"`
	// Release is the number of the latest publish (absent: never published).
	Release int64 `json:"release,omitempty"`
	// FlowSecretSet says whether requests to the flow service are signed.
	FlowSecretSet bool  `json:"flowSecretSet,omitempty"`
	Version       int64 `json:"version"`
}

func appView(s *domain.App, version int64) appBody {
	b := appBody{ID: s.ID, Name: s.Name, WorkspaceID: s.WorkspaceID, Settings: s.Settings, Version: version, FlowSecretSet: s.FlowSecret != ""}
	if s.Published != nil {
		b.Release = s.Published.Release
	}
	return b
}

// deletedBody answers a DELETE: the stream's version after the deletion.
type deletedBody struct {
	ID      string `json:"id"`
	Version int64  `json:"version"`
	Deleted bool   `json:"deleted"`
}

// decideApp wraps one app command for execute.
func decideApp(cmds ...domain.AppCommand) func(*domain.App, domain.Env) ([]domain.Event, error) {
	return decideAll[*domain.App](cmds...)
}

type createAppRequest struct {
	Name string `json:"name"`
}

// createApp creates an app in the workspace of the path (authorize has checked the caller may).

func (a *api) createApp(w http.ResponseWriter, r *http.Request) error {
	var req createAppRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	id := newID()
	none := int64(0)
	res, err := execute(r.Context(), a, r, command[*domain.App]{
		agg: appAggregate, id: id, expected: &none,
		decide: decideApp(domain.CreateApp{AppID: id, Name: req.Name, WorkspaceID: r.PathValue("workspaceID")}),
	})
	if err != nil {
		return err
	}
	return created(w, "/api/apps/"+id, appView(res.state, res.version))
}

func (a *api) getApp(w http.ResponseWriter, r *http.Request) error {
	app, err := a.requireApp(r, "appID")
	if err != nil {
		return err
	}
	return ok(w, appView(app.state, app.version))
}

// requireApp loads the app named by a path parameter, answering 404 when it does not exist (or
// was deleted).
func (a *api) requireApp(r *http.Request, param string) (loaded[*domain.App], error) {
	id, err := pathID(r, param, "app")
	if err != nil {
		return loaded[*domain.App]{}, err
	}
	return a.appByID(r, id)
}

func (a *api) appByID(r *http.Request, id string) (loaded[*domain.App], error) {
	l, err := load(r.Context(), a.store, appAggregate, id, 0)
	if err != nil {
		return l, err
	}
	if !l.state.Exists() {
		return l, notFound("app_not_found", "No app has the id %q.", truncate(id, 40))
	}
	return l, nil
}

type patchAppRequest struct {
	ExpectedVersion *int64              `json:"expectedVersion"`
	Name            *string             `json:"name"`
	Settings        *domain.AppSettings `json:"settings"`
}

func (a *api) patchApp(w http.ResponseWriter, r *http.Request) error {
	app, err := a.requireApp(r, "appID")
	if err != nil {
		return err
	}
	var req patchAppRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if _, err := requireVersion(req.ExpectedVersion); err != nil {
		return err
	}
	var cmds []domain.AppCommand
	if req.Name != nil {
		cmds = append(cmds, domain.RenameApp{Name: *req.Name})
	}
	if req.Settings != nil {
		cmds = append(cmds, domain.UpdateAppSettings{Settings: *req.Settings})
	}
	if len(cmds) == 0 {
		return unprocessable("empty_patch", "", "Send at least one of name and settings.")
	}
	res, err := execute(r.Context(), a, r, command[*domain.App]{
		agg: appAggregate, id: app.state.ID, expected: req.ExpectedVersion, decide: decideApp(cmds...),
	})
	if err != nil {
		return err
	}
	return ok(w, appView(res.state, res.version))
}

func (a *api) deleteApp(w http.ResponseWriter, r *http.Request) error {
	app, err := a.requireApp(r, "appID")
	if err != nil {
		return err
	}
	expected, err := queryVersion(r)
	if err != nil {
		return err
	}
	res, err := execute(r.Context(), a, r, command[*domain.App]{
		agg: appAggregate, id: app.state.ID, expected: &expected, decide: decideApp(domain.DeleteApp{}),
	})
	if err != nil {
		return err
	}
	return ok(w, deletedBody{ID: app.state.ID, Version: res.version, Deleted: true})
}
