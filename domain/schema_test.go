package domain_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
)

const personSchema = `{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}`

func newSchema(t *testing.T, cmds ...domain.SchemaCommand) (*domain.Schema, []domain.Event) {
	t.Helper()
	s := &domain.Schema{}
	var log []domain.Event
	all := append([]domain.SchemaCommand{domain.CreateSchema{SchemaID: "c1", AppID: "a1", Name: "Person", Document: json.RawMessage(personSchema)}}, cmds...)
	for _, c := range all {
		evs, err := s.Decide(c, testEnv())
		require.NoError(t, err)
		for _, e := range evs {
			s.Apply(e)
		}
		log = append(log, evs...)
	}
	return s, log
}

func TestSchemaDecideRejections(t *testing.T) {
	t.Parallel()
	live := func(t *testing.T) *domain.Schema { s, _ := newSchema(t); return s }
	deleted := func(t *testing.T) *domain.Schema { s, _ := newSchema(t, domain.DeleteSchema{}); return s }
	missing := func(*testing.T) *domain.Schema { return &domain.Schema{} }
	create := func(mod func(*domain.CreateSchema)) domain.CreateSchema {
		c := domain.CreateSchema{SchemaID: "c2", AppID: "a1", Name: "Thing", Document: json.RawMessage(`{"type":"object"}`)}
		mod(&c)
		return c
	}
	doc := func(s string) func(*domain.CreateSchema) {
		return func(c *domain.CreateSchema) { c.Document = json.RawMessage(s) }
	}
	big := `{"description":"` + strings.Repeat("x", domain.MaxSchemaDocument) + `"}`
	cases := []struct {
		name  string
		state func(*testing.T) *domain.Schema
		cmd   domain.SchemaCommand
		kind  error
		code  string
		path  string
	}{
		{"create existing", live, create(func(*domain.CreateSchema) {}), domain.ErrConflict, "exists", ""},
		{"create over deleted", deleted, create(func(*domain.CreateSchema) {}), domain.ErrConflict, "exists", ""},
		{"create empty id", missing, create(func(c *domain.CreateSchema) { c.SchemaID = "" }), domain.ErrInvalid, "invalid_id", "/schemaId"},
		{"create empty app", missing, create(func(c *domain.CreateSchema) { c.AppID = "" }), domain.ErrInvalid, "invalid_id", "/appId"},
		{"create blank name", missing, create(func(c *domain.CreateSchema) { c.Name = "" }), domain.ErrInvalid, "invalid_name", "/name"},
		{"create bad source", missing, create(func(c *domain.CreateSchema) { c.Source = "imported" }), domain.ErrInvalid, "invalid_source", "/source"},
		{"create unknown library schema", missing, create(func(c *domain.CreateSchema) { c.Source = "library:spaceship" }), domain.ErrInvalid, "invalid_source", "/source"},
		{"create no document", missing, create(doc("")), domain.ErrInvalid, "invalid_schema", "/document"},
		{"create not JSON", missing, create(doc(`{"type":`)), domain.ErrInvalid, "invalid_schema", "/document"},
		{"create not an object", missing, create(doc(`[1,2]`)), domain.ErrInvalid, "invalid_schema", "/document"},
		{"create boolean schema", missing, create(doc(`true`)), domain.ErrInvalid, "invalid_schema", "/document"},
		{"create draft-07", missing, create(doc(`{"$schema":"http://json-schema.org/draft-07/schema#"}`)), domain.ErrInvalid, "invalid_schema", "/document/$schema"},
		{"create bad type", missing, create(doc(`{"type":"strin"}`)), domain.ErrInvalid, "invalid_schema", "/document/type"},
		{"create bad keyword value", missing, create(doc(`{"minLength":-1}`)), domain.ErrInvalid, "invalid_schema", "/document/minLength"},
		{"create bad regex", missing, create(doc(`{"pattern":"("}`)), domain.ErrInvalid, "invalid_schema", "/document/pattern"},
		{"create remote ref", missing, create(doc(`{"$ref":"https://example.com/schemas/x.json"}`)), domain.ErrInvalid, "invalid_schema", "/document"},
		{"create file ref", missing, create(doc(`{"$ref":"file:///etc/passwd"}`)), domain.ErrInvalid, "invalid_schema", "/document"},
		{"create dangling local ref", missing, create(doc(`{"$ref":"#/$defs/nope"}`)), domain.ErrInvalid, "invalid_schema", "/document"},
		{"create too large", missing, create(doc(big)), domain.ErrInvalid, "too_large", "/document"},
		{"update missing", missing, domain.UpdateSchema{Document: json.RawMessage(`{}`)}, domain.ErrNotFound, "not_found", ""},
		{"update deleted", deleted, domain.UpdateSchema{Document: json.RawMessage(`{}`)}, domain.ErrNotFound, "not_found", ""},
		{"update invalid", live, domain.UpdateSchema{Document: json.RawMessage(`{"type":1}`)}, domain.ErrInvalid, "invalid_schema", "/document/type"},
		{"update not JSON", live, domain.UpdateSchema{Document: json.RawMessage(`nope`)}, domain.ErrInvalid, "invalid_schema", "/document"},
		{"rename missing", missing, domain.RenameSchema{Name: "x"}, domain.ErrNotFound, "not_found", ""},
		{"rename deleted", deleted, domain.RenameSchema{Name: "x"}, domain.ErrNotFound, "not_found", ""},
		{"rename blank", live, domain.RenameSchema{Name: " "}, domain.ErrInvalid, "invalid_name", "/name"},
		{"delete missing", missing, domain.DeleteSchema{}, domain.ErrNotFound, "not_found", ""},
		{"delete deleted", deleted, domain.DeleteSchema{}, domain.ErrNotFound, "not_found", ""},
		{"nil command", live, nil, domain.ErrInvalid, "unknown_command", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.state(t)
			before := jsonCopy(t, s)
			evs, err := s.Decide(tc.cmd, testEnv())
			require.Nil(t, evs)
			requireDomainErr(t, err, tc.kind, tc.code, tc.path)
			require.Equal(t, before, s, "Decide must not mutate the state")
		})
	}
}

