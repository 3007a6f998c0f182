package projections_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/projections"
)

// readFixture appends a small, known history and projects it: apps a1 and a2, a page with its
// tree entry, scripts s1 and s2 of a1 (edited by ada and bob) and s3 of a2.
func readFixture(t *testing.T) (backend, *workload) {
	t.Helper()
	b := backends[1].open(t)
	w := newWorkload(t, b.store, 1)
	as := func(actor string) { w.env.Actor = actor }
	for _, id := range []string{"a1", "a2"} {
		a := &domain.App{}
		evs, err := a.Decide(domain.CreateApp{AppID: id, Name: "App " + id, WorkspaceID: "ws"}, w.env)
		require.True(t, commit(w, domain.StreamApp(id), a, 0, (*domain.App).Apply, evs, err))
	}
	p := &domain.Page{}
	evs, err := p.Decide(domain.CreatePage{PageID: "p1", AppID: "a1", Name: "Home"}, w.env)
	require.True(t, commit(w, domain.StreamPage("p1"), p, 0, (*domain.Page).Apply, evs, err))
	tree := &domain.PageTree{}
	evs, err = tree.Decide(domain.AddPage{PageID: "p1", Name: "Home"}, w.env)
	require.True(t, commit(w, domain.StreamPageTree("a1"), tree, 0, (*domain.PageTree).Apply, evs, err))

	script := func(id, app string) *domain.Script {
		s := &domain.Script{}
		evs, err := s.Decide(domain.CreateScript{ScriptID: id, AppID: app, Name: id, Kind: domain.ScriptEventHandler, Language: domain.LanguageJS, Text: "a\nb\n"}, w.env)
		require.True(t, commit(w, domain.StreamScript(id), s, 0, (*domain.Script).Apply, evs, err))
		return s
	}
	change := func(s *domain.Script, c domain.ScriptCommand) {
		evs, err := s.Decide(c, w.env)
		require.True(t, commit(w, domain.StreamScript(s.ID), s, s.Version, (*domain.Script).Apply, evs, err))
		time.Sleep(2 * time.Millisecond) // distinct event times
	}
	as("ada")
	s1 := script("s1", "a1")
	as("bob")
	s2 := script("s2", "a1")
	s3 := script("s3", "a2")
	as("ada")
	change(s1, domain.ChangeScriptText{Text: "a\nB\n"})
	as("bob")
	change(s1, domain.RenameScript{Name: "renamed"})
	change(s2, domain.ChangeScriptText{Text: "a\nb\nc\n"})
	as("ada")
	change(s1, domain.RestoreScript{Text: "a\nb\n", FromVersion: 1})
	change(s3, domain.DeleteScript{})

	for _, p := range projections.All() {
		_, err := projections.CatchUp(context.Background(), b.store, b.docs, p, nil)
		require.NoError(t, err)
	}
	return b, w
}

func TestReadHelpers(t *testing.T) {
	t.Parallel()
	b, _ := readFixture(t)
	ctx := context.Background()

	app, v, err := projections.GetApp(ctx, b.docs, "a1")
	require.NoError(t, err)
	require.Equal(t, "App a1", app.Name)
	require.EqualValues(t, 1, v)
	apps, next, err := projections.ListApps(ctx, b.docs, projections.ListParams{})
	require.NoError(t, err)
	require.Empty(t, next)
	require.Len(t, apps, 2)
	require.Equal(t, "a2", apps[1].ID)

	page, v, err := projections.GetPage(ctx, b.docs, "p1")
	require.NoError(t, err)
	require.True(t, page.Exists())
	require.Equal(t, "a1", page.AppID)
	require.EqualValues(t, 1, v)
	tree, _, err := projections.GetPageTree(ctx, b.docs, "a1")
	require.NoError(t, err)
	require.Contains(t, tree.Pages, "p1")
	_, _, err = projections.GetPage(ctx, b.docs, "nope")
	require.ErrorIs(t, err, projections.ErrNotFound)

	s, v, err := projections.GetScript(ctx, b.docs, "a1", "s1")
	require.NoError(t, err)
	require.Equal(t, "renamed", s.Name)
	require.Equal(t, "a\nb\n", s.Text)
	require.EqualValues(t, 4, v)
	byID, _, err := projections.GetScript(ctx, b.docs, "", "s1")
	require.NoError(t, err, "found through the index")
	require.Equal(t, s, byID)
	for _, c := range []struct{ app, id string }{{"a2", "s1"}, {"a1", "ghost"}, {"", "ghost"}, {"a1", "x/y"}, {"a1", ""}} {
		_, _, err = projections.GetScript(ctx, b.docs, c.app, c.id)
		require.ErrorIs(t, err, projections.ErrNotFound, "%+v", c)
	}
	scripts, next, err := projections.ListScripts(ctx, b.docs, "a1", projections.ListParams{})
	require.NoError(t, err)
	require.Empty(t, next)
	require.Len(t, scripts, 2, "index documents are not listed")
	require.Equal(t, []string{"s1", "s2"}, []string{scripts[0].ID, scripts[1].ID})
	scripts, next, err = projections.ListScripts(ctx, b.docs, "a1", projections.ListParams{Limit: 1})
	require.NoError(t, err)
	require.Len(t, scripts, 1)
	require.Equal(t, "a1/s1", next)
	_, _, err = projections.ListScripts(ctx, b.docs, "", projections.ListParams{})
	require.ErrorIs(t, err, projections.ErrInvalid)
	deleted, _, err := projections.GetScript(ctx, b.docs, "a2", "s3")
	require.NoError(t, err)
	require.False(t, deleted.Exists(), "deleted states are returned; callers check Exists")
}

