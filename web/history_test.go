package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type versionList struct {
	Items []struct {
		Version     int64  `json:"version"`
		FromVersion int64  `json:"fromVersion"`
		Author      string `json:"author"`
		Summary     string `json:"summary"`
		Events      int    `json:"events"`
		Time        string `json:"time"`
	} `json:"items"`
	NextCursor string `json:"nextCursor"`
}

func TestPageHistoryDiffRestore(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		c := b.c
		appID := createApp(t, c, "Shop")
		pageID, _ := createPage(t, c, appID, "Home")
		// v2..v3: one request by alice, two events.
		ops(c, pageID, 1,
			map[string]any{"op": "insert_node", "type": "Button", "nodeId": "btn"},
			map[string]any{"op": "set_prop", "nodeId": "btn", "path": "label", "value": "Buy"},
		).ok(http.StatusOK)
		// v4: bob moves on.
		ops(c.as("bob"), pageID, 3, map[string]any{"op": "set_prop", "nodeId": "btn", "path": "label", "value": "Pay now"}).ok(http.StatusOK)
		// v5: bob deletes the button.
		ops(c.as("bob"), pageID, 4, map[string]any{"op": "delete_node", "nodeId": "btn"}).ok(http.StatusOK)

		var h versionList
		c.get("/api/pages/"+pageID+"/versions").into(http.StatusOK, &h)
		require.Len(t, h.Items, 4, "one entry per request")
		require.Equal(t, []int64{5, 4, 3, 1}, []int64{h.Items[0].Version, h.Items[1].Version, h.Items[2].Version, h.Items[3].Version}, "newest first")
		require.Equal(t, "bob", h.Items[0].Author)
		require.Contains(t, h.Items[0].Summary, "deleted btn")
		require.EqualValues(t, 2, h.Items[2].FromVersion)
		require.Equal(t, 2, h.Items[2].Events)
		require.Equal(t, "alice", h.Items[2].Author)
		require.Contains(t, h.Items[2].Summary, "inserted Button btn")
		require.Contains(t, h.Items[3].Summary, "created page")
		require.NotEmpty(t, h.Items[0].Time)

		// Paginated: two pages of two.
		var p1, p2 versionList
		c.get("/api/pages/"+pageID+"/versions?limit=2").into(http.StatusOK, &p1)
		require.Len(t, p1.Items, 2)
		require.NotEmpty(t, p1.NextCursor)
		c.get("/api/pages/"+pageID+"/versions?limit=2&cursor="+p1.NextCursor).into(http.StatusOK, &p2)
		require.Equal(t, []int64{3, 1}, []int64{p2.Items[0].Version, p2.Items[1].Version})
		require.Empty(t, p2.NextCursor)

		// Diff between versions.
		d := c.get(fmt.Sprintf("/api/pages/%s/diff?from=1&to=4", pageID)).ok(http.StatusOK)
		diff := d["diff"].(map[string]any)
		require.Len(t, diff["added"], 1)
		require.Equal(t, "btn", diff["added"].([]any)[0].(map[string]any)["nodeId"])
		d = c.get(fmt.Sprintf("/api/pages/%s/diff?from=3", pageID)).ok(http.StatusOK)
		require.EqualValues(t, 5, d["to"], "to defaults to the head")
		require.Len(t, d["diff"].(map[string]any)["removed"], 1)
		changed := c.get(fmt.Sprintf("/api/pages/%s/diff?from=3&to=4", pageID)).ok(http.StatusOK)["diff"].(map[string]any)["propsChanged"].([]any)
		require.Len(t, changed, 1)
		require.Equal(t, "Buy", changed[0].(map[string]any)["from"])
		require.Equal(t, "Pay now", changed[0].(map[string]any)["to"])
		c.get(fmt.Sprintf("/api/pages/%s/diff", pageID)).problem(http.StatusBadRequest, "required")
		c.get(fmt.Sprintf("/api/pages/%s/diff?from=1&to=9", pageID)).problem(http.StatusNotFound, "version_not_found")

		// Restore version 4: the button comes back, as a new version; history is kept.
		c.post("/api/pages/"+pageID+"/restore", map[string]any{"version": 4, "expectedVersion": 4}).problem(http.StatusConflict, "version_conflict")
		c.post("/api/pages/"+pageID+"/restore", map[string]any{"version": 9, "expectedVersion": 5}).problem(http.StatusUnprocessableEntity, "invalid_version")
		restored := c.post("/api/pages/"+pageID+"/restore", map[string]any{"version": 4, "expectedVersion": 5}).ok(http.StatusOK)
		require.EqualValues(t, 6, restored["version"])
		page := getPage(t, c, "/api/pages/"+pageID)
		require.EqualValues(t, 6, page.Version)
		require.Equal(t, "Pay now", page.Root.find("btn").Props["label"])
		require.JSONEq(t, string(c.get("/api/pages/"+pageID+"?version=4").raw), strings.Replace(string(c.get("/api/pages/"+pageID).raw), `"version":6`, `"version":4`, 1))
		c.get("/api/pages/"+pageID+"/versions").into(http.StatusOK, &h)
		require.Len(t, h.Items, 5)
		require.Contains(t, h.Items[0].Summary, "restored version 4")
		empty := c.get(fmt.Sprintf("/api/pages/%s/diff?from=4&to=6", pageID)).ok(http.StatusOK)["diff"].(map[string]any)
		require.Empty(t, empty["added"])
		require.Empty(t, empty["removed"])
		require.Empty(t, empty["propsChanged"])

		c.get("/api/pages/ghost/versions").problem(http.StatusNotFound, "page_not_found")
	})
}

