// The canvas's edit commands on a selection, as page ops: delete, duplicate, copy and paste.

import {
  applyPageOp,
  duplicateOps,
  indexAt,
  isInSubtree,
  subtreeInsertOps,
  type DecideContext,
  type Manifest,
  type Page,
  type PageOp,
} from "../editor";
import type { DropTarget } from "./drop";

/** The selected nodes that are not the root nor inside another selected node, in selection order. */
export function topLevel(page: Page, ids: readonly string[]): string[] {
  const live = ids.filter((id) => page.nodes[id] && id !== page.rootId);
  return live.filter((id) => !live.some((other) => other !== id && isInSubtree(page, other, id)));
}

export function deleteOps(page: Page, ids: readonly string[]): PageOp[] {
  return topLevel(page, ids).map((nodeId) => ({ op: "delete_node", nodeId }));
}

/** Duplicates each selected subtree after itself; returns the ops and the copies' root ids. */
export function duplicateSelection(page: Page, ids: readonly string[], newId: () => string, catalog?: ReadonlyMap<string, Manifest>): { ops: PageOp[]; roots: string[] } {
  const ops: PageOp[] = [];
  const roots: string[] = [];
  for (const id of topLevel(page, ids)) {
    const d = duplicateOps(page, id, newId, catalog);
    if (d.ops.length === 0) continue;
    ops.push(...d.ops);
    roots.push(d.rootId);
  }
  return { ops, roots };
}

/** What copy keeps in memory: the page as it was and the copied subtrees' roots. */
export interface Clipboard {
  page: Page;
  ids: string[];
}

/**
 * The ops that paste the clipboard's subtrees at target (in order, each after the previous), with
 * fresh ids; returns them and the pasted roots.
 */
export function pasteOps(
  clip: Clipboard,
  page: Page,
  target: DropTarget,
  newId: () => string,
  ctx: DecideContext,
  catalog?: ReadonlyMap<string, Manifest>,
): { ops: PageOp[]; roots: string[] } {
  const ops: PageOp[] = [];
  const roots: string[] = [];
  let cur = page;
  let position = target.position;
  for (const id of clip.ids) {
    if (!clip.page.nodes[id]) continue;
    const ids = new Map<string, string>();
    const idFor = (old: string) => {
      let v = ids.get(old);
      if (v === undefined) {
        v = newId();
        ids.set(old, v);
      }
      return v;
    };
    const opts = { idFor, parentId: target.parentId, index: indexAt(cur, target.parentId, position), ...(catalog ? { catalog } : {}) };
    const list = subtreeInsertOps(clip.page, id, opts);
    // Applied locally so that the next subtree's index comes after this one.
    for (const op of list) cur = applyPageOp(cur, op, ctx).page;
    ops.push(...list);
    roots.push(idFor(id));
    position++;
  }
  return { ops, roots };
}
