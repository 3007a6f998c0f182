import type { PageTreeNode } from "../api/types";

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
