package domain_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
)

// ptTree is the fixture tree with every event applied so far.
type ptTree struct {
	t      *domain.PageTree
	env    domain.Env
	events []domain.Event
}

func (f *ptTree) do(t *testing.T, c domain.PageTreeCommand) []domain.Event {
	t.Helper()
	evs, err := f.t.Decide(c, f.env)
	require.NoError(t, err, "%#v", c)
	require.NotEmpty(t, evs)
	for _, e := range evs {
		f.t.Apply(e)
	}
	f.events = append(f.events, evs...)
	return evs
}

// ptSetup builds:
//
//	home (/home)
//	about (/about)
//	├── team (/team)
//	│   └── alice (/alice)
//	└── jobs (/jobs)
func ptSetup(t *testing.T) *ptTree {
	t.Helper()
	f := &ptTree{t: &domain.PageTree{}, env: pgEnv(t)}
	f.do(t, domain.AddPage{PageID: "home", Name: "Home"})
	f.do(t, domain.AddPage{PageID: "about", Name: "About"})
	f.do(t, domain.AddPage{PageID: "team", Name: "Team", ParentID: "about"})
	f.do(t, domain.AddPage{PageID: "alice", Name: "Alice", ParentID: "team"})
	f.do(t, domain.AddPage{PageID: "jobs", Name: "Jobs", ParentID: "about", Slug: "jobs"})
	return f
}

func ptIDs(pages []*domain.TreePageDocument) []string {
	out := []string{}
	for _, p := range pages {
		out = append(out, p.PageID)
	}
	return out
}

func TestPageTreeRejections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cmd  domain.PageTreeCommand
		kind error
		code string
		path string
	}{
		{"add without id", domain.AddPage{Name: "X"}, domain.ErrInvalid, "invalid_page_id", "/pageId"},
		{"add bad id", domain.AddPage{PageID: "a b", Name: "X"}, domain.ErrInvalid, "invalid_page_id", "/pageId"},
		{"add existing", domain.AddPage{PageID: "home", Name: "X"}, domain.ErrConflict, "page_exists", "/pageId"},
		{"add without name", domain.AddPage{PageID: "p", Name: " "}, domain.ErrInvalid, "invalid_name", "/name"},
		{"add under missing parent", domain.AddPage{PageID: "p", Name: "X", ParentID: "ghost"}, domain.ErrNotFound, "page_not_found", "/parentId"},
		{"add taken slug", domain.AddPage{PageID: "p", Name: "X", Slug: "home"}, domain.ErrConflict, "slug_taken", "/slug"},
		{"add uppercase slug", domain.AddPage{PageID: "p", Name: "X", Slug: "Home"}, domain.ErrInvalid, "invalid_slug", "/slug"},
		{"add slug with space", domain.AddPage{PageID: "p", Name: "X", Slug: "a b"}, domain.ErrInvalid, "invalid_slug", "/slug"},
		{"add slug too long", domain.AddPage{PageID: "p", Name: "X", Slug: strings.Repeat("a", 65)}, domain.ErrInvalid, "invalid_slug", "/slug"},
		{"add bad index", domain.AddPage{PageID: "p", Name: "X", Index: "a0 "}, domain.ErrInvalid, "invalid_index", "/index"},
		{"rename missing", domain.RenameTreePage{PageID: "ghost", Name: "X"}, domain.ErrNotFound, "page_not_found", "/pages/ghost"},
		{"rename without id", domain.RenameTreePage{Name: "X"}, domain.ErrInvalid, "required", "/pageId"},
		{"rename without name", domain.RenameTreePage{PageID: "home", Name: ""}, domain.ErrInvalid, "invalid_name", "/name"},
		{"rename to taken slug", domain.RenameTreePage{PageID: "home", Name: "Home", Slug: "about"}, domain.ErrConflict, "slug_taken", "/slug"},
		{"rename to bad slug", domain.RenameTreePage{PageID: "home", Name: "Home", Slug: "-_-"}, domain.ErrInvalid, "invalid_slug", "/slug"},
		{"move missing", domain.MoveTreePage{PageID: "ghost"}, domain.ErrNotFound, "page_not_found", "/pages/ghost"},
		{"move under missing parent", domain.MoveTreePage{PageID: "home", ParentID: "ghost"}, domain.ErrNotFound, "page_not_found", "/parentId"},
		{"move into itself", domain.MoveTreePage{PageID: "about", ParentID: "about"}, domain.ErrConflict, "cycle", "/parentId"},
		{"move into own subtree", domain.MoveTreePage{PageID: "about", ParentID: "alice"}, domain.ErrConflict, "cycle", "/parentId"},
		{"move bad index", domain.MoveTreePage{PageID: "home", Index: "zz"}, domain.ErrInvalid, "invalid_index", "/index"},
		{"delete missing", domain.DeleteTreePage{PageID: "ghost"}, domain.ErrNotFound, "page_not_found", "/pages/ghost"},
		{"delete without id", domain.DeleteTreePage{}, domain.ErrInvalid, "required", "/pageId"},
		{"nil command", nil, domain.ErrInvalid, "unknown_op", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := ptSetup(t)
			before := pgJSON(t, f.t)
			evs, err := f.t.Decide(tt.cmd, f.env)
			requireDomainError(t, err, tt.kind, tt.code, tt.path)
			require.Nil(t, evs)
			require.Equal(t, before, pgJSON(t, f.t))
		})
	}
}

