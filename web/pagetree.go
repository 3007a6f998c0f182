package web

import (
	"errors"
	"net/http"

	"github.com/goflow-dev/goflow/domain"
)

// treeAggregate stores an app's page tree in its pagetree-<appId> stream.
var treeAggregate = aggregate[*domain.PageTree]{
	name:   "page tree",
	stream: domain.StreamPageTree,
	zero:   func() *domain.PageTree { return &domain.PageTree{} },
}

func decideTree(cmds ...domain.PageTreeCommand) func(*domain.PageTree, domain.Env) ([]domain.Event, error) {
	return decideAll[*domain.PageTree](cmds...)
}

// getPageTree answers the app's page tree, nested and ordered.
func (a *api) getPageTree(w http.ResponseWriter, r *http.Request) error {
	app, err := a.requireApp(r, "appID")
	if err != nil {
		return err
	}
	t, err := load(r.Context(), a.store, treeAggregate, app.state.ID, 0)
	if err != nil {
		return err
	}
	return ok(w, t.state.Document())
}

type createPageRequest struct {
	Name     string `json:"name"`
	Slug     string `json:"slug"`
	ParentID string `json:"parentId"`
	Index    string `json:"index"`
	// ExpectedVersion is the tree's version; optional (without it the page is added to whatever
	// the tree is when the request runs).
	ExpectedVersion *int64 `json:"expectedVersion"`
}

// treePageBody is a page's place in the tree, with the versions of both streams a tree write
// touches.
type treePageBody struct {
	ID       string `json:"id"`
	AppID    string `json:"appId"`
	Name     string `json:"name"`
	Slug     string `json:"slug"`
	ParentID string `json:"parentId"`
	Index    string `json:"index"`
	// Version is the page stream's version.
	Version int64 `json:"version"`
	// TreeVersion is the page tree stream's version.
	TreeVersion int64 `json:"treeVersion"`
}

func treePageView(appID string, e *domain.TreeEntry, version, treeVersion int64) treePageBody {
	return treePageBody{
		ID: e.PageID, AppID: appID, Name: e.Name, Slug: e.Slug, ParentID: e.ParentID, Index: e.Index,
		Version: version, TreeVersion: treeVersion,
	}
}

// createPage creates a page and places it in the app's page tree. These are two streams, so two
// appends, and no transaction spans them. The order keeps the tree from ever naming a page that
// does not exist: the tree command is first decided against the current tree (so that a taken
// slug or a missing parent fails before anything is written), then the page stream is created,
// then the page is added to the tree. If that last append still fails (the tree moved in
// between in a way that now rejects the page), the new page is marked deleted again and the
// tree's problem is returned: the page's stream then holds a created and a deleted event, and
// appears in no tree.
func (a *api) createPage(w http.ResponseWriter, r *http.Request) error {
	app, err := a.requireApp(r, "appID")
	if err != nil {
		return err
	}
	var req createPageRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.ExpectedVersion != nil && *req.ExpectedVersion < 0 {
		return unprocessable("invalid_version", "/expectedVersion", "expectedVersion must not be negative.")
	}
	appID, pageID := app.state.ID, newID()
	add := domain.AddPage{PageID: pageID, Name: req.Name, Slug: req.Slug, ParentID: req.ParentID, Index: req.Index}

	// Dry run against the current tree: reject before writing anything.
	tree, err := load(r.Context(), a.store, treeAggregate, appID, 0)
	if err != nil {
		return err
	}
	if req.ExpectedVersion != nil && *req.ExpectedVersion != tree.version {
		return versionConflict(domain.StreamPageTree(appID), *req.ExpectedVersion, tree.version)
	}
	if _, err := tree.state.Decide(add, a.env(r)); err != nil {
		return err
	}

	none := int64(0)
	page, err := execute(r.Context(), a, r, command[*domain.Page]{
		agg: pageAggregate, id: pageID, expected: &none,
		decide: decidePage(domain.CreatePage{PageID: pageID, AppID: appID, Name: req.Name}),
	})
	if err != nil {
		return err
	}
	tr, err := execute(r.Context(), a, r, command[*domain.PageTree]{
		agg: treeAggregate, id: appID, expected: req.ExpectedVersion, decide: decideTree(add),
	})
	if err != nil {
		return a.undoCreatePage(r, pageID, page.version, err)
	}
	return created(w, "/api/pages/"+pageID, treePageView(appID, tr.state.Pages[pageID], page.version, tr.version))
}

// undoCreatePage compensates a page whose tree insertion failed with treeErr.
func (a *api) undoCreatePage(r *http.Request, pageID string, version int64, treeErr error) error {
	_, err := execute(r.Context(), a, r, command[*domain.Page]{
		agg: pageAggregate, id: pageID, expected: &version, decide: decidePage(domain.DeletePage{}),
	})
	if err != nil {
		a.log.ErrorContext(r.Context(), "page created but neither added to the tree nor deleted again",
			"page", pageID, "treeErr", treeErr, "err", err)
	}
	return treeErr
}

