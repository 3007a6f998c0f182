package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type nopPinger struct{}

func (nopPinger) Ping(context.Context) error { return nil }

// openAPIDoc is the part of the document the coverage test reads.
type openAPIDoc struct {
	OpenAPI    string                                 `json:"openapi"`
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components map[string]map[string]json.RawMessage  `json:"components"`
}

type openAPIOperation struct {
	OperationID string                      `json:"operationId"`
	Parameters  []struct{ Name, In string } `json:"parameters"`
	Responses   map[string]json.RawMessage  `json:"responses"`
}

func fetchOpenAPI(t *testing.T) (*Server, []byte, openAPIDoc) {
	t.Helper()
	s, err := New(Config{Store: nopPinger{}, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/api/openapi.json")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var doc openAPIDoc
	require.NoError(t, json.Unmarshal(raw, &doc))
	return s, raw, doc
}

// TestOpenAPIDescribesEveryRoute compares the routes the mux serves (the route table) with the
// operations of the served document, both ways, and checks each operation's path parameters.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	s, _, doc := fetchOpenAPI(t)
	require.Equal(t, "3.1.0", doc.OpenAPI)

	routes := s.routeTable()
	require.NotEmpty(t, routes)
	registered := map[string]bool{}
	for _, rt := range routes {
		key := rt.method + " " + rt.pattern
		require.False(t, registered[key], "route %s registered twice", key)
		registered[key] = true

		ops, ok := doc.Paths[rt.pattern]
		require.True(t, ok, "route %s: path missing from the OpenAPI document", key)
		op, ok := ops[strings.ToLower(rt.method)]
		require.True(t, ok, "route %s: method missing from the OpenAPI document", key)
		require.NotEmpty(t, op.OperationID, "route %s: no operationId", key)
		require.NotEmpty(t, op.Responses, "route %s: no responses", key)

		var inPath []string
		for _, p := range op.Parameters {
			if p.In == "path" {
				inPath = append(inPath, p.Name)
			}
		}
		var want []string
		for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(rt.pattern, -1) {
			want = append(want, m[1])
		}
		require.ElementsMatch(t, want, inPath, "route %s: path parameters", key)
		if rt.method != http.MethodGet {
			require.Contains(t, op.Responses, "401", "route %s: writes document the missing-actor problem", key)
		}
	}

	for path, ops := range doc.Paths {
		for method := range ops {
			key := strings.ToUpper(method) + " " + path
			require.True(t, registered[key], "the OpenAPI document describes %s, which the router does not serve", key)
		}
	}
}

// TestOpenAPIReferencesResolve catches a misspelt schema name: every $ref must name a component.
func TestOpenAPIReferencesResolve(t *testing.T) {
	t.Parallel()
	_, raw, doc := fetchOpenAPI(t)
	refs := regexp.MustCompile(`"\$ref":\s*"#/components/([^/]+)/([^"]+)"`).FindAllStringSubmatch(string(raw), -1)
	require.NotEmpty(t, refs)
	for _, m := range refs {
		_, ok := doc.Components[m[1]][m[2]]
		require.True(t, ok, "dangling $ref #/components/%s/%s", m[1], m[2])
	}

	var ids []string
	for _, ops := range doc.Paths {
		for _, op := range ops {
			require.False(t, slices.Contains(ids, op.OperationID), "operationId %s used twice", op.OperationID)
			ids = append(ids, op.OperationID)
		}
	}
}
