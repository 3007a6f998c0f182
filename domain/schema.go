package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Schema is a "color": a JSON Schema 2020-12 document that describes app data (query results,
// forms, state).
type Schema struct {
	ID    string `json:"id"`
	AppID string `json:"appId"`
	Name  string `json:"name"`
	// Document is the schema, compacted.
	Document json.RawMessage `json:"document,omitempty"`
	// Source says where the document came from: "custom", "library:<name>" or "derived".
	Source  string `json:"source"`
	Deleted bool   `json:"deleted"`
	Version int64  `json:"version"`
}

// Schema sources.
const (
	SourceCustom        = "custom"
	SourceDerived       = "derived"
	SourceLibraryPrefix = "library:"
)

// MaxSchemaDocument bounds a schema document in bytes.
const MaxSchemaDocument = 512 << 10

// Draft202012 is the only $schema a document may declare.
const Draft202012 = "https://json-schema.org/draft/2020-12/schema"

// SchemaCommand is a command on a Schema.
type SchemaCommand interface{ schemaCommand() }

type CreateSchema struct {
	SchemaID string          `json:"schemaId"`
	AppID    string          `json:"appId"`
	Name     string          `json:"name"`
	Document json.RawMessage `json:"document"`
	// Source defaults to "custom".
	Source string `json:"source"`
}

type UpdateSchema struct {
	Document json.RawMessage `json:"document"`
}

type RenameSchema struct {
	Name string `json:"name"`
}

type DeleteSchema struct{}

func (CreateSchema) schemaCommand() {}
func (UpdateSchema) schemaCommand() {}
func (RenameSchema) schemaCommand() {}
func (DeleteSchema) schemaCommand() {}

type SchemaCreated struct {
	SchemaID string          `json:"schemaId"`
	AppID    string          `json:"appId"`
	Name     string          `json:"name"`
	Document json.RawMessage `json:"document"`
	Source   string          `json:"source"`
}

type SchemaUpdated struct {
	Document json.RawMessage `json:"document"`
}

type SchemaRenamed struct {
	Name string `json:"name"`
}

type SchemaDeleted struct{}

func (*SchemaCreated) EventType() string { return "schema.created" }
func (*SchemaUpdated) EventType() string { return "schema.updated" }
func (*SchemaRenamed) EventType() string { return "schema.renamed" }
func (*SchemaDeleted) EventType() string { return "schema.deleted" }

// schemaEvents lists the events of the Schema aggregate.
var schemaEvents = []eventDef{
	{event: &SchemaCreated{}},
	{event: &SchemaUpdated{}},
	{event: &SchemaRenamed{}},
	{event: &SchemaDeleted{}},
}

// Exists reports whether the schema was created and not deleted.
func (s *Schema) Exists() bool { return s.ID != "" && !s.Deleted }

// Apply evolves the state by one event of its stream (every event counts towards Version).
func (s *Schema) Apply(e Event) {
	s.Version++
	switch e := e.(type) {
	case *SchemaCreated:
		s.ID, s.AppID, s.Name, s.Document, s.Source = e.SchemaID, e.AppID, e.Name, bytes.Clone(e.Document), e.Source
	case *SchemaUpdated:
		s.Document = bytes.Clone(e.Document)
	case *SchemaRenamed:
		s.Name = e.Name
	case *SchemaDeleted:
		s.Deleted = true
	}
}

// FoldSchema folds a schema stream into its state.
func FoldSchema(events []Event) *Schema { return fold[Schema](events) }

// Decide validates c against the state and returns the events to append. A command that would
// change nothing yields no events and no error.
func (s *Schema) Decide(c SchemaCommand, env Env) ([]Event, error) {
	if cr, ok := c.(CreateSchema); ok {
		if s.Version > 0 {
			return nil, conflict("exists", "", "schema %q already exists", s.ID)
		}
		if err := checkID("/schemaId", cr.SchemaID); err != nil {
			return nil, err
		}
		if err := checkID("/appId", cr.AppID); err != nil {
			return nil, err
		}
		name, err := checkName("/name", cr.Name)
		if err != nil {
			return nil, err
		}
		source := cr.Source
		if source == "" {
			source = SourceCustom
		}
		if err := checkSchemaSource(source); err != nil {
			return nil, err
		}
		doc, err := checkSchemaDocument("/document", cr.Document)
		if err != nil {
			return nil, err
		}
		return []Event{&SchemaCreated{SchemaID: cr.SchemaID, AppID: cr.AppID, Name: name, Document: doc, Source: source}}, nil
	}
	if !s.Exists() {
		return nil, notFound("not_found", "", "schema not found")
	}
	switch c := c.(type) {
	case UpdateSchema:
		doc, err := checkSchemaDocument("/document", c.Document)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(doc, s.Document) {
			return nil, nil
		}
		return []Event{&SchemaUpdated{Document: doc}}, nil
	case RenameSchema:
		name, err := checkName("/name", c.Name)
		if err != nil {
			return nil, err
		}
		if name == s.Name {
			return nil, nil
		}
		return []Event{&SchemaRenamed{Name: name}}, nil
	case DeleteSchema:
		return []Event{&SchemaDeleted{}}, nil
	case nil:
		return nil, invalid("unknown_command", "", "no command")
	default:
		return nil, invalid("unknown_command", "", "unknown schema command %T", c)
	}
}

func checkSchemaSource(source string) error {
	switch {
	case source == SourceCustom || source == SourceDerived:
		return nil
	case strings.HasPrefix(source, SourceLibraryPrefix):
		if _, ok := LibrarySchemaByName(strings.TrimPrefix(source, SourceLibraryPrefix)); ok {
			return nil
		}
		return invalid("invalid_source", "/source", "no library schema named %q", strings.TrimPrefix(source, SourceLibraryPrefix))
	}
	return invalid("invalid_source", "/source", `source must be "custom", "derived" or "library:<name>"`)
}

// checkSchemaDocument compacts doc and checks that it compiles.
func checkSchemaDocument(path string, doc json.RawMessage) (json.RawMessage, error) {
	if len(doc) > MaxSchemaDocument {
		return nil, invalid("too_large", path, "schema document is %d bytes, at most %d allowed", len(doc), MaxSchemaDocument)
	}
	compact, ok := compactJSON(doc)
	if !ok {
		return nil, invalid("invalid_schema", path, "schema document is not valid JSON")
	}
	if _, err := CompileSchema(compact); err != nil {
		var de *Error
		if errors.As(err, &de) {
			de.Path = path + de.Path
		}
		return nil, err
	}
	return compact, nil
}

// schemaURL is the location documents are compiled under; it never leaves the process.
const schemaURL = "mem:///schema.json"

// noRemoteLoader refuses every URL: documents may only refer to themselves (and to the
// metaschemas, which the compiler has built in).
type noRemoteLoader struct{}

func (noRemoteLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external references are not allowed (%s)", url)
}

// CompileSchema compiles a JSON Schema 2020-12 document with format assertions on and no access to
// external references. A document that is not JSON, not an object, declares another draft or
// does not compile is an ErrInvalid *Error with Code "invalid_schema".
func CompileSchema(doc json.RawMessage) (*jsonschema.Schema, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, invalid("invalid_schema", "", "schema document is not valid JSON: %v", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("invalid_schema", "", "a schema document must be a JSON object")
	}
	if d, ok := obj["$schema"]; ok {
		ds, _ := d.(string)
		if strings.TrimSuffix(ds, "#") != Draft202012 {
			return nil, invalid("invalid_schema", "/$schema", "only JSON Schema 2020-12 (%s) is supported", Draft202012)
		}
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(noRemoteLoader{})
	if err := c.AddResource(schemaURL, v); err != nil {
		return nil, invalid("invalid_schema", "", "%s", schemaReason(err))
	}
	sch, err := c.Compile(schemaURL)
	if err != nil {
		// A document that breaks the metaschema is reported like any validation failure: at
		// the most specific place, so that an editor can point at the keyword.
		var sve *jsonschema.SchemaValidationError
		if errors.As(err, &sve) {
			if path, msg, ok := leafFailure(sve.Err); ok {
				return nil, invalid("invalid_schema", path, "%s", msg)
			}
		}
		return nil, invalid("invalid_schema", "", "%s", schemaReason(err))
	}
	return sch, nil
}

// schemaReason is the compiler's message without the internal document location.
func schemaReason(err error) string {
	msg := strings.ReplaceAll(err.Error(), schemaURL, "schema")
	return strings.ReplaceAll(msg, "\n", " ")
}

// ValidateAgainst validates instance against the schema document schemaDoc. A failure is an
// ErrInvalid *Error: Code "invalid_schema" for a bad schema, "invalid_json" for an instance that
// is not JSON, "schema_violation" with the failing instance location as Path otherwise.
func ValidateAgainst(schemaDoc, instance json.RawMessage) error {
	sch, err := CompileSchema(schemaDoc)
	if err != nil {
		return err
	}
	return ValidateInstance(sch, instance)
}

// ValidateInstance validates instance against a compiled schema, with the errors of
// ValidateAgainst.
func ValidateInstance(sch *jsonschema.Schema, instance json.RawMessage) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(instance))
	if err != nil {
		return invalid("invalid_json", "", "the value is not valid JSON: %v", err)
	}
	return validationError(sch.Validate(v))
}

// validationError turns the validator's error tree into one *Error naming the most specific
// failure.
func validationError(err error) error {
	if err == nil {
		return nil
	}
	path, msg, ok := leafFailure(err)
	if !ok {
		return invalid("schema_violation", "", "%v", err)
	}
	return invalid("schema_violation", path, "%s", msg)
}

// leafFailure picks, from a validation error tree, the leaf failure at the deepest instance
// location (the first one among equals) and returns that location and its message.
func leafFailure(err error) (string, string, bool) {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return "", "", false
	}
	var best *jsonschema.ValidationError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			if best == nil || len(e.InstanceLocation) > len(best.InstanceLocation) {
				best = e
			}
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	// A leaf's basic output is the leaf itself: its location and its message.
	out := best.BasicOutput()
	msg := "the value does not match the schema"
	if out.Error != nil {
		msg = out.Error.String()
	}
	return out.InstanceLocation, msg, true
}
