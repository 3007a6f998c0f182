package web_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// pageDoc is the part of a page document the tests read.
type pageDoc struct {
	ID      string   `json:"id"`
	AppID   string   `json:"appId"`
	Name    string   `json:"name"`
	Version int64    `json:"version"`
	Root    *nodeDoc `json:"root"`
}

type nodeDoc struct {
	ID       string                    `json:"id"`
	Type     string                    `json:"type"`
	Props    map[string]any            `json:"props"`
	Styles   map[string]any            `json:"styles"`
	Events   map[string]map[string]any `json:"events"`
	Children []*nodeDoc                `json:"children"`
}

func (n *nodeDoc) find(id string) *nodeDoc {
	if n == nil {
		return nil
	}
	if n.ID == id {
		return n
	}
	for _, c := range n.Children {
		if f := c.find(id); f != nil {
			return f
		}
	}
	return nil
}

// createPage creates a page in app and returns its id and the tree's version.
func createPage(t *testing.T, c *client, appID, name string) (pageID string, treeVersion int64) {
	t.Helper()
	p := c.post("/api/apps/"+appID+"/pages", map[string]any{"name": name}).ok(http.StatusCreated)
	return p["id"].(string), num(t, p["treeVersion"])
}

func getPage(t *testing.T, c *client, path string) pageDoc {
	t.Helper()
	var d pageDoc
	c.get(path).into(http.StatusOK, &d)
	return d
}

// ops posts a batch of ops and returns the response.
func ops(c *client, pageID string, expected int64, ops ...map[string]any) apiResponse {
	c.t.Helper()
	return c.post("/api/pages/"+pageID+"/ops", map[string]any{"expectedVersion": expected, "ops": ops})
}

func TestPageEditing(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		c := b.c
		appID := createApp(t, c, "Shop")
		pageID, _ := createPage(t, c, appID, "Home")

		page := getPage(t, c, "/api/pages/"+pageID)
		require.Equal(t, "Home", page.Name)
		require.Equal(t, appID, page.AppID)
		require.EqualValues(t, 1, page.Version)
		require.Equal(t, "Container", page.Root.Type)

		// One request, several ops, one append: insert a row, a button into it, set a prop.
		res := ops(c, pageID, 1,
			map[string]any{"op": "insert_node", "type": "Row", "nodeId": "row1"},
			map[string]any{"op": "insert_node", "type": "Button", "nodeId": "btn1", "parentId": "row1", "props": map[string]any{"label": "Buy"}},
			map[string]any{"op": "set_prop", "nodeId": "btn1", "path": "variant", "value": "secondary"},
			map[string]any{"op": "set_style", "nodeId": "btn1", "path": "color", "value": "red"},
		).ok(http.StatusOK)
		require.EqualValues(t, 5, res["version"])
		require.EqualValues(t, 4, res["events"])
		require.Equal(t, []any{"row1", "btn1"}, res["inserted"])

		page = getPage(t, c, "/api/pages/"+pageID)
		require.EqualValues(t, 5, page.Version)
		btn := page.Root.find("btn1")
		require.NotNil(t, btn)
		require.Equal(t, "Buy", btn.Props["label"])
		require.Equal(t, "secondary", btn.Props["variant"])
		require.Equal(t, "red", btn.Styles["color"])
		require.NotNil(t, page.Root.find("row1").find("btn1"), "the button is inside the row")

		// Move the button to the root, bind its click.
		ops(c, pageID, 5,
			map[string]any{"op": "move_node", "nodeId": "btn1", "parentId": page.Root.ID},
			map[string]any{"op": "bind_event", "nodeId": "btn1", "event": "onClick", "binding": map[string]any{
				"kind": "actions", "actions": []any{map[string]any{"type": "showNotification", "params": map[string]any{"message": "hi"}}},
			}},
		).ok(http.StatusOK)
		page = getPage(t, c, "/api/pages/"+pageID)
		require.Nil(t, page.Root.find("row1").find("btn1"))
		require.NotNil(t, page.Root.find("btn1"))
		require.Equal(t, "actions", page.Root.find("btn1").Events["onClick"]["kind"])

		// A stale version is a conflict with the current version; nothing changes.
		p := ops(c, pageID, 5, map[string]any{"op": "delete_node", "nodeId": "btn1"}).problem(http.StatusConflict, "version_conflict")
		require.EqualValues(t, 7, p["currentVersion"])
		require.NotNil(t, getPage(t, c, "/api/pages/"+pageID).Root.find("btn1"))

		// Client op ids are recorded on the events.
		r := c.post("/api/pages/"+pageID+"/ops", map[string]any{"expectedVersion": 7, "clientId": "tab-1",
			"ops": []any{map[string]any{"op": "set_prop", "nodeId": "btn1", "path": "label", "value": "Pay"}}})
		r.ok(http.StatusOK)
		envs, err := b.store.ReadStream(t.Context(), "page-"+pageID, 8, 0)
		require.NoError(t, err)
		require.Len(t, envs, 1)
		require.Equal(t, "tab-1", envs[0].ClientOpID)
		require.Equal(t, "alice", envs[0].Actor)
		require.NotNil(t, envs[0].CorrelationID)
		require.Equal(t, r.header.Get("X-Request-Id"), envs[0].CorrelationID.String())
	})
}

