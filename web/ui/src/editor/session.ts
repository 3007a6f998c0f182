// The co-editing client of docs/protocol.md, independent of the DOM: one EditorSession per
// browser tab (its clientId and seq counter), over a Transport. Pages are optimistic (the view is
// the confirmed page with the pending ops decided again on top, as realtime/client does), scripts
// run the ot.js client of scriptText.ts, presence is kept per document.

import { DocBase, PageDocument, ScriptDocument, type Inbound } from "./documents";
import type { DecideContext } from "./page";
import { peerFrom, presenceJson } from "./presence";
import type { Rejection } from "./rejection";
import type { TextOp } from "./scriptText";
import {
  CLOSE_AUTH_FAILED,
  NO_RECONNECT_CLOSE_CODES,
  PROTOCOL_VERSION,
  type ClientMessage,
  type JsonValue,
  type Manifest,
  type ServerMessage,
  type WireEvent,
} from "./types";

export { PageDocument, ScriptDocument } from "./documents";
export { describeRejection, type Rejection } from "./rejection";

/**
 * The connection under a session: one WebSocket in the browser, an in-memory pair in tests. The
 * session registers its callbacks once; the transport calls onOpen after every (re)connection,
 * onClose when it is lost, and opens a new connection when reconnect() is called.
 */
export interface Transport {
  send(msg: ClientMessage): void;
  onOpen(cb: () => void): void;
  onMessage(cb: (msg: ServerMessage) => void): void;
  onClose(cb: (code: number, reason: string) => void): void;
  reconnect(): void;
}

export const ConnectionStatus = {
  Connecting: "connecting",
  Connected: "connected",
  Disconnected: "disconnected",
  /** Credentials stopped being valid (close 4001): sign in, then call reconnectNow(). */
  Unauthenticated: "unauthenticated",
  /** A close after which reconnecting blindly would fail again (4000, 4002, 1009). */
  Failed: "failed",
} as const;
export type ConnectionStatus = (typeof ConnectionStatus)[keyof typeof ConnectionStatus];


export type SessionEvent =
  | { type: "status"; status: ConnectionStatus; code?: number; reason?: string }
  | { type: "welcome"; user: string }
  /** A document's view, version, or loaded state changed. */
  | { type: "change"; doc: string }
  | { type: "rejected"; rejection: Rejection }
  | { type: "presence"; doc: string }
  /** Remote script edits, against the local text before them: apply them to the editor model. */
  | { type: "remote_text"; doc: string; op: TextOp }
  | { type: "server_error"; code: string; message: string; doc?: string; ref?: string }
  /** Messages of running pages (run_started, run_state), passed on as they are. */
  | { type: "run"; msg: Extract<ServerMessage, { type: "run_started" | "run_state" }> };

export type SessionListener = (e: SessionEvent) => void;

export interface SessionOptions {
  transport: Transport;
  /** Stable across reconnects; default a random UUID (one per tab). */
  clientId?: string;
  /** Names nodes of insert_node ops submitted without a nodeId; default a random UUID. */
  newId?: () => string;
  /** Manifests for local decisions (templates, accepts-children checks). */
  catalog?: ReadonlyMap<string, Manifest>;
  /** Delay before reconnect attempt n (1, 2, ...); default exponential from 250 ms to 10 s with jitter. */
  reconnectDelay?: (attempt: number) => number;
  /** Timer; default setTimeout. Returns a cancel function. */
  schedule?: (fn: () => void, ms: number) => () => void;
}

function defaultDelay(attempt: number): number {
  const base = Math.min(10_000, 250 * 2 ** Math.min(attempt - 1, 6));
  return base / 2 + Math.random() * (base / 2);
}

function defaultSchedule(fn: () => void, ms: number): () => void {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
}

function randomId(): string {
  return globalThis.crypto.randomUUID();
}

/**
 * One client instance (a browser tab) of the co-editing protocol: it greets, subscribes the open
 * documents, applies what the server sends, and after a lost connection reconnects with backoff,
 * catches up from each document's version and resends what is unconfirmed with the same seqs.
 */
export class EditorSession {
  readonly clientId: string;
  user = "";
  status: ConnectionStatus = ConnectionStatus.Connecting;
  /** Counts connections: ops remember the one they were sent on. */
  epoch = 0;
  private seq = 0;
  private open = false;
  private welcomed = false;
  private readonly docs = new Map<string, DocBase>();
  private readonly listeners = new Set<SessionListener>();
  private readonly transport: Transport;
  private readonly newIdFn: () => string;
  private readonly catalog: ReadonlyMap<string, Manifest> | undefined;
  private readonly delay: (attempt: number) => number;
  private readonly schedule: (fn: () => void, ms: number) => () => void;
  private attempts = 0;
  private cancelRetry: (() => void) | null = null;
  private closed = false;

