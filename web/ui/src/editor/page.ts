// The page document on the client: applying events and ops immutably (mirroring domain/page.go
// and domain/page_ops.go closely enough for an optimistic view), sibling order by fractional
// index, and tree helpers. Every function returns new objects and never mutates its input, so
// React can compare by reference: unchanged nodes keep their identity.

import { isValidKey, keyBetween } from "./fracindex";
import type {
  Binding,
  JsonValue,
  Manifest,
  Page,
  PageEvent,
  PageEventData,
  PageNode,
  PageOp,
  TemplateNode,
} from "./types";

export const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const MAX_PAGE_NAME = 200;
const MAX_QUICK_ACTIONS = 50;
const MAX_PROP_PATH = 512;
const MAX_STYLE_VALUE = 1024;
const STYLE_KEY_PATTERN = /^(--[A-Za-z0-9_-]{1,62}|[a-zA-Z][a-zA-Z0-9-]{0,63})$/;

/** A refusal, with the server's codes (docs/protocol.md, error codes). */
export interface OpRejection {
  code: string;
  message: string;
  path?: string;
}

export type DecideResult = { ok: true; events: PageEvent[] } | ({ ok: false } & OpRejection);

export interface DecideContext {
  /** Names nodes the op does not name (template children, an insert without nodeId). */
  newId: () => string;
  /** Component manifests by type; without it, component checks and templates are skipped. */
  catalog?: ReadonlyMap<string, Manifest>;
}

// ---- Loading ---------------------------------------------------------------------------------

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function jsonMap(v: unknown): Record<string, JsonValue> {
  // Wire JSON: values are JSON by construction.
  return isObject(v) ? { ...(v as Record<string, JsonValue>) } : {};
}

/** A node from wire JSON, with absent maps made empty (Go encodes empty maps as null). */
export function normalizeNode(raw: unknown): PageNode {
  const r = isObject(raw) ? raw : {};
  return {
    id: str(r.id),
    type: str(r.type),
    parentId: str(r.parentId),
    index: str(r.index),
    props: jsonMap(r.props),
    styles: jsonMap(r.styles),
    events: isObject(r.events) ? { ...(r.events as Record<string, Binding>) } : {},
  };
}

/** A page from a `subscribed` snapshot (the flat domain.Page JSON). */
export function normalizePage(raw: unknown, version?: number): Page {
  const r = isObject(raw) ? raw : {};
  const nodes: Record<string, PageNode> = {};
  if (isObject(r.nodes)) {
    for (const [id, n] of Object.entries(r.nodes)) nodes[id] = normalizeNode(n);
  }
  const page: Page = {
    id: str(r.id),
    appId: str(r.appId),
    name: str(r.name),
    version: version ?? (typeof r.version === "number" ? r.version : 0),
    deleted: r.deleted === true,
    nodes,
    rootId: str(r.rootId),
    reducerScriptId: str(r.reducerScriptId),
  };
  if (r.initialState !== undefined) page.initialState = r.initialState as JsonValue;
  return page;
}

/** An empty page (version 0), the state before `page.created`. */
export function emptyPage(): Page {
  return { id: "", appId: "", name: "", version: 0, deleted: false, nodes: {}, rootId: "", reducerScriptId: "" };
}

export function pageExists(p: Page): boolean {
  return p.id !== "" && !p.deleted;
}

// ---- Prop paths --------------------------------------------------------------------------------

