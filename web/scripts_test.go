package web_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func createScript(t *testing.T, c *client, appID, name, text string) string {
	t.Helper()
	s := c.post("/api/apps/"+appID+"/scripts", map[string]any{"name": name, "kind": "event_handler", "language": "js", "text": text}).ok(http.StatusCreated)
	return s["id"].(string)
}

func TestScripts(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		c := b.c
		appID := createApp(t, c, "Shop")
		id := createScript(t, c, appID, "onBuy", "return 1")
		wf := c.post("/api/apps/"+appID+"/scripts", map[string]any{"name": "sync", "kind": "workflow", "text": "return 2"}).ok(http.StatusCreated)
		require.Equal(t, "lua", wf["language"])

		list := c.get("/api/apps/" + appID + "/scripts").ok(http.StatusOK)
		require.Len(t, list["items"], 2)
		require.NotContains(t, list["items"].([]any)[0], "text", "lists leave the text out")

		renamed := c.patch("/api/scripts/"+id, map[string]any{"expectedVersion": 1, "name": "onPay"}).ok(http.StatusOK)
		require.Equal(t, "onPay", renamed["name"])
		c.put("/api/scripts/"+id+"/text", map[string]any{"expectedVersion": 2, "text": "return 1"}).problem(http.StatusUnprocessableEntity, "no_change")
		c.put("/api/scripts/"+id+"/text", map[string]any{"expectedVersion": 1, "text": "x"}).problem(http.StatusConflict, "version_conflict")
		c.put("/api/scripts/"+id+"/text", map[string]any{"expectedVersion": 2}).problem(http.StatusUnprocessableEntity, "required")

		for _, tt := range []struct {
			name   string
			body   map[string]any
			status int
			code   string
			path   string
		}{
			{"unknown kind", map[string]any{"name": "x", "kind": "macro"}, 422, "invalid_kind", "/kind"},
			{"wrong language", map[string]any{"name": "x", "kind": "workflow", "language": "js"}, 422, "language_mismatch", "/language"},
			{"no name", map[string]any{"kind": "workflow"}, 422, "invalid_name", "/name"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				p := c.with(t).post("/api/apps/"+appID+"/scripts", tt.body).problem(tt.status, tt.code)
				require.Equal(t, tt.path, p["path"])
			})
		}

		c.delete("/api/scripts/" + id + "?expectedVersion=2").ok(http.StatusOK)
		c.get("/api/scripts/"+id).problem(http.StatusNotFound, "script_not_found")
		require.Len(t, c.get("/api/apps/" + appID + "/scripts").ok(http.StatusOK)["items"], 1)
		require.Equal(t, "onPay", c.get("/api/scripts/" + id + "?version=2").ok(http.StatusOK)["name"], "old versions stay readable")
		c.post("/api/apps/ghost/scripts", map[string]any{"name": "x", "kind": "workflow"}).problem(http.StatusNotFound, "app_not_found")
	})
}

type scriptChange struct {
	AppID       string    `json:"appId"`
	ScriptID    string    `json:"scriptId"`
	Author      string    `json:"author"`
	Kind        string    `json:"kind"`
	Version     int64     `json:"version"`
	Time        time.Time `json:"time"`
	UnifiedDiff string    `json:"unifiedDiff"`
}

