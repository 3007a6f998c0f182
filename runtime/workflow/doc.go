// Package workflow executes an app's backend workflows: one [Runner] per app runs each invocation
// either in the built-in Lua sandbox (runtime/luabox) or, when the app sets flowServiceUrl, at an
// external flow service, retrying per the workflow's [Policy] and reporting every step to an
// [Observer] so that the caller can record it on the session. It also provides the sandbox's host
// side: [Host] combines the app's queries ([Queries], supplied by the caller), an [HTTPClient]
// restricted to the app's allowed hosts and an [AIClient] for the workspace's OpenAI-compatible
// endpoint.
//
// # Attempts, retries and the poison queue
//
// An invocation makes up to Policy.MaxAttempts attempts (default 1, at most 10). After a failed
// attempt that is [Retryable] it waits Policy.Backoff (default 500ms), doubling after each further
// failure, capped at Policy.MaxBackoff (default 30s), optionally jittered to [d/2, d]. Retried:
// timeouts (the sandbox's run timeout, the flow service's or the AI endpoint's), the flow service's
// 5xx answers and connection errors, and failed host calls (a query error, a connection error of
// http.request, a 408, 429 or 5xx from the AI endpoint) that ended the run. Not retried, because they
// fail the same way again: Lua runtime errors, forbidden capabilities (including a host outside the
// allowed list and AI not configured), size limits, stack overflows, invalid scripts, the flow
// service's 4xx answers and its {"error": ...} answers, and errors marked with [Permanent]. When an
// invocation fails for good, [Outcome].Poisoned is true and the caller puts it in the poison queue;
// an invocation stopped by its context is not poisoned.
//
// The Observer sees, per attempt, Started(attempt), Log(line) for each logged line, then
// Succeeded(result, duration) or Failed(err, duration, willRetry).
//
// # http.request
//
// [HTTPClient] sends GET, POST, PUT, PATCH and DELETE over http and https only, to hosts in the
// app's allowed list: exact names or IP literals, or "*.example.com" for any subdomain of
// example.com (not example.com itself); case, a trailing dot and the port are ignored. Every
// redirect is checked again (at most 5 are followed). A refused scheme or host fails with
// [ErrHostNotAllowed], which the sandbox reports as luabox.ErrForbidden. Requests time out after 10s
// by default and responses over 4 MiB fail with luabox.ErrTooLarge. A non-2xx status is not an
// error: the script gets {status=, headers=, body=}.
//
// # ai.complete
//
// [AIClient] POSTs {BaseURL}/chat/completions with "Authorization: Bearer <APIKey>" and the body
//
//	{"model": "...", "messages": [{"role": "user", "content": "..."}], "max_tokens": n, "temperature": t}
//
// A prompt becomes a single user message; messages are sent as given. The model defaults to
// AIConfig.DefaultModel; max_tokens is lowered to AIConfig.MaxTokensCap and set to it when absent.
// From the answer it takes choices[0].message.content, choices[0].finish_reason, model and
// usage.prompt_tokens / usage.completion_tokens. A non-2xx answer is an [*AIError] carrying the
// provider's error message; the API key never appears in an error.
//
// # The flow service contract
//
// When an app sets flowServiceUrl, each attempt of a workflow run is one HTTP request:
//
//	POST <flowServiceUrl>
//	Content-Type: application/json
//	X-GoFlow-Timestamp: <unix time in seconds when the request was signed>
//	X-GoFlow-Signature: sha256=<lower-case hex of HMAC-SHA256(secret, "<timestamp>.<body>")>
//
//	{
//	  "workflow": "<workflow name>",
//	  "payload": <the run's JSON payload, null when none>,
//	  "sessionId": "<session id, may be empty>",
//	  "correlationId": "<correlation id of the triggering action, may be empty>",
//	  "attempt": <1 for the first attempt, 2 for the first retry, ...>
//	}
//
// The signature covers the timestamp (the header's decimal string), a literal ".", and the exact
// bytes of the body, keyed with the secret (its UTF-8 bytes) shared between the app and the service. The service should recompute it, compare in
// constant time, and reject timestamps more than a few minutes from its clock (replays);
// [VerifySignature] does exactly this for services written in Go. Every attempt is signed afresh.
// The workflow, payload, session and correlation ids stay the same across the attempts of one run
// while "attempt" counts up, so a service can recognise a retry and deduplicate side effects.
//
// The service answers with JSON:
//
//	2xx  {"result": <any JSON value>, "logs": ["line", ...]}   the run succeeded; "result" missing
//	                                                            or an empty body means null
//	2xx  {"error": "<message>", "logs": [...]}                 the workflow failed (not retried)
//	4xx  {"error": "<message>"}                                the request was refused (not retried)
//	5xx  {"error": "<message>"}                                a temporary failure (retried)
//
// "logs" is optional; its lines are recorded like a Lua workflow's log lines. For non-2xx answers
// the body need not be JSON: its start is used as the message. Redirects are not followed (a 3xx
// is a failure, not retried). Each attempt times out after FlowService.Timeout (default 10s); a
// timeout or a connection error is retried. A 2xx answer over FlowService.MaxResponseBytes
// (default 1 MiB) fails the run with luabox.ErrTooLarge (not retried). A result is handled exactly
// like a built-in run's: it becomes the <workflow>/succeeded action's payload, an error the
// <workflow>/failed one's.
package workflow
