import { describe, expect, it } from "vitest";
import { ApiClient, ApiError, fieldError, type FetchFn } from "./client";

interface Call {
  url: string;
  init: RequestInit;
}

/** A fake fetch answering the queued responses in order and recording the calls. */
function fakeFetch(...responses: (Response | Error)[]): { fetch: FetchFn; calls: Call[] } {
  const calls: Call[] = [];
  const fetch: FetchFn = (url, init) => {
    calls.push({ url, init });
    const next = responses.shift();
    if (next === undefined) throw new Error(`unexpected request ${init.method} ${url}`);
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  };
  return { fetch, calls };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
const problem = (status: number, body: Record<string, unknown>) =>
  new Response(JSON.stringify({ type: "about:blank", status, ...body }), {
    status,
    headers: { "Content-Type": "application/problem+json" },
  });
const header = (c: Call | undefined, name: string) => (c?.init.headers as Record<string, string>)[name];

const session = {
  user: { id: "admin", admin: true, disabled: false, createdAt: "2026-01-01T00:00:00Z" },
  authenticatedBy: "session",
  csrfToken: "csrf-1",
};

describe("ApiClient", () => {
  it("sends JSON with the cookie and decodes JSON answers", async () => {
    const { fetch, calls } = fakeFetch(json(201, { id: "w1", name: "Acme", version: 1 }));
    const api = new ApiClient({ fetch });
    const ws = await api.createWorkspace("Acme");
    expect(ws).toEqual({ id: "w1", name: "Acme", version: 1 });
    expect(calls[0]?.url).toBe("/api/workspaces");
    expect(calls[0]?.init.method).toBe("POST");
    expect(calls[0]?.init.credentials).toBe("same-origin");
    expect(calls[0]?.init.body).toBe('{"name":"Acme"}');
    expect(header(calls[0], "Content-Type")).toBe("application/json");
  });

  it("keeps the CSRF token of the session answer and sends it on unsafe methods only", async () => {
    const { fetch, calls } = fakeFetch(
      json(200, session),
      json(200, { items: [] }),
      json(201, { id: "a1", name: "Shop", settings: {}, version: 1 }),
      json(200, { id: "p", pageIds: ["p"], treeVersion: 3, deleted: true }),
      new Response(null, { status: 204 }),
      json(201, { id: "w", name: "x", version: 1 }),
    );
    const api = new ApiClient({ fetch });
    expect(api.csrfToken).toBeUndefined();
    await api.login("admin", "a-long-passphrase");
    expect(api.csrfToken).toBe("csrf-1");
    expect(header(calls[0], "X-CSRF-Token")).toBeUndefined(); // none known yet

    await api.listWorkspaces();
    await api.createApp("w1", "Shop");
    await api.deletePage("a1", "p", 2);
    await api.logout();
    await api.createWorkspace("x");

    expect(header(calls[1], "X-CSRF-Token")).toBeUndefined(); // GET
    expect(header(calls[2], "X-CSRF-Token")).toBe("csrf-1");
    expect(calls[3]?.url).toBe("/api/apps/a1/pages/p?expectedVersion=2");
    expect(calls[3]?.init.method).toBe("DELETE");
    expect(header(calls[3], "X-CSRF-Token")).toBe("csrf-1");
    expect(header(calls[4], "X-CSRF-Token")).toBe("csrf-1"); // logout needs it too
    expect(header(calls[5], "X-CSRF-Token")).toBeUndefined(); // forgotten after logout
  });

  it("takes the CSRF token from GET /api/auth/session too", async () => {
    const { fetch, calls } = fakeFetch(json(200, { ...session, csrfToken: "csrf-2" }), json(201, {}));
    const api = new ApiClient({ fetch });
    await api.session();
    await api.createPage("a1", { name: "Home" });
    expect(calls[1]?.url).toBe("/api/apps/a1/pages");
    expect(header(calls[1], "X-CSRF-Token")).toBe("csrf-2");
  });

  it("escapes ids in paths and builds queries without empty values", async () => {
    const { fetch, calls } = fakeFetch(json(200, { items: [] }), json(200, { items: [] }));
    const api = new ApiClient({ fetch, baseUrl: "http://h" });
    await api.listApps("a/b", { cursor: "c 1", limit: 10 });
    await api.listApps("w", {});
    expect(calls[0]?.url).toBe("http://h/api/workspaces/a%2Fb/apps?cursor=c+1&limit=10");
    expect(calls[1]?.url).toBe("http://h/api/workspaces/w/apps");
  });

  it.each([
    {
      name: "validation problem with a field path",
      res: () => problem(422, { title: "Unprocessable Entity", detail: "name must be 1..100 characters", code: "invalid_name", path: "/name" }),
      want: { status: 422, code: "invalid_name", detail: "name must be 1..100 characters", path: "/name" },
    },
    {
      name: "version conflict",
      res: () => problem(409, { title: "Conflict", detail: "reload and retry", code: "version_conflict", path: "/expectedVersion", currentVersion: 7 }),
      want: { status: 409, code: "version_conflict", detail: "reload and retry", path: "/expectedVersion", currentVersion: 7 },
    },
    {
      name: "problem without detail falls back to the title",
      res: () => problem(403, { title: "Forbidden", code: "csrf_failed" }),
      want: { status: 403, code: "csrf_failed", detail: "Forbidden", path: "" },
    },
    {
      name: "non-JSON error body",
      res: () => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway", headers: { "Content-Type": "text/html" } }),
      want: { status: 502, code: "http_502", detail: "Bad Gateway", path: "" },
    },
    {
      name: "malformed JSON error body",
      res: () => new Response("{", { status: 500, statusText: "Internal Server Error", headers: { "Content-Type": "application/problem+json" } }),
      want: { status: 500, code: "http_500", detail: "Internal Server Error", path: "" },
    },
    {
      name: "network failure",
      res: () => new TypeError("Failed to fetch"),
      want: { status: 0, code: "network_error", detail: "Cannot reach the server: Failed to fetch", path: "" },
    },
  ])("turns a failure into an ApiError: $name", async ({ res, want }) => {
    const { fetch } = fakeFetch(res());
    const api = new ApiClient({ fetch });
    const err = await api.createWorkspace("").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect({ status: e.status, code: e.code, detail: e.detail, path: e.path, ...(want.currentVersion !== undefined ? { currentVersion: e.currentVersion } : {}) }).toEqual(want);
  });

  it("maps a problem to the form field it is about", () => {
    const err = new ApiError(400, { detail: "weak password", code: "weak_password", path: "/password" });
    expect(fieldError(err, "password")).toBe("weak password");
    expect(fieldError(err, "pass")).toBeUndefined();
    expect(fieldError(err, "username")).toBeUndefined();
    expect(fieldError(new ApiError(422, { detail: "bad", path: "/props/label" }), "props")).toBe("bad");
    expect(fieldError(new Error("x"), "password")).toBeUndefined();
  });

  it("tells the unauthorized listeners about a 401, except on sign-in", async () => {
    const { fetch } = fakeFetch(
      problem(401, { code: "invalid_login", detail: "The username or password is wrong." }),
      problem(401, { code: "session_expired", detail: "Sign in again." }),
    );
    const api = new ApiClient({ fetch });
    const seen: string[] = [];
    const off = api.onUnauthorized((e) => seen.push(e.code));
    await expect(api.login("admin", "wrong-password")).rejects.toMatchObject({ status: 401, code: "invalid_login" });
    expect(seen).toEqual([]);
    await expect(api.listWorkspaces()).rejects.toMatchObject({ code: "session_expired" });
    expect(seen).toEqual(["session_expired"]);
    off();
  });

  it("answers undefined for 204 No Content", async () => {
    const { fetch } = fakeFetch(new Response(null, { status: 204 }));
    await expect(new ApiClient({ fetch }).request("POST", "/api/auth/logout")).resolves.toBeUndefined();
  });
});
