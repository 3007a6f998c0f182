package domain

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is a member's role in a workspace.
type Role string

const (
	RoleOwner   Role = "owner"
	RoleEditor  Role = "editor"
	RoleViewer  Role = "viewer"
	RoleAuditor Role = "auditor"
)

// Roles lists every role, most powerful first.
func Roles() []Role { return []Role{RoleOwner, RoleEditor, RoleViewer, RoleAuditor} }

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	if r := Role(s); slices.Contains(Roles(), r) {
		return r, nil
	}
	return "", invalid("invalid_role", "/role", "role must be owner, editor, viewer or auditor")
}

// Permission is what a role may do in its workspace's apps.
type Permission string

const (
	// PermView: read an app, its page tree and page documents.
	PermView Permission = "view"
	// PermRun: run apps.
	PermRun Permission = "run"
	// PermAudit: read history, versions, diffs, scripts, schemas, data sources without secrets,
	// queries, the script change log and recorded runtime activity.
	PermAudit Permission = "audit"
	// PermEdit: change pages, the page tree, scripts, schemas, data sources, queries and app
	// settings; create apps.
	PermEdit Permission = "edit"
	// PermManage: manage members and workspace settings, delete the workspace or an app.
	PermManage Permission = "manage"
)

// Permissions lists every permission.
func Permissions() []Permission {
	return []Permission{PermView, PermRun, PermAudit, PermEdit, PermManage}
}

// Allows reports whether the role grants p. The table: auditors read everything but run and
// change nothing; viewers use apps without seeing their insides.
func (r Role) Allows(p Permission) bool {
	var granted []Permission
	switch r {
	case RoleOwner:
		granted = []Permission{PermView, PermRun, PermAudit, PermEdit, PermManage}
	case RoleEditor:
		granted = []Permission{PermView, PermRun, PermAudit, PermEdit}
	case RoleViewer:
		granted = []Permission{PermView, PermRun}
	case RoleAuditor:
		granted = []Permission{PermView, PermAudit}
	}
	return slices.Contains(granted, p)
}

// Workspace groups apps and the users who may work on them.
type Workspace struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Members maps user ids to roles. There is always at least one owner.
	Members map[string]Role `json:"members"`
	// AI is the OpenAI-compatible endpoint workflows' ai.complete calls; nil: not configured.
	AI        *WorkspaceAI `json:"ai,omitempty"`
	Deleted   bool         `json:"deleted"`
	CreatedAt time.Time    `json:"createdAt"`
	Version   int64        `json:"version"`
}

// MaxMembers bounds a workspace's members.
const MaxMembers = 1000

// WorkspaceCommand is a command on a Workspace.
type WorkspaceCommand interface{ workspaceCommand() }

// CreateWorkspace creates a workspace owned by OwnerID (the caller checks that the user exists).
type CreateWorkspace struct {
	WorkspaceID string `json:"workspaceId"`
	Name        string `json:"name"`
	OwnerID     string `json:"ownerId"`
}

type RenameWorkspace struct {
	Name string `json:"name"`
}

// SetMember adds a member or changes a member's role (the caller checks that the user exists).
type SetMember struct {
	UserID string `json:"userId"`
	Role   Role   `json:"role"`
}

type RemoveMember struct {
	UserID string `json:"userId"`
}

type DeleteWorkspace struct{}

func (CreateWorkspace) workspaceCommand() {}
func (RenameWorkspace) workspaceCommand() {}
func (SetMember) workspaceCommand()       {}
func (RemoveMember) workspaceCommand()    {}
func (DeleteWorkspace) workspaceCommand() {}
func (SetWorkspaceAI) workspaceCommand()  {}

// WorkspaceAI configures the AI endpoint of a workspace. APIKeySealed is sealed by the caller
// (the API never shows it).
type WorkspaceAI struct {
	BaseURL      string `json:"baseUrl"`
	Model        string `json:"model"`
	MaxTokens    int    `json:"maxTokens,omitempty"`
	APIKeySealed string `json:"apiKeySealed,omitempty"`
}

// MaxAITokensCap bounds WorkspaceAI.MaxTokens, the ceiling of one completion's max_tokens.
const MaxAITokensCap = 100_000

