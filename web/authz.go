package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/projections"
)

// accessKind says who may call a route.
type accessKind int

const (
	// accessPublic routes answer anyone (probes, the OpenAPI document, login, setup).
	accessPublic accessKind = iota + 1
	// accessUser routes answer any signed-in user (their own account, the component catalogue).
	accessUser
	// accessAdmin routes answer server administrators (user management).
	accessAdmin
	// accessWorkspace routes answer members of the workspace the request addresses whose role
	// grants the rule's permission.
	accessWorkspace
)

// rule is the access rule of one route. Every route in routeTable has one; the authorization
// matrix test checks each against every role, so a route added without a deliberate rule fails.
type rule struct {
	kind accessKind
	perm domain.Permission
	// scope finds the workspace a workspace rule is checked against.
	scope scopeFunc
}

// scopeFunc returns the id of the workspace a request addresses. A resource that does not exist
// is a 404 problem, the same answer a caller without access gets.
type scopeFunc func(ctx context.Context, a *api, r *http.Request) (string, error)

func public() rule    { return rule{kind: accessPublic} }
func signedIn() rule  { return rule{kind: accessUser} }
func adminOnly() rule { return rule{kind: accessAdmin} }
func member(p domain.Permission, scope scopeFunc) rule {
	return rule{kind: accessWorkspace, perm: p, scope: scope}
}

// workspaceParam scopes a request by its {workspaceID} path parameter.
func workspaceParam(_ context.Context, _ *api, r *http.Request) (string, error) {
	return pathID(r, "workspaceID", "workspace")
}

// appParam scopes a request by the workspace of the app its {appID} path parameter names.
func appParam(ctx context.Context, a *api, r *http.Request) (string, error) {
	id, err := pathID(r, "appID", "app")
	if err != nil {
		return "", err
	}
	return a.workspaceOfApp(ctx, id)
}

// resourceParam scopes a request by the app of the resource its path parameter names.
func resourceParam(param, what string, stream func(string) string) scopeFunc {
	return func(ctx context.Context, a *api, r *http.Request) (string, error) {
		id, err := pathID(r, param, what)
		if err != nil {
			return "", err
		}
		return a.workspaceOfStream(ctx, stream(id), what, id)
	}
}

// workspaceOfStream returns the workspace of a resource's stream (page, script, schema, data
// source, query, session) through its app; a resource that does not exist is a what_not_found.
func (a *api) workspaceOfStream(ctx context.Context, stream, what, id string) (string, error) {
	owner, err := projections.ReadOwner(ctx, a.docs, stream)
	if errors.Is(err, projections.ErrNotFound) {
		return "", notFound(what+"_not_found", "No %s has the id %q.", what, truncate(id, 40))
	}
	if err != nil {
		return "", fmt.Errorf("find the app of %s %s: %w", what, id, err)
	}
	return a.workspaceOfApp(ctx, owner.AppID)
}

// workspaceOfApp returns the workspace an app belongs to.
func (a *api) workspaceOfApp(ctx context.Context, appID string) (string, error) {
	owner, err := projections.ReadOwner(ctx, a.docs, domain.StreamApp(appID))
	if errors.Is(err, projections.ErrNotFound) || (err == nil && owner.WorkspaceID == "") {
		return "", notFound("app_not_found", "No app has the id %q.", truncate(appID, 40))
	}
	if err != nil {
		return "", fmt.Errorf("find the workspace of app %s: %w", appID, err)
	}
	return owner.WorkspaceID, nil
}

// roleKey carries the caller's role in the workspace a request addresses.
type roleKey struct{}

// roleFrom returns the caller's role in the request's workspace ("" outside workspace routes).
func roleFrom(ctx context.Context) domain.Role {
	r, _ := ctx.Value(roleKey{}).(domain.Role)
	return r
}

// authorize enforces rl before h runs. It runs after authentication (see authenticate), so the
// principal, if any, is in the context.
func (a *api) authorize(rl rule, h http.Handler) http.Handler {
	return serveAPI(a.log, func(w http.ResponseWriter, r *http.Request) error {
		if rl.kind == accessPublic {
			h.ServeHTTP(w, r)
			return nil
		}
		p := principalFrom(r.Context())
		if p == nil {
			return unauthenticated(r)
		}
		switch rl.kind {
		case accessUser:
		case accessAdmin:
			if !p.admin {
				return forbidden("This needs a server administrator.")
			}
		case accessWorkspace:
			if a.store == nil || a.docs == nil {
				return errNotConfigured
			}
			ws, err := rl.scope(r.Context(), a, r)
			if err != nil {
				return err
			}
			role, err := a.roleIn(r.Context(), ws, p.userID)
			if err != nil {
				return err
			}
			if !role.Allows(rl.perm) {
				return forbidden("Your role in this workspace (%s) does not allow this.", role)
			}
			r = r.WithContext(context.WithValue(r.Context(), roleKey{}, role))
		default:
			return fmt.Errorf("route %s %s has no access rule", r.Method, r.URL.Path)
		}
		h.ServeHTTP(w, r)
		return nil
	})
}

// roleIn returns the user's role in a workspace. Outsiders get the 404 a missing workspace gets,
// so that ids reveal nothing to them.
func (a *api) roleIn(ctx context.Context, workspaceID, userID string) (domain.Role, error) {
	ws, err := a.workspaceDoc(ctx, workspaceID)
	if err != nil {
		return "", err
	}
	role, ok := ws.RoleOf(userID)
	if !ok {
		return "", workspaceNotFound(workspaceID)
	}
	return role, nil
}

func workspaceNotFound(id string) error {
	return notFound("workspace_not_found", "No workspace has the id %q.", truncate(id, 40))
}

// errNotConfigured answers the API routes of a server built only for its probes.
var errNotConfigured = newAPIError(http.StatusServiceUnavailable, "not_configured", "", "This server has no event store or projection store configured.")

func forbidden(format string, args ...any) error {
	return newAPIError(http.StatusForbidden, "forbidden", "", format, args...)
}
