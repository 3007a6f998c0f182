import type {
  App,
  CreatePage,
  DeletedPages,
  List,
  PageTree,
  PatchTreePage,
  Problem,
  Session,
  TreePage,
  Workspace,
} from "./types";
import type { ComponentsBody, Script } from "../editor/types";

/** A script in GET /api/apps/{id}/scripts (without its text). */
export type ScriptSummary = Pick<Script, "id" | "appId" | "name" | "kind" | "language" | "version">;

/** The body of POST /api/apps/{id}/scripts. */
export interface CreateScript {
  name: string;
  kind: Script["kind"];
  text: string;
}

/** The part of fetch the client uses; tests pass a fake. */
export type FetchFn = (input: string, init: RequestInit) => Promise<Response>;

/**
 * A failed API call. Problem documents (application/problem+json) keep their code, detail and
 * field path; other failures get a code of their own: network_error (status 0) or http_<status>.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  /** JSON pointer of the field concerned, e.g. /name; "" when the error is not about one field. */
  readonly path: string;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    const detail = problem.detail || problem.title || `HTTP ${status}`;
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.code = problem.code || (status === 0 ? "network_error" : `http_${status}`);
    this.detail = detail;
    this.path = problem.path ?? "";
    this.problem = problem;
  }

  /** The stream's version on a 409 version conflict. */
  get currentVersion(): number | undefined {
    return this.problem.currentVersion;
  }

  /** Whether the error is about the field (its path is /field or below it). */
  isAbout(field: string): boolean {
    const p = "/" + field;
    return this.path === p || this.path.startsWith(p + "/");
  }
}

/** The error message for one form field, if err is an ApiError about it. */
export function fieldError(err: unknown, field: string): string | undefined {
  return err instanceof ApiError && err.isAbout(field) ? err.detail : undefined;
}

/** A message for a person, whatever was thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.detail;
  if (err instanceof Error) return err.message;
  return String(err);
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
  /** Do not tell the unauthorized listeners about a 401 (sign-in answers 401 for a wrong password). */
  quiet401?: boolean;
}

export interface ApiClientOptions {
  fetch?: FetchFn;
  /** Prefix of every path; "" (the page's own origin) by default. */
  baseUrl?: string;
}

const safeMethods = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * A typed client of the GoFlow JSON API for the browser: the session cookie goes along
 * (same-origin), and the CSRF token from the last session answer is sent on unsafe methods.
 */
export class ApiClient {
  readonly #fetch: FetchFn;
  readonly #baseUrl: string;
  #csrfToken: string | undefined;
  readonly #unauthorized = new Set<(err: ApiError) => void>();

  constructor(options: ApiClientOptions = {}) {
    // Wrapped: window.fetch called as a method of another object throws "Illegal invocation".
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#baseUrl = options.baseUrl ?? "";
  }

  get csrfToken(): string | undefined {
    return this.#csrfToken;
  }