  constructor(opts: SessionOptions) {
    this.transport = opts.transport;
    this.clientId = opts.clientId ?? randomId();
    this.newIdFn = opts.newId ?? randomId;
    this.catalog = opts.catalog;
    this.delay = opts.reconnectDelay ?? defaultDelay;
    this.schedule = opts.schedule ?? defaultSchedule;
    this.transport.onOpen(() => this.opened());
    this.transport.onMessage((m) => this.receive(m));
    this.transport.onClose((code, reason) => this.lost(code, reason));
  }

  /** Listens to everything the session reports; returns the unsubscribe function. */
  subscribe(l: SessionListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** @internal */
  emit(e: SessionEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** @internal */
  nextSeq(): number {
    return ++this.seq;
  }

  /** A new node id. */
  newId(): string {
    return this.newIdFn();
  }

  /** @internal The context of a local decision of op seq: the same invented ids on every rebuild. */
  decideContext(seq: number): DecideContext {
    let n = 0;
    const prefix = `l${this.clientId.replace(/[^A-Za-z0-9]/g, "").slice(0, 12)}`;
    const ctx: DecideContext = { newId: () => `${prefix}-${seq}-${++n}` };
    if (this.catalog) ctx.catalog = this.catalog;
    return ctx;
  }

  /** Opens (subscribes to) a page doc "page-<id>"; opening it again returns the same document. */
  openPage(doc: string): PageDocument {
    const d = this.docs.get(doc);
    if (d instanceof PageDocument) return d;
    if (!doc.startsWith("page-") || d) throw new Error(`not a page document: ${doc}`);
    const p = new PageDocument(this, doc);
    this.docs.set(doc, p);
    this.resubscribe(p, 0);
    return p;
  }

  /** Opens (subscribes to) a script doc "script-<id>". */
  openScript(doc: string): ScriptDocument {
    const d = this.docs.get(doc);
    if (d instanceof ScriptDocument) return d;
    if (!doc.startsWith("script-") || d) throw new Error(`not a script document: ${doc}`);
    const s = new ScriptDocument(this, doc);
    this.docs.set(doc, s);
    this.resubscribe(s, 0);
    return s;
  }

  /** Unsubscribes and forgets a document (its unsettled ops are dropped). */
  close(doc: string): void {
    if (!this.docs.delete(doc)) return;
    this.sendIfReady({ type: "unsubscribe", doc });
  }

  page(doc: string): PageDocument | undefined {
    const d = this.docs.get(doc);
    return d instanceof PageDocument ? d : undefined;
  }

  script(doc: string): ScriptDocument | undefined {
    const d = this.docs.get(doc);
    return d instanceof ScriptDocument ? d : undefined;
  }

  /** Starts a run of a page (answered by a "run" event with run_started, or a server_error). */
  run(doc: string, mode: "preview" | "published" = "preview"): void {
    this.sendIfReady({ type: "run", doc, mode });
  }

  /** Sends a component event of a running page (answered by run_state or a server_error). */
  componentEvent(session: string, nodeId: string, event: string, payload?: JsonValue): void {
    const m: ClientMessage = payload === undefined ? { type: "component_event", session, nodeId, event } : { type: "component_event", session, nodeId, event, payload };
    this.sendIfReady(m);
  }

  /** Reconnects at once (after signing in again, or to skip the backoff). */
  reconnectNow(): void {
    this.cancelRetry?.();
    this.cancelRetry = null;
    this.closed = false;
    this.setStatus(ConnectionStatus.Connecting);
    this.transport.reconnect();
  }

  /** Stops reconnecting (the editor was left). */
  dispose(): void {
    this.closed = true;
    this.cancelRetry?.();
    this.cancelRetry = null;
  }

  /** @internal Whether messages for d can go out now (connected and d's subscription answered). */
  canSend(d: DocBase): boolean {
    return this.open && !d.awaiting && d.loaded;
  }

  /** @internal */
  sendIfReady(m: ClientMessage): void {
    if (this.open) this.transport.send(m);
  }

  /** @internal Subscribes d from version; what arrives for it meanwhile waits in its stash. */
  resubscribe(d: DocBase, version: number): void {
    d.awaiting = true;
    d.error = null;
    this.sendIfReady({ type: "subscribe", doc: d.doc, version });
  }

  private setStatus(status: ConnectionStatus, code?: number, reason?: string): void {
    this.status = status;
    const e: SessionEvent = { type: "status", status };
    if (code !== undefined) e.code = code;
    if (reason !== undefined) e.reason = reason;
    this.emit(e);
  }

  private opened(): void {
    this.open = true;
    this.welcomed = false;
    this.epoch++;
    this.transport.send({ type: "hello", protocol: PROTOCOL_VERSION, clientId: this.clientId });
    for (const d of this.docs.values()) {
      d.stash = [];
      this.resubscribe(d, d.subscribeVersion());
      if (d.me) this.transport.send({ type: "presence", doc: d.doc, state: presenceJson(d.me) });
    }
  }

  private lost(code: number, reason: string): void {
    this.open = false;
    this.welcomed = false;
    for (const d of this.docs.values()) {
      if (d.others.size > 0) {
        d.others.clear();
        this.emit({ type: "presence", doc: d.doc });
      }
    }
    if (code === CLOSE_AUTH_FAILED) {
      this.setStatus(ConnectionStatus.Unauthenticated, code, reason);
      return;
    }
    if (NO_RECONNECT_CLOSE_CODES.includes(code)) {
      this.setStatus(ConnectionStatus.Failed, code, reason);
      return;
    }
    this.setStatus(ConnectionStatus.Disconnected, code, reason);
    if (this.closed) return;
    this.attempts++;
    this.cancelRetry?.();
    this.cancelRetry = this.schedule(() => {
      this.cancelRetry = null;
      if (!this.closed) {
        this.setStatus(ConnectionStatus.Connecting);
        this.transport.reconnect();
      }
    }, this.delay(this.attempts));
  }

  /** Handles one server message; unknown types are ignored (P3: the server may add some). */
  receive(m: ServerMessage): void {
    switch (m.type) {
      case "welcome":
        this.user = m.user;
        this.welcomed = true;
        this.attempts = 0;
        this.setStatus(ConnectionStatus.Connected);
        this.emit({ type: "welcome", user: m.user });
        return;
      case "subscribed":
        this.subscribed(m);
        return;
      case "events": {
        const d = this.docs.get(m.doc);
        if (d) this.inbound(d, [{ events: m.events ?? [] }]);
        return;
      }
      case "ack": {
        const d = this.docs.get(m.doc);
        if (d) this.inbound(d, [{ ack: m.results ?? [] }]);
        return;
      }
      case "presence": {
        const d = this.docs.get(m.doc);
        // Our own client id shows up when a lost connection of ours is still open on the server.
        if (!d || !m.clientId || m.clientId === this.clientId) return;
        if (m.left || m.state === undefined) d.others.delete(m.clientId);
        else d.others.set(m.clientId, peerFrom({ user: m.user ?? "", clientId: m.clientId, state: m.state }));
        this.emit({ type: "presence", doc: m.doc });
        return;
      }
      case "error": {
        const e: SessionEvent = { type: "server_error", code: m.code, message: m.message };
        if (m.doc !== undefined) e.doc = m.doc;
        if (m.ref !== undefined) e.ref = m.ref;
        if (m.ref === "subscribe" && m.doc) {
          const d = this.docs.get(m.doc);
          if (d) {
            d.awaiting = false;
            d.stash = [];
            d.error = { code: m.code, message: m.message };
            this.emit({ type: "change", doc: d.doc });
          }
        }
        this.emit(e);
        return;
      }
      case "run_started":
      case "run_state":
        this.emit({ type: "run", msg: m });
        return;
      case "pong":
        return;
      default:
        return;
    }
  }

  private subscribed(m: Extract<ServerMessage, { type: "subscribed" }>): void {
    const d = this.docs.get(m.doc);
    if (!d) return;
    d.awaiting = false;
    d.error = null;
    const stash = d.stash;
    d.stash = [];
    d.others.clear();
    for (const p of m.presence ?? []) {
      if (p.clientId !== this.clientId) d.others.set(p.clientId, peerFrom(p));
    }
    this.emit({ type: "presence", doc: d.doc });
    const again = (version: number) => {
      this.resubscribe(d, version);
      d.stash.push(...stash);
    };
    if (m.snapshot !== undefined && m.snapshot !== null) {
      d.load(m.version, m.snapshot);
      d.loaded = true;
    } else if (!d.loaded) {
      again(0); // events without a state to apply them to: only a snapshot helps
      return;
    }
    this.applyEvents(d, m.events ?? []);
    if (d.awaiting) {
      d.stash.push(...stash);
      return;
    }
    if (d.version < m.version) {
      again(d.version);
      return;
    }
    this.inbound(d, stash);
    if (!d.awaiting) d.resubmit();
    this.emit({ type: "change", doc: d.doc });
  }

  private inbound(d: DocBase, items: Inbound[]): void {
    for (let i = 0; i < items.length; i++) {
      if (d.awaiting) {
        d.stash.push(...items.slice(i));
        return;
      }
      const it = items[i]!;
      if ("ack" in it) {
        d.acked(it.ack);
        this.emit({ type: "change", doc: d.doc });
      } else {
        this.applyEvents(d, it.events);
      }
    }
  }

  /** Applies events by version: duplicates skipped, a gap resubscribes (the rest waits). */
  private applyEvents(d: DocBase, events: WireEvent[]): void {
    let changed = false;
    for (let i = 0; i < events.length; i++) {
      const ev = events[i]!;
      if (ev.version <= d.version) continue;
      if (ev.version > d.version + 1) {
        this.resubscribe(d, d.version);
        d.stash.push({ events: events.slice(i) });
        break;
      }
      d.version = ev.version;
      d.apply(ev);
      changed = true;
    }
    if (changed) this.emit({ type: "change", doc: d.doc });
  }

  /** Whether the server welcomed the current connection. */
  get isWelcomed(): boolean {
    return this.welcomed;
  }
}
