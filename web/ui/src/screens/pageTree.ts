import type { PageTreeNode } from "../api/types";
import { keyBetween } from "../editor/fracindex";

/** The node of pageId anywhere in the tree. */
export function findPage(pages: PageTreeNode[], pageId: string): PageTreeNode | undefined {
  for (const p of pages) {
    if (p.pageId === pageId) return p;
    const found = findPage(p.children, pageId);
    if (found) return found;
  }
  return undefined;
}

/** The number of pages in the tree. */
export function countPages(pages: PageTreeNode[]): number {
  return pages.reduce((n, p) => n + 1 + countPages(p.children), 0);
}

/** Where a page sits: its parent (undefined at the top level), its siblings in order, and its position among them. */
export interface PagePlace {
  parent: PageTreeNode | undefined;
  siblings: PageTreeNode[];
  position: number;
}

/** The place of pageId in the tree, or undefined when it is not in it. */
export function locatePage(pages: PageTreeNode[], pageId: string, parent?: PageTreeNode): PagePlace | undefined {
  const position = pages.findIndex((p) => p.pageId === pageId);
  if (position >= 0) return { parent, siblings: pages, position };
  for (const p of pages) {
    const found = locatePage(p.children, pageId, p);
    if (found) return found;
  }
  return undefined;
}

export const moveDirections = ["up", "down", "indent", "outdent"] as const;
export type MoveDirection = (typeof moveDirections)[number];

/** The body of a move: the new parent ("" for the top level) and the fractional index among its children. */
export interface PageMove {
  parentId: string;
  index: string;
}

/**
 * The parent and index that move pageId one step in direction, or undefined when it cannot go
 * that way (already first, last, at the top level, or with no previous sibling to go under).
 * The index is keyed between the new neighbours, so no other page has to move. Siblings come
 * from the server in index order with distinct keys; keyBetween throws if they do not.
 */
export function computeMove(pages: PageTreeNode[], pageId: string, direction: MoveDirection): PageMove | undefined {
  const place = locatePage(pages, pageId);
  if (!place) return undefined;
  const { parent, siblings, position } = place;
  const parentId = parent?.pageId ?? "";
  const key = (i: number) => siblings[i]?.index ?? "";
  switch (direction) {
    case "up":
      if (position === 0) return undefined;
      return { parentId, index: keyBetween(key(position - 2), key(position - 1)) };
    case "down":
      if (position === siblings.length - 1) return undefined;
      return { parentId, index: keyBetween(key(position + 1), key(position + 2)) };
    case "indent": {
      // Under the previous sibling, as its last child.
      const prev = siblings[position - 1];
      if (!prev) return undefined;
      const last = prev.children[prev.children.length - 1];
      return { parentId: prev.pageId, index: keyBetween(last?.index ?? "", "") };
    }
    case "outdent": {
      // Next to the parent, right after it.
      if (!parent) return undefined;
      const outer = locatePage(pages, parent.pageId);
      if (!outer) return undefined;
      const after = outer.siblings[outer.position + 1];
      return { parentId: outer.parent?.pageId ?? "", index: keyBetween(parent.index, after?.index ?? "") };
    }
  }
}

/**
 * The parent and index that a drag of activeId dropped on overId makes: next to overId, under
 * its parent; after it when the drag goes down its own sibling list, before it otherwise. It is
 * undefined when there is nothing to do. A drop inside the page's own subtree is returned as is:
 * the server refuses the cycle and says so.
 */
export function computeDrop(pages: PageTreeNode[], activeId: string, overId: string): PageMove | undefined {
  if (activeId === overId) return undefined;
  const active = locatePage(pages, activeId);
  const over = locatePage(pages, overId);
  if (!active || !over) return undefined;
  const parentId = over.parent?.pageId ?? "";
  const key = (i: number) => over.siblings[i]?.index ?? "";
  const down = active.siblings === over.siblings && active.position < over.position;
  return down
    ? { parentId, index: keyBetween(key(over.position), key(over.position + 1)) }
    : { parentId, index: keyBetween(key(over.position - 1), key(over.position)) };
}
