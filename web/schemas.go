package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/goflow-dev/goflow/domain"
)

// schemaAggregate stores schemas ("colors") in schema-<id> streams.
var schemaAggregate = aggregate[*domain.Schema]{
	name:    "schema",
	missing: "schema_not_found",
	stream:  domain.StreamSchema,
	zero:    func() *domain.Schema { return &domain.Schema{} },
}

// schemaBody is a schema as the API shows it.
type schemaBody struct {
	ID       string          `json:"id"`
	AppID    string          `json:"appId"`
	Name     string          `json:"name"`
	Document json.RawMessage `json:"document"`
	// Source is "custom", "derived" or "library:<name>".
	Source  string `json:"source"`
	Version int64  `json:"version"`
}

func schemaView(s *domain.Schema, version int64) schemaBody {
	return schemaBody{ID: s.ID, AppID: s.AppID, Name: s.Name, Document: s.Document, Source: s.Source, Version: version}
}

func decideSchema(cmds ...domain.SchemaCommand) func(*domain.Schema, domain.Env) ([]domain.Event, error) {
	return decideAll[*domain.Schema](cmds...)
}

func (a *api) requireSchema(r *http.Request) (loaded[*domain.Schema], error) {
	id, err := pathID(r, "schemaID", "schema")
	if err != nil {
		return loaded[*domain.Schema]{}, err
	}
	return a.schemaByID(r, id)
}

func (a *api) schemaByID(r *http.Request, id string) (loaded[*domain.Schema], error) {
	l, err := load(r.Context(), a.store, schemaAggregate, id, 0)
	if err != nil {
		return l, err
	}
	if !l.state.Exists() {
		return l, notFound("schema_not_found", "No schema has the id %q.", truncate(id, 40))
	}
	return l, nil
}

// libraryBody lists the predefined business schemas.
type libraryBody struct {
	Items []domain.LibrarySchema `json:"items"`
}

func (a *api) schemaLibrary(w http.ResponseWriter, r *http.Request) error {
	return ok(w, libraryBody{Items: domain.SchemaLibrary()})
}

type deriveSchemaRequest struct {
	Sample json.RawMessage `json:"sample"`
}

type deriveSchemaResponse struct {
	Schema json.RawMessage `json:"schema"`
}

// deriveSchema infers a JSON Schema from a sample document; nothing is stored.
func (a *api) deriveSchema(w http.ResponseWriter, r *http.Request) error {
	var req deriveSchemaRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Sample) == 0 {
		return unprocessable("required", "/sample", "sample is required: a JSON document to derive a schema from.")
	}
	doc, err := domain.DeriveSchema(req.Sample)
	if err != nil {
		return err
	}
	return ok(w, deriveSchemaResponse{Schema: doc})
}

// createSchemaRequest creates a schema from exactly one of: a document, a library schema's name,
// or a sample to derive the document from.
type createSchemaRequest struct {
	Name     string          `json:"name"`
	Document json.RawMessage `json:"document"`
	Library  string          `json:"library"`
	Sample   json.RawMessage `json:"sample"`
}

func (a *api) createSchema(w http.ResponseWriter, r *http.Request) error {
	app, err := a.requireApp(r, "appID")
	if err != nil {
		return err
	}
	var req createSchemaRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	given := 0
	for _, set := range []bool{len(req.Document) > 0, req.Library != "", len(req.Sample) > 0} {
		if set {
			given++
		}
	}
	if given != 1 {
		return unprocessable("one_source", "/document", "Send exactly one of document, library (a library schema's name) and sample.")
	}
	cmd := domain.CreateSchema{AppID: app.state.ID, Name: req.Name, Document: req.Document, Source: domain.SourceCustom}
	switch {
	case req.Library != "":
		lib, found := domain.LibrarySchemaByName(req.Library)
		if !found {
			return unprocessable("unknown_library_schema", "/library", "The schema library has no schema %q (see GET /api/schema-library).", truncate(req.Library, 60))
		}
		cmd.Document, cmd.Source = lib.Document, domain.SourceLibraryPrefix+lib.Name
		if cmd.Name == "" {
			cmd.Name = lib.Title
		}
	case len(req.Sample) > 0:
		doc, err := domain.DeriveSchema(req.Sample)
		if err != nil {
			return withPath(err, "/sample")
		}
		cmd.Document, cmd.Source = doc, domain.SourceDerived
	}
	cmd.SchemaID = newID()
	none := int64(0)
	res, err := execute(r.Context(), a, r, command[*domain.Schema]{
		agg: schemaAggregate, id: cmd.SchemaID, expected: &none, decide: decideSchema(cmd),
	})
	if err != nil {
		return err
	}
	return created(w, "/api/schemas/"+cmd.SchemaID, schemaView(res.state, res.version))
}

