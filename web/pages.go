package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/projections"
)

// pageSnapshotEvery is how often (in page versions) a write stores a snapshot of the page, so
// that reading a page with 10,000 events at an old version folds at most this many events.
const pageSnapshotEvery = 100

// maxOpsPerRequest bounds one POST .../ops; it is also the event store's batch limit.
const maxOpsPerRequest = 1000

// pageAggregate stores pages in page-<id> streams, with snapshots.
var pageAggregate = aggregate[*domain.Page]{
	name:          "page",
	missing:       "page_not_found",
	stream:        domain.StreamPage,
	zero:          func() *domain.Page { return &domain.Page{} },
	snapshotEvery: pageSnapshotEvery,
}

func decidePage(cmds ...domain.PageCommand) func(*domain.Page, domain.Env) ([]domain.Event, error) {
	return decideAll[*domain.Page](cmds...)
}

// loadPage loads the page named by the pageID path parameter at version upTo (0: head). A
// deleted page is 404 at head; its old versions can still be read.
func (a *api) loadPage(r *http.Request, upTo int64) (loaded[*domain.Page], error) {
	id, err := pathID(r, "pageID", "page")
	if err != nil {
		return loaded[*domain.Page]{}, err
	}
	l, err := load(r.Context(), a.store, pageAggregate, id, upTo)
	if err != nil {
		return l, err
	}
	if l.state.ID == "" || (upTo == 0 && l.state.Deleted) {
		return l, notFound("page_not_found", "No page has the id %q.", truncate(id, 40))
	}
	if upTo > l.version {
		return l, notFound("version_not_found", "Page %s has %d versions; there is no version %d.", id, l.version, upTo)
	}
	return l, nil
}

// getPage answers the page document at ?version=N, folded from the stream (from the newest
// snapshot at or below N), or at head, read from the pages projection. A page the projection
// does not have yet (it lags behind a write whose wait timed out) is folded from its stream.
func (a *api) getPage(w http.ResponseWriter, r *http.Request) error {
	v, err := queryPositive(r, "version")
	if err != nil {
		return err
	}
	if v == 0 {
		id, err := pathID(r, "pageID", "page")
		if err != nil {
			return err
		}
		// A version check is far cheaper than fetching a large page: serve the rendered document
		// from the cache when the projection has not moved.
		if v, err := a.docs.Version(r.Context(), projections.Pages, id); err == nil {
			if body, hit := a.pages.get(id, v); hit {
				writeRawJSON(w, http.StatusOK, body)
				return nil
			}
		}
		d, err := a.docs.Get(r.Context(), projections.Pages, id)
		switch {
		case err == nil:
			var p domain.Page
			if err := json.Unmarshal(d.Data, &p); err != nil {
				return fmt.Errorf("page %s from the projection: %w", id, err)
			}
			if !p.Exists() {
				return notFound("page_not_found", "No page has the id %q.", truncate(id, 40))
			}
			body, err := json.Marshal(p.Document())
			if err != nil {
				return fmt.Errorf("encode page %s: %w", id, err)
			}
			a.pages.put(id, d.Version, body)
			writeRawJSON(w, http.StatusOK, body)
			return nil
		case !errors.Is(err, projections.ErrNotFound):
			return fmt.Errorf("page %s from the projection: %w", id, err)
		}
	}
	p, err := a.loadPage(r, v)
	if err != nil {
		return err
	}
	return ok(w, p.state.Document())
}

type pageOpsRequest struct {
	ExpectedVersion *int64            `json:"expectedVersion"`
	ClientID        string            `json:"clientId"`
	Ops             []json.RawMessage `json:"ops"`
}

type pageOpsResponse struct {
	// Version is the page's version after the ops.
	Version int64 `json:"version"`
	// Events is how many events the ops appended (0 when they changed nothing).
	Events int `json:"events"`
	// Inserted lists the ids of the nodes insert_node ops created, in op order, so that a client
	// that let the server choose ids can address them.
	Inserted []string `json:"inserted"`
}

