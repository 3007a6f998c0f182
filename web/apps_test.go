package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/web"
)

// createApp creates an app and returns its id.
func createApp(t *testing.T, c *client, name string) string {
	t.Helper()
	app := c.post(c.apps(), map[string]any{"name": name}).ok(http.StatusCreated)
	id, _ := app["id"].(string)
	require.NotEmpty(t, id)
	return id
}

func TestAppLifecycle(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		c := b.c
		resp := c.post(c.apps(), map[string]any{"name": "  Shop  "})
		app := resp.ok(http.StatusCreated)
		id := app["id"].(string)
		require.Equal(t, "/api/apps/"+id, resp.header.Get("Location"))
		require.Equal(t, "Shop", app["name"], "names are trimmed")
		require.Equal(t, b.ws, app["workspaceId"])
		require.EqualValues(t, 1, app["version"])
		require.NotEmpty(t, resp.header.Get(web.RequestIDHeader))

		got := c.get("/api/apps/" + id).ok(http.StatusOK)
		require.Equal(t, app, got)

		patched := c.patch("/api/apps/"+id, map[string]any{
			"expectedVersion": 1, "name": "Store",
			"settings": map[string]any{"flowServiceUrl": "https://flows.example.com", "theme": map[string]string{"color.primary": "#336"}},
		}).ok(http.StatusOK)
		require.Equal(t, "Store", patched["name"])
		require.EqualValues(t, 3, patched["version"], "rename and settings: two events, one request")
		require.Equal(t, "https://flows.example.com", patched["settings"].(map[string]any)["flowServiceUrl"])

		// A stale expected version is a conflict that names the current version.
		p := c.patch("/api/apps/"+id, map[string]any{"expectedVersion": 1, "name": "Late"}).problem(http.StatusConflict, "version_conflict")
		require.EqualValues(t, 3, p["currentVersion"])
		require.Equal(t, "Store", c.get("/api/apps/" + id).ok(http.StatusOK)["name"], "a conflict changes nothing")

		del := c.delete("/api/apps/" + id + "?expectedVersion=3").ok(http.StatusOK)
		require.Equal(t, true, del["deleted"])
		require.EqualValues(t, 4, del["version"])
		c.get("/api/apps/"+id).problem(http.StatusNotFound, "app_not_found")
		c.patch("/api/apps/"+id, map[string]any{"expectedVersion": 4, "name": "Zombie"}).problem(http.StatusNotFound, "app_not_found")
	})
}

func TestAppRejections(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		id := createApp(t, b.c, "Shop")
		tests := []struct {
			name   string
			method string
			path   string
			body   any
			actor  string
			status int
			code   string
			path2  string // the problem's field path
		}{
			{"anonymous", "POST", "/api/apps", map[string]any{"name": "x"}, "-", 401, "unauthenticated", ""},
			{"malformed JSON", "POST", "/api/apps", `{"name": `, "", 400, "malformed_json", ""},
			{"not an object", "POST", "/api/apps", `[1,2]`, "", 400, "wrong_type", ""},
			{"two values", "POST", "/api/apps", `{"name":"a"} {"name":"b"}`, "", 400, "malformed_json", ""},
			{"empty body", "POST", "/api/apps", ``, "", 400, "empty_body", ""},
			{"unknown field", "POST", "/api/apps", `{"name":"a","colour":"red"}`, "", 400, "unknown_field", "/colour"},
			{"wrong type", "POST", "/api/apps", `{"name":42}`, "", 400, "wrong_type", "/name"},
			{"empty name", "POST", "/api/apps", map[string]any{"name": " "}, "", 422, "invalid_name", "/name"},
			{"timeout over the ceiling", "PATCH", "/api/apps/" + id, map[string]any{"expectedVersion": 1, "settings": map[string]any{"scriptTimeoutMs": 5000}}, "", 422, "invalid_timeout", "/settings/scriptTimeoutMs"},
			{"bad flow URL", "PATCH", "/api/apps/" + id, map[string]any{"expectedVersion": 1, "settings": map[string]any{"flowServiceUrl": "ftp://x"}}, "", 422, "invalid_url", "/settings/flowServiceUrl"},
			{"no expected version", "PATCH", "/api/apps/" + id, map[string]any{"name": "x"}, "", 422, "required", "/expectedVersion"},
			{"empty patch", "PATCH", "/api/apps/" + id, map[string]any{"expectedVersion": 1}, "", 422, "empty_patch", ""},
			{"delete without version", "DELETE", "/api/apps/" + id, nil, "", 400, "required", "expectedVersion"},
			{"delete bad version", "DELETE", "/api/apps/" + id + "?expectedVersion=x", nil, "", 400, "invalid_version", "expectedVersion"},
			{"unknown app", "GET", "/api/apps/nope", nil, "", 404, "app_not_found", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := b.c.with(t)
				switch tt.actor {
				case "-":
					c = c.as("")
				case "":
				default:
					c = c.as(tt.actor)
				}
				path := strings.Replace(tt.path, "/api/apps", c.apps(), 1)
				if strings.HasPrefix(tt.path, "/api/apps/") {
					path = tt.path // an app's own routes
				}
				p := c.do(tt.method, path, tt.body).problem(tt.status, tt.code)
				if tt.path2 != "" {
					require.Equal(t, tt.path2, p["path"])
				}
			})
		}
		require.EqualValues(t, 1, b.c.get("/api/apps/" + id).ok(http.StatusOK)["version"], "no rejected request changed the app")
	})
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", web.Config{MaxBodyBytes: 256})
	big := `{"name":"` + repeat("x", 300) + `"}`
	b.c.post(b.c.apps(), big).problem(http.StatusRequestEntityTooLarge, "body_too_large")

	// A body without a declared length is cut off while it is read.
	r := b.c.do("POST", b.c.apps(), unsized(big))
	r.problem(http.StatusRequestEntityTooLarge, "body_too_large")
}