func TestScriptLog(t *testing.T) {
	t.Parallel()
	b, _ := readFixture(t)
	ctx := context.Background()
	list := func(q projections.ScriptLogQuery) ([]projections.ScriptChange, string) {
		t.Helper()
		out, next, err := projections.ListScriptLog(ctx, b.docs, q)
		require.NoError(t, err)
		return out, next
	}
	summary := func(cs []projections.ScriptChange) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ScriptID+" "+c.Kind+" "+c.Author)
		}
		return out
	}

	all, next := list(projections.ScriptLogQuery{AppID: "a1"})
	require.Empty(t, next)
	require.Equal(t, []string{
		"s1 created ada", "s2 created bob", "s1 text_changed ada", "s1 renamed bob",
		"s2 text_changed bob", "s1 restored ada",
	}, summary(all))
	require.Equal(t, "--- /dev/null\n+++ s1@v1\n@@ -0,0 +1,2 @@\n+a\n+b\n", all[0].UnifiedDiff)
	require.Equal(t, "--- s1@v1\n+++ s1@v2\n@@ -1,2 +1,2 @@\n a\n-b\n+B\n", all[2].UnifiedDiff)
	require.Equal(t, "s1", all[3].PreviousName)
	require.Empty(t, all[3].UnifiedDiff, "a rename leaves the text alone")
	require.EqualValues(t, 1, all[5].RestoredFrom)
	require.Equal(t, "--- renamed@v3\n+++ renamed@v4\n@@ -1,2 +1,2 @@\n a\n-B\n+b\n", all[5].UnifiedDiff)
	require.EqualValues(t, 4, all[5].Version)

	tests := []struct {
		name string
		q    projections.ScriptLogQuery
		want []string
	}{
		{"by script", projections.ScriptLogQuery{AppID: "a1", ScriptID: "s2"}, []string{"s2 created bob", "s2 text_changed bob"}},
		{"by author", projections.ScriptLogQuery{AppID: "a1", Author: "ada"}, []string{"s1 created ada", "s1 text_changed ada", "s1 restored ada"}},
		{"by script and author", projections.ScriptLogQuery{AppID: "a1", ScriptID: "s1", Author: "bob"}, []string{"s1 renamed bob"}},
		{"from (inclusive)", projections.ScriptLogQuery{AppID: "a1", From: all[3].Time}, summary(all[3:])},
		{"to (exclusive)", projections.ScriptLogQuery{AppID: "a1", To: all[3].Time}, summary(all[:3])},
		{"from and to", projections.ScriptLogQuery{AppID: "a1", From: all[2].Time, To: all[4].Time}, summary(all[2:4])},
		{"other app", projections.ScriptLogQuery{AppID: "a2"}, []string{"s3 created bob", "s3 deleted ada"}},
		{"no such app", projections.ScriptLogQuery{AppID: "a3"}, nil},
	}
	for _, tc := range tests {
		got, _ := list(tc.q)
		require.Equal(t, tc.want, summary(got), tc.name)
	}

	// Paging, with and without a filter, visits every match once.
	for _, q := range []projections.ScriptLogQuery{{AppID: "a1", Limit: 2}, {AppID: "a1", Author: "bob", Limit: 1}} {
		var got []projections.ScriptChange
		for range 10 {
			page, next := list(q)
			require.LessOrEqual(t, len(page), q.Limit)
			got = append(got, page...)
			if next == "" {
				break
			}
			q.After = next
		}
		want, _ := list(projections.ScriptLogQuery{AppID: "a1", Author: q.Author})
		require.Equal(t, summary(want), summary(got))
	}

	_, _, err := projections.ListScriptLog(ctx, b.docs, projections.ScriptLogQuery{})
	require.ErrorIs(t, err, projections.ErrInvalid)
}
