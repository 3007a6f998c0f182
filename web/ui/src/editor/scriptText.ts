// Script co-editing on the client: text OT in UTF-16 code units compatible with realtime/textot
// (the same Normalize, Transform and Compose, the same tie-break), and the ot.js client state
// machine of docs/protocol.md ("Scripts: OT client"), free of any transport or editor so that a
// Monaco model can be bound to it.

import type { OpResult, TextEdit, WireEvent } from "./types";

/** An op: edits in parallel form (ordered by pos, non-overlapping, positions in the base text). */
export type TextOp = TextEdit[];

export const MAX_EDITS = 10_000;

export class TextOtError extends Error {
  constructor(message: string) {
    super(`invalid text op: ${message}`);
    this.name = "TextOtError";
  }
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Whether unit offset pos of s falls between the two halves of a surrogate pair. */
export function splitsSurrogate(s: string, pos: number): boolean {
  return pos > 0 && pos < s.length && isHigh(s.charCodeAt(pos - 1)) && isLow(s.charCodeAt(pos));
}

/** check mirrors textot Op.check; baseLen < 0 skips the range check. */
function check(op: TextOp, baseLen: number): void {
  let end = 0;
  op.forEach((e, i) => {
    const del = e.delete ?? 0;
    if (!Number.isInteger(e.pos) || e.pos < 0) throw new TextOtError(`edit ${i} has negative or fractional position ${e.pos}`);
    if (!Number.isInteger(del) || del < 0) throw new TextOtError(`edit ${i} deletes ${del} units`);
    if (e.pos < end) throw new TextOtError(`edit ${i} at ${e.pos} is out of order or overlaps the edit before it (which ends at ${end})`);
    if (baseLen >= 0 && (e.pos > baseLen || del > baseLen - e.pos)) {
      throw new TextOtError(`edit ${i} [${e.pos},+${del}) is out of range (text is ${baseLen} UTF-16 units)`);
    }
    end = e.pos + del;
  });
}

/** Throws TextOtError unless op fits a base text of baseLen units (and has at most MAX_EDITS edits). */
export function validateTextOp(op: TextOp, baseLen: number): void {
  if (op.length > MAX_EDITS) throw new TextOtError(`${op.length} edits, at most ${MAX_EDITS} allowed`);
  check(op, baseLen);
}

/** Assembles a normalized op from a left-to-right walk over the base text. */
class Builder {
  private out: TextOp = [];
  private pos = 0;
  private cur: { pos: number; del: number; ins: string[] } | null = null;

  retain(n: number): void {
    if (n > 0) {
      this.flush();
      this.pos += n;
    }
  }
  insert(s: string): void {
    if (s !== "") this.start().ins.push(s);
  }
  delete(n: number): void {
    if (n > 0) {
      this.start().del += n;
      this.pos += n;
    }
  }
  private start() {
    if (!this.cur) this.cur = { pos: this.pos, del: 0, ins: [] };
    return this.cur;
  }
  private flush(): void {
    if (!this.cur) return;
    const e: TextEdit = { pos: this.cur.pos };
    if (this.cur.del > 0) e.delete = this.cur.del;
    const ins = this.cur.ins.join("");
    if (ins !== "") e.insert = ins;
    this.out.push(e);
    this.cur = null;
  }
  done(): TextOp {
    this.flush();
    return this.out;
  }
}

/** op without no-op edits and with touching edits merged; [] when nothing is left. */
export function normalizeTextOp(op: TextOp): TextOp {
  const b = new Builder();
  let pos = 0;
  for (const e of op) {
    b.retain(e.pos - pos);
    b.insert(e.insert ?? "");
    b.delete(e.delete ?? 0);
    pos = e.pos + (e.delete ?? 0);
  }
  return b.done();
}

/** Applies op to text; throws TextOtError when it does not fit or splits a surrogate pair. */
export function applyTextOp(text: string, op: TextOp): string {
  check(op, text.length);
  const parts: string[] = [];
  let copied = 0;
  op.forEach((e, i) => {
    const end = e.pos + (e.delete ?? 0);
    if (splitsSurrogate(text, e.pos)) throw new TextOtError(`edit ${i}: position ${e.pos} is inside a surrogate pair`);
    if (splitsSurrogate(text, end)) throw new TextOtError(`edit ${i}: position ${end} is inside a surrogate pair`);
    parts.push(text.slice(copied, e.pos), e.insert ?? "");
    copied = end;
  });
  parts.push(text.slice(copied));
  return parts.join("");
}

const RETAIN = 0;
const INSERT = 1;
const DELETE = 2;
type Comp = { kind: typeof RETAIN | typeof INSERT | typeof DELETE; n: number; s: string };

/** Reads an op as components; past the end it is an endless retain (as in textot). */
class Reader {
  private comps: Comp[] = [];
  private i = 0;
  head: Comp = { kind: RETAIN, n: 0, s: "" };
  ok = false;

