package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/web/auth"
)

// The OpenAPI 3.1 document is built from the operation list below (not from the route table, so
// that the coverage test in openapi_test.go compares two independent lists) and rendered once
// when the server is built.

// operation describes one route for the OpenAPI document.
type operation struct {
	method, path string
	id           string // operationId
	tag          string
	summary      string
	description  string
	// access is who may call the operation. It decides the security requirement, the 401, 403
	// and 404 problems every operation of its kind has, and the roles sentence of the description.
	access      opAccess
	query       []param
	body        string         // request body schema name in components; "" for none
	bodyMedia   string         // the request body's media type; "" for application/json
	status      int            // success status
	resp        string         // success response schema name; "" for a response without a body
	respHeaders map[string]any // headers of the success response (Set-Cookie)
	// alt lists other media types of the success response (CSV, JSON Lines, plain text) and their
	// schemas, besides application/json.
	alt      map[string]any
	problems []int // problem statuses beyond the ones every operation of its kind has
}

// opAccess is who may call an operation, stated again by hand for the document: the test
// checks it against each route's access rule.
type opAccess struct {
	kind accessKind
	// perm is the permission a workspace-scoped operation needs.
	perm domain.Permission
}

// param is a query parameter.
type param struct {
	name, desc string
	schema     map[string]any
	required   bool
}

func qInt(name, desc string) param {
	return param{name: name, desc: desc, schema: map[string]any{"type": "integer", "minimum": 0}}
}

func qString(name, desc string) param {
	return param{name: name, desc: desc, schema: map[string]any{"type": "string"}}
}

func qTime(name, desc string) param {
	return param{name: name, desc: desc, schema: map[string]any{"type": "string", "format": "date-time"}}
}

var pageQuery = []param{
	{name: "limit", desc: "Page size: default 50, at most 500 (larger values are capped).",
		schema: map[string]any{"type": "integer", "minimum": 1, "default": defaultPageLimit}},
	qString("cursor", "The nextCursor of the previous page; absent for the first page."),
}

// skipQuery is the time-travel debugger's skip list: the client keeps it, the history is unchanged.
var skipQuery = param{name: "skip",
	desc:   "Steps to leave out of the replay, comma-separated (at most 1000, each within 1..the session's steps).",
	schema: map[string]any{"type": "string", "pattern": "^[0-9]+(,[0-9]+)*$"}}

var expectedVersionQuery = param{name: "expectedVersion", required: true,
	desc:   "The version you last read; a different current version answers 409 with currentVersion.",
	schema: map[string]any{"type": "integer", "minimum": 0}}

