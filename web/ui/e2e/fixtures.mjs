// Shared setup of the editor e2e tests: an API client for the test's own setup and checks, a
// workspace with a page and a second editor, and signing in through the form.

import assert from "node:assert/strict";

/** @typedef {import("playwright-core").Page} Page */
/** @typedef {import("./harness.mjs").Server} Server */

/**
 * A signed-in API client for the test's setup (cookie session + CSRF token).
 * @param {string} baseUrl @param {string} username @param {string} password
 */
export async function apiAs(baseUrl, username, password) {
  const res = await fetch(baseUrl + "/api/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(res.status, 200, `login ${username}: ${await res.clone().text()}`);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const { csrfToken } = await res.json();
  /** @param {string} method @param {string} path @param {unknown} [body] */
  return async (method, path, body) => {
    /** @type {Record<string, string>} */
    const headers = { Cookie: cookie, "X-CSRF-Token": csrfToken, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const r = await fetch(baseUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text === "" ? undefined : JSON.parse(text);
  };
}

/**
 * A workspace with an app and a page, and a second user "bob" who is an editor there.
 * @param {Server} server
 */
export async function fixture(server) {
  const admin = server.admin;
  assert.ok(admin);
  const api = await apiAs(server.baseUrl, admin.username, admin.password);
  const ws = await api("POST", "/api/workspaces", { name: "Team" });
  const app = await api("POST", `/api/workspaces/${ws.id}/apps`, { name: "CRM" });
  const page = await api("POST", `/api/apps/${app.id}/pages`, { name: "Home" });
  const bob = { username: "bob", password: "bob-password-" + Date.now() };
  await api("POST", "/api/users", { username: bob.username, password: bob.password, displayName: "Bob" });
  await api("PUT", `/api/workspaces/${ws.id}/members/${bob.username}`, { role: "editor" });
  const editorPath = `/w/${encodeURIComponent(ws.id)}/apps/${encodeURIComponent(app.id)}/pages/${encodeURIComponent(page.id)}`;
  return { api, admin, bob, ws, app, page, editorPath };
}

/**
 * Signs in through the form and opens the editor at path.
 * @param {Page} page @param {{ username: string, password: string }} user @param {string} path
 */
export async function signInTo(page, user, path) {
  await page.goto(`/login?next=${encodeURIComponent(path)}`);
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator('[data-testid="canvas-surface"] [data-node-id]').first().waitFor();
  await page.locator('[role="status"][data-status="connected"]').waitFor();
}