  constructor(op: TextOp) {
    let at = 0;
    for (const e of normalizeTextOp(op)) {
      if (e.pos > at) this.comps.push({ kind: RETAIN, n: e.pos - at, s: "" });
      if (e.insert) this.comps.push({ kind: INSERT, n: e.insert.length, s: e.insert });
      if (e.delete) this.comps.push({ kind: DELETE, n: e.delete, s: "" });
      at = e.pos + (e.delete ?? 0);
    }
    this.next();
  }
  next(): void {
    this.ok = this.i < this.comps.length;
    if (this.ok) this.head = { ...this.comps[this.i++]! };
  }
  kind(): Comp["kind"] {
    return this.ok ? this.head.kind : RETAIN;
  }
  skip(n: number): void {
    if (!this.ok) return;
    if (this.head.n <= n) {
      this.next();
      return;
    }
    if (this.head.kind === INSERT) this.head.s = this.head.s.slice(n);
    this.head.n -= n;
  }
}

function minLen(a: Reader, b: Reader): number {
  if (!a.ok) return b.head.n;
  if (!b.ok) return a.head.n;
  return Math.min(a.head.n, b.head.n);
}

/**
 * Transforms two ops on the same text: returns [aPrime, bPrime] with
 * apply(apply(S, b), aPrime) === apply(apply(S, a), bPrime). b is the op committed first: at the
 * same position its insert comes first (as textot.Transform and the server).
 */
export function transformTextOp(a: TextOp, b: TextOp): [TextOp, TextOp] {
  const ra = new Reader(a);
  const rb = new Reader(b);
  const ap = new Builder();
  const bp = new Builder();
  while (ra.ok || rb.ok) {
    if (rb.ok && rb.head.kind === INSERT) {
      ap.retain(rb.head.n);
      bp.insert(rb.head.s);
      rb.next();
      continue;
    }
    if (ra.ok && ra.head.kind === INSERT) {
      bp.retain(ra.head.n);
      ap.insert(ra.head.s);
      ra.next();
      continue;
    }
    const n = minLen(ra, rb);
    const ka = ra.kind();
    const kb = rb.kind();
    if (ka === RETAIN && kb === RETAIN) {
      ap.retain(n);
      bp.retain(n);
    } else if (ka === DELETE && kb === RETAIN) {
      ap.delete(n);
    } else if (ka === RETAIN && kb === DELETE) {
      bp.delete(n);
    }
    ra.skip(n);
    rb.skip(n);
  }
  return [ap.done(), bp.done()];
}

/** One op on a's base text with the effect of a then b (b's positions are in a's result). */
export function composeTextOp(a: TextOp, b: TextOp): TextOp {
  check(a, -1);
  check(b, -1);
  const ra = new Reader(a);
  const rb = new Reader(b);
  const out = new Builder();
  while (ra.ok || rb.ok) {
    if (ra.ok && ra.head.kind === DELETE) {
      out.delete(ra.head.n);
      ra.next();
      continue;
    }
    if (rb.ok && rb.head.kind === INSERT) {
      out.insert(rb.head.s);
      rb.next();
      continue;
    }
    const n = minLen(ra, rb);
    const ka = ra.kind();
    const kb = rb.kind();
    if (ka === RETAIN && kb === RETAIN) out.retain(n);
    else if (ka === RETAIN && kb === DELETE) out.delete(n);
    else if (ka === INSERT) {
      if (splitsSurrogate(ra.head.s, n)) throw new TextOtError("compose: the second op splits a surrogate pair the first inserts");
      if (kb === RETAIN) out.insert(ra.head.s.slice(0, n));
    }
    ra.skip(n);
    rb.skip(n);
  }
  return out.done();
}

/** Whether an op changes nothing. */
export function isNoop(op: TextOp): boolean {
  return normalizeTextOp(op).length === 0;
}

/** A Monaco content change (IModelContentChange): offsets in UTF-16 units of the text before. */
export interface RangeChange {
  rangeOffset: number;
  rangeLength: number;
  text: string;
}

/** The op of one Monaco change event: its changes sorted into parallel form. */
export function opFromChanges(changes: readonly RangeChange[]): TextOp {
  const sorted = [...changes].sort((x, y) => x.rangeOffset - y.rangeOffset);
  const op: TextOp = sorted.map((c) => {
    const e: TextEdit = { pos: c.rangeOffset };
    if (c.rangeLength > 0) e.delete = c.rangeLength;
    if (c.text !== "") e.insert = c.text;
    return e;
  });
  return normalizeTextOp(op);
}

/** The ranges of an op for an editor that applies edits given against the text before (Monaco's
 * pushEditOperations / applyEdits): [start, end) offsets and the replacement. */
export function changesFromOp(op: TextOp): { start: number; end: number; text: string }[] {
  return normalizeTextOp(op).map((e) => ({ start: e.pos, end: e.pos + (e.delete ?? 0), text: e.insert ?? "" }));
}

/** The op turning a into b (one replacement of the differing middle; never splits a pair). */
export function diffText(a: string, b: string): TextOp {
  if (a === b) return [];
  let start = 0;
  while (start < a.length && start < b.length && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  if (splitsSurrogate(a, start) || splitsSurrogate(b, start)) start--;
  if (splitsSurrogate(a, endA) || splitsSurrogate(b, endB)) {
    endA++;
    endB++;
  }
  return normalizeTextOp([{ pos: start, delete: endA - start, insert: b.slice(start, endB) }]);
}

// ---- OT client state machine -------------------------------------------------------------------------

export const ScriptSyncState = {
  Synchronized: "synchronized",
  AwaitingConfirm: "awaiting_confirm",
  AwaitingWithBuffer: "awaiting_with_buffer",
} as const;
export type ScriptSyncState = (typeof ScriptSyncState)[keyof typeof ScriptSyncState];

export interface ScriptClientHooks {
  /** Sends one op (a submit of exactly one op, P18). */
  send(op: TextOp, seq: number, baseVersion: number): void;
  /** The next seq of the client instance (shared by every document, P11). */
  nextSeq(): number;
  /** Asks for a fresh subscription (after base_too_old, future_version, or a dropped edit). */
  resubscribe(): void;
}

/** Why local edits were dropped or refused, in words for people. */
export interface ScriptRejection {
  seq: number;
  code: string;
  message: string;
}

/**
 * The ot.js client of one script: the confirmed version, the local text, the op in flight and the
 * buffer, as in docs/protocol.md. Feed it local edits (applyLocal), server events (applyEvent),
 * acks (applyAck) and snapshots (load); it calls hooks.send when an op goes out and returns the op
 * to apply to the editor for remote changes.
 */
export class ScriptClient {
  text = "";
  version = 0;
  loaded = false;
  outstanding: { seq: number; op: TextOp } | null = null;
  buffer: TextOp | null = null;

  constructor(
    private readonly clientId: string,
    private readonly hooks: ScriptClientHooks,
  ) {}

  get state(): ScriptSyncState {
    if (!this.outstanding) return ScriptSyncState.Synchronized;
    return this.buffer ? ScriptSyncState.AwaitingWithBuffer : ScriptSyncState.AwaitingConfirm;
  }

  /**
   * Takes a snapshot. Unconfirmed edits cannot be rebased onto it (the history they are based on
   * may be gone): they are dropped, and the returned rejection says so (null when none were).
   * The returned op turns the old local text into the snapshot's, for the editor.
   */
  load(text: string, version: number): { change: TextOp; dropped: ScriptRejection | null } {
    const hadPending = this.outstanding !== null || this.buffer !== null;
    const seq = this.outstanding?.seq ?? 0;
    const change = diffText(this.text, text);
    this.text = text;
    this.version = version;
    this.loaded = true;
    this.outstanding = null;
    this.buffer = null;
    return {
      change,
      dropped: hadPending
        ? { seq, code: "snapshot", message: "The script was reloaded from the server; your latest unsaved edits could not be merged and were dropped." }
        : null,
    };
  }

  /** A local edit (against the local text). Throws TextOtError when it does not fit. */
  applyLocal(op: TextOp): void {
    const text = applyTextOp(this.text, op);
    const norm = normalizeTextOp(op);
    if (norm.length === 0) return;
    if (!this.outstanding) {
      this.outstanding = { seq: this.hooks.nextSeq(), op: norm };
      this.hooks.send(norm, this.outstanding.seq, this.version);
    } else {
      this.buffer = this.buffer ? composeTextOp(this.buffer, norm) : norm;
    }
    this.text = text;
  }

  /**
   * A committed event at version this.version + 1 (the caller orders and dedupes versions). Returns
   * the op to apply to the editor's text ([] when nothing changes locally).
   */
  applyEvent(ev: WireEvent): TextOp {
    this.version = ev.version;
    const own = ev.clientId === this.clientId && (ev.seq ?? 0) > 0;
    if (own && this.outstanding && ev.seq === this.outstanding.seq) {
      this.confirm();
      return [];
    }
    let theirs: TextOp = ev.edits ?? [];
    if (theirs.length === 0) return [];
    if (this.outstanding) {
      const [o, x] = transformTextOp(this.outstanding.op, theirs);
      this.outstanding.op = o;
      theirs = x;
    }
    if (this.buffer) {
      const [b, x] = transformTextOp(this.buffer, theirs);
      this.buffer = b;
      theirs = x;
    }
    this.text = applyTextOp(this.text, theirs);
    return theirs;
  }

  /**
   * An ack result. Returns a rejection to show, or null. After a refusal the local edits are
   * dropped (the caller resubscribes and loads the server's text) except for unavailable, which
   * resends with the same seq.
   */
  applyAck(r: OpResult): ScriptRejection | null {
    if (!this.outstanding || r.seq !== this.outstanding.seq) return null;
    if (r.status === "committed") {
      // Committed without an own event before it: the op changed nothing (P15).
      this.confirm();
      return null;
    }
    if (r.code === "unavailable") {
      this.hooks.send(this.outstanding.op, this.outstanding.seq, this.version);
      return null;
    }
    const rej = { seq: r.seq, code: r.code ?? "rejected", message: r.message ?? "The server refused the edit." };
    this.outstanding = null;
    this.buffer = null;
    this.hooks.resubscribe();
    return rej;
  }

  /** After a reconnect caught up with events: resend the op in flight with its seq. */
  resubmit(): void {
    if (this.outstanding) this.hooks.send(this.outstanding.op, this.outstanding.seq, this.version);
  }

  private confirm(): void {
    this.outstanding = null;
    if (this.buffer) {
      const b = this.buffer;
      this.buffer = null;
      this.outstanding = { seq: this.hooks.nextSeq(), op: b };
      this.hooks.send(b, this.outstanding.seq, this.version);
    }
  }
}
