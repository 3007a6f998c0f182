package web

import "net/http"

// probePaths are hit every few seconds by load balancers and orchestrators; their successful
// requests are logged at debug level only.
var probePaths = []string{"/healthz", "/readyz"}

// route is one registered endpoint. pattern is a net/http path pattern; its syntax ({appID}) is
// also OpenAPI's, so the OpenAPI document is keyed by the same strings.
type route struct {
	method  string
	pattern string
	handler http.Handler
}

// routeTable is the one place every route is registered. It is a table, not a sequence of
// mux.Handle calls, so that the OpenAPI test can enumerate exactly what the mux serves.
func (s *Server) routeTable() []route {
	health := &healthHandler{store: s.cfg.Store, timeout: s.cfg.ReadyTimeout, log: s.log}
	a := s.api
	return []route{
		{"GET", "/healthz", http.HandlerFunc(health.healthz)},
		{"GET", "/readyz", http.HandlerFunc(health.readyz)},
		{"GET", "/api/openapi.json", http.HandlerFunc(s.serveOpenAPI)},
		{"GET", "/api/components", a.handle(a.listComponents)},

		{"POST", "/api/apps", a.handle(a.createApp)},
		{"GET", "/api/apps", a.handle(a.listApps)},
		{"GET", "/api/apps/{appID}", a.handle(a.getApp)},
		{"PATCH", "/api/apps/{appID}", a.handle(a.patchApp)},
		{"DELETE", "/api/apps/{appID}", a.handle(a.deleteApp)},

		{"GET", "/api/apps/{appID}/pages", a.handle(a.getPageTree)},
		{"POST", "/api/apps/{appID}/pages", a.handle(a.createPage)},
		{"PATCH", "/api/apps/{appID}/pages/{pageID}", a.handle(a.patchTreePage)},
		{"DELETE", "/api/apps/{appID}/pages/{pageID}", a.handle(a.deleteTreePage)},
		{"GET", "/api/pages/{pageID}", a.handle(a.getPage)},
		{"POST", "/api/pages/{pageID}/ops", a.handle(a.postPageOps)},
		{"GET", "/api/pages/{pageID}/versions", a.handle(a.pageVersions)},
		{"GET", "/api/pages/{pageID}/diff", a.handle(a.diffPage)},
		{"POST", "/api/pages/{pageID}/restore", a.handle(a.restorePage)},

		{"GET", "/api/apps/{appID}/scripts", a.handle(a.listScripts)},
		{"POST", "/api/apps/{appID}/scripts", a.handle(a.createScript)},
		{"GET", "/api/scripts/{scriptID}", a.handle(a.getScript)},
		{"PUT", "/api/scripts/{scriptID}/text", a.handle(a.putScriptText)},
		{"PATCH", "/api/scripts/{scriptID}", a.handle(a.patchScript)},
		{"DELETE", "/api/scripts/{scriptID}", a.handle(a.deleteScript)},
		{"GET", "/api/scripts/{scriptID}/versions", a.handle(a.scriptVersions)},
		{"GET", "/api/scripts/{scriptID}/diff", a.handle(a.diffScript)},
		{"POST", "/api/scripts/{scriptID}/restore", a.handle(a.restoreScript)},
		{"GET", "/api/script-changes", a.handle(a.scriptChanges)},

		{"GET", "/api/schema-library", a.handle(a.schemaLibrary)},
		{"POST", "/api/schemas/derive", a.handle(a.deriveSchema)},
		{"GET", "/api/apps/{appID}/schemas", a.handle(a.listSchemas)},
		{"POST", "/api/apps/{appID}/schemas", a.handle(a.createSchema)},
		{"GET", "/api/schemas/{schemaID}", a.handle(a.getSchema)},
		{"PUT", "/api/schemas/{schemaID}", a.handle(a.putSchema)},
		{"PATCH", "/api/schemas/{schemaID}", a.handle(a.patchSchema)},
		{"DELETE", "/api/schemas/{schemaID}", a.handle(a.deleteSchema)},
		{"POST", "/api/schemas/{schemaID}/validate", a.handle(a.validateInstance)},

		{"GET", "/api/apps/{appID}/datasources", a.handle(a.listDataSources)},
		{"POST", "/api/apps/{appID}/datasources", a.handle(a.createDataSource)},
		{"GET", "/api/datasources/{dataSourceID}", a.handle(a.getDataSource)},
		{"PATCH", "/api/datasources/{dataSourceID}", a.handle(a.patchDataSource)},
		{"DELETE", "/api/datasources/{dataSourceID}", a.handle(a.deleteDataSource)},

		{"GET", "/api/apps/{appID}/queries", a.handle(a.listQueries)},
		{"POST", "/api/apps/{appID}/queries", a.handle(a.createQuery)},
		{"GET", "/api/queries/{queryID}", a.handle(a.getQuery)},
		{"PATCH", "/api/queries/{queryID}", a.handle(a.patchQuery)},
		{"DELETE", "/api/queries/{queryID}", a.handle(a.deleteQuery)},
	}
}

// routes builds the mux from the route table. Writes need an actor (HeaderActor).
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	actor := HeaderActor()
	for _, rt := range s.routeTable() {
		h := rt.handler
		if !safeMethod(rt.method) {
			h = actor(h)
		}
		mux.Handle(rt.method+" "+rt.pattern, h)
	}
	return mux
}
