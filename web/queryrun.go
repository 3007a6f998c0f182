package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/runtime/query"
)

// Running a query from the editor: builders try a query with parameters and see its result,
// and can save the schema of a result as the query's result schema. Neither touches a session.

type runQueryRequest struct {
	Params json.RawMessage `json:"params"`
}

// queryRunBody is the result of a query run.
type queryRunBody struct {
	Data           json.RawMessage `json:"data"`
	Rows           int             `json:"rows"`
	DurationMicros int64           `json:"durationMicros"`
}

// runQueryOnce loads the query of the path and runs it with the request's params, mapping its
// failures to problems: parameter errors to 422 invalid_params at the parameter's path, every
// other failure of the query itself to 422 query_failed.
func (a *api) runQueryOnce(r *http.Request) (loadedQuery, query.Result, error) {
	q, err := a.requireQuery(r)
	if err != nil {
		return loadedQuery{}, query.Result{}, err
	}
	var req runQueryRequest
	if err := decodeJSON(r, &req); err != nil {
		return loadedQuery{}, query.Result{}, err
	}
	lq, err := a.loadQuery(r.Context(), q.state.AppID, q.state.ID)
	if errors.Is(err, errUnknownBackend) {
		return loadedQuery{}, query.Result{}, unprocessable("datasource_not_found", "/dataSourceId", "%s", err.Error())
	}
	if err != nil {
		return loadedQuery{}, query.Result{}, err
	}
	res, err := a.execQuery(r.Context(), lq, req.Params)
	var pe *query.ParamError
	switch {
	case errors.As(err, &pe):
		return lq, res, unprocessable("invalid_params", "/params"+pe.Path, "%s", err.Error())
	case err != nil:
		return lq, res, unprocessable("query_failed", "", "The query failed: %s", err.Error())
	}
	return lq, res, nil
}

// runQueryNow runs a query and answers its result.
func (a *api) runQueryNow(w http.ResponseWriter, r *http.Request) error {
	_, res, err := a.runQueryOnce(r)
	if err != nil {
		return err
	}
	return ok(w, queryRunBody{Data: nullIfEmpty(res.Data), Rows: res.Rows, DurationMicros: res.Duration.Microseconds()})
}

// inferQuerySchema runs a query, derives a schema from its result, saves it as a new schema of
// the app and makes it the query's result schema.
func (a *api) inferQuerySchema(w http.ResponseWriter, r *http.Request) error {
	lq, res, err := a.runQueryOnce(r)
	if err != nil {
		return err
	}
	doc, err := domain.DeriveSchema(nullIfEmpty(res.Data))
	if err != nil {
		return withPath(err, "/result")
	}
	schemaID := newID()
	none := int64(0)
	if _, err := execute(r.Context(), a, r, command[*domain.Schema]{
		agg: schemaAggregate, id: schemaID, expected: &none,
		decide: decideSchema(domain.CreateSchema{SchemaID: schemaID, AppID: lq.q.AppID, Name: lq.q.Name + " result", Document: doc, Source: domain.SourceDerived}),
	}); err != nil {
		return err
	}
	res2, err := execute(r.Context(), a, r, command[*domain.Query]{
		agg: queryAggregate, id: lq.q.ID,
		decide: func(cur *domain.Query, env domain.Env) ([]domain.Event, error) {
			return decideQuery(domain.UpdateQuery{
				DataSourceID: cur.DataSourceID, Template: cur.Template, Params: cur.Params,
				ResultSchemaID: schemaID, Mutation: cur.Mutation,
			})(cur, env)
		},
	})
	if err != nil {
		return err
	}
	return created(w, "/api/schemas/"+schemaID, map[string]any{"schemaId": schemaID, "document": doc, "query": queryView(res2.state, res2.version)})
}

func nullIfEmpty(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}
