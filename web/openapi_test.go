package web

import (
	"bytes"
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

	"github.com/goflow-dev/goflow/domain"
)

type nopPinger struct{}

func (nopPinger) Ping(context.Context) error { return nil }

// openAPIDoc is the part of the document the coverage test reads.
type openAPIDoc struct {
	OpenAPI    string                                 `json:"openapi"`
	Info       struct{ Description string }           `json:"info"`
	Security   []map[string][]string                  `json:"security"`
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components map[string]map[string]json.RawMessage  `json:"components"`
}

type openAPIOperation struct {
	OperationID string                      `json:"operationId"`
	Description string                      `json:"description"`
	Parameters  []struct{ Name, In string } `json:"parameters"`
	Responses   map[string]json.RawMessage  `json:"responses"`
	// Security is absent (nil) when the operation inherits the document's requirement.
	Security json.RawMessage `json:"security"`
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

// TestOpenAPISecurityMatchesAccessRules checks each operation's security requirement and its
// authentication and authorization problems against the access rule its route is served with.
func TestOpenAPISecurityMatchesAccessRules(t *testing.T) {
	t.Parallel()
	s, _, doc := fetchOpenAPI(t)
	const unauthenticated = `{"$ref":"#/components/responses/Unauthenticated"}`
	rolesSentence := regexp.MustCompile(`Roles allowed: ([a-z, ]+)\.`)

	for _, rt := range s.routeTable() {
		key := rt.method + " " + rt.pattern
		op := doc.Paths[rt.pattern][strings.ToLower(rt.method)]
		require.NotEmpty(t, op.OperationID, "route %s: not described", key)
		response := func(status string) string {
			raw, ok := op.Responses[status]
			if !ok {
				return ""
			}
			var buf bytes.Buffer
			require.NoError(t, json.Compact(&buf, raw))
			return buf.String()
		}

		if rt.access.kind == accessPublic {
			require.JSONEq(t, `[]`, string(op.Security), "route %s is public: the operation must say security: []", key)
			require.NotEqual(t, unauthenticated, response("401"), "route %s is public: no sign-in problem", key)
		} else {
			if op.Security != nil {
				var reqs []map[string][]string
				require.NoError(t, json.Unmarshal(op.Security, &reqs), "route %s", key)
				require.NotEmpty(t, reqs, "route %s needs credentials: its operation must not drop security", key)
			}
			require.Equal(t, unauthenticated, response("401"), "route %s needs credentials: the operation documents 401", key)
		}

		if rt.access.kind == accessAdmin || rt.access.kind == accessWorkspace {
			require.Contains(t, op.Responses, "403", "route %s needs a role: the operation documents 403", key)
		}
		if rt.access.kind == accessAdmin {
			require.Contains(t, op.Description, "server administrator", "route %s", key)
		}
		if rt.access.kind != accessWorkspace {
			require.NotRegexp(t, rolesSentence, op.Description, "route %s is not workspace-scoped", key)
			continue
		}
		require.Contains(t, op.Responses, "404", "route %s is workspace-scoped: the operation documents 404", key)
		m := rolesSentence.FindStringSubmatch(op.Description)
		require.NotNil(t, m, "route %s: the description names no roles", key)
		var want []string
		for _, role := range domain.Roles() {
			if role.Allows(rt.access.perm) {
				want = append(want, string(role))
			}
		}
		require.ElementsMatch(t, want, strings.Split(m[1], ", "), "route %s needs %s: roles allowed", key, rt.access.perm)
	}
}

// TestOpenAPISecuritySchemes checks the document-wide authentication: the two schemes, the
// default requirement, and the headers writes take.
func TestOpenAPISecuritySchemes(t *testing.T) {
	t.Parallel()
	_, raw, doc := fetchOpenAPI(t)
	require.Equal(t, []map[string][]string{{"bearerToken": {}}, {"sessionCookie": {}}}, doc.Security)

	schemes := doc.Components["securitySchemes"]
	require.JSONEq(t, `"http"`, jsonField(t, schemes["bearerToken"], "type"))
	require.JSONEq(t, `"bearer"`, jsonField(t, schemes["bearerToken"], "scheme"))
	require.Contains(t, jsonField(t, schemes["bearerToken"], "description"), "POST /api/auth/tokens")
	require.JSONEq(t, `"apiKey"`, jsonField(t, schemes["sessionCookie"], "type"))
	require.JSONEq(t, `"cookie"`, jsonField(t, schemes["sessionCookie"], "in"))
	require.JSONEq(t, `"`+SessionCookie+`"`, jsonField(t, schemes["sessionCookie"], "name"))
	require.Contains(t, doc.Info.Description, CSRFHeader)

	require.False(t, strings.Contains(string(raw), "X-GoFlow-Actor"), "the actor header is gone: the signed-in user is the actor")
	for path, ops := range doc.Paths {
		for method, op := range ops {
			var headers []string
			for _, p := range op.Parameters {
				if p.In == "header" {
					headers = append(headers, p.Name)
				}
			}
			key := strings.ToUpper(method) + " " + path
			if method == "get" {
				require.Empty(t, headers, "%s", key)
				continue
			}
			require.Contains(t, headers, ClientOpHeader, "%s", key)
			if op.Security == nil {
				require.Contains(t, headers, CSRFHeader, "%s may be cookie-authenticated", key)
			} else {
				require.NotContains(t, headers, CSRFHeader, "%s is public", key)
			}
		}
	}
}

// jsonField returns the raw JSON of one field of a JSON object.
func jsonField(t *testing.T, obj json.RawMessage, name string) string {
	t.Helper()
	var fields map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(obj, &fields))
	require.Contains(t, fields, name)
	return string(fields[name])
}
