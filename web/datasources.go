package web

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/goflow-dev/goflow/domain"
)

// dataSourceAggregate stores data sources in datasource-<id> streams. Its state holds secret
// values: every response goes through domain.DataSource.View, which drops them.
var dataSourceAggregate = aggregate[*domain.DataSource]{
	name:    "data source",
	missing: "datasource_not_found",
	stream:  domain.StreamDataSource,
	zero:    func() *domain.DataSource { return &domain.DataSource{} },
}

func decideDataSource(cmds ...domain.DataSourceCommand) func(*domain.DataSource, domain.Env) ([]domain.Event, error) {
	return decideAll[*domain.DataSource](cmds...)
}

// dataSourceView is the only way a data source leaves the server: secret values replaced by the
// names of the secrets that are set.
func dataSourceView(d *domain.DataSource) domain.DataSourceView {
	v := d.View()
	if v.Config == nil {
		v.Config = map[string]json.RawMessage{}
	}
	return v
}

func (a *api) requireDataSource(r *http.Request) (loaded[*domain.DataSource], error) {
	id, err := pathID(r, "dataSourceID", "datasource")
	if err != nil {
		return loaded[*domain.DataSource]{}, err
	}
	return a.dataSourceByID(r, id)
}

func (a *api) dataSourceByID(r *http.Request, id string) (loaded[*domain.DataSource], error) {
	l, err := load(r.Context(), a.store, dataSourceAggregate, id, 0)
	if err != nil {
		return l, err
	}
	if !l.state.Exists() {
		return l, notFound("datasource_not_found", "No data source has the id %q.", truncate(id, 40))
	}
	return l, nil
}

type createDataSourceRequest struct {
	Name   string                     `json:"name"`
	Kind   domain.DataSourceKind      `json:"kind"`
	Config map[string]json.RawMessage `json:"config"`
	// Secrets are write-only: responses list only which ones are set.
	Secrets map[string]string `json:"secrets"`
}

func (a *api) createDataSource(w http.ResponseWriter, r *http.Request) error {
	app, err := a.requireApp(r, "appID")
	if err != nil {
		return err
	}
	var req createDataSourceRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	id := newID()
	none := int64(0)
	res, err := execute(r.Context(), a, r, command[*domain.DataSource]{
		agg: dataSourceAggregate, id: id, expected: &none,
		decide: a.sealSecrets(decideDataSource(domain.CreateDataSource{
			DataSourceID: id, AppID: app.state.ID, Name: req.Name, Kind: req.Kind, Config: req.Config, Secrets: req.Secrets,
		})),
	})
	if err != nil {
		return err
	}
	return created(w, "/api/datasources/"+id, dataSourceView(res.state))
}

func (a *api) getDataSource(w http.ResponseWriter, r *http.Request) error {
	d, err := a.requireDataSource(r)
	if err != nil {
		return err
	}
	return ok(w, dataSourceView(d.state))
}

type patchDataSourceRequest struct {
	ExpectedVersion *int64  `json:"expectedVersion"`
	Name            *string `json:"name"`
	// Config replaces the whole config when given.
	Config map[string]json.RawMessage `json:"config"`
	// Secrets are merged: a value sets that secret, "" removes it, secrets not named are kept.
	Secrets map[string]string `json:"secrets"`
}

func (a *api) patchDataSource(w http.ResponseWriter, r *http.Request) error {
	d, err := a.requireDataSource(r)
	if err != nil {
		return err
	}
	var req patchDataSourceRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if _, err := requireVersion(req.ExpectedVersion); err != nil {
		return err
	}
	var cmds []domain.DataSourceCommand
	if req.Name != nil {
		cmds = append(cmds, domain.RenameDataSource{Name: *req.Name})
	}
	if req.Config != nil || req.Secrets != nil {
		cmds = append(cmds, domain.UpdateDataSource{Config: req.Config, Secrets: req.Secrets})
	}
	if len(cmds) == 0 {
		return unprocessable("empty_patch", "", "Send at least one of name, config and secrets.")
	}
	res, err := execute(r.Context(), a, r, command[*domain.DataSource]{
		agg: dataSourceAggregate, id: d.state.ID, expected: req.ExpectedVersion, decide: a.sealSecrets(decideDataSource(cmds...)),
	})
	if err != nil {
		return err
	}
	return ok(w, dataSourceView(res.state))
}

func (a *api) deleteDataSource(w http.ResponseWriter, r *http.Request) error {
	d, err := a.requireDataSource(r)
	if err != nil {
		return err
	}
	expected, err := queryVersion(r)
	if err != nil {
		return err
	}
	res, err := execute(r.Context(), a, r, command[*domain.DataSource]{
		agg: dataSourceAggregate, id: d.state.ID, expected: &expected, decide: decideDataSource(domain.DeleteDataSource{}),
	})
	if err != nil {
		return err
	}
	return ok(w, deletedBody{ID: d.state.ID, Version: res.version, Deleted: true})
}

// sealSecrets wraps a data source decision so that the secret values in its events are sealed
// (AES-GCM, bound to the data source and field) before they are stored: only the runtime opens
// them, when a query runs.
func (a *api) sealSecrets(decide func(*domain.DataSource, domain.Env) ([]domain.Event, error)) func(*domain.DataSource, domain.Env) ([]domain.Event, error) {
	return func(d *domain.DataSource, env domain.Env) ([]domain.Event, error) {
		events, err := decide(d, env)
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			var secrets map[string]string
			switch e := e.(type) {
			case *domain.DataSourceCreated:
				secrets = e.Secrets
			case *domain.DataSourceUpdated:
				secrets = e.Secrets
			}
			for field, v := range secrets {
				sealed, err := a.box.Seal(v, SecretAAD(d.ID, field))
				if err != nil {
					return nil, fmt.Errorf("seal secret %s of data source %s: %w", field, d.ID, err)
				}
				secrets[field] = sealed
			}
		}
		return events, nil
	}
}

// SecretAAD is the additional data a data source secret is sealed with, so that a sealed value
// copied to another data source or field does not open.
func SecretAAD(dataSourceID, field string) string { return "datasource/" + dataSourceID + "/" + field }
