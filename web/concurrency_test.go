package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConcurrentWritersOneWins sends the same expected version from several clients at once:
// exactly one commits, the others get 409 with the version it produced.
func TestConcurrentWritersOneWins(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b apiBundle) {
		appID := createApp(t, b.c, "Shop")
		pageID, _ := createPage(t, b.c, appID, "Home")

		const writers = 6
		type result struct {
			status int
			body   []byte
			err    error
		}
		results := make(chan result, writers)
		body := `{"expectedVersion":1,"ops":[{"op":"insert_node","type":"Text"}]}`
		auth := "Bearer " + b.c.token() // minted here: no require off the test goroutine
		var wg sync.WaitGroup
		for range writers {
			wg.Add(1)
			go func() { // no require off the test goroutine: collect, check below
				defer wg.Done()
				req, err := http.NewRequest("POST", b.c.base+"/api/pages/"+pageID+"/ops", strings.NewReader(body))
				if err != nil {
					results <- result{err: err}
					return
				}
				req.Header.Set("Authorization", auth)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					results <- result{err: err}
					return
				}
				defer resp.Body.Close()
				raw, err := io.ReadAll(resp.Body)
				results <- result{status: resp.StatusCode, body: raw, err: err}
			}()
		}
		wg.Wait()
		close(results)
		won := 0
		for r := range results {
			require.NoError(t, r.err)
			switch r.status {
			case http.StatusOK:
				won++
			case http.StatusConflict:
				var p map[string]any
				require.NoError(t, json.Unmarshal(r.body, &p))
				require.EqualValues(t, 2, p["currentVersion"])
			default:
				t.Fatalf("unexpected status %d: %s", r.status, r.body)
			}
		}
		require.Equal(t, 1, won)
		page := getPage(t, b.c, "/api/pages/"+pageID)
		require.EqualValues(t, 2, page.Version)
		require.Len(t, page.Root.Children, 1)
	})
}

func TestUnknownRoutesAreProblems(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	b.c.get("/api/nothing-here").problem(http.StatusNotFound, "no_route")
	r := b.c.do("PUT", b.c.apps(), map[string]any{})
	r.problem(http.StatusMethodNotAllowed, "method_not_allowed")
	require.Contains(t, r.header.Get("Allow"), "POST")
}