// requireTreePage loads the app's tree and the entry of the pageID path parameter.
func (a *api) requireTreePage(r *http.Request) (appID string, tree loaded[*domain.PageTree], entry *domain.TreeEntry, err error) {
	app, err := a.requireApp(r, "appID")
	if err != nil {
		return "", tree, nil, err
	}
	pageID, err := pathID(r, "pageID", "page")
	if err != nil {
		return "", tree, nil, err
	}
	tree, err = load(r.Context(), a.store, treeAggregate, app.state.ID, 0)
	if err != nil {
		return "", tree, nil, err
	}
	entry = tree.state.Pages[pageID]
	if entry == nil {
		return "", tree, nil, notFound("page_not_found", "App %s has no page %q.", app.state.ID, truncate(pageID, 40))
	}
	return app.state.ID, tree, entry, nil
}

type patchTreePageRequest struct {
	// ExpectedVersion is the page tree's version.
	ExpectedVersion *int64  `json:"expectedVersion"`
	Name            *string `json:"name"`
	Slug            *string `json:"slug"`
	ParentID        *string `json:"parentId"`
	Index           *string `json:"index"`
}

// patchTreePage renames a page (name, slug) and/or moves it in the tree (parentId, "" for the
// top level; index). The tree is the write the expected version guards; a new name is then also
// given to the page itself (its document carries the name), a second append without a version
// check that is retried on a race. If it fails, the tree has the new name and the page
// document the old one until the next rename; the error is returned.
func (a *api) patchTreePage(w http.ResponseWriter, r *http.Request) error {
	appID, _, entry, err := a.requireTreePage(r)
	if err != nil {
		return err
	}
	var req patchTreePageRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if _, err := requireVersion(req.ExpectedVersion); err != nil {
		return err
	}
	var cmds []domain.PageTreeCommand
	if req.Name != nil || req.Slug != nil {
		name := entry.Name
		if req.Name != nil {
			name = *req.Name
		}
		slug := ""
		if req.Slug != nil {
			if *req.Slug == "" {
				return unprocessable("invalid_slug", "/slug", "slug must not be empty; omit it to keep the current one.")
			}
			slug = *req.Slug
		}
		cmds = append(cmds, domain.RenameTreePage{PageID: entry.PageID, Name: name, Slug: slug})
	}
	if req.ParentID != nil || req.Index != nil {
		mv := domain.MoveTreePage{PageID: entry.PageID, ParentID: entry.ParentID}
		if req.ParentID != nil {
			mv.ParentID = *req.ParentID
		}
		if req.Index != nil {
			mv.Index = *req.Index
		}
		cmds = append(cmds, mv)
	}
	if len(cmds) == 0 {
		return unprocessable("empty_patch", "", "Send at least one of name, slug, parentId and index.")
	}
	tr, err := execute(r.Context(), a, r, command[*domain.PageTree]{
		agg: treeAggregate, id: appID, expected: req.ExpectedVersion, decide: decideTree(cmds...),
	})
	if err != nil {
		return err
	}
	e := tr.state.Pages[entry.PageID]
	page, err := execute(r.Context(), a, r, command[*domain.Page]{
		agg: pageAggregate, id: entry.PageID,
		decide: func(p *domain.Page, env domain.Env) ([]domain.Event, error) {
			if !p.Exists() || p.Name == e.Name {
				return nil, nil
			}
			return decidePage(domain.RenamePage{Name: e.Name})(p, env)
		},
	})
	if err != nil {
		return err
	}
	return ok(w, treePageView(appID, e, page.version, tr.version))
}

// deleteTreePage removes a page and its descendants from the tree (?expectedVersion= is the
// tree's version), then marks each of their page streams deleted. The tree goes first so that it
// never names a deleted page; a page whose deletion then fails stays readable by id but is in no
// tree, and the error is returned.
func (a *api) deleteTreePage(w http.ResponseWriter, r *http.Request) error {
	appID, _, entry, err := a.requireTreePage(r)
	if err != nil {
		return err
	}
	expected, err := queryVersion(r)
	if err != nil {
		return err
	}
	var removed []string
	tr, err := execute(r.Context(), a, r, command[*domain.PageTree]{
		agg: treeAggregate, id: appID, expected: &expected,
		decide: func(t *domain.PageTree, env domain.Env) ([]domain.Event, error) {
			evs, err := decideTree(domain.DeleteTreePage{PageID: entry.PageID})(t, env)
			for _, e := range evs {
				if d, ok := e.(*domain.TreePagesDeleted); ok {
					removed = d.PageIDs
				}
			}
			return evs, err
		},
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range removed {
		_, err := execute(r.Context(), a, r, command[*domain.Page]{
			agg: pageAggregate, id: id,
			decide: func(p *domain.Page, env domain.Env) ([]domain.Event, error) {
				if !p.Exists() {
					return nil, nil
				}
				return decidePage(domain.DeletePage{})(p, env)
			},
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ok(w, deletedPagesBody{ID: entry.PageID, PageIDs: removed, TreeVersion: tr.version, Deleted: true})
}

// deletedPagesBody answers a page deletion: every page removed (the page and its descendants).
type deletedPagesBody struct {
	ID          string   `json:"id"`
	PageIDs     []string `json:"pageIds"`
	TreeVersion int64    `json:"treeVersion"`
	Deleted     bool     `json:"deleted"`
}