// SetWorkspaceAI replaces the AI configuration; nil removes it.
type SetWorkspaceAI struct {
	AI *WorkspaceAI `json:"ai"`
}

type WorkspaceAISet struct {
	AI *WorkspaceAI `json:"ai"`
}

type WorkspaceCreated struct {
	WorkspaceID string    `json:"workspaceId"`
	Name        string    `json:"name"`
	OwnerID     string    `json:"ownerId"`
	At          time.Time `json:"at"`
}

type WorkspaceRenamed struct {
	Name string    `json:"name"`
	At   time.Time `json:"at"`
}

type WorkspaceMemberAdded struct {
	UserID string    `json:"userId"`
	Role   Role      `json:"role"`
	At     time.Time `json:"at"`
}

type WorkspaceMemberRoleChanged struct {
	UserID   string    `json:"userId"`
	Role     Role      `json:"role"`
	Previous Role      `json:"previous"`
	At       time.Time `json:"at"`
}

type WorkspaceMemberRemoved struct {
	UserID string    `json:"userId"`
	At     time.Time `json:"at"`
}

type WorkspaceDeleted struct {
	At time.Time `json:"at"`
}

func (*WorkspaceCreated) EventType() string           { return "workspace.created" }
func (*WorkspaceRenamed) EventType() string           { return "workspace.renamed" }
func (*WorkspaceMemberAdded) EventType() string       { return "workspace.member_added" }
func (*WorkspaceMemberRoleChanged) EventType() string { return "workspace.member_role_changed" }
func (*WorkspaceMemberRemoved) EventType() string     { return "workspace.member_removed" }
func (*WorkspaceDeleted) EventType() string           { return "workspace.deleted" }
func (*WorkspaceAISet) EventType() string             { return "workspace.ai_set" }

// workspaceEvents lists the events of the Workspace aggregate.
var workspaceEvents = []eventDef{
	{event: &WorkspaceCreated{}},
	{event: &WorkspaceRenamed{}},
	{event: &WorkspaceMemberAdded{}},
	{event: &WorkspaceMemberRoleChanged{}},
	{event: &WorkspaceMemberRemoved{}},
	{event: &WorkspaceDeleted{}},
	{event: &WorkspaceAISet{}},
}

// Exists reports whether the workspace was created and not deleted.
func (w *Workspace) Exists() bool { return w.ID != "" && !w.Deleted }

// RoleOf returns a member's role; false for non-members and in a workspace that does not exist.
func (w *Workspace) RoleOf(userID string) (Role, bool) {
	if !w.Exists() {
		return "", false
	}
	r, ok := w.Members[userID]
	return r, ok
}

// owners counts the members with RoleOwner.
func (w *Workspace) owners() int {
	n := 0
	for _, r := range w.Members {
		if r == RoleOwner {
			n++
		}
	}
	return n
}

// Apply evolves the state by one event of its stream (every event counts towards Version).
func (w *Workspace) Apply(e Event) {
	w.Version++
	switch e := e.(type) {
	case *WorkspaceCreated:
		w.ID, w.Name, w.CreatedAt = e.WorkspaceID, e.Name, e.At
		w.Members = map[string]Role{e.OwnerID: RoleOwner}
	case *WorkspaceRenamed:
		w.Name = e.Name
	case *WorkspaceMemberAdded:
		if w.Members == nil {
			w.Members = map[string]Role{}
		}
		w.Members[e.UserID] = e.Role
	case *WorkspaceMemberRoleChanged:
		if w.Members == nil {
			w.Members = map[string]Role{}
		}
		w.Members[e.UserID] = e.Role
	case *WorkspaceMemberRemoved:
		delete(w.Members, e.UserID)
	case *WorkspaceDeleted:
		w.Deleted = true
	case *WorkspaceAISet:
		if e.AI == nil {
			w.AI = nil
		} else {
			ai := *e.AI
			w.AI = &ai
		}
	}
}

// FoldWorkspace folds a workspace stream into its state.
func FoldWorkspace(events []Event) *Workspace { return fold[Workspace](events) }

