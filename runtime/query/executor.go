package query

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/goflow-dev/goflow/domain"
)

// Errors of Run; callers tell them apart with errors.Is.
var (
	// ErrInvalidParams: the parameters do not match the query's declared params (*ParamError).
	ErrInvalidParams = errors.New("invalid params")
	// ErrTemplate: the query's template cannot run against its data source (a placeholder where
	// none may be, a REST template that is not the documented JSON object, ...).
	ErrTemplate = errors.New("invalid query template")
	// ErrConfig: the data source's config cannot be used (unknown kind, unparsable settings).
	ErrConfig = errors.New("invalid data source config")
	// ErrTooManyRows: a Postgres query returned more rows than the data source's maxRows.
	ErrTooManyRows = errors.New("too many rows")
	// ErrTimeout: the statement timeout or the REST timeout expired.
	ErrTimeout = errors.New("query timed out")
	// ErrHostNotAllowed: a REST request (or a redirect) went to a host that is neither the
	// baseUrl's nor in allowedHosts.
	ErrHostNotAllowed = errors.New("host not allowed")
	// ErrTooLarge: a REST response body exceeded Options.MaxResponseBytes.
	ErrTooLarge = errors.New("response too large")
	// ErrNotJSON: a REST response body is not JSON.
	ErrNotJSON = errors.New("response is not JSON")
	// ErrStatus: a REST response had a non-2xx status (*StatusError).
	ErrStatus = errors.New("unexpected HTTP status")
	// ErrDatabase: Postgres refused the query (syntax, permissions, read-only transaction, ...).
	ErrDatabase = errors.New("database error")
	// ErrConnect: the data source could not be reached.
	ErrConnect = errors.New("cannot reach the data source")
)

// Result is the outcome of one query run.
type Result struct {
	// Data is the result as JSON: the rows as an array of objects for postgres, the decoded
	// response body for rest, the config's data for static.
	Data json.RawMessage
	// Rows is the length of Data when it is an array, 0 when it is null, 1 otherwise.
	Rows int
	// Duration is the time Run took, parameter checks included.
	Duration time.Duration
}

// Options configure an Executor; zero values take the defaults.
type Options struct {
	// MaxResponseBytes bounds a REST response body (default 10 MiB).
	MaxResponseBytes int64
	// MaxConnsPerSource bounds each Postgres data source's pool (default 4).
	MaxConnsPerSource int32
	// ConnectTimeout bounds opening a Postgres connection (default 10s).
	ConnectTimeout time.Duration
	// Transport sends REST requests (default: a clone of http.DefaultTransport without
	// environment proxies, so requests go where the allowed-host check saw them go).
	Transport http.RoundTripper
	// Logger receives pool lifecycle messages (default slog.Default()). Never secrets.
	Logger *slog.Logger
}

// Defaults of Options.
const (
	DefaultMaxResponseBytes  = 10 << 20
	DefaultMaxConnsPerSource = 4
	DefaultConnectTimeout    = 10 * time.Second
)

// Executor runs queries against data sources. It is safe for concurrent use; Close releases the
// Postgres pools it keeps (one per data source and config version).
type Executor struct {
	opts   Options
	client *http.Client
	pools  *poolSet
}

// New returns an Executor.
func New(opts Options) *Executor {
	opts.MaxResponseBytes = cmp.Or(opts.MaxResponseBytes, DefaultMaxResponseBytes)
	opts.MaxConnsPerSource = cmp.Or(opts.MaxConnsPerSource, DefaultMaxConnsPerSource)
	opts.ConnectTimeout = cmp.Or(opts.ConnectTimeout, DefaultConnectTimeout)
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.Proxy = nil
		opts.Transport = t
	}
	return &Executor{
		opts:   opts,
		client: &http.Client{Transport: opts.Transport},
		pools:  &poolSet{pools: map[string]*poolEntry{}, logger: opts.Logger},
	}
}

// Close closes the Postgres pools. Runs in flight when Close is called may fail; runs after it
// fail with ErrConnect.
func (e *Executor) Close() {
	e.pools.closeAll()
}

// Forget closes the pool kept for a data source, if any: call it when the data source is
// deleted. A later run opens a new pool.
func (e *Executor) Forget(dataSourceID string) {
	e.pools.forget(dataSourceID)
}

// Run checks params against q's declared params, runs q against ds and returns the result. ds
// carries its secrets in plaintext; no error returned by Run contains a secret value.
func (e *Executor) Run(ctx context.Context, ds *domain.DataSource, q *domain.Query, params json.RawMessage) (Result, error) {
	start := time.Now()
	res, err := e.run(ctx, ds, q, params)
	res.Duration = time.Since(start)
	if err != nil {
		return res, redact(err, secretForms(ds))
	}
	return res, nil
}

func (e *Executor) run(ctx context.Context, ds *domain.DataSource, q *domain.Query, params json.RawMessage) (Result, error) {
	if ds == nil || q == nil {
		return Result{}, fmt.Errorf("%w: no data source or no query", ErrConfig)
	}
	values, err := BindParams(q.Params, params)
	if err != nil {
		return Result{}, err
	}
	switch ds.Kind {
	case domain.DataSourceStatic:
		data := slices.Clone(ds.Config["data"]) // the caller may keep the data source
		if len(data) == 0 {
			data = json.RawMessage("null")
		}
		return Result{Data: data, Rows: countRows(data)}, nil
	case domain.DataSourcePostgres:
		data, rows, err := e.runPostgres(ctx, ds, q, values)
		return Result{Data: data, Rows: rows}, err
	case domain.DataSourceREST:
		data, err := e.runREST(ctx, ds, q, values)
		if err != nil {
			return Result{}, err
		}
		return Result{Data: data, Rows: countRows(data)}, nil
	}
	return Result{}, fmt.Errorf("%w: unknown data source kind %q", ErrConfig, ds.Kind)
}

// countRows is the array length of data, 0 for null, 1 for anything else.
func countRows(data json.RawMessage) int {
	s := strings.TrimSpace(string(data))
	switch {
	case s == "" || s == "null":
		return 0
	case s[0] == '[':
		var items []json.RawMessage
		if json.Unmarshal(data, &items) == nil {
			return len(items)
		}
	}
	return 1
}

// redactedError keeps the error chain (errors.Is still sees the sentinels) with a message from
// which every secret value, in the forms it may have been sent in, has been cut out.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// secretForms lists the strings that would give a secret of ds away: each value raw, URL- and
// JSON-escaped, and the basic-auth token a REST password is sent as. Longest first, so that a
// form containing another is cut out whole.
func secretForms(ds *domain.DataSource) []string {
	if ds == nil {
		return nil
	}
	var forms []string
	for _, s := range ds.Secrets {
		if s != "" {
			forms = append(forms, s, url.QueryEscape(s), url.PathEscape(s), jsonString(s))
		}
	}
	if pw := ds.Secrets["password"]; pw != "" && ds.Kind == domain.DataSourceREST {
		var user string
		_ = json.Unmarshal(ds.Config["user"], &user)
		forms = append(forms, base64.StdEncoding.EncodeToString([]byte(user+":"+pw)))
	}
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(forms)
}

// redactString cuts every form out of s.
func redactString(s string, forms []string) string {
	for _, f := range forms {
		s = strings.ReplaceAll(s, f, "[redacted]")
	}
	return s
}

// redact replaces secret values in err's message. Drivers and HTTP clients may quote a URL, a
// header or a connection string back in their errors; this is the one place that makes sure
// none of it reaches a client or a log.
func redact(err error, forms []string) error {
	msg := err.Error()
	clean := redactString(msg, forms)
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}