func TestSchemaLifecycle(t *testing.T) {
	t.Parallel()
	lib, ok := domain.LibrarySchemaByName("customer")
	require.True(t, ok)
	s, log := newSchema(t,
		domain.UpdateSchema{Document: json.RawMessage("{\n  \"type\": \"object\"\n}")},
		domain.UpdateSchema{Document: json.RawMessage(`{"type":"object"}`)}, // same once compacted: no event
		domain.RenameSchema{Name: "People"},
		domain.UpdateSchema{Document: lib.Document},
	)
	require.Len(t, log, 4)
	require.Equal(t, domain.SourceCustom, s.Source, "source defaults to custom")
	require.JSONEq(t, string(lib.Document), string(s.Document))
	require.Equal(t, s, domain.FoldSchema(log))
	requireJSONRoundTrip(t, s)
	requireJSONRoundTrip(t, &domain.Schema{})

	// Library and derived sources.
	for _, src := range []string{"library:order", domain.SourceDerived} {
		c := &domain.Schema{}
		evs, err := c.Decide(domain.CreateSchema{SchemaID: "c9", AppID: "a1", Name: "x", Document: json.RawMessage(`{}`), Source: src}, testEnv())
		require.NoError(t, err)
		c.Apply(evs[0])
		require.Equal(t, src, c.Source)
	}
	// Documents with HTML characters round-trip exactly (json.Marshal escapes them).
	c := &domain.Schema{}
	evs, err := c.Decide(domain.CreateSchema{SchemaID: "c9", AppID: "a1", Name: "x", Document: json.RawMessage(`{"description": "<b>&</b>"}`)}, testEnv())
	require.NoError(t, err)
	c.Apply(evs[0])
	requireJSONRoundTrip(t, c)
	requireCodecRoundTrip(t, evs)
}

func TestSchemaEventsCodec(t *testing.T) {
	t.Parallel()
	events := []domain.Event{
		&domain.SchemaCreated{SchemaID: "c1", AppID: "a1", Name: "Person", Document: json.RawMessage(`{"type":"object"}`), Source: "library:customer"},
		&domain.SchemaUpdated{Document: json.RawMessage(`{"type":"string","format":"email"}`)},
		&domain.SchemaRenamed{Name: "People"},
		&domain.SchemaDeleted{},
	}
	requireCoversPrefix(t, "schema.", events)
	requireCodecRoundTrip(t, events)
}