// postPageOps decides a batch of ops in order, each against the state the previous ones left,
// and appends all their events in one append: the batch commits whole or not at all. The first
// rejected op rejects the batch; its problem carries opIndex.
func (a *api) postPageOps(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "pageID", "page")
	if err != nil {
		return err
	}
	var req pageOpsRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if _, err := requireVersion(req.ExpectedVersion); err != nil {
		return err
	}
	switch {
	case len(req.Ops) == 0:
		return unprocessable("required", "/ops", "ops must hold at least one op.")
	case len(req.Ops) > maxOpsPerRequest:
		return unprocessable("too_many_ops", "/ops", "At most %d ops per request, got %d.", maxOpsPerRequest, len(req.Ops))
	}
	cmds := make([]domain.PageCommand, len(req.Ops))
	for i, raw := range req.Ops {
		c, err := domain.DecodePageOp(raw)
		if err != nil {
			return &opError{index: i, err: err}
		}
		cmds[i] = c
	}
	var inserted []string
	res, err := execute(r.Context(), a, r, command[*domain.Page]{
		agg: pageAggregate, id: id, expected: req.ExpectedVersion, clientOp: req.ClientID,
		decide: func(p *domain.Page, env domain.Env) ([]domain.Event, error) {
			if !p.Exists() {
				return nil, notFound("page_not_found", "No page has the id %q.", truncate(id, 40))
			}
			inserted = inserted[:0]
			var all []domain.Event
			for i, c := range cmds {
				evs, err := p.Decide(c, env)
				if err != nil {
					return nil, &opError{index: i, err: err}
				}
				for _, e := range evs {
					if ins, ok := e.(*domain.PageNodeInserted); ok && len(ins.Nodes) > 0 {
						inserted = append(inserted, ins.Nodes[0].ID)
					}
				}
				all = append(all, evolve(p, evs)...)
			}
			return all, nil
		},
	})
	if err != nil {
		return err
	}
	if inserted == nil {
		inserted = []string{}
	}
	return ok(w, pageOpsResponse{Version: res.version, Events: len(res.events), Inserted: inserted})
}

// pageDiffBody is the structural diff between two versions of a page.
type pageDiffBody struct {
	From int64           `json:"from"`
	To   int64           `json:"to"`
	Diff domain.PageDiff `json:"diff"`
}

// diffPage answers the structural diff between ?from= and ?to= (default: the head).
func (a *api) diffPage(w http.ResponseWriter, r *http.Request) error {
	head, err := a.loadPage(r, 0)
	if err != nil {
		return err
	}
	from, to, err := diffRange(r, head.version)
	if err != nil {
		return err
	}
	pages := [2]*domain.Page{}
	for i, v := range []int64{from, to} {
		if v == head.version {
			pages[i] = head.state
			continue
		}
		l, err := load(r.Context(), a.store, pageAggregate, head.state.ID, v)
		if err != nil {
			return err
		}
		pages[i] = l.state
	}
	return ok(w, pageDiffBody{From: from, To: to, Diff: domain.DiffPages(pages[0], pages[1])})
}

// restorePage appends an event that brings the page back to its content at an earlier version
// (history is never rewritten). A deleted page can be restored.
func (a *api) restorePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "pageID", "page")
	if err != nil {
		return err
	}
	var req restoreRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := req.check(); err != nil {
		return err
	}
	target, err := load(r.Context(), a.store, pageAggregate, id, req.Version)
	if err != nil {
		return err
	}
	if target.state.ID == "" {
		return notFound("page_not_found", "No page has the id %q.", truncate(id, 40))
	}
	res, err := execute(r.Context(), a, r, command[*domain.Page]{
		agg: pageAggregate, id: id, expected: req.ExpectedVersion,
		decide: func(p *domain.Page, env domain.Env) ([]domain.Event, error) {
			evs, err := p.DecideRestore(target.state, req.Version, env)
			if err != nil {
				return nil, err
			}
			return evolve(p, evs), nil
		},
	})
	if err != nil {
		return err
	}
	return ok(w, res.state.Document())
}
