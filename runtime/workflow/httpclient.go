package workflow

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/goflow-dev/goflow/runtime/luabox"
)

// Defaults of [HTTPOptions].
const (
	DefaultHTTPTimeout          = 10 * time.Second
	DefaultHTTPMaxResponseBytes = 4 << 20
	DefaultHTTPMaxRedirects     = 5
)

// HTTPOptions tunes an [HTTPClient]. Zero fields take the defaults.
type HTTPOptions struct {
	// Timeout bounds one request, redirects and reading the body included. Default 10s. The run's
	// own deadline applies as well.
	Timeout time.Duration
	// MaxResponseBytes caps the response body; a larger one fails with luabox.ErrTooLarge. Default
	// 4 MiB (the sandbox's default string limit).
	MaxResponseBytes int64
	// MaxRedirects is how many redirects are followed, each re-checked against the allowed hosts.
	// Default 5; negative means none (the 3xx response is returned to the script).
	MaxRedirects int
	// Transport sends the requests; default a clone of http.DefaultTransport.
	Transport http.RoundTripper
}

// HTTPClient performs a workflow's http.request calls, restricted to the app's allowed hosts. It is
// safe for concurrent use.
type HTTPClient struct {
	allowed []string // lower case; "*.example.com" entries keep the "*." prefix
	opts    HTTPOptions
	client  *http.Client
}

// httpMethods are the methods a workflow may use.
var httpMethods = [...]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// NewHTTPClient returns a client that only reaches allowedHosts: exact host names or IP literals
// ("api.example.com", "127.0.0.1", "[::1]"), or "*.example.com", which matches any subdomain of
// example.com at any depth but not example.com itself. Matching ignores case, a trailing dot and the
// port. An empty list allows nothing. Entries that are not host names are rejected.
func NewHTTPClient(allowedHosts []string, opts HTTPOptions) (*HTTPClient, error) {
	c := &HTTPClient{opts: HTTPOptions{
		Timeout:          cmp.Or(max(opts.Timeout, 0), DefaultHTTPTimeout),
		MaxResponseBytes: cmp.Or(max(opts.MaxResponseBytes, 0), DefaultHTTPMaxResponseBytes),
		MaxRedirects:     cmp.Or(opts.MaxRedirects, DefaultHTTPMaxRedirects),
		Transport:        opts.Transport,
	}}
	if c.opts.Transport == nil {
		c.opts.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	for _, h := range allowedHosts {
		n, err := normalizeAllowedHost(h)
		if err != nil {
			return nil, err
		}
		c.allowed = append(c.allowed, n)
	}
	c.client = &http.Client{Transport: c.opts.Transport, CheckRedirect: c.checkRedirect}
	return c, nil
}

func normalizeAllowedHost(h string) (string, error) {
	n := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(h), "."))
	n = strings.TrimSuffix(strings.TrimPrefix(n, "["), "]")
	name := strings.TrimPrefix(n, "*.")
	if name == "" || strings.ContainsAny(name, "/:@?#* ") && net.ParseIP(name) == nil {
		return "", fmt.Errorf("workflow: allowed host %q is not a host name (use api.example.com or *.example.com)", h)
	}
	return n, nil
}

// hostAllowed reports whether host (a URL's Hostname) is in the allowed list.
func (c *HTTPClient) hostAllowed(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" {
		return false
	}
	for _, a := range c.allowed {
		if suffix, ok := strings.CutPrefix(a, "*"); ok {
			// suffix is ".example.com": host must be a proper subdomain.
			if len(host) > len(suffix) && strings.HasSuffix(host, suffix) {
				return true
			}
			continue
		}
		if host == a {
			return true
		}
	}
	return false
}

// checkURL refuses schemes other than http and https and hosts outside the allowed list.
func (c *HTTPClient) checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q is not allowed (only http and https): %w", u.Scheme, ErrHostNotAllowed)
	}
	if u.User != nil {
		return Permanent(errors.New("URLs with user information are not allowed; send an Authorization header"))
	}
	if !c.hostAllowed(u.Hostname()) {
		return fmt.Errorf("%q: %w", u.Hostname(), ErrHostNotAllowed)
	}
	return nil
}

func (c *HTTPClient) checkRedirect(req *http.Request, via []*http.Request) error {
	if c.opts.MaxRedirects < 0 {
		return http.ErrUseLastResponse
	}
	if len(via) > c.opts.MaxRedirects {
		return Permanent(fmt.Errorf("stopped after %d redirects", c.opts.MaxRedirects))
	}
	if err := c.checkURL(req.URL); err != nil {
		return fmt.Errorf("redirect to %s: %w", req.URL.Redacted(), err)
	}
	return nil
}

// HTTPRequest sends req and reads the whole response. Errors: [ErrHostNotAllowed] (also matching
// luabox.ErrForbidden) for a refused scheme or host, luabox.ErrTooLarge for a body over
// MaxResponseBytes, an [ErrPermanent] error for an invalid method or URL, [ErrTimeout] past Timeout,
// and the transport's error otherwise. A non-2xx status is not an error: the script sees it.
func (c *HTTPClient) HTTPRequest(ctx context.Context, req luabox.HTTPRequest) (luabox.HTTPResponse, error) {
	method := cmp.Or(strings.ToUpper(req.Method), http.MethodGet)
	if !validMethod(method) {
		return luabox.HTTPResponse{}, Permanent(fmt.Errorf("method %q is not allowed (GET, POST, PUT, PATCH or DELETE)", req.Method))
	}
	u, err := url.Parse(req.URL)
	if err != nil {
		return luabox.HTTPResponse{}, Permanent(fmt.Errorf("invalid URL: %w", err))
	}
	if err := c.checkURL(u); err != nil {
		return luabox.HTTPResponse{}, err
	}

	ctx, cancel := context.WithTimeoutCause(ctx, c.opts.Timeout, ErrTimeout)
	defer cancel()
	var body io.Reader
	if len(req.Body) > 0 {
		body = bytes.NewReader(req.Body)
	}
	hreq, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return luabox.HTTPResponse{}, Permanent(fmt.Errorf("build request: %w", err))
	}
	for k, v := range req.Headers {
		hreq.Header.Set(k, v)
	}
	resp, err := c.client.Do(hreq)
	if err != nil {
		return luabox.HTTPResponse{}, c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxResponseBytes+1))
	if err != nil {
		return luabox.HTTPResponse{}, c.transportError(ctx, fmt.Errorf("read response: %w", err))
	}
	if int64(len(data)) > c.opts.MaxResponseBytes {
		return luabox.HTTPResponse{}, fmt.Errorf("the response exceeds %d bytes: %w", c.opts.MaxResponseBytes, luabox.ErrTooLarge)
	}
	out := luabox.HTTPResponse{Status: resp.StatusCode, Headers: make(map[string]string, len(resp.Header)), Body: data}
	for k, vs := range resp.Header {
		out.Headers[k] = strings.Join(vs, ", ")
	}
	return out, nil
}

// transportError reports our own timeout as ErrTimeout rather than the transport's wording.
func (c *HTTPClient) transportError(ctx context.Context, err error) error {
	if errors.Is(context.Cause(ctx), ErrTimeout) {
		return fmt.Errorf("no complete response within %s: %w", c.opts.Timeout, ErrTimeout)
	}
	return err
}

func validMethod(m string) bool {
	for _, ok := range httpMethods {
		if m == ok {
			return true
		}
	}
	return false
}
