package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/projections"
)

// Lists are read from the projections (read models), which the write path waits for after each
// write (see waitForProjections), so a list read right after a write includes it.

// listDocs pages through a projection's documents under prefix, after the request's cursor,
// converting each with conv and skipping those it rejects (deleted aggregates, index documents),
// until the page is full or the projection ends. The cursor is the last key scanned.
func listDocs[T any](ctx context.Context, docs projections.DocStore, projection, prefix string, p pageParams,
	conv func(projections.Doc) (T, bool, error)) (page[T], error) {
	return listRange(ctx, docs, projection, projections.ListParams{KeyPrefix: prefix}, p, conv)
}

// listRange is listDocs over key bounds: base gives KeyPrefix, After (a lower bound the cursor
// may raise) and Before.
func listRange[T any](ctx context.Context, docs projections.DocStore, projection string, base projections.ListParams, p pageParams,
	conv func(projections.Doc) (T, bool, error)) (page[T], error) {
	out := page[T]{Items: []T{}}
	after := max(base.After, p.After)
	for {
		batch, next, err := docs.List(ctx, projection, projections.ListParams{
			KeyPrefix: base.KeyPrefix, After: after, Before: base.Before, Limit: p.Limit - len(out.Items),
		})
		if err != nil {
			if errors.Is(err, projections.ErrInvalid) {
				return out, badRequest("invalid_cursor", "", "cursor is not a cursor this server issued; start again without it.")
			}
			return out, fmt.Errorf("list %s: %w", projection, err)
		}
		for _, d := range batch {
			v, keep, err := conv(d)
			if err != nil {
				return out, fmt.Errorf("list %s: document %q: %w", projection, d.Key, err)
			}
			if keep {
				out.Items = append(out.Items, v)
			}
		}
		if len(batch) == 0 || next == "" {
			return out, nil
		}
		after = batch[len(batch)-1].Key
		if len(out.Items) >= p.Limit {
			out.NextCursor = encodeCursor(after)
			return out, nil
		}
	}
}

// decodeState decodes a state projection's document; index documents ("#<id>") are skipped.
func decodeState[S any](d projections.Doc) (*S, bool, error) {
	if len(d.Key) > 0 && d.Key[0] == '#' {
		return nil, false, nil
	}
	s := new(S)
	if err := json.Unmarshal(d.Data, s); err != nil {
		return nil, false, err
	}
	return s, true, nil
}

// appScope is the key prefix of one app's documents in an app-scoped projection.
func appScope(appID string) string { return appID + "/" }

// listApps lists the apps of the workspace of the path.
func (a *api) listApps(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	ws := r.PathValue("workspaceID")
	out, err := listDocs(r.Context(), a.docs, projections.Apps, "", p, func(d projections.Doc) (appBody, bool, error) {
		s, keep, err := decodeState[domain.App](d)
		if err != nil || !keep || !s.Exists() || s.WorkspaceID != ws {
			return appBody{}, false, err
		}
		return appView(s, d.Version), true, nil
	})
	if err != nil {
		return err
	}
	return ok(w, out)
}

// scriptSummary is a script in a list: everything but the text.
type scriptSummary struct {
	ID       string                `json:"id"`
	AppID    string                `json:"appId"`
	Name     string                `json:"name"`
	Kind     domain.ScriptKind     `json:"kind"`
	Language domain.ScriptLanguage `json:"language"`
	Version  int64                 `json:"version"`
}

func (a *api) listScripts(w http.ResponseWriter, r *http.Request) error {
	app, p, err := a.appList(r)
	if err != nil {
		return err
	}
	out, err := listDocs(r.Context(), a.docs, projections.Scripts, appScope(app), p, func(d projections.Doc) (scriptSummary, bool, error) {
		s, keep, err := decodeState[domain.Script](d)
		if err != nil || !keep || !s.Exists() {
			return scriptSummary{}, false, err
		}
		return scriptSummary{ID: s.ID, AppID: s.AppID, Name: s.Name, Kind: s.Kind, Language: s.Language, Version: d.Version}, true, nil
	})
	if err != nil {
		return err
	}
	return ok(w, out)
}

func (a *api) listSchemas(w http.ResponseWriter, r *http.Request) error {
	app, p, err := a.appList(r)
	if err != nil {
		return err
	}
	out, err := listDocs(r.Context(), a.docs, projections.Schemas, appScope(app), p, func(d projections.Doc) (schemaBody, bool, error) {
		s, keep, err := decodeState[domain.Schema](d)
		if err != nil || !keep || !s.Exists() {
			return schemaBody{}, false, err
		}
		return schemaView(s, d.Version), true, nil
	})
	if err != nil {
		return err
	}
	return ok(w, out)
}

func (a *api) listDataSources(w http.ResponseWriter, r *http.Request) error {
	app, p, err := a.appList(r)
	if err != nil {
		return err
	}
	out, err := listDocs(r.Context(), a.docs, projections.DataSources, appScope(app), p, func(d projections.Doc) (domain.DataSourceView, bool, error) {
		s, keep, err := decodeState[domain.DataSource](d)
		if err != nil || !keep || !s.Exists() {
			return domain.DataSourceView{}, false, err
		}
		return dataSourceView(s), true, nil
	})
	if err != nil {
		return err
	}
	return ok(w, out)
}

func (a *api) listQueries(w http.ResponseWriter, r *http.Request) error {
	app, p, err := a.appList(r)
	if err != nil {
		return err
	}
	out, err := listDocs(r.Context(), a.docs, projections.Queries, appScope(app), p, func(d projections.Doc) (queryBody, bool, error) {
		s, keep, err := decodeState[domain.Query](d)
		if err != nil || !keep || !s.Exists() {
			return queryBody{}, false, err
		}
		return queryView(s, d.Version), true, nil
	})
	if err != nil {
		return err
	}
	return ok(w, out)
}

// appList checks the appID path parameter names an app and parses the page parameters.
func (a *api) appList(r *http.Request) (string, pageParams, error) {
	p, err := parsePage(r)
	if err != nil {
		return "", p, err
	}
	app, err := a.requireApp(r, "appID")
	if err != nil {
		return "", p, err
	}
	return app.state.ID, p, nil
}
