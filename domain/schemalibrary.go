package domain

import (
	"bytes"
	"encoding/json"
	"math"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// LibrarySchema is a predefined business schema a builder can start from.
type LibrarySchema struct {
	Name        string          `json:"name"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Document    json.RawMessage `json:"document"`
}

// SchemaLibrary returns the predefined schemas, ordered by name. Each call returns fresh values.
func SchemaLibrary() []LibrarySchema {
	out := make([]LibrarySchema, 0, len(libraryDocs))
	for _, d := range libraryDocs {
		doc, _ := compactJSON(json.RawMessage(d.doc))
		out = append(out, LibrarySchema{Name: d.name, Title: d.title, Description: d.description, Document: doc})
	}
	slices.SortFunc(out, func(a, b LibrarySchema) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// LibrarySchemaByName returns the predefined schema called name.
func LibrarySchemaByName(name string) (LibrarySchema, bool) {
	for _, d := range libraryDocs {
		if d.name == name {
			doc, _ := compactJSON(json.RawMessage(d.doc))
			return LibrarySchema{Name: d.name, Title: d.title, Description: d.description, Document: doc}, true
		}
	}
	return LibrarySchema{}, false
}

// The documents share their small building blocks ($defs) by copy, not by reference, so that each
// one stands alone when a builder copies it into an app.
const (
	libAddressDef = `{
		"type": "object",
		"properties": {
			"line1": {"type": "string", "minLength": 1, "maxLength": 200},
			"line2": {"type": "string", "maxLength": 200},
			"city": {"type": "string", "minLength": 1, "maxLength": 100},
			"region": {"type": "string", "maxLength": 100},
			"postalCode": {"type": "string", "maxLength": 20},
			"country": {"type": "string", "pattern": "^[A-Z]{2}$", "description": "ISO 3166-1 alpha-2 code"}
		},
		"required": ["line1", "city", "country"],
		"additionalProperties": false
	}`
	libMoneyDef = `{
		"type": "object",
		"properties": {
			"amount": {"type": "number", "minimum": 0},
			"currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code"}
		},
		"required": ["amount", "currency"],
		"additionalProperties": false
	}`
)

var libraryDocs = []struct{ name, title, description, doc string }{
	{"address", "Address", "A postal address.", `{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"title": "Address"` + "," + strings.TrimPrefix(strings.TrimSpace(libAddressDef), "{")},
	{"customer", "Customer", "A customer with contact details and addresses.", `{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"title": "Customer",
		"type": "object",
		"properties": {
			"id": {"type": "string", "minLength": 1},
			"name": {"type": "string", "minLength": 1, "maxLength": 200},
			"email": {"type": "string", "format": "email"},
			"phone": {"type": "string", "pattern": "^\\+?[0-9 ()-]{5,20}$"},
			"company": {"type": "string", "maxLength": 200},
			"billingAddress": {"$ref": "#/$defs/address"},
			"shippingAddress": {"$ref": "#/$defs/address"},
			"tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
			"createdAt": {"type": "string", "format": "date-time"}
		},
		"required": ["id", "name", "email"],
		"$defs": {"address": ` + libAddressDef + `}
	}`},
	{"order", "Order", "A sales order with line items.", `{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"title": "Order",
		"type": "object",
		"properties": {
			"id": {"type": "string", "minLength": 1},
			"customerId": {"type": "string", "minLength": 1},
			"status": {"enum": ["draft", "placed", "paid", "shipped", "delivered", "cancelled"]},
			"placedAt": {"type": "string", "format": "date-time"},
			"currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
			"items": {
				"type": "array",
				"minItems": 1,
				"items": {
					"type": "object",
					"properties": {
						"productId": {"type": "string", "minLength": 1},
						"description": {"type": "string"},
						"quantity": {"type": "integer", "minimum": 1},
						"unitPrice": {"type": "number", "minimum": 0},
						"discount": {"type": "number", "minimum": 0, "maximum": 1}
					},
					"required": ["productId", "quantity", "unitPrice"],
					"additionalProperties": false
				}
			},
			"shippingAddress": {"$ref": "#/$defs/address"},
			"total": {"type": "number", "minimum": 0},
			"notes": {"type": "string", "maxLength": 2000}
		},
		"required": ["id", "customerId", "status", "currency", "items"],
		"$defs": {"address": ` + libAddressDef + `}
	}`},
	{"product", "Product", "A product in a catalogue.", `{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"title": "Product",
		"type": "object",
		"properties": {
			"id": {"type": "string", "minLength": 1},
			"sku": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
			"name": {"type": "string", "minLength": 1, "maxLength": 200},
			"description": {"type": "string", "maxLength": 5000},
			"price": {"$ref": "#/$defs/money"},
			"stock": {"type": "integer", "minimum": 0},
			"active": {"type": "boolean"},
			"categories": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
			"imageUrl": {"type": "string", "format": "uri"}
		},
		"required": ["id", "sku", "name", "price"],
		"$defs": {"money": ` + libMoneyDef + `}
	}`},
	{"invoice", "Invoice", "An invoice with lines, taxes and payment terms.", `{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"title": "Invoice",
		"type": "object",
		"properties": {
			"number": {"type": "string", "minLength": 1},
			"customerId": {"type": "string", "minLength": 1},
			"issueDate": {"type": "string", "format": "date"},
			"dueDate": {"type": "string", "format": "date"},
			"status": {"enum": ["draft", "sent", "paid", "overdue", "void"]},
			"currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
			"billingAddress": {"$ref": "#/$defs/address"},
			"lines": {
				"type": "array",
				"minItems": 1,
				"items": {
					"type": "object",
					"properties": {
						"description": {"type": "string", "minLength": 1},
						"quantity": {"type": "number", "exclusiveMinimum": 0},
						"unitPrice": {"type": "number"},
						"taxRate": {"type": "number", "minimum": 0, "maximum": 1}
					},
					"required": ["description", "quantity", "unitPrice"],
					"additionalProperties": false
				}
			},
			"subtotal": {"type": "number"},
			"tax": {"type": "number", "minimum": 0},
			"total": {"type": "number"}
		},
		"required": ["number", "customerId", "issueDate", "dueDate", "status", "currency", "lines"],
		"$defs": {"address": ` + libAddressDef + `}
	}`},
	{"employee", "Employee", "An employee record.", `{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"title": "Employee",
		"type": "object",
		"properties": {
			"id": {"type": "string", "minLength": 1},
			"firstName": {"type": "string", "minLength": 1, "maxLength": 100},
			"lastName": {"type": "string", "minLength": 1, "maxLength": 100},
			"email": {"type": "string", "format": "email"},
			"title": {"type": "string", "maxLength": 200},
			"department": {"type": "string", "maxLength": 200},
			"managerId": {"type": ["string", "null"]},
			"hireDate": {"type": "string", "format": "date"},
			"employmentType": {"enum": ["full_time", "part_time", "contractor", "intern"]},
			"salary": {"$ref": "#/$defs/money"},
			"active": {"type": "boolean"}
		},
		"required": ["id", "firstName", "lastName", "email", "hireDate"],
		"$defs": {"money": ` + libMoneyDef + `}
	}`},
	{"support_ticket", "Support ticket", "A customer support ticket with its conversation.", `{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"title": "Support ticket",
		"type": "object",
		"properties": {
			"id": {"type": "string", "minLength": 1},
			"subject": {"type": "string", "minLength": 1, "maxLength": 300},
			"description": {"type": "string", "maxLength": 20000},
			"status": {"enum": ["open", "pending", "on_hold", "solved", "closed"]},
			"priority": {"enum": ["low", "normal", "high", "urgent"]},
			"requesterEmail": {"type": "string", "format": "email"},
			"assigneeId": {"type": ["string", "null"]},
			"tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
			"createdAt": {"type": "string", "format": "date-time"},
			"updatedAt": {"type": "string", "format": "date-time"},
			"comments": {
				"type": "array",
				"items": {
					"type": "object",
					"properties": {
						"authorId": {"type": "string"},
						"body": {"type": "string", "minLength": 1},
						"public": {"type": "boolean"},
						"createdAt": {"type": "string", "format": "date-time"}
					},
					"required": ["authorId", "body", "createdAt"]
				}
			}
		},
		"required": ["id", "subject", "status", "priority", "requesterEmail", "createdAt"]
	}`},
	{"appointment", "Appointment", "A booked appointment between a customer and staff.", `{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"title": "Appointment",
		"type": "object",
		"properties": {
			"id": {"type": "string", "minLength": 1},
			"title": {"type": "string", "minLength": 1, "maxLength": 200},
			"customerId": {"type": "string", "minLength": 1},
			"staffId": {"type": "string"},
			"start": {"type": "string", "format": "date-time"},
			"end": {"type": "string", "format": "date-time"},
			"timeZone": {"type": "string", "description": "IANA time zone, e.g. Europe/Paris"},
			"location": {"type": "string", "maxLength": 300},
			"status": {"enum": ["scheduled", "confirmed", "cancelled", "completed", "no_show"]},
			"reminderMinutes": {"type": "integer", "minimum": 0, "maximum": 10080},
			"notes": {"type": "string", "maxLength": 2000}
		},
		"required": ["id", "customerId", "start", "end", "status"]
	}`},
	{"contact", "Contact", "A person in an address book or CRM.", `{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"title": "Contact",
		"type": "object",
		"properties": {
			"id": {"type": "string", "minLength": 1},
			"firstName": {"type": "string", "maxLength": 100},
			"lastName": {"type": "string", "minLength": 1, "maxLength": 100},
			"emails": {"type": "array", "items": {"type": "string", "format": "email"}},
			"phones": {"type": "array", "items": {"type": "string", "pattern": "^\\+?[0-9 ()-]{5,20}$"}},
			"company": {"type": "string"},
			"website": {"type": "string", "format": "uri"},
			"address": {"$ref": "#/$defs/address"},
			"birthday": {"type": "string", "format": "date"}
		},
		"required": ["id", "lastName"],
		"$defs": {"address": ` + libAddressDef + `}
	}`},
	{"payment", "Payment", "A payment received or made.", `{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"title": "Payment",
		"type": "object",
		"properties": {
			"id": {"type": "string", "minLength": 1},
			"invoiceNumber": {"type": "string"},
			"amount": {"$ref": "#/$defs/money"},
			"method": {"enum": ["card", "bank_transfer", "cash", "check", "other"]},
			"status": {"enum": ["pending", "succeeded", "failed", "refunded"]},
			"paidAt": {"type": "string", "format": "date-time"},
			"reference": {"type": "string", "maxLength": 200}
		},
		"required": ["id", "amount", "method", "status"],
		"$defs": {"money": ` + libMoneyDef + `}
	}`},
	{"task", "Task", "A to-do item in a project.", `{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"title": "Task",
		"type": "object",
		"properties": {
			"id": {"type": "string", "minLength": 1},
			"title": {"type": "string", "minLength": 1, "maxLength": 300},
			"description": {"type": "string", "maxLength": 10000},
			"status": {"enum": ["todo", "in_progress", "blocked", "done"]},
			"assigneeId": {"type": ["string", "null"]},
			"dueDate": {"type": "string", "format": "date"},
			"priority": {"type": "integer", "minimum": 1, "maximum": 5},
			"labels": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
			"subtasks": {
				"type": "array",
				"items": {
					"type": "object",
					"properties": {"title": {"type": "string", "minLength": 1}, "done": {"type": "boolean"}},
					"required": ["title", "done"]
				}
			}
		},
		"required": ["id", "title", "status"]
	}`},
}

// DeriveSchema infers a JSON Schema 2020-12 document from a sample JSON document: the types
// found, nested objects with every present key required, arrays whose item schema merges all
// their elements, and the formats date-time, date, email and uri for strings when every sample
// string at that place has the format. The sample validates against the result.
func DeriveSchema(sample json.RawMessage) (json.RawMessage, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(sample))
	if err != nil {
		return nil, invalid("invalid_json", "", "the sample is not valid JSON: %v", err)
	}
	fc := newFormatChecker()
	s := &shape{}
	s.add(v, fc)
	doc := s.schema()
	doc["$schema"] = Draft202012
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, invalid("invalid_json", "", "derive schema: %v", err)
	}
	return out, nil
}

// shape accumulates what the samples at one place of a document have in common.
type shape struct {
	types map[string]bool
	// format is the format every string seen so far has ("" when none or when they differ).
	format   string
	strings  int
	objects  int
	props    map[string]*shape
	propSeen map[string]int // in how many of the objects each key appears
	items    *shape
}

func (s *shape) add(v any, fc formatChecker) {
	if s.types == nil {
		s.types = map[string]bool{}
	}
	switch v := v.(type) {
	case nil:
		s.types["null"] = true
	case bool:
		s.types["boolean"] = true
	case json.Number:
		if isIntegral(v) {
			s.types["integer"] = true
		} else {
			s.types["number"] = true
		}
	case string:
		f := fc.detect(v)
		if s.strings == 0 {
			s.format = f
		} else if s.format != f {
			s.format = ""
		}
		s.strings++
		s.types["string"] = true
	case []any:
		s.types["array"] = true
		if s.items == nil {
			s.items = &shape{}
		}
		for _, e := range v {
			s.items.add(e, fc)
		}
	case map[string]any:
		s.types["object"] = true
		if s.props == nil {
			s.props, s.propSeen = map[string]*shape{}, map[string]int{}
		}
		s.objects++
		for k, e := range v {
			p := s.props[k]
			if p == nil {
				p = &shape{}
				s.props[k] = p
			}
			p.add(e, fc)
			s.propSeen[k]++
		}
	}
}

func isIntegral(n json.Number) bool {
	if _, err := n.Int64(); err == nil {
		return true
	}
	f, err := n.Float64()
	return err == nil && f == math.Trunc(f) && !strings.ContainsAny(string(n), ".eE")
}

// schema renders the shape; json.Marshal sorts the keys, which keeps the output stable.
func (s *shape) schema() map[string]any {
	out := map[string]any{}
	if len(s.types) == 0 { // an empty array's items: anything goes
		return out
	}
	types := make([]string, 0, len(s.types))
	for t := range s.types {
		if t == "integer" && s.types["number"] {
			continue // every integer is a number
		}
		types = append(types, t)
	}
	slices.Sort(types)
	if len(types) == 1 {
		out["type"] = types[0]
	} else {
		out["type"] = types
	}
	if s.format != "" {
		out["format"] = s.format
	}
	if s.types["object"] {
		props := map[string]any{}
		var required []string
		for k, p := range s.props {
			props[k] = p.schema()
			if s.propSeen[k] == s.objects {
				required = append(required, k)
			}
		}
		out["properties"] = props
		if len(required) > 0 {
			slices.Sort(required)
			out["required"] = required
		}
	}
	if s.items != nil && len(s.items.types) > 0 {
		out["items"] = s.items.schema()
	}
	return out
}

// formatChecker recognises string formats. A format is only inferred when the value passes both
// a strict check of our own (so that "a:b" is not a URI) and the validator's own check (so that
// the sample always validates against the derived schema).
type formatChecker map[string]*jsonschema.Schema

func newFormatChecker() formatChecker {
	fc := formatChecker{}
	for _, f := range []string{"date-time", "date", "email", "uri"} {
		sch, err := CompileSchema(json.RawMessage(`{"format":"` + f + `"}`))
		if err == nil {
			fc[f] = sch
		}
	}
	return fc
}

func (fc formatChecker) detect(s string) string {
	var f string
	switch {
	case len(s) >= 20 && isTime(time.RFC3339Nano, s):
		f = "date-time"
	case len(s) == 10 && isTime(time.DateOnly, s):
		f = "date"
	case looksLikeEmail(s):
		f = "email"
	case looksLikeWebURL(s):
		f = "uri"
	default:
		return ""
	}
	if sch := fc[f]; sch == nil || sch.Validate(s) != nil {
		return ""
	}
	return f
}

func isTime(layout, s string) bool {
	_, err := time.Parse(layout, s)
	return err == nil
}

func looksLikeEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".")
}

func looksLikeWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && !strings.ContainsAny(s, " \t\n")
}
