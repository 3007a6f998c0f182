// The API resources the app shell uses, as GET /api/openapi.json describes them.

export const roles = ["owner", "editor", "viewer", "auditor"] as const;
export type Role = (typeof roles)[number];

export interface User {
  id: string; // the username
  admin: boolean;
  disabled: boolean;
  createdAt: string;
  displayName?: string;
}

export interface Session {
  user: User;
  authenticatedBy: "session" | "token";
  /** Sent as X-CSRF-Token on unsafe requests; absent for token-authenticated requests. */
  csrfToken?: string;
  expiresAt?: string;
}

export interface Workspace {
  id: string;
  name: string;
  role?: Role;
  version: number;
}

export interface AppSettings {
  allowedHosts?: string[];
  flowServiceUrl?: string;
  scriptTimeoutMs?: number;
  theme?: Record<string, string> | null;
}

export interface App {
  id: string;
  name: string;
  workspaceId?: string;
  settings: AppSettings;
  version: number;
  release?: number;
  flowSecretSet?: boolean;
}

export interface List<T> {
  items: T[];
  nextCursor?: string;
}

export interface PageTreeNode {
  pageId: string;
  name: string;
  slug: string;
  index: string;
  children: PageTreeNode[];
}

export interface PageTree {
  version: number;
  pages: PageTreeNode[];
}

/** A page as the page tree routes answer it. */
export interface TreePage {
  id: string;
  appId: string;
  name: string;
  slug: string;
  parentId?: string;
  index?: string;
  version: number;
  treeVersion: number;
}

export interface DeletedPages {
  id: string;
  pageIds: string[];
  treeVersion: number;
  deleted: boolean;
}

export interface CreatePage {
  name: string;
  parentId?: string;
  slug?: string;
  index?: string;
  expectedVersion?: number;
}

export interface PatchTreePage {
  expectedVersion: number;
  name?: string;
  slug?: string;
  parentId?: string;
  index?: string;
}

/** An RFC 9457 problem document with GoFlow's extensions. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  code?: string;
  path?: string;
  currentVersion?: number;
  opIndex?: number;
}