func TestPageOpRejections(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		c := b.c
		appID := createApp(t, c, "Shop")
		pageID, _ := createPage(t, c, appID, "Home")
		ops(c, pageID, 1, map[string]any{"op": "insert_node", "type": "Button", "nodeId": "btn1"}).ok(http.StatusOK)

		tests := []struct {
			name    string
			ops     []map[string]any
			status  int
			code    string
			path    string
			opIndex int
		}{
			{"unknown component", []map[string]any{{"op": "insert_node", "type": "Blink"}}, 422, "unknown_component", "/type", 0},
			{"unknown op", []map[string]any{{"op": "set_prop", "nodeId": "btn1", "path": "label", "value": "ok"}, {"op": "explode"}}, 422, "unknown_op", "/op", 1},
			{"unknown prop", []map[string]any{{"op": "set_prop", "nodeId": "btn1", "path": "colour", "value": "x"}}, 422, "", "/nodes/btn1/props/colour", 0},
			{"prop violates schema", []map[string]any{{"op": "set_prop", "nodeId": "btn1", "path": "variant", "value": 42}}, 422, "", "/nodes/btn1/props/variant", 0},
			{"undeclared event", []map[string]any{{"op": "bind_event", "nodeId": "btn1", "event": "onHover", "binding": map[string]any{"kind": "script", "scriptId": "s1"}}}, 422, "", "", 0},
			{"missing node", []map[string]any{{"op": "delete_node", "nodeId": "ghost"}}, 404, "", "", 0},
			{"child of a button", []map[string]any{{"op": "insert_node", "type": "Text", "parentId": "btn1"}}, 422, "no_children", "", 0},
			{"second op fails", []map[string]any{{"op": "insert_node", "type": "Text", "nodeId": "t1"}, {"op": "insert_node", "type": "Text", "nodeId": "t1"}}, 409, "node_exists", "", 1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := ops(c.with(t), pageID, 2, tt.ops...).problem(tt.status, tt.code)
				require.EqualValues(t, tt.opIndex, p["opIndex"])
				if tt.path != "" {
					require.Equal(t, tt.path, p["path"])
				}
			})
		}
		require.EqualValues(t, 2, getPage(t, c, "/api/pages/"+pageID).Version, "rejected batches append nothing")

		for _, tt := range []struct {
			name, body, code string
			status           int
		}{
			{"no ops", `{"expectedVersion":2,"ops":[]}`, "required", 422},
			{"no version", `{"ops":[{"op":"delete_node","nodeId":"btn1"}]}`, "required", 422},
			{"unknown field", `{"expectedVersion":2,"ops":[],"force":true}`, "unknown_field", 400},
			{"malformed", `{"expectedVersion":2,"ops":[`, "malformed_json", 400},
			{"op not an object", `{"expectedVersion":2,"ops":[42]}`, "invalid_json", 422},
		} {
			t.Run(tt.name, func(t *testing.T) {
				c.with(t).post("/api/pages/"+pageID+"/ops", tt.body).problem(tt.status, tt.code)
			})
		}
		c.post("/api/pages/nope/ops", map[string]any{"expectedVersion": 1, "ops": []any{map[string]any{"op": "delete_node", "nodeId": "x"}}}).
			problem(http.StatusNotFound, "page_not_found")
		c.get("/api/pages/nope").problem(http.StatusNotFound, "page_not_found")
		c.get("/api/pages/"+pageID+"?version=99").problem(http.StatusNotFound, "version_not_found")
		c.get("/api/pages/"+pageID+"?version=-1").problem(http.StatusBadRequest, "invalid_version")
	})
}

// TestPageAtVersionUsesSnapshots writes enough versions for several snapshots and checks that the
// document at each version read through a snapshot equals the one read when it was the head.
func TestPageAtVersionUsesSnapshots(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		c := b.c
		appID := createApp(t, c, "Shop")
		pageID, _ := createPage(t, c, appID, "Home")
		ops(c, pageID, 1, map[string]any{"op": "insert_node", "type": "Text", "nodeId": "t"}).ok(http.StatusOK)
		heads := map[int64]string{}
		for v := int64(2); v < 255; v++ {
			ops(c, pageID, v, map[string]any{"op": "set_prop", "nodeId": "t", "path": "text", "value": fmt.Sprintf("v%d", v+1)}).ok(http.StatusOK)
			if v%50 == 0 {
				heads[v+1] = string(c.get("/api/pages/" + pageID).raw)
			}
		}
		for _, v := range []int64{100, 200} {
			_, err := b.store.SnapshotLoad(t.Context(), "page-"+pageID, v)
			require.NoError(t, err, "a snapshot at or below version %d", v)
		}
		for v, want := range heads {
			got := c.get(fmt.Sprintf("/api/pages/%s?version=%d", pageID, v))
			require.Equal(t, http.StatusOK, got.status)
			require.JSONEq(t, want, string(got.raw), "version %d", v)
		}
		old := getPage(t, c, "/api/pages/"+pageID+"?version=2")
		require.EqualValues(t, 2, old.Version)
		require.Equal(t, "Text", old.Root.find("t").Props["text"])
	})
}
