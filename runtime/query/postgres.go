package query

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/goflow-dev/goflow/domain"
)

// runPostgres runs q in its own transaction: read-only unless q.Mutation, with the data
// source's statement timeout, failing with ErrTooManyRows past maxRows.
func (e *Executor) runPostgres(ctx context.Context, ds *domain.DataSource, q *domain.Query, values Values) (json.RawMessage, int, error) {
	stmt, err := RewriteSQL(q.Template)
	if err != nil {
		return nil, 0, err
	}
	args := make([]any, len(stmt.Names))
	for i, name := range stmt.Names {
		p := slices.IndexFunc(q.Params, func(p domain.QueryParam) bool { return p.Name == name })
		if p < 0 {
			return nil, 0, fmt.Errorf("%w: {{%s}} is not a declared param", ErrTemplate, name)
		}
		if args[i], err = bindValue(q.Params[p].Type, values[name]); err != nil {
			return nil, 0, &ParamError{Path: "/" + pointerToken(name), Reason: err.Error()}
		}
	}
	timeoutMs, err := intSetting(ds.Config, "statementTimeoutMs", domain.DefaultStatementTimeoutMs, domain.MaxStatementTimeoutMs)
	if err != nil {
		return nil, 0, err
	}
	maxRows, err := intSetting(ds.Config, "maxRows", domain.DefaultMaxRows, domain.MaxMaxRows)
	if err != nil {
		return nil, 0, err
	}
	pool, err := e.pools.get(ds, e.opts)
	if err != nil {
		return nil, 0, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, 0, pgError(ctx, err)
	}
	// Release destroys a connection left in a transaction or closed, so a cleanup that fails
	// cannot hand a dirty connection to the next run.
	defer conn.Release()
	return runPipelined(ctx, conn.Conn(), stmt.Text, args, q.Mutation, timeoutMs, maxRows)
}

// Transaction control of a run. The access mode is explicit on every BEGIN, so that no session
// default a template sets (default_transaction_read_only, SET SESSION CHARACTERISTICS) applies.
const (
	beginReadOnly  = "BEGIN READ ONLY"
	beginReadWrite = "BEGIN READ WRITE"
	// cleanupTimeout bounds the ROLLBACK after a failed run, which is sent even when the
	// caller's context is done (a timeout or a cancellation is often why the run failed).
	cleanupTimeout = 5 * time.Second
)

// runPipelined runs one statement in its own transaction, sent as one pipeline (one network
// round trip): BEGIN, SET LOCAL statement_timeout, the statement and, unless mutation, COMMIT.
// A read-only run commits in the pipeline, as it cannot have written anything whatever its row
// count. A mutation's COMMIT waits until its rows have been counted (a second round trip), so
// that one over maxRows is rolled back. On any failure a transaction left open (the statement
// failed, so the server skipped the pipelined COMMIT) is rolled back before conn goes back to the
// pool.
func runPipelined(ctx context.Context, conn *pgx.Conn, sql string, args []any, mutation bool, timeoutMs, maxRows int) (json.RawMessage, int, error) {
	begin := beginReadOnly
	if mutation {
		begin = beginReadWrite
	}
	b := &pgx.Batch{}
	b.Queue(begin)
	// SET cannot take bind parameters; timeoutMs is an integer checked by the caller.
	b.Queue("SET LOCAL statement_timeout = " + strconv.Itoa(timeoutMs))
	b.Queue(sql, args...)
	if !mutation {
		b.Queue("COMMIT")
	}
	data, n, err := readPipeline(ctx, conn.SendBatch(ctx, b), mutation, maxRows)
	if err == nil && mutation {
		err = commit(ctx, conn)
	}
	if err != nil {
		rollback(ctx, conn)
		return nil, 0, err
	}
	return data, n, nil
}