// operations lists every documented route. Keep it in the order of routeTable.
func operations() []operation {
	var (
		anyone    = opAccess{kind: accessPublic}
		anyUser   = opAccess{kind: accessUser}
		adminUser = opAccess{kind: accessAdmin}
		viewers   = opAccess{kind: accessWorkspace, perm: domain.PermView}
		auditors  = opAccess{kind: accessWorkspace, perm: domain.PermAudit}
		editors   = opAccess{kind: accessWorkspace, perm: domain.PermEdit}
		owners    = opAccess{kind: accessWorkspace, perm: domain.PermManage}
		// setsSessionCookie documents the Set-Cookie header of the answers that sign someone in.
		setsSessionCookie = map[string]any{"Set-Cookie": map[string]any{
			"description": "The " + SessionCookie + " session cookie (HttpOnly, SameSite=Lax, Secure over TLS).",
			"schema":      map[string]any{"type": "string"},
		}}
	)
	return []operation{
		{method: "GET", path: "/healthz", id: "healthz", tag: "health", summary: "Liveness: the process serves HTTP",
			access: anyone, status: 200, resp: "Status"},
		{method: "GET", path: "/readyz", id: "readyz", tag: "health", summary: "Readiness: the event store answers a ping",
			access: anyone, status: 200, resp: "Status", problems: []int{503}},
		{method: "GET", path: "/api/openapi.json", id: "getOpenAPI", tag: "meta", summary: "This OpenAPI document",
			access: anyone, status: 200, resp: "OpenAPIDocument"},
		{method: "GET", path: "/api/components", id: "listComponents", tag: "components",
			summary: "Component manifests and quick actions (the editor's palette)",
			access:  anyUser, status: 200, resp: "Components"},
		{method: "GET", path: "/api/realtime", id: "openRealtime", tag: "realtime",
			summary: "Open the co-editing WebSocket",
			description: "Upgrades to a WebSocket speaking GoFlow's co-editing protocol (docs/protocol.md): " +
				"subscribe to pages and scripts, submit ops, receive every committed change and others' " +
				"presence. Each message is checked against the document's workspace role: viewers and " +
				"auditors may watch, owners and editors may edit. Browsers may connect from the server's own " +
				"origin or a configured allowed origin (403 otherwise); a request that is not a WebSocket " +
				"upgrade is answered 426.",
			access: anyUser, status: 101, problems: []int{426}},

		{method: "POST", path: "/api/auth/setup", id: "setup", tag: "auth",
			summary: "Create the first administrator and sign them in",
			description: "Works once, while no account exists, with the setup token goflow serve prints " +
				"on the first start of an empty store: 403 setup_disabled when the server has no setup " +
				"token, 403 invalid_setup_token for a wrong one (failures are throttled per client " +
				"address: 429 with Retry-After), 409 setup_done once any account exists. Answers like " +
				"login: a session cookie and the session with its csrfToken.",
			access: anyone, body: "Setup", status: 201, resp: "Session", respHeaders: setsSessionCookie,
			problems: []int{403, 409, 422, 429}},
		{method: "POST", path: "/api/auth/login", id: "login", tag: "auth",
			summary: "Sign in with a username and password",
			description: "Starts a session: sets the " + SessionCookie + " cookie and answers the session " +
				"with the csrfToken that unsafe cookie-authenticated requests must send as " + CSRFHeader +
				". A session cookie sent along is ended first. A wrong password, an unknown user and a " +
				"disabled account all answer 401 invalid_login. Failed attempts are throttled per " +
				"account and per client address: 429 too_many_attempts with Retry-After.",
			access: anyone, body: "Login", status: 200, resp: "Session", respHeaders: setsSessionCookie,
			problems: []int{401, 429}},
		{method: "POST", path: "/api/auth/logout", id: "logout", tag: "auth", summary: "End the current session",
			description: "Ends the session of the cookie and clears it. With an API token there is no session: " +
				"the cookie is cleared and the token stays valid (revoke it with DELETE /api/auth/tokens/{tokenID}).",
			access: anyUser, status: 204,
			respHeaders: map[string]any{"Set-Cookie": map[string]any{
				"description": "Clears the " + SessionCookie + " cookie.", "schema": map[string]any{"type": "string"},
			}}},
		{method: "GET", path: "/api/auth/session", id: "getSession", tag: "auth",
			summary: "Who is signed in, and the CSRF token of a cookie session",
			access:  anyUser, status: 200, resp: "Session"},
		{method: "PUT", path: "/api/auth/password", id: "changePassword", tag: "auth", summary: "Change your password",
			description: "Checks the current password (400 wrong_password; failures are throttled: 429 with " +
				"Retry-After) and the new one's policy (400 weak_password). Every other session of the " +
				"user ends; API tokens stay valid.",
			access: anyUser, body: "ChangePassword", status: 204, problems: []int{429}},
		{method: "GET", path: "/api/auth/tokens", id: "listTokens", tag: "auth",
			summary: "Your API tokens, oldest first (their secrets are never shown again)",
			access:  anyUser, status: 200, resp: "TokenList"},
		{method: "POST", path: "/api/auth/tokens", id: "createToken", tag: "auth", summary: "Create an API token",
			description: "The answer is the only time the token itself is shown: send it as Authorization: " +
				"Bearer <token>. 409 too_many_tokens when you have " + strconv.Itoa(domain.MaxTokens) +
				" (expired ones count until revoked).",
			access: anyUser, body: "CreateToken", status: 201, resp: "CreatedToken", problems: []int{409, 422}},
		{method: "DELETE", path: "/api/auth/tokens/{tokenID}", id: "revokeToken", tag: "auth",
			summary: "Revoke one of your API tokens",
			access:  anyUser, status: 204, problems: []int{404}},

		{method: "GET", path: "/api/users", id: "listUsers", tag: "users", summary: "Every account",
			access: adminUser, query: pageQuery, status: 200, resp: "UserList"},
		{method: "POST", path: "/api/users", id: "createUser", tag: "users", summary: "Create an account",
			description: "400 weak_password for a password the policy refuses, 409 username_taken, 422 for an invalid username.",
			access:      adminUser, body: "CreateUser", status: 201, resp: "User", problems: []int{409, 422}},
		{method: "PATCH", path: "/api/users/{userID}", id: "patchUser", tag: "users",
			summary: "Disable or enable an account, grant or drop administration",
			description: "Disabling ends the account's sessions; its API tokens stop working while it is " +
				"disabled. 409 self_lockout when you would disable yourself or drop your own administration.",
			access: adminUser, body: "PatchUser", status: 200, resp: "User", problems: []int{404, 409}},

		{method: "GET", path: "/api/workspaces", id: "listWorkspaces", tag: "workspaces",
			summary: "The workspaces you are a member of, with your role in each",
			access:  anyUser, status: 200, resp: "WorkspaceList"},
		{method: "POST", path: "/api/workspaces", id: "createWorkspace", tag: "workspaces",
			summary: "Create a workspace; you become its owner",
			access:  anyUser, body: "CreateWorkspace", status: 201, resp: "Workspace", problems: []int{422}},
		{method: "GET", path: "/api/workspaces/{workspaceID}", id: "getWorkspace", tag: "workspaces",
			summary: "A workspace, with your role in it",
			access:  viewers, status: 200, resp: "Workspace"},
		{method: "PATCH", path: "/api/workspaces/{workspaceID}", id: "patchWorkspace", tag: "workspaces",
			summary: "Rename a workspace",
			access:  owners, body: "PatchWorkspace", status: 200, resp: "Workspace", problems: []int{409, 422}},
		{method: "DELETE", path: "/api/workspaces/{workspaceID}", id: "deleteWorkspace", tag: "workspaces",
			summary: "Delete a workspace",
			access:  owners, query: []param{expectedVersionQuery}, status: 200, resp: "Deleted", problems: []int{409}},
		{method: "GET", path: "/api/workspaces/{workspaceID}/members", id: "listMembers", tag: "workspaces",
			summary: "The workspace's members and their roles",
			access:  viewers, status: 200, resp: "MemberList"},
		{method: "PUT", path: "/api/workspaces/{workspaceID}/members/{userID}", id: "putMember", tag: "workspaces",
			summary: "Add a member or change a member's role",
			description: "404 user_not_found when no account has the id; 409 last_owner when the change " +
				"would leave the workspace without an owner, 409 too_many_members at " +
				strconv.Itoa(domain.MaxMembers) + " members.",
			access: owners, body: "PutMember", status: 200, resp: "Member", problems: []int{409, 422}},
		{method: "DELETE", path: "/api/workspaces/{workspaceID}/members/{userID}", id: "removeMember", tag: "workspaces",
			summary:     "Remove a member",
			description: "404 member_not_found for a user who is not a member; 409 last_owner for the last owner.",
			access:      owners, status: 204, problems: []int{409}},
		{method: "GET", path: "/api/workspaces/{workspaceID}/ai", id: "getWorkspaceAI", tag: "workspaces",
			summary: "The workspace's AI endpoint (never its key)",
			access:  viewers, status: 200, resp: "WorkspaceAI"},
		{method: "PUT", path: "/api/workspaces/{workspaceID}/ai", id: "putWorkspaceAI", tag: "workspaces",
			summary:     "Configure the OpenAI-compatible endpoint workflows call with ai.complete",
			description: "The API key is sealed before it is stored and never shown; omit apiKey to keep the current one.",
			access:      owners, body: "PutWorkspaceAI", status: 200, resp: "WorkspaceAI", problems: []int{409, 422}},
		{method: "DELETE", path: "/api/workspaces/{workspaceID}/ai", id: "deleteWorkspaceAI", tag: "workspaces",
			summary: "Remove the AI endpoint",
			access:  owners, query: []param{expectedVersionQuery}, status: 200, resp: "WorkspaceAI", problems: []int{409}},

		{method: "POST", path: "/api/workspaces/{workspaceID}/apps", id: "createApp", tag: "apps",
			summary: "Create an app in a workspace",
			access:  editors, body: "CreateApp", status: 201, resp: "App", problems: []int{422}},
		{method: "GET", path: "/api/workspaces/{workspaceID}/apps", id: "listApps", tag: "apps",
			summary: "The workspace's apps",
			access:  viewers, query: pageQuery, status: 200, resp: "AppList"},
		{method: "GET", path: "/api/apps/{appID}", id: "getApp", tag: "apps", summary: "An app",
			access: viewers, status: 200, resp: "App"},
		{method: "PATCH", path: "/api/apps/{appID}", id: "patchApp", tag: "apps", summary: "Rename an app or replace its settings",
			access: editors, body: "PatchApp", status: 200, resp: "App", problems: []int{409, 422}},
		{method: "DELETE", path: "/api/apps/{appID}", id: "deleteApp", tag: "apps", summary: "Delete an app",
			access: owners, query: []param{expectedVersionQuery}, status: 200, resp: "Deleted", problems: []int{409}},
		{method: "POST", path: "/api/apps/{appID}/publish", id: "publishApp", tag: "apps", summary: "Publish the app",
			description: "Pins the current version of every page and script of the app as its next release. " +
				"Runs in published mode use the release while builders keep editing.",
			access: editors, status: 201, resp: "Release", problems: []int{409, 422}},
		{method: "GET", path: "/api/apps/{appID}/release", id: "getRelease", tag: "apps", summary: "The app's latest release",
			access: viewers, status: 200, resp: "Release"},
		{method: "PUT", path: "/api/apps/{appID}/flow-secret", id: "putFlowSecret", tag: "apps",
			summary:     "Set the secret that signs requests to the app's flow service",
			description: "Sealed before it is stored and never shown; \"\" removes it.",
			access:      owners, body: "PutFlowSecret", status: 200, resp: "FlowSecret", problems: []int{422}},
		{method: "GET", path: "/api/apps/{appID}/poison", id: "listPoison", tag: "workflows",
			summary: "Workflow runs that failed every attempt, oldest first",
			access:  auditors, status: 200, resp: "PoisonList"},
		{method: "DELETE", path: "/api/apps/{appID}/poison/{runID}", id: "dismissPoison", tag: "workflows",
			summary: "Take a run out of the poison queue without running it",
			access:  editors, query: []param{expectedVersionQuery}, status: 200, resp: "PoisonList", problems: []int{409}},
		{method: "POST", path: "/api/apps/{appID}/poison/{runID}/retry", id: "retryPoison", tag: "workflows",
			summary: "Run a poisoned run's workflow again",
			description: "The workflow's current version runs with the recorded payload, outside any session, per its retry " +
				"policy. On success the run leaves the queue; otherwise 409 retry_failed with the error, and it stays.",
			access: editors, body: "PoisonRetryRequest", status: 200, resp: "PoisonRetry", problems: []int{409}},

		{method: "GET", path: "/api/apps/{appID}/pages", id: "getPageTree", tag: "pages", summary: "The app's page tree",
			access: viewers, status: 200, resp: "PageTree"},
		{method: "POST", path: "/api/apps/{appID}/pages", id: "createPage", tag: "pages", summary: "Create a page and place it in the tree",
			description: "Creates the page stream, then adds the page to the tree (two appends; see the " +
				"README). The tree command is checked before anything is written; if the tree append " +
				"still fails, the new page is deleted again and the tree's problem is returned.",
			access: editors, body: "CreatePage", status: 201, resp: "TreePage", problems: []int{409, 422}},
		{method: "PATCH", path: "/api/apps/{appID}/pages/{pageID}", id: "patchTreePage", tag: "pages",
			summary: "Rename a page (name, slug) or move it in the tree (parentId, index)",
			access:  editors, body: "PatchTreePage", status: 200, resp: "TreePage", problems: []int{409, 422}},
		{method: "DELETE", path: "/api/apps/{appID}/pages/{pageID}", id: "deleteTreePage", tag: "pages",
			summary: "Delete a page and its descendants (expectedVersion is the tree's version)",
			access:  editors, query: []param{expectedVersionQuery}, status: 200, resp: "DeletedPages", problems: []int{409}},
		{method: "GET", path: "/api/pages/{pageID}", id: "getPage", tag: "pages", summary: "A page document, at head or at a version",
			access: viewers, query: []param{qInt("version", "Read the page as it was at this version (default: head).")},
			status: 200, resp: "PageDocument"},
		{method: "POST", path: "/api/pages/{pageID}/ops", id: "postPageOps", tag: "pages",
			summary:     "Apply a batch of page ops",
			description: "Ops are decided in order, each against the state the previous ones left, and all their events are appended at once: the batch commits whole or not at all. The first rejected op's problem carries opIndex.",
			access:      editors, body: "PageOps", status: 200, resp: "PageOpsResult", problems: []int{409, 422}},
		{method: "GET", path: "/api/pages/{pageID}/versions", id: "listPageVersions", tag: "history",
			summary: "A page's version history, newest first (one entry per request that changed it)",
			access:  auditors, query: pageQuery, status: 200, resp: "VersionList"},
		{method: "GET", path: "/api/pages/{pageID}/diff", id: "diffPage", tag: "history",
			summary: "Structural diff between two versions of a page",
			access:  auditors,
			query: []param{
				{name: "from", required: true, desc: "The older version.", schema: map[string]any{"type": "integer", "minimum": 1}},
				qInt("to", "The newer version (default: head)."),
			},
			status: 200, resp: "PageDiffResult"},
		{method: "POST", path: "/api/pages/{pageID}/restore", id: "restorePage", tag: "history",
			summary: "Restore a page's content at a version (appends; history is kept)",
			access:  editors, body: "Restore", status: 200, resp: "PageDocument", problems: []int{409, 422}},

		{method: "GET", path: "/api/apps/{appID}/scripts", id: "listScripts", tag: "scripts", summary: "The app's scripts",
			access: auditors, query: pageQuery, status: 200, resp: "ScriptList"},
		{method: "POST", path: "/api/apps/{appID}/scripts", id: "createScript", tag: "scripts", summary: "Create a script",
			access: editors, body: "CreateScript", status: 201, resp: "Script", problems: []int{422}},
		{method: "GET", path: "/api/scripts/{scriptID}", id: "getScript", tag: "scripts", summary: "A script, at head or at a version",
			access: auditors, query: []param{qInt("version", "Read the script as it was at this version (default: head).")},
			status: 200, resp: "Script"},
		{method: "PUT", path: "/api/scripts/{scriptID}/text", id: "putScriptText", tag: "scripts", summary: "Replace a script's text",
			access: editors, body: "PutScriptText", status: 200, resp: "Script", problems: []int{409, 422}},
		{method: "POST", path: "/api/scripts/{scriptID}/check", id: "checkScript", tag: "scripts",
			summary:     "Check a script's syntax (a draft, or the saved text)",
			description: "Compiles the text as the runtime would, without running it: ok, or the compile errors with line and column when known.",
			access:      editors, body: "CheckScript", status: 200, resp: "ScriptCheck", problems: []int{422}},
		{method: "PATCH", path: "/api/scripts/{scriptID}", id: "patchScript", tag: "scripts", summary: "Rename a script or set a workflow's retry policy",
			access: editors, body: "PatchScript", status: 200, resp: "Script", problems: []int{409, 422}},
		{method: "DELETE", path: "/api/scripts/{scriptID}", id: "deleteScript", tag: "scripts", summary: "Delete a script",
			access: editors, query: []param{expectedVersionQuery}, status: 200, resp: "Deleted", problems: []int{409}},
		{method: "GET", path: "/api/scripts/{scriptID}/versions", id: "listScriptVersions", tag: "history",
			summary: "A script's version history, newest first",
			access:  auditors, query: pageQuery, status: 200, resp: "VersionList"},
		{method: "GET", path: "/api/scripts/{scriptID}/diff", id: "diffScript", tag: "history",
			summary:     "Unified diff of a script's text between two versions",
			description: "JSON by default; text/plain when the Accept header asks for text/plain and not JSON.",
			access:      auditors,
			query: []param{
				{name: "from", required: true, desc: "The older version.", schema: map[string]any{"type": "integer", "minimum": 1}},
				qInt("to", "The newer version (default: head)."),
			},
			status: 200, resp: "ScriptDiff", alt: map[string]any{"text/plain": map[string]any{"type": "string"}}},
		{method: "POST", path: "/api/scripts/{scriptID}/restore", id: "restoreScript", tag: "history",
			summary: "Restore a script's text at a version (appends; history is kept)",
			access:  editors, body: "Restore", status: 200, resp: "Script", problems: []int{409, 422}},
		{method: "GET", path: "/api/script-changes", id: "listScriptChanges", tag: "history",
			summary: "The script change log for auditors",
			description: "Every script change with author, time, version and unified diff, oldest first " +
				"(ordered by app, then time). format=json (default) is paginated; format=jsonl and " +
				"format=csv stream every matching entry (CSV with a header row). With appId the caller's " +
				"role in the app's workspace must allow auditing (owner, editor or auditor): 403 " +
				"otherwise, 404 for an app that does not exist or a workspace the caller is not a " +
				"member of. Without appId the log holds only the apps of the workspaces where the " +
				"caller's role allows auditing.",
			access: anyUser,
			query: append([]param{
				qString("appId", "Only this app's scripts (needs the owner, editor or auditor role in its workspace)."),
				qString("scriptId", "Only this script."),
				qString("author", "Only changes by this user (username)."),
				qTime("from", "Only changes at or after this time (RFC 3339)."),
				qTime("to", "Only changes before this time (RFC 3339)."),
				{name: "format", desc: "json (paginated), jsonl or csv (all matching entries).",
					schema: map[string]any{"type": "string", "enum": []string{"json", "jsonl", "csv"}, "default": "json"}},
			}, pageQuery...),
			status: 200, resp: "ScriptChangeList",
			alt: map[string]any{
				"application/x-ndjson": map[string]any{"type": "string", "description": "One ScriptChange JSON object per line."},
				"text/csv": map[string]any{"type": "string", "description": "Columns: " +
					"time, appId, scriptId, scriptName, previousName, author, version, kind, restoredFrom, eventId, unifiedDiff."},
			},
			problems: []int{403, 404}},

		{method: "GET", path: "/api/schema-library", id: "schemaLibrary", tag: "schemas",
			summary: "The predefined business schemas", access: anyUser, status: 200, resp: "SchemaLibrary"},
		{method: "POST", path: "/api/schemas/derive", id: "deriveSchema", tag: "schemas",
			summary: "Derive a JSON Schema from a sample document (nothing is stored)",
			access:  anyUser, body: "DeriveSchema", status: 200, resp: "DerivedSchema", problems: []int{422}},
		{method: "GET", path: "/api/apps/{appID}/schemas", id: "listSchemas", tag: "schemas", summary: "The app's schemas",
			access: auditors, query: pageQuery, status: 200, resp: "SchemaList"},
		{method: "POST", path: "/api/apps/{appID}/schemas", id: "createSchema", tag: "schemas",
			summary: "Create a schema from a document, a library schema or a sample",
			access:  editors, body: "CreateSchema", status: 201, resp: "Schema", problems: []int{422}},
		{method: "GET", path: "/api/schemas/{schemaID}", id: "getSchema", tag: "schemas", summary: "A schema",
			access: auditors, status: 200, resp: "Schema"},
		{method: "PUT", path: "/api/schemas/{schemaID}", id: "putSchema", tag: "schemas", summary: "Replace a schema's document",
			access: editors, body: "PutSchema", status: 200, resp: "Schema", problems: []int{409, 422}},
		{method: "PATCH", path: "/api/schemas/{schemaID}", id: "patchSchema", tag: "schemas", summary: "Rename a schema",
			access: editors, body: "Rename", status: 200, resp: "Schema", problems: []int{409, 422}},
		{method: "DELETE", path: "/api/schemas/{schemaID}", id: "deleteSchema", tag: "schemas", summary: "Delete a schema",
			access: editors, query: []param{expectedVersionQuery}, status: 200, resp: "Deleted", problems: []int{409}},
		{method: "POST", path: "/api/schemas/{schemaID}/validate", id: "validateInstance", tag: "schemas",
			summary:     "Validate a JSON value against a schema",
			description: "200 {valid: true}, or 422 with code schema_violation and the failing location as path.",
			access:      auditors, body: "Validate", status: 200, resp: "Valid", problems: []int{422}},

		{method: "GET", path: "/api/apps/{appID}/datasources", id: "listDataSources", tag: "datasources",
			summary: "The app's data sources (secret values are never returned)",
			access:  auditors, query: pageQuery, status: 200, resp: "DataSourceList"},
		{method: "POST", path: "/api/apps/{appID}/datasources", id: "createDataSource", tag: "datasources",
			summary: "Create a data source",
			access:  editors, body: "CreateDataSource", status: 201, resp: "DataSource", problems: []int{422}},
		{method: "GET", path: "/api/datasources/{dataSourceID}", id: "getDataSource", tag: "datasources",
			summary: "A data source (secret values are never returned)",
			access:  auditors, status: 200, resp: "DataSource"},
		{method: "PATCH", path: "/api/datasources/{dataSourceID}", id: "patchDataSource", tag: "datasources",
			summary: "Rename a data source, replace its config, set or remove secrets",
			access:  editors, body: "PatchDataSource", status: 200, resp: "DataSource", problems: []int{409, 422}},
		{method: "DELETE", path: "/api/datasources/{dataSourceID}", id: "deleteDataSource", tag: "datasources",
			summary: "Delete a data source",
			access:  editors, query: []param{expectedVersionQuery}, status: 200, resp: "Deleted", problems: []int{409}},

		{method: "GET", path: "/api/apps/{appID}/queries", id: "listQueries", tag: "queries", summary: "The app's queries",
			access: auditors, query: pageQuery, status: 200, resp: "QueryList"},
		{method: "POST", path: "/api/apps/{appID}/queries", id: "createQuery", tag: "queries", summary: "Create a query",
			access: editors, body: "CreateQuery", status: 201, resp: "Query", problems: []int{422}},
		{method: "GET", path: "/api/queries/{queryID}", id: "getQuery", tag: "queries", summary: "A query",
			access: auditors, status: 200, resp: "Query"},
		{method: "PATCH", path: "/api/queries/{queryID}", id: "patchQuery", tag: "queries",
			summary: "Change a query (fields not sent are kept)",
			access:  editors, body: "PatchQuery", status: 200, resp: "Query", problems: []int{409, 422}},
		{method: "DELETE", path: "/api/queries/{queryID}", id: "deleteQuery", tag: "queries", summary: "Delete a query",
			access: editors, query: []param{expectedVersionQuery}, status: 200, resp: "Deleted", problems: []int{409}},
		{method: "POST", path: "/api/queries/{queryID}/run", id: "runQuery", tag: "queries", summary: "Run a query with parameters",
			description: "Runs on the server against the query's data source (its secrets never leave the server) and checks the " +
				"result against the result schema. 422 invalid_params with the parameter's path; 422 query_failed when the " +
				"data source refuses or the result does not match its schema.",
			access: editors, body: "RunQuery", status: 200, resp: "QueryRun", problems: []int{422}},
		{method: "POST", path: "/api/queries/{queryID}/infer-schema", id: "inferQuerySchema", tag: "queries",
			summary:     "Run a query and save the schema of its result as the query's result schema",
			description: "Creates a schema (source derived) from the result and sets the query's resultSchemaId to it.",
			access:      editors, body: "RunQuery", status: 201, resp: "InferredSchema", problems: []int{422}},

		{method: "GET", path: "/api/sessions/{sessionID}", id: "getRuntimeSession", tag: "timetravel",
			summary: "A recorded runtime session",
			access:  auditors, status: 200, resp: "RuntimeSession"},
		{method: "GET", path: "/api/sessions/{sessionID}/actions", id: "listSessionActions", tag: "timetravel",
			summary: "A session's recorded steps, oldest first",
			description: "With path, the history is replayed as for the state operation (from cached snapshots) " +
				"and 409 replay_failed when that fails. Both filters apply together.",
			access: auditors,
			query: append([]param{
				qString("type", "Only the steps whose action has this type."),
				{name: "path", desc: "Only the steps that changed the state at this path, below it or above it " +
					"(a parent replaced, added or removed as a whole). The path is page or app, for the page or the app " +
					"state, optionally followed by a JSON pointer into it as the diff operation writes change paths " +
					"(~1 for a / in a key, ~0 for a ~): page, page/items/0/name, app/user. " +
					"400 invalid_path when it is not of that form or longer than 512 bytes.",
					schema: map[string]any{"type": "string", "maxLength": 512, "pattern": "^(page|app)(/.*)?$"}},
			}, pageQuery...),
			status: 200, resp: "SessionStepList", problems: []int{409}},
		{method: "GET", path: "/api/sessions/{sessionID}/runs", id: "listSessionRuns", tag: "timetravel",
			summary: "A session's query and workflow runs, in the order they started",
			description: "Each run says after which step it started (afterStep), its input (never secrets) and its " +
				"attempts with logs, result or error and duration. Its outcome reached the reducers as the " +
				"action <name>/succeeded or <name>/failed.",
			access: auditors, status: 200, resp: "SessionRunList"},
		{method: "GET", path: "/api/sessions/{sessionID}/state", id: "getSessionState", tag: "timetravel",
			summary: "The page and app states after a step, replayed",
			description: "Replays the recorded actions through the recorded reducer versions up to the step. " +
				"409 replay_failed when a recorded script version cannot be run.",
			access: auditors,
			query: []param{{name: "step", required: true, desc: "The step: 0 for the initial state, at most the session's steps.",
				schema: map[string]any{"type": "integer", "minimum": 0}}, skipQuery},
			status: 200, resp: "SessionState", problems: []int{409}},
		{method: "GET", path: "/api/sessions/{sessionID}/diff", id: "diffSessionStates", tag: "timetravel",
			summary:     "The JSON paths of the page and app states that differ between two steps",
			description: "Both states are replayed as for the state operation; 409 replay_failed when that fails.",
			access:      auditors,
			query: []param{
				{name: "from", required: true, desc: "The first step (0: the initial state).", schema: map[string]any{"type": "integer", "minimum": 0}},
				{name: "to", required: true, desc: "The second step.", schema: map[string]any{"type": "integer", "minimum": 0}},
				skipQuery,
			},
			status: 200, resp: "SessionDiff", problems: []int{409}},
		{method: "POST", path: "/api/sessions/{sessionID}/rerun", id: "rerunSession", tag: "timetravel",
			summary: "Re-run the whole history with an edited page reducer (nothing is saved)",
			description: "Replays every step twice, with the recorded page reducer versions and with the edited " +
				"text in their place, and answers the first step whose state or error differs. 422 " +
				"compile_error when the text does not compile; 409 replay_failed when a recorded script " +
				"version cannot be run.",
			access: auditors, body: "RerunSession", status: 200, resp: "SessionRerun", problems: []int{409, 422}},
		{method: "GET", path: "/api/sessions/{sessionID}/export", id: "exportSession", tag: "timetravel",
			summary:     "A session's recorded history as a JSON Lines file",
			description: "One SessionFileLine per recorded event, in order; POST /api/apps/{appID}/sessions/import reads it back.",
			access:      auditors, status: 200,
			alt: map[string]any{"application/x-ndjson": map[string]any{"type": "string", "description": "One SessionFileLine JSON object per line."}}},
		{method: "POST", path: "/api/apps/{appID}/sessions/import", id: "importSession", tag: "timetravel",
			summary: "Import a session file as a new session of the app",
			description: "The body is an export of GET /api/sessions/{sessionID}/export (application/x-ndjson, " +
				"within the request body limit). Every line is validated: a session event, session.started " +
				"first, steps 1, 2, 3, ... in order, nothing after session.ended; 400 invalid_line naming the " +
				"line otherwise, and nothing is stored. The session gets a new id and the app's id; its " +
				"events keep their data, their envelopes record the importer and the import's time.",
			access: editors, body: "SessionFile", bodyMedia: "application/x-ndjson", status: 201, resp: "RuntimeSession"},
	}
}

