package workflow_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/runtime/luabox"
	"github.com/goflow-dev/goflow/runtime/workflow"
)

const testAPIKey = "sk-test-7f3a9c1e5b"

// aiServer is a local OpenAI-compatible endpoint: it records each request and answers with the
// handler's reply.
type aiServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []aiReceived
}

type aiReceived struct {
	Method, Path, Auth, ContentType string
	Body                            map[string]any
}

func newAIServer(t *testing.T, reply http.HandlerFunc) *aiServer {
	t.Helper()
	s := &aiServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rec := aiReceived{Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization"), ContentType: r.Header.Get("Content-Type")}
		if err := json.Unmarshal(raw, &rec.Body); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
		reply(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *aiServer) last(t *testing.T) aiReceived {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	require.NotEmpty(t, s.requests, "the AI server received no request")
	return s.requests[len(s.requests)-1]
}

// completion answers like OpenAI's chat completions endpoint.
func completion(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-test-2026",
		"choices":[{"index":0,"message":{"role":"assistant","content":"Bonjour!"},"finish_reason":"stop"}],
		"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}`)
}

func errorReply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func temp(f float64) *float64 { return &f }

func TestAIComplete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cfg      workflow.AIConfig // BaseURL is filled in
		req      luabox.AIRequest
		reply    http.HandlerFunc
		wantBody map[string]any // compared as JSON with what the server received
		want     luabox.AIResponse
		wantErr  error  // nil: success
		wantMsg  string // substring of the error
		retry    bool   // workflow.Retryable(err)
	}{
		{
			name:     "prompt becomes one user message, default model, cap applied when absent",
			cfg:      workflow.AIConfig{APIKey: testAPIKey, DefaultModel: "gpt-default", MaxTokensCap: 256},
			req:      luabox.AIRequest{Prompt: "Say hello in French"},
			reply:    completion,
			wantBody: map[string]any{"model": "gpt-default", "max_tokens": 256, "messages": []any{map[string]any{"role": "user", "content": "Say hello in French"}}},
			want:     luabox.AIResponse{Text: "Bonjour!", Model: "gpt-test-2026", FinishReason: "stop", PromptTokens: 12, CompletionTokens: 3},
		},
		{
			name:  "messages are sent as given, max_tokens lowered to the cap, temperature passed",
			cfg:   workflow.AIConfig{APIKey: testAPIKey, DefaultModel: "gpt-default", MaxTokensCap: 100},
			req:   luabox.AIRequest{Model: "gpt-chosen", Messages: []luabox.AIMessage{{Role: "system", Content: "Be brief"}, {Role: "user", Content: "Hi"}}, MaxTokens: 5000, Temperature: temp(0.5)},
			reply: completion,
			wantBody: map[string]any{"model": "gpt-chosen", "max_tokens": 100, "temperature": 0.5, "messages": []any{
				map[string]any{"role": "system", "content": "Be brief"}, map[string]any{"role": "user", "content": "Hi"}}},
			want: luabox.AIResponse{Text: "Bonjour!", Model: "gpt-test-2026", FinishReason: "stop", PromptTokens: 12, CompletionTokens: 3},
		},
		{
			name:     "max_tokens under the cap and no cap",
			cfg:      workflow.AIConfig{APIKey: testAPIKey},
			req:      luabox.AIRequest{Model: "m", Prompt: "x", MaxTokens: 7},
			reply:    completion,
			wantBody: map[string]any{"model": "m", "max_tokens": 7, "messages": []any{map[string]any{"role": "user", "content": "x"}}},
			want:     luabox.AIResponse{Text: "Bonjour!", Model: "gpt-test-2026", FinishReason: "stop", PromptTokens: 12, CompletionTokens: 3},
		},
		{
			name:    "401 carries the provider message without the key",
			cfg:     workflow.AIConfig{APIKey: testAPIKey, DefaultModel: "m"},
			req:     luabox.AIRequest{Prompt: "x"},
			reply:   errorReply(401, `{"error":{"message":"Incorrect API key provided: `+testAPIKey+`. You can find your API key at https://example.com.","type":"invalid_request_error","code":"invalid_api_key"}}`),
			wantErr: workflow.ErrPermanent, wantMsg: "Incorrect API key provided: [redacted]",
		},
		{
			name:    "400 with a string error",
			cfg:     workflow.AIConfig{APIKey: testAPIKey, DefaultModel: "m"},
			req:     luabox.AIRequest{Prompt: "x"},
			reply:   errorReply(400, `{"error":"model m does not exist"}`),
			wantErr: workflow.ErrPermanent, wantMsg: "400 Bad Request: model m does not exist",
		},
		{
			name:    "429 is retryable",
			cfg:     workflow.AIConfig{APIKey: testAPIKey, DefaultModel: "m"},
			req:     luabox.AIRequest{Prompt: "x"},
			reply:   errorReply(429, `{"error":{"message":"Rate limit reached"}}`),
			wantMsg: "Rate limit reached", retry: true,
		},
		{
			name:    "500 with a non-JSON body is retryable",
			cfg:     workflow.AIConfig{APIKey: testAPIKey, DefaultModel: "m"},
			req:     luabox.AIRequest{Prompt: "x"},
			reply:   errorReply(502, `upstream exploded`),
			wantMsg: "502 Bad Gateway: upstream exploded", retry: true,
		},
		{
			name: "timeout",
			cfg:  workflow.AIConfig{APIKey: testAPIKey, DefaultModel: "m", Timeout: 100 * time.Millisecond},
			req:  luabox.AIRequest{Prompt: "x"},
			reply: func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			},
			wantErr: workflow.ErrTimeout, wantMsg: "no AI response within 100ms", retry: true,
		},
		{
			name: "oversized response",
			cfg:  workflow.AIConfig{APIKey: testAPIKey, DefaultModel: "m", MaxResponseBytes: 1024},
			req:  luabox.AIRequest{Prompt: "x"},
			reply: func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, `{"choices":[{"message":{"content":"`+strings.Repeat("x", 4096)+`"}}]}`)
			},
			wantErr: luabox.ErrTooLarge, wantMsg: "exceeds 1024 bytes",
		},
		{
			name:    "no choices",
			cfg:     workflow.AIConfig{APIKey: testAPIKey, DefaultModel: "m"},
			req:     luabox.AIRequest{Prompt: "x"},
			reply:   errorReply(200, `{"choices":[]}`),
			wantErr: workflow.ErrPermanent, wantMsg: "no choices",
		},
		{
			name:    "no model anywhere",
			cfg:     workflow.AIConfig{APIKey: testAPIKey},
			req:     luabox.AIRequest{Prompt: "x"},
			reply:   completion,
			wantErr: workflow.ErrPermanent, wantMsg: "no model",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newAIServer(t, tt.reply)
			cfg := tt.cfg
			cfg.BaseURL = srv.URL + "/v1/"
			ai, err := workflow.NewAIClient(cfg)
			require.NoError(t, err)
			got, err := ai.AIComplete(context.Background(), tt.req)
			if tt.wantErr == nil && tt.wantMsg == "" {
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
				rec := srv.last(t)
				require.Equal(t, "POST", rec.Method)
				require.Equal(t, "/v1/chat/completions", rec.Path)
				require.Equal(t, "Bearer "+testAPIKey, rec.Auth)
				require.Equal(t, "application/json", rec.ContentType)
				want, err := json.Marshal(tt.wantBody)
				require.NoError(t, err)
				gotBody, err := json.Marshal(rec.Body)
				require.NoError(t, err)
				require.JSONEq(t, string(want), string(gotBody))
				return
			}
			require.Error(t, err)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			}
			require.Contains(t, err.Error(), tt.wantMsg)
			require.NotContains(t, err.Error(), testAPIKey, "the API key must never appear in an error")
			var aiErr *workflow.AIError
			if errors.As(err, &aiErr) {
				require.NotContains(t, aiErr.Message, testAPIKey)
			}
			require.Equal(t, tt.retry, workflow.Retryable(err))
		})
	}
}

func TestNewAIClientValidates(t *testing.T) {
	t.Parallel()
	for _, cfg := range []workflow.AIConfig{
		{BaseURL: ""},
		{BaseURL: "ftp://example.com"},
		{BaseURL: "/v1"},
		{BaseURL: "https://api.example.com/v1", MaxTokensCap: -1},
	} {
		_, err := workflow.NewAIClient(cfg)
		require.Error(t, err, "%+v", cfg)
	}
}

func TestAIWithoutKeySendsNoAuthorization(t *testing.T) {
	t.Parallel()
	srv := newAIServer(t, completion)
	ai, err := workflow.NewAIClient(workflow.AIConfig{BaseURL: srv.URL, DefaultModel: "local"})
	require.NoError(t, err)
	_, err = ai.AIComplete(context.Background(), luabox.AIRequest{Prompt: "hi"})
	require.NoError(t, err)
	require.Empty(t, srv.last(t).Auth)
	require.Equal(t, "/chat/completions", srv.last(t).Path)
}