// readPipeline reads the results of runPipelined's batch in order and closes it.
func readPipeline(ctx context.Context, br pgx.BatchResults, mutation bool, maxRows int) (data json.RawMessage, n int, err error) {
	defer func() {
		// Close reads what is left up to the pipeline's Sync; its error is the first one.
		if cerr := br.Close(); cerr != nil && err == nil {
			err = pgError(ctx, cerr)
		}
	}()
	for range 2 { // BEGIN, SET LOCAL
		if _, err := br.Exec(); err != nil {
			return nil, 0, pgError(ctx, err)
		}
	}
	rows, err := br.Query()
	if err != nil {
		return nil, 0, pgError(ctx, err)
	}
	if data, n, err = rowsJSON(ctx, rows, maxRows); err != nil {
		return nil, 0, err
	}
	if !mutation {
		tag, err := br.Exec()
		if err != nil {
			return nil, 0, pgError(ctx, err)
		}
		if tag.String() == "ROLLBACK" { // the transaction failed without an error reaching us
			return nil, 0, pgError(ctx, pgx.ErrTxCommitRollback)
		}
	}
	return data, n, nil
}

// commit commits the transaction a mutation's pipeline left open.
func commit(ctx context.Context, conn *pgx.Conn) error {
	tag, err := conn.Exec(ctx, "COMMIT")
	if err != nil {
		return pgError(ctx, err)
	}
	if tag.String() == "ROLLBACK" {
		return pgError(ctx, pgx.ErrTxCommitRollback)
	}
	return nil
}

// rollback ends a transaction left open on conn, even when ctx is done. When that fails, the
// connection is closed (and the pool then drops it) rather than reused mid-transaction.
func rollback(ctx context.Context, conn *pgx.Conn) {
	if conn.IsClosed() || conn.PgConn().TxStatus() == 'I' {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if _, err := conn.Exec(cctx, "ROLLBACK"); err != nil || conn.PgConn().TxStatus() != 'I' {
		_ = conn.Close(cctx)
	}
}

// pgError classifies a pgx error under the package's sentinels, keeping it in the chain.
func pgError(ctx context.Context, err error) error {
	// A batch wraps errors of its preparing step (a syntax error, an argument that does not
	// encode) in a message about batches, which says nothing to the app's author.
	if pre := (pgx.ErrPreprocessingBatch{}); errors.As(err, &pre) && pre.Unwrap() != nil {
		err = pre.Unwrap()
	}
	var pgErr *pgconn.PgError
	var connErr *pgconn.ConnectError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "57014": // query_canceled: the statement timeout
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	case errors.As(err, &pgErr):
		return fmt.Errorf("%w: %w", ErrDatabase, err)
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %w", ErrTimeout, cmp.Or(ctx.Err(), err))
	case errors.As(err, &connErr):
		return fmt.Errorf("%w: %w", ErrConnect, err)
	}
	return fmt.Errorf("%w: %w", ErrDatabase, err)
}

// intSetting reads an optional integer config field, checked against 1..max (the domain checks
// it when the config is saved; this guards configs stored under older rules).
func intSetting(cfg map[string]json.RawMessage, k string, def, max int) (int, error) {
	raw, ok := cfg[k]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(string(raw))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%w: %s must be a positive integer", ErrConfig, k)
	}
	return min(n, max), nil
}

