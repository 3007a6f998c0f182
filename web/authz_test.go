package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
)

// Callers of the authorization matrix. admin is a server administrator who is not a member of
// the workspace; outsider is a signed-in user who is not a member either.
var matrixCallers = []string{"anonymous", "outsider", "admin", "viewer", "auditor", "editor", "owner"}

// access is the expected answer per caller: allowed, or the status of the refusal.
type access map[string]int

const allowed = 0

// Expected access, written out by hand (not derived from the server's rules): what each kind
// of route allows. Workspace outsiders get 404, so that ids reveal nothing.
var (
	everyone  = access{"anonymous": allowed, "outsider": allowed, "admin": allowed, "viewer": allowed, "auditor": allowed, "editor": allowed, "owner": allowed}
	anyUser   = access{"anonymous": 401, "outsider": allowed, "admin": allowed, "viewer": allowed, "auditor": allowed, "editor": allowed, "owner": allowed}
	adminOnly = access{"anonymous": 401, "outsider": 403, "admin": allowed, "viewer": 403, "auditor": 403, "editor": 403, "owner": 403}
	viewers   = access{"anonymous": 401, "outsider": 404, "admin": 404, "viewer": allowed, "auditor": allowed, "editor": allowed, "owner": allowed}
	auditors  = access{"anonymous": 401, "outsider": 404, "admin": 404, "viewer": 403, "auditor": allowed, "editor": allowed, "owner": allowed}
	editors   = access{"anonymous": 401, "outsider": 404, "admin": 404, "viewer": 403, "auditor": 403, "editor": allowed, "owner": allowed}
	owners    = access{"anonymous": 401, "outsider": 404, "admin": 404, "viewer": 403, "auditor": 403, "editor": 403, "owner": allowed}
)

