package web

import (
	"net/http"

	"github.com/goflow-dev/goflow/domain"
)

// queryAggregate stores queries in query-<id> streams.
var queryAggregate = aggregate[*domain.Query]{
	name:    "query",
	missing: "query_not_found",
	stream:  domain.StreamQuery,
	zero:    func() *domain.Query { return &domain.Query{} },
}

// queryBody is a query as the API shows it.
type queryBody struct {
	ID             string              `json:"id"`
	AppID          string              `json:"appId"`
	DataSourceID   string              `json:"dataSourceId"`
	Name           string              `json:"name"`
	Template       string              `json:"template"`
	Params         []domain.QueryParam `json:"params"`
	ResultSchemaID string              `json:"resultSchemaId,omitempty"`
	// Mutation says the query may write (Postgres runs it outside a read-only transaction).
	Mutation bool  `json:"mutation"`
	Version  int64 `json:"version"`
}

func queryView(q *domain.Query, version int64) queryBody {
	params := q.Params
	if params == nil {
		params = []domain.QueryParam{}
	}
	return queryBody{
		ID: q.ID, AppID: q.AppID, DataSourceID: q.DataSourceID, Name: q.Name, Template: q.Template,
		Params: params, ResultSchemaID: q.ResultSchemaID, Mutation: q.Mutation, Version: version,
	}
}

func decideQuery(cmds ...domain.QueryCommand) func(*domain.Query, domain.Env) ([]domain.Event, error) {
	return decideAll[*domain.Query](cmds...)
}

func (a *api) requireQuery(r *http.Request) (loaded[*domain.Query], error) {
	id, err := pathID(r, "queryID", "query")
	if err != nil {
		return loaded[*domain.Query]{}, err
	}
	l, err := load(r.Context(), a.store, queryAggregate, id, 0)
	if err != nil {
		return l, err
	}
	if !l.state.Exists() {
		return l, notFound("query_not_found", "No query has the id %q.", truncate(id, 40))
	}
	return l, nil
}

// checkQueryRefs checks that the data source and the result schema a query names exist in its
// app (422 with the field's path otherwise).
func (a *api) checkQueryRefs(r *http.Request, appID, dataSourceID, resultSchemaID string) error {
	if dataSourceID != "" {
		d, err := a.dataSourceByID(r, dataSourceID)
		if err != nil || d.state.AppID != appID {
			if err != nil && !isNotFound(err) {
				return err
			}
			return unprocessable("datasource_not_found", "/dataSourceId", "App %s has no data source %q.", appID, truncate(dataSourceID, 40))
		}
	}
	if resultSchemaID != "" {
		s, err := a.schemaByID(r, resultSchemaID)
		if err != nil || s.state.AppID != appID {
			if err != nil && !isNotFound(err) {
				return err
			}
			return unprocessable("schema_not_found", "/resultSchemaId", "App %s has no schema %q.", appID, truncate(resultSchemaID, 40))
		}
	}
	return nil
}

type createQueryRequest struct {
	Name           string              `json:"name"`
	DataSourceID   string              `json:"dataSourceId"`
	Template       string              `json:"template"`
	Params         []domain.QueryParam `json:"params"`
	ResultSchemaID string              `json:"resultSchemaId"`
	Mutation       bool                `json:"mutation"`
}

func (a *api) createQuery(w http.ResponseWriter, r *http.Request) error {
	app, err := a.requireApp(r, "appID")
	if err != nil {
		return err
	}
	var req createQueryRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := requireString("/dataSourceId", req.DataSourceID); err != nil {
		return err
	}
	if err := a.checkQueryRefs(r, app.state.ID, req.DataSourceID, req.ResultSchemaID); err != nil {
		return err
	}
	id := newID()
	none := int64(0)
	res, err := execute(r.Context(), a, r, command[*domain.Query]{
		agg: queryAggregate, id: id, expected: &none,
		decide: decideQuery(domain.CreateQuery{
			QueryID: id, AppID: app.state.ID, DataSourceID: req.DataSourceID, Name: req.Name,
			Template: req.Template, Params: req.Params, ResultSchemaID: req.ResultSchemaID, Mutation: req.Mutation,
		}),
	})
	if err != nil {
		return err
	}
	return created(w, "/api/queries/"+id, queryView(res.state, res.version))
}

