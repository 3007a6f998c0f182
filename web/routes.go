package web

import (
	"net/http"

	"github.com/goflow-dev/goflow/domain"
)

// probePaths are hit every few seconds by load balancers and orchestrators; their successful
// requests are logged at debug level only.
var probePaths = []string{"/healthz", "/readyz"}

// route is one registered endpoint. pattern is a net/http path pattern; its syntax ({appID}) is
// also OpenAPI's, so the OpenAPI document is keyed by the same strings. access says who may call
// it: there is no default, so every route states its rule where it is registered.
type route struct {
	method  string
	pattern string
	access  rule
	handler http.Handler
}

// routeTable is the one place every route is registered. It is a table, not a sequence of
// mux.Handle calls, so that the OpenAPI and authorization tests can enumerate exactly what the
// mux serves.
func (s *Server) routeTable() []route {
	health := &healthHandler{store: s.cfg.Store, timeout: s.cfg.ReadyTimeout, log: s.log}
	a := s.api
	var (
		ws         = workspaceParam
		app        = appParam
		page       = resourceParam("pageID", "page", domain.StreamPage)
		script     = resourceParam("scriptID", "script", domain.StreamScript)
		schema     = resourceParam("schemaID", "schema", domain.StreamSchema)
		datasource = resourceParam("dataSourceID", "datasource", domain.StreamDataSource)
		query      = resourceParam("queryID", "query", domain.StreamQuery)
		session    = resourceParam("sessionID", "session", domain.StreamSession)
		view       = domain.PermView
		audit      = domain.PermAudit
		edit       = domain.PermEdit
		manage     = domain.PermManage
	)
	return []route{
		{"GET", "/healthz", public(), http.HandlerFunc(health.healthz)},
		{"GET", "/readyz", public(), http.HandlerFunc(health.readyz)},
		{"GET", "/api/openapi.json", public(), http.HandlerFunc(s.serveOpenAPI)},
		{"GET", "/api/components", signedIn(), a.handle(a.listComponents)},
		// Co-editing: each message is checked against the document's workspace role
		// (realtimeAccess), so the route itself only needs a signed-in user.
		{"GET", RealtimePath, signedIn(), http.HandlerFunc(s.serveRealtime)},

		{"POST", "/api/auth/setup", public(), a.handle(a.setup)},
		{"POST", "/api/auth/login", public(), a.handle(a.login)},
		{"POST", "/api/auth/logout", signedIn(), a.handle(a.logout)},
		{"GET", "/api/auth/session", signedIn(), a.handle(a.getSession)},
		{"PUT", "/api/auth/password", signedIn(), a.handle(a.changePassword)},
		{"GET", "/api/auth/tokens", signedIn(), a.handle(a.listTokens)},
		{"POST", "/api/auth/tokens", signedIn(), a.handle(a.createToken)},
		{"DELETE", "/api/auth/tokens/{tokenID}", signedIn(), a.handle(a.revokeToken)},

		{"GET", "/api/users", adminOnly(), a.handle(a.listUsers)},
		{"POST", "/api/users", adminOnly(), a.handle(a.createUser)},
		{"PATCH", "/api/users/{userID}", adminOnly(), a.handle(a.patchUser)},

		{"GET", "/api/workspaces", signedIn(), a.handle(a.listWorkspaces)},
		{"POST", "/api/workspaces", signedIn(), a.handle(a.createWorkspace)},
		{"GET", "/api/workspaces/{workspaceID}", member(view, ws), a.handle(a.getWorkspace)},
		{"PATCH", "/api/workspaces/{workspaceID}", member(manage, ws), a.handle(a.patchWorkspace)},
		{"DELETE", "/api/workspaces/{workspaceID}", member(manage, ws), a.handle(a.deleteWorkspace)},
		{"GET", "/api/workspaces/{workspaceID}/members", member(view, ws), a.handle(a.listMembers)},
		{"PUT", "/api/workspaces/{workspaceID}/members/{userID}", member(manage, ws), a.handle(a.putMember)},
		{"DELETE", "/api/workspaces/{workspaceID}/members/{userID}", member(manage, ws), a.handle(a.removeMember)},
		{"GET", "/api/workspaces/{workspaceID}/ai", member(view, ws), a.handle(a.getWorkspaceAI)},
		{"PUT", "/api/workspaces/{workspaceID}/ai", member(manage, ws), a.handle(a.putWorkspaceAI)},
		{"DELETE", "/api/workspaces/{workspaceID}/ai", member(manage, ws), a.handle(a.deleteWorkspaceAI)},

		{"POST", "/api/workspaces/{workspaceID}/apps", member(edit, ws), a.handle(a.createApp)},
		{"GET", "/api/workspaces/{workspaceID}/apps", member(view, ws), a.handle(a.listApps)},
		{"GET", "/api/apps/{appID}", member(view, app), a.handle(a.getApp)},
		{"PATCH", "/api/apps/{appID}", member(edit, app), a.handle(a.patchApp)},
		{"DELETE", "/api/apps/{appID}", member(manage, app), a.handle(a.deleteApp)},
		{"POST", "/api/apps/{appID}/publish", member(edit, app), a.handle(a.publishApp)},
		{"GET", "/api/apps/{appID}/release", member(view, app), a.handle(a.getRelease)},
		{"PUT", "/api/apps/{appID}/flow-secret", member(manage, app), a.handle(a.putFlowSecret)},
		{"GET", "/api/apps/{appID}/poison", member(audit, app), a.handle(a.listPoison)},
		{"DELETE", "/api/apps/{appID}/poison/{runID}", member(edit, app), a.handle(a.dismissPoison)},
		{"POST", "/api/apps/{appID}/poison/{runID}/retry", member(edit, app), a.handle(a.retryPoison)},

		{"GET", "/api/apps/{appID}/pages", member(view, app), a.handle(a.getPageTree)},
		{"POST", "/api/apps/{appID}/pages", member(edit, app), a.handle(a.createPage)},
		{"PATCH", "/api/apps/{appID}/pages/{pageID}", member(edit, app), a.handle(a.patchTreePage)},
		{"DELETE", "/api/apps/{appID}/pages/{pageID}", member(edit, app), a.handle(a.deleteTreePage)},
		{"GET", "/api/pages/{pageID}", member(view, page), a.handle(a.getPage)},
		{"POST", "/api/pages/{pageID}/ops", member(edit, page), a.handle(a.postPageOps)},
		{"GET", "/api/pages/{pageID}/versions", member(audit, page), a.handle(a.pageVersions)},
		{"GET", "/api/pages/{pageID}/diff", member(audit, page), a.handle(a.diffPage)},
		{"POST", "/api/pages/{pageID}/restore", member(edit, page), a.handle(a.restorePage)},

		{"GET", "/api/apps/{appID}/scripts", member(audit, app), a.handle(a.listScripts)},
		{"POST", "/api/apps/{appID}/scripts", member(edit, app), a.handle(a.createScript)},
		{"GET", "/api/scripts/{scriptID}", member(audit, script), a.handle(a.getScript)},
		{"PUT", "/api/scripts/{scriptID}/text", member(edit, script), a.handle(a.putScriptText)},
		{"POST", "/api/scripts/{scriptID}/check", member(edit, script), a.handle(a.checkScript)},
		{"PATCH", "/api/scripts/{scriptID}", member(edit, script), a.handle(a.patchScript)},
		{"DELETE", "/api/scripts/{scriptID}", member(edit, script), a.handle(a.deleteScript)},
		{"GET", "/api/scripts/{scriptID}/versions", member(audit, script), a.handle(a.scriptVersions)},
		{"GET", "/api/scripts/{scriptID}/diff", member(audit, script), a.handle(a.diffScript)},
		{"POST", "/api/scripts/{scriptID}/restore", member(edit, script), a.handle(a.restoreScript)},
		// Scoped in the handler: one app's log needs audit rights there; without appId the
		// log is filtered to the apps the caller may audit.
		{"GET", "/api/script-changes", signedIn(), a.handle(a.scriptChanges)},

		{"GET", "/api/schema-library", signedIn(), a.handle(a.schemaLibrary)},
		{"POST", "/api/schemas/derive", signedIn(), a.handle(a.deriveSchema)},
		{"GET", "/api/apps/{appID}/schemas", member(audit, app), a.handle(a.listSchemas)},
		{"POST", "/api/apps/{appID}/schemas", member(edit, app), a.handle(a.createSchema)},
		{"GET", "/api/schemas/{schemaID}", member(audit, schema), a.handle(a.getSchema)},
		{"PUT", "/api/schemas/{schemaID}", member(edit, schema), a.handle(a.putSchema)},
		{"PATCH", "/api/schemas/{schemaID}", member(edit, schema), a.handle(a.patchSchema)},
		{"DELETE", "/api/schemas/{schemaID}", member(edit, schema), a.handle(a.deleteSchema)},
		{"POST", "/api/schemas/{schemaID}/validate", member(audit, schema), a.handle(a.validateInstance)},

		{"GET", "/api/apps/{appID}/datasources", member(audit, app), a.handle(a.listDataSources)},
		{"POST", "/api/apps/{appID}/datasources", member(edit, app), a.handle(a.createDataSource)},
		{"GET", "/api/datasources/{dataSourceID}", member(audit, datasource), a.handle(a.getDataSource)},
		{"PATCH", "/api/datasources/{dataSourceID}", member(edit, datasource), a.handle(a.patchDataSource)},
		{"DELETE", "/api/datasources/{dataSourceID}", member(edit, datasource), a.handle(a.deleteDataSource)},

		{"GET", "/api/apps/{appID}/queries", member(audit, app), a.handle(a.listQueries)},
		{"POST", "/api/apps/{appID}/queries", member(edit, app), a.handle(a.createQuery)},
		{"GET", "/api/queries/{queryID}", member(audit, query), a.handle(a.getQuery)},
		{"PATCH", "/api/queries/{queryID}", member(edit, query), a.handle(a.patchQuery)},
		{"DELETE", "/api/queries/{queryID}", member(edit, query), a.handle(a.deleteQuery)},
		{"POST", "/api/queries/{queryID}/run", member(edit, query), a.handle(a.runQueryNow)},
		{"POST", "/api/queries/{queryID}/infer-schema", member(edit, query), a.handle(a.inferQuerySchema)},

		// The time-travel debugger reads recorded runtime sessions: history, hence audit.
		{"GET", "/api/sessions/{sessionID}", member(audit, session), a.handle(a.getRuntimeSession)},
		{"GET", "/api/sessions/{sessionID}/actions", member(audit, session), a.handle(a.sessionActions)},
		{"GET", "/api/sessions/{sessionID}/runs", member(audit, session), a.handle(a.sessionRuns)},
		{"GET", "/api/sessions/{sessionID}/state", member(audit, session), a.handle(a.sessionState)},
		{"GET", "/api/sessions/{sessionID}/diff", member(audit, session), a.handle(a.diffSession)},
		// A rerun with an edited reducer saves nothing, so reading rights suffice.
		{"POST", "/api/sessions/{sessionID}/rerun", member(audit, session), a.handle(a.rerunSession)},
		{"GET", "/api/sessions/{sessionID}/export", member(audit, session), a.handle(a.exportSession)},
		{"POST", "/api/apps/{appID}/sessions/import", member(edit, app), a.handle(a.importSession)},
	}
}

// routes builds the mux from the route table: each handler runs behind its route's access rule.
// Authentication wraps the whole mux (see New), so that every route, and a 404 or 405, sees the
// same principal.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range s.routeTable() {
		mux.Handle(rt.method+" "+rt.pattern, s.api.authorize(rt.access, rt.handler))
	}
	return mux
}

// Route describes one registered endpoint.
type Route struct {
	Method  string
	Pattern string
}

// Routes lists every endpoint the server serves, in registration order.
func (s *Server) Routes() []Route {
	table := s.routeTable()
	out := make([]Route, len(table))
	for i, rt := range table {
		out[i] = Route{Method: rt.method, Pattern: rt.pattern}
	}
	return out
}
