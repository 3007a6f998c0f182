package luabox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/runtime/luabox"
)

// fakeHost answers the workflow API from fixed data and records what it was asked.
type fakeHost struct {
	mu      sync.Mutex
	queries []string // name + " " + params
	http    []luabox.HTTPRequest
	ai      []luabox.AIRequest
}

var errBoom = errors.New("boom")

func (h *fakeHost) Query(ctx context.Context, name string, params json.RawMessage) (json.RawMessage, error) {
	h.mu.Lock()
	h.queries = append(h.queries, name+" "+string(params))
	h.mu.Unlock()
	switch name {
	case "users":
		return json.RawMessage(`[{"id":1,"name":"Ada"},{"id":2,"name":"Grace"}]`), nil
	case "fail":
		return nil, fmt.Errorf("run query: %w", errBoom)
	case "huge":
		return json.RawMessage(`"` + strings.Repeat("x", 5<<20) + `"`), nil
	case "slow":
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, fmt.Errorf("unknown query %q", name)
}

func (h *fakeHost) HTTPRequest(ctx context.Context, req luabox.HTTPRequest) (luabox.HTTPResponse, error) {
	h.mu.Lock()
	h.http = append(h.http, req)
	h.mu.Unlock()
	if strings.Contains(req.URL, "forbidden.example") {
		return luabox.HTTPResponse{}, fmt.Errorf("host forbidden.example is not allowed: %w", luabox.ErrForbidden)
	}
	echo, err := json.Marshal(map[string]any{"method": req.Method, "url": req.URL, "body": string(req.Body)})
	if err != nil {
		return luabox.HTTPResponse{}, err
	}
	return luabox.HTTPResponse{Status: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: echo}, nil
}

func (h *fakeHost) AIComplete(ctx context.Context, req luabox.AIRequest) (luabox.AIResponse, error) {
	h.mu.Lock()
	h.ai = append(h.ai, req)
	h.mu.Unlock()
	prompt := req.Prompt
	if n := len(req.Messages); n > 0 {
		prompt = req.Messages[n-1].Content
	}
	return luabox.AIResponse{
		Text: "echo: " + prompt, Model: req.Model, FinishReason: "stop",
		PromptTokens: len(prompt), CompletionTokens: 6 + len(prompt),
	}, nil
}

// setup returns a sandbox with limits l over a fresh fake host.
func setup(t *testing.T, l luabox.Limits) (*luabox.Sandbox, *fakeHost) {
	t.Helper()
	h := &fakeHost{}
	return luabox.NewSandbox(l, h), h
}

// mustRun runs script with data and returns the output as a string.
func mustRun(t *testing.T, sb *luabox.Sandbox, script, data string) string {
	t.Helper()
	res, err := sb.Run(context.Background(), luabox.Run{Script: script, Name: "t", Data: json.RawMessage(data)})
	require.NoError(t, err)
	return string(res.Output)
}