var pathParam = regexp.MustCompile(`\{([A-Za-z]+)\}`)

// apiDescription is the document's introduction: how to authenticate and what roles mean.
const apiDescription = "JSON REST API of GoFlow, an event-sourced low-code app builder. Writes are " +
	"commands: they carry the expectedVersion of the stream they change and answer 409 with " +
	"currentVersion on a conflict. Errors are RFC 9457 problem documents.\n\n" +
	"Authentication: every operation but the public ones (security: []) needs an API token " +
	"(" + auth.TokenPrefix + "..., from POST /api/auth/tokens) as Authorization: Bearer <token>, or the " +
	SessionCookie + " cookie that POST /api/auth/login sets; without accepted credentials they answer 401. " +
	"Unsafe requests (other than GET, HEAD and OPTIONS) authenticated by the cookie must also send the " +
	CSRFHeader + " header with the csrfToken from the login answer or GET /api/auth/session, or they " +
	"answer 403 csrf_failed. Requests authenticated by a token need no CSRF token.\n\n" +
	"Roles: apps belong to workspaces, whose members each hold one role: owner (everything, including " +
	"members, deleting apps and the workspace), editor (change apps), viewer (use apps) or auditor " +
	"(read everything, history included, and change nothing). Each workspace-scoped operation lists " +
	"the roles allowed to call it; a member with another role gets 403, and a caller who is not a " +
	"member gets 404, the answer for a workspace or resource that does not exist. Managing users " +
	"needs a server administrator (403 otherwise)."

