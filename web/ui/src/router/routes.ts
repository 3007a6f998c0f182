// The app's routes: matching a path to a route and building the path of a route.

export type Route =
  | { name: "login" }
  | { name: "setup" }
  | { name: "workspaces" }
  | { name: "apps"; workspaceId: string }
  | { name: "editor"; workspaceId: string; appId: string; pageId?: string }
  | { name: "notFound"; path: string };

export type RouteName = Route["name"];

/** Routes shown without a session. */
export function isPublic(route: Route): boolean {
  return route.name === "login" || route.name === "setup";
}

type Params = Record<string, string>;

/** The params of pathname if it matches pattern ("/w/:workspaceId"), else null. */
export function matchPath(pattern: string, pathname: string): Params | null {
  const want = split(pattern);
  const got = split(pathname);
  if (want.length !== got.length) return null;
  const params: Params = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith(":")) {
      let value: string;
      try {
        value = decodeURIComponent(g);
      } catch {
        return null; // a malformed escape is no id
      }
      if (value === "") return null;
      params[w.slice(1)] = value;
    } else if (w !== g) {
      return null;
    }
  }
  return params;
}

// Trailing and doubled slashes do not count: /w/1/ is /w/1.
function split(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}

const table: { pattern: string; make: (p: Params) => Route }[] = [
  { pattern: "/login", make: () => ({ name: "login" }) },
  { pattern: "/setup", make: () => ({ name: "setup" }) },
  { pattern: "/", make: () => ({ name: "workspaces" }) },
  { pattern: "/w/:workspaceId", make: (p) => ({ name: "apps", workspaceId: p.workspaceId as string }) },
  {
    pattern: "/w/:workspaceId/apps/:appId",
    make: (p) => ({ name: "editor", workspaceId: p.workspaceId as string, appId: p.appId as string }),
  },
  {
    pattern: "/w/:workspaceId/apps/:appId/pages/:pageId",
    make: (p) => ({
      name: "editor",
      workspaceId: p.workspaceId as string,
      appId: p.appId as string,
      pageId: p.pageId as string,
    }),
  },
];

export function matchRoute(pathname: string): Route {
  for (const { pattern, make } of table) {
    const params = matchPath(pattern, pathname);
    if (params) return make(params);
  }
  return { name: "notFound", path: pathname };
}

const enc = encodeURIComponent;

/** The path of a route; matchRoute(pathFor(r)) is r. */
export function pathFor(route: Route): string {
  switch (route.name) {
    case "login":
      return "/login";
    case "setup":
      return "/setup";
    case "workspaces":
      return "/";
    case "apps":
      return `/w/${enc(route.workspaceId)}`;
    case "editor": {
      const app = `/w/${enc(route.workspaceId)}/apps/${enc(route.appId)}`;
      return route.pageId === undefined ? app : `${app}/pages/${enc(route.pageId)}`;
    }
    case "notFound":
      return route.path;
    default: {
      const never: never = route;
      return never;
    }
  }
}

/** The login path that returns to next (a path of this app) after signing in. */
export function loginPath(next: string): string {
  return next === "/" || next === "" || next.startsWith("/login") ? "/login" : `/login?next=${enc(next)}`;
}

/** The next= of a login URL's query, when it is a path of this app (never another origin). */
export function nextFromSearch(search: string): string {
  const next = new URLSearchParams(search).get("next") ?? "";
  // "//host" and "/\host" would leave the origin.
  if (!next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  return next;
}
