package projections

import (
	"slices"

	"github.com/goflow-dev/goflow/domain"
)

// Projection names.
const (
	// Pages: key = page id, data = domain.Page.
	Pages = "pages"
	// PageTrees: key = app id, data = domain.PageTree.
	PageTrees = "pagetrees"
	// Apps, the app catalogue: key = app id, data = domain.App.
	Apps = "apps"
	// Scripts: key = "<appId>/<scriptId>", data = domain.Script (index documents "#<scriptId>").
	Scripts = "scripts"
	// Schemas: key = "<appId>/<schemaId>", data = domain.Schema.
	Schemas = "schemas"
	// DataSources: key = "<appId>/<dataSourceId>", data = domain.DataSource, secrets included:
	// readers show DataSource.View().
	DataSources = "datasources"
	// Queries: key = "<appId>/<queryId>", data = domain.Query.
	Queries = "queries"
	// ScriptLog, the auditors' script change log: see ScriptLogProjection.
	ScriptLog = "scriptlog"
	// Users: key = user id (the username), data = domain.User, hashes included: never shown as is.
	Users = "users"
	// Workspaces: key = workspace id, data = domain.Workspace.
	Workspaces = "workspaces"
	// Access, who may reach what: see AccessProjection.
	Access = "access"
)

// All returns every projection GoFlow runs, in a stable order.
func All() []Projection {
	return []Projection{
		NewStateProjection(StateConfig[domain.App]{
			Name: Apps, Category: domain.CategoryApp,
			New: func() *domain.App { return &domain.App{} }, Apply: (*domain.App).Apply,
		}),
		NewStateProjection(StateConfig[domain.PageTree]{
			Name: PageTrees, Category: domain.CategoryPageTree,
			New: func() *domain.PageTree { return &domain.PageTree{} }, Apply: (*domain.PageTree).Apply,
		}),
		NewStateProjection(StateConfig[domain.Page]{
			Name: Pages, Category: domain.CategoryPage,
			New: func() *domain.Page { return &domain.Page{} }, Apply: (*domain.Page).Apply,
		}),
		NewStateProjection(StateConfig[domain.Script]{
			Name: Scripts, Category: domain.CategoryScript,
			New: func() *domain.Script { return &domain.Script{} }, Apply: (*domain.Script).Apply,
			AppID: func(s *domain.Script) string { return s.AppID },
		}),
		NewStateProjection(StateConfig[domain.Schema]{
			Name: Schemas, Category: domain.CategorySchema,
			New: func() *domain.Schema { return &domain.Schema{} }, Apply: (*domain.Schema).Apply,
			AppID: func(s *domain.Schema) string { return s.AppID },
		}),
		NewStateProjection(StateConfig[domain.DataSource]{
			Name: DataSources, Category: domain.CategoryDataSource,
			New: func() *domain.DataSource { return &domain.DataSource{} }, Apply: (*domain.DataSource).Apply,
			AppID: func(s *domain.DataSource) string { return s.AppID },
		}),
		NewStateProjection(StateConfig[domain.Query]{
			Name: Queries, Category: domain.CategoryQuery,
			New: func() *domain.Query { return &domain.Query{} }, Apply: (*domain.Query).Apply,
			AppID: func(s *domain.Query) string { return s.AppID },
		}),
		NewScriptLogProjection(),
		NewStateProjection(StateConfig[domain.User]{
			Name: Users, Category: domain.CategoryUser,
			New: func() *domain.User { return &domain.User{} }, Apply: (*domain.User).Apply,
		}),
		NewStateProjection(StateConfig[domain.Workspace]{
			Name: Workspaces, Category: domain.CategoryWorkspace,
			New: func() *domain.Workspace { return &domain.Workspace{} }, Apply: (*domain.Workspace).Apply,
		}),
		NewAccessProjection(),
	}
}

// Names lists the names of All.
func Names() []string {
	var names []string
	for _, p := range All() {
		names = append(names, p.Name())
	}
	return names
}

// ByName returns the projection of All with that name.
func ByName(name string) (Projection, bool) {
	all := All()
	i := slices.IndexFunc(all, func(p Projection) bool { return p.Name() == name })
	if i < 0 {
		return nil, false
	}
	return all[i], true
}
