package web_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

type treeDoc struct {
	Version int64       `json:"version"`
	Pages   []*treeNode `json:"pages"`
}

type treeNode struct {
	PageID   string      `json:"pageId"`
	Name     string      `json:"name"`
	Slug     string      `json:"slug"`
	Children []*treeNode `json:"children"`
}

func getTree(t *testing.T, c *client, appID string) treeDoc {
	t.Helper()
	var d treeDoc
	c.get("/api/apps/"+appID+"/pages").into(http.StatusOK, &d)
	return d
}

func TestPageTree(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		c := b.c
		appID := createApp(t, c, "Shop")
		require.Equal(t, treeDoc{Version: 0, Pages: []*treeNode{}}, getTree(t, c, appID))

		resp := c.post("/api/apps/"+appID+"/pages", map[string]any{"name": "Home Page"})
		home := resp.ok(http.StatusCreated)
		homeID := home["id"].(string)
		require.Equal(t, "/api/pages/"+homeID, resp.header.Get("Location"))
		require.Equal(t, "home-page", home["slug"], "the slug is derived from the name")
		require.EqualValues(t, 1, home["treeVersion"])
		require.EqualValues(t, 1, home["version"])

		about := c.post("/api/apps/"+appID+"/pages", map[string]any{"name": "About", "slug": "about", "expectedVersion": 1}).ok(http.StatusCreated)
		aboutID := about["id"].(string)
		team := c.post("/api/apps/"+appID+"/pages", map[string]any{"name": "Team", "parentId": aboutID}).ok(http.StatusCreated)
		teamID := team["id"].(string)

		tree := getTree(t, c, appID)
		require.EqualValues(t, 3, tree.Version)
		require.Len(t, tree.Pages, 2)
		require.Equal(t, []string{homeID, aboutID}, []string{tree.Pages[0].PageID, tree.Pages[1].PageID})
		require.Equal(t, teamID, tree.Pages[1].Children[0].PageID)

		// Creation failures write nothing: a taken slug, a missing parent, a stale tree version.
		c.post("/api/apps/"+appID+"/pages", map[string]any{"name": "About us", "slug": "about"}).problem(http.StatusConflict, "slug_taken")
		c.post("/api/apps/"+appID+"/pages", map[string]any{"name": "Orphan", "parentId": "ghost"}).problem(http.StatusNotFound, "page_not_found")
		p := c.post("/api/apps/"+appID+"/pages", map[string]any{"name": "Late", "expectedVersion": 1}).problem(http.StatusConflict, "version_conflict")
		require.EqualValues(t, 3, p["currentVersion"])
		c.post("/api/apps/ghost/pages", map[string]any{"name": "x"}).problem(http.StatusNotFound, "app_not_found")
		require.EqualValues(t, 3, getTree(t, c, appID).Version)

		// Rename: the tree and the page document both get the new name.
		renamed := c.patch(fmt.Sprintf("/api/apps/%s/pages/%s", appID, aboutID), map[string]any{"expectedVersion": 3, "name": "About Us", "slug": "about-us"}).ok(http.StatusOK)
		require.Equal(t, "about-us", renamed["slug"])
		require.EqualValues(t, 4, renamed["treeVersion"])
		require.EqualValues(t, 2, renamed["version"])
		require.Equal(t, "About Us", getPage(t, c, "/api/pages/"+aboutID).Name)

		// Moves: a cycle is rejected, moving to the top level works.
		c.patch(fmt.Sprintf("/api/apps/%s/pages/%s", appID, aboutID), map[string]any{"expectedVersion": 4, "parentId": teamID}).problem(http.StatusConflict, "cycle")
		c.patch(fmt.Sprintf("/api/apps/%s/pages/%s", appID, teamID), map[string]any{"expectedVersion": 3, "parentId": ""}).problem(http.StatusConflict, "version_conflict")
		c.patch(fmt.Sprintf("/api/apps/%s/pages/%s", appID, teamID), map[string]any{"expectedVersion": 4, "parentId": ""}).ok(http.StatusOK)
		require.Len(t, getTree(t, c, appID).Pages, 3)
		c.patch(fmt.Sprintf("/api/apps/%s/pages/%s", appID, teamID), map[string]any{"expectedVersion": 5, "parentId": aboutID, "index": "a0"}).ok(http.StatusOK)
		c.patch(fmt.Sprintf("/api/apps/%s/pages/%s", appID, teamID), map[string]any{"expectedVersion": 6}).problem(http.StatusUnprocessableEntity, "empty_patch")

		// Deleting a page deletes its subtree from the tree and their page streams.
		c.delete(fmt.Sprintf("/api/apps/%s/pages/%s", appID, aboutID)).problem(http.StatusBadRequest, "required")
		del := c.delete(fmt.Sprintf("/api/apps/%s/pages/%s?expectedVersion=6", appID, aboutID)).ok(http.StatusOK)
		require.ElementsMatch(t, []any{aboutID, teamID}, del["pageIds"])
		tree = getTree(t, c, appID)
		require.EqualValues(t, 7, tree.Version)
		require.Len(t, tree.Pages, 1)
		c.get("/api/pages/"+teamID).problem(http.StatusNotFound, "page_not_found")
		c.get("/api/pages/"+aboutID).problem(http.StatusNotFound, "page_not_found")
		require.Equal(t, "About Us", getPage(t, c, "/api/pages/"+aboutID+"?version=2").Name, "old versions of a deleted page stay readable")
		c.delete(fmt.Sprintf("/api/apps/%s/pages/%s?expectedVersion=7", appID, aboutID)).problem(http.StatusNotFound, "page_not_found")
	})
}