  /** Calls listener when a request answers 401 (the session ended); returns the unsubscribe. */
  onUnauthorized(listener: (err: ApiError) => void): () => void {
    this.#unauthorized.add(listener);
    return () => this.#unauthorized.delete(listener);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json, application/problem+json" };
    const init: RequestInit = { method, headers, credentials: "same-origin" };
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    if (!safeMethods.has(method) && this.#csrfToken) headers["X-CSRF-Token"] = this.#csrfToken;
    if (options.signal) init.signal = options.signal;

    let url = this.#baseUrl + path;
    const query = Object.entries(options.query ?? {}).filter(
      (e): e is [string, string | number] => e[1] !== undefined && e[1] !== "",
    );
    if (query.length > 0) url += "?" + new URLSearchParams(query.map(([k, v]) => [k, String(v)])).toString();

    let res: Response;
    try {
      res = await this.#fetch(url, init);
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") throw err;
      throw new ApiError(0, { title: "Network error", detail: `Cannot reach the server: ${errorMessage(err)}` });
    }
    if (!res.ok) {
      const err = new ApiError(res.status, await readProblem(res));
      if (res.status === 401 && !options.quiet401) this.#unauthorized.forEach((l) => l(err));
      throw err;
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    // A 2xx without a body (other than 204) has nothing to decode; callers asking for one get undefined.
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  // Auth.

  async login(username: string, password: string): Promise<Session> {
    return this.#keep(await this.request<Session>("POST", "/api/auth/login", { body: { username, password }, quiet401: true }));
  }

  async setup(params: { setupToken: string; username: string; password: string; displayName?: string }): Promise<Session> {
    return this.#keep(await this.request<Session>("POST", "/api/auth/setup", { body: params, quiet401: true }));
  }

  /** The signed-in session; an ApiError with status 401 when nobody is signed in. */
  async session(signal?: AbortSignal): Promise<Session> {
    return this.#keep(await this.request<Session>("GET", "/api/auth/session", { signal, quiet401: true }));
  }

  async logout(): Promise<void> {
    try {
      await this.request<void>("POST", "/api/auth/logout", { quiet401: true });
    } finally {
      this.#csrfToken = undefined;
    }
  }

  #keep(s: Session): Session {
    this.#csrfToken = s.csrfToken;
    return s;
  }

  // Workspaces and apps.

  listWorkspaces(signal?: AbortSignal): Promise<List<Workspace>> {
    return this.request("GET", "/api/workspaces", { signal });
  }

  getWorkspace(id: string, signal?: AbortSignal): Promise<Workspace> {
    return this.request("GET", `/api/workspaces/${enc(id)}`, { signal });
  }

  createWorkspace(name: string): Promise<Workspace> {
    return this.request("POST", "/api/workspaces", { body: { name } });
  }

  listApps(workspaceId: string, page: { cursor?: string; limit?: number } = {}, signal?: AbortSignal): Promise<List<App>> {
    return this.request("GET", `/api/workspaces/${enc(workspaceId)}/apps`, { query: page, signal });
  }

  getApp(id: string, signal?: AbortSignal): Promise<App> {
    return this.request("GET", `/api/apps/${enc(id)}`, { signal });
  }

  createApp(workspaceId: string, name: string): Promise<App> {
    return this.request("POST", `/api/workspaces/${enc(workspaceId)}/apps`, { body: { name } });
  }

  // The page tree.

  getPageTree(appId: string, signal?: AbortSignal): Promise<PageTree> {
    return this.request("GET", `/api/apps/${enc(appId)}/pages`, { signal });
  }

  createPage(appId: string, page: CreatePage): Promise<TreePage> {
    return this.request("POST", `/api/apps/${enc(appId)}/pages`, { body: page });
  }

  patchPage(appId: string, pageId: string, patch: PatchTreePage): Promise<TreePage> {
    return this.request("PATCH", `/api/apps/${enc(appId)}/pages/${enc(pageId)}`, { body: patch });
  }

  /** Deletes the page and its descendants; expectedVersion is the page tree's version. */
  deletePage(appId: string, pageId: string, expectedVersion: number): Promise<DeletedPages> {
    return this.request("DELETE", `/api/apps/${enc(appId)}/pages/${enc(pageId)}`, { query: { expectedVersion } });
  }

  // Scripts and the component catalog.

  listScripts(appId: string, page: { cursor?: string; limit?: number } = {}, signal?: AbortSignal): Promise<List<ScriptSummary>> {
    return this.request("GET", `/api/apps/${enc(appId)}/scripts`, { query: page, signal });
  }

  createScript(appId: string, script: CreateScript): Promise<Script> {
    return this.request("POST", `/api/apps/${enc(appId)}/scripts`, { body: script });
  }

  getScript(id: string, signal?: AbortSignal): Promise<Script> {
    return this.request("GET", `/api/scripts/${enc(id)}`, { signal });
  }

  /** Replaces a script's text (outside co-editing); expectedVersion is the script's version. */
  putScriptText(id: string, expectedVersion: number, text: string): Promise<Script> {
    return this.request("PUT", `/api/scripts/${enc(id)}/text`, { body: { expectedVersion, text } });
  }

  /** Compiles a draft of a script without saving or running it (the editor's error markers). */
  checkScript(id: string, text: string, signal?: AbortSignal): Promise<ScriptCheck> {
    return this.request("POST", `/api/scripts/${enc(id)}/check`, { body: { text }, signal });
  }

  getComponents(signal?: AbortSignal): Promise<ComponentsBody> {
    return this.request("GET", "/api/components", { signal });
  }
}

/** The answer of POST /api/scripts/{id}/check. */
export interface ScriptCheck {
  ok: boolean;
  errors: { message: string; line?: number; column?: number }[];
}

const enc = encodeURIComponent;

/** The problem document of a failed response, or one made up from its status. */
async function readProblem(res: Response): Promise<Problem> {
  const fallback: Problem = { status: res.status, title: res.statusText || `HTTP ${res.status}` };
  const type = res.headers.get("Content-Type") ?? "";
  if (!type.includes("json")) return fallback;
  try {
    const body: unknown = await res.json();
    return isRecord(body) ? { ...fallback, ...(body as Problem) } : fallback;
  } catch {
    return fallback;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
