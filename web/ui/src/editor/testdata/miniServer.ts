// A small in-process server of the co-editing protocol for the session fuzz test: it decides page
// ops with the same rules as the client's view (page.ts), transforms script edits like the server
// (P19), dedupes resubmits by clientId and seq (P11), and answers subscribes with events or a
// snapshot (P5). Messages to a connection wait in its queue until the test delivers them, so
// deliveries interleave and a disconnect loses what was not delivered.

import { applyPageEvent, decidePageOp } from "../page";
import { applyTextOp, transformTextOp, type TextOp } from "../scriptText";
import type { ClientMessage, OpResult, Page, ServerMessage, WireEvent } from "../types";
import type { MemoryTransport } from "./transport";

interface Conn {
  t: MemoryTransport;
  clientId: string;
  subs: Set<string>;
  queue: ServerMessage[];
}

export class MiniServer {
  page: Page;
  pageEvents: WireEvent[] = [];
  readonly pageBase: number;
  text: string;
  scriptEvents: WireEvent[] = [];
  readonly conns: Conn[] = [];
  private highest = new Map<string, number>();
  private ids = 0;

  constructor(
    page: Page,
    text: string,
    readonly pageDoc: string,
    readonly scriptDoc: string,
  ) {
    this.page = page;
    this.pageBase = page.version;
    this.text = text;
  }

  get pageVersion(): number {
    return this.pageBase + this.pageEvents.length;
  }
  get scriptVersion(): number {
    return 1 + this.scriptEvents.length;
  }

  attach(t: MemoryTransport): Conn {
    const c: Conn = { t, clientId: "", subs: new Set(), queue: [] };
    this.conns.push(c);
    return c;
  }

  /** The connection was lost: undelivered messages are gone. */
  drop(c: Conn): void {
    c.queue = [];
    c.subs.clear();
  }

  /** Handles everything c sent so far. */
  process(c: Conn): void {
    for (const m of c.t.take()) this.handle(c, m);
  }

  private key(doc: string, clientId: string) {
    return `${doc}|${clientId}`;
  }

  private broadcast(doc: string, events: WireEvent[]) {
    for (const o of this.conns) if (o.subs.has(doc) && o.t.connected) o.queue.push({ type: "events", doc, events });
  }

  private handle(c: Conn, m: ClientMessage): void {
    switch (m.type) {
      case "hello":
        c.clientId = m.clientId;
        c.queue.push({ type: "welcome", protocol: 1, user: m.clientId.split("-")[0] ?? "", clientId: m.clientId });
        return;
      case "subscribe": {
        c.subs.add(m.doc);
        const isPage = m.doc === this.pageDoc;
        const v = isPage ? this.pageVersion : this.scriptVersion;
        const base = isPage ? this.pageBase : 1;
        const all = isPage ? this.pageEvents : this.scriptEvents;
        if (m.version <= 0 || m.version > v || m.version < base) {
          const snapshot = isPage ? this.page : { id: "s", text: this.text, version: v };
          c.queue.push({ type: "subscribed", doc: m.doc, version: v, snapshot });
        } else if (m.version === v) {
          c.queue.push({ type: "subscribed", doc: m.doc, version: v });
        } else {
          c.queue.push({ type: "subscribed", doc: m.doc, version: v, events: all.slice(m.version - base) });
        }
        return;
      }
      case "submit": {
        const results: OpResult[] = [];
        for (const op of m.ops) {
          const k = this.key(m.doc, c.clientId);
          const isPage = m.doc === this.pageDoc;
          if (op.seq <= (this.highest.get(k) ?? 0)) {
            results.push({ seq: op.seq, status: "committed", version: isPage ? this.pageVersion : this.scriptVersion });
            continue;
          }
          if (isPage && op.page) {
            const r = decidePageOp(this.page, op.page, { newId: () => `srv${++this.ids}` });
            if (!r.ok) {
              results.push({ seq: op.seq, status: "rejected", code: r.code, message: r.message });
              continue;
            }
            const evs: WireEvent[] = [];
            for (const e of r.events) {
              this.page = applyPageEvent(this.page, e);
              const w: WireEvent = { version: this.pageVersion + 1, type: e.type, data: e.data, clientId: c.clientId, seq: op.seq };
              this.pageEvents.push(w);
              evs.push(w);
            }
            this.highest.set(k, op.seq);
            this.broadcast(m.doc, evs);
            results.push({ seq: op.seq, status: "committed", version: this.pageVersion });
          } else {
            let edits: TextOp = op.edits ?? [];
            for (const e of this.scriptEvents.slice(m.baseVersion - 1)) edits = transformTextOp(edits, e.edits ?? [])[0];
            this.highest.set(k, op.seq);
            if (edits.length === 0) {
              results.push({ seq: op.seq, status: "committed", version: this.scriptVersion }); // P15
              continue;
            }
            this.text = applyTextOp(this.text, edits);
            const w: WireEvent = { version: this.scriptVersion + 1, type: "script.text_changed", data: {}, clientId: c.clientId, seq: op.seq, edits };
            this.scriptEvents.push(w);
            this.broadcast(m.doc, [w]);
            results.push({ seq: op.seq, status: "committed", version: this.scriptVersion });
          }
        }
        c.queue.push({ type: "ack", doc: m.doc, results });
        return;
      }
      default:
        return;
    }
  }
}
