// Undo and redo of one's own page ops. Each local change records its inverse, computed against
// the optimistic view just before it; undo submits the inverse as new ops (so it is one more edit
// others see, and others' edits of other things stay), and records the inverse of that for redo.

import { applyPageOp, joinPropPath, splitPropPath, styleKey, subtreeInsertOps, type DecideContext } from "./page";
import type { JsonValue, Page, PageOp } from "./types";

/**
 * The set_prop that undoes a set at path: the old value when the path existed, the removal of the
 * first level the set created when it did not, and the whole old prop when an array element is
 * removed or appended (setting an index replaces, it cannot re-insert).
 */
function propInverse(nodeId: string, props: Record<string, JsonValue>, path: string, removing: boolean): PageOp {
  const segs = splitPropPath(path) ?? [path];
  const top = segs[0] ?? path;
  const whole: PageOp = { op: "set_prop", nodeId, path: joinPropPath([top]), value: props[top] ?? null };
  let cur: JsonValue | undefined = props[top];
  if (cur === undefined) return whole;
  for (let i = 1; i < segs.length; i++) {
    const seg = segs[i]!;
    let next: JsonValue | undefined;
    if (Array.isArray(cur)) {
      const idx: number = seg === "-" ? cur.length : Number(seg);
      if (idx >= cur.length || (removing && i === segs.length - 1)) return whole;
      next = cur[idx];
    } else if (typeof cur === "object" && cur !== null) {
      next = cur[seg];
    } else {
      return whole;
    }
    if (next === undefined) return { op: "set_prop", nodeId, path: joinPropPath(segs.slice(0, i + 1)), value: null };
    cur = next;
  }
  return { op: "set_prop", nodeId, path: joinPropPath(segs), value: cur };
}

/** What the undo manager edits: a PageDocument satisfies it. */
export interface UndoTarget {
  readonly view: Page | null;
  /** Fills in the node id of an insert_node without one. */
  prepare(op: PageOp): PageOp;
  decideContext(): DecideContext;
  submit(ops: readonly PageOp[]): unknown;
}

/**
 * The ops that undo op, computed against page (the state just before op). Null when op would not
 * apply to page (nothing to undo).
 */
export function inverseOps(page: Page, op: PageOp, ctx: DecideContext): PageOp[] | null {
  const r = applyPageOp(page, op, ctx);
  if (!r.result.ok) return null;
  switch (op.op) {
    case "insert_node": {
      const ev = r.result.events[0];
      const id = ev?.type === "page.node_inserted" ? ev.data.nodes[0]?.id : undefined;
      return id ? [{ op: "delete_node", nodeId: id }] : null;
    }
    case "delete_node": {
      const opts = ctx.catalog ? { catalog: ctx.catalog } : {};
      return subtreeInsertOps(page, op.nodeId, opts);
    }
    case "move_node": {
      const n = page.nodes[op.nodeId];
      return n ? [{ op: "move_node", nodeId: n.id, parentId: n.parentId, index: n.index }] : null;
    }
    case "set_prop": {
      const n = page.nodes[op.nodeId];
      return n ? [propInverse(n.id, n.props, op.path, op.value === null)] : null;
    }
    case "set_style": {
      const n = page.nodes[op.nodeId];
      if (!n) return null;
      const key = styleKey(op.path);
      const old = n.styles[key];
      return [{ op: "set_style", nodeId: n.id, path: key, value: typeof old === "string" || typeof old === "number" ? old : null }];
    }
    case "bind_event":
    case "unbind_event": {
      const n = page.nodes[op.nodeId];
      if (!n) return null;
      const old = n.events[op.event];
      return old ? [{ op: "bind_event", nodeId: n.id, event: op.event, binding: old }] : [{ op: "unbind_event", nodeId: n.id, event: op.event }];
    }
    case "set_page_state":
      return [{ op: "set_page_state", initialState: page.initialState ?? {}, reducerScriptId: page.reducerScriptId }];
    case "rename_page":
      return [{ op: "rename_page", name: page.name }];
  }
}

