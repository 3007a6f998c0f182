package query

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/goflow-dev/goflow/domain"
)

// StatusError is a non-2xx REST response. It unwraps to ErrStatus.
type StatusError struct {
	Code int
	// Body is the start of the response body (at most 512 bytes), for the debugger.
	Body string
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("%s %d", ErrStatus, e.Code)
	}
	return fmt.Sprintf("%s %d: %s", ErrStatus, e.Code, e.Body)
}

func (e *StatusError) Unwrap() error { return ErrStatus }

// restRequest is a REST template after substitution.
type restRequest struct {
	method  string
	url     *url.URL
	headers http.Header
	body    []byte // nil: no body
}

// maxRedirects bounds how many redirects a REST query follows.
const maxRedirects = 5

func (e *Executor) runREST(ctx context.Context, ds *domain.DataSource, q *domain.Query, values Values) (json.RawMessage, error) {
	var baseStr string
	if err := json.Unmarshal(ds.Config["baseUrl"], &baseStr); err != nil {
		return nil, fmt.Errorf("%w: baseUrl must be a string", ErrConfig)
	}
	base, err := url.Parse(baseStr)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("%w: baseUrl must be an absolute http or https URL", ErrConfig)
	}
	var allowed []string
	if raw, ok := ds.Config["allowedHosts"]; ok {
		if err := json.Unmarshal(raw, &allowed); err != nil {
			return nil, fmt.Errorf("%w: allowedHosts must be an array of host names", ErrConfig)
		}
	}
	timeoutMs, err := intSetting(ds.Config, "timeoutMs", domain.DefaultRESTTimeoutMs, domain.MaxRESTTimeoutMs)
	if err != nil {
		return nil, err
	}
	req, err := buildREST(q.Template, q.Params, values, base)
	if err != nil {
		return nil, err
	}
	if err := checkHost(req.url, base, allowed); err != nil {
		return nil, err
	}

	ctx, cancel := context.WithTimeout(ctx, time.Duration(timeoutMs)*time.Millisecond)
	defer cancel()
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, req.url.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	secretHeaders, err := restHeaders(hr.Header, ds, req)
	if err != nil {
		return nil, err
	}
	client := *e.client
	client.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		if len(via) > maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if err := checkHost(next.URL, base, allowed); err != nil {
			return fmt.Errorf("redirect: %w", err)
		}
		// Credentials go only where the first request went, over the same scheme.
		first := via[0].URL
		if next.URL.Scheme != first.Scheme || !sameHostPort(next.URL, first) {
			for _, h := range secretHeaders {
				next.Header.Del(h)
			}
		}
		return nil
	}
	resp, err := client.Do(hr)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: no answer within %d ms: %w", ErrTimeout, timeoutMs, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrConnect, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, e.opts.MaxResponseBytes+1))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: the body did not arrive within %d ms: %w", ErrTimeout, timeoutMs, err)
		}
		return nil, fmt.Errorf("%w: read the response: %w", ErrConnect, err)
	}
	if int64(len(raw)) > e.opts.MaxResponseBytes {
		return nil, fmt.Errorf("%w: the response body is over %d bytes", ErrTooLarge, e.opts.MaxResponseBytes)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Redacted before it is cut, so that no secret is left half in the snippet.
		snippet := redactString(strings.ToValidUTF8(string(raw[:min(len(raw), 64<<10)]), "?"), secretForms(ds))
		if len(snippet) > 512 {
			snippet = strings.ToValidUTF8(snippet[:512], "")
		}
		return nil, &StatusError{Code: resp.StatusCode, Body: snippet}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return json.RawMessage("null"), nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, fmt.Errorf("%w (Content-Type %q): %w", ErrNotJSON, resp.Header.Get("Content-Type"), err)
	}
	return buf.Bytes(), nil
}

// restHeaders sets the request headers: the data source's config headers, then the template's,
// then Accept and Content-Type when unset, then the credentials from the secrets (last, so that a
// template cannot replace them). It returns the names of the headers carrying secrets.
func restHeaders(h http.Header, ds *domain.DataSource, req restRequest) ([]string, error) {
	if raw, ok := ds.Config["headers"]; ok {
		var cfg map[string]string
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return nil, fmt.Errorf("%w: headers must be an object of strings", ErrConfig)
		}
		for _, k := range slices.Sorted(maps.Keys(cfg)) {
			h.Set(k, cfg[k])
		}
	}
	for k, vs := range req.headers {
		h[k] = vs
	}
	if h.Get("Accept") == "" {
		h.Set("Accept", "application/json")
	}
	if req.body != nil && h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	var secret []string
	if key := ds.Secrets["apiKey"]; key != "" {
		name := "X-API-Key"
		if raw, ok := ds.Config["apiKeyHeader"]; ok {
			if err := json.Unmarshal(raw, &name); err != nil || name == "" {
				return nil, fmt.Errorf("%w: apiKeyHeader must be a header name", ErrConfig)
			}
		}
		h.Set(name, key)
		secret = append(secret, name)
	}
	switch {
	case ds.Secrets["bearerToken"] != "":
		h.Set("Authorization", "Bearer "+ds.Secrets["bearerToken"])
		secret = append(secret, "Authorization")
	case ds.Secrets["password"] != "":
		var user string
		if raw, ok := ds.Config["user"]; ok {
			_ = json.Unmarshal(raw, &user)
		}
		r := http.Request{Header: http.Header{}}
		r.SetBasicAuth(user, ds.Secrets["password"])
		h.Set("Authorization", r.Header.Get("Authorization"))
		secret = append(secret, "Authorization")
	}
	return secret, nil
}

