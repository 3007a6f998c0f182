package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
)

// Key prefixes of the access projection's documents.
const (
	memberPrefix   = "member/"
	ownerPrefix    = "owner/"
	wsAccessPrefix = "ws/"
)

// MemberKey is the key of a membership document, {"role": "<role>"}. One user's memberships list
// under the prefix "member/<userId>/" (user ids never contain "/").
func MemberKey(userID, wsID string) string {
	return memberPrefix + userID + "/" + wsID
}

// OwnerKey is the key of the document naming the app (and, for app streams, the workspace) a
// stream belongs to.
func OwnerKey(streamID string) string { return ownerPrefix + streamID }

// workspaceAccessKey is the key of a workspace's own document, which lists its members so that a
// workspace.deleted knows which membership documents to delete.
func workspaceAccessKey(wsID string) string { return wsAccessPrefix + wsID }

// Membership is a user's role in a workspace.
type Membership struct {
	WorkspaceID string      `json:"workspaceId"`
	Role        domain.Role `json:"role"`
}

// Owner says where a resource belongs. For an app stream both fields are set (WorkspaceID is ""
// for apps created outside any workspace); for the streams of an app's pages, scripts, schemas,
// data sources, queries and runtime sessions only AppID is, and the app's own Owner gives the
// workspace.
type Owner struct {
	AppID       string `json:"appId"`
	WorkspaceID string `json:"workspaceId"`
}

// memberDoc is a "member/<userId>/<workspaceId>" document.
type memberDoc struct {
	Role domain.Role `json:"role"`
}

// workspaceAccess is a "ws/<workspaceId>" document, at the workspace stream's version.
type workspaceAccess struct {
	// Members are the user ids of the members, sorted.
	Members []string `json:"members"`
	Deleted bool     `json:"deleted,omitempty"`
}

// AccessProjection answers the API's authorization questions in one or two Gets:
//
//   - "member/<userId>/<workspaceId>" -> {"role"}: a user's workspaces, from the workspace
//     events; deleting a workspace deletes its members' documents.
//   - "owner/<streamId>" -> Owner: for app streams from app.created, for page, script,
//     schema, data source and query streams from their created event, and for runtime session
//     streams from session.started.
//   - "ws/<workspaceId>" -> {"members", "deleted"}: internal, the member list at the workspace
//     stream's version. Workspace events at or below it are skipped, which makes Apply idempotent;
//     owner documents are written from one event each and rewriting them changes nothing.
type AccessProjection struct {
	types map[string]bool
	// ownerTypes are the created events that name a stream's app.
	ownerTypes map[string]bool
}

var _ KeyedProjection = (*AccessProjection)(nil)

// NewAccessProjection returns the access projection.
func NewAccessProjection() *AccessProjection {
	owners := map[string]bool{}
	for _, e := range []domain.Event{
		&domain.AppCreated{}, &domain.PageCreated{}, &domain.ScriptCreated{}, &domain.SchemaCreated{},
		&domain.DataSourceCreated{}, &domain.QueryCreated{}, &domain.SessionStarted{},
	} {
		owners[e.EventType()] = true
	}
	return &AccessProjection{types: knownTypes(), ownerTypes: owners}
}

// Name returns Access.
func (p *AccessProjection) Name() string { return Access }

func workspaceID(e eventstore.Envelope) (string, bool) {
	id, ok := strings.CutPrefix(e.StreamID, domain.CategoryWorkspace+"-")
	return id, ok && id != ""
}

// Keys returns a workspace's own document; the other documents are only written.
func (p *AccessProjection) Keys(e eventstore.Envelope) []string {
	if id, ok := workspaceID(e); ok {
		return []string{workspaceAccessKey(id)}
	}
	return nil
}

// Handles reports whether Apply would change anything for e: workspace events and the events
// that create an owned resource.
func (p *AccessProjection) Handles(e eventstore.Envelope) bool {
	_, ok := workspaceID(e)
	return ok || p.ownerTypes[e.Type]
}

// Apply projects workspace events into memberships and created events into owners.
func (p *AccessProjection) Apply(_ context.Context, tx DocTx, e eventstore.Envelope) error {
	if id, ok := workspaceID(e); ok {
		return p.applyWorkspace(tx, id, e)
	}
	if !p.ownerTypes[e.Type] {
		return nil // most events: decoding them would be wasted work
	}
	ev, err := decode(p.types, e)
	if err != nil {
		return fmt.Errorf("%s: %s v%d: %w", Access, e.StreamID, e.StreamVersion, err)
	}
	var o Owner
	switch ev := ev.(type) {
	case *domain.AppCreated:
		o = Owner{AppID: ev.AppID, WorkspaceID: ev.WorkspaceID}
	case *domain.PageCreated:
		o.AppID = ev.AppID
	case *domain.ScriptCreated:
		o.AppID = ev.AppID
	case *domain.SchemaCreated:
		o.AppID = ev.AppID
	case *domain.DataSourceCreated:
		o.AppID = ev.AppID
	case *domain.QueryCreated:
		o.AppID = ev.AppID
	case *domain.SessionStarted:
		o.AppID = ev.AppID
	default:
		return nil
	}
	data, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("%s: encode owner: %w", Access, err)
	}
	return tx.Put(OwnerKey(e.StreamID), data, e.StreamVersion)
}

func (p *AccessProjection) applyWorkspace(tx DocTx, id string, e eventstore.Envelope) error {
	c := stateCacheOf(tx, p, func() *workspaceAccess { return &workspaceAccess{} },
		func(_ DocTx, id string) (string, error) { return workspaceAccessKey(id), nil })
	ent, err := c.get(id)
	if err != nil {
		return err
	}
	if e.StreamVersion <= ent.version {
		return nil
	}
	ev, err := decode(p.types, e)
	if err != nil {
		return fmt.Errorf("%s: %s v%d: %w", Access, e.StreamID, e.StreamVersion, err)
	}
	ws := ent.state
	putMember := func(userID string, role domain.Role) error {
		if i, found := slices.BinarySearch(ws.Members, userID); !found {
			ws.Members = slices.Insert(ws.Members, i, userID)
		}
		data, err := json.Marshal(memberDoc{Role: role})
		if err != nil {
			return fmt.Errorf("%s: encode membership: %w", Access, err)
		}
		return tx.Put(MemberKey(userID, id), data, e.StreamVersion)
	}
	switch ev := ev.(type) {
	case *domain.WorkspaceCreated:
		err = putMember(ev.OwnerID, domain.RoleOwner)
	case *domain.WorkspaceMemberAdded:
		err = putMember(ev.UserID, ev.Role)
	case *domain.WorkspaceMemberRoleChanged:
		err = putMember(ev.UserID, ev.Role)
	case *domain.WorkspaceMemberRemoved:
		if i, found := slices.BinarySearch(ws.Members, ev.UserID); found {
			ws.Members = slices.Delete(ws.Members, i, i+1)
		}
		err = tx.Delete(MemberKey(ev.UserID, id))
	case *domain.WorkspaceDeleted:
		for _, u := range ws.Members {
			if err = tx.Delete(MemberKey(u, id)); err != nil {
				break
			}
		}
		ws.Members, ws.Deleted = []string{}, true
	}
	if err != nil {
		return err
	}
	ent.version, ent.dirty = e.StreamVersion, true
	return nil
}