// withPath gives a domain error without a path the path of the request field it concerns.
func withPath(err error, path string) error {
	var de *domain.Error
	if errors.As(err, &de) && de.Path == "" {
		cp := *de
		cp.Path = path
		return &cp
	}
	return err
}

func (a *api) getSchema(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireSchema(r)
	if err != nil {
		return err
	}
	return ok(w, schemaView(s.state, s.version))
}

type putSchemaRequest struct {
	ExpectedVersion *int64          `json:"expectedVersion"`
	Document        json.RawMessage `json:"document"`
}

// putSchema replaces the schema's document.
func (a *api) putSchema(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireSchema(r)
	if err != nil {
		return err
	}
	var req putSchemaRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if _, err := requireVersion(req.ExpectedVersion); err != nil {
		return err
	}
	if len(req.Document) == 0 {
		return unprocessable("required", "/document", "document is required.")
	}
	res, err := execute(r.Context(), a, r, command[*domain.Schema]{
		agg: schemaAggregate, id: s.state.ID, expected: req.ExpectedVersion,
		decide: decideSchema(domain.UpdateSchema{Document: req.Document}),
	})
	if err != nil {
		return err
	}
	return ok(w, schemaView(res.state, res.version))
}

type renameRequest struct {
	ExpectedVersion *int64  `json:"expectedVersion"`
	Name            *string `json:"name"`
}

func (req renameRequest) check() error {
	if _, err := requireVersion(req.ExpectedVersion); err != nil {
		return err
	}
	if req.Name == nil {
		return unprocessable("required", "/name", "name is required.")
	}
	return nil
}

func (a *api) patchSchema(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireSchema(r)
	if err != nil {
		return err
	}
	var req renameRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := req.check(); err != nil {
		return err
	}
	res, err := execute(r.Context(), a, r, command[*domain.Schema]{
		agg: schemaAggregate, id: s.state.ID, expected: req.ExpectedVersion,
		decide: decideSchema(domain.RenameSchema{Name: *req.Name}),
	})
	if err != nil {
		return err
	}
	return ok(w, schemaView(res.state, res.version))
}

func (a *api) deleteSchema(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireSchema(r)
	if err != nil {
		return err
	}
	expected, err := queryVersion(r)
	if err != nil {
		return err
	}
	res, err := execute(r.Context(), a, r, command[*domain.Schema]{
		agg: schemaAggregate, id: s.state.ID, expected: &expected, decide: decideSchema(domain.DeleteSchema{}),
	})
	if err != nil {
		return err
	}
	return ok(w, deletedBody{ID: s.state.ID, Version: res.version, Deleted: true})
}

type validateRequest struct {
	Instance json.RawMessage `json:"instance"`
}

type validateResponse struct {
	Valid bool `json:"valid"`
}

// validateInstance answers 200 {valid:true}, or 422 with the failing instance location as path
// (code schema_violation).
func (a *api) validateInstance(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireSchema(r)
	if err != nil {
		return err
	}
	var req validateRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Instance) == 0 {
		return unprocessable("required", "/instance", "instance is required: the JSON value to validate.")
	}
	if err := domain.ValidateAgainst(s.state.Document, req.Instance); err != nil {
		return err
	}
	return ok(w, validateResponse{Valid: true})
}