interface Entry {
  ops: PageOp[];
  /** Consecutive changes with the same key are one undo step (typing in one field). */
  mergeKey?: string;
}

export interface UndoOptions {
  /** How many steps are kept; default 200. */
  limit?: number;
}

/** Undo and redo stacks of one client's page changes. */
export class UndoManager {
  private undoStack: Entry[] = [];
  private redoStack: Entry[] = [];
  private readonly limit: number;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly target: UndoTarget,
    opts: UndoOptions = {},
  ) {
    this.limit = opts.limit ?? 200;
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }
  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** Called when canUndo or canRedo may have changed; returns the unsubscribe function. */
  subscribe(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /**
   * Submits ops as one undoable step (a drag, a paste, one field edit). With mergeKey, a step
   * following another with the same key joins it: undo then goes back to before the first.
   * Returns the ops as submitted (inserts with their node ids).
   */
  apply(ops: PageOp | readonly PageOp[], mergeKey?: string): PageOp[] {
    const list = Array.isArray(ops) ? (ops as readonly PageOp[]) : [ops as PageOp];
    const { submitted, inverse } = this.run(list, true);
    if (inverse.length > 0) {
      const top = this.undoStack[this.undoStack.length - 1];
      if (mergeKey !== undefined && top && top.mergeKey === mergeKey) {
        // The older inverse restores the state before the first change: keep it last.
        top.ops = [...inverse, ...top.ops];
      } else {
        const e: Entry = { ops: inverse };
        if (mergeKey !== undefined) e.mergeKey = mergeKey;
        this.push(this.undoStack, e);
      }
      this.redoStack = [];
      this.changed();
    }
    return submitted;
  }

  /** Undoes the last step; false when there is none. */
  undo(): boolean {
    return this.step(this.undoStack, this.redoStack);
  }

  /** Redoes the last undone step; false when there is none. */
  redo(): boolean {
    return this.step(this.redoStack, this.undoStack);
  }

  /** Ends merging: the next change is a step of its own even with the same key. */
  seal(): void {
    const top = this.undoStack[this.undoStack.length - 1];
    if (top) delete top.mergeKey;
  }

  clear(): void {
    this.undoStack = [];
    this.redoStack = [];
    this.changed();
  }

  private step(from: Entry[], to: Entry[]): boolean {
    // Steps that no longer apply (their nodes are gone) are skipped rather than stalling.
    for (let e = from.pop(); e; e = from.pop()) {
      const { inverse } = this.run(e.ops, false);
      if (inverse.length === 0) continue;
      this.push(to, { ops: inverse });
      this.changed();
      return true;
    }
    this.changed();
    return false;
  }

  /**
   * Submits ops, returning them and the inverse of the ones that apply, in undo order. An op the
   * view refuses is still sent when sendRefused (the server decides; it may know more), never
   * recorded.
   */
  private run(ops: readonly PageOp[], sendRefused: boolean): { submitted: PageOp[]; inverse: PageOp[] } {
    let page = this.target.view;
    if (!page) return { submitted: [], inverse: [] };
    const ctx = this.target.decideContext();
    const submitted: PageOp[] = [];
    let inverse: PageOp[] = [];
    for (const raw of ops) {
      const op = this.target.prepare(raw);
      const inv = inverseOps(page, op, ctx);
      if (!inv) {
        if (sendRefused) submitted.push(op);
        continue;
      }
      submitted.push(op);
      inverse = [...inv, ...inverse];
      page = applyPageOp(page, op, ctx).page;
    }
    if (submitted.length > 0) this.target.submit(submitted);
    return { submitted, inverse };
  }

  private push(stack: Entry[], e: Entry): void {
    stack.push(e);
    if (stack.length > this.limit) stack.splice(0, stack.length - this.limit);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