// librarySamples holds, per library schema, a realistic valid document and an invalid one with
// the instance location the validator must name.
var librarySamples = map[string]struct {
	good, bad, badPath string
}{
	"address": {
		good: `{"line1": "1 Main St", "city": "Springfield", "postalCode": "12345", "country": "US"}`,
		bad:  `{"line1": "1 Main St", "city": "Springfield", "country": "usa"}`, badPath: "/country",
	},
	"customer": {
		good: `{"id": "c-1", "name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0958",
			"billingAddress": {"line1": "12 St James's Sq", "city": "London", "country": "GB"}, "tags": ["vip"], "createdAt": "2024-05-01T10:00:00Z"}`,
		bad: `{"id": "c-1", "name": "Ada", "email": "not-an-email"}`, badPath: "/email",
	},
	"order": {
		good: `{"id": "o-1", "customerId": "c-1", "status": "placed", "currency": "EUR", "placedAt": "2024-05-01T10:00:00+02:00",
			"items": [{"productId": "p-1", "quantity": 2, "unitPrice": 9.5}, {"productId": "p-2", "quantity": 1, "unitPrice": 20, "discount": 0.1}], "total": 37}`,
		bad: `{"id": "o-1", "customerId": "c-1", "status": "placed", "currency": "EUR", "items": [{"productId": "p-1", "quantity": 0, "unitPrice": 9.5}]}`, badPath: "/items/0/quantity",
	},
	"product": {
		good: `{"id": "p-1", "sku": "MUG-01", "name": "Mug", "price": {"amount": 12.5, "currency": "USD"}, "stock": 40, "active": true, "imageUrl": "https://cdn.example.com/mug.png"}`,
		bad:  `{"id": "p-1", "sku": "MUG-01", "name": "Mug", "price": {"amount": -1, "currency": "USD"}}`, badPath: "/price/amount",
	},
	"invoice": {
		good: `{"number": "INV-2024-001", "customerId": "c-1", "issueDate": "2024-05-01", "dueDate": "2024-05-31", "status": "sent", "currency": "EUR",
			"lines": [{"description": "Consulting", "quantity": 10, "unitPrice": 100, "taxRate": 0.2}], "subtotal": 1000, "tax": 200, "total": 1200}`,
		bad: `{"number": "INV-1", "customerId": "c-1", "issueDate": "01/05/2024", "dueDate": "2024-05-31", "status": "sent", "currency": "EUR", "lines": [{"description": "x", "quantity": 1, "unitPrice": 1}]}`, badPath: "/issueDate",
	},
	"employee": {
		good: `{"id": "e-1", "firstName": "Grace", "lastName": "Hopper", "email": "grace@example.com", "hireDate": "1943-12-01", "employmentType": "full_time", "managerId": null, "salary": {"amount": 100000, "currency": "USD"}}`,
		bad:  `{"id": "e-1", "firstName": "Grace", "lastName": "Hopper", "email": "grace@example.com", "hireDate": "1943-12-01", "employmentType": "pirate"}`, badPath: "/employmentType",
	},
	"support_ticket": {
		good: `{"id": "t-1", "subject": "Cannot log in", "status": "open", "priority": "high", "requesterEmail": "bob@example.com", "createdAt": "2024-05-01T10:00:00Z",
			"comments": [{"authorId": "u-1", "body": "Have you tried resetting?", "public": true, "createdAt": "2024-05-01T10:05:00Z"}]}`,
		bad: `{"id": "t-1", "subject": "x", "status": "open", "priority": "high", "requesterEmail": "bob@example.com", "createdAt": "2024-05-01T10:00:00Z", "comments": [{"authorId": "u-1", "createdAt": "2024-05-01T10:05:00Z"}]}`, badPath: "/comments/0",
	},
	"appointment": {
		good: `{"id": "ap-1", "title": "Check-up", "customerId": "c-1", "staffId": "s-1", "start": "2024-05-02T09:00:00Z", "end": "2024-05-02T09:30:00Z", "timeZone": "Europe/Paris", "status": "confirmed", "reminderMinutes": 60}`,
		bad:  `{"id": "ap-1", "customerId": "c-1", "start": "tomorrow", "end": "2024-05-02T09:30:00Z", "status": "confirmed"}`, badPath: "/start",
	},
	"contact": {
		good: `{"id": "k-1", "firstName": "Alan", "lastName": "Turing", "emails": ["alan@example.com"], "phones": ["+44 1234 567890"], "website": "https://example.com/alan", "birthday": "1912-06-23"}`,
		bad:  `{"id": "k-1", "lastName": "Turing", "emails": ["alan@example.com", "nope"]}`, badPath: "/emails/1",
	},
	"payment": {
		good: `{"id": "pay-1", "invoiceNumber": "INV-2024-001", "amount": {"amount": 1200, "currency": "EUR"}, "method": "bank_transfer", "status": "succeeded", "paidAt": "2024-05-20T12:00:00Z"}`,
		bad:  `{"id": "pay-1", "amount": {"amount": 1200, "currency": "euro"}, "method": "card", "status": "succeeded"}`, badPath: "/amount/currency",
	},
	"task": {
		good: `{"id": "t-1", "title": "Write docs", "status": "in_progress", "assigneeId": null, "dueDate": "2024-06-01", "priority": 2, "labels": ["docs"], "subtasks": [{"title": "outline", "done": true}]}`,
		bad:  `{"id": "t-1", "title": "Write docs", "status": "in_progress", "priority": 9}`, badPath: "/priority",
	},
}

