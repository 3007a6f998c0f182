// Package query runs an app's queries against its data sources on the server, where the
// secrets stay, and checks results against result schemas.
//
// An [Executor] runs a [domain.Query] against a [domain.DataSource] (with its secrets in
// plaintext: the caller decrypts them just before the call) with parameters given as a JSON
// object. The parameters are checked first ([BindParams]): an unknown name, a missing required
// param or a value of the wrong type is a [*ParamError] (errors.Is ErrInvalidParams) whose Path
// is "/name"; defaults fill in the params not given; null counts as not given. A param that is
// neither given nor defaulted is null.
//
// # Postgres
//
// The template is one SQL statement. Each {{name}} becomes a bind parameter $1..$n (a name used
// twice binds the same $n), sent with the extended protocol; values are never written into the
// SQL text. Postgres infers each parameter's type from the statement; strings, integers (int64),
// numbers (float64), booleans, objects (their JSON text, for json/jsonb) and arrays (typed
// slices when all items are strings, integers, numbers or booleans, for = ANY({{ids}}); their
// JSON text otherwise) bind naturally. A {{name}} inside a string literal ('...', E'...',
// $$...$$), a quoted identifier or a comment is refused with ErrTemplate rather than bound,
// because Postgres reads "$1" there as text: write 'a' || {{x}} or LIKE '%' || {{x}} || '%'
// instead. Hand-written $1 parameters are refused too. The extended protocol also refuses
// several statements in one template ("SELECT 1; DROP TABLE t" fails).
//
// Each run is its own transaction: BEGIN READ ONLY unless the query is a mutation
// (Query.Mutation, then BEGIN READ WRITE), SET LOCAL statement_timeout to the data source's
// statementTimeoutMs (default 5000, at most 60000; past it: ErrTimeout), then the statement; a
// mutation commits only when everything succeeded. At most maxRows rows are read (default 1000,
// at most 100000); one more fails the run with ErrTooManyRows (and rolls a mutation back) instead
// of returning a silently truncated result. The access mode and the timeout are set by every run
// itself, never taken from session defaults, so no template can change them for later runs.
//
// A read-only run costs one network round trip: BEGIN, SET LOCAL, the statement and COMMIT go
// out as one pipeline. It commits whatever its row count, having written nothing. A mutation
// costs two: its COMMIT (or ROLLBACK) waits until its rows are counted. Preparing the statements
// adds round trips to the first run on each pooled connection, and to the run after one whose
// statement failed (pgx drops a failed batch's cached statements). When the statement fails, the server skips the pipelined
// COMMIT; the run rolls the transaction back before the connection returns to the pool, and
// closes a connection it cannot roll back.
//
// Rows come back as a JSON array of objects keyed by column name in column order (a duplicate
// column name is an error): integers and numerics as numbers, NaN/Infinity as strings,
// timestamps as RFC 3339 strings in UTC, dates as YYYY-MM-DD, json and jsonb embedded as they
// are, uuid as text, bytea as base64, arrays as arrays, other types as their text form.
//
// Connections come from one pgx pool per data source, rebuilt when its config or secrets change
// (keyed by id and a hash of both). The pool is built from config url, or host, port, database,
// user and sslmode; the password secret is set on the parsed config, never in a connection
// string, and overrides PGPASSWORD and .pgpass of the server's environment. The extended
// protocol is forced even if the url asks for another exec mode.
//
// # REST
//
// The template is a JSON object, every member optional:
//
//	{
//	  "method":  "POST",                          // literal, default GET
//	  "path":    "/customers/{{id}}/orders",      // after baseUrl; or an absolute http(s) URL
//	  "query":   {"status": "{{status}}", "tag": {{tags}}, "limit": 50},
//	  "headers": {"X-Request-Source": "app {{appName}}"},
//	  "body":    {"note": "{{note}}", "items": {{items}}, "paid": {{paid}}}
//	}
//
// A template that does not start with "{" is the short form, one line "METHOD /path?query"
// (like "GET /customers/{{id}}?page={{page}}"), read as {"method": ..., "path": ...}.
//
// A {{name}} inside a JSON string is replaced by the value's text (strings as they are, numbers
// and booleans as written, objects and arrays as compact JSON, null as ""): percent-encoded in
// path (everything but unreserved characters, so "/", "?", "&", "#" and ".." stay inside one
// segment), form-encoded in query values, verbatim in headers (a line break is refused) and in
// body strings (JSON-escaped by the encoder). A bare {{name}} (outside quotes) is the value
// itself: in body it is that JSON value; in query an array adds one value per item and null
// leaves the member out. Member names and method are literal.
//
// The URL is baseUrl + path (path starts with "/" or "?"; the baseUrl's own query parameters are
// kept, the template's added), or path itself when it is an absolute URL. The body is sent as
// JSON with its object members in sorted order. Its host must be the baseUrl's (same host and port) or match the data source's
// allowedHosts (an exact name, with any port unless the entry names one, or "*.example.com" for
// any subdomain); otherwise ErrHostNotAllowed. Redirects (at most 5) are checked the same way,
// and the credential headers are dropped on a redirect to another host, port or scheme.
//
// Headers are the data source's headers, then the template's, then Accept: application/json
// and (with a body) Content-Type: application/json when unset, then the credentials, which a
// template cannot override: secret apiKey in X-API-Key (or the header named by config
// apiKeyHeader); secret bearerToken as Authorization: Bearer; otherwise secret password as
// basic auth with config user.
//
// The request times out after timeoutMs (default 10000, at most 60000; ErrTimeout). The
// response must be 2xx (else a [*StatusError] with the code and the start of the body), at most
// Options.MaxResponseBytes (default 10 MiB; else ErrTooLarge) and JSON (else ErrNotJSON); an
// empty body is null.
//
// # Static
//
// The result is the data source's config data; the template is not used.
//
// # Secrets
//
// Secrets are read only to authenticate (the Postgres password, the REST credential headers).
// Every error Run returns has each secret value, raw and in its URL and JSON escaped forms, cut
// out of its message (the error chain is kept for errors.Is), so that a driver or HTTP error
// quoting a connection string, a URL or a response body cannot carry one to a client or a log.
//
// # Result schemas
//
// [ValidateResult] checks a result against a JSON Schema 2020-12 document and lists up to
// [MaxMismatches] mismatches with their instance paths ("/0/price: got string, want number").
// [InferSchema] derives a schema from a sample result, to be saved as a derived schema (the
// same inference as POST /api/schemas/derive).
//
// # Not covered here
//
// The executor does not record runs on the session, look up data sources, queries or schemas,
// or decrypt secrets: its caller does. REST requests go wherever baseUrl and allowedHosts say,
// private addresses included; a deployment that must keep apps off its internal network needs a
// Transport that refuses them. Session settings a Postgres template changes with a plain SET
// (not the timeout or the access mode, which every run sets again in its BEGIN and SET LOCAL)
// stay on the pooled connection for the data source's later runs.
package query
