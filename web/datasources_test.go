package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDataSourceSecretsNeverLeave plants secrets and scans every response that could carry them.
func TestDataSourceSecretsNeverLeave(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		c := b.c
		const secret = "s3cr3t-Zebra-42"
		appID := createApp(t, c, "Shop")

		var bodies []apiResponse
		keep := func(r apiResponse) apiResponse { bodies = append(bodies, r); return r }

		rest := keep(c.post("/api/apps/"+appID+"/datasources", map[string]any{
			"name": "Payments", "kind": "rest",
			"config":  map[string]any{"baseUrl": "https://api.example.com", "headers": map[string]string{"X-Env": "prod"}},
			"secrets": map[string]string{"apiKey": secret},
		})).ok(http.StatusCreated)
		restID := rest["id"].(string)
		require.Equal(t, []any{"apiKey"}, rest["secretFields"])
		require.Equal(t, "https://api.example.com", rest["config"].(map[string]any)["baseUrl"])

		pg := keep(c.post("/api/apps/"+appID+"/datasources", map[string]any{
			"name": "Warehouse", "kind": "postgres",
			"config":  map[string]any{"host": "db", "port": 5432, "database": "wh", "user": "app"},
			"secrets": map[string]string{"password": secret},
		})).ok(http.StatusCreated)
		pgID := pg["id"].(string)

		keep(c.get("/api/datasources/" + restID)).ok(http.StatusOK)
		list := keep(c.get("/api/apps/" + appID + "/datasources")).ok(http.StatusOK)
		require.Len(t, list["items"], 2)

		// Rotate, add and remove secrets; rename; the responses list names only.
		patched := keep(c.patch("/api/datasources/"+restID, map[string]any{
			"expectedVersion": 1, "name": "Payments API",
			"secrets": map[string]string{"apiKey": secret + "-v2", "bearerToken": secret + "-bearer"},
		})).ok(http.StatusOK)
		require.Equal(t, []any{"apiKey", "bearerToken"}, patched["secretFields"])
		require.Equal(t, "Payments API", patched["name"])
		patched = keep(c.patch("/api/datasources/"+restID, map[string]any{"expectedVersion": 3, "secrets": map[string]string{"bearerToken": ""}})).ok(http.StatusOK)
		require.Equal(t, []any{"apiKey"}, patched["secretFields"])

		// Rejections must not echo the secret either.
		keep(c.patch("/api/datasources/"+restID, map[string]any{"expectedVersion": 4, "secrets": map[string]string{"sessionCookie": secret}})).problem(http.StatusUnprocessableEntity, "unknown_secret")
		keep(c.patch("/api/datasources/"+pgID, map[string]any{"expectedVersion": 1, "config": map[string]any{"url": "postgres://app:" + secret + "@db/wh"}})).problem(http.StatusUnprocessableEntity, "secret_in_config")
		keep(c.post("/api/apps/"+appID+"/datasources", map[string]any{"name": "x", "kind": "rest", "config": map[string]any{"baseUrl": "nope"}, "secrets": map[string]string{"apiKey": secret}})).problem(http.StatusUnprocessableEntity, "invalid_url")

		// A query on the data source, and every other read of the app.
		keep(c.post("/api/apps/"+appID+"/queries", map[string]any{"name": "orders", "dataSourceId": restID, "template": "GET /orders"})).ok(http.StatusCreated)
		for _, path := range []string{
			"/api/datasources/" + restID, "/api/datasources/" + pgID, "/api/apps/" + appID + "/datasources",
			"/api/apps/" + appID + "/queries", "/api/apps/" + appID, c.apps(), "/api/script-changes?appId=" + appID,
			"/api/script-changes?format=jsonl&appId=" + appID, "/api/script-changes?format=csv&appId=" + appID,
		} {
			keep(c.get(path))
		}
		for _, r := range bodies {
			require.NotContains(t, string(r.raw), secret, "response body leaks the secret: %s", r.raw)
			for k, vs := range r.header {
				require.NotContains(t, strings.Join(vs, " "), secret, "header %s leaks the secret", k)
			}
		}

		c.delete("/api/datasources/" + pgID + "?expectedVersion=1").ok(http.StatusOK)
		c.get("/api/datasources/"+pgID).problem(http.StatusNotFound, "datasource_not_found")
		c.get("/api/datasources/never-existed").problem(http.StatusNotFound, "datasource_not_found")
		require.Len(t, c.get("/api/apps/" + appID + "/datasources").ok(http.StatusOK)["items"], 1)
	})
}

func TestQueries(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		c := b.c
		appID := createApp(t, c, "Shop")
		otherApp := createApp(t, c, "Other")
		ds := c.post("/api/apps/"+appID+"/datasources", map[string]any{"name": "Static", "kind": "static", "config": map[string]any{"data": []int{1, 2}}}).ok(http.StatusCreated)
		dsID := ds["id"].(string)
		foreign := c.post("/api/apps/"+otherApp+"/datasources", map[string]any{"name": "S", "kind": "static", "config": map[string]any{"data": 1}}).ok(http.StatusCreated)
		sch := c.post("/api/apps/"+appID+"/schemas", map[string]any{"library": "order"}).ok(http.StatusCreated)

		q := c.post("/api/apps/"+appID+"/queries", map[string]any{
			"name": "byId", "dataSourceId": dsID, "template": "SELECT * FROM t WHERE id = {{id}}",
			"params": []map[string]any{{"name": "id", "type": "integer", "required": true}}, "resultSchemaId": sch["id"],
		}).ok(http.StatusCreated)
		qID := q["id"].(string)
		require.Len(t, q["params"], 1)

		for _, tt := range []struct {
			name string
			body map[string]any
			code string
			path string
		}{
			{"data source of another app", map[string]any{"name": "x", "dataSourceId": foreign["id"], "template": "x"}, "datasource_not_found", "/dataSourceId"},
			{"unknown schema", map[string]any{"name": "x", "dataSourceId": dsID, "template": "x", "resultSchemaId": "ghost"}, "schema_not_found", "/resultSchemaId"},
			{"no data source", map[string]any{"name": "x", "template": "x"}, "required", "/dataSourceId"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				p := c.with(t).post("/api/apps/"+appID+"/queries", tt.body).problem(http.StatusUnprocessableEntity, tt.code)
				require.Equal(t, tt.path, p["path"])
			})
		}

		// A patch keeps what it does not name.
		patched := c.patch("/api/queries/"+qID, map[string]any{"expectedVersion": 1, "name": "byKey", "resultSchemaId": ""}).ok(http.StatusOK)
		require.Equal(t, "byKey", patched["name"])
		require.Equal(t, "SELECT * FROM t WHERE id = {{id}}", patched["template"])
		require.Nil(t, patched["resultSchemaId"])
		require.Len(t, patched["params"], 1)
		c.patch("/api/queries/"+qID, map[string]any{"expectedVersion": 1, "name": "late"}).problem(http.StatusConflict, "version_conflict")
		require.Equal(t, "byKey", c.get("/api/queries/" + qID).ok(http.StatusOK)["name"])
		require.Len(t, c.get("/api/apps/" + appID + "/queries").ok(http.StatusOK)["items"], 1)
		c.delete("/api/queries/" + qID + "?expectedVersion=3").ok(http.StatusOK)
		c.get("/api/queries/"+qID).problem(http.StatusNotFound, "query_not_found")
		require.Empty(t, c.get("/api/apps/" + appID + "/queries").ok(http.StatusOK)["items"])
	})
}
