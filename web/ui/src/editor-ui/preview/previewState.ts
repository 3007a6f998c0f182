// The preview's state, folded from the run messages of one runtime session: the page and app state,
// the props the handlers set (setProps updates), toasts (notify effects), and the last error.

import type { ClientEffect, JsonObject, JsonSchema, JsonValue, RunValue, ServerMessage } from "../../editor";

export type RunMessage = Extract<ServerMessage, { type: "run_started" | "run_state" }>;

export const PreviewStatus = { Idle: "idle", Starting: "starting", Running: "running", Failed: "failed" } as const;
export type PreviewStatus = (typeof PreviewStatus)[keyof typeof PreviewStatus];

export interface Toast {
  id: number;
  message: string;
  level: string;
}

export interface PreviewState {
  status: PreviewStatus;
  /** The runtime session's id ("" before run_started). */
  session: string;
  step: number;
  state: RunValue | null;
  /** Props set by handlers (setProps), merged over the page's, by node id. */
  props: Record<string, JsonObject>;
  toasts: Toast[];
  /** What the preview did not do itself (navigate, emit), in words. */
  notes: string[];
  error: string;
  nextToast: number;
}

export type PreviewAction =
  | { type: "start" }
  | { type: "message"; msg: RunMessage }
  | { type: "server_error"; code: string; message: string; ref?: string }
  | { type: "dismiss"; id: number }
  | { type: "sent" };

export const initialPreview: PreviewState = { status: PreviewStatus.Idle, session: "", step: 0, state: null, props: {}, toasts: [], notes: [], error: "", nextToast: 1 };

/** The refs of the errors that concern a run (docs/protocol.md: an error's ref is the refused type). */
const RUN_REFS = new Set(["run", "component_event"]);

export function previewReducer(s: PreviewState, a: PreviewAction): PreviewState {
  switch (a.type) {
    case "start":
      // A new session: what the old one set does not apply to it.
      return { ...initialPreview, status: PreviewStatus.Starting, nextToast: s.nextToast };
    case "sent":
      return { ...s, error: "" };
    case "dismiss":
      return { ...s, toasts: s.toasts.filter((t) => t.id !== a.id) };
    case "server_error":
      if (a.ref !== undefined && !RUN_REFS.has(a.ref)) return s;
      if (s.status === PreviewStatus.Starting) return { ...s, status: PreviewStatus.Failed, error: `${a.message} (${a.code})` };
      if (s.status === PreviewStatus.Running) return { ...s, error: `${a.message} (${a.code})` };
      return s;
    case "message":
      return applyRunMessage(s, a.msg);
  }
}

function applyRunMessage(s: PreviewState, m: RunMessage): PreviewState {
  if (m.type === "run_started") {
    // Only the run this preview asked for (another panel of this connection may run pages too).
    if (s.status !== PreviewStatus.Starting) return s;
    return { ...s, status: PreviewStatus.Running, session: m.session, step: m.step, state: m.state, error: "" };
  }
  if (m.session !== s.session) return s;
  let props = s.props;
  const notes = [...s.notes];
  for (const u of m.updates ?? []) {
    if (u.kind === "setProps" && u.props) props = { ...props, [u.nodeId]: { ...(props[u.nodeId] ?? {}), ...u.props } };
    else if (u.kind === "emit") notes.push(`${u.nodeId}: ${u.action ?? "action"}(${u.params === undefined ? "" : JSON.stringify(u.params)})`);
  }
  let toasts = s.toasts;
  let nextToast = s.nextToast;
  for (const e of m.effects ?? []) {
    const t = effectToast(e);
    if (t) toasts = [...toasts, { id: nextToast++, ...t }];
    else notes.push(effectNote(e));
  }
  return { ...s, step: m.step, state: m.state, props, toasts, nextToast, notes: notes.slice(-20), error: m.error ?? "" };
}

function str(v: JsonValue | undefined, fallback = ""): string {
  return typeof v === "string" ? v : v === undefined || v === null ? fallback : JSON.stringify(v);
}

function effectToast(e: ClientEffect): Omit<Toast, "id"> | null {
  if (e.kind !== "notify") return null;
  return { message: str(e.params["message"]), level: str(e.params["level"], "info") };
}

function effectNote(e: ClientEffect): string {
  switch (e.kind) {
    case "navigate":
      return `navigate to ${str(e.params["pageId"]) || str(e.params["url"])}`;
    case "copyToClipboard":
      return `copy to the clipboard: ${str(e.params["text"])}`;
    default:
      return `${e.kind}: ${JSON.stringify(e.params)}`;
  }
}

/** What the DOM event gave: modifier keys, the field's value, a checkbox's state. */
export type EventFacts = Partial<Record<"altKey" | "ctrlKey" | "metaKey" | "shiftKey" | "checked", boolean>> & { value?: JsonValue; label?: JsonValue; query?: string };

/**
 * The payload of a component event from its manifest's payload schema: the properties the schema
 * declares, from what the DOM event gave, required ones without a fact filled with an empty value
 * of their type (a Button's onClick gets its four modifier flags, a TextInput's onChange its value).
 */
export function payloadFor(schema: JsonSchema, facts: EventFacts): JsonObject {
  const out: JsonObject = {};
  const props = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const known = facts as Record<string, JsonValue | undefined>;
  for (const [name, ps] of Object.entries(props)) {
    const v = known[name];
    if (v !== undefined) out[name] = v;
    else if (required.has(name)) out[name] = emptyOf(ps);
  }
  return out;
}

function emptyOf(s: JsonSchema): JsonValue {
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.includes("null")) return null;
  switch (types[0]) {
    case "boolean":
      return false;
    case "number":
    case "integer":
      return 0;
    case "string":
      return "";
    case "array":
      return [];
    case "object":
      return {};
    default:
      return null;
  }
}

/** Replaces {{ state.a.b }} in a prop's text by the page state's value (the preview's own reading). */
export function resolveText(text: string, pageState: JsonValue): string {
  return text.replace(/\{\{\s*state((?:\.[A-Za-z0-9_$-]+)*)\s*\}\}/g, (_, path: string) => {
    let v: JsonValue | undefined = pageState;
    for (const k of path.split(".").filter(Boolean)) {
      if (Array.isArray(v)) v = v[Number(k)];
      else if (typeof v === "object" && v !== null) v = v[k];
      else v = undefined;
    }
    return v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v);
  });
}