// checkHost accepts http(s) URLs without credentials whose host is the baseUrl's (same host
// and port) or matches an allowedHosts entry: an exact name (any port, or the given one when
// the entry has a port) or "*.example.com" for any subdomain of example.com.
func checkHost(u, base *url.URL, allowed []string) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: scheme %q (only http and https)", ErrHostNotAllowed, u.Scheme)
	}
	if u.User != nil {
		return fmt.Errorf("%w: URLs with credentials are refused; use the data source's secrets", ErrHostNotAllowed)
	}
	if sameHostPort(u, base) {
		return nil
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	for _, a := range allowed {
		a = strings.ToLower(a)
		if suffix, ok := strings.CutPrefix(a, "*"); ok {
			if len(host) > len(suffix) && strings.HasSuffix(host, suffix) {
				return nil
			}
			continue
		}
		name, port := a, ""
		if h, p, err := net.SplitHostPort(a); err == nil {
			name, port = h, p
		}
		name = strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
		if host == name && (port == "" || port == effectivePort(u)) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s is neither the baseUrl's host nor in allowedHosts", ErrHostNotAllowed, u.Host)
}

func sameHostPort(a, b *url.URL) bool {
	return strings.EqualFold(strings.TrimSuffix(a.Hostname(), "."), strings.TrimSuffix(b.Hostname(), ".")) &&
		effectivePort(a) == effectivePort(b)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// restTemplateKeys are the members a REST template may have.
var restTemplateKeys = []string{"method", "path", "query", "headers", "body"}

// sentinel marks where a bare {{name}} stood, as a JSON string no template can otherwise hold
// (the domain refuses NUL bytes in templates).
const sentinel = "\x00"

// buildREST substitutes values into a REST template and resolves its URL against base.
func buildREST(template string, params []domain.QueryParam, values Values, base *url.URL) (restRequest, error) {
	if t := strings.TrimSpace(template); !strings.HasPrefix(t, "{") {
		template, err := requestLine(t)
		if err != nil {
			return restRequest{}, err
		}
		return buildREST(template, params, values, base)
	}
	marked, err := markBarePlaceholders(template)
	if err != nil {
		return restRequest{}, err
	}
	dec := json.NewDecoder(strings.NewReader(marked))
	dec.UseNumber()
	var t map[string]any
	if err := dec.Decode(&t); err != nil {
		return restRequest{}, fmt.Errorf("%w: a REST template is a JSON object {\"method\", \"path\", \"query\", \"headers\", \"body\"}: %w", ErrTemplate, err)
	}
	if t == nil {
		return restRequest{}, fmt.Errorf("%w: a REST template is a JSON object, not null", ErrTemplate)
	}
	for k := range t {
		if !slices.Contains(restTemplateKeys, k) {
			return restRequest{}, fmt.Errorf("%w: unknown member %q (allowed: %s)", ErrTemplate, k, strings.Join(restTemplateKeys, ", "))
		}
	}
	s := substituter{values: values, params: params}
	req := restRequest{method: http.MethodGet, headers: http.Header{}}

	if m, ok := t["method"]; ok {
		ms, ok := m.(string)
		if !ok || strings.Contains(ms, "{{") || strings.Contains(ms, sentinel) || !validMethod(ms) {
			return restRequest{}, fmt.Errorf("%w: method must be a literal HTTP method like GET or POST", ErrTemplate)
		}
		req.method = strings.ToUpper(ms)
	}

	path := ""
	if p, ok := t["path"]; ok {
		ps, ok := p.(string)
		if !ok || strings.Contains(ps, sentinel) {
			return restRequest{}, fmt.Errorf("%w: path must be a string (placeholders go inside it: \"/items/{{id}}\")", ErrTemplate)
		}
		if path, err = s.text(ps, escapeURLValue); err != nil {
			return restRequest{}, err
		}
	}
	var u *url.URL
	switch {
	case strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://"):
		// An absolute URL: checkHost decides whether its host may be reached.
		if u, err = url.Parse(path); err != nil {
			return restRequest{}, fmt.Errorf("%w: the URL does not parse: %w", ErrTemplate, err)
		}
	case path == "" || strings.HasPrefix(path, "/") || strings.HasPrefix(path, "?"):
		rel, err := url.Parse(path)
		if err != nil || rel.Scheme != "" || rel.Host != "" {
			return restRequest{}, fmt.Errorf("%w: the path does not parse as a URL path", ErrTemplate)
		}
		// baseUrl's path and query, then the template's: a base like https://h/v1?tenant=a
		// keeps both.
		joined := *base
		joined.Fragment, joined.RawFragment = "", ""
		if rel.Path != "" {
			joined.Path = strings.TrimSuffix(base.Path, "/") + rel.Path
			joined.RawPath = strings.TrimSuffix(base.EscapedPath(), "/") + rel.EscapedPath()
		}
		query := base.Query()
		for k, vs := range rel.Query() {
			query[k] = append(query[k], vs...)
		}
		joined.RawQuery = query.Encode()
		u = &joined
	default:
		return restRequest{}, fmt.Errorf("%w: path must start with / (relative to baseUrl) or be an absolute http(s) URL", ErrTemplate)
	}
	req.url = u

	if qv, ok := t["query"]; ok {
		qm, ok := qv.(map[string]any)
		if !ok {
			return restRequest{}, fmt.Errorf("%w: query must be an object", ErrTemplate)
		}
		query := u.Query()
		for _, k := range slices.Sorted(maps.Keys(qm)) {
			if strings.Contains(k, "{{") {
				return restRequest{}, fmt.Errorf("%w: query names are literal; %q has a placeholder", ErrTemplate, k)
			}
			vals, err := s.queryValues(qm[k])
			if err != nil {
				return restRequest{}, fmt.Errorf("query %q: %w", k, err)
			}
			for _, v := range vals {
				query.Add(k, v)
			}
		}
		u.RawQuery = query.Encode()
	}

	if hv, ok := t["headers"]; ok {
		hm, ok := hv.(map[string]any)
		if !ok {
			return restRequest{}, fmt.Errorf("%w: headers must be an object of strings", ErrTemplate)
		}
		for k, v := range hm {
			vs, ok := v.(string)
			if !ok || !validHeaderName(k) || strings.Contains(vs, sentinel) {
				return restRequest{}, fmt.Errorf("%w: header %q must be a valid name with a string value", ErrTemplate, k)
			}
			val, err := s.text(vs, func(s string) string { return s })
			if err != nil {
				return restRequest{}, err
			}
			if strings.ContainsAny(val, "\r\n\x00") {
				return restRequest{}, &ParamError{Reason: fmt.Sprintf("header %q would contain a line break", k)}
			}
			req.headers.Set(k, val)
		}
	}

	if b, ok := t["body"]; ok {
		v, err := s.deep(b)
		if err != nil {
			return restRequest{}, err
		}
		if req.body, err = json.Marshal(v); err != nil {
			return restRequest{}, fmt.Errorf("%w: body: %w", ErrTemplate, err)
		}
	}
	return req, nil
}

// requestLine turns the short form "METHOD /path?query" (one line, placeholders inside the path
// and query as in a "path" member) into the JSON form.
func requestLine(line string) (string, error) {
	method, path, ok := strings.Cut(line, " ")
	path = strings.TrimSpace(path)
	if !ok || strings.ContainsAny(path, " \t\r\n") || !validMethod(method) {
		return "", fmt.Errorf("%w: a REST template is a JSON object {\"method\", \"path\", \"query\", \"headers\", \"body\"} or one line \"GET /path?query\"", ErrTemplate)
	}
	b, err := json.Marshal(map[string]string{"method": method, "path": path})
	return string(b), err
}

func validMethod(m string) bool {
	return m != "" && validHeaderName(m)
}

// validHeaderName accepts RFC 9110 tokens.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// escapeURLValue escapes a value for any part of a URL: everything but unreserved characters
// is percent-encoded ("/", "?", "&", "#" and "=" included), so a value stays one path segment
// or one query value. "." and ".." are encoded too, so a value cannot climb the path.
func escapeURLValue(s string) string {
	if s == "." || s == ".." {
		return strings.Repeat("%2E", len(s))
	}
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// markBarePlaceholders replaces each {{name}} outside JSON strings with a marker string
// "\u0000name" and leaves the ones inside strings for substitution as text.
func markBarePlaceholders(template string) (string, error) {
	var out strings.Builder
	inString := false
	for i := 0; i < len(template); i++ {
		c := template[i]
		switch {
		case inString && c == '\\':
			out.WriteByte(c)
			if i+1 < len(template) {
				i++
				out.WriteByte(template[i])
			}
			continue
		case c == '"':
			inString = !inString
		case !inString && c == '{' && strings.HasPrefix(template[i:], "{{"):
			j := strings.Index(template[i+2:], "}}")
			if j < 0 {
				return "", fmt.Errorf("%w: a {{ is not closed by }}", ErrTemplate)
			}
			name := strings.TrimSpace(template[i+2 : i+2+j])
			out.WriteString(`"\u0000` + name + `"`)
			i += 2 + j + 1
			continue
		}
		out.WriteByte(c)
	}
	return out.String(), nil
}

// substituter puts parameter values into the parsed template.
type substituter struct {
	values Values
	params []domain.QueryParam
}

// value returns a param's value decoded (numbers as json.Number), nil when absent.
func (s substituter) value(name string) (any, error) {
	if !slices.ContainsFunc(s.params, func(p domain.QueryParam) bool { return p.Name == name }) {
		return nil, fmt.Errorf("%w: {{%s}} is not a declared param", ErrTemplate, name)
	}
	raw, ok := s.values[name]
	if !ok {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &ParamError{Path: "/" + pointerToken(name), Reason: "not valid JSON"}
	}
	return v, nil
}

// textOf is a value as it appears inside a string: strings as they are, numbers and booleans
// as written, null as "", objects and arrays as compact JSON.
func (s substituter) textOf(name string) (string, error) {
	raw, ok := s.values[name]
	if _, err := s.value(name); err != nil {
		return "", err
	}
	if !ok || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return "", &ParamError{Path: "/" + pointerToken(name), Reason: "not valid JSON"}
		}
		return str, nil
	}
	return string(raw), nil
}

// text substitutes the {{name}} placeholders of a template string, each value escaped.
func (s substituter) text(tmpl string, escape func(string) string) (string, error) {
	var out strings.Builder
	for {
		i := strings.Index(tmpl, "{{")
		if i < 0 {
			out.WriteString(tmpl)
			return out.String(), nil
		}
		j := strings.Index(tmpl[i+2:], "}}")
		if j < 0 {
			return "", fmt.Errorf("%w: a {{ is not closed by }}", ErrTemplate)
		}
		v, err := s.textOf(strings.TrimSpace(tmpl[i+2 : i+2+j]))
		if err != nil {
			return "", err
		}
		out.WriteString(tmpl[:i])
		out.WriteString(escape(v))
		tmpl = tmpl[i+2+j+2:]
	}
}

// queryValues are the values of one query member: a string (placeholders substituted), a
// number or boolean, an array (one value each), or a bare placeholder (its value, the same
// way); null or an absent value leaves the member out.
func (s substituter) queryValues(v any) ([]string, error) {
	if str, ok := v.(string); ok && strings.HasPrefix(str, sentinel) {
		var err error
		if v, err = s.value(str[1:]); err != nil {
			return nil, err
		}
		if v == nil {
			return nil, nil
		}
		return scalarTexts(v, false)
	}
	if str, ok := v.(string); ok {
		t, err := s.text(str, func(s string) string { return s })
		return []string{t}, err
	}
	if arr, ok := v.([]any); ok {
		var out []string
		for _, it := range arr {
			vs, err := s.queryValues(it)
			if err != nil {
				return nil, err
			}
			out = append(out, vs...)
		}
		return out, nil
	}
	if v == nil {
		return nil, nil
	}
	return scalarTexts(v, true)
}

// scalarTexts renders a scalar (or, for a param value, an array of scalars) as query values.
func scalarTexts(v any, literal bool) ([]string, error) {
	switch x := v.(type) {
	case string:
		return []string{x}, nil
	case json.Number:
		return []string{x.String()}, nil
	case bool:
		return []string{fmt.Sprint(x)}, nil
	case []any:
		if !literal {
			var out []string
			for _, it := range x {
				vs, err := scalarTexts(it, true)
				if err != nil {
					return nil, err
				}
				out = append(out, vs...)
			}
			return out, nil
		}
	}
	return nil, fmt.Errorf("%w: query values are strings, numbers, booleans or arrays of them", ErrTemplate)
}

// deep substitutes inside a body: a bare placeholder becomes its JSON value (null when
// absent), placeholders inside strings become text. Values put in are not substituted again.
func (s substituter) deep(v any) (any, error) {
	switch x := v.(type) {
	case string:
		if name, ok := strings.CutPrefix(x, sentinel); ok {
			return s.value(name)
		}
		return s.text(x, func(s string) string { return s })
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			var err error
			if out[i], err = s.deep(it); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, it := range x {
			if strings.Contains(k, "{{") || strings.Contains(k, sentinel) {
				return nil, fmt.Errorf("%w: body member names are literal; %q has a placeholder", ErrTemplate, k)
			}
			var err error
			if out[k], err = s.deep(it); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}
