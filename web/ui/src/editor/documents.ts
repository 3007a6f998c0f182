// The documents of an EditorSession: a page (optimistic view over the confirmed page and the
// pending ops) and a script (the ot.js client), with what both share (version, stash, presence).

import { applyPageEvent, applyPageOp, normalizePage, type DecideContext } from "./page";
import { presenceJson, type Peer, type PresenceState } from "./presence";
import { describeRejection, type Rejection } from "./rejection";
import { ScriptClient, type ScriptRejection, type TextOp } from "./scriptText";
import type { EditorSession } from "./session";
import { MAX_OPS_PER_SUBMIT, type OpResult, type Page, type PageOp, type Script, type TextEdit, type WireEvent } from "./types";

export type Inbound = { events: WireEvent[] } | { ack: OpResult[] };

/** State shared by page and script documents. */
export abstract class DocBase {
  version = 0;
  loaded = false;
  awaiting = false;
  stash: Inbound[] = [];
  others = new Map<string, Peer>();
  me: PresenceState | null = null;
  /** Why the server refused the subscription (forbidden, unknown_doc), if it did. */
  error: { code: string; message: string } | null = null;

  constructor(
    protected readonly s: EditorSession,
    readonly doc: string,
  ) {}

  /** The other clients here, by client id. */
  get peers(): ReadonlyMap<string, Peer> {
    return this.others;
  }

  /** Shares this client's selection (and open script, cursor) with the others. */
  setPresence(state: PresenceState): void {
    this.me = state;
    this.s.sendIfReady({ type: "presence", doc: this.doc, state: presenceJson(state) });
  }

  /** Clears this client's presence (others stop showing it). */
  clearPresence(): void {
    this.me = null;
    this.s.sendIfReady({ type: "presence", doc: this.doc });
  }

  abstract load(version: number, snapshot: unknown): void;
  abstract apply(ev: WireEvent): void;
  abstract acked(results: OpResult[]): void;
  abstract resubmit(): void;
  abstract subscribeVersion(): number;
}

interface PendingOp {
  seq: number;
  op: PageOp;
  /** The connection it was last sent on (0: not sent). */
  epoch: number;
}

/** An open page: confirmed state from the server, pending local ops, the optimistic view. */
export class PageDocument extends DocBase {
  confirmed: Page | null = null;
  pending: PendingOp[] = [];
  rejections: Rejection[] = [];
  private cachedView: Page | null = null;

  /** What the user sees: confirmed with the pending ops applied (null before it loaded). */
  get view(): Page | null {
    if (!this.confirmed) return null;
    if (!this.cachedView) {
      let p = this.confirmed;
      for (const o of this.pending) p = applyPageOp(p, o.op, this.s.decideContext(o.seq)).page;
      this.cachedView = p;
    }
    return this.cachedView;
  }

  /** The seqs of ops not settled yet. */
  get pendingSeqs(): number[] {
    return this.pending.map((o) => o.seq);
  }

  /** Fills in what the server would otherwise choose and the client needs to know (node ids). */
  prepare(op: PageOp): PageOp {
    if (op.op === "insert_node" && !op.nodeId) return { ...op, nodeId: this.s.newId() };
    return op;
  }

  /**
   * Applies ops to the view at once and sends them in one submit (when connected; otherwise they
   * go after the reconnect). Returns the ops as submitted (inserts with their nodeId) and seqs.
   */
  submit(ops: PageOp | readonly PageOp[]): { seq: number; op: PageOp }[] {
    const list = (Array.isArray(ops) ? ops : [ops]) as readonly PageOp[];
    const out = list.map((op) => ({ seq: this.s.nextSeq(), op: this.prepare(op), epoch: 0 }));
    if (out.length === 0) return [];
    this.pending.push(...out);
    if (this.cachedView) {
      let p = this.cachedView;
      for (const o of out) p = applyPageOp(p, o.op, this.s.decideContext(o.seq)).page;
      this.cachedView = p;
    }
    this.send(out);
    this.s.emit({ type: "change", doc: this.doc });
    return out.map(({ seq, op }) => ({ seq, op }));
  }

  /** The decide context of a future local op (for simulations such as undo's). */
  decideContext(): DecideContext {
    return this.s.decideContext(0);
  }

  private send(ops: PendingOp[]): void {
    if (!this.s.canSend(this)) return;
    for (let i = 0; i < ops.length; i += MAX_OPS_PER_SUBMIT) {
      const chunk = ops.slice(i, i + MAX_OPS_PER_SUBMIT);
      for (const o of chunk) o.epoch = this.s.epoch;
      this.s.sendIfReady({ type: "submit", doc: this.doc, baseVersion: this.version, ops: chunk.map((o) => ({ seq: o.seq, page: o.op })) });
    }
  }

  load(version: number, snapshot: unknown): void {
    this.confirmed = normalizePage(snapshot, version);
    this.version = version;
    this.cachedView = null;
  }

