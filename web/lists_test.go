package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAppCataloguePagination(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		c := b.c
		want := map[string]bool{}
		for i := range 7 {
			want[createApp(t, c, fmt.Sprintf("App %d", i))] = true
		}
		deleted := createApp(t, c, "Gone")
		c.delete("/api/apps/" + deleted + "?expectedVersion=1").ok(http.StatusOK)

		seen := map[string]bool{}
		cursor, pages := "", 0
		for {
			var pg struct {
				Items []struct {
					ID      string `json:"id"`
					Version int64  `json:"version"`
				} `json:"items"`
				NextCursor string `json:"nextCursor"`
			}
			c.get(c.apps()+"?limit=3&cursor="+url.QueryEscape(cursor)).into(http.StatusOK, &pg)
			pages++
			require.LessOrEqual(t, len(pg.Items), 3)
			for _, it := range pg.Items {
				require.False(t, seen[it.ID], "app %s listed twice", it.ID)
				seen[it.ID] = true
				require.EqualValues(t, 1, it.Version)
			}
			if pg.NextCursor == "" {
				break
			}
			cursor = pg.NextCursor
			require.Less(t, pages, 10, "pagination does not end")
		}
		require.Equal(t, want, seen, "every app once, deleted ones left out")
		require.Equal(t, 3, pages)

		all := c.get(c.apps() + "?limit=100000").ok(http.StatusOK)
		require.Len(t, all["items"], 7, "a large limit is capped, not refused")
		require.NotContains(t, all, "nextCursor")
		c.get(c.apps()+"?limit=0").problem(http.StatusBadRequest, "invalid_limit")
		c.get(c.apps()+"?limit=ten").problem(http.StatusBadRequest, "invalid_limit")
		c.get(c.apps()+"?cursor=!!!").problem(http.StatusBadRequest, "invalid_cursor")
		c.get(c.apps()+"?cursor=bm9wZQ").problem(http.StatusBadRequest, "invalid_cursor")
	})
}

func TestComponentsServesTheManifests(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	body := b.c.get("/api/components").ok(http.StatusOK)
	comps := body["components"].([]any)
	types := map[string]map[string]any{}
	for _, c := range comps {
		m := c.(map[string]any)
		types[m["type"].(string)] = m
	}
	for _, want := range []string{"Container", "Row", "Text", "Heading", "Button", "TextInput", "NumberInput", "Select",
		"Checkbox", "Table", "Form", "Image", "Link", "Modal", "Tabs", "List"} {
		require.Contains(t, types, want)
	}
	button := types["Button"]
	require.NotEmpty(t, button["props"])
	require.NotEmpty(t, button["events"])
	require.NotEmpty(t, body["quickActions"])
}