// Decide validates c against the state and returns the events to append. A command that would
// change nothing (a member's current role) yields no events and no error. Invariant: a workspace
// always keeps an owner.
func (w *Workspace) Decide(c WorkspaceCommand, env Env) ([]Event, error) {
	now := env.Now.UTC()
	if cr, ok := c.(CreateWorkspace); ok {
		if w.Version > 0 {
			return nil, conflict("exists", "", "workspace %q already exists", w.ID)
		}
		if err := checkID("/workspaceId", cr.WorkspaceID); err != nil {
			return nil, err
		}
		name, err := checkName("/name", cr.Name)
		if err != nil {
			return nil, err
		}
		if err := checkUsername("/ownerId", cr.OwnerID); err != nil {
			return nil, err
		}
		return []Event{&WorkspaceCreated{WorkspaceID: cr.WorkspaceID, Name: name, OwnerID: cr.OwnerID, At: now}}, nil
	}
	if !w.Exists() {
		return nil, notFound("workspace_not_found", "", "workspace not found")
	}
	switch c := c.(type) {
	case RenameWorkspace:
		name, err := checkName("/name", c.Name)
		if err != nil {
			return nil, err
		}
		if name == w.Name {
			return nil, nil
		}
		return []Event{&WorkspaceRenamed{Name: name, At: now}}, nil
	case SetMember:
		if err := checkUsername("/userId", c.UserID); err != nil {
			return nil, err
		}
		role, err := ParseRole(string(c.Role))
		if err != nil {
			return nil, err
		}
		prev, isMember := w.Members[c.UserID]
		switch {
		case !isMember && len(w.Members) >= MaxMembers:
			return nil, conflict("too_many_members", "", "a workspace has at most %d members", MaxMembers)
		case !isMember:
			return []Event{&WorkspaceMemberAdded{UserID: c.UserID, Role: role, At: now}}, nil
		case prev == role:
			return nil, nil
		case prev == RoleOwner && w.owners() == 1:
			return nil, conflict("last_owner", "/role", "%s is the workspace's last owner: make someone else owner first", c.UserID)
		}
		return []Event{&WorkspaceMemberRoleChanged{UserID: c.UserID, Role: role, Previous: prev, At: now}}, nil
	case RemoveMember:
		prev, isMember := w.Members[c.UserID]
		if !isMember {
			return nil, notFound("member_not_found", "/userId", "%q is not a member", c.UserID)
		}
		if prev == RoleOwner && w.owners() == 1 {
			return nil, conflict("last_owner", "/userId", "%s is the workspace's last owner: make someone else owner first", c.UserID)
		}
		return []Event{&WorkspaceMemberRemoved{UserID: c.UserID, At: now}}, nil
	case DeleteWorkspace:
		return []Event{&WorkspaceDeleted{At: now}}, nil
	case SetWorkspaceAI:
		if c.AI == nil {
			if w.AI == nil {
				return nil, nil
			}
			return []Event{&WorkspaceAISet{}}, nil
		}
		ai := *c.AI
		if !isHTTPURL(ai.BaseURL) {
			return nil, invalid("invalid_url", "/ai/baseUrl", "baseUrl must be an absolute http or https URL")
		}
		if strings.TrimSpace(ai.Model) == "" || len(ai.Model) > 200 || !utf8.ValidString(ai.Model) {
			return nil, invalid("invalid_model", "/ai/model", "model must be 1..200 bytes")
		}
		if ai.MaxTokens < 0 || ai.MaxTokens > MaxAITokensCap {
			return nil, invalid("invalid_max_tokens", "/ai/maxTokens", "maxTokens must be 0..%d (0: no cap)", MaxAITokensCap)
		}
		if len(ai.APIKeySealed) > 2*MaxSecretLen {
			return nil, invalid("too_large", "/ai/apiKey", "the API key is at most %d bytes", MaxSecretLen)
		}
		return []Event{&WorkspaceAISet{AI: &ai}}, nil
	case nil:
		return nil, invalid("unknown_command", "", "no command")
	default:
		return nil, invalid("unknown_command", "", "unknown workspace command %T", c)
	}
}
