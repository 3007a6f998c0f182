package query_test

import (
	"context"
	"encoding/json"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/runtime/query"
)

// sessionProbe is what a run sees of its connection: which backend it is and the settings every
// run must have.
type sessionProbe struct {
	PID      int    `json:"pid"`
	Timeout  string `json:"timeout"`
	ReadOnly string `json:"ro"`
}

// probeSession runs a read-only query reporting the backend and its per-run settings.
func probeSession(t *testing.T, e *query.Executor, ds *domain.DataSource) sessionProbe {
	t.Helper()
	res, err := e.Run(context.Background(), ds, sqlQuery(
		"SELECT pg_backend_pid() AS pid, current_setting('statement_timeout') AS timeout, current_setting('transaction_read_only') AS ro"), nil)
	require.NoError(t, err)
	var rows []sessionProbe
	require.NoError(t, json.Unmarshal(res.Data, &rows))
	require.Len(t, rows, 1)
	return rows[0]
}

// TestPostgresPipelineFailuresLeaveConnectionClean fails runs at every point of the pipeline and
// checks that the one pooled connection comes back out of any transaction, still open (the same
// backend, so it was rolled back rather than dropped), with nothing written.
func TestPostgresPipelineFailuresLeaveConnectionClean(t *testing.T) {
	t.Parallel()
	f := setupPostgres(t, "statementTimeoutMs", `200`, "maxRows", `5`)
	f.exec(t, "CREATE TABLE log (n int)")
	e := newExecutor(t, query.Options{MaxConnsPerSource: 1})
	before := probeSession(t, e, f.source)
	require.Equal(t, sessionProbe{PID: before.PID, Timeout: "200ms", ReadOnly: "on"}, before)

	cases := []struct {
		name     string
		template string
		mutation bool
		want     error
	}{
		// A syntax error fails while the statement is prepared, before BEGIN runs.
		{"syntax error", "SELEC 1", false, query.ErrDatabase},
		{"syntax error in a mutation", "INSERT INTO log VALUE (1)", true, query.ErrDatabase},
		// These fail inside the open transaction, after some rows may have been sent: the server
		// skips the pipelined COMMIT and the transaction must be rolled back.
		{"error after some rows", "SELECT 10 / (3 - n) AS x FROM generate_series(1, 5) n", false, query.ErrDatabase},
		{"statement timeout", "SELECT pg_sleep(3)", false, query.ErrTimeout},
		{"statement timeout in a mutation", "INSERT INTO log SELECT 1 FROM pg_sleep(3)", true, query.ErrTimeout},
		{"read-only refusal", "INSERT INTO log VALUES (1)", false, query.ErrDatabase},
		{"mutation failing halfway", "INSERT INTO log SELECT 10 / (3 - n) FROM generate_series(1, 5) n", true, query.ErrDatabase},
		{"too many rows", "SELECT n FROM generate_series(1, 6) n", false, query.ErrTooManyRows},
		{"mutation over the row limit", "INSERT INTO log SELECT generate_series(1, 6) RETURNING n", true, query.ErrTooManyRows},
		{"duplicate column in a mutation", "INSERT INTO log VALUES (1) RETURNING n, n", true, query.ErrTemplate},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := sqlQuery(tc.template)
			q.Mutation = tc.mutation
			start := time.Now()
			_, err := e.Run(context.Background(), f.source, q, nil)
			require.ErrorIs(t, err, tc.want)
			require.Less(t, time.Since(start), 2*time.Second)
			require.Equal(t, before, probeSession(t, e, f.source), "the same connection, clean")
		})
	}
	var n int
	require.NoError(t, f.admin.QueryRow(context.Background(), "SELECT count(*) FROM log").Scan(&n))
	require.Zero(t, n, "every failed mutation was rolled back")

	// The connection still runs mutations, and they commit.
	q := sqlQuery("INSERT INTO log VALUES (7) RETURNING n")
	q.Mutation = true
	res, err := e.Run(context.Background(), f.source, q, nil)
	require.NoError(t, err)
	require.Equal(t, `[{"n":7}]`, string(res.Data))
	require.NoError(t, f.admin.QueryRow(context.Background(), "SELECT count(*) FROM log").Scan(&n))
	require.Equal(t, 1, n)
	require.Equal(t, before, probeSession(t, e, f.source))
}

