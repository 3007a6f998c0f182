import { describe, expect, it } from "vitest";
import { isPublic, loginPath, matchPath, matchRoute, nextFromSearch, pathFor, type Route } from "./routes";

describe("matchRoute", () => {
  it.each<{ path: string; want: Route }>([
    { path: "/login", want: { name: "login" } },
    { path: "/login/", want: { name: "login" } },
    { path: "/setup", want: { name: "setup" } },
    { path: "/", want: { name: "workspaces" } },
    { path: "", want: { name: "workspaces" } },
    { path: "/w/ws1", want: { name: "apps", workspaceId: "ws1" } },
    { path: "/w/ws1/", want: { name: "apps", workspaceId: "ws1" } },
    { path: "/w/ws1/apps/app1", want: { name: "editor", workspaceId: "ws1", appId: "app1" } },
    {
      path: "/w/ws1/apps/app1/pages/p1",
      want: { name: "editor", workspaceId: "ws1", appId: "app1", pageId: "p1" },
    },
    { path: "/w/a%2Fb", want: { name: "apps", workspaceId: "a/b" } },
    { path: "/w", want: { name: "notFound", path: "/w" } },
    { path: "/w/ws1/apps", want: { name: "notFound", path: "/w/ws1/apps" } },
    { path: "/w/ws1/apps/app1/pages", want: { name: "notFound", path: "/w/ws1/apps/app1/pages" } },
    { path: "/w/ws1/apps/app1/pages/p1/x", want: { name: "notFound", path: "/w/ws1/apps/app1/pages/p1/x" } },
    { path: "/x/ws1", want: { name: "notFound", path: "/x/ws1" } },
    { path: "/w/%E0%A4%A", want: { name: "notFound", path: "/w/%E0%A4%A" } },
    { path: "/loginx", want: { name: "notFound", path: "/loginx" } },
  ])("$path", ({ path, want }) => {
    expect(matchRoute(path)).toEqual(want);
  });
});

describe("pathFor", () => {
  it.each<Route>([
    { name: "login" },
    { name: "setup" },
    { name: "workspaces" },
    { name: "apps", workspaceId: "ws 1/2" },
    { name: "editor", workspaceId: "w", appId: "a" },
    { name: "editor", workspaceId: "w", appId: "a", pageId: "p?x" },
  ])("round-trips %j", (route) => {
    expect(matchRoute(pathFor(route))).toEqual(route);
  });

  it("escapes ids", () => {
    expect(pathFor({ name: "editor", workspaceId: "w", appId: "a/b", pageId: "p" })).toBe("/w/w/apps/a%2Fb/pages/p");
  });
});

describe("matchPath", () => {
  it("takes params and rejects other segment counts", () => {
    expect(matchPath("/w/:id", "/w/42")).toEqual({ id: "42" });
    expect(matchPath("/w/:id", "/w/42/x")).toBeNull();
    expect(matchPath("/w/:id", "/v/42")).toBeNull();
  });
});

describe("public routes and the way back after login", () => {
  it("only login and setup are public", () => {
    expect(isPublic({ name: "login" })).toBe(true);
    expect(isPublic({ name: "setup" })).toBe(true);
    expect(isPublic({ name: "workspaces" })).toBe(false);
    expect(isPublic({ name: "editor", workspaceId: "w", appId: "a" })).toBe(false);
  });

  it.each([
    { next: "/w/1/apps/2", want: "/login?next=%2Fw%2F1%2Fapps%2F2" },
    { next: "/", want: "/login" },
    { next: "/login?next=x", want: "/login" },
  ])("loginPath($next)", ({ next, want }) => {
    expect(loginPath(next)).toBe(want);
  });

  it.each([
    { search: "?next=%2Fw%2F1", want: "/w/1" },
    { search: "", want: "/" },
    { search: "?next=https%3A%2F%2Fevil.example", want: "/" },
    { search: "?next=%2F%2Fevil.example", want: "/" },
    { search: "?next=%2F%5Cevil.example", want: "/" },
  ])("nextFromSearch($search)", ({ search, want }) => {
    expect(nextFromSearch(search)).toBe(want);
  });
});
