package workflow_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/runtime/luabox"
	"github.com/goflow-dev/goflow/runtime/workflow"
)

// echoServer answers /echo with what it received, /redirect?to=... with a 302, /loop with an
// endless redirect, /big with 1 MiB, /slow after 5s, /teapot with 418. hits counts requests.
func echoServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/big":
			_, _ = io.WriteString(w, strings.Repeat("x", 1<<20))
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		case "/teapot":
			w.WriteHeader(http.StatusTeapot)
			_, _ = io.WriteString(w, "short and stout")
		default:
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Add("X-Multi", "a")
			w.Header().Add("X-Multi", "b")
			_ = json.NewEncoder(w).Encode(map[string]string{
				"method": r.Method, "path": r.URL.Path, "header": r.Header.Get("X-Test"), "body": string(body),
			})
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestHTTPClient(t *testing.T) {
	t.Parallel()
	srv, hits := echoServer(t)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	port := u.Port()
	other := "http://localhost:" + port // the same server under a name that is not allowed

	tests := []struct {
		name     string
		req      luabox.HTTPRequest
		opts     workflow.HTTPOptions
		wantBody string // JSON (compared semantically) or text; "" skips
		status   int
		wantErr  error
		wantMsg  string
		reached  bool // the server must (not) have been hit
	}{
		{name: "GET", req: luabox.HTTPRequest{URL: srv.URL + "/echo", Headers: map[string]string{"X-Test": "1"}},
			status: 200, wantBody: `{"method":"GET","path":"/echo","header":"1","body":""}`, reached: true},
		{name: "POST with a body", req: luabox.HTTPRequest{Method: "post", URL: srv.URL + "/items", Body: []byte(`{"a":1}`)},
			status: 200, wantBody: `{"method":"POST","path":"/items","header":"","body":"{\"a\":1}"}`, reached: true},
		{name: "PUT", req: luabox.HTTPRequest{Method: "PUT", URL: srv.URL + "/x"}, status: 200, wantBody: `{"method":"PUT","path":"/x","header":"","body":""}`, reached: true},
		{name: "PATCH", req: luabox.HTTPRequest{Method: "PATCH", URL: srv.URL + "/x"}, status: 200, wantBody: `{"method":"PATCH","path":"/x","header":"","body":""}`, reached: true},
		{name: "DELETE", req: luabox.HTTPRequest{Method: "DELETE", URL: srv.URL + "/x"}, status: 200, wantBody: `{"method":"DELETE","path":"/x","header":"","body":""}`, reached: true},
		{name: "non-2xx is an answer, not an error", req: luabox.HTTPRequest{URL: srv.URL + "/teapot"}, status: 418, wantBody: "short and stout", reached: true},
		{name: "redirect within allowed hosts", req: luabox.HTTPRequest{URL: srv.URL + "/redirect?to=/echo"},
			status: 200, wantBody: `{"method":"GET","path":"/echo","header":"","body":""}`, reached: true},

		{name: "host not allowed", req: luabox.HTTPRequest{URL: other + "/echo"}, wantErr: workflow.ErrHostNotAllowed, wantMsg: `"localhost"`},
		{name: "scheme not allowed", req: luabox.HTTPRequest{URL: "file:///etc/passwd"}, wantErr: workflow.ErrHostNotAllowed, wantMsg: "scheme"},
		{name: "method not allowed", req: luabox.HTTPRequest{Method: "TRACE", URL: srv.URL + "/echo"}, wantErr: workflow.ErrPermanent, wantMsg: "TRACE"},
		{name: "user info refused", req: luabox.HTTPRequest{URL: "http://user:pw@127.0.0.1:" + port + "/echo"}, wantErr: workflow.ErrPermanent, wantMsg: "user information"},
		{name: "invalid URL", req: luabox.HTTPRequest{URL: "http://[::1"}, wantErr: workflow.ErrPermanent, wantMsg: "invalid URL"},
		{name: "redirect to a host not allowed", req: luabox.HTTPRequest{URL: srv.URL + "/redirect?to=" + url.QueryEscape(other+"/echo")},
			wantErr: workflow.ErrHostNotAllowed, wantMsg: "redirect to", reached: true},
		{name: "redirect loop", req: luabox.HTTPRequest{URL: srv.URL + "/loop"}, opts: workflow.HTTPOptions{MaxRedirects: 3},
			wantErr: workflow.ErrPermanent, wantMsg: "stopped after 3 redirects", reached: true},
		{name: "response too large", req: luabox.HTTPRequest{URL: srv.URL + "/big"}, opts: workflow.HTTPOptions{MaxResponseBytes: 1000},
			wantErr: luabox.ErrTooLarge, wantMsg: "exceeds 1000 bytes", reached: true},
		{name: "timeout", req: luabox.HTTPRequest{URL: srv.URL + "/slow"}, opts: workflow.HTTPOptions{Timeout: 100 * time.Millisecond},
			wantErr: workflow.ErrTimeout, wantMsg: "within 100ms", reached: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: each case checks the server's hit counter.
			c, err := workflow.NewHTTPClient([]string{"127.0.0.1", "*.example.com"}, tt.opts)
			require.NoError(t, err)
			before := hits.Load()
			resp, err := c.HTTPRequest(context.Background(), tt.req)
			require.Equal(t, tt.reached, hits.Load() > before, "server reached")
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr, "got %v", err)
				require.Contains(t, err.Error(), tt.wantMsg)
				if tt.wantErr == workflow.ErrHostNotAllowed {
					require.ErrorIs(t, err, luabox.ErrForbidden, "the sandbox must classify it as forbidden")
				}
				require.False(t, workflow.Retryable(err) && tt.wantErr != workflow.ErrTimeout)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.status, resp.Status)
			if strings.HasPrefix(tt.wantBody, "{") {
				require.JSONEq(t, tt.wantBody, string(resp.Body))
				require.Equal(t, "a, b", resp.Headers["X-Multi"])
			} else {
				require.Equal(t, tt.wantBody, string(resp.Body))
			}
		})
	}
}

func TestNewHTTPClientRejectsBadAllowedHosts(t *testing.T) {
	t.Parallel()
	for _, h := range []string{"", "https://api.example.com", "api.example.com/path", "user@host", "*", "a*.example.com", "*."} {
		_, err := workflow.NewHTTPClient([]string{h}, workflow.HTTPOptions{})
		require.Error(t, err, "%q", h)
	}
	for _, h := range []string{"api.example.com", "API.Example.com.", "*.example.com", "127.0.0.1", "[::1]", "::1"} {
		_, err := workflow.NewHTTPClient([]string{h}, workflow.HTTPOptions{})
		require.NoError(t, err, "%q", h)
	}
}