func TestSchemaLibrary(t *testing.T) {
	t.Parallel()
	lib := domain.SchemaLibrary()
	require.GreaterOrEqual(t, len(lib), 8)
	names := map[string]bool{}
	for _, l := range lib {
		names[l.Name] = true
	}
	for _, want := range []string{"customer", "order", "product", "invoice", "address", "employee", "support_ticket", "appointment"} {
		require.True(t, names[want], "library lacks %s", want)
	}
	require.Len(t, librarySamples, len(lib), "every library schema needs samples")
	for _, l := range lib {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			require.NotEmpty(t, l.Title)
			require.NotEmpty(t, l.Description)
			_, err := domain.CompileSchema(l.Document)
			require.NoError(t, err)
			sample, ok := librarySamples[l.Name]
			require.True(t, ok)
			require.NoError(t, domain.ValidateAgainst(l.Document, json.RawMessage(sample.good)))
			err = domain.ValidateAgainst(l.Document, json.RawMessage(sample.bad))
			requireDomainErr(t, err, domain.ErrInvalid, "schema_violation", sample.badPath)

			// A library document can found a schema of an app.
			s := &domain.Schema{}
			_, err = s.Decide(domain.CreateSchema{SchemaID: "c", AppID: "a", Name: l.Title, Document: l.Document, Source: "library:" + l.Name}, testEnv())
			require.NoError(t, err)
		})
	}
	// Callers get their own copies.
	other := domain.SchemaLibrary()
	other[0].Document[0] = 'X'
	require.Equal(t, byte('{'), domain.SchemaLibrary()[0].Document[0])
}

func TestValidateAgainst(t *testing.T) {
	t.Parallel()
	doc := json.RawMessage(`{"type":"object","properties":{"items":{"type":"array","items":{"type":"object","properties":{"qty":{"type":"integer","minimum":1}},"required":["qty"]}}}}`)
	require.NoError(t, domain.ValidateAgainst(doc, json.RawMessage(`{"items":[{"qty":1},{"qty":2}]}`)))
	requireDomainErr(t, domain.ValidateAgainst(doc, json.RawMessage(`{"items":[{"qty":1},{"qty":0}]}`)), domain.ErrInvalid, "schema_violation", "/items/1/qty")
	requireDomainErr(t, domain.ValidateAgainst(doc, json.RawMessage(`{"items":[{"qty":1.5}]}`)), domain.ErrInvalid, "schema_violation", "/items/0/qty")
	requireDomainErr(t, domain.ValidateAgainst(doc, json.RawMessage(`[]`)), domain.ErrInvalid, "schema_violation", "")
	requireDomainErr(t, domain.ValidateAgainst(doc, json.RawMessage(`{"items":`)), domain.ErrInvalid, "invalid_json", "")
	requireDomainErr(t, domain.ValidateAgainst(json.RawMessage(`{"type":"nope"}`), json.RawMessage(`1`)), domain.ErrInvalid, "invalid_schema", "/type")
	// Formats are asserted.
	requireDomainErr(t, domain.ValidateAgainst(json.RawMessage(`{"format":"email"}`), json.RawMessage(`"x"`)), domain.ErrInvalid, "schema_violation", "")
}

