package workflow

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/goflow-dev/goflow/runtime/luabox"
)

// Defaults of [AIConfig].
const (
	DefaultAITimeout          = 60 * time.Second
	DefaultAIMaxResponseBytes = 4 << 20
	// maxProviderMessage bounds how much of a provider's error text goes into an error.
	maxProviderMessage = 512
)

// AIConfig is a workspace's OpenAI-compatible endpoint. The key stays on the server: it is sent
// only in the Authorization header and is scrubbed from every error.
type AIConfig struct {
	// BaseURL is the API root, for example "https://api.openai.com/v1"; requests go to
	// BaseURL + "/chat/completions". Required, http or https.
	BaseURL string
	// APIKey is sent as "Authorization: Bearer <key>"; empty sends no Authorization header (local
	// servers that need none).
	APIKey string
	// DefaultModel is used when ai.complete names no model. If both are empty the call fails.
	DefaultModel string
	// Timeout bounds one completion, reading the answer included. Default 60s; the run's deadline
	// (luabox Limits.Timeout) applies as well and is usually the shorter one.
	Timeout time.Duration
	// MaxTokensCap caps max_tokens: a larger request is lowered to it and a request without one is
	// sent with it. Zero means no cap (the request's max_tokens, if any, is sent as is).
	MaxTokensCap int
	// MaxResponseBytes caps the HTTP response body. Default 4 MiB.
	MaxResponseBytes int64
	// Transport sends the requests; default a clone of http.DefaultTransport.
	Transport http.RoundTripper
}

// AIClient calls an OpenAI-compatible chat completions endpoint. It is safe for concurrent use.
type AIClient struct {
	cfg      AIConfig
	endpoint string
	client   *http.Client
}

// AIError is a non-2xx answer from the AI endpoint. Message is the provider's error message (with
// the API key scrubbed), truncated. 408, 429 and 5xx are retryable; other statuses are permanent.
type AIError struct {
	Status  int
	Message string
}

