package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/projections"
)

// The script change log for auditors: every script change with author, time, version and
// unified diff, from the "scriptlog" projection, whose keys are "<appId>/<time>/<eventId>".

// scriptLogFilter is a parsed GET /api/script-changes.
type scriptLogFilter struct {
	appID, scriptID, author string
	// from is inclusive, to exclusive; zero means unbounded.
	from, to time.Time
	// visible, when set, keeps only entries of apps it accepts (the caller's auditable apps).
	visible func(appID string) (bool, error)
}

func parseScriptLogFilter(r *http.Request) (scriptLogFilter, error) {
	q := r.URL.Query()
	f := scriptLogFilter{appID: q.Get("appId"), scriptID: q.Get("scriptId"), author: q.Get("author")}
	var err error
	if f.from, err = queryTime(r, "from"); err != nil {
		return f, err
	}
	if f.to, err = queryTime(r, "to"); err != nil {
		return f, err
	}
	if !f.from.IsZero() && !f.to.IsZero() && !f.from.Before(f.to) {
		return f, badRequest("invalid_range", "to", "to must be later than from.")
	}
	if strings.Contains(f.appID, "/") {
		return f, badRequest("invalid_app_id", "appId", "appId must not contain '/'.")
	}
	return f, nil
}

// bounds turns the filter into key bounds: with an app, its prefix and the time range; without
// one, the whole log (the time range is then checked per entry).
func (f scriptLogFilter) bounds() projections.ListParams {
	if f.appID == "" {
		return projections.ListParams{}
	}
	lp := projections.ListParams{KeyPrefix: appScope(f.appID)}
	if !f.from.IsZero() {
		// "<app>/<from>" sorts just before every key "<app>/<from>/<id>": an inclusive lower bound.
		lp.After = appScope(f.appID) + f.from.UTC().Format(projections.ScriptLogTimeLayout)
	}
	if !f.to.IsZero() {
		lp.Before = appScope(f.appID) + f.to.UTC().Format(projections.ScriptLogTimeLayout)
	}
	return lp
}

// match decodes a log document and applies the filters the key bounds do not.
func (f scriptLogFilter) match(d projections.Doc) (projections.ScriptChange, bool, error) {
	var c projections.ScriptChange
	if !strings.Contains(d.Key, "/") { // the projection's internal per-script state
		return c, false, nil
	}
	if err := json.Unmarshal(d.Data, &c); err != nil {
		return c, false, err
	}
	keep := (f.scriptID == "" || c.ScriptID == f.scriptID) &&
		(f.author == "" || c.Author == f.author) &&
		(f.from.IsZero() || !c.Time.Before(f.from)) &&
		(f.to.IsZero() || c.Time.Before(f.to))
	if keep && f.visible != nil {
		ok, err := f.visible(c.AppID)
		if err != nil {
			return c, false, err
		}
		keep = ok
	}
	return c, keep, nil
}

// auditScope limits a script log read to what the caller may audit: one app, checked here, or
// without appId every app of the workspaces where the caller's role allows auditing.
func (a *api) auditScope(r *http.Request, f *scriptLogFilter) error {
	ctx := r.Context()
	user := actorFrom(ctx)
	if f.appID != "" {
		ws, err := a.workspaceOfApp(ctx, f.appID)
		if err != nil {
			return err
		}
		role, err := a.roleIn(ctx, ws, user)
		if err != nil {
			return err
		}
		if !role.Allows(domain.PermAudit) {
			return forbidden("Your role in this workspace (%s) does not allow reading the script change log.", role)
		}
		return nil
	}
	ms, err := projections.ReadMemberships(ctx, a.docs, user)
	if err != nil {
		return err
	}
	auditable := map[string]bool{}
	for _, m := range ms {
		auditable[m.WorkspaceID] = m.Role.Allows(domain.PermAudit)
	}
	apps := map[string]bool{}
	f.visible = func(appID string) (bool, error) {
		if ok, seen := apps[appID]; seen {
			return ok, nil
		}
		ws, err := a.workspaceOfApp(ctx, appID)
		if err != nil && !isNotFound(err) {
			return false, err
		}
		apps[appID] = err == nil && auditable[ws]
		return apps[appID], nil
	}
	return nil
}