func TestScriptHistoryDiffRestore(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		c := b.c
		appID := createApp(t, c, "Shop")
		s := c.post("/api/apps/"+appID+"/scripts", map[string]any{"name": "onBuy", "kind": "event_handler", "text": "line1\nline2\n"}).ok(http.StatusCreated)
		id := s["id"].(string)
		require.Equal(t, "js", s["language"])
		c.put("/api/scripts/"+id+"/text", map[string]any{"expectedVersion": 1, "text": "line1\nline2 changed\n"}).ok(http.StatusOK)
		c.as("bob").put("/api/scripts/"+id+"/text", map[string]any{"expectedVersion": 2, "text": "line1\nline2 changed\nline3\n"}).ok(http.StatusOK)

		require.Equal(t, "line1\nline2\n", c.get("/api/scripts/" + id + "?version=1").ok(http.StatusOK)["text"])
		require.Equal(t, "line1\nline2 changed\n", c.get("/api/scripts/" + id + "?version=2").ok(http.StatusOK)["text"])
		c.get("/api/scripts/"+id+"?version=4").problem(http.StatusNotFound, "version_not_found")

		var h versionList
		c.get("/api/scripts/"+id+"/versions").into(http.StatusOK, &h)
		require.Len(t, h.Items, 3)
		require.Equal(t, "bob", h.Items[0].Author)
		require.Contains(t, h.Items[0].Summary, "changed text")
		require.Contains(t, h.Items[2].Summary, `created event_handler script "onBuy"`)

		d := c.get("/api/scripts/" + id + "/diff?from=1&to=3").ok(http.StatusOK)
		diff := d["diff"].(string)
		require.Contains(t, diff, "-line2\n")
		require.Contains(t, diff, "+line2 changed\n")
		require.Contains(t, diff, "+line3\n")
		text := c.do("GET", "/api/scripts/"+id+"/diff?from=1&to=3", nil, "Accept", "text/plain")
		require.Equal(t, http.StatusOK, text.status)
		require.True(t, strings.HasPrefix(text.header.Get("Content-Type"), "text/plain"))
		require.Equal(t, diff, string(text.raw))

		restored := c.post("/api/scripts/"+id+"/restore", map[string]any{"version": 1, "expectedVersion": 3}).ok(http.StatusOK)
		require.Equal(t, "line1\nline2\n", restored["text"])
		require.EqualValues(t, 4, restored["version"])
		require.Equal(t, "line1\nline2\n", c.get("/api/scripts/" + id).ok(http.StatusOK)["text"])
		c.get("/api/scripts/"+id+"/versions").into(http.StatusOK, &h)
		require.Contains(t, h.Items[0].Summary, "restored version 1")
		c.post("/api/scripts/"+id+"/restore", map[string]any{"version": 1, "expectedVersion": 4}).problem(http.StatusUnprocessableEntity, "no_change")
	})
}
