package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/goflow-dev/goflow/domain"
)

// Typed reads of the projections, for the HTTP API. They return states as stored, deleted ones
// included (callers check Exists), with the document version (the stream version), or
// ErrNotFound. App-scoped getters accept appID "" and then find the app through the index.

// GetPage returns a page at head.
func GetPage(ctx context.Context, docs DocStore, id string) (*domain.Page, int64, error) {
	return getState[domain.Page](ctx, docs, Pages, id)
}

// GetPageTree returns an app's page tree.
func GetPageTree(ctx context.Context, docs DocStore, appID string) (*domain.PageTree, int64, error) {
	return getState[domain.PageTree](ctx, docs, PageTrees, appID)
}

// GetApp returns an app.
func GetApp(ctx context.Context, docs DocStore, id string) (*domain.App, int64, error) {
	return getState[domain.App](ctx, docs, Apps, id)
}

// ListApps returns a page of the app catalogue, by id.
func ListApps(ctx context.Context, docs DocStore, p ListParams) ([]*domain.App, string, error) {
	return listStates[domain.App](ctx, docs, Apps, p)
}

// GetScript returns a script of an app.
func GetScript(ctx context.Context, docs DocStore, appID, id string) (*domain.Script, int64, error) {
	return getScoped[domain.Script](ctx, docs, Scripts, appID, id)
}

// ListScripts returns a page of an app's scripts, by id.
func ListScripts(ctx context.Context, docs DocStore, appID string, p ListParams) ([]*domain.Script, string, error) {
	return listScoped[domain.Script](ctx, docs, Scripts, appID, p)
}

// GetSchema returns a schema of an app.
func GetSchema(ctx context.Context, docs DocStore, appID, id string) (*domain.Schema, int64, error) {
	return getScoped[domain.Schema](ctx, docs, Schemas, appID, id)
}

// ListSchemas returns a page of an app's schemas, by id.
func ListSchemas(ctx context.Context, docs DocStore, appID string, p ListParams) ([]*domain.Schema, string, error) {
	return listScoped[domain.Schema](ctx, docs, Schemas, appID, p)
}

// GetDataSource returns a data source of an app, secrets included: show View() to readers.
func GetDataSource(ctx context.Context, docs DocStore, appID, id string) (*domain.DataSource, int64, error) {
	return getScoped[domain.DataSource](ctx, docs, DataSources, appID, id)
}

// ListDataSources returns a page of an app's data sources, by id, secrets included.
func ListDataSources(ctx context.Context, docs DocStore, appID string, p ListParams) ([]*domain.DataSource, string, error) {
	return listScoped[domain.DataSource](ctx, docs, DataSources, appID, p)
}

// GetQuery returns a query of an app.
func GetQuery(ctx context.Context, docs DocStore, appID, id string) (*domain.Query, int64, error) {
	return getScoped[domain.Query](ctx, docs, Queries, appID, id)
}

// ListQueries returns a page of an app's queries, by id.
func ListQueries(ctx context.Context, docs DocStore, appID string, p ListParams) ([]*domain.Query, string, error) {
	return listScoped[domain.Query](ctx, docs, Queries, appID, p)
}

// GetUser returns a user, hashes included: never show it as is.
func GetUser(ctx context.Context, docs DocStore, id string) (*domain.User, int64, error) {
	return getState[domain.User](ctx, docs, Users, id)
}

// GetWorkspace returns a workspace.
func GetWorkspace(ctx context.Context, docs DocStore, id string) (*domain.Workspace, int64, error) {
	return getState[domain.Workspace](ctx, docs, Workspaces, id)
}

// ReadMemberships returns every workspace a user is a member of, by workspace id. Deleted
// workspaces have no members.
func ReadMemberships(ctx context.Context, docs DocStore, userID string) ([]Membership, error) {
	if userID == "" || strings.Contains(userID, "/") {
		return nil, fmt.Errorf("memberships: %w: user id %q", ErrInvalid, userID)
	}
	prefix := memberPrefix + userID + "/"
	p := ListParams{KeyPrefix: prefix, Limit: MaxListLimit}
	var out []Membership
	for {
		page, next, err := docs.List(ctx, Access, p)
		if err != nil {
			return nil, fmt.Errorf("memberships of %s: %w", userID, err)
		}
		for _, d := range page {
			var m memberDoc
			if err := json.Unmarshal(d.Data, &m); err != nil {
				return nil, fmt.Errorf("decode membership %q: %w", d.Key, err)
			}
			out = append(out, Membership{WorkspaceID: strings.TrimPrefix(d.Key, prefix), Role: m.Role})
		}
		if next == "" {
			return out, nil
		}
		p.After = next
	}
}

