package projections_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/projections"
)

// accessFixture appends a known history of workspaces and resources: w1 (ada's) gains bob and
// ada-b, bob becomes owner, ada-b leaves; w2 is bob's with ada as auditor; w3 is ada's and is
// deleted. App a1 is in w1, a0 in no workspace; a1 has one resource of every kind.
func accessFixture(t *testing.T, b backend) *workload {
	t.Helper()
	w := newWorkload(t, b.store, 1)
	spaces := map[string]*domain.Workspace{}
	ws := func(id string, c domain.WorkspaceCommand) {
		t.Helper()
		s := spaces[id]
		if s == nil {
			s = &domain.Workspace{}
			spaces[id] = s
		}
		evs, err := s.Decide(c, w.env)
		require.True(t, commit(w, domain.StreamWorkspace(id), s, s.Version, (*domain.Workspace).Apply, evs, err), "%T: %v", c, err)
	}
	ws("w1", domain.CreateWorkspace{WorkspaceID: "w1", Name: "One", OwnerID: "ada"})
	ws("w1", domain.SetMember{UserID: "bob", Role: domain.RoleEditor})
	ws("w1", domain.SetMember{UserID: "ada-b", Role: domain.RoleViewer})
	ws("w2", domain.CreateWorkspace{WorkspaceID: "w2", Name: "Two", OwnerID: "bob"})
	ws("w2", domain.SetMember{UserID: "ada", Role: domain.RoleAuditor})
	ws("w1", domain.SetMember{UserID: "bob", Role: domain.RoleOwner})
	ws("w1", domain.RemoveMember{UserID: "ada-b"})
	ws("w3", domain.CreateWorkspace{WorkspaceID: "w3", Name: "Three", OwnerID: "ada"})
	ws("w3", domain.SetMember{UserID: "cyd", Role: domain.RoleEditor})
	ws("w3", domain.RenameWorkspace{Name: "Gone soon"})
	ws("w3", domain.DeleteWorkspace{})

	for _, a := range []struct{ id, ws string }{{"a1", "w1"}, {"a0", ""}} {
		app := &domain.App{}
		evs, err := app.Decide(domain.CreateApp{AppID: a.id, Name: "App", WorkspaceID: a.ws}, w.env)
		require.True(t, commit(w, domain.StreamApp(a.id), app, 0, (*domain.App).Apply, evs, err))
		evs, err = app.Decide(domain.RenameApp{Name: "Renamed"}, w.env)
		require.True(t, commit(w, domain.StreamApp(a.id), app, app.Version, (*domain.App).Apply, evs, err))
	}
	page := &domain.Page{}
	evs, err := page.Decide(domain.CreatePage{PageID: "p1", AppID: "a1", Name: "Home"}, w.env)
	require.True(t, commit(w, domain.StreamPage("p1"), page, 0, (*domain.Page).Apply, evs, err))
	evs, err = page.Decide(domain.InsertNode{Type: "Text"}, w.env)
	require.True(t, commit(w, domain.StreamPage("p1"), page, page.Version, (*domain.Page).Apply, evs, err))
	script := &domain.Script{}
	evs, err = script.Decide(domain.CreateScript{ScriptID: "s1", AppID: "a1", Name: "s1", Kind: domain.ScriptEventHandler, Language: domain.LanguageJS, Text: "x\n"}, w.env)
	require.True(t, commit(w, domain.StreamScript("s1"), script, 0, (*domain.Script).Apply, evs, err))
	schema := &domain.Schema{}
	evs, err = schema.Decide(domain.CreateSchema{SchemaID: "sc1", AppID: "a1", Name: "S", Document: json.RawMessage(`{"type":"object"}`)}, w.env)
	require.True(t, commit(w, domain.StreamSchema("sc1"), schema, 0, (*domain.Schema).Apply, evs, err))
	source := &domain.DataSource{}
	evs, err = source.Decide(domain.CreateDataSource{DataSourceID: "d1", AppID: "a1", Name: "D", Kind: domain.DataSourceStatic, Config: map[string]json.RawMessage{"data": json.RawMessage(`[]`)}}, w.env)
	require.True(t, commit(w, domain.StreamDataSource("d1"), source, 0, (*domain.DataSource).Apply, evs, err))
	query := &domain.Query{}
	evs, err = query.Decide(domain.CreateQuery{QueryID: "q1", AppID: "a1", DataSourceID: "d1", Name: "Q", Template: "GET /x"}, w.env)
	require.True(t, commit(w, domain.StreamQuery("q1"), query, 0, (*domain.Query).Apply, evs, err))
	sess := &domain.RuntimeSession{}
	ref := domain.ScriptRef{ScriptID: "s1", Version: 1}
	evs, err = sess.Decide(domain.StartRuntimeSession{SessionID: "rs1", AppID: "a1", PageID: "p1", Mode: domain.SessionPreview, PageReducer: ref, AppReducer: ref}, w.env)
	require.True(t, commit(w, domain.StreamSession("rs1"), sess, 0, (*domain.RuntimeSession).Apply, evs, err))
	return w
}

