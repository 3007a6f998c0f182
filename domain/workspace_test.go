package domain_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
)

func TestParseRole(t *testing.T) {
	t.Parallel()
	for _, r := range domain.Roles() {
		got, err := domain.ParseRole(string(r))
		require.NoError(t, err)
		require.Equal(t, r, got)
	}
	for _, s := range []string{"", "Owner", "admin", " viewer", "owner "} {
		_, err := domain.ParseRole(s)
		requireDomainErr(t, err, domain.ErrInvalid, "invalid_role", "/role")
	}
}

func TestRoleAllows(t *testing.T) {
	t.Parallel()
	// Rows: view, run, audit, edit, manage.
	matrix := map[domain.Role][5]bool{
		domain.RoleOwner:   {true, true, true, true, true},
		domain.RoleEditor:  {true, true, true, true, false},
		domain.RoleViewer:  {true, true, false, false, false},
		domain.RoleAuditor: {true, false, true, false, false},
		"":                 {false, false, false, false, false},
		"admin":            {false, false, false, false, false},
	}
	perms := []domain.Permission{domain.PermView, domain.PermRun, domain.PermAudit, domain.PermEdit, domain.PermManage}
	require.Equal(t, perms, domain.Permissions())
	for role, want := range matrix {
		for i, p := range perms {
			require.Equal(t, want[i], role.Allows(p), "%q allows %s", role, p)
		}
		require.False(t, role.Allows("delete"), "unknown permissions are never granted")
	}
}

// newWorkspace creates workspace w1 owned by ada and applies cmds, returning the state and log.
func newWorkspace(t *testing.T, cmds ...domain.WorkspaceCommand) (*domain.Workspace, []domain.Event) {
	t.Helper()
	w := &domain.Workspace{}
	var log []domain.Event
	for _, c := range append([]domain.WorkspaceCommand{domain.CreateWorkspace{WorkspaceID: "w1", Name: "Sales", OwnerID: "ada"}}, cmds...) {
		evs, err := w.Decide(c, testEnv())
		require.NoError(t, err, "%T", c)
		for _, e := range evs {
			w.Apply(e)
		}
		log = append(log, evs...)
	}
	return w, log
}

func TestWorkspaceDecideRejections(t *testing.T) {
	t.Parallel()
	live := func(t *testing.T) *domain.Workspace {
		w, _ := newWorkspace(t, domain.SetMember{UserID: "bob", Role: domain.RoleEditor})
		return w
	}
	deleted := func(t *testing.T) *domain.Workspace { w, _ := newWorkspace(t, domain.DeleteWorkspace{}); return w }
	missing := func(*testing.T) *domain.Workspace { return &domain.Workspace{} }
	full := func(*testing.T) *domain.Workspace {
		w := &domain.Workspace{ID: "w1", Name: "Big", Members: map[string]domain.Role{}, Version: 1}
		for i := range domain.MaxMembers {
			w.Members[fmt.Sprintf("user%04d", i)] = domain.RoleViewer
		}
		w.Members["user0000"] = domain.RoleOwner
		return w
	}
	cases := []struct {
		name  string
		state func(*testing.T) *domain.Workspace
		cmd   domain.WorkspaceCommand
		kind  error
		code  string
		path  string
	}{
		{"create existing", live, domain.CreateWorkspace{WorkspaceID: "w1", Name: "X", OwnerID: "ada"}, domain.ErrConflict, "exists", ""},
		{"create over deleted", deleted, domain.CreateWorkspace{WorkspaceID: "w1", Name: "X", OwnerID: "ada"}, domain.ErrConflict, "exists", ""},
		{"create bad id", missing, domain.CreateWorkspace{WorkspaceID: "w/1", Name: "X", OwnerID: "ada"}, domain.ErrInvalid, "invalid_id", "/workspaceId"},
		{"create blank name", missing, domain.CreateWorkspace{WorkspaceID: "w1", Name: " ", OwnerID: "ada"}, domain.ErrInvalid, "invalid_name", "/name"},
		{"create no owner", missing, domain.CreateWorkspace{WorkspaceID: "w1", Name: "X"}, domain.ErrInvalid, "invalid_username", "/ownerId"},
		{"create bad owner", missing, domain.CreateWorkspace{WorkspaceID: "w1", Name: "X", OwnerID: "Ada"}, domain.ErrInvalid, "invalid_username", "/ownerId"},
		{"rename missing", missing, domain.RenameWorkspace{Name: "X"}, domain.ErrNotFound, "workspace_not_found", ""},
		{"rename deleted", deleted, domain.RenameWorkspace{Name: "X"}, domain.ErrNotFound, "workspace_not_found", ""},
		{"rename long", live, domain.RenameWorkspace{Name: strings.Repeat("x", 101)}, domain.ErrInvalid, "invalid_name", "/name"},
		{"set member of deleted", deleted, domain.SetMember{UserID: "cyd", Role: domain.RoleViewer}, domain.ErrNotFound, "workspace_not_found", ""},
		{"set member bad user", live, domain.SetMember{UserID: "c.y", Role: domain.RoleViewer}, domain.ErrInvalid, "invalid_username", "/userId"},
		{"set member bad role", live, domain.SetMember{UserID: "cyd", Role: "admin"}, domain.ErrInvalid, "invalid_role", "/role"},
		{"set member no role", live, domain.SetMember{UserID: "cyd"}, domain.ErrInvalid, "invalid_role", "/role"},
		{"demote last owner", live, domain.SetMember{UserID: "ada", Role: domain.RoleEditor}, domain.ErrConflict, "last_owner", "/role"},
		{"too many members", full, domain.SetMember{UserID: "newcomer", Role: domain.RoleViewer}, domain.ErrConflict, "too_many_members", ""},
		{"remove unknown", live, domain.RemoveMember{UserID: "cyd"}, domain.ErrNotFound, "member_not_found", "/userId"},
		{"remove last owner", live, domain.RemoveMember{UserID: "ada"}, domain.ErrConflict, "last_owner", "/userId"},
		{"delete deleted", deleted, domain.DeleteWorkspace{}, domain.ErrNotFound, "workspace_not_found", ""},
		{"nil command", live, nil, domain.ErrInvalid, "unknown_command", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := tc.state(t)
			before := jsonCopy(t, w)
			evs, err := w.Decide(tc.cmd, testEnv())
			require.Nil(t, evs)
			requireDomainErr(t, err, tc.kind, tc.code, tc.path)
			require.Equal(t, before, w, "Decide must not mutate the state")
		})
	}
}