// TestPostgresTemplateCannotMakeLaterRunsWritable changes the session's defaults from a template
// and checks that a later read-only run on the same connection still cannot write, and still has
// its statement timeout: both are set by each run's own BEGIN and SET LOCAL, not by defaults.
func TestPostgresTemplateCannotMakeLaterRunsWritable(t *testing.T) {
	t.Parallel()
	f := setupPostgres(t, "statementTimeoutMs", `200`)
	f.exec(t, "CREATE TABLE notes (body text)")
	e := newExecutor(t, query.Options{MaxConnsPerSource: 1})
	before := probeSession(t, e, f.source)
	cases := []struct {
		name     string
		template string
		mutation bool
	}{
		{"default_transaction_read_only", "SET default_transaction_read_only = off", false},
		{"default_transaction_read_only from a mutation", "SET default_transaction_read_only = off", true},
		{"session characteristics", "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", false},
		{"set_config", "SELECT set_config('default_transaction_read_only', 'off', false) AS v", false},
		{"transaction_read_only", "SET transaction_read_only = off", false},
		{"statement_timeout", "SET statement_timeout = 0", false},
		{"statement_timeout from a mutation", "SET statement_timeout = 0", true},
		{"ending the transaction early", "COMMIT", false},
		{"starting another transaction", "START TRANSACTION READ WRITE", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			poison := sqlQuery(tc.template)
			poison.Mutation = tc.mutation
			_, err := e.Run(context.Background(), f.source, poison, nil)
			require.NoError(t, err)

			_, err = e.Run(context.Background(), f.source, sqlQuery("INSERT INTO notes VALUES ('x')"), nil)
			require.ErrorIs(t, err, query.ErrDatabase)
			require.ErrorContains(t, err, "read-only transaction")

			start := time.Now()
			_, err = e.Run(context.Background(), f.source, sqlQuery("SELECT pg_sleep(3)"), nil)
			require.ErrorIs(t, err, query.ErrTimeout)
			require.Less(t, time.Since(start), 2*time.Second)

			require.Equal(t, before, probeSession(t, e, f.source), "the same connection, read-only, with its timeout")
		})
	}
	var n int
	require.NoError(t, f.admin.QueryRow(context.Background(), "SELECT count(*) FROM notes").Scan(&n))
	require.Zero(t, n)
}

// TestPostgresRoundTrips counts the client's turns on the wire through a proxy: a read-only run
// is one round trip, a mutation two (its COMMIT waits until its rows are counted).
func TestPostgresRoundTrips(t *testing.T) {
	t.Parallel()
	f := setupPostgres(t)
	f.exec(t, "CREATE TABLE notes (id int, body text)")
	var raw string
	require.NoError(t, json.Unmarshal(f.source.Config["url"], &raw))
	u, err := url.Parse(raw)
	require.NoError(t, err)
	if u.Host == "" || u.Query().Get("host") != "" {
		t.Skip("the proxy needs a server reached over TCP")
	}
	p := startTurnProxy(t, u.Host)
	u.Host = p.addr
	ds := *f.source
	ds.Config = map[string]json.RawMessage{"url": mustJSON(t, u.String())}
	e := newExecutor(t, query.Options{MaxConnsPerSource: 1})
	params := []domain.QueryParam{{Name: "id", Type: domain.ParamInteger}}
	read := sqlQuery("SELECT id, body FROM notes WHERE id = {{id}}", params...)
	write := sqlQuery("INSERT INTO notes VALUES ({{id}}, 'x') RETURNING id", params...)
	write.Mutation = true
	cases := []struct {
		name  string
		q     *domain.Query
		turns int
	}{
		{"read-only", read, 1},
		{"mutation", write, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The first run on a connection also prepares its statements.
			_, err := e.Run(context.Background(), &ds, tc.q, json.RawMessage(`{"id": 1}`))
			require.NoError(t, err)
			for i := range 3 {
				p.reset()
				_, err := e.Run(context.Background(), &ds, tc.q, json.RawMessage(`{"id": 1}`))
				require.NoError(t, err)
				require.Equal(t, tc.turns, p.turns(), "run %d", i)
			}
		})
	}
}

// turnProxy forwards TCP connections to a server and counts the client's turns: the times the
// client sends after the server has spoken (or first), which is one per network round trip.
type turnProxy struct {
	addr string
	mu   sync.Mutex
	n    int
	// serverSpoke is whether the last bytes seen went from the server to the client.
	serverSpoke bool
}

func startTurnProxy(t *testing.T, target string) *turnProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &turnProxy{addr: ln.Addr().String(), serverSpoke: true}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				_ = client.Close()
				continue
			}
			wg.Go(func() { p.pipe(server, client, false) })
			wg.Go(func() { p.pipe(client, server, true) })
		}
	})
	return p
}

// pipe copies src to dst, noting each read before forwarding it, so that the reply to it is
// always noted after it.
func (p *turnProxy) pipe(dst, src net.Conn, fromServer bool) {
	defer func() { _ = dst.Close(); _ = src.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			if !fromServer && p.serverSpoke {
				p.n++
			}
			p.serverSpoke = fromServer
			p.mu.Unlock()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil { // EOF or closed: the other side's copy ends with it
			return
		}
	}
}

func (p *turnProxy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n, p.serverSpoke = 0, true
}

func (p *turnProxy) turns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}