// rowsJSON reads at most maxRows rows into a JSON array of objects keyed by column name, in
// column order, and closes rows.
func rowsJSON(ctx context.Context, rows pgx.Rows, maxRows int) (json.RawMessage, int, error) {
	defer rows.Close()
	fields := rows.FieldDescriptions()
	keys := make([][]byte, len(fields))
	for i, f := range fields {
		for _, g := range fields[:i] {
			if g.Name == f.Name {
				return nil, 0, fmt.Errorf("%w: the column name %q appears twice; give the columns distinct names (AS)", ErrTemplate, f.Name)
			}
		}
		keys[i], _ = json.Marshal(f.Name)
	}
	var buf bytes.Buffer
	buf.WriteByte('[')
	n := 0
	for rows.Next() {
		if n++; n > maxRows {
			return nil, 0, fmt.Errorf("%w: the query returned more than %d rows (the data source's maxRows); add a LIMIT or filter", ErrTooManyRows, maxRows)
		}
		vals, err := rows.Values()
		if err != nil {
			return nil, 0, pgError(ctx, err)
		}
		raws := rows.RawValues()
		if n > 1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('{')
		for i, v := range vals {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(keys[i])
			buf.WriteByte(':')
			var raw []byte
			if i < len(raws) {
				raw = raws[i]
			}
			j, err := columnJSON(fields[i], v, raw)
			if err != nil {
				return nil, 0, fmt.Errorf("%w: column %q: %w", ErrDatabase, fields[i].Name, err)
			}
			buf.Write(j)
		}
		buf.WriteByte('}')
	}
	if err := rows.Err(); err != nil {
		return nil, 0, pgError(ctx, err)
	}
	buf.WriteByte(']')
	return buf.Bytes(), n, nil
}

// columnJSON renders one column value: numbers as numbers, json/jsonb embedded as they are,
// timestamps as RFC 3339, dates as YYYY-MM-DD, uuid as text, bytea as base64, NaN and infinities
// as strings, arrays element by element, anything else through its text form.
func columnJSON(f pgconn.FieldDescription, v any, raw []byte) (json.RawMessage, error) {
	if v == nil {
		return json.RawMessage("null"), nil
	}
	switch f.DataTypeOID {
	case pgtype.JSONOID, pgtype.JSONBOID:
		if f.DataTypeOID == pgtype.JSONBOID && f.Format == pgtype.BinaryFormatCode && len(raw) > 0 && raw[0] == 1 {
			raw = raw[1:] // the jsonb binary format's version byte
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err == nil {
			return buf.Bytes(), nil
		}
	case pgtype.DateOID:
		if t, ok := v.(time.Time); ok {
			return json.Marshal(t.Format(time.DateOnly))
		}
	case pgtype.TimeOID:
		if t, ok := v.(pgtype.Time); ok && t.Valid {
			// pgx writes six fraction digits; "13:14:15" reads better than "13:14:15.000000".
			if dv, err := t.Value(); err == nil {
				if s, ok := dv.(string); ok {
					if strings.Contains(s, ".") {
						s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
					}
					return json.Marshal(s)
				}
			}
		}
	}
	return valueJSON(v)
}

// valueJSON renders a value decoded by pgx.
func valueJSON(v any) (json.RawMessage, error) {
	switch x := v.(type) {
	case nil:
		return json.RawMessage("null"), nil
	case time.Time:
		return json.Marshal(x.UTC().Format(time.RFC3339Nano))
	case float64:
		return floatJSON(x)
	case float32:
		return floatJSON(float64(x))
	case [16]byte: // uuid
		return json.Marshal(uuidString(x))
	case []byte: // bytea: encoding/json writes base64
		return json.Marshal(x)
	case pgtype.Numeric:
		return x.MarshalJSON()
	case net.IPNet:
		return json.Marshal(x.String())
	case []any:
		var buf bytes.Buffer
		buf.WriteByte('[')
		for i, it := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			j, err := valueJSON(it)
			if err != nil {
				return nil, err
			}
			buf.Write(j)
		}
		buf.WriteByte(']')
		return buf.Bytes(), nil
	case map[string]any, string, bool, int8, int16, int32, int64, int, uint32, uint64:
		return json.Marshal(x)
	case driver.Valuer: // intervals, times of day, ranges...: their text form
		dv, err := x.Value()
		if err != nil {
			return nil, err
		}
		if _, same := dv.(driver.Valuer); same {
			return json.Marshal(fmt.Sprint(dv))
		}
		return valueJSON(dv)
	}
	return json.Marshal(v)
}

func floatJSON(f float64) (json.RawMessage, error) {
	switch {
	case math.IsNaN(f):
		return json.RawMessage(`"NaN"`), nil
	case math.IsInf(f, 1):
		return json.RawMessage(`"Infinity"`), nil
	case math.IsInf(f, -1):
		return json.RawMessage(`"-Infinity"`), nil
	}
	return json.Marshal(f)
}