/** Splits a prop path ("columns/0/title", "~1" is "/", "~0" is "~"); null when invalid. */
export function splitPropPath(path: string): string[] | null {
  const p = path.startsWith("/") ? path.slice(1) : path;
  if (p === "" || p.length > MAX_PROP_PATH) return null;
  const segs = p.split("/");
  if (segs.some((s) => s === "")) return null;
  return segs.map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

export function escapePathSegment(s: string): string {
  return s.replaceAll("~", "~0").replaceAll("/", "~1");
}

export function joinPropPath(segs: readonly string[]): string {
  return segs.map(escapePathSegment).join("/");
}

/** The value at a prop path of a node's props, or undefined when absent. */
export function getPropAt(props: Record<string, JsonValue>, path: string): JsonValue | undefined {
  const segs = splitPropPath(path);
  if (!segs) return undefined;
  let cur: JsonValue | undefined = props[segs[0] ?? ""];
  for (const seg of segs.slice(1)) {
    if (Array.isArray(cur)) {
      const i = arrayIndex(seg, cur.length);
      cur = i === null || i >= cur.length ? undefined : cur[i];
    } else if (isObject(cur)) {
      cur = (cur as Record<string, JsonValue>)[seg];
    } else {
      return undefined;
    }
    if (cur === undefined) return undefined;
  }
  return cur;
}

function arrayIndex(seg: string, len: number): number | null {
  if (seg === "-") return len;
  if (!/^(0|[1-9][0-9]*)$/.test(seg)) return null;
  const i = Number(seg);
  return i > len ? null : i;
}

/** setAny mirrors domain propSetAny: undefined means absent; throws on a path that does not fit. */
function setAny(node: JsonValue | undefined, segs: string[], v: JsonValue, remove: boolean): JsonValue | undefined {
  if (segs.length === 0) return v;
  const seg = segs[0] ?? "";
  const rest = segs.slice(1);
  if (node === undefined || node === null) {
    if (remove) return undefined;
    const child = setAny(undefined, rest, v, remove);
    return { [seg]: child ?? null };
  }
  if (Array.isArray(node)) {
    const i = arrayIndex(seg, node.length);
    if (i === null) throw new Error(`${seg} is not an index of an array of length ${node.length}`);
    if (i === node.length) {
      if (remove) throw new Error(`index ${i} out of range`);
      return [...node, setAny(undefined, rest, v, remove) ?? null];
    }
    if (rest.length === 0 && remove) return [...node.slice(0, i), ...node.slice(i + 1)];
    const copy = [...node];
    copy[i] = setAny(node[i], rest, v, remove) ?? null;
    return copy;
  }
  if (isObject(node)) {
    const obj = node as Record<string, JsonValue>;
    if (!(seg in obj) && remove) return obj;
    const copy = { ...obj };
    if (rest.length === 0 && remove) {
      delete copy[seg];
      return copy;
    }
    copy[seg] = setAny(obj[seg], rest, v, remove) ?? null;
    return copy;
  }
  throw new Error(`cannot set ${JSON.stringify(seg)} inside a scalar`);
}

/** Returns props with value set at path (null removes); throws when the path does not fit. */
export function setPropAt(props: Record<string, JsonValue>, path: string, value: JsonValue): Record<string, JsonValue> {
  const segs = splitPropPath(path);
  if (!segs) throw new Error(`invalid prop path ${JSON.stringify(path)}`);
  const [head, ...rest] = segs as [string, ...string[]];
  const remove = value === null;
  const next = rest.length === 0 ? (remove ? undefined : value) : setAny(props[head], rest, value, remove);
  const out = { ...props };
  if (next === undefined) delete out[head];
  else out[head] = next;
  return out;
}

export function styleKey(path: string): string {
  return path.startsWith("/") ? path.slice(1) : path;
}

// ---- Ordering and tree helpers ------------------------------------------------------------------

/** Sibling order: by index, then by id (plain code-unit comparison, like Go's strings.Compare). */
export function compareNodes(a: PageNode, b: PageNode): number {
  if (a.index !== b.index) return a.index < b.index ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}

// One child index per nodes object: pages are immutable, so it stays valid as long as it is kept.
const childIndexCache = new WeakMap<Record<string, PageNode>, Map<string, PageNode[]>>();

/** Maps each parent id to its children in order (cached per nodes object). */
export function childIndex(page: Page): ReadonlyMap<string, readonly PageNode[]> {
  let idx = childIndexCache.get(page.nodes);
  if (idx) return idx;
  idx = new Map();
  for (const n of Object.values(page.nodes)) {
    if (n.id === page.rootId) continue;
    const list = idx.get(n.parentId);
    if (list) list.push(n);
    else idx.set(n.parentId, [n]);
  }
  for (const list of idx.values()) list.sort(compareNodes);
  childIndexCache.set(page.nodes, idx);
  return idx;
}

/** The children of parentId in order. */
export function childrenOf(page: Page, parentId: string): readonly PageNode[] {
  return childIndex(page).get(parentId) ?? [];
}

export interface TreeNode {
  node: PageNode;
  children: TreeNode[];
}

/** The nested tree from the root, children in order (null without a root). */
export function buildTree(page: Page): TreeNode | null {
  const root = page.nodes[page.rootId];
  if (!root) return null;
  const idx = childIndex(page);
  const seen = new Set<string>();
  const build = (n: PageNode): TreeNode => {
    seen.add(n.id);
    // A corrupt parent cycle cannot recurse forever: each node is built once.
    const kids = (idx.get(n.id) ?? []).filter((k) => !seen.has(k.id));
    return { node: n, children: kids.map(build) };
  };
  return build(root);
}

/** The ids from the node up to the root: [id, parent, ..., root]; [] when the node is missing. */
export function pathToRoot(page: Page, id: string): string[] {
  const out: string[] = [];
  let cur = page.nodes[id];
  while (cur && out.length <= Object.keys(page.nodes).length) {
    out.push(cur.id);
    if (cur.id === page.rootId || cur.parentId === "") break;
    cur = page.nodes[cur.parentId];
  }
  return out;
}

/** Whether ancestorId is id or one of its ancestors. */
export function isInSubtree(page: Page, ancestorId: string, id: string): boolean {
  return pathToRoot(page, id).includes(ancestorId);
}

/** A node and its descendants, parents first, siblings in order (as domain subtree). */
export function subtreeIds(page: Page, id: string): string[] {
  if (!page.nodes[id]) return [];
  const idx = childIndex(page);
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = (nid: string) => {
    if (seen.has(nid)) return;
    seen.add(nid);
    out.push(nid);
    for (const k of idx.get(nid) ?? []) walk(k.id);
  };
  walk(id);
  return out;
}

/**
 * The key that puts a node at `position` (0-based) among parentId's children, not counting
 * excludeId (the node being moved). Use it for drops: the result is a fresh key between the
 * neighbours, so it does not collide with either.
 */
export function indexAt(page: Page, parentId: string, position: number, excludeId?: string): string {
  const sibs = childrenOf(page, parentId).filter((n) => n.id !== excludeId);
  const p = Math.max(0, Math.min(position, sibs.length));
  const before = p > 0 ? (sibs[p - 1]?.index ?? "") : "";
  let after = p < sibs.length ? (sibs[p]?.index ?? "") : "";
  // Equal keys (concurrent inserts) are ordered by id: place after the whole run of that key.
  if (after !== "" && after <= before) after = "";
  if (after === "" && p < sibs.length) {
    const next = sibs.slice(p).find((s) => s.index > before);
    after = next?.index ?? "";
  }
  return keyBetween(before, after);
}

// ---- Applying events -----------------------------------------------------------------------------

function cloneBinding(b: Binding): Binding {
  const out: Binding = { kind: b.kind };
  if (b.scriptId !== undefined) out.scriptId = b.scriptId;
  if (b.workflowId !== undefined) out.workflowId = b.workflowId;
  if (b.actions !== undefined) out.actions = b.actions.map((a) => ({ ...a }));
  return out;
}

function withNode(page: Page, node: PageNode): Page {
  return { ...page, nodes: { ...page.nodes, [node.id]: node } };
}

/**
 * Applies one page event and counts it in the version, like domain Page.Apply: it never fails;
 * unknown events and events on missing nodes only advance the version.
 */
export function applyPageEvent(page: Page, ev: PageEvent | { type: string; data: unknown }): Page {
  const p = applyEventBody(page, ev as PageEvent);
  return { ...p, version: page.version + 1 };
}

function applyEventBody(page: Page, ev: PageEvent): Page {
  switch (ev.type) {
    case "page.created": {
      const d = ev.data;
      const root = normalizeNode(d.root);
      return {
        ...page,
        id: d.pageId,
        appId: d.appId,
        name: d.name,
        deleted: false,
        nodes: { [root.id]: root },
        rootId: root.id,
        initialState: {},
        reducerScriptId: "",
      };
    }
    case "page.renamed":
      return { ...page, name: ev.data.name };
    case "page.deleted":
      return { ...page, deleted: true };
    case "page.node_inserted": {
      const nodes = { ...page.nodes };
      for (const n of ev.data.nodes ?? []) {
        const nn = normalizeNode(n);
        nodes[nn.id] = nn;
      }
      return { ...page, nodes };
    }
    case "page.node_moved": {
      const n = page.nodes[ev.data.nodeId];
      return n ? withNode(page, { ...n, parentId: ev.data.parentId, index: ev.data.index }) : page;
    }
    case "page.subtree_deleted": {
      const nodes = { ...page.nodes };
      for (const id of ev.data.nodeIds ?? []) delete nodes[id];
      return { ...page, nodes };
    }
    case "page.node_prop_set": {
      const n = page.nodes[ev.data.nodeId];
      if (!n) return page;
      try {
        return withNode(page, { ...n, props: setPropAt(n.props, ev.data.path, ev.data.value ?? null) });
      } catch {
        return page;
      }
    }
    case "page.node_style_set": {
      const n = page.nodes[ev.data.nodeId];
      if (!n) return page;
      const styles = { ...n.styles };
      const key = styleKey(ev.data.path);
      if (ev.data.value === null || ev.data.value === undefined) delete styles[key];
      else styles[key] = ev.data.value;
      return withNode(page, { ...n, styles });
    }
    case "page.event_bound": {
      const n = page.nodes[ev.data.nodeId];
      if (!n) return page;
      return withNode(page, { ...n, events: { ...n.events, [ev.data.event]: cloneBinding(ev.data.binding) } });
    }
    case "page.event_unbound": {
      const n = page.nodes[ev.data.nodeId];
      if (!n) return page;
      const events = { ...n.events };
      delete events[ev.data.event];
      return withNode(page, { ...n, events });
    }
    case "page.state_set":
      return { ...page, initialState: ev.data.initialState, reducerScriptId: ev.data.reducerScriptId ?? "" };
    case "page.restored": {
      const nodes: Record<string, PageNode> = {};
      for (const [id, n] of Object.entries(ev.data.nodes ?? {})) nodes[id] = normalizeNode(n);
      const out: Page = {
        ...page,
        deleted: false,
        name: ev.data.name,
        rootId: ev.data.rootId,
        nodes,
        reducerScriptId: ev.data.reducerScriptId ?? "",
      };
      if (ev.data.initialState === undefined) delete out.initialState;
      else out.initialState = ev.data.initialState;
      return out;
    }
    default:
      return page;
  }
}

// ---- Deciding ops --------------------------------------------------------------------------------

function reject(code: string, message: string, path?: string): DecideResult {
  return path === undefined ? { ok: false, code, message } : { ok: false, code, message, path };
}

function nodePath(id: string, ...rest: string[]): string {
  return ["/nodes", escapePathSegment(id), ...rest].join("/");
}

function ev<K extends keyof PageEventData>(type: K, data: PageEventData[K]): PageEvent {
  return { type, data } as PageEvent;
}

/** placeIndex mirrors domain: want when free, append when empty, repair a collision after it. */
function placeIndex(page: Page, parentId: string, want: string, exclude: string): string | OpRejection {
  const sibs = childrenOf(page, parentId).filter((n) => n.id !== exclude);
  if (want === "") {
    const last = sibs.length > 0 ? (sibs[sibs.length - 1]?.index ?? "") : "";
    try {
      return keyBetween(last, "");
    } catch (e) {
      return { code: "invalid_index", message: `cannot append after ${last}: ${String(e)}`, path: "/index" };
    }
  }
  if (!isValidKey(want)) return { code: "invalid_index", message: `index ${JSON.stringify(want)} is not a valid key`, path: "/index" };
  let collides = false;
  let next = "";
  for (const s of sibs) {
    if (s.index === want) collides = true;
    else if (s.index > want) {
      next = s.index;
      break;
    }
  }
  if (!collides) return want;
  try {
    return keyBetween(want, next);
  } catch (e) {
    return { code: "invalid_index", message: `cannot repair index ${want}: ${String(e)}`, path: "/index" };
  }
}

function acceptsChildren(ctx: DecideContext, parent: PageNode): boolean {
  if (!ctx.catalog) return true;
  return ctx.catalog.get(parent.type)?.acceptsChildren === true;
}

function checkName(name: string): string | OpRejection {
  const n = name.trim();
  if (n === "") return { code: "invalid_name", message: "name is required", path: "/name" };
  if ([...n].length > MAX_PAGE_NAME) return { code: "invalid_name", message: `name is longer than ${MAX_PAGE_NAME} characters`, path: "/name" };
  // eslint-style control check: C0, DEL and C1 controls, as unicode.IsControl.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(n)) return { code: "invalid_name", message: "name contains control characters", path: "/name" };
  return n;
}

function checkBinding(b: Binding): Binding | OpRejection {
  switch (b.kind) {
    case "script":
      if (!NODE_ID_PATTERN.test(b.scriptId ?? "")) return { code: "invalid_binding", message: "a script binding needs a valid scriptId", path: "/scriptId" };
      return { kind: "script", scriptId: b.scriptId ?? "" };
    case "workflow":
      if (!NODE_ID_PATTERN.test(b.workflowId ?? "")) return { code: "invalid_binding", message: "a workflow binding needs a valid workflowId", path: "/workflowId" };
      return { kind: "workflow", workflowId: b.workflowId ?? "" };
    case "actions": {
      const actions = b.actions ?? [];
      if (actions.length === 0 || actions.length > MAX_QUICK_ACTIONS) {
        return { code: "invalid_binding", message: `an actions binding needs 1 to ${MAX_QUICK_ACTIONS} actions`, path: "/actions" };
      }
      return {
        kind: "actions",
        actions: actions.map((a) => (a.params === undefined || a.params === null ? { type: a.type } : { type: a.type, params: a.params })),
      };
    }
    default:
      return { code: "invalid_binding", message: `binding kind ${JSON.stringify((b as { kind: unknown }).kind)} is not one of script, actions, workflow`, path: "/kind" };
  }
}

function isRejection(v: unknown): v is OpRejection {
  return isObject(v) && typeof v.code === "string" && typeof v.message === "string";
}

/**
 * Decides an op against the page like domain Page.Decide, without the JSON Schema checks of
 * props and quick-action params (the server has the last word): the events it makes, or why not.
 */
export function decidePageOp(page: Page, op: PageOp, ctx: DecideContext): DecideResult {
  if (!pageExists(page)) return reject("page_not_found", "page does not exist");
  const need = (id: string | undefined, field: string): PageNode | DecideResult => {
    if (!id) return reject("required", `${field} is required`, `/${field}`);
    const n = page.nodes[id];
    return n ?? reject("node_not_found", `node ${id} does not exist`, nodePath(id));
  };
  const isNode = (v: PageNode | DecideResult): v is PageNode => !("ok" in v);
  switch (op.op) {
    case "rename_page": {
      const name = checkName(op.name ?? "");
      return isRejection(name) ? { ok: false, ...name } : { ok: true, events: [ev("page.renamed", { name })] };
    }
    case "insert_node": {
      const manifest = ctx.catalog?.get(op.type);
      if (!op.type) return reject("required", "type is required for insert_node", "/type");
      if (ctx.catalog && !manifest) return reject("unknown_component", `unknown component type ${JSON.stringify(op.type)}`, "/type");
      const parentId = op.parentId || page.rootId;
      const parent = page.nodes[parentId];
      if (!parent) return reject("node_not_found", `parent node ${parentId} does not exist`, nodePath(parentId));
      if (!acceptsChildren(ctx, parent)) return reject("no_children", `a ${parent.type} does not accept children`, nodePath(parentId));
      const id = op.nodeId || ctx.newId();
      if (!NODE_ID_PATTERN.test(id)) return reject("invalid_node_id", `node id ${JSON.stringify(id)} is not a valid id`, "/nodeId");
      if (page.nodes[id]) return reject("node_exists", `node ${id} already exists`, nodePath(id));
      const index = placeIndex(page, parentId, op.index ?? "", "");
      if (isRejection(index)) return { ok: false, ...index };
      const props: Record<string, JsonValue> = { ...(manifest?.template.props ?? {}) };
      for (const k of Object.keys(op.props ?? {}).sort()) {
        const v = op.props?.[k];
        if (v === null || v === undefined) delete props[k];
        else props[k] = v;
      }
      const nodes: PageNode[] = [
        { id, type: op.type, parentId, index, props, styles: { ...(manifest?.template.styles ?? {}) }, events: {} },
      ];
      const addChildren = (pid: string, kids: readonly TemplateNode[]) => {
        let prev = "";
        for (const t of kids) {
          const cid = ctx.newId();
          prev = keyBetween(prev, "");
          nodes.push({ id: cid, type: t.type, parentId: pid, index: prev, props: { ...(t.props ?? {}) }, styles: { ...(t.styles ?? {}) }, events: {} });
          addChildren(cid, t.children ?? []);
        }
      };
      addChildren(id, manifest?.template.children ?? []);
      return { ok: true, events: [ev("page.node_inserted", { nodes })] };
    }
    case "move_node": {
      const n = need(op.nodeId, "nodeId");
      if (!isNode(n)) return n;
      if (n.id === page.rootId) return reject("cannot_move_root", "the root node cannot be moved", nodePath(n.id));
      const parentId = op.parentId || n.parentId;
      const parent = page.nodes[parentId];
      if (!parent) return reject("node_not_found", `parent node ${parentId} does not exist`, nodePath(parentId));
      if (!acceptsChildren(ctx, parent)) return reject("no_children", `a ${parent.type} does not accept children`, nodePath(parentId));
      if (isInSubtree(page, n.id, parentId)) return reject("cycle", `cannot move node ${n.id} into its own subtree`, nodePath(n.id));
      const index = placeIndex(page, parentId, op.index ?? "", n.id);
      if (isRejection(index)) return { ok: false, ...index };
      return { ok: true, events: [ev("page.node_moved", { nodeId: n.id, parentId, index })] };
    }
    case "delete_node": {
      const n = need(op.nodeId, "nodeId");
      if (!isNode(n)) return n;
      if (n.id === page.rootId) return reject("cannot_delete_root", "the root node cannot be deleted", nodePath(n.id));
      return { ok: true, events: [ev("page.subtree_deleted", { nodeId: n.id, nodeIds: subtreeIds(page, n.id) })] };
    }
    case "set_prop": {
      const n = need(op.nodeId, "nodeId");
      if (!isNode(n)) return n;
      const segs = splitPropPath(op.path ?? "");
      if (!segs) return reject("invalid_path", `invalid prop path ${JSON.stringify(op.path)}`, nodePath(n.id, "props"));
      const path = joinPropPath(segs);
      const m = ctx.catalog?.get(n.type);
      if (m && m.props.properties && !(segs[0]! in m.props.properties)) {
        return reject("unknown_prop", `component ${n.type} has no prop ${JSON.stringify(segs[0])}`, nodePath(n.id, "props", escapePathSegment(segs[0]!)));
      }
      try {
        setPropAt(n.props, path, op.value ?? null);
      } catch (e) {
        return reject("invalid_path", e instanceof Error ? e.message : String(e), nodePath(n.id, "props", path));
      }
      return { ok: true, events: [ev("page.node_prop_set", { nodeId: n.id, path, value: op.value ?? null })] };
    }
    case "set_style": {
      const n = need(op.nodeId, "nodeId");
      if (!isNode(n)) return n;
      const key = styleKey(op.path ?? "");
      const v: unknown = op.value;
      if (!STYLE_KEY_PATTERN.test(key)) return reject("invalid_style", `bad style name ${JSON.stringify(key)}`, nodePath(n.id, "styles", escapePathSegment(key)));
      if (v !== null && typeof v !== "string" && typeof v !== "number") {
        return reject("invalid_style", "a style value is a string or a number", nodePath(n.id, "styles", escapePathSegment(key)));
      }
      if (typeof v === "string" && v.length > MAX_STYLE_VALUE) {
        return reject("invalid_style", `a style value is at most ${MAX_STYLE_VALUE} characters`, nodePath(n.id, "styles", escapePathSegment(key)));
      }
      return { ok: true, events: [ev("page.node_style_set", { nodeId: n.id, path: key, value: op.value ?? null })] };
    }
    case "bind_event":
    case "unbind_event": {
      const n = need(op.nodeId, "nodeId");
      if (!isNode(n)) return n;
      if (!op.event) return reject("required", "event is required", "/event");
      const m = ctx.catalog?.get(n.type);
      if (m && !(m.events ?? []).some((e) => e.name === op.event)) {
        return reject("unknown_event", `component ${n.type} has no event ${JSON.stringify(op.event)}`, nodePath(n.id, "events", escapePathSegment(op.event)));
      }
      if (op.op === "unbind_event") {
        if (!(op.event in n.events)) return reject("binding_not_found", `no handler is bound to ${op.event} on node ${n.id}`, nodePath(n.id, "events", escapePathSegment(op.event)));
        return { ok: true, events: [ev("page.event_unbound", { nodeId: n.id, event: op.event })] };
      }
      const b = checkBinding(op.binding);
      if (isRejection(b)) return { ok: false, ...b, path: nodePath(n.id, "events", escapePathSegment(op.event)) + (b.path ?? "") };
      return { ok: true, events: [ev("page.event_bound", { nodeId: n.id, event: op.event, binding: b })] };
    }
    case "set_page_state": {
      const state = op.initialState ?? {};
      if (!isObject(state)) return reject("invalid_state", "initial state must be a JSON object", "/initialState");
      const rs = op.reducerScriptId ?? "";
      if (rs !== "" && !NODE_ID_PATTERN.test(rs)) return reject("invalid_script_id", `reducer script id ${JSON.stringify(rs)} is not a valid id`, "/reducerScriptId");
      return { ok: true, events: [ev("page.state_set", { initialState: state, reducerScriptId: rs })] };
    }
    default:
      return reject("unknown_op", `unknown op ${JSON.stringify((op as { op: unknown }).op)}`, "/op");
  }
}

/** Decides and applies an op: the new page (unchanged on a rejection) and the decision. */
export function applyPageOp(page: Page, op: PageOp, ctx: DecideContext): { page: Page; result: DecideResult } {
  const result = decidePageOp(page, op, ctx);
  if (!result.ok) return { page, result };
  let p = page;
  for (const e of result.events) p = applyPageEvent(p, e);
  return { page: p, result };
}

/** Makes a catalog map from the manifests of GET /api/components. */
export function catalogOf(manifests: readonly Manifest[]): ReadonlyMap<string, Manifest> {
  return new Map(manifests.map((m) => [m.type, m]));
}

// ---- Copying subtrees (duplicate, copy / paste, undo of a delete) ---------------------------------

export interface SubtreeInsertOptions {
  /** The id each copied node gets; default the same id (undo of a delete). */
  idFor?: (oldId: string) => string;
  /** Where the copy's root goes; default where the original is. */
  parentId?: string;
  /** The copy root's index; default the original's. */
  index?: string;
  /** With manifests, template props and styles the original lacks are removed on the copy. */
  catalog?: ReadonlyMap<string, Manifest>;
}

/**
 * The ops that re-create a node and its descendants with their props, styles and event
 * bindings, parents first. A component whose template has children gets those children again
 * from the server as well (their ids are the server's, so they cannot be left out here).
 */
export function subtreeInsertOps(page: Page, rootId: string, opts: SubtreeInsertOptions = {}): PageOp[] {
  const idFor = opts.idFor ?? ((id: string) => id);
  const ops: PageOp[] = [];
  const skip = templateMade(page, rootId, opts.catalog);
  for (const id of subtreeIds(page, rootId)) {
    const n = page.nodes[id];
    if (!n || skip.has(id)) continue;
    const isRoot = id === rootId;
    const tmpl = opts.catalog?.get(n.type)?.template;
    const props: Record<string, JsonValue> = {};
    for (const k of Object.keys(tmpl?.props ?? {})) if (!(k in n.props)) props[k] = null;
    Object.assign(props, n.props);
    const insert: PageOp = {
      op: "insert_node",
      nodeId: idFor(id),
      type: n.type,
      parentId: isRoot ? (opts.parentId ?? n.parentId) : idFor(n.parentId),
      index: isRoot ? (opts.index ?? n.index) : n.index,
      props,
    };
    ops.push(insert);
    for (const k of Object.keys(tmpl?.styles ?? {})) {
      if (!(k in n.styles)) ops.push({ op: "set_style", nodeId: idFor(id), path: k, value: null });
    }
    for (const [k, v] of Object.entries(n.styles)) {
      if (typeof v === "string" || typeof v === "number") ops.push({ op: "set_style", nodeId: idFor(id), path: k, value: v });
    }
    for (const [event, binding] of Object.entries(n.events)) {
      ops.push({ op: "bind_event", nodeId: idFor(id), event, binding: cloneBinding(binding) });
    }
  }
  return ops;
}

/**
 * The descendants of rootId that re-inserting their ancestors makes again from manifest templates:
 * children matching the template in place and type, with nothing added inside them. Re-inserting
 * them as well would duplicate them; children the user filled are kept (and may then duplicate).
 */
function templateMade(page: Page, rootId: string, catalog?: ReadonlyMap<string, Manifest>): Set<string> {
  const out = new Set<string>();
  if (!catalog) return out;
  const pure = (id: string, t: TemplateNode): boolean => {
    const n = page.nodes[id];
    const kids = childrenOf(page, id);
    const tk = t.children ?? [];
    return n?.type === t.type && kids.length === tk.length && kids.every((k, i) => pure(k.id, tk[i]!));
  };
  const mark = (id: string) => {
    out.add(id);
    for (const k of childrenOf(page, id)) mark(k.id);
  };
  for (const id of subtreeIds(page, rootId)) {
    if (out.has(id)) continue;
    const n = page.nodes[id];
    const tmpl = n ? catalog.get(n.type)?.template.children : undefined;
    if (!tmpl) continue;
    const kids = childrenOf(page, id);
    tmpl.forEach((t, i) => {
      const k = kids[i];
      if (k && pure(k.id, t)) mark(k.id);
    });
  }
  return out;
}

/**
 * The ops that duplicate node id right after itself (a fresh id per copied node from newId).
 * Returns the ops and the copy's root id.
 */
export function duplicateOps(page: Page, id: string, newId: () => string, catalog?: ReadonlyMap<string, Manifest>): { ops: PageOp[]; rootId: string } {
  const n = page.nodes[id];
  if (!n || id === page.rootId) return { ops: [], rootId: "" };
  const ids = new Map<string, string>();
  const idFor = (old: string) => {
    let v = ids.get(old);
    if (v === undefined) {
      v = newId();
      ids.set(old, v);
    }
    return v;
  };
  const sibs = childrenOf(page, n.parentId);
  const next = sibs.find((s) => s.index > n.index)?.index ?? "";
  const opts: SubtreeInsertOptions = { idFor, parentId: n.parentId, index: keyBetween(n.index, next) };
  if (catalog) opts.catalog = catalog;
  return { ops: subtreeInsertOps(page, id, opts), rootId: idFor(id) };
}
