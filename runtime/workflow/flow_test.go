package workflow_test

import (
	"cmp"
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

const flowSecret = "flow-shared-secret"

// flowServer is a local external flow service. It verifies every request's signature with
// workflow.VerifySignature (401 when it fails), records the decoded requests and answers attempt n
// with steps[n-1] (the last step repeats).
type flowServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []map[string]any
	sigErrs  []error
}

type flowStep func(w http.ResponseWriter, r *http.Request)

func newFlowServer(t *testing.T, steps ...flowStep) *flowServer {
	t.Helper()
	s := &flowServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sigErr := workflow.VerifySignature(flowSecret, r.Header.Get(workflow.HeaderTimestamp), body,
			r.Header.Get(workflow.HeaderSignature), time.Now(), time.Minute)
		var req map[string]any
		if err := json.Unmarshal(body, &req); err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, `{"error":"not a flow request"}`, http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.requests = append(s.requests, req)
		s.sigErrs = append(s.sigErrs, sigErr)
		n := len(s.requests)
		s.mu.Unlock()
		if sigErr != nil {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": sigErr.Error()})
			return
		}
		steps[min(n, len(steps))-1](w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *flowServer) Requests() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.requests...)
}

func answer(status int, body string) flowStep {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// hang answers only after the client gave up.
func hang(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

func TestFlowService(t *testing.T) {
	t.Parallel()
	ok := answer(200, `{"result":{"total":42},"logs":["computed total"]}`)
	tests := []struct {
		name         string
		steps        []flowStep
		secret       string // default flowSecret
		policy       workflow.Policy
		timeout      time.Duration
		want         string // result JSON; "" when the run fails
		wantErr      error
		wantMsg      string
		wantAttempts int
		wantBackoff  time.Duration
		poisoned     bool
		events       []string
	}{
		{
			name: "success, signed", steps: []flowStep{ok}, want: `{"total":42}`, wantAttempts: 1,
			events: []string{"started 1", "log computed total", `succeeded {"total":42}`},
		},
		{
			name: "missing result is null", steps: []flowStep{answer(200, `{}`)}, want: `null`, wantAttempts: 1,
			events: []string{"started 1", "succeeded null"},
		},
		{
			name: "500 then success, retried after the backoff", steps: []flowStep{answer(500, `{"error":"database restarting"}`), ok},
			policy: workflow.Policy{MaxAttempts: 3, Backoff: 30 * time.Millisecond}, want: `{"total":42}`,
			wantAttempts: 2, wantBackoff: 30 * time.Millisecond,
			events: []string{"started 1", "failed retry=true", "started 2", "log computed total", `succeeded {"total":42}`},
		},
		{
			name: "timeout retried", steps: []flowStep{hang, ok}, timeout: 300 * time.Millisecond,
			policy: workflow.Policy{MaxAttempts: 2, Backoff: 10 * time.Millisecond}, want: `{"total":42}`,
			wantAttempts: 2, wantBackoff: 10 * time.Millisecond,
			events: []string{"started 1", "failed retry=true", "started 2", "log computed total", `succeeded {"total":42}`},
		},
		{
			name: "400 not retried", steps: []flowStep{answer(400, `{"error":"unknown workflow"}`), ok},
			policy:  workflow.Policy{MaxAttempts: 5, Backoff: 10 * time.Millisecond},
			wantErr: workflow.ErrPermanent, wantMsg: "400 Bad Request: unknown workflow", wantAttempts: 1, poisoned: true,
			events: []string{"started 1", "failed retry=false"},
		},
		{
			name: "workflow error answer not retried", steps: []flowStep{answer(200, `{"error":"order 7 has no lines","logs":["checking order 7"]}`)},
			policy:  workflow.Policy{MaxAttempts: 5, Backoff: 10 * time.Millisecond},
			wantErr: workflow.ErrPermanent, wantMsg: "workflow failed: order 7 has no lines", wantAttempts: 1, poisoned: true,
			events: []string{"started 1", "log checking order 7", "failed retry=false"},
		},
		{
			name: "exhausted retries poison the run", steps: []flowStep{answer(503, `service unavailable`)},
			policy:  workflow.Policy{MaxAttempts: 3, Backoff: 10 * time.Millisecond},
			wantMsg: "503 Service Unavailable: service unavailable", wantAttempts: 3, wantBackoff: 30 * time.Millisecond, poisoned: true,
			events: []string{"started 1", "failed retry=true", "started 2", "failed retry=true", "started 3", "failed retry=false"},
		},
		{
			name: "signature refused by the service", steps: []flowStep{ok}, secret: "wrong-secret",
			policy:  workflow.Policy{MaxAttempts: 3, Backoff: 10 * time.Millisecond},
			wantErr: workflow.ErrPermanent, wantMsg: "401 Unauthorized: invalid flow service signature", wantAttempts: 1, poisoned: true,
			events: []string{"started 1", "failed retry=false"},
		},
		{
			name: "redirects are not followed", steps: []flowStep{func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
			}},
			policy:  workflow.Policy{MaxAttempts: 3, Backoff: 10 * time.Millisecond},
			wantErr: workflow.ErrPermanent, wantMsg: "307", wantAttempts: 1, poisoned: true,
			events: []string{"started 1", "failed retry=false"},
		},
		{
			name: "oversized answer", steps: []flowStep{answer(200, `{"result":"`+strings.Repeat("x", 2<<20)+`"}`)},
			policy:  workflow.Policy{MaxAttempts: 3, Backoff: 10 * time.Millisecond},
			wantErr: luabox.ErrTooLarge, wantMsg: "exceeds 1048576 bytes", wantAttempts: 1, poisoned: true,
			events: []string{"started 1", "failed retry=false"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFlowServer(t, tt.steps...)
			runner, err := workflow.NewRunner(workflow.RunnerConfig{Flow: &workflow.FlowService{
				URL: srv.URL + "/flows", Secret: cmp.Or(tt.secret, flowSecret), Timeout: tt.timeout,
			}})
			require.NoError(t, err)
			obs := &recordingObserver{}
			start := time.Now()
			out, err := runner.Run(context.Background(), workflow.Invocation{
				Workflow: "computeTotal", Payload: json.RawMessage(`{"order":7}`),
				SessionID: "sess-1", CorrelationID: "corr-9", Policy: tt.policy,
			}, obs)
			elapsed := time.Since(start)

			require.Equal(t, tt.events, obs.Events())
			require.Equal(t, tt.wantAttempts, out.Attempts)
			require.Equal(t, tt.wantBackoff, out.Backoff)
			require.GreaterOrEqual(t, elapsed, tt.wantBackoff, "the backoff was waited")
			require.Equal(t, tt.poisoned, out.Poisoned)
			if tt.want != "" {
				require.NoError(t, err)
				require.JSONEq(t, tt.want, string(out.Result))
			} else {
				require.Error(t, err)
				if tt.wantErr != nil {
					require.ErrorIs(t, err, tt.wantErr)
				}
				require.Contains(t, err.Error(), tt.wantMsg)
				require.Nil(t, out.Result)
			}

			// Every attempt carried the contract's fields, numbered, and (unless the secret was
			// wrong on purpose) a valid signature.
			reqs := srv.Requests()
			require.Len(t, reqs, tt.wantAttempts)
			for i, req := range reqs {
				require.Equal(t, map[string]any{
					"workflow": "computeTotal", "payload": map[string]any{"order": float64(7)},
					"sessionId": "sess-1", "correlationId": "corr-9", "attempt": float64(i + 1),
				}, req)
			}
			srv.mu.Lock()
			defer srv.mu.Unlock()
			for _, sigErr := range srv.sigErrs {
				if tt.secret == "" {
					require.NoError(t, sigErr)
				} else {
					require.ErrorIs(t, sigErr, workflow.ErrSignatureInvalid)
				}
			}
		})
	}
}

func TestFlowServiceConnectionErrorIsRetried(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	runner, err := workflow.NewRunner(workflow.RunnerConfig{Flow: &workflow.FlowService{URL: url, Secret: flowSecret}})
	require.NoError(t, err)
	out, err := runner.Run(context.Background(), workflow.Invocation{Workflow: "w",
		Policy: workflow.Policy{MaxAttempts: 2, Backoff: time.Millisecond}}, nil)
	require.Error(t, err)
	var fe *workflow.FlowError
	require.True(t, errors.As(err, &fe))
	require.Zero(t, fe.Status)
	require.Equal(t, 2, out.Attempts)
	require.True(t, out.Poisoned)
}

func TestFlowServiceValidate(t *testing.T) {
	t.Parallel()
	for _, f := range []workflow.FlowService{
		{URL: "", Secret: "s"},
		{URL: "ftp://x", Secret: "s"},
		{URL: "https://flows.example.com", Secret: ""},
	} {
		_, err := workflow.NewRunner(workflow.RunnerConfig{Flow: &f})
		require.Error(t, err, "%+v", f)
	}
	_, err := workflow.NewRunner(workflow.RunnerConfig{})
	require.Error(t, err)
}
