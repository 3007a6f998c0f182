// The canvas's store: the page view, the local selection and the others' selections, read by
// each node through a selector of its own, so that a change re-renders only the nodes it touches
// (a remote set_prop on a 2,000-node page re-renders one node, not the page).

import { useCallback, useMemo, useSyncExternalStore } from "react";
import { childrenOf, type Page, type PageNode } from "../editor";

/** A peer's selection as the canvas shows it. */
export interface PeerMark {
  color: string;
  user: string;
}

export class CanvasStore {
  page: Page | null = null;
  selection: ReadonlySet<string> = new Set();
  peerMarks: ReadonlyMap<string, PeerMark> = new Map();
  private readonly listeners = new Set<() => void>();

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  setPage(page: Page | null): void {
    if (page === this.page) return;
    this.page = page;
    this.changed();
  }

  /** Selected ids in selection order (the last one is where a click in the palette inserts). */
  selectionOrder: readonly string[] = [];

  setSelection(ids: readonly string[]): void {
    const uniq = [...new Set(ids)];
    if (uniq.length === this.selectionOrder.length && uniq.every((id, i) => id === this.selectionOrder[i])) return;
    this.selectionOrder = uniq;
    this.selection = new Set(uniq);
    this.changed();
  }

  /** The selection without nodes that are gone (deleted by us or by others). */
  liveSelection(): string[] {
    const page = this.page;
    return page ? this.selectionOrder.filter((id) => page.nodes[id]) : [];
  }

  /** The container a drag in progress would drop into ("" when none). */
  dropParent = "";

  setDropParent(id: string): void {
    if (id === this.dropParent) return;
    this.dropParent = id;
    this.changed();
  }

  setPeerMarks(marks: ReadonlyMap<string, PeerMark>): void {
    this.peerMarks = marks;
    this.changed();
  }

  /** The ids of a node's children in order, as one string (a primitive: equal when unchanged). */
  childKey(id: string): string {
    return this.page ? childrenOf(this.page, id).map((n) => n.id).join("\n") : "";
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

function useStore<T>(store: CanvasStore, read: () => T): T {
  return useSyncExternalStore(store.subscribe, read, read);
}

/** The node (same object while unchanged: pages are immutable and keep unchanged nodes). */
export function useNode(store: CanvasStore, id: string): PageNode | undefined {
  return useStore(store, useCallback(() => store.page?.nodes[id], [store, id]));
}

export function useChildIds(store: CanvasStore, id: string): string[] {
  const key = useStore(store, useCallback(() => store.childKey(id), [store, id]));
  return useMemo(() => (key === "" ? [] : key.split("\n")), [key]);
}

export function useSelected(store: CanvasStore, id: string): boolean {
  return useStore(store, useCallback(() => store.selection.has(id), [store, id]));
}

export function usePeerMark(store: CanvasStore, id: string): PeerMark | undefined {
  return useStore(store, useCallback(() => store.peerMarks.get(id), [store, id]));
}

/** The page view (re-renders on every change: for panels, not for nodes). */
export function usePage(store: CanvasStore): Page | null {
  return useStore(store, useCallback(() => store.page, [store]));
}

/** The live selection, in order (the same array while unchanged). */
export function useSelection(store: CanvasStore): string[] {
  const key = useStore(store, useCallback(() => store.liveSelection().join("\n"), [store]));
  return useMemo(() => (key === "" ? [] : key.split("\n")), [key]);
}

/** The root's id ("" before the page loaded): changes only when the page is replaced. */
export function useRootId(store: CanvasStore): string {
  return useStore(store, useCallback(() => store.page?.rootId ?? "", [store]));
}

export function useIsDropParent(store: CanvasStore, id: string): boolean {
  return useStore(store, useCallback(() => store.dropParent === id, [store, id]));
}