// expectedAccess covers every route. A route the server registers that is missing here fails
// TestAuthorizationMatrix: whoever adds a route decides who may call it.
var expectedAccess = map[string]access{
	"GET /healthz":          everyone,
	"GET /readyz":           everyone,
	"GET /api/openapi.json": everyone,
	"GET /api/components":   anyUser,
	"GET /api/realtime":     anyUser, // per-message checks: realtime_test.go

	"POST /api/auth/setup":                                  everyone,
	"POST /api/auth/login":                                  everyone,
	"POST /api/auth/logout":                                 anyUser,
	"GET /api/auth/session":                                 anyUser,
	"PUT /api/auth/password":                                anyUser,
	"GET /api/auth/tokens":                                  anyUser,
	"POST /api/auth/tokens":                                 anyUser,
	"DELETE /api/auth/tokens/{tokenID}":                     anyUser,
	"GET /api/users":                                        adminOnly,
	"POST /api/users":                                       adminOnly,
	"PATCH /api/users/{userID}":                             adminOnly,
	"GET /api/workspaces":                                   anyUser,
	"POST /api/workspaces":                                  anyUser,
	"GET /api/workspaces/{workspaceID}":                     viewers,
	"PATCH /api/workspaces/{workspaceID}":                   owners,
	"DELETE /api/workspaces/{workspaceID}":                  owners,
	"GET /api/workspaces/{workspaceID}/members":             viewers,
	"PUT /api/workspaces/{workspaceID}/members/{userID}":    owners,
	"DELETE /api/workspaces/{workspaceID}/members/{userID}": owners,

	"POST /api/workspaces/{workspaceID}/apps":     editors,
	"GET /api/workspaces/{workspaceID}/apps":      viewers,
	"GET /api/apps/{appID}":                       viewers,
	"PATCH /api/apps/{appID}":                     editors,
	"DELETE /api/apps/{appID}":                    owners,
	"POST /api/apps/{appID}/publish":              editors,
	"GET /api/apps/{appID}/release":               viewers,
	"PUT /api/apps/{appID}/flow-secret":           owners,
	"GET /api/apps/{appID}/poison":                auditors,
	"DELETE /api/apps/{appID}/poison/{runID}":     editors,
	"POST /api/apps/{appID}/poison/{runID}/retry": editors,
	"GET /api/workspaces/{workspaceID}/ai":        viewers,
	"PUT /api/workspaces/{workspaceID}/ai":        owners,
	"DELETE /api/workspaces/{workspaceID}/ai":     owners,

	"GET /api/apps/{appID}/pages":             viewers,
	"POST /api/apps/{appID}/pages":            editors,
	"PATCH /api/apps/{appID}/pages/{pageID}":  editors,
	"DELETE /api/apps/{appID}/pages/{pageID}": editors,
	"GET /api/pages/{pageID}":                 viewers,
	"POST /api/pages/{pageID}/ops":            editors,
	"GET /api/pages/{pageID}/versions":        auditors,
	"GET /api/pages/{pageID}/diff":            auditors,
	"POST /api/pages/{pageID}/restore":        editors,

	"GET /api/apps/{appID}/scripts":         auditors,
	"POST /api/apps/{appID}/scripts":        editors,
	"GET /api/scripts/{scriptID}":           auditors,
	"PUT /api/scripts/{scriptID}/text":      editors,
	"POST /api/scripts/{scriptID}/check":    editors,
	"PATCH /api/scripts/{scriptID}":         editors,
	"DELETE /api/scripts/{scriptID}":        editors,
	"GET /api/scripts/{scriptID}/versions":  auditors,
	"GET /api/scripts/{scriptID}/diff":      auditors,
	"POST /api/scripts/{scriptID}/restore":  editors,
	"GET /api/script-changes":               auditors, // asked with ?appId=; without it the log is filtered
	"GET /api/schema-library":               anyUser,
	"POST /api/schemas/derive":              anyUser,
	"GET /api/apps/{appID}/schemas":         auditors,
	"POST /api/apps/{appID}/schemas":        editors,
	"GET /api/schemas/{schemaID}":           auditors,
	"PUT /api/schemas/{schemaID}":           editors,
	"PATCH /api/schemas/{schemaID}":         editors,
	"DELETE /api/schemas/{schemaID}":        editors,
	"POST /api/schemas/{schemaID}/validate": auditors,

	"GET /api/apps/{appID}/datasources":        auditors,
	"POST /api/apps/{appID}/datasources":       editors,
	"GET /api/datasources/{dataSourceID}":      auditors,
	"PATCH /api/datasources/{dataSourceID}":    editors,
	"DELETE /api/datasources/{dataSourceID}":   editors,
	"GET /api/apps/{appID}/queries":            auditors,
	"POST /api/apps/{appID}/queries":           editors,
	"GET /api/queries/{queryID}":               auditors,
	"PATCH /api/queries/{queryID}":             editors,
	"DELETE /api/queries/{queryID}":            editors,
	"POST /api/queries/{queryID}/run":          editors,
	"POST /api/queries/{queryID}/infer-schema": editors,

	"GET /api/sessions/{sessionID}":          auditors,
	"GET /api/sessions/{sessionID}/actions":  auditors,
	"GET /api/sessions/{sessionID}/state":    auditors, // without ?step=: 400 once authorized
	"GET /api/sessions/{sessionID}/diff":     auditors,
	"GET /api/sessions/{sessionID}/runs":     auditors,
	"POST /api/sessions/{sessionID}/rerun":   auditors,
	"GET /api/sessions/{sessionID}/export":   auditors,
	"POST /api/apps/{appID}/sessions/import": editors,
}

