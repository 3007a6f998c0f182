package web_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSchemas(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		c := b.c
		lib := c.get("/api/schema-library").ok(http.StatusOK)["items"].([]any)
		require.GreaterOrEqual(t, len(lib), 8)

		derived := c.post("/api/schemas/derive", map[string]any{"sample": map[string]any{"name": "Ada", "age": 36}}).ok(http.StatusOK)
		require.Equal(t, "object", derived["schema"].(map[string]any)["type"])
		c.post("/api/schemas/derive", map[string]any{}).problem(http.StatusUnprocessableEntity, "required")

		appID := createApp(t, c, "Shop")
		cust := c.post("/api/apps/"+appID+"/schemas", map[string]any{"library": "customer"}).ok(http.StatusCreated)
		require.Equal(t, "library:customer", cust["source"])
		require.Equal(t, "Customer", cust["name"])
		custID := cust["id"].(string)
		fromSample := c.post("/api/apps/"+appID+"/schemas", map[string]any{"name": "Thing", "sample": map[string]any{"n": 1}}).ok(http.StatusCreated)
		require.Equal(t, "derived", fromSample["source"])
		custom := c.post("/api/apps/"+appID+"/schemas", map[string]any{"name": "Flag", "document": map[string]any{"type": "boolean"}}).ok(http.StatusCreated)
		customID := custom["id"].(string)

		for _, tt := range []struct {
			name   string
			body   map[string]any
			status int
			code   string
			path   string
		}{
			{"no source", map[string]any{"name": "x"}, 422, "one_source", ""},
			{"two sources", map[string]any{"name": "x", "library": "order", "document": map[string]any{}}, 422, "one_source", ""},
			{"unknown library schema", map[string]any{"library": "unicorn"}, 422, "unknown_library_schema", "/library"},
			{"bad document", map[string]any{"name": "x", "document": map[string]any{"type": "wat"}}, 422, "invalid_schema", ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				p := c.with(t).post("/api/apps/"+appID+"/schemas", tt.body).problem(tt.status, tt.code)
				if tt.path != "" {
					require.Equal(t, tt.path, p["path"])
				}
			})
		}

		require.Len(t, c.get("/api/apps/" + appID + "/schemas").ok(http.StatusOK)["items"], 3)

		// Validation against a schema.
		valid := c.post("/api/schemas/"+custID+"/validate", map[string]any{"instance": map[string]any{"id": "c1", "name": "Ada", "email": "ada@example.com"}}).ok(http.StatusOK)
		require.Equal(t, true, valid["valid"])
		p := c.post("/api/schemas/"+custID+"/validate", map[string]any{"instance": map[string]any{"id": "c1", "name": "Ada", "email": "not an email"}}).problem(http.StatusUnprocessableEntity, "schema_violation")
		require.Equal(t, "/email", p["path"])
		c.post("/api/schemas/"+custID+"/validate", map[string]any{}).problem(http.StatusUnprocessableEntity, "required")

		// Replace the document, rename, delete.
		put := c.put("/api/schemas/"+customID, map[string]any{"expectedVersion": 1, "document": map[string]any{"type": "string"}}).ok(http.StatusOK)
		require.EqualValues(t, 2, put["version"])
		c.post("/api/schemas/"+customID+"/validate", map[string]any{"instance": true}).problem(http.StatusUnprocessableEntity, "schema_violation")
		c.put("/api/schemas/"+customID, map[string]any{"expectedVersion": 1, "document": map[string]any{"type": "null"}}).problem(http.StatusConflict, "version_conflict")
		require.Equal(t, "Flag2", c.patch("/api/schemas/"+customID, map[string]any{"expectedVersion": 2, "name": "Flag2"}).ok(http.StatusOK)["name"])
		c.patch("/api/schemas/"+customID, map[string]any{"expectedVersion": 3}).problem(http.StatusUnprocessableEntity, "required")
		c.delete("/api/schemas/" + customID + "?expectedVersion=3").ok(http.StatusOK)
		c.get("/api/schemas/"+customID).problem(http.StatusNotFound, "schema_not_found")
		require.Len(t, c.get("/api/apps/" + appID + "/schemas").ok(http.StatusOK)["items"], 2)
	})
}