// openAPIDocument renders the document served at GET /api/openapi.json.
func openAPIDocument() ([]byte, error) {
	paths := map[string]map[string]any{}
	seen := map[string]bool{}
	for _, op := range operations() {
		key := op.method + " " + op.path
		if seen[key] {
			return nil, fmt.Errorf("operation %s listed twice", key)
		}
		seen[key] = true
		if err := op.access.check(); err != nil {
			return nil, fmt.Errorf("operation %s: %w", key, err)
		}
		if paths[op.path] == nil {
			paths[op.path] = map[string]any{}
		}
		paths[op.path][strings.ToLower(op.method)] = renderOperation(op)
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "GoFlow API",
			"version":     "1",
			"description": apiDescription,
		},
		// Either scheme will do; public operations override this with an empty list.
		"security": []any{
			map[string]any{"bearerToken": []string{}},
			map[string]any{"sessionCookie": []string{}},
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": schemas(),
			"securitySchemes": map[string]any{
				"bearerToken": map[string]any{
					"type": "http", "scheme": "bearer",
					"description": "API token " + auth.TokenPrefix + "..., from POST /api/auth/tokens.",
				},
				"sessionCookie": map[string]any{
					"type": "apiKey", "in": "cookie", "name": SessionCookie,
					"description": "The session cookie POST /api/auth/login sets. Unsafe requests must also send the " +
						CSRFHeader + " header (the csrfToken from the login answer or GET /api/auth/session).",
				},
			},
			"responses": map[string]any{
				"Problem": problemResponse("An RFC 9457 problem document.", nil),
				"Unauthenticated": problemResponse("No accepted credentials: code unauthenticated (none sent), "+
					"invalid_token or session_expired.", map[string]any{
					"WWW-Authenticate": map[string]any{"schema": map[string]any{"type": "string"}, "description": `Bearer realm="goflow"`},
				}),
				"TooManyAttempts": problemResponse("Too many failed attempts (code too_many_attempts): try again after Retry-After seconds.", map[string]any{
					"Retry-After": map[string]any{"schema": map[string]any{"type": "integer", "minimum": 1}, "description": "Seconds to wait."},
				}),
			},
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}

func problemResponse(desc string, headers map[string]any) map[string]any {
	r := map[string]any{
		"description": desc,
		"content":     map[string]any{ProblemContentType: map[string]any{"schema": ref("Problem")}},
	}
	if headers != nil {
		r["headers"] = headers
	}
	return r
}

// check rejects an access that is not one of the kinds authorize enforces.
func (a opAccess) check() error {
	switch a.kind {
	case accessPublic, accessUser, accessAdmin:
		if a.perm != "" {
			return fmt.Errorf("permission %q on an access that is not workspace-scoped", a.perm)
		}
	case accessWorkspace:
		if !slices.Contains(domain.Permissions(), a.perm) {
			return fmt.Errorf("workspace-scoped without a known permission (%q)", a.perm)
		}
	default:
		return errors.New("no access stated")
	}
	return nil
}

// rolesAllowed is the sentence of a workspace-scoped operation's description that names the
// roles granting perm.
func rolesAllowed(perm domain.Permission) string {
	var names []string
	for _, r := range domain.Roles() {
		if r.Allows(perm) {
			names = append(names, string(r))
		}
	}
	return "Roles allowed: " + strings.Join(names, ", ") + "."
}

func renderOperation(op operation) map[string]any {
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(op.path, -1) {
		params = append(params, map[string]any{
			"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"},
		})
	}
	for _, q := range op.query {
		params = append(params, map[string]any{
			"name": q.name, "in": "query", "required": q.required, "description": q.desc, "schema": q.schema,
		})
	}
	write := op.method != "GET"
	public := op.access.kind == accessPublic
	if write && !public {
		params = append(params, map[string]any{
			"name": CSRFHeader, "in": "header", "required": false,
			"description": "Required when the session cookie authenticates the request: the csrfToken " +
				"from the login answer or GET /api/auth/session.",
			"schema": map[string]any{"type": "string"},
		})
	}
	if write {
		params = append(params, map[string]any{
			"name": ClientOpHeader, "in": "header", "required": false,
			"description": "The client's op id, recorded on the events.",
			"schema":      map[string]any{"type": "string"},
		})
	}
	success := map[string]any{"description": http.StatusText(op.status)}
	content := map[string]any{}
	if op.resp != "" {
		content["application/json"] = map[string]any{"schema": ref(op.resp)}
	}
	for media, schema := range op.alt {
		content[media] = map[string]any{"schema": schema}
	}
	if len(content) > 0 {
		success["content"] = content
	}
	if len(op.respHeaders) > 0 {
		success["headers"] = op.respHeaders
	}
	responses := map[string]any{strconv.Itoa(op.status): success}

	// problems maps each documented problem status to the component response describing it.
	problems := map[int]string{}
	for _, st := range op.problems {
		problems[st] = "Problem"
	}
	if op.body != "" {
		problems[400], problems[413] = "Problem", "Problem"
	}
	if len(op.query) > 0 {
		problems[400] = "Problem"
	}
	if !public {
		problems[401] = "Unauthenticated"
		if write {
			problems[403] = "Problem" // csrf_failed
		}
	}
	description := op.description
	switch op.access.kind {
	case accessAdmin:
		problems[403] = "Problem"
		description = joinSentences(description, "Needs a server administrator.")
	case accessWorkspace:
		problems[403], problems[404] = "Problem", "Problem"
		description = joinSentences(description, rolesAllowed(op.access.perm))
	}
	if _, ok := problems[429]; ok {
		problems[429] = "TooManyAttempts"
	}
	for st, name := range problems {
		responses[strconv.Itoa(st)] = map[string]any{"$ref": "#/components/responses/" + name}
	}
	responses["default"] = map[string]any{"$ref": "#/components/responses/Problem"}
	out := map[string]any{
		"operationId": op.id,
		"tags":        []string{op.tag},
		"summary":     op.summary,
		"responses":   responses,
	}
	if public {
		out["security"] = []any{}
	}
	if description != "" {
		out["description"] = description
	}
	if len(params) > 0 {
		out["parameters"] = params
	}
	if op.body != "" {
		out["requestBody"] = map[string]any{
			"required": true,
			"content":  map[string]any{cmp.Or(op.bodyMedia, "application/json"): map[string]any{"schema": ref(op.body)}},
		}
	}
	return out
}