// TestAuthorizationMatrix calls every route the router serves as every kind of caller and checks
// the answer against expectedAccess. Requests that get past authorization must not change
// anything (so that the order of calls does not matter): unsafe requests carry a malformed body
// or lack their expectedVersion, which the handlers refuse with 400 after authorization.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	alice := b.c
	fx := newFixtures(t, b)

	callers := map[string]*client{"anonymous": alice.as("")}
	for _, name := range []string{"outsider", "admin", "viewer", "auditor", "editor", "owner", "victim"} {
		callers[name] = alice.as(name)
		callers[name].token() // creates the user, an editor of the workspace
	}
	alice.patch("/api/users/admin", map[string]any{"admin": true}).ok(http.StatusOK)
	for _, role := range []string{"viewer", "auditor", "owner"} {
		alice.put("/api/workspaces/"+b.ws+"/members/"+role, map[string]any{"role": role}).ok(http.StatusOK)
	}
	// tokenFor made outsider and admin editors; make them strangers again.
	for _, stranger := range []string{"outsider", "admin"} {
		require.Equal(t, http.StatusNoContent, alice.delete("/api/workspaces/"+b.ws+"/members/"+stranger).status)
	}

	routes := b.server.Routes()
	require.NotEmpty(t, routes)
	for _, rt := range routes {
		key := rt.Method + " " + rt.Pattern
		want, ok := expectedAccess[key]
		if !ok {
			t.Errorf("route %s has no entry in expectedAccess: decide who may call it", key)
			continue
		}
		path := fx.fill(rt.Pattern)
		if rt.Pattern == "/api/script-changes" {
			path += "?appId=" + fx.app
		}
		for _, who := range matrixCallers {
			t.Run(strings.ReplaceAll(key, "/", "_")+"/"+who, func(t *testing.T) {
				var body any
				if rt.Method != "GET" && rt.Method != "DELETE" {
					body = `{"malformed": ` // refused after authorization, so nothing changes
				}
				r := callers[who].with(t).do(rt.Method, path, body)
				if want[who] == allowed {
					require.NotContains(t, []int{401, 403}, r.status, "%s as %s: %s", key, who, r.raw)
					if r.status == http.StatusNotFound {
						require.Equal(t, "DELETE /api/auth/tokens/{tokenID}", key, "%s as %s: %s", key, who, r.raw)
					}
					return
				}
				require.Equal(t, want[who], r.status, "%s as %s: %s", key, who, r.raw)
			})
		}
	}
	for key := range expectedAccess {
		method, pattern, _ := strings.Cut(key, " ")
		found := false
		for _, rt := range routes {
			found = found || (rt.Method == method && rt.Pattern == pattern)
		}
		require.True(t, found, "expectedAccess lists %s, which the server does not serve", key)
	}
}

// fixtures are one of each resource in the bundle's workspace.
type fixtures struct {
	ws, app, page, script, schema, dataSource, query, session string
}

func newFixtures(t *testing.T, b apiBundle) fixtures {
	t.Helper()
	c := b.c
	fx := fixtures{ws: b.ws, app: createApp(t, c, "Matrix")}
	fx.page = c.post("/api/apps/"+fx.app+"/pages", map[string]any{"name": "Home"}).ok(http.StatusCreated)["id"].(string)
	fx.script = createScript(t, c, fx.app, "reducer", "export default (s) => s\n")
	fx.schema = c.post("/api/apps/"+fx.app+"/schemas", map[string]any{"library": "order"}).ok(http.StatusCreated)["id"].(string)
	fx.dataSource = c.post("/api/apps/"+fx.app+"/datasources", map[string]any{
		"name": "api", "kind": "rest", "config": map[string]any{"baseUrl": "https://api.example.com"},
	}).ok(http.StatusCreated)["id"].(string)
	fx.query = c.post("/api/apps/"+fx.app+"/queries", map[string]any{"name": "orders", "dataSourceId": fx.dataSource, "template": "GET /orders"}).ok(http.StatusCreated)["id"].(string)
	ref := domain.ScriptRef{ScriptID: fx.script, Version: 1}
	fx.session = recordSession(t, b, domain.StartRuntimeSession{
		AppID: fx.app, PageID: fx.page, Mode: domain.SessionPreview, PageReducer: ref, AppReducer: ref,
	}, nil, false)
	return fx
}

// fill substitutes the fixtures' ids for a route pattern's parameters.
func (fx fixtures) fill(pattern string) string {
	return strings.NewReplacer(
		"{workspaceID}", fx.ws, "{appID}", fx.app, "{pageID}", fx.page, "{scriptID}", fx.script,
		"{schemaID}", fx.schema, "{dataSourceID}", fx.dataSource, "{queryID}", fx.query,
		"{sessionID}", fx.session,
		"{userID}", "victim", "{tokenID}", "no-such-token",
	).Replace(pattern)
}
