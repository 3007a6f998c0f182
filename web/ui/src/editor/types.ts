// Types of the editor core: the page document as the server keeps it (domain/page.go), the page
// ops (domain/page_ops.go), the component manifests (GET /api/components) and the co-editing
// protocol messages (realtime/protocol.go, docs/protocol.md). Field names follow the wire JSON.

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

// ---- Page document -------------------------------------------------------------------------

export const BindingKind = { Script: "script", Actions: "actions", Workflow: "workflow" } as const;
export type BindingKind = (typeof BindingKind)[keyof typeof BindingKind];

/** One step of an "actions" binding (setState, navigate, showNotification, ...). */
export interface QuickAction {
  type: string;
  params?: JsonValue;
}

/** What runs when a component event fires. */
export interface Binding {
  kind: BindingKind;
  scriptId?: string;
  actions?: QuickAction[];
  workflowId?: string;
}

/** One component instance. `index` is its fractional key among its siblings. */
export interface PageNode {
  id: string;
  type: string;
  /** "" for the root. */
  parentId: string;
  index: string;
  props: Record<string, JsonValue>;
  styles: Record<string, JsonValue>;
  events: Record<string, Binding>;
}

/** A page as the server keeps it: flat nodes keyed by id (the `subscribed` snapshot). */
export interface Page {
  id: string;
  appId: string;
  name: string;
  version: number;
  deleted: boolean;
  nodes: Record<string, PageNode>;
  rootId: string;
  initialState?: JsonValue;
  reducerScriptId: string;
}

/** A script as the server keeps it (the `subscribed` snapshot of a script doc). */
export interface Script {
  id: string;
  appId: string;
  name: string;
  kind: "event_handler" | "page_reducer" | "app_reducer" | "workflow";
  language: "js" | "lua";
  text: string;
  deleted: boolean;
  version: number;
  replayError?: string;
}

// ---- Page ops (the `page` field of a submitted op) -------------------------------------------

export interface InsertNodeOp {
  op: "insert_node";
  type: string;
  /** Chosen by the client so that later ops can name the node (the session fills it in). */
  nodeId?: string;
  /** "" or absent: the root. */
  parentId?: string;
  /** "" or absent: append after the last sibling. */
  index?: string;
  /** Override the template's props; a null value removes one. */
  props?: Record<string, JsonValue>;
}
export interface MoveNodeOp {
  op: "move_node";
  nodeId: string;
  /** "" or absent keeps the parent. */
  parentId?: string;
  /** "" or absent appends. */
  index?: string;
}
export interface DeleteNodeOp {
  op: "delete_node";
  nodeId: string;
}
/** `path` is "label" or "columns/0/title" (~1 escapes "/", ~0 escapes "~"); null removes. */
export interface SetPropOp {
  op: "set_prop";
  nodeId: string;
  path: string;
  value: JsonValue;
}
export interface SetStyleOp {
  op: "set_style";
  nodeId: string;
  path: string;
  /** A string or a number; null removes. */
  value: string | number | null;
}
export interface BindEventOp {
  op: "bind_event";
  nodeId: string;
  event: string;
  binding: Binding;
}
export interface UnbindEventOp {
  op: "unbind_event";
  nodeId: string;
  event: string;
}
export interface SetPageStateOp {
  op: "set_page_state";
  initialState?: JsonValue;
  reducerScriptId?: string;
}
export interface RenamePageOp {
  op: "rename_page";
  name: string;
}

export type PageOp =
  | InsertNodeOp
  | MoveNodeOp
  | DeleteNodeOp
  | SetPropOp
  | SetStyleOp
  | BindEventOp
  | UnbindEventOp
  | SetPageStateOp
  | RenamePageOp;

export type PageOpName = PageOp["op"];

// ---- Page events (the `data` of events on a page doc) ----------------------------------------

export interface PageEventData {
  "page.created": { pageId: string; appId: string; name: string; root: PageNode };
  "page.renamed": { name: string };
  "page.deleted": Record<string, never>;
  "page.node_inserted": { nodes: PageNode[] };
  "page.node_moved": { nodeId: string; parentId: string; index: string };
  "page.subtree_deleted": { nodeId: string; nodeIds: string[] };
  "page.node_prop_set": { nodeId: string; path: string; value: JsonValue };
  "page.node_style_set": { nodeId: string; path: string; value: JsonValue };
  "page.event_bound": { nodeId: string; event: string; binding: Binding };
  "page.event_unbound": { nodeId: string; event: string };
  "page.state_set": { initialState: JsonValue; reducerScriptId: string };
  "page.restored": {
    fromVersion: number;
    name: string;
    rootId: string;
    nodes: Record<string, PageNode>;
    initialState?: JsonValue;
    reducerScriptId: string;
  };
}
export type PageEventType = keyof PageEventData;
/** A page event body, discriminated by type. */
export type PageEvent = { [K in PageEventType]: { type: K; data: PageEventData[K] } }[PageEventType];