func uuidString(b [16]byte) string {
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// poolSet keeps one pool per data source id, rebuilt when the data source's connection
// settings or secrets change (the version hash), the old pool closed.
type poolSet struct {
	mu     sync.Mutex
	pools  map[string]*poolEntry
	closed bool
	logger interface {
		Debug(msg string, args ...any)
	}
}

type poolEntry struct {
	version string
	pool    *pgxpool.Pool
}

var errExecutorClosed = errors.New("query executor closed")

func (s *poolSet) get(ds *domain.DataSource, opts Options) (*pgxpool.Pool, error) {
	version := connVersion(ds)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("%w: %w", ErrConnect, errExecutorClosed)
	}
	if e, ok := s.pools[ds.ID]; ok {
		if e.version == version {
			return e.pool, nil
		}
		// Close waits for acquired connections; runs in flight finish on the old settings.
		go e.pool.Close()
		delete(s.pools, ds.ID)
	}
	cfg, err := poolConfig(ds, opts)
	if err != nil {
		return nil, err
	}
	// NewWithConfig does not connect: a bad host fails the first run, not this call.
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConnect, err)
	}
	s.pools[ds.ID] = &poolEntry{version: version, pool: pool}
	s.logger.Debug("query: postgres pool opened", "dataSource", ds.ID, "version", version[:12])
	return pool, nil
}

func (s *poolSet) forget(id string) {
	s.mu.Lock()
	e, ok := s.pools[id]
	delete(s.pools, id)
	s.mu.Unlock()
	if ok {
		go e.pool.Close() // waits for runs in flight
	}
}

func (s *poolSet) closeAll() {
	s.mu.Lock()
	pools := s.pools
	s.pools, s.closed = map[string]*poolEntry{}, true
	s.mu.Unlock()
	for _, e := range pools {
		e.pool.Close()
	}
}

// connVersion hashes what a pool depends on: the config and the secrets.
func connVersion(ds *domain.DataSource) string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(ds.Config)) {
		fmt.Fprintf(h, "c%d:%s=%d:%s;", len(k), k, len(ds.Config[k]), ds.Config[k])
	}
	for _, k := range slices.Sorted(maps.Keys(ds.Secrets)) {
		fmt.Fprintf(h, "s%d:%s=%d:%s;", len(k), k, len(ds.Secrets[k]), ds.Secrets[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// poolConfig builds the pool settings from url or host/port/database/user/sslmode. The password
// never goes into a connection string (so no parse error can quote it); it is set on the parsed
// config, which also overrides PGPASSWORD and .pgpass of the server's environment.
func poolConfig(ds *domain.DataSource, opts Options) (*pgxpool.Config, error) {
	str := func(k string) string {
		var s string
		_ = json.Unmarshal(ds.Config[k], &s)
		return s
	}
	conn := str("url")
	if conn == "" {
		port := string(ds.Config["port"])
		if port == "" {
			port = "5432"
		}
		u := url.URL{Scheme: "postgres", User: url.User(str("user")), Host: net.JoinHostPort(str("host"), port), Path: "/" + str("database")}
		if m := str("sslmode"); m != "" {
			u.RawQuery = url.Values{"sslmode": {m}}.Encode()
		}
		conn = u.String()
	}
	cfg, err := pgxpool.ParseConfig(conn)
	if err != nil {
		return nil, fmt.Errorf("%w: the connection settings do not parse: %w", ErrConfig, err)
	}
	cfg.ConnConfig.Password = ds.Secrets["password"]
	cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	cfg.MaxConns = opts.MaxConnsPerSource
	cfg.MinConns = 0
	// The extended protocol is what keeps a template to one statement and its values out of
	// the text; a url could otherwise ask for the simple protocol.
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
	cfg.ConnConfig.RuntimeParams["application_name"] = "goflow-query"
	return cfg, nil
}