// ReadOwner returns the app (and for an app stream, the workspace) a stream belongs to, or
// ErrNotFound.
func ReadOwner(ctx context.Context, docs DocStore, streamID string) (Owner, error) {
	key := OwnerKey(streamID)
	if ValidateKey(key) != nil {
		return Owner{}, fmt.Errorf("owner of %q: %w", streamID, ErrNotFound)
	}
	d, err := docs.Get(ctx, Access, key)
	if err != nil {
		return Owner{}, err
	}
	var o Owner
	if err := json.Unmarshal(d.Data, &o); err != nil {
		return Owner{}, fmt.Errorf("decode owner of %s: %w", streamID, err)
	}
	return o, nil
}

func getState[S any](ctx context.Context, docs DocStore, projection, key string) (*S, int64, error) {
	d, err := docs.Get(ctx, projection, key)
	if err != nil {
		return nil, 0, err
	}
	s := new(S)
	if err := json.Unmarshal(d.Data, s); err != nil {
		return nil, 0, fmt.Errorf("decode %s %q: %w", projection, key, err)
	}
	return s, d.Version, nil
}

func getScoped[S any](ctx context.Context, docs DocStore, projection, appID, id string) (*S, int64, error) {
	if err := ValidateKey(id); err != nil || strings.Contains(id, "/") {
		return nil, 0, fmt.Errorf("%s %q: %w", projection, id, ErrNotFound)
	}
	key := ScopedKey(appID, id)
	if appID == "" {
		idx, err := docs.Get(ctx, projection, IndexKey(id))
		if err != nil {
			return nil, 0, err
		}
		var d indexDoc
		if err := json.Unmarshal(idx.Data, &d); err != nil {
			return nil, 0, fmt.Errorf("decode %s index of %q: %w", projection, id, err)
		}
		key = d.Key
	}
	return getState[S](ctx, docs, projection, key)
}

func listStates[S any](ctx context.Context, docs DocStore, projection string, p ListParams) ([]*S, string, error) {
	page, next, err := docs.List(ctx, projection, p)
	if err != nil {
		return nil, "", err
	}
	out := make([]*S, 0, len(page))
	for _, d := range page {
		s := new(S)
		if err := json.Unmarshal(d.Data, s); err != nil {
			return nil, "", fmt.Errorf("decode %s %q: %w", projection, d.Key, err)
		}
		out = append(out, s)
	}
	return out, next, nil
}

func listScoped[S any](ctx context.Context, docs DocStore, projection, appID string, p ListParams) ([]*S, string, error) {
	if appID == "" || strings.Contains(appID, "/") {
		return nil, "", fmt.Errorf("list %s: %w: app id %q", projection, ErrInvalid, appID)
	}
	p.KeyPrefix = appID + "/"
	return listStates[S](ctx, docs, projection, p)
}

// ScriptLogQuery filters the script change log of one app.
type ScriptLogQuery struct {
	// AppID is required.
	AppID string
	// ScriptID and Author, if set, keep only that script's or that author's changes.
	ScriptID, Author string
	// From (inclusive) and To (exclusive), if set, bound the changes' time.
	From, To time.Time
	// After is the cursor from the previous page.
	After string
	// Limit is the page size (see ListParams.Limit).
	Limit int
}

// maxScanPages bounds the store pages one ListScriptLog call reads while filtering.
const maxScanPages = 20

// ListScriptLog returns a page of an app's script changes in time order, and the cursor of the
// next page ("" at the end). Script and author filters are applied while scanning the app's
// entries; a call scans a bounded number of entries, so a page may hold fewer than Limit changes
// and still have a next cursor.
func ListScriptLog(ctx context.Context, docs DocStore, q ScriptLogQuery) ([]ScriptChange, string, error) {
	if q.AppID == "" || strings.Contains(q.AppID, "/") {
		return nil, "", fmt.Errorf("script log: %w: app id %q", ErrInvalid, q.AppID)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	p := ListParams{KeyPrefix: q.AppID + "/", After: q.After, Limit: MaxListLimit}
	if !q.From.IsZero() {
		// Every entry at or after From sorts after "<appId>/<From>".
		p.After = max(p.After, q.AppID+"/"+q.From.UTC().Format(ScriptLogTimeLayout))
	}
	if !q.To.IsZero() {
		p.Before = q.AppID + "/" + q.To.UTC().Format(ScriptLogTimeLayout)
	}
	if q.ScriptID == "" && q.Author == "" {
		p.Limit = limit
	}
	var out []ScriptChange
	for range maxScanPages {
		page, next, err := docs.List(ctx, ScriptLog, p)
		if err != nil {
			return nil, "", err
		}
		for _, d := range page {
			var c ScriptChange
			if err := json.Unmarshal(d.Data, &c); err != nil {
				return nil, "", fmt.Errorf("decode script log entry %q: %w", d.Key, err)
			}
			if (q.ScriptID != "" && c.ScriptID != q.ScriptID) || (q.Author != "" && c.Author != q.Author) {
				continue
			}
			out = append(out, c)
			if len(out) == limit {
				if d.Key == page[len(page)-1].Key && next == "" {
					return out, "", nil
				}
				return out, d.Key, nil
			}
		}
		if next == "" {
			return out, "", nil
		}
		p.After = next
	}
	return out, p.After, nil
}