// scriptChanges answers the log as a paginated JSON list, or, with format=jsonl or format=csv,
// every matching entry streamed as JSON Lines or CSV (with a header row).
func (a *api) scriptChanges(w http.ResponseWriter, r *http.Request) error {
	f, err := parseScriptLogFilter(r)
	if err != nil {
		return err
	}
	if err := a.auditScope(r, &f); err != nil {
		return err
	}
	switch format := r.URL.Query().Get("format"); format {
	case "", "json":
		p, err := parsePage(r)
		if err != nil {
			return err
		}
		out, err := listRange(r.Context(), a.docs, projections.ScriptLog, f.bounds(), p, f.match)
		if err != nil {
			return err
		}
		return ok(w, out)
	case "jsonl":
		return a.exportScriptChanges(w, r, f, "application/x-ndjson", "script-changes.jsonl", &jsonlWriter{})
	case "csv":
		return a.exportScriptChanges(w, r, f, "text/csv; charset=utf-8", "script-changes.csv", &csvWriter{})
	default:
		return badRequest("invalid_format", "format", "format must be json, jsonl or csv, got %q.", truncate(format, 20))
	}
}

// changeWriter writes exported entries in one format.
type changeWriter interface {
	begin(w http.ResponseWriter) error
	write(c projections.ScriptChange) error
	end() error
}

// exportScriptChanges streams every matching entry, page by page of the projection. Errors before
// the first byte are problems; after it the response is cut off (a truncated export must not look
// complete), and the error is logged.
func (a *api) exportScriptChanges(w http.ResponseWriter, r *http.Request, f scriptLogFilter, contentType, filename string, cw changeWriter) error {
	ctx := r.Context()
	lp := f.bounds()
	lp.Limit = projections.MaxListLimit
	batch, next, err := a.docs.List(ctx, projections.ScriptLog, lp)
	if err != nil {
		return fmt.Errorf("list %s: %w", projections.ScriptLog, err)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if err := cw.begin(w); err != nil {
		return a.abortExport(ctx, err)
	}
	rc := http.NewResponseController(w)
	for {
		for _, d := range batch {
			c, keep, err := f.match(d)
			if err != nil {
				return a.abortExport(ctx, fmt.Errorf("document %q: %w", d.Key, err))
			}
			if keep {
				if err := cw.write(c); err != nil {
					return a.abortExport(ctx, err)
				}
			}
		}
		if err := cw.end(); err != nil {
			return a.abortExport(ctx, err)
		}
		if len(batch) == 0 || next == "" {
			return nil
		}
		_ = rc.Flush() // let a large export start arriving while the rest is read
		lp.After = batch[len(batch)-1].Key
		if batch, next, err = a.docs.List(ctx, projections.ScriptLog, lp); err != nil {
			return a.abortExport(ctx, fmt.Errorf("list %s: %w", projections.ScriptLog, err))
		}
	}
}

// abortExport ends a streamed export that failed midway: net/http drops the connection without
// completing the chunked body, so the client sees an error rather than a short file.
func (a *api) abortExport(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		a.log.ErrorContext(ctx, "script change export failed midway", "err", err)
	}
	panic(http.ErrAbortHandler)
}

type jsonlWriter struct {
	enc *json.Encoder
}

func (j *jsonlWriter) begin(w http.ResponseWriter) error {
	j.enc = json.NewEncoder(w)
	return nil
}

func (j *jsonlWriter) write(c projections.ScriptChange) error { return j.enc.Encode(c) }
func (j *jsonlWriter) end() error                             { return nil }

// csvHeader names the CSV columns.
var csvHeader = []string{"time", "appId", "scriptId", "scriptName", "previousName", "author", "version", "kind", "restoredFrom", "eventId", "unifiedDiff"}

type csvWriter struct {
	w *csv.Writer
}

func (c *csvWriter) begin(w http.ResponseWriter) error {
	c.w = csv.NewWriter(w)
	return c.w.Write(csvHeader)
}

func (c *csvWriter) write(ch projections.ScriptChange) error {
	restored := ""
	if ch.RestoredFrom > 0 {
		restored = strconv.FormatInt(ch.RestoredFrom, 10)
	}
	return c.w.Write([]string{
		ch.Time.UTC().Format(time.RFC3339Nano), ch.AppID, ch.ScriptID, ch.ScriptName, ch.PreviousName, ch.Author,
		strconv.FormatInt(ch.Version, 10), ch.Kind, restored, ch.EventID, ch.UnifiedDiff,
	})
}

func (c *csvWriter) end() error {
	c.w.Flush()
	return c.w.Error()
}