// ---- Component manifests (GET /api/components) ----------------------------------------------

/** A JSON Schema (draft 2020-12). Kept loose: the property panel interprets what it knows. */
export interface JsonSchema {
  $schema?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: JsonValue[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  format?: string;
  default?: JsonValue;
  description?: string;
  /** UI hints of a prop: widget ("text", "number", "switch", "select", "segmented", "color",
   * "json", ...), label and group. */
  "x-ui"?: { widget?: string; label?: string; group?: string };
  [key: string]: unknown;
}

export interface EventSpec {
  name: string;
  description: string;
  /** JSON Schema of the payload the handler receives. */
  payload: JsonSchema;
  /** The DOM event it maps from ("click", "input", "change", "submit"). */
  nativeEvent: string;
}

/** A component action, or a quick action (same shape). */
export interface ActionSpec {
  name: string;
  description: string;
  params: JsonSchema;
}

export interface TemplateNode {
  type: string;
  props?: Record<string, JsonValue>;
  styles?: Record<string, JsonValue>;
  children?: TemplateNode[];
}

export interface Manifest {
  type: string;
  name: string;
  category: string;
  icon: string;
  description: string;
  props: JsonSchema;
  events: EventSpec[] | null;
  actions: ActionSpec[] | null;
  template: {
    props: Record<string, JsonValue> | null;
    styles: Record<string, JsonValue> | null;
    children?: TemplateNode[];
  };
  acceptsChildren: boolean;
}

/** The body of GET /api/components. */
export interface ComponentsBody {
  components: Manifest[];
  quickActions: ActionSpec[];
}

// ---- Protocol (docs/protocol.md) ------------------------------------------------------------

export const PROTOCOL_VERSION = 1;
export const MAX_OPS_PER_SUBMIT = 500;
export const MAX_PRESENCE_BYTES = 4096;

/** Close codes after which a client must not reconnect blindly (protocol error, version, too big). */
export const NO_RECONNECT_CLOSE_CODES: readonly number[] = [4000, 4002, 1009];
export const CLOSE_AUTH_FAILED = 4001;

/** One text replacement in UTF-16 code units against the base text (parallel form). */
export interface TextEdit {
  pos: number;
  delete?: number;
  insert?: string;
}

export interface WireOp {
  seq: number;
  page?: PageOp;
  edits?: TextEdit[];
}

/** One committed event of a document. */
export interface WireEvent {
  version: number;
  type: string;
  /** The payload as stored (for pages, PageEventData[type]). */
  data: unknown;
  schemaVersion?: number;
  actor?: string;
  clientId?: string;
  seq?: number;
  time?: string;
  /** Scripts only: the change in UTF-16 units against the previous text. */
  edits?: TextEdit[];
}

export interface PresenceInfo {
  user: string;
  clientId: string;
  state?: JsonValue;
}

export interface OpResult {
  seq: number;
  status: "committed" | "rejected";
  version?: number;
  code?: string;
  message?: string;
  path?: string;
}

export interface RunValue {
  page: JsonValue;
  app: JsonValue;
}

export interface ComponentUpdate {
  nodeId: string;
  kind: "setProps" | "emit";
  props?: JsonObject;
  action?: string;
  params?: JsonValue;
}

export interface ClientEffect {
  kind: "navigate" | "notify" | "copyToClipboard";
  params: JsonObject;
}

export type ClientMessage =
  | { type: "hello"; protocol: number; clientId: string }
  | { type: "subscribe"; doc: string; version: number }
  | { type: "unsubscribe"; doc: string }
  | { type: "submit"; doc: string; baseVersion: number; ops: WireOp[] }
  | { type: "presence"; doc: string; state?: JsonValue }
  | { type: "ping"; id?: string }
  | { type: "run"; doc: string; mode?: "preview" | "published" }
  | { type: "component_event"; session: string; nodeId: string; event: string; payload?: JsonValue };

export type ServerMessage =
  | { type: "welcome"; protocol: number; user: string; clientId: string }
  | {
      type: "subscribed";
      doc: string;
      version: number;
      snapshot?: unknown;
      events?: WireEvent[];
      presence?: PresenceInfo[];
    }
  | { type: "events"; doc: string; events: WireEvent[] }
  | { type: "ack"; doc: string; results: OpResult[] }
  | {
      type: "presence";
      doc: string;
      state?: JsonValue;
      user?: string;
      clientId?: string;
      left?: boolean;
    }
  | { type: "pong"; id?: string }
  | { type: "error"; code: string; message: string; doc?: string; ref?: string }
  | { type: "run_started"; session: string; page: string; step: number; state: RunValue }
  | {
      type: "run_state";
      session: string;
      step: number;
      state: RunValue;
      updates: ComponentUpdate[] | null;
      effects: ClientEffect[] | null;
      error?: string;
    };

export type ServerMessageType = ServerMessage["type"];
export type ClientMessageType = ClientMessage["type"];