func (a *api) getQuery(w http.ResponseWriter, r *http.Request) error {
	q, err := a.requireQuery(r)
	if err != nil {
		return err
	}
	return ok(w, queryView(q.state, q.version))
}

// patchQueryRequest changes what it names and keeps the rest.
type patchQueryRequest struct {
	ExpectedVersion *int64               `json:"expectedVersion"`
	Name            *string              `json:"name"`
	DataSourceID    *string              `json:"dataSourceId"`
	Template        *string              `json:"template"`
	Params          *[]domain.QueryParam `json:"params"`
	// ResultSchemaID "" clears the reference.
	ResultSchemaID *string `json:"resultSchemaId"`
	Mutation       *bool   `json:"mutation"`
}

func (a *api) patchQuery(w http.ResponseWriter, r *http.Request) error {
	q, err := a.requireQuery(r)
	if err != nil {
		return err
	}
	var req patchQueryRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if _, err := requireVersion(req.ExpectedVersion); err != nil {
		return err
	}
	update := req.DataSourceID != nil || req.Template != nil || req.Params != nil || req.ResultSchemaID != nil || req.Mutation != nil
	if req.Name == nil && !update {
		return unprocessable("empty_patch", "", "Send at least one of name, dataSourceId, template, params, resultSchemaId and mutation.")
	}
	var dsID, schemaID string
	if req.DataSourceID != nil {
		if err := requireString("/dataSourceId", *req.DataSourceID); err != nil {
			return err
		}
		dsID = *req.DataSourceID
	}
	if req.ResultSchemaID != nil {
		schemaID = *req.ResultSchemaID
	}
	if err := a.checkQueryRefs(r, q.state.AppID, dsID, schemaID); err != nil {
		return err
	}
	res, err := execute(r.Context(), a, r, command[*domain.Query]{
		agg: queryAggregate, id: q.state.ID, expected: req.ExpectedVersion,
		decide: func(cur *domain.Query, env domain.Env) ([]domain.Event, error) {
			var cmds []domain.QueryCommand
			if req.Name != nil {
				cmds = append(cmds, domain.RenameQuery{Name: *req.Name})
			}
			if update {
				u := domain.UpdateQuery{
					DataSourceID: cur.DataSourceID, Template: cur.Template, Params: cur.Params, ResultSchemaID: cur.ResultSchemaID,
					Mutation: cur.Mutation,
				}
				if req.Mutation != nil {
					u.Mutation = *req.Mutation
				}
				if req.DataSourceID != nil {
					u.DataSourceID = *req.DataSourceID
				}
				if req.Template != nil {
					u.Template = *req.Template
				}
				if req.Params != nil {
					u.Params = *req.Params
				}
				if req.ResultSchemaID != nil {
					u.ResultSchemaID = *req.ResultSchemaID
				}
				cmds = append(cmds, u)
			}
			return decideQuery(cmds...)(cur, env)
		},
	})
	if err != nil {
		return err
	}
	return ok(w, queryView(res.state, res.version))
}

func (a *api) deleteQuery(w http.ResponseWriter, r *http.Request) error {
	q, err := a.requireQuery(r)
	if err != nil {
		return err
	}
	expected, err := queryVersion(r)
	if err != nil {
		return err
	}
	res, err := execute(r.Context(), a, r, command[*domain.Query]{
		agg: queryAggregate, id: q.state.ID, expected: &expected, decide: decideQuery(domain.DeleteQuery{}),
	})
	if err != nil {
		return err
	}
	return ok(w, deletedBody{ID: q.state.ID, Version: res.version, Deleted: true})
}
