import { act } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiClient, type FetchFn } from "../api/client";
import { App } from "../App";

// The shell in jsdom against a fake fetch: the redirect to /login, sign-in, and errors on fields.

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

type Handler = (method: string, url: string, body: unknown) => Response;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" },
  });

const session = {
  user: { id: "admin", admin: true, disabled: false, createdAt: "2026-01-01T00:00:00Z" },
  authenticatedBy: "session",
  csrfToken: "tok",
};

function fakeServer(handle: Handler): { fetch: FetchFn; calls: string[] } {
  const calls: string[] = [];
  const fetch: FetchFn = (url, init) => {
    const method = init.method ?? "GET";
    calls.push(`${method} ${url}`);
    const body: unknown = typeof init.body === "string" ? JSON.parse(init.body) : undefined;
    return Promise.resolve(handle(method, url, body));
  };
  return { fetch, calls };
}

let container: HTMLDivElement;
let root: Root;

beforeEach(() => {
  container = document.createElement("div");
  document.body.append(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

async function render(fetch: FetchFn, path: string) {
  window.history.replaceState(null, "", path);
  await act(async () => root.render(<App api={new ApiClient({ fetch })} />));
  await settle();
}

/** Lets pending fetches and the renders they cause finish. */
async function settle() {
  for (let i = 0; i < 5; i++) await act(async () => new Promise((r) => setTimeout(r, 0)));
}

function input(label: string): HTMLInputElement {
  const l = [...container.querySelectorAll("label")].find((el) => el.textContent === label);
  const el = l ? document.getElementById(l.htmlFor) : null;
  if (!(el instanceof HTMLInputElement)) throw new Error(`no input labelled ${label}`);
  return el;
}

async function type(label: string, value: string) {
  const el = input(label);
  // React tracks the value property: set it through the prototype so onChange sees a change.
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")?.set;
  await act(async () => {
    setter?.call(el, value);
    el.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

async function click(name: string) {
  const b = [...container.querySelectorAll("button")].find((el) => el.textContent === name);
  if (!b) throw new Error(`no button ${name}`);
  await act(async () => b.click());
  await settle();
}

describe("App", () => {
  it("sends a visitor without a session to /login, keeping where they were going", async () => {
    const { fetch } = fakeServer(() => json(401, { status: 401, code: "unauthenticated", detail: "Sign in first" }));
    await render(fetch, "/w/ws1/apps/a1");
    expect(window.location.pathname).toBe("/login");
    expect(window.location.search).toBe("?next=%2Fw%2Fws1%2Fapps%2Fa1");
    expect(container.querySelector("h1")?.textContent).toBe("Sign in to GoFlow");
  });

  it("shows a failed sign-in, then signs in and goes where the visitor was going", async () => {
    let logins = 0;
    const { fetch, calls } = fakeServer((method, url) => {
      if (url === "/api/auth/session") return json(401, { status: 401, code: "unauthenticated" });
      if (url === "/api/auth/login") {
        logins++;
        return logins === 1
          ? json(401, { status: 401, code: "invalid_login", detail: "The username or password is wrong." })
          : json(200, session);
      }
      if (url === "/api/workspaces/ws1") return json(200, { id: "ws1", name: "Acme", role: "owner", version: 1 });
      if (url === "/api/workspaces/ws1/apps") return json(200, { items: [{ id: "a1", name: "Shop", settings: {}, version: 1 }] });
      return json(404, { status: 404, detail: `${method} ${url}` });
    });
    await render(fetch, "/login?next=%2Fw%2Fws1");
    await type("Username", "admin");
    await type("Password", "wrong-password");
    await click("Sign in");
    expect(container.querySelector("[role=alert]")?.textContent).toBe("The username or password is wrong.");
    expect(window.location.pathname).toBe("/login");

    await type("Password", "right-password");
    await click("Sign in");
    expect(window.location.pathname).toBe("/w/ws1");
    expect(container.querySelector("h1")?.textContent).toBe("Acme");
    expect(container.textContent).toContain("Shop");
    expect(calls).toContain("GET /api/workspaces/ws1/apps");
  });

  it("shows the server's validation error on the field it is about", async () => {
    const { fetch, calls } = fakeServer((method, url) => {
      if (url === "/api/auth/session") return json(200, session);
      if (method === "GET" && url === "/api/workspaces") return json(200, { items: [] });
      if (method === "POST" && url === "/api/workspaces")
        return json(422, { status: 422, code: "invalid_name", detail: "name must be 1..100 characters", path: "/name" });
      return json(404, { status: 404 });
    });
    await render(fetch, "/");
    await type("Workspace name", "x".repeat(101));
    await click("Create workspace");
    const field = input("Workspace name");
    expect(field.getAttribute("aria-invalid")).toBe("true");
    const described = document.getElementById(field.getAttribute("aria-describedby") ?? "");
    expect(described?.textContent).toBe("name must be 1..100 characters");
    expect(container.querySelector("[role=alert]")).toBeNull(); // on the field, not under the form
    expect(calls).toContain("POST /api/workspaces");
  });
});
