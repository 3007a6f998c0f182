package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/projections"
)

// workspaceAggregate stores workspaces in workspace-<id> streams.
var workspaceAggregate = aggregate[*domain.Workspace]{
	name:    "workspace",
	missing: "workspace_not_found",
	stream:  domain.StreamWorkspace,
	zero:    func() *domain.Workspace { return &domain.Workspace{} },
}

func decideWorkspace(cmds ...domain.WorkspaceCommand) func(*domain.Workspace, domain.Env) ([]domain.Event, error) {
	return decideAll[*domain.Workspace](cmds...)
}

// workspaceBody is a workspace as the API shows it, with the caller's role in it.
type workspaceBody struct {
	ID      string      `json:"id"`
	Name    string      `json:"name"`
	Role    domain.Role `json:"role,omitempty"`
	Version int64       `json:"version"`
}

// memberBody is one member of a workspace.
type memberBody struct {
	UserID string      `json:"userId"`
	Role   domain.Role `json:"role"`
}

func workspaceView(ws *domain.Workspace, role domain.Role) workspaceBody {
	return workspaceBody{ID: ws.ID, Name: ws.Name, Role: role, Version: ws.Version}
}

type createWorkspaceRequest struct {
	Name string `json:"name"`
}

// createWorkspace creates a workspace whose first owner is the caller.
func (a *api) createWorkspace(w http.ResponseWriter, r *http.Request) error {
	var req createWorkspaceRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	id := newID()
	none := int64(0)
	res, err := execute(r.Context(), a, r, command[*domain.Workspace]{
		agg: workspaceAggregate, id: id, expected: &none,
		decide: decideWorkspace(domain.CreateWorkspace{WorkspaceID: id, Name: req.Name, OwnerID: actorFrom(r.Context())}),
	})
	if err != nil {
		return err
	}
	return created(w, "/api/workspaces/"+id, workspaceView(res.state, domain.RoleOwner))
}

// listWorkspaces lists the caller's workspaces.
func (a *api) listWorkspaces(w http.ResponseWriter, r *http.Request) error {
	ms, err := projections.ReadMemberships(r.Context(), a.docs, actorFrom(r.Context()))
	if err != nil {
		return err
	}
	out := make([]workspaceBody, 0, len(ms))
	for _, m := range ms {
		ws, err := a.workspaceDoc(r.Context(), m.WorkspaceID)
		if isNotFound(err) {
			continue // deleted meanwhile
		}
		if err != nil {
			return err
		}
		out = append(out, workspaceView(ws, m.Role))
	}
	return ok(w, page[workspaceBody]{Items: out})
}

func (a *api) getWorkspace(w http.ResponseWriter, r *http.Request) error {
	ws, err := a.workspaceDoc(r.Context(), r.PathValue("workspaceID"))
	if err != nil {
		return err
	}
	return ok(w, workspaceView(ws, roleFrom(r.Context())))
}

type patchWorkspaceRequest struct {
	Name *string `json:"name"`
}

func (a *api) patchWorkspace(w http.ResponseWriter, r *http.Request) error {
	var req patchWorkspaceRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return unprocessable("empty_patch", "", "Send name.")
	}
	res, err := execute(r.Context(), a, r, command[*domain.Workspace]{
		agg: workspaceAggregate, id: r.PathValue("workspaceID"), decide: decideWorkspace(domain.RenameWorkspace{Name: *req.Name}),
	})
	if err != nil {
		return err
	}
	return ok(w, workspaceView(res.state, roleFrom(r.Context())))
}

func (a *api) deleteWorkspace(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("workspaceID")
	expected, err := queryVersion(r)
	if err != nil {
		return err
	}
	res, err := execute(r.Context(), a, r, command[*domain.Workspace]{
		agg: workspaceAggregate, id: id, expected: &expected, decide: decideWorkspace(domain.DeleteWorkspace{}),
	})
	if err != nil {
		return err
	}
	return ok(w, deletedBody{ID: id, Version: res.version, Deleted: true})
}

func (a *api) listMembers(w http.ResponseWriter, r *http.Request) error {
	ws, err := a.workspaceDoc(r.Context(), r.PathValue("workspaceID"))
	if err != nil {
		return err
	}
	out := make([]memberBody, 0, len(ws.Members))
	for id, role := range ws.Members {
		out = append(out, memberBody{UserID: id, Role: role})
	}
	slices.SortFunc(out, func(x, y memberBody) int { return strings.Compare(x.UserID, y.UserID) })
	return ok(w, page[memberBody]{Items: out})
}

type putMemberRequest struct {
	Role string `json:"role"`
}

// putMember adds a member or changes a member's role.
func (a *api) putMember(w http.ResponseWriter, r *http.Request) error {
	userID, err := pathID(r, "userID", "user")
	if err != nil {
		return err
	}
	var req putMemberRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	role, err := domain.ParseRole(req.Role)
	if err != nil {
		return err
	}
	if _, err := a.userDoc(r.Context(), userID); errors.Is(err, projections.ErrNotFound) {
		return notFound("user_not_found", "No user has the id %q.", truncate(userID, 40))
	} else if err != nil {
		return err
	}
	if _, err := execute(r.Context(), a, r, command[*domain.Workspace]{
		agg: workspaceAggregate, id: r.PathValue("workspaceID"), decide: decideWorkspace(domain.SetMember{UserID: userID, Role: role}),
	}); err != nil {
		return err
	}
	return ok(w, memberBody{UserID: userID, Role: role})
}

func (a *api) removeMember(w http.ResponseWriter, r *http.Request) error {
	userID, err := pathID(r, "userID", "user")
	if err != nil {
		return err
	}
	if _, err := execute(r.Context(), a, r, command[*domain.Workspace]{
		agg: workspaceAggregate, id: r.PathValue("workspaceID"), decide: decideWorkspace(domain.RemoveMember{UserID: userID}),
	}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