func TestWorkspaceLifecycle(t *testing.T) {
	t.Parallel()
	env := testEnv()
	w, log := newWorkspace(t)
	step := func(c domain.WorkspaceCommand) []domain.Event {
		t.Helper()
		before := jsonCopy(t, w)
		evs, err := w.Decide(c, env)
		require.NoError(t, err)
		require.Equal(t, before, w, "Decide must not mutate the state")
		for _, e := range evs {
			w.Apply(e)
		}
		log = append(log, evs...)
		return evs
	}
	require.True(t, w.Exists())
	require.Equal(t, map[string]domain.Role{"ada": domain.RoleOwner}, w.Members, "the creator is the owner")
	require.Equal(t, env.Now, w.CreatedAt)
	role, ok := w.RoleOf("ada")
	require.True(t, ok)
	require.Equal(t, domain.RoleOwner, role)
	_, ok = w.RoleOf("bob")
	require.False(t, ok)

	require.Len(t, step(domain.RenameWorkspace{Name: " Sales EU "}), 1)
	require.Equal(t, "Sales EU", w.Name)
	require.Empty(t, step(domain.RenameWorkspace{Name: "Sales EU"}))

	require.Equal(t, []domain.Event{&domain.WorkspaceMemberAdded{UserID: "bob", Role: domain.RoleEditor, At: env.Now}},
		step(domain.SetMember{UserID: "bob", Role: domain.RoleEditor}))
	require.Empty(t, step(domain.SetMember{UserID: "bob", Role: domain.RoleEditor}), "an unchanged role yields nothing")
	step(domain.SetMember{UserID: "cyd", Role: domain.RoleAuditor})

	// Ownership moves: promote bob, then ada may step down and leave.
	require.Equal(t, []domain.Event{&domain.WorkspaceMemberRoleChanged{UserID: "bob", Role: domain.RoleOwner, Previous: domain.RoleEditor, At: env.Now}},
		step(domain.SetMember{UserID: "bob", Role: domain.RoleOwner}))
	step(domain.SetMember{UserID: "ada", Role: domain.RoleViewer})
	_, err := w.Decide(domain.SetMember{UserID: "bob", Role: domain.RoleViewer}, env)
	requireDomainErr(t, err, domain.ErrConflict, "last_owner", "/role")
	require.Equal(t, []domain.Event{&domain.WorkspaceMemberRemoved{UserID: "ada", At: env.Now}}, step(domain.RemoveMember{UserID: "ada"}))
	require.Equal(t, map[string]domain.Role{"bob": domain.RoleOwner, "cyd": domain.RoleAuditor}, w.Members)
	requireJSONRoundTrip(t, w)

	step(domain.DeleteWorkspace{})
	require.False(t, w.Exists())
	_, ok = w.RoleOf("bob")
	require.False(t, ok, "nobody has a role in a deleted workspace")
	require.EqualValues(t, 8, w.Version)

	folded := domain.FoldWorkspace(log)
	require.Equal(t, w, folded)
	requireJSONRoundTrip(t, folded)
	requireJSONRoundTrip(t, &domain.Workspace{})
}