func (e *AIError) Error() string {
	return fmt.Sprintf("AI endpoint answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// Unwrap marks client errors as permanent for [Retryable].
func (e *AIError) Unwrap() error {
	if e.Status == http.StatusTooManyRequests || e.Status == http.StatusRequestTimeout || e.Status >= 500 {
		return nil
	}
	return ErrPermanent
}

// NewAIClient validates cfg and returns a client.
func NewAIClient(cfg AIConfig) (*AIClient, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("workflow: AI base URL %q must be an absolute http or https URL", cfg.BaseURL)
	}
	if cfg.MaxTokensCap < 0 {
		return nil, fmt.Errorf("workflow: AI MaxTokensCap %d must not be negative", cfg.MaxTokensCap)
	}
	cfg.Timeout = cmp.Or(max(cfg.Timeout, 0), DefaultAITimeout)
	cfg.MaxResponseBytes = cmp.Or(max(cfg.MaxResponseBytes, 0), DefaultAIMaxResponseBytes)
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	return &AIClient{
		cfg:      cfg,
		endpoint: strings.TrimSuffix(cfg.BaseURL, "/") + "/chat/completions",
		// The key must not follow a redirect to another host; the endpoint should not redirect.
		client: &http.Client{Transport: cfg.Transport, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
	}, nil
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatRequest struct {
	Model       string        `json:"model"`
	Messages    []chatMessage `json:"messages"`
	MaxTokens   int           `json:"max_tokens,omitempty"`
	Temperature *float64      `json:"temperature,omitempty"`
}

type chatResponse struct {
	Model   string `json:"model"`
	Choices []struct {
		Message      chatMessage `json:"message"`
		FinishReason string      `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
}

// AIComplete sends req as a chat completion: a Prompt becomes a single user message, Messages are
// sent as they are. Errors: [*AIError] for a non-2xx answer, [ErrTimeout] past the timeout,
// luabox.ErrTooLarge for an answer over MaxResponseBytes, an [ErrPermanent] error for a request
// without a model or messages or an answer without choices. No error contains the API key.
func (c *AIClient) AIComplete(ctx context.Context, req luabox.AIRequest) (luabox.AIResponse, error) {
	body := chatRequest{Model: cmp.Or(req.Model, c.cfg.DefaultModel), MaxTokens: req.MaxTokens, Temperature: req.Temperature}
	if body.Model == "" {
		return luabox.AIResponse{}, Permanent(errors.New("no model given and the workspace has no default model"))
	}
	if req.Prompt != "" {
		body.Messages = []chatMessage{{Role: "user", Content: req.Prompt}}
	} else {
		body.Messages = make([]chatMessage, len(req.Messages))
		for i, m := range req.Messages {
			body.Messages[i] = chatMessage{Role: cmp.Or(m.Role, "user"), Content: m.Content}
		}
	}
	if len(body.Messages) == 0 {
		return luabox.AIResponse{}, Permanent(errors.New("give a prompt or messages"))
	}
	if body.MaxTokens < 0 {
		return luabox.AIResponse{}, Permanent(fmt.Errorf("max_tokens %d must not be negative", body.MaxTokens))
	}
	if cp := c.cfg.MaxTokensCap; cp > 0 && (body.MaxTokens == 0 || body.MaxTokens > cp) {
		body.MaxTokens = cp
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return luabox.AIResponse{}, Permanent(fmt.Errorf("encode request: %w", err))
	}

	ctx, cancel := context.WithTimeoutCause(ctx, c.cfg.Timeout, ErrTimeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(payload))
	if err != nil {
		return luabox.AIResponse{}, Permanent(fmt.Errorf("build request: %w", err))
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	if c.cfg.APIKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	hresp, err := c.client.Do(hreq)
	if err != nil {
		return luabox.AIResponse{}, c.transportError(ctx, err)
	}
	defer hresp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hresp.Body, c.cfg.MaxResponseBytes+1))
	if err != nil {
		return luabox.AIResponse{}, c.transportError(ctx, fmt.Errorf("read AI response: %w", err))
	}
	if int64(len(data)) > c.cfg.MaxResponseBytes {
		return luabox.AIResponse{}, fmt.Errorf("the AI response exceeds %d bytes: %w", c.cfg.MaxResponseBytes, luabox.ErrTooLarge)
	}
	if hresp.StatusCode < 200 || hresp.StatusCode > 299 {
		return luabox.AIResponse{}, &AIError{Status: hresp.StatusCode, Message: truncateText(c.redact(providerMessage(data)), maxProviderMessage)}
	}
	var out chatResponse
	if err := json.Unmarshal(data, &out); err != nil {
		return luabox.AIResponse{}, fmt.Errorf("decode AI response: %w", err)
	}
	if len(out.Choices) == 0 {
		return luabox.AIResponse{}, Permanent(errors.New("the AI response has no choices"))
	}
	return luabox.AIResponse{
		Text:             out.Choices[0].Message.Content,
		Model:            cmp.Or(out.Model, body.Model),
		FinishReason:     out.Choices[0].FinishReason,
		PromptTokens:     out.Usage.PromptTokens,
		CompletionTokens: out.Usage.CompletionTokens,
	}, nil
}

func (c *AIClient) transportError(ctx context.Context, err error) error {
	if errors.Is(context.Cause(ctx), ErrTimeout) {
		return fmt.Errorf("no AI response within %s: %w", c.cfg.Timeout, ErrTimeout)
	}
	return fmt.Errorf("call AI endpoint: %w", err)
}

// providerMessage extracts the error text of an OpenAI-style error body ({"error": {"message": ..}}
// or {"error": ".."} or {"message": ..}), falling back to the body. The caller redacts, then truncates.
func providerMessage(data []byte) string {
	var body struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	msg := ""
	if json.Unmarshal(data, &body) == nil {
		var nested struct {
			Message string `json:"message"`
		}
		switch {
		case json.Unmarshal(body.Error, &msg) == nil && msg != "":
		case json.Unmarshal(body.Error, &nested) == nil && nested.Message != "":
			msg = nested.Message
		default:
			msg = body.Message
		}
	}
	if msg == "" {
		msg = strings.TrimSpace(string(data))
	}
	if msg == "" {
		return "(no message)"
	}
	return strings.ToValidUTF8(msg, "")
}

// redact scrubs the API key from a provider's text: providers echo keys in their messages
// ("Incorrect API key provided: sk-..."), and errors end up in session events and logs.
func (c *AIClient) redact(msg string) string {
	if c.cfg.APIKey == "" {
		return msg
	}
	return strings.ReplaceAll(msg, c.cfg.APIKey, "[redacted]")
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "..."
}
