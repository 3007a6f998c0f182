package web_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
)

// TestFlowSecret: the secret is sealed, never shown, and only owners set it.
func TestFlowSecret(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			b := newAPI(t, store, webConfig())
			c := b.c
			app := createApp(t, c, "Flows")
			require.NotContains(t, c.get("/api/apps/"+app).ok(http.StatusOK), "flowSecretSet")

			got := c.put("/api/apps/"+app+"/flow-secret", map[string]any{"secret": "flow-shared-secret-1"}).ok(http.StatusOK)
			require.Equal(t, true, got["set"])
			require.Equal(t, true, c.get("/api/apps/" + app).ok(http.StatusOK)["flowSecretSet"])
			requireSealedInLog(t, b, "flow-shared-secret-1")

			c.put("/api/apps/"+app+"/flow-secret", map[string]any{}).problem(http.StatusUnprocessableEntity, "required")
			c.put("/api/apps/"+app+"/flow-secret", map[string]any{"secret": string(make([]byte, 9000))}).problem(http.StatusUnprocessableEntity, "too_large")
			require.Equal(t, false, c.put("/api/apps/"+app+"/flow-secret", map[string]any{"secret": ""}).ok(http.StatusOK)["set"])
			require.NotContains(t, c.get("/api/apps/"+app).ok(http.StatusOK), "flowSecretSet")
		})
	}
}

// requireSealedInLog checks that no event in the store holds secret in the clear.
func requireSealedInLog(t *testing.T, b apiBundle, secret string) {
	t.Helper()
	all, err := b.store.ReadAll(context.Background(), eventstore.ReadAllParams{Limit: 10000})
	require.NoError(t, err)
	require.NotEmpty(t, all)
	for _, e := range all {
		require.NotContains(t, string(e.Data), secret, "event %s of %s holds the secret in the clear", e.Type, e.StreamID)
	}
}

// TestWorkspaceAI: configure, keep the key across updates, never show it, remove.
func TestWorkspaceAI(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	c := b.c
	base := "/api/workspaces/" + b.ws + "/ai"
	require.Equal(t, false, c.get(base).ok(http.StatusOK)["configured"])

	got := c.put(base, map[string]any{"baseUrl": "http://127.0.0.1:9/v1", "model": "local-model", "maxTokens": 300, "apiKey": "sk-test-key-123456"}).ok(http.StatusOK)
	require.Equal(t, true, got["configured"])
	require.Equal(t, true, got["apiKeySet"])
	require.Equal(t, "local-model", got["model"])
	requireSealedInLog(t, b, "sk-test-key-123456")

	got = c.put(base, map[string]any{"baseUrl": "http://127.0.0.1:9/v1", "model": "other"}).ok(http.StatusOK)
	require.Equal(t, true, got["apiKeySet"], "an update without apiKey keeps the key")
	require.Equal(t, "other", c.get(base).ok(http.StatusOK)["model"])

	for _, tc := range []struct {
		body       map[string]any
		code, path string
	}{
		{map[string]any{"baseUrl": "file:///etc", "model": "m"}, "invalid_url", "/ai/baseUrl"},
		{map[string]any{"baseUrl": "https://x.example", "model": ""}, "invalid_model", "/ai/model"},
		{map[string]any{"baseUrl": "https://x.example", "model": "m", "maxTokens": -5}, "invalid_max_tokens", "/ai/maxTokens"},
	} {
		p := c.put(base, tc.body).problem(http.StatusUnprocessableEntity, tc.code)
		require.Equal(t, tc.path, p["path"], "%v", tc.body)
	}
	// Only owners configure it; editors may read it.
	bob := c.as("bob")
	bob.put(base, map[string]any{"baseUrl": "https://x.example", "model": "m"}).problem(http.StatusForbidden, "forbidden")
	require.Equal(t, true, bob.get(base).ok(http.StatusOK)["configured"])

	v := c.get(base).ok(http.StatusOK)["version"]
	c.delete(base).problem(http.StatusBadRequest, "required")
	got = c.delete(fmt.Sprintf("%s?expectedVersion=%v", base, v)).ok(http.StatusOK)
	require.Equal(t, false, got["configured"])
	require.Equal(t, false, got["apiKeySet"])
}

// TestWorkflowRetryPolicy: PATCH sets and removes a workflow's retry policy.
func TestWorkflowRetryPolicy(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	c := b.c
	app := createApp(t, c, "Flows")
	wf := createKindScript(t, c, app, "workflow", "function process_event(data, ctx) return data end")
	got := c.patch("/api/scripts/"+wf, map[string]any{"expectedVersion": 1, "retry": map[string]any{"maxAttempts": 3, "backoffMs": 250}}).ok(http.StatusOK)
	require.Equal(t, map[string]any{"maxAttempts": float64(3), "backoffMs": float64(250)}, got["retry"])
	got = c.patch("/api/scripts/"+wf, map[string]any{"expectedVersion": 2, "retry": nil}).ok(http.StatusOK)
	require.NotContains(t, got, "retry")
	c.patch("/api/scripts/"+wf, map[string]any{"expectedVersion": 3, "retry": map[string]any{"maxAttempts": 11, "backoffMs": 0}}).problem(http.StatusUnprocessableEntity, "invalid_retry")
	handler := createKindScript(t, c, app, "event_handler", "function handleEvent() {}")
	c.patch("/api/scripts/"+handler, map[string]any{"expectedVersion": 1, "retry": map[string]any{"maxAttempts": 2, "backoffMs": 0}}).problem(http.StatusUnprocessableEntity, "not_a_workflow")
	c.patch("/api/scripts/"+handler, map[string]any{"expectedVersion": 1}).problem(http.StatusUnprocessableEntity, "empty_patch")
}

// TestPoisonQueueAPI: an empty queue lists nothing; dismissing needs a version and a known run.
func TestPoisonQueueAPI(t *testing.T) {
	t.Parallel()
	b := newAPI(t, "sqlite", webConfig())
	c := b.c
	app := createApp(t, c, "Flows")
	got := c.get("/api/apps/" + app + "/poison").ok(http.StatusOK)
	require.Equal(t, []any{}, got["items"])
	c.delete("/api/apps/"+app+"/poison/r1").problem(http.StatusBadRequest, "required")
	c.delete("/api/apps/"+app+"/poison/r1?expectedVersion=0").problem(http.StatusNotFound, "not_found")
}
