package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
)

// versionEntry is one entry of a version history. Versions are stream versions; an entry covers
// every event one request appended (the events of one append share the request's correlation id
// and are consecutive in the stream), so a batch of ten page ops is one entry whose Version is
// the stream version after the batch and whose FromVersion is the first version it wrote. The
// document "at version V" of any V in FromVersion..Version can be read, but only Version is a
// state some author saw.
type versionEntry struct {
	Version     int64     `json:"version"`
	FromVersion int64     `json:"fromVersion"`
	Time        time.Time `json:"time"`
	Author      string    `json:"author"`
	Summary     string    `json:"summary"`
	Events      int       `json:"events"`
}

// historyOf reads a whole stream and groups it into entries, newest first.
func historyOf(ctx context.Context, store eventstore.Store, stream string, summarize func([]domain.Event) string) ([]versionEntry, error) {
	envs, err := store.ReadStream(ctx, stream, 1, 0)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	var out []versionEntry
	for start := 0; start < len(envs); {
		end := start + 1
		for end < len(envs) && sameAppend(envs[start], envs[end]) {
			end++
		}
		group := envs[start:end]
		events := make([]domain.Event, 0, len(group))
		for _, env := range group {
			e, err := domain.Decode(env.Type, env.SchemaVersion, env.Data)
			if err != nil {
				return nil, fmt.Errorf("%s version %d: %w", stream, env.StreamVersion, err)
			}
			events = append(events, e)
		}
		last := group[len(group)-1]
		out = append(out, versionEntry{
			Version: last.StreamVersion, FromVersion: group[0].StreamVersion, Time: last.Time,
			Author: last.Actor, Summary: summarize(events), Events: len(group),
		})
		start = end
	}
	slices.Reverse(out)
	return out, nil
}

// sameAppend reports whether two consecutive events were appended by the same request.
func sameAppend(a, b eventstore.Envelope) bool {
	return a.CorrelationID != nil && b.CorrelationID != nil && *a.CorrelationID == *b.CorrelationID && a.Actor == b.Actor
}

func versionKey(e versionEntry) string { return strconv.FormatInt(e.Version, 10) }

// pageVersions answers a page's history, newest first, paginated.
func (a *api) pageVersions(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "pageID", "page")
	if err != nil {
		return err
	}
	entries, err := historyOf(r.Context(), a.store, domain.StreamPage(id), domain.SummarizeEvents)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return notFound("page_not_found", "No page has the id %q.", truncate(id, 40))
	}
	return ok(w, paginate(entries, versionKey, p))
}

// scriptVersions answers a script's history, newest first, paginated.
func (a *api) scriptVersions(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "scriptID", "script")
	if err != nil {
		return err
	}
	entries, err := historyOf(r.Context(), a.store, domain.StreamScript(id), summarizeScriptEvents)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return notFound("script_not_found", "No script has the id %q.", truncate(id, 40))
	}
	return ok(w, paginate(entries, versionKey, p))
}

// summarizeScriptEvents describes the events of one script change in a short line.
func summarizeScriptEvents(events []domain.Event) string {
	parts := make([]string, 0, len(events))
	for _, e := range events {
		switch e := e.(type) {
		case *domain.ScriptCreated:
			parts = append(parts, fmt.Sprintf("created %s script %q", e.Kind, e.Name))
		case *domain.ScriptTextChanged:
			ins, del := 0, 0
			for _, ed := range e.Edits {
				ins += len(ed.Insert)
				del += ed.Delete
			}
			parts = append(parts, fmt.Sprintf("changed text (+%d −%d bytes)", ins, del))
		case *domain.ScriptRenamed:
			parts = append(parts, fmt.Sprintf("renamed to %q", e.Name))
		case *domain.ScriptDeleted:
			parts = append(parts, "deleted script")
		case *domain.ScriptRestored:
			parts = append(parts, fmt.Sprintf("restored version %d", e.FromVersion))
		default:
			parts = append(parts, e.EventType())
		}
	}
	if len(parts) == 0 {
		return "no changes"
	}
	return strings.Join(parts, "; ")
}