  apply(ev: WireEvent): void {
    if (!this.confirmed) return;
    this.confirmed = { ...applyPageEvent(this.confirmed, { type: ev.type, data: ev.data }), version: ev.version };
    this.cachedView = null;
    if (ev.clientId === this.s.clientId && (ev.seq ?? 0) > 0) this.drop(ev.seq ?? 0);
  }

  private drop(seq: number): PendingOp | null {
    const i = this.pending.findIndex((o) => o.seq === seq);
    if (i < 0) return null;
    const [o] = this.pending.splice(i, 1);
    this.cachedView = null;
    return o ?? null;
  }

  acked(results: OpResult[]): void {
    for (const r of results) {
      const o = this.drop(r.seq);
      if (!o || r.status !== "rejected") continue;
      if (r.code === "unavailable") {
        // Not decided (P17): resend with the same seq.
        this.pending.push(o);
        this.pending.sort((a, b) => a.seq - b.seq);
        this.cachedView = null;
        this.send([o]);
        continue;
      }
      const rej: Rejection = {
        doc: this.doc,
        seq: r.seq,
        code: r.code ?? "rejected",
        message: describeRejection(r.code ?? "", r.message ?? "", o.op),
        serverMessage: r.message ?? "",
        op: o.op,
      };
      if (r.path !== undefined) rej.path = r.path;
      this.rejections.push(rej);
      this.s.emit({ type: "rejected", rejection: rej });
    }
  }

  resubmit(): void {
    this.send(this.pending.filter((o) => o.epoch !== this.s.epoch));
  }

  subscribeVersion(): number {
    return this.version;
  }
}

/** An open script: the OT client and the confirmed metadata. */
export class ScriptDocument extends DocBase {
  readonly client: ScriptClient;
  meta: Omit<Script, "text"> | null = null;
  rejections: Rejection[] = [];
  private sentEpoch = 0;
  private needSnapshot = false;

  constructor(s: EditorSession, doc: string) {
    super(s, doc);
    this.client = new ScriptClient(s.clientId, {
      nextSeq: () => s.nextSeq(),
      send: (op, seq, baseVersion) => {
        if (!s.canSend(this)) return;
        this.sentEpoch = s.epoch;
        s.sendIfReady({ type: "submit", doc, baseVersion, ops: [{ seq, edits: op as TextEdit[] }] });
      },
      resubscribe: () => {
        this.needSnapshot = true;
        s.resubscribe(this, 0);
      },
    });
  }

  /** The local text (with unconfirmed edits). */
  get text(): string {
    return this.client.text;
  }

  /** A local edit in UTF-16 units against the local text (from opFromChanges for Monaco). */
  edit(op: TextOp): void {
    if (!this.loaded) throw new Error(`${this.doc} is not loaded yet`);
    this.client.applyLocal(op);
    this.s.emit({ type: "change", doc: this.doc });
  }

  load(version: number, snapshot: unknown): void {
    const sc = (typeof snapshot === "object" && snapshot !== null ? snapshot : {}) as Partial<Script>;
    const { change, dropped } = this.client.load(typeof sc.text === "string" ? sc.text : "", version);
    this.meta = {
      id: sc.id ?? "",
      appId: sc.appId ?? "",
      name: sc.name ?? "",
      kind: sc.kind ?? "event_handler",
      language: sc.language ?? "js",
      deleted: sc.deleted === true,
      version,
    };
    if (sc.replayError) this.meta.replayError = sc.replayError;
    this.version = version;
    this.needSnapshot = false;
    if (change.length > 0) this.s.emit({ type: "remote_text", doc: this.doc, op: change });
    if (dropped) this.reject(dropped);
  }

  apply(ev: WireEvent): void {
    const op = this.client.applyEvent(ev);
    this.version = ev.version;
    if (this.meta) {
      const d = (typeof ev.data === "object" && ev.data !== null ? ev.data : {}) as { name?: unknown };
      if (ev.type === "script.renamed" && typeof d.name === "string") this.meta = { ...this.meta, name: d.name };
      if (ev.type === "script.deleted") this.meta = { ...this.meta, deleted: true };
      this.meta = { ...this.meta, version: ev.version };
    }
    if (op.length > 0) this.s.emit({ type: "remote_text", doc: this.doc, op });
  }

  acked(results: OpResult[]): void {
    for (const r of results) {
      const rej = this.client.applyAck(r);
      if (rej) this.reject(rej);
    }
  }

  private reject(r: ScriptRejection): void {
    const rej: Rejection = { doc: this.doc, seq: r.seq, code: r.code, message: describeRejection(r.code, r.message), serverMessage: r.message };
    if (r.code === "snapshot") rej.message = r.message;
    this.rejections.push(rej);
    this.s.emit({ type: "rejected", rejection: rej });
  }

  resubmit(): void {
    if (this.sentEpoch !== this.s.epoch) this.client.resubmit();
  }

  subscribeVersion(): number {
    return this.needSnapshot ? 0 : this.version;
  }
}