func TestAccessProjection(t *testing.T) {
	t.Parallel()
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := bk.open(t)
			accessFixture(t, b)
			p, ok := projections.ByName(projections.Access)
			require.True(t, ok)
			_, err := projections.CatchUp(ctx, b.store, b.docs, p, nil)
			require.NoError(t, err)

			memberships := func(user string) []projections.Membership {
				t.Helper()
				ms, err := projections.ReadMemberships(ctx, b.docs, user)
				require.NoError(t, err)
				return ms
			}
			requireMemberships := func() {
				t.Helper()
				require.Equal(t, []projections.Membership{{WorkspaceID: "w1", Role: domain.RoleOwner}, {WorkspaceID: "w2", Role: domain.RoleAuditor}}, memberships("ada"))
				require.Equal(t, []projections.Membership{{WorkspaceID: "w1", Role: domain.RoleOwner}, {WorkspaceID: "w2", Role: domain.RoleOwner}}, memberships("bob"))
				require.Empty(t, memberships("ada-b"), "removed members lose the workspace, and ada's prefix does not reach ada-b")
				require.Empty(t, memberships("cyd"), "a deleted workspace has no members")
				require.Empty(t, memberships("nobody"))
			}
			requireMemberships()
			_, err = projections.ReadMemberships(ctx, b.docs, "a/b")
			require.ErrorIs(t, err, projections.ErrInvalid)

			owners := map[string]projections.Owner{
				domain.StreamApp("a1"):        {AppID: "a1", WorkspaceID: "w1"},
				domain.StreamApp("a0"):        {AppID: "a0"},
				domain.StreamPage("p1"):       {AppID: "a1"},
				domain.StreamScript("s1"):     {AppID: "a1"},
				domain.StreamSchema("sc1"):    {AppID: "a1"},
				domain.StreamDataSource("d1"): {AppID: "a1"},
				domain.StreamQuery("q1"):      {AppID: "a1"},
				domain.StreamSession("rs1"):   {AppID: "a1"},
			}
			for stream, want := range owners {
				got, err := projections.ReadOwner(ctx, b.docs, stream)
				require.NoError(t, err, stream)
				require.Equal(t, want, got, stream)
			}
			for _, stream := range []string{domain.StreamApp("ghost"), domain.StreamPageTree("a1"), domain.StreamWorkspace("w1"), "", string(make([]byte, 600))} {
				_, err := projections.ReadOwner(ctx, b.docs, stream)
				require.ErrorIs(t, err, projections.ErrNotFound, "%.20q", stream)
			}

			// At-least-once delivery: every event applied again, in order and in reverse, in
			// separate transactions, changes nothing (a stale member_added must not bring back a
			// removed member, nor a stale created event a deleted workspace's owner).
			before := dump(t, b.docs, projections.Access)
			log, err := b.store.ReadAll(ctx, eventstore.ReadAllParams{Limit: 1000})
			require.NoError(t, err)
			last := log[len(log)-1].GlobalPosition
			for _, order := range [][]eventstore.Envelope{log, reversed(log)} {
				for _, e := range order {
					require.NoError(t, b.docs.Update(ctx, projections.Access, func(tx projections.DocTx) error {
						return p.Apply(ctx, tx, e)
					}, last, 0))
				}
			}
			requireSameDocs(t, projections.Access, before, dump(t, b.docs, projections.Access))
			requireMemberships()
		})
	}
}

func reversed[T any](xs []T) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[len(xs)-1-i] = x
	}
	return out
}

// TestReadMembershipsPages: a user in more workspaces than one List page returns gets them all.
func TestReadMembershipsPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := backends[1].open(t)
	w := newWorkload(t, b.store, 1)
	n := projections.MaxListLimit + 3
	for i := range n {
		id := fmt.Sprintf("w%04d", i)
		s := &domain.Workspace{}
		owner := "bob"
		if i%2 == 0 {
			owner = "ada"
		}
		evs, err := s.Decide(domain.CreateWorkspace{WorkspaceID: id, Name: "W", OwnerID: owner}, w.env)
		require.True(t, commit(w, domain.StreamWorkspace(id), s, 0, (*domain.Workspace).Apply, evs, err))
		if owner == "bob" {
			evs, err = s.Decide(domain.SetMember{UserID: "ada", Role: domain.RoleViewer}, w.env)
			require.True(t, commit(w, domain.StreamWorkspace(id), s, s.Version, (*domain.Workspace).Apply, evs, err))
		}
	}
	p, _ := projections.ByName(projections.Access)
	_, err := projections.CatchUp(ctx, b.store, b.docs, p, nil)
	require.NoError(t, err)

	ms, err := projections.ReadMemberships(ctx, b.docs, "ada")
	require.NoError(t, err)
	require.Len(t, ms, n)
	for i, m := range ms {
		want := domain.RoleOwner
		if i%2 == 1 {
			want = domain.RoleViewer
		}
		require.Equal(t, projections.Membership{WorkspaceID: fmt.Sprintf("w%04d", i), Role: want}, m)
	}
	ms, err = projections.ReadMemberships(ctx, b.docs, "bob")
	require.NoError(t, err)
	require.Len(t, ms, n/2)
}