func TestPageTreeAdd(t *testing.T) {
	t.Parallel()
	f := ptSetup(t)
	doc := f.t.Document()
	require.Equal(t, []string{"home", "about"}, ptIDs(doc.Pages))
	require.Equal(t, []string{"team", "jobs"}, ptIDs(doc.Pages[1].Children))
	require.Equal(t, []string{"alice"}, ptIDs(doc.Pages[1].Children[0].Children))
	require.Equal(t, "home", f.t.Pages["home"].Slug)

	// Derived slugs are made unique; explicit ones must be free.
	f.do(t, domain.AddPage{PageID: "home2", Name: "Home"})
	require.Equal(t, "home-2", f.t.Pages["home2"].Slug)
	f.do(t, domain.AddPage{PageID: "home3", Name: "HOME!"})
	require.Equal(t, "home-3", f.t.Pages["home3"].Slug)
	f.do(t, domain.AddPage{PageID: "x", Name: "Über Café — 2025 Plans"})
	require.Equal(t, "ber-caf-2025-plans", f.t.Pages["x"].Slug)
	f.do(t, domain.AddPage{PageID: "y", Name: "日本語"})
	require.Equal(t, "page", f.t.Pages["y"].Slug)
	f.do(t, domain.AddPage{PageID: "long", Name: strings.Repeat("word ", 40)})
	require.LessOrEqual(t, len(f.t.Pages["long"].Slug), 64)
	f.do(t, domain.AddPage{PageID: "long2", Name: strings.Repeat("word ", 40)})
	require.LessOrEqual(t, len(f.t.Pages["long2"].Slug), 64)
	require.True(t, strings.HasSuffix(f.t.Pages["long2"].Slug, "-2"))

	// An explicit index places the page; a colliding one is repaired.
	k, err := domain.KeyBetween("", f.t.Pages["home"].Index)
	require.NoError(t, err)
	f.do(t, domain.AddPage{PageID: "first", Name: "First", Index: k})
	require.Equal(t, "first", f.t.Document().Pages[0].PageID)
	evs := f.do(t, domain.AddPage{PageID: "dup", Name: "Dup", Index: k})
	require.Greater(t, evs[0].(*domain.TreePageAdded).Index, k)
	require.Equal(t, []string{"first", "dup", "home"}, ptIDs(f.t.Document().Pages)[:3])
}

func TestSlugFromName(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"Home":              "home",
		"  About us  ":      "about-us",
		"Sales / Q3 report": "sales-q3-report",
		"---":               "page",
		"":                  "page",
		"a--b":              "a-b",
		"Ünïcödé":           "n-c-d",
	}
	for in, want := range tests {
		require.Equal(t, want, domain.SlugFromName(in), in)
	}
}