func TestDeriveSchema(t *testing.T) {
	t.Parallel()
	sample := json.RawMessage(`{
		"id": 17,
		"name": "Ada",
		"email": "ada@example.com",
		"homepage": "https://example.com/ada",
		"born": "1815-12-10",
		"updatedAt": "2024-05-01T10:00:00Z",
		"score": 9.5,
		"active": true,
		"nickname": null,
		"tags": ["math", "poetry"],
		"empty": [],
		"orders": [
			{"id": 1, "total": 10, "note": "first", "contact": "a@example.com"},
			{"id": 2, "total": 12.5, "contact": "not an email"}
		],
		"mixed": [1, "two", null]
	}`)
	derived, err := domain.DeriveSchema(sample)
	require.NoError(t, err)
	require.NoError(t, domain.ValidateAgainst(derived, sample))

	var doc map[string]any
	require.NoError(t, json.Unmarshal(derived, &doc))
	require.Equal(t, domain.Draft202012, doc["$schema"])
	require.Equal(t, "object", doc["type"])
	props := doc["properties"].(map[string]any)
	prop := func(path ...string) map[string]any {
		m := props[path[0]].(map[string]any)
		for _, p := range path[1:] {
			m = m[p].(map[string]any)
		}
		return m
	}
	require.Equal(t, "integer", prop("id")["type"])
	require.Equal(t, "number", prop("score")["type"])
	require.Equal(t, "boolean", prop("active")["type"])
	require.Equal(t, "null", prop("nickname")["type"])
	require.Equal(t, "email", prop("email")["format"])
	require.Equal(t, "uri", prop("homepage")["format"])
	require.Equal(t, "date", prop("born")["format"])
	require.Equal(t, "date-time", prop("updatedAt")["format"])
	require.Nil(t, prop("name")["format"])
	require.Equal(t, "array", prop("tags")["type"])
	require.Equal(t, "string", prop("tags", "items")["type"])
	require.Nil(t, prop("empty")["items"], "an empty array says nothing about its items")
	require.Equal(t, "number", prop("orders", "items", "properties", "total")["type"], "integer and number merge to number")
	require.ElementsMatch(t, []any{"contact", "id", "total"}, prop("orders", "items")["required"], "only keys present in every item are required")
	require.Nil(t, prop("orders", "items", "properties", "contact")["format"], "a format needs every string to match")
	require.ElementsMatch(t, []any{"integer", "null", "string"}, prop("mixed", "items")["type"])
	require.Len(t, doc["required"], len(props))

	// The derived schema is a valid schema document for a Schema aggregate.
	s := &domain.Schema{}
	_, err = s.Decide(domain.CreateSchema{SchemaID: "c", AppID: "a", Name: "Derived", Document: derived, Source: domain.SourceDerived}, testEnv())
	require.NoError(t, err)

	// It rejects documents of another shape.
	requireDomainErr(t, domain.ValidateAgainst(derived, json.RawMessage(`{"id": "x"}`)), domain.ErrInvalid, "schema_violation", "/id")

	for _, bad := range []string{``, `{`, `{"a":1} {"b":2}`} {
		_, err := domain.DeriveSchema(json.RawMessage(bad))
		requireDomainErr(t, err, domain.ErrInvalid, "invalid_json", "")
	}
	for _, scalar := range []string{`1`, `"x"`, `null`, `[]`, `[[1],[2.5,"a"]]`} {
		d, err := domain.DeriveSchema(json.RawMessage(scalar))
		require.NoError(t, err, scalar)
		require.NoError(t, domain.ValidateAgainst(d, json.RawMessage(scalar)), scalar)
	}
}

// TestDeriveSchemaRandomSamples: every random document validates against its derived schema.
func TestDeriveSchemaRandomSamples(t *testing.T) {
	t.Parallel()
	strs := []string{"", "x", "2024-01-02", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123+01:00", "a@b.co", "http://x.io/p?q=1", "mailto:a@b.co", "2024-13-45"}
	var gen func(r *rand.Rand, depth int) any
	gen = func(r *rand.Rand, depth int) any {
		k := r.IntN(8)
		if depth > 3 {
			k = r.IntN(5)
		}
		switch k {
		case 0:
			return nil
		case 1:
			return r.IntN(2) == 0
		case 2:
			return r.IntN(100) - 50
		case 3:
			return r.Float64()
		case 4:
			return strs[r.IntN(len(strs))]
		case 5, 6:
			arr := make([]any, r.IntN(4))
			for i := range arr {
				arr[i] = gen(r, depth+1)
			}
			return arr
		default:
			obj := map[string]any{}
			for i := range r.IntN(4) {
				obj[fmt.Sprint("k", i+r.IntN(2))] = gen(r, depth+1)
			}
			return obj
		}
	}
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 11))
		sample, err := json.Marshal(gen(r, 0))
		require.NoError(t, err)
		derived, err := domain.DeriveSchema(sample)
		require.NoError(t, err, "%s", sample)
		require.NoError(t, domain.ValidateAgainst(derived, sample), "sample %s\nschema %s", sample, derived)
	}
}
