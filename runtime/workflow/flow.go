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
	"strconv"
	"strings"
	"time"

	"github.com/goflow-dev/goflow/runtime/luabox"
)

// Defaults of [FlowService].
const (
	DefaultFlowTimeout          = 10 * time.Second
	DefaultFlowMaxResponseBytes = 1 << 20
	// maxFlowMessage bounds the service's error text kept in a FlowError.
	maxFlowMessage = 1024
)

// FlowService is an app's external flow service (flowServiceUrl): when configured, workflows are
// POSTed to it instead of running in the built-in sandbox. The contract is in the package
// documentation. The zero values of the optional fields take the defaults; the struct is read-only
// once in use and safe for concurrent use.
type FlowService struct {
	// URL receives every workflow run of the app. Required, absolute http or https.
	URL string
	// Secret is the shared secret of the X-GoFlow-Signature HMAC. Required.
	Secret string
	// Timeout bounds one attempt, reading the answer included. Default 10s.
	Timeout time.Duration
	// HTTP sends the requests; default a client over http.DefaultTransport. Redirects are never
	// followed (a signed payload must not be forwarded elsewhere): a 3xx answer is a permanent error.
	HTTP *http.Client
	// MaxResponseBytes caps the answer. Default 1 MiB.
	MaxResponseBytes int64
}

// FlowRequest is one attempt sent to the flow service.
type FlowRequest struct {
	Workflow      string
	Payload       json.RawMessage // empty is sent as null
	SessionID     string
	CorrelationID string
	Attempt       int // 1-based
}

// FlowResult is the service's answer to an attempt. Logs are filled in on failure too, when the
// answer carried them.
type FlowResult struct {
	Result json.RawMessage
	Logs   []string
}

// FlowError is a failed flow service attempt. Status is the HTTP status, 0 when there was no
// answer (connection error or timeout, see Err). A 2xx answer with an "error" member (the workflow
// itself failed), 3xx and 4xx are permanent; 5xx and no answer are retried (see [Retryable]).
type FlowError struct {
	Status  int
	Message string // the service's "error" text or the start of its body, truncated
	Err     error  // the transport error when Status is 0 (wraps ErrTimeout on a timeout)
}

func (e *FlowError) Error() string {
	switch {
	case e.Status == 0:
		return "flow service: " + e.Err.Error()
	case e.Status >= 200 && e.Status <= 299:
		return "flow service: workflow failed: " + e.Message
	default:
		return fmt.Sprintf("flow service answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
	}
}

// Unwrap exposes the transport error and, for permanent failures, ErrPermanent.
func (e *FlowError) Unwrap() []error {
	if e.Status == 0 {
		return []error{e.Err}
	}
	if e.Status < 500 {
		return []error{ErrPermanent}
	}
	return nil
}

// Validate checks the required fields.
func (f *FlowService) Validate() error {
	u, err := url.Parse(f.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("workflow: flow service URL %q must be an absolute http or https URL", f.URL)
	}
	if f.Secret == "" {
		return errors.New("workflow: the flow service needs a shared secret")
	}
	return nil
}

type flowRequestBody struct {
	Workflow      string          `json:"workflow"`
	Payload       json.RawMessage `json:"payload"`
	SessionID     string          `json:"sessionId"`
	CorrelationID string          `json:"correlationId"`
	Attempt       int             `json:"attempt"`
}

type flowResponseBody struct {
	Result json.RawMessage `json:"result"`
	Error  string          `json:"error"`
	Logs   []string        `json:"logs"`
}

var nullJSON = json.RawMessage("null")

// Call sends one attempt, signed, and returns the service's result. Errors are [*FlowError],
// luabox.ErrTooLarge for a 2xx answer over MaxResponseBytes, or an [ErrPermanent] error for a
// configuration or payload that cannot be sent.
func (f *FlowService) Call(ctx context.Context, req FlowRequest) (FlowResult, error) {
	if err := f.Validate(); err != nil {
		return FlowResult{}, Permanent(err)
	}
	payload := req.Payload
	if len(payload) == 0 {
		payload = nullJSON
	}
	body, err := json.Marshal(flowRequestBody{
		Workflow: req.Workflow, Payload: payload, SessionID: req.SessionID,
		CorrelationID: req.CorrelationID, Attempt: req.Attempt,
	})
	if err != nil {
		return FlowResult{}, Permanent(fmt.Errorf("flow service: encode request: %w", err))
	}
	timeout := cmp.Or(max(f.Timeout, 0), DefaultFlowTimeout)
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, ErrTimeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL, bytes.NewReader(body))
	if err != nil {
		return FlowResult{}, Permanent(fmt.Errorf("flow service: build request: %w", err))
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set(HeaderTimestamp, ts)
	hreq.Header.Set(HeaderSignature, Sign(f.Secret, ts, body))

	client := http.Client{Transport: http.DefaultTransport}
	if f.HTTP != nil {
		client = *f.HTTP
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(hreq)
	if err != nil {
		return FlowResult{}, f.transportError(ctx, timeout, err)
	}
	defer resp.Body.Close()
	limit := cmp.Or(max(f.MaxResponseBytes, 0), DefaultFlowMaxResponseBytes)
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return FlowResult{}, f.transportError(ctx, timeout, fmt.Errorf("read answer: %w", err))
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if int64(len(data)) > limit {
		if ok {
			// The workflow's own result is too large: like in the sandbox, not retried.
			return FlowResult{}, fmt.Errorf("flow service: the answer exceeds %d bytes: %w", limit, luabox.ErrTooLarge)
		}
		data = data[:min(len(data), maxFlowMessage)]
	}
	var answer flowResponseBody
	jsonErr := error(nil)
	if len(bytes.TrimSpace(data)) > 0 {
		jsonErr = json.Unmarshal(data, &answer)
	}
	res := FlowResult{Result: answer.Result, Logs: answer.Logs}
	if !ok {
		msg := answer.Error
		if jsonErr != nil || msg == "" {
			msg = cmp.Or(strings.TrimSpace(string(data)), "(empty body)")
		}
		return res, &FlowError{Status: resp.StatusCode, Message: truncateText(strings.ToValidUTF8(msg, ""), maxFlowMessage)}
	}
	if jsonErr != nil {
		return res, &FlowError{Status: resp.StatusCode, Message: "invalid JSON answer: " + jsonErr.Error()}
	}
	if answer.Error != "" {
		return res, &FlowError{Status: resp.StatusCode, Message: truncateText(answer.Error, maxFlowMessage)}
	}
	if len(res.Result) == 0 {
		res.Result = nullJSON
	}
	return res, nil
}

func (f *FlowService) transportError(ctx context.Context, timeout time.Duration, err error) error {
	if errors.Is(context.Cause(ctx), ErrTimeout) {
		return &FlowError{Err: fmt.Errorf("no answer within %s: %w", timeout, ErrTimeout)}
	}
	return &FlowError{Err: err}
}