func TestPageTreeRenameMoveDelete(t *testing.T) {
	t.Parallel()
	f := ptSetup(t)
	f.do(t, domain.RenameTreePage{PageID: "about", Name: "About us"})
	require.Equal(t, "About us", f.t.Pages["about"].Name)
	require.Equal(t, "about", f.t.Pages["about"].Slug, "an empty slug keeps the route")
	f.do(t, domain.RenameTreePage{PageID: "about", Name: "About us", Slug: "about-us"})
	require.Equal(t, "about-us", f.t.Pages["about"].Slug)
	f.do(t, domain.RenameTreePage{PageID: "about", Name: "About", Slug: "about-us"})
	require.Equal(t, "about-us", f.t.Pages["about"].Slug, "keeping its own slug is not a conflict")

	f.do(t, domain.MoveTreePage{PageID: "alice", ParentID: ""})
	require.Equal(t, []string{"home", "about", "alice"}, ptIDs(f.t.Document().Pages))
	f.do(t, domain.MoveTreePage{PageID: "team", ParentID: "alice"})
	require.Equal(t, "alice", f.t.Pages["team"].ParentID)
	// Reorder with a colliding key: placed between the colliding sibling and the next.
	evs := f.do(t, domain.MoveTreePage{PageID: "alice", Index: f.t.Pages["home"].Index})
	idx := evs[0].(*domain.TreePageMoved).Index
	require.Greater(t, idx, f.t.Pages["home"].Index)
	require.Less(t, idx, f.t.Pages["about"].Index)
	require.Equal(t, []string{"home", "alice", "about"}, ptIDs(f.t.Document().Pages))

	evs = f.do(t, domain.DeleteTreePage{PageID: "alice"})
	del := evs[0].(*domain.TreePagesDeleted)
	require.Equal(t, []string{"alice", "team"}, del.PageIDs)
	require.NotContains(t, f.t.Pages, "team")
	require.Equal(t, []string{"home", "about"}, ptIDs(f.t.Document().Pages))
	// The deleted page's slug is free again.
	f.do(t, domain.AddPage{PageID: "alice2", Name: "Alice"})
	require.Equal(t, "alice", f.t.Pages["alice2"].Slug)
}

func TestPageTreeFoldCloneJSONAndCodec(t *testing.T) {
	t.Parallel()
	f := ptSetup(t)
	f.do(t, domain.RenameTreePage{PageID: "home", Name: "Start", Slug: "start"})
	f.do(t, domain.MoveTreePage{PageID: "jobs", ParentID: "team"})
	f.do(t, domain.DeleteTreePage{PageID: "alice"})

	require.Equal(t, f.t, domain.FoldPageTree(f.events))
	require.Equal(t, int64(len(f.events)), f.t.Version)
	require.True(t, f.t.Exists())
	require.False(t, (&domain.PageTree{}).Exists())

	c := f.t.Clone()
	c.Pages["home"].Name = "changed"
	c.Apply(&domain.TreePagesDeleted{PageID: "about", PageIDs: []string{"about"}})
	require.Equal(t, domain.FoldPageTree(f.events), f.t)

	var back domain.PageTree
	require.NoError(t, json.Unmarshal([]byte(pgJSON(t, f.t)), &back))
	require.Equal(t, f.t, &back)

	seen := map[string]bool{}
	for _, e := range f.events {
		typ, data, v, err := domain.Encode(e)
		require.NoError(t, err)
		got, err := domain.Decode(typ, v, data)
		require.NoError(t, err)
		require.Equal(t, e, got)
		seen[typ] = true
	}
	for _, typ := range []string{"pagetree.page_added", "pagetree.page_renamed", "pagetree.page_moved", "pagetree.pages_deleted"} {
		require.True(t, seen[typ], typ)
	}

	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(pgJSON(t, f.t.Document())), &raw))
	pages := raw["pages"].([]any)
	require.Len(t, pages, 2)
	first := pages[0].(map[string]any)
	for _, k := range []string{"pageId", "name", "slug", "index", "children"} {
		require.Contains(t, first, k)
	}
	require.JSONEq(t, `{"version":0,"pages":[]}`, pgJSON(t, (&domain.PageTree{}).Document()))
}
