// The events tab's logic, free of React: editing a quick-action list, the default params of an
// action from its params schema, the page op of a binding change, and client-side checks that
// name what the server would refuse.

import type { ActionSpec, Binding, JsonSchema, JsonValue, PageOp, QuickAction } from "../../editor";

export const HandlerKind = { None: "none", Actions: "actions", Script: "script", Workflow: "workflow" } as const;
export type HandlerKind = (typeof HandlerKind)[keyof typeof HandlerKind];

/** The kind of handler a binding is ("none" when nothing is bound). */
export function handlerKind(b: Binding | undefined): HandlerKind {
  if (!b) return HandlerKind.None;
  switch (b.kind) {
    case "actions":
      return HandlerKind.Actions;
    case "script":
      return HandlerKind.Script;
    case "workflow":
      return HandlerKind.Workflow;
  }
}

/** The op that makes the node's event run binding (null: unbind). */
export function bindingOp(nodeId: string, event: string, binding: Binding | null): PageOp {
  if (binding === null) return { op: "unbind_event", nodeId, event };
  return { op: "bind_event", nodeId, event, binding };
}

/** Whether two bindings are the same (JSON equality, key order ignored). */
export function sameBinding(a: Binding | undefined | null, b: Binding | undefined | null): boolean {
  return canonical(a ?? null) === canonical(b ?? null);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return "[" + v.map(canonical).join(",") + "]";
  if (typeof v === "object" && v !== null) {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return "{" + entries.map(([k, x]) => JSON.stringify(k) + ":" + canonical(x)).join(",") + "}";
  }
  return JSON.stringify(v);
}

/** The starting value of a param: its default, else an empty value of its type. */
export function defaultValue(schema: JsonSchema | undefined): JsonValue {
  if (!schema) return null;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum && schema.enum.length > 0) return schema.enum[0] ?? null;
  const t = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (t) {
    case "string":
      return "";
    case "boolean":
      return false;
    case "number":
    case "integer":
      return 0;
    case "object":
      return {};
    case "array":
      return [];
    default:
      return "";
  }
}

/** A new quick action of spec's type with its required params filled with defaults. */
export function newQuickAction(spec: ActionSpec): QuickAction {
  const params: { [key: string]: JsonValue } = {};
  for (const name of spec.params.required ?? []) params[name] = defaultValue(spec.params.properties?.[name]);
  // navigate requires pageId or url (oneOf): start with pageId.
  if (spec.name === "navigate" && !("pageId" in params) && !("url" in params)) params["pageId"] = "";
  return { type: spec.name, params };
}

export function addAction(list: readonly QuickAction[], action: QuickAction): QuickAction[] {
  return [...list, action];
}

export function removeAction(list: readonly QuickAction[], index: number): QuickAction[] {
  return list.filter((_, i) => i !== index);
}

/** Moves the action at from to position to (clamped); the list is unchanged when from is out of range. */
export function moveAction(list: readonly QuickAction[], from: number, to: number): QuickAction[] {
  if (from < 0 || from >= list.length) return [...list];
  const target = Math.max(0, Math.min(list.length - 1, to));
  const out = [...list];
  const [a] = out.splice(from, 1);
  out.splice(target, 0, a!);
  return out;
}

/** Sets (value) or removes (undefined) one param of the action at index. */
export function setActionParam(list: readonly QuickAction[], index: number, name: string, value: JsonValue | undefined): QuickAction[] {
  return list.map((a, i) => {
    if (i !== index) return a;
    const params: { [key: string]: JsonValue } = isObject(a.params) ? { ...a.params } : {};
    if (value === undefined) delete params[name];
    else params[name] = value;
    return { ...a, params };
  });
}

function isObject(v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** What is wrong with one quick action before the server sees it ("" when nothing is). */
export function checkQuickAction(a: QuickAction, specs: readonly ActionSpec[]): string {
  const spec = specs.find((s) => s.name === a.type);
  if (!spec) return `Unknown quick action "${a.type}".`;
  const params = isObject(a.params) ? a.params : {};
  for (const name of spec.params.required ?? []) {
    const v = params[name];
    if (v === undefined) return `${name} is required.`;
    const ps = spec.params.properties?.[name];
    if (ps?.type === "string" && typeof v === "string" && ps.minLength !== undefined && v.length < ps.minLength) return `${name} is required.`;
  }
  if (spec.name === "navigate" && !params["pageId"] && !params["url"]) return "Give a page id or a URL.";
  return "";
}

/** The first problem of a quick-action list, with the action's position ("" when none). */
export function checkQuickActions(list: readonly QuickAction[], specs: readonly ActionSpec[]): string {
  if (list.length === 0) return "Add at least one action.";
  for (let i = 0; i < list.length; i++) {
    const p = checkQuickAction(list[i]!, specs);
    if (p) return `Action ${i + 1} (${list[i]!.type}): ${p}`;
  }
  return "";
}

/** The template of a new event handler script: dispatch an action the page reducer handles. */
export function handlerTemplate(actionType = "..."): string {
  return `function handleEvent(payload, ctx) {\n  dispatch(createAction('${actionType}'))\n}\n`;
}