func joinSentences(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

func ref(name string) map[string]any {
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// obj is an object schema; required lists the required properties.
func obj(props map[string]any, required ...string) map[string]any {
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// closed is an object schema that rejects unknown properties (request bodies).
func closed(props map[string]any, required ...string) map[string]any {
	s := obj(props, required...)
	s["additionalProperties"] = false
	return s
}

func str(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }
func integer(desc string) map[string]any {
	return map[string]any{"type": "integer", "description": desc}
}
func boolean(desc string) map[string]any {
	return map[string]any{"type": "boolean", "description": desc}
}
func arrayOf(items map[string]any) map[string]any {
	return map[string]any{"type": "array", "items": items}
}
func anyJSON(desc string) map[string]any { return map[string]any{"description": desc} }
func freeObject(desc string) map[string]any {
	return map[string]any{"type": "object", "description": desc}
}

// listOf is the schema of a paginated list of name.
func listOf(name string) map[string]any {
	return obj(map[string]any{
		"items":      arrayOf(ref(name)),
		"nextCursor": str("Pass as ?cursor= to get the next page; absent on the last page."),
	}, "items")
}

// tokenProps are the properties of an API token as listed.
func tokenProps() map[string]any {
	return map[string]any{
		"id": str("Token id (DELETE /api/auth/tokens/{tokenID} revokes it)."), "name": str(""),
		"createdAt": dateTime(""), "expiresAt": dateTime(""),
		"expired": boolean("The token has expired; it stays listed until revoked."),
	}
}

func dateTime(desc string) map[string]any {
	return map[string]any{"type": "string", "format": "date-time", "description": desc}
}

var expectedVersionProp = integer("The version of the stream you last read; 409 with currentVersion when it moved.")

// schemas are the document's component schemas.
func schemas() map[string]any {
	usernameProp := map[string]any{"type": "string", "minLength": domain.MinUsernameLen, "maxLength": domain.MaxUsernameLen,
		"description": "Lowercase letters, digits, '_' and '-', starting with a letter or digit (upper case is folded)."}
	passwordProp := map[string]any{"type": "string", "minLength": auth.MinPasswordLen, "maxLength": auth.MaxPasswordLen,
		"description": fmt.Sprintf("%d..%d bytes, not one character repeated.", auth.MinPasswordLen, auth.MaxPasswordLen)}
	return map[string]any{
		"Problem": obj(map[string]any{
			"type":           str("A URI for the problem type; about:blank means the status says it all."),
			"title":          str("A short summary of the problem type."),
			"status":         integer("The HTTP status."),
			"detail":         str("What went wrong this time, for a person."),
			"instance":       str("The request path."),
			"code":           str("A machine-readable reason, e.g. unknown_component, version_conflict."),
			"path":           str("JSON pointer of the field concerned, e.g. /props/label."),
			"currentVersion": integer("On a version conflict: the stream's current version."),
			"opIndex":        integer("On a rejected batch of page ops: the index of the rejected op."),
		}, "type", "title", "status"),
		"Status":          obj(map[string]any{"status": str("ok")}, "status"),
		"OpenAPIDocument": freeObject("An OpenAPI 3.1 document."),
		"Deleted": obj(map[string]any{
			"id": str("The deleted aggregate's id."), "version": integer("The stream's version after the deletion."),
			"deleted": boolean("Always true."),
		}, "id", "version", "deleted"),

		"Setup": closed(map[string]any{
			"setupToken":  str("The setup token goflow serve printed."),
			"username":    usernameProp,
			"password":    passwordProp,
			"displayName": str("Display name (optional)."),
		}, "setupToken", "username", "password"),
		"Login": closed(map[string]any{
			"username": str("The username (case and surrounding spaces are ignored)."),
			"password": str(""),
		}, "username", "password"),
		"Session": obj(map[string]any{
			"user":            ref("User"),
			"authenticatedBy": map[string]any{"type": "string", "enum": []string{"session", "token"}, "description": "What authenticated the request."},
			"csrfToken":       str("Send as " + CSRFHeader + " on unsafe requests authenticated by the session cookie. Absent for token-authenticated requests, which need none."),
			"expiresAt":       dateTime("When the session ends at the latest (it also ends when unused for a while)."),
		}, "user", "authenticatedBy"),
		"ChangePassword": closed(map[string]any{
			"currentPassword": str(""),
			"newPassword":     passwordProp,
		}, "currentPassword", "newPassword"),
		"Token":     obj(tokenProps(), "id", "name", "createdAt", "expiresAt", "expired"),
		"TokenList": obj(map[string]any{"items": arrayOf(ref("Token"))}, "items"),
		"CreatedToken": obj(func() map[string]any {
			props := tokenProps()
			props["token"] = str("The token (" + auth.TokenPrefix + "...), shown this once: send it as Authorization: Bearer <token>.")
			return props
		}(), "id", "name", "createdAt", "expiresAt", "expired", "token"),
		"CreateToken": closed(map[string]any{
			"name": str("What the token is for, 1..100 characters."),
			"expiresInDays": map[string]any{"type": "integer", "minimum": 1, "maximum": 365, "default": 90,
				"description": "Days until the token expires."},
		}, "name"),

		"User": obj(map[string]any{
			"id":          str("The username."),
			"displayName": str(""),
			"admin":       boolean("A server administrator (manages users)."),
			"disabled":    boolean("A disabled account cannot sign in, and its API tokens do not work."),
			"createdAt":   dateTime(""),
		}, "id", "admin", "disabled", "createdAt"),
		"UserList": listOf("User"),
		"CreateUser": closed(map[string]any{
			"username":    usernameProp,
			"password":    passwordProp,
			"displayName": str("Display name (optional)."),
			"admin":       boolean("Make the account a server administrator (default false)."),
		}, "username", "password"),
		"PatchUser": closed(map[string]any{
			"disabled": boolean("Disable (ending the account's sessions) or enable the account."),
			"admin":    boolean("Grant or drop server administration."),
		}),

		"Role": map[string]any{"type": "string", "enum": domain.Roles(),
			"description": "A member's role: owner (everything, including members and deletion), editor " +
				"(change apps), viewer (use apps), auditor (read everything, change nothing)."},
		"Workspace": obj(map[string]any{
			"id": str("Workspace id."), "name": str("Workspace name."),
			"role":    ref("Role"),
			"version": integer("The workspace stream's version."),
		}, "id", "name", "version"),
		"WorkspaceList":   obj(map[string]any{"items": arrayOf(ref("Workspace"))}, "items"),
		"CreateWorkspace": closed(map[string]any{"name": str("Workspace name, 1..100 characters.")}, "name"),
		"PatchWorkspace":  closed(map[string]any{"name": str("The new name.")}, "name"),
		"Member":          obj(map[string]any{"userId": str("The member's username."), "role": ref("Role")}, "userId", "role"),
		"MemberList":      obj(map[string]any{"items": arrayOf(ref("Member"))}, "items"),
		"PutMember":       closed(map[string]any{"role": ref("Role")}, "role"),

		"Components": obj(map[string]any{
			"components":   arrayOf(ref("Manifest")),
			"quickActions": arrayOf(ref("ActionSpec")),
		}, "components", "quickActions"),
		"Manifest": obj(map[string]any{
			"type": str("Component type, e.g. Button."), "name": str("Display name."), "category": str("Palette section."),
			"icon": str("Icon name."), "description": str("What the component is for."),
			"props":           freeObject("JSON Schema (2020-12) of the props, with UI hints under x-ui."),
			"events":          arrayOf(ref("EventSpec")),
			"actions":         arrayOf(ref("ActionSpec")),
			"template":        freeObject("What a new node of this type starts from: props, styles, children."),
			"acceptsChildren": boolean("Whether nodes of this type can have children."),
		}, "type", "name", "category", "props", "events", "actions", "template"),
		"EventSpec": obj(map[string]any{
			"name": str("Event name, e.g. onClick."), "description": str(""),
			"payload":     freeObject("JSON Schema of the handler's payload."),
			"nativeEvent": str("The DOM event it maps from, e.g. click."),
		}, "name", "payload"),
		"ActionSpec": obj(map[string]any{
			"name": str("Action name."), "description": str(""), "params": freeObject("JSON Schema of the parameters."),
		}, "name"),

		"App": obj(map[string]any{
			"id": str("App id."), "name": str("App name."), "workspaceId": str("The workspace the app belongs to."),
			"settings": ref("AppSettings"), "version": integer("The app stream's version."),
			"release":       integer("The latest release's number; absent until the app is published."),
			"flowSecretSet": boolean("Whether requests to the flow service are signed."),
		}, "id", "name", "settings", "version"),
		"AppSettings": obj(map[string]any{
			"flowServiceUrl": str("When set, workflows run on this external flow service."),
			"theme":          map[string]any{"type": []string{"null", "object"}, "additionalProperties": map[string]any{"type": "string"}, "description": "Theme token values by name."},
			"scriptTimeoutMs": map[string]any{"type": "integer", "minimum": 0, "maximum": domain.MaxScriptTimeoutMs,
				"description": "Deadline of each handler and reducer call of the running app, in milliseconds (0 or absent: 50)."},
			"allowedHosts": map[string]any{"type": "array", "maxItems": domain.MaxAllowedHosts, "items": map[string]any{"type": "string"},
				"description": "Hosts workflows may reach with http.request: api.example.com, api.example.com:8443 or *.example.com."},
		}),
		"Release": obj(map[string]any{
			"release":   integer("The release number: 1, 2, 3, ... per app."),
			"pages":     map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "integer"}, "description": "Page id to the page version the release runs."},
			"scripts":   map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "integer"}, "description": "Script id to the script version the release runs."},
			"published": map[string]any{"type": "string", "format": "date-time"},
			"by":        str("Who published."),
		}, "release", "pages", "scripts", "published", "by"),
		"AppList":       listOf("App"),
		"PutFlowSecret": closed(map[string]any{"secret": str("The shared secret; \"\" removes it.")}, "secret"),
		"FlowSecret": obj(map[string]any{
			"set": boolean("Whether requests are signed."), "version": integer("The app stream's version."),
		}, "set", "version"),
		"WorkspaceAI": obj(map[string]any{
			"configured": boolean(""), "baseUrl": str("e.g. https://api.openai.com/v1"), "model": str("Default model."),
			"maxTokens": integer("Ceiling of one completion's max_tokens (0: none)."), "apiKeySet": boolean(""),
			"version": integer("The workspace stream's version."),
		}, "configured", "apiKeySet", "version"),
		"PutWorkspaceAI": closed(map[string]any{
			"baseUrl": str("Absolute http(s) URL of the OpenAI-compatible API (…/v1)."), "model": str("Default model."),
			"maxTokens": integer("0..100000"), "apiKey": str("Sent as a Bearer token; sealed at rest."),
		}, "baseUrl", "model"),
		"PoisonEntry": obj(map[string]any{
			"runId": str(""), "sessionId": str(""), "workflowId": str(""), "name": str(""),
			"payload": map[string]any{"description": "The run's payload."}, "error": str("The last attempt's error."),
			"attempts": integer(""), "at": map[string]any{"type": "string", "format": "date-time"},
		}, "runId", "sessionId", "workflowId", "error", "attempts", "at"),
		"PoisonList": obj(map[string]any{
			"items": arrayOf(ref("PoisonEntry")), "version": integer("The poison stream's version (expectedVersion of a dismissal)."),
		}, "items", "version"),
		"CreateApp": closed(map[string]any{"name": str("App name, 1..100 characters.")}, "name"),
		"PatchApp": closed(map[string]any{
			"expectedVersion": expectedVersionProp, "name": str("New name."),
			"settings": ref("AppSettings"),
		}, "expectedVersion"),

		"PageTree": obj(map[string]any{
			"version": integer("The page tree stream's version."),
			"pages":   arrayOf(ref("PageTreeNode")),
		}, "version", "pages"),
		"PageTreeNode": obj(map[string]any{
			"pageId": str(""), "name": str(""), "slug": str("Route slug, unique within the app."),
			"index":    str("Fractional index among siblings."),
			"children": arrayOf(ref("PageTreeNode")),
		}, "pageId", "name", "slug", "index", "children"),
		"CreatePage": closed(map[string]any{
			"name": str("Page name."), "slug": str("Route slug (default: derived from the name)."),
			"parentId": str("Parent page (default: top level)."), "index": str("Fractional index (default: last)."),
			"expectedVersion": integer("The page tree's version (optional)."),
		}, "name"),
		"PatchTreePage": closed(map[string]any{
			"expectedVersion": integer("The page tree's version."),
			"name":            str("New name."), "slug": str("New slug."),
			"parentId": str("New parent; \"\" for the top level."), "index": str("New fractional index."),
		}, "expectedVersion"),
		"TreePage": obj(map[string]any{
			"id": str("Page id."), "appId": str(""), "name": str(""), "slug": str(""), "parentId": str(""), "index": str(""),
			"version":     integer("The page stream's version."),
			"treeVersion": integer("The page tree stream's version."),
		}, "id", "appId", "name", "slug", "version", "treeVersion"),
		"DeletedPages": obj(map[string]any{
			"id": str("The page deleted."), "pageIds": arrayOf(str("")), "treeVersion": integer(""),
			"deleted": boolean("Always true."),
		}, "id", "pageIds", "treeVersion", "deleted"),
		"PageDocument": obj(map[string]any{
			"id": str(""), "appId": str(""), "name": str(""), "version": integer("The version shown."),
			"deleted":         boolean("Present (true) only for an old version of a deleted page."),
			"root":            ref("NodeDocument"),
			"initialState":    anyJSON("The page reducer's initial state."),
			"reducerScriptId": str(""),
		}, "id", "appId", "name", "version", "root"),
		"NodeDocument": obj(map[string]any{
			"id": str(""), "type": str("Component type."), "index": str(""),
			"props":    freeObject("Prop values by name."),
			"styles":   freeObject("Style values by property."),
			"events":   map[string]any{"type": "object", "additionalProperties": ref("Binding")},
			"children": arrayOf(ref("NodeDocument")),
		}, "id", "type", "props", "styles", "events", "children"),
		"Binding": obj(map[string]any{
			"kind":       map[string]any{"type": "string", "enum": []string{"script", "actions", "workflow"}},
			"scriptId":   str(""),
			"actions":    arrayOf(obj(map[string]any{"type": str("Quick action."), "params": anyJSON("")}, "type")),
			"workflowId": str(""),
		}, "kind"),
		"PageOp": obj(map[string]any{
			"op":              map[string]any{"type": "string", "enum": domain.PageOpNames},
			"nodeId":          str("The node (insert_node: optional id for the new node)."),
			"parentId":        str("insert_node, move_node: the parent (default: root / unchanged)."),
			"index":           str("insert_node, move_node: fractional index (default: last)."),
			"type":            str("insert_node: component type."),
			"props":           freeObject("insert_node: props overriding the template."),
			"path":            str("set_prop, set_style: the prop path (label, columns/0/title) or style property."),
			"value":           anyJSON("set_prop, set_style: the value; null removes."),
			"event":           str("bind_event, unbind_event: the component event."),
			"binding":         ref("Binding"),
			"initialState":    anyJSON("set_page_state: a JSON object."),
			"reducerScriptId": str("set_page_state."),
			"name":            str("rename_page."),
		}, "op"),
		"PageOps": closed(map[string]any{
			"expectedVersion": expectedVersionProp,
			"clientId":        str("Recorded as the events' client op id."),
			"ops":             map[string]any{"type": "array", "items": ref("PageOp"), "minItems": 1, "maxItems": maxOpsPerRequest},
		}, "expectedVersion", "ops"),
		"PageOpsResult": obj(map[string]any{
			"version":  integer("The page's version after the ops."),
			"events":   integer("How many events were appended."),
			"inserted": arrayOf(str("Ids of the nodes insert_node ops created, in op order.")),
		}, "version", "events", "inserted"),
		"VersionList": listOf("VersionEntry"),
		"VersionEntry": obj(map[string]any{
			"version":     integer("The stream version after this change."),
			"fromVersion": integer("The first stream version this change wrote."),
			"time":        map[string]any{"type": "string", "format": "date-time"},
			"author":      str("The user who made the change (username)."),
			"summary":     str("What changed, in a short line."),
			"events":      integer("How many events the change appended."),
		}, "version", "fromVersion", "time", "author", "summary", "events"),
		"PageDiffResult": obj(map[string]any{
			"from": integer(""), "to": integer(""),
			"diff": obj(map[string]any{
				"renamed": freeObject("{from, to} when the page was renamed."), "stateChanged": freeObject(""),
				"added": arrayOf(freeObject("")), "removed": arrayOf(freeObject("")), "moved": arrayOf(freeObject("")),
				"propsChanged": arrayOf(freeObject("")), "stylesChanged": arrayOf(freeObject("")),
				"eventsChanged": arrayOf(freeObject("")),
			}, "added", "removed", "moved", "propsChanged", "stylesChanged", "eventsChanged"),
		}, "from", "to", "diff"),
		"Restore": closed(map[string]any{
			"version":         integer("The version whose content comes back."),
			"expectedVersion": expectedVersionProp,
		}, "version", "expectedVersion"),

		"Script": obj(map[string]any{
			"id": str(""), "appId": str(""), "name": str(""),
			"kind":     map[string]any{"type": "string", "enum": []string{"event_handler", "page_reducer", "app_reducer", "workflow"}},
			"language": map[string]any{"type": "string", "enum": []string{"js", "lua"}},
			"text":     str(""), "version": integer(""),
			"replayError": str("Set when the history does not replay; restore a version to repair."),
			"retry":       ref("RetryPolicy"),
			"deleted":     boolean("Present (true) only for an old version of a deleted script."),
		}, "id", "appId", "name", "kind", "language", "text", "version"),
		"ScriptList": listOf("ScriptSummary"),
		"ScriptSummary": obj(map[string]any{
			"id": str(""), "appId": str(""), "name": str(""), "kind": str(""), "language": str(""), "version": integer(""),
		}, "id", "appId", "name", "kind", "language", "version"),
		"CreateScript": closed(map[string]any{
			"name":     str(""),
			"kind":     map[string]any{"type": "string", "enum": []string{"event_handler", "page_reducer", "app_reducer", "workflow"}},
			"language": map[string]any{"type": "string", "enum": []string{"js", "lua"}, "description": "Default: the kind's language (workflows lua, the rest js)."},
			"text":     str(""),
		}, "name", "kind"),
		"PutScriptText": closed(map[string]any{"expectedVersion": expectedVersionProp, "text": str("")}, "expectedVersion", "text"),
		"CheckScript":   closed(map[string]any{"text": str("The draft to check; absent checks the saved text.")}),
		"ScriptCheck": obj(map[string]any{
			"ok": boolean(""),
			"errors": arrayOf(obj(map[string]any{
				"message": str(""), "line": integer("1-based, when known."), "column": integer("When known."),
			}, "message")),
		}, "ok", "errors"),
		"PatchScript": closed(map[string]any{
			"expectedVersion": expectedVersionProp, "name": str(""),
			"retry": map[string]any{"oneOf": []any{ref("RetryPolicy"), map[string]any{"type": "null"}}, "description": "A workflow's retry policy; null removes it."},
		}, "expectedVersion"),
		"RetryPolicy": closed(map[string]any{
			"maxAttempts": integer("1..10, the first attempt included."), "backoffMs": integer("0..60000 before the second attempt, doubled for each next one."),
		}, "maxAttempts", "backoffMs"),
		"ScriptDiff": obj(map[string]any{
			"from": integer(""), "to": integer(""), "diff": str("Unified diff."),
		}, "from", "to", "diff"),
		"ScriptChangeList": listOf("ScriptChange"),
		"ScriptChange": obj(map[string]any{
			"eventId": str(""), "appId": str(""), "scriptId": str(""),
			"scriptName":   str("The script's name after the change."),
			"previousName": str("Set by renames."),
			"author":       str("The user who made the change (username)."),
			"time":         map[string]any{"type": "string", "format": "date-time"},
			"version":      integer("The script's version after the change."),
			"kind":         map[string]any{"type": "string", "enum": []string{"created", "text_changed", "renamed", "deleted", "restored"}},
			"restoredFrom": integer("Set by restores: the version restored."),
			"unifiedDiff":  str("Unified diff from the previous text (empty when the text did not change)."),
		}, "eventId", "appId", "scriptId", "scriptName", "author", "time", "version", "kind", "unifiedDiff"),

		"SchemaLibrary": obj(map[string]any{"items": arrayOf(obj(map[string]any{
			"name": str("Pass as library to create a schema from it."), "title": str(""), "description": str(""),
			"document": freeObject("The JSON Schema 2020-12 document."),
		}, "name", "title", "document"))}, "items"),
		"DeriveSchema":  closed(map[string]any{"sample": anyJSON("A sample JSON document.")}, "sample"),
		"DerivedSchema": obj(map[string]any{"schema": freeObject("A JSON Schema 2020-12 document the sample validates against.")}, "schema"),
		"Schema": obj(map[string]any{
			"id": str(""), "appId": str(""), "name": str(""),
			"document": freeObject("The JSON Schema 2020-12 document."),
			"source":   str("custom, derived or library:<name>."),
			"version":  integer(""),
		}, "id", "appId", "name", "document", "source", "version"),
		"SchemaList": listOf("Schema"),
		"CreateSchema": closed(map[string]any{
			"name":     str("Schema name (default with library: the library schema's title)."),
			"document": freeObject("A JSON Schema 2020-12 document."),
			"library":  str("The name of a library schema to copy."),
			"sample":   anyJSON("A sample document to derive the schema from."),
		}),
		"PutSchema": closed(map[string]any{"expectedVersion": expectedVersionProp, "document": freeObject("The new document.")}, "expectedVersion", "document"),
		"Rename":    closed(map[string]any{"expectedVersion": expectedVersionProp, "name": str("The new name.")}, "expectedVersion", "name"),
		"Validate":  closed(map[string]any{"instance": anyJSON("The JSON value to validate.")}, "instance"),
		"Valid":     obj(map[string]any{"valid": boolean("Always true; a violation is a 422 problem.")}, "valid"),

		"DataSource": obj(map[string]any{
			"id": str(""), "appId": str(""), "name": str(""),
			"kind":         map[string]any{"type": "string", "enum": []string{"rest", "postgres", "static"}},
			"config":       freeObject("Kind-specific settings: rest {baseUrl, headers, timeoutMs (≤60000, default 10000), allowedHosts, user, apiKeyHeader}; postgres {url | host, port, database, user; sslmode, statementTimeoutMs (1..60000, default 5000), maxRows (1..100000, default 1000)}; static {data}."),
			"secretFields": arrayOf(str("The names of the secrets that are set; their values are never returned.")),
			"version":      integer(""),
		}, "id", "appId", "name", "kind", "config", "secretFields", "version"),
		"DataSourceList": listOf("DataSource"),
		"CreateDataSource": closed(map[string]any{
			"name":    str(""),
			"kind":    map[string]any{"type": "string", "enum": []string{"rest", "postgres", "static"}},
			"config":  freeObject(""),
			"secrets": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}, "description": "Write-only: rest apiKey, bearerToken, password; postgres password."},
		}, "name", "kind"),
		"PatchDataSource": closed(map[string]any{
			"expectedVersion": expectedVersionProp,
			"name":            str(""),
			"config":          freeObject("Replaces the whole config."),
			"secrets":         map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}, "description": "Merged: a value sets the secret, \"\" removes it, secrets not named are kept."},
		}, "expectedVersion"),

		"QueryParam": obj(map[string]any{
			"name":     str(""),
			"type":     map[string]any{"type": "string", "enum": []string{"string", "number", "integer", "boolean", "object", "array"}},
			"required": boolean(""),
			"default":  anyJSON("Used when the parameter is not given."),
		}, "name", "type"),
		"Query": obj(map[string]any{
			"id": str(""), "appId": str(""), "dataSourceId": str(""), "name": str(""),
			"template":       str("Request or SQL template with {{param}} placeholders."),
			"params":         arrayOf(ref("QueryParam")),
			"resultSchemaId": str("The schema of the result, if any."),
			"mutation":       boolean("Writes allowed (Postgres runs it outside a read-only transaction); default false."),
			"version":        integer(""),
		}, "id", "appId", "dataSourceId", "name", "template", "params", "mutation", "version"),
		"QueryList": listOf("Query"),

		"ScriptRef": obj(map[string]any{"scriptId": str(""), "version": integer("The script's version.")}, "scriptId", "version"),
		"RuntimeSession": obj(map[string]any{
			"id": str(""), "appId": str(""), "pageId": str("The page the session started on."),
			"mode":        map[string]any{"type": "string", "enum": []string{string(domain.SessionPreview), string(domain.SessionPublished)}},
			"user":        str("The user who ran the app."),
			"started":     dateTime(""),
			"steps":       integer("The number of recorded steps (steps count from 1)."),
			"ended":       boolean(""),
			"pageReducer": ref("ScriptRef"), "appReducer": ref("ScriptRef"),
			"version": integer("The session stream's version."),
		}, "id", "appId", "pageId", "mode", "user", "started", "steps", "ended", "pageReducer", "appReducer", "version"),
		"SessionStepList": listOf("SessionStep"),
		"SessionRunList":  obj(map[string]any{"items": arrayOf(ref("SessionRun"))}, "items"),
		"SessionRun": obj(map[string]any{
			"runId": str(""), "kind": map[string]any{"type": "string", "enum": []string{"query", "workflow"}},
			"id": str("The query's or workflow's id."), "name": str(""),
			"afterStep": integer("The last step recorded before the run started."),
			"input":     map[string]any{"description": "The query's parameters or the workflow's payload."},
			"status":    map[string]any{"type": "string", "enum": []string{"succeeded", "failed", "running"}},
			"rows":      integer("Rows a query returned."), "external": boolean("Run by the app's flow service."),
			"attempts": arrayOf(obj(map[string]any{
				"attempt": integer(""), "logs": arrayOf(str("")), "result": map[string]any{"description": "A workflow's result."},
				"error": str(""), "durationMicros": integer(""), "retrying": boolean(""), "poisoned": boolean(""),
			}, "attempt", "durationMicros")),
			"at": map[string]any{"type": "string", "format": "date-time"},
		}, "runId", "kind", "id", "name", "afterStep", "status", "attempts", "at"),
		"SessionStep": obj(map[string]any{
			"step":   integer(""),
			"action": obj(map[string]any{"type": str(""), "payload": anyJSON("")}, "type"),
			"source": obj(map[string]any{
				"nodeId": str("The component whose event dispatched the action."), "event": str("e.g. onClick."),
				"payload": anyJSON(""),
			}, "nodeId", "event"),
			"handler":     ref("ScriptRef"),
			"pageReducer": ref("ScriptRef"), "appReducer": ref("ScriptRef"),
			"time":           dateTime("Date.now() for the reducers (millisecond precision)."),
			"durationMicros": integer("The reducers' run time."),
			"error":          str("Set when a reducer threw: the step left both states as they were."),
		}, "step", "action", "pageReducer", "appReducer", "time", "durationMicros"),
		"SessionState": obj(map[string]any{
			"step": integer(""), "page": anyJSON("The page state (absent: undefined)."),
			"app":         anyJSON("The app state (absent: undefined)."),
			"pageReducer": ref("ScriptRef"), "appReducer": ref("ScriptRef"),
			"error":    str("The reducer error the replayed step produced."),
			"diverged": boolean("The replayed step's error differs from the recorded one."),
			"skipped":  arrayOf(integer("A step up to this one that skip left out.")),
		}, "step"),
		"SessionDiff": obj(map[string]any{
			"from": integer(""), "to": integer(""),
			"page": arrayOf(ref("StateChange")), "app": arrayOf(ref("StateChange")),
			"skipped": arrayOf(integer("A step up to the later of from and to that skip left out.")),
		}, "from", "to", "page", "app"),
		"RerunSession": closed(map[string]any{
			"pageReducer": str("The edited page reducer text (JavaScript, at most the script size limit)."),
		}, "pageReducer"),
		"SessionOutcome": obj(map[string]any{
			"state": obj(map[string]any{"page": anyJSON("Absent: undefined."), "app": anyJSON("Absent: undefined.")}),
			"error": str("The reducer error of the step."),
		}, "state"),
		"SessionRerun": obj(map[string]any{
			"differs":  boolean("Whether any step's outcome differs."),
			"step":     integer("The first step that differs (absent when none does)."),
			"original": ref("SessionOutcome"), "edited": ref("SessionOutcome"),
			"steps": integer("The number of steps of the session."),
		}, "differs", "steps"),
		"SessionFileLine": obj(map[string]any{
			"type":          map[string]any{"type": "string", "enum": []string{"session.started", "session.action_dispatched", "session.ended"}},
			"schemaVersion": integer("The data's schema version (absent: 1)."),
			"data":          freeObject("The event's payload."),
			"time":          dateTime("When the event was recorded."),
			"actor":         str("Who recorded it."),
		}, "type", "data"),
		"SessionFile": map[string]any{"type": "string", "description": "JSON Lines: one SessionFileLine per line, session.started first."},
		"StateChange": obj(map[string]any{
			"path": str("JSON pointer (\"\" is the whole state)."),
			"kind": map[string]any{"type": "string", "enum": []string{"added", "removed", "changed"}},
		}, "path", "kind"),
		"CreateQuery": closed(map[string]any{
			"name": str(""), "dataSourceId": str("A data source of the same app."), "template": str(""),
			"params": arrayOf(ref("QueryParam")), "resultSchemaId": str("A schema of the same app."),
			"mutation": boolean("Writes allowed (Postgres runs it outside a read-only transaction); default false."),
		}, "name", "dataSourceId", "template"),
		"PatchQuery": closed(map[string]any{
			"expectedVersion": expectedVersionProp,
			"name":            str(""), "dataSourceId": str(""), "template": str(""),
			"params":         arrayOf(ref("QueryParam")),
			"resultSchemaId": str("\"\" clears the reference."),
			"mutation":       boolean("Writes allowed (Postgres runs it outside a read-only transaction); default false."),
		}, "expectedVersion"),
		"RunQuery": closed(map[string]any{"params": freeObject("Values of the query's declared parameters.")}),
		"QueryRun": obj(map[string]any{
			"data": anyJSON("Rows (Postgres), the response body (REST) or the data (static)."),
			"rows": integer("Rows in data (1 for a non-array result)."), "durationMicros": integer(""),
		}, "data", "rows", "durationMicros"),
		"InferredSchema": obj(map[string]any{
			"schemaId": str("The new schema."), "document": freeObject("The derived JSON Schema."), "query": ref("Query"),
		}, "schemaId", "document", "query"),
		"PoisonRetryRequest": closed(map[string]any{"expectedVersion": expectedVersionProp}, "expectedVersion"),
		"PoisonRetry": obj(map[string]any{
			"runId": str(""), "result": anyJSON("The workflow's result."), "attempts": integer(""),
			"version": integer("The poison stream's version."),
		}, "runId", "result", "attempts", "version"),
	}
}

// serveOpenAPI serves the document rendered by New.
func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.openapi)
}