func TestScriptChangeLog(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		c := b.c
		app1 := createApp(t, c, "One")
		app2 := createApp(t, c, "Two")
		s1 := createScript(t, c, app1, "a", "one\n")
		c.as("bob").put("/api/scripts/"+s1+"/text", map[string]any{"expectedVersion": 1, "text": "one\ntwo\n"}).ok(http.StatusOK)
		mid := time.Now().UTC()
		time.Sleep(5 * time.Millisecond) // the stores keep microseconds: separate the two halves
		s2 := createScript(t, c, app1, "b", "x\n")
		c.as("bob").patch("/api/scripts/"+s2, map[string]any{"expectedVersion": 1, "name": "b2"}).ok(http.StatusOK)
		createScript(t, c, app2, "c", "y\n")

		changes := func(t *testing.T, query url.Values) []scriptChange {
			t.Helper()
			var out struct {
				Items []scriptChange `json:"items"`
			}
			c.with(t).get("/api/script-changes?"+query.Encode()).into(http.StatusOK, &out)
			return out.Items
		}
		all := changes(t, url.Values{})
		require.Len(t, all, 5)

		one := changes(t, url.Values{"appId": {app1}})
		require.Len(t, one, 4)
		require.Equal(t, "created", one[0].Kind)
		require.Equal(t, "text_changed", one[1].Kind)
		require.Equal(t, "bob", one[1].Author)
		require.Contains(t, one[1].UnifiedDiff, "+two")
		require.True(t, one[0].Time.Before(one[3].Time) || one[0].Time.Equal(one[3].Time), "time order")

		require.Len(t, changes(t, url.Values{"appId": {app1}, "scriptId": {s1}}), 2)
		byBob := changes(t, url.Values{"author": {"bob"}})
		require.Len(t, byBob, 2)
		require.Len(t, changes(t, url.Values{"appId": {app1}, "author": {"bob"}, "scriptId": {s2}}), 1)
		ts := mid.Format(time.RFC3339Nano)
		require.Len(t, changes(t, url.Values{"appId": {app1}, "to": {ts}}), 2, "before the middle")
		require.Len(t, changes(t, url.Values{"appId": {app1}, "from": {ts}}), 2, "after the middle")
		require.Len(t, changes(t, url.Values{"from": {ts}}), 3, "after the middle, every app")

		// Pagination over the log.
		var p1 struct {
			Items      []scriptChange `json:"items"`
			NextCursor string         `json:"nextCursor"`
		}
		c.get("/api/script-changes?appId="+app1+"&limit=3").into(http.StatusOK, &p1)
		require.Len(t, p1.Items, 3)
		require.NotEmpty(t, p1.NextCursor)
		rest := changes(t, url.Values{"appId": {app1}, "limit": {"3"}, "cursor": {p1.NextCursor}})
		require.Len(t, rest, 1)
		require.Equal(t, one[3], rest[0])

		// JSON Lines: every matching entry, one per line.
		r := c.get("/api/script-changes?format=jsonl&appId=" + app1)
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, "application/x-ndjson", r.header.Get("Content-Type"))
		var lines []scriptChange
		sc := bufio.NewScanner(bytes.NewReader(r.raw))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var ch scriptChange
			require.NoError(t, json.Unmarshal(sc.Bytes(), &ch))
			lines = append(lines, ch)
		}
		require.Equal(t, one, lines)

		// CSV with a header row; diffs span lines inside quoted fields.
		r = c.get("/api/script-changes?format=csv&author=bob")
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, "text/csv; charset=utf-8", r.header.Get("Content-Type"))
		rows, err := csv.NewReader(bytes.NewReader(r.raw)).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 3)
		require.Equal(t, []string{"time", "appId", "scriptId", "scriptName", "previousName", "author", "version", "kind", "restoredFrom", "eventId", "unifiedDiff"}, rows[0])
		require.Equal(t, "bob", rows[1][5])
		require.Equal(t, "text_changed", rows[1][7])
		require.Contains(t, rows[1][10], "+two\n")
		require.Equal(t, "renamed", rows[2][7])
		require.Equal(t, "b", rows[2][4], "previousName")

		c.get("/api/script-changes?format=xml").problem(http.StatusBadRequest, "invalid_format")
		c.get("/api/script-changes?from=yesterday").problem(http.StatusBadRequest, "invalid_time")
		c.get("/api/script-changes?from="+ts+"&to="+ts).problem(http.StatusBadRequest, "invalid_range")
		c.get("/api/script-changes?cursor=nonsense").problem(http.StatusBadRequest, "invalid_cursor")
	})
}
