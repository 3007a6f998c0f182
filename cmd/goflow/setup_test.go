package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/web"
)

// waitFor waits until the output matches re and returns the submatches.
func (b *syncBuffer) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		if m := re.FindStringSubmatch(b.String()); m != nil {
			return m
		}
		select {
		case <-b.changed:
		case <-timeout:
			t.Fatalf("no match for %s within 30s; output:\n%s", re, b.String())
		}
	}
}

// startServe runs serve with args and returns the server's base URL, once it listens, its log,
// and stop, which shuts it down (at the latest when the test ends).
func startServe(t *testing.T, env map[string]string, args ...string) (base string, stderr *syncBuffer, stop func()) {
	t.Helper()
	a, _, stderr := testApp(env)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)) }()
	stop = sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err, "serve; stderr:\n%s", stderr.String())
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop within 30s of cancellation")
		}
	})
	t.Cleanup(stop)
	// Text and JSON logs both put the address after addr=/"addr":".
	m := stderr.waitFor(t, regexp.MustCompile(`http server listening"?,? ?"?addr"?[=:]"?([0-9.]+:[0-9]+)`))
	return "http://" + m[1], stderr, stop
}

// postJSON posts body and returns the status and the decoded answer.
func postJSON(t *testing.T, url string, body any, header http.Header) (*http.Response, map[string]any) {
	t.Helper()
	data, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(data))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out), string(raw))
	}
	return resp, out
}

var (
	// The text notice's curl body, and the port of its URL.
	noticeCurl = regexp.MustCompile(`curl -X POST http://localhost:(\d+)/api/auth/setup -H 'Content-Type: application/json' -d '([^']*)'`)
	noticeText = regexp.MustCompile(`(?s)={78}\n` + regexp.QuoteMeta(setupMessage) + `.*?={78}\n`)
)

// TestServeSetupToken starts serve on an empty store: it prints a setup token that creates the
// first administrator through POST /api/auth/setup; the next start prints none, and setup is
// refused.
func TestServeSetupToken(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			base, stderr, _ := startServe(t, nil, "--data-dir", dir, "--log-format", format)
			port := base[strings.LastIndex(base, ":")+1:]

			var setup map[string]any
			if format == "text" {
				require.Len(t, noticeText.FindAllString(stderr.String(), -1), 1, "one notice:\n%s", stderr)
				m := noticeCurl.FindStringSubmatch(stderr.String())
				require.NotNil(t, m, "copy-pasteable curl:\n%s", stderr)
				require.Equal(t, port, m[1], "the curl names the real port")
				require.NoError(t, json.Unmarshal([]byte(m[2]), &setup))
				require.Contains(t, stderr.String(), "goflow user create --admin")
			} else {
				rec := stderr.waitForJSONLog(t, setupMessage)
				require.Equal(t, "http://localhost:"+port, rec["url"])
				m := noticeCurl.FindStringSubmatch(rec["curl"].(string))
				require.NotNil(t, m, rec["curl"])
				require.NoError(t, json.Unmarshal([]byte(m[2]), &setup))
				require.Equal(t, rec["setupToken"], setup["setupToken"])
			}
			token, _ := setup["setupToken"].(string)
			require.Len(t, token, 43, "256 random bits")

			resp, body := postJSON(t, base+"/api/auth/setup", map[string]any{
				"setupToken": token + "x", "username": "admin", "password": "a long enough password",
			}, nil)
			require.Equal(t, http.StatusForbidden, resp.StatusCode, "a wrong token is refused: %v", body)

			setup["password"] = "a long enough password"
			resp, body = postJSON(t, base+"/api/auth/setup", setup, nil)
			require.Equal(t, http.StatusCreated, resp.StatusCode, "%v", body)
			require.Equal(t, true, body["user"].(map[string]any)["admin"])
			require.NotEmpty(t, cookieNamed(resp, web.SessionCookie))

			// The token ends with the first administrator, even before a restart.
			resp, _ = postJSON(t, base+"/api/auth/setup", map[string]any{
				"setupToken": token, "username": "eve", "password": "another long password",
			}, nil)
			require.Equal(t, http.StatusConflict, resp.StatusCode)
		})
	}
}

func cookieNamed(resp *http.Response, name string) string {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// TestServeSetupTokenOnlyWhileNoAccounts restarts serve on a store set up through the setup
// endpoint: no token is printed, and setup answers that it is disabled.
func TestServeSetupTokenOnlyWhileNoAccounts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base, stderr, stop := startServe(t, nil, "--data-dir", dir, "--log-format", "json")
	token := stderr.waitForJSONLog(t, setupMessage)["setupToken"].(string)
	resp, body := postJSON(t, base+"/api/auth/setup", map[string]any{
		"setupToken": token, "username": "admin", "password": "a long enough password",
	}, nil)
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%v", body)
	stop()

	base, stderr, _ = startServe(t, nil, "--data-dir", dir, "--log-format", "json")
	require.NotContains(t, stderr.String(), setupMessage)
	require.NotContains(t, stderr.String(), "setupToken")
	resp, body = postJSON(t, base+"/api/auth/setup", map[string]any{
		"setupToken": token, "username": "eve", "password": "another long password",
	}, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Equal(t, "setup_disabled", body["code"], "%v", body)

	resp, body = postJSON(t, base+"/api/auth/login", map[string]any{"username": "admin", "password": "a long enough password"}, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%v", body)
}