func TestWorkspaceMemberLimit(t *testing.T) {
	t.Parallel()
	w := &domain.Workspace{ID: "w1", Name: "Big", Members: map[string]domain.Role{}, Version: 1}
	for i := range domain.MaxMembers {
		w.Members[fmt.Sprintf("user%04d", i)] = domain.RoleViewer
	}
	w.Members["user0000"] = domain.RoleOwner
	evs, err := w.Decide(domain.SetMember{UserID: "user0001", Role: domain.RoleEditor}, testEnv())
	require.NoError(t, err, "members of a full workspace can still change roles")
	require.Len(t, evs, 1)
	evs, err = w.Decide(domain.RemoveMember{UserID: "user0002"}, testEnv())
	require.NoError(t, err)
	w.Apply(evs[0])
	_, err = w.Decide(domain.SetMember{UserID: "newcomer", Role: domain.RoleViewer}, testEnv())
	require.NoError(t, err, "removing a member frees a place")
}

func TestWorkspaceAI(t *testing.T) {
	t.Parallel()
	w := &domain.Workspace{}
	env := domain.Env{Now: time.Now(), Actor: "ada"}
	do := func(c domain.WorkspaceCommand) ([]domain.Event, error) {
		evs, err := w.Decide(c, env)
		for _, e := range evs {
			w.Apply(e)
		}
		return evs, err
	}
	_, err := do(domain.CreateWorkspace{WorkspaceID: "w1", Name: "Sales", OwnerID: "ada"})
	require.NoError(t, err)
	evs, err := do(domain.SetWorkspaceAI{})
	require.NoError(t, err)
	require.Empty(t, evs, "removing a missing configuration changes nothing")

	ai := &domain.WorkspaceAI{BaseURL: "http://127.0.0.1:9/v1", Model: "local", MaxTokens: 256, APIKeySealed: "sealed"}
	_, err = do(domain.SetWorkspaceAI{AI: ai})
	require.NoError(t, err)
	ai.Model = "changed"
	require.Equal(t, "local", w.AI.Model, "state does not share the command's value")

	for _, tc := range []struct {
		ai         domain.WorkspaceAI
		code, path string
	}{
		{domain.WorkspaceAI{BaseURL: "ftp://x", Model: "m"}, "invalid_url", "/ai/baseUrl"},
		{domain.WorkspaceAI{BaseURL: "https://x", Model: " "}, "invalid_model", "/ai/model"},
		{domain.WorkspaceAI{BaseURL: "https://x", Model: "m", MaxTokens: -1}, "invalid_max_tokens", "/ai/maxTokens"},
	} {
		_, err := do(domain.SetWorkspaceAI{AI: &tc.ai})
		requireDomainErr(t, err, domain.ErrInvalid, tc.code, tc.path)
	}
	_, err = do(domain.SetWorkspaceAI{})
	require.NoError(t, err)
	require.Nil(t, w.AI)
}

func TestWorkspaceEventsCodec(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	events := []domain.Event{
		&domain.WorkspaceCreated{WorkspaceID: "w1", Name: "Sales", OwnerID: "ada", At: at},
		&domain.WorkspaceRenamed{Name: "Sales EU", At: at},
		&domain.WorkspaceMemberAdded{UserID: "bob", Role: domain.RoleEditor, At: at},
		&domain.WorkspaceMemberRoleChanged{UserID: "bob", Role: domain.RoleOwner, Previous: domain.RoleEditor, At: at},
		&domain.WorkspaceMemberRemoved{UserID: "bob", At: at},
		&domain.WorkspaceDeleted{At: at},
		&domain.WorkspaceAISet{AI: &domain.WorkspaceAI{BaseURL: "https://ai.example.com/v1", Model: "gpt-x", MaxTokens: 500, APIKeySealed: "v1.x"}},
		&domain.WorkspaceAISet{},
	}
	requireCoversPrefix(t, "workspace.", events)
	requireCodecRoundTrip(t, events)
	require.Equal(t, "workspace-w1", domain.StreamWorkspace("w1"))
}
