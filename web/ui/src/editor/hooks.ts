// React bindings of the editor core: each hook subscribes to the session (or undo manager) and
// re-renders when what it reads changes. Snapshots are immutable objects, so components can
// memoize on them.

import { useEffect, useMemo, useRef, useSyncExternalStore } from "react";
import type { Peer } from "./presence";
import type { ConnectionStatus, EditorSession, Rejection, SessionEvent } from "./session";
import type { Page } from "./types";
import type { UndoManager } from "./undo";

function useSessionStore<T>(session: EditorSession, key: string, relevant: (e: SessionEvent) => boolean, read: () => T): T {
  // One store per session and key: relevant and read depend on nothing else. The snapshot is read
  // from the session on every check (an event between the first render and the subscription must
  // not leave a stale value) and keeps its identity while the value is unchanged.
  const store = useMemo(() => {
    let cache: { value: T } | null = null;
    return {
      subscribe: (notify: () => void) => session.subscribe((e) => relevant(e) && notify()),
      get: (): T => {
        const value = read();
        if (cache && sameValue(cache.value, value)) return cache.value;
        cache = { value };
        return value;
      },
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed by session and key on purpose
  }, [session, key]);
  return useSyncExternalStore(store.subscribe, store.get, store.get);
}

/** Object.is, and element-wise for arrays (the peer lists are rebuilt on every read). */
function sameValue<T>(a: T, b: T): boolean {
  if (Object.is(a, b)) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  return a.every((x, i) => Object.is(x, b[i]));
}

/** The connection status. */
export function useConnectionStatus(session: EditorSession): ConnectionStatus {
  return useSessionStore(session, "status", (e) => e.type === "status", () => session.status);
}

/** The optimistic view of an open page (null until it loaded). */
export function usePageView(session: EditorSession, doc: string): Page | null {
  return useSessionStore(session, `view:${doc}`, (e) => e.type === "change" && e.doc === doc, () => session.page(doc)?.view ?? null);
}

/** The other clients on a document, ordered by user then client id. */
export function usePeers(session: EditorSession, doc: string): readonly Peer[] {
  return useSessionStore(
    session,
    `peers:${doc}`,
    (e) => e.type === "presence" && e.doc === doc,
    () => {
      const d = session.page(doc) ?? session.script(doc);
      const peers = d ? [...d.peers.values()] : [];
      return peers.sort((a, b) => (a.user === b.user ? (a.clientId < b.clientId ? -1 : 1) : a.user < b.user ? -1 : 1));
    },
  );
}

/** The local text of an open script. */
export function useScriptText(session: EditorSession, doc: string): string {
  return useSessionStore(
    session,
    `text:${doc}`,
    (e) => (e.type === "change" || e.type === "remote_text") && e.doc === doc,
    () => session.script(doc)?.text ?? "",
  );
}

/** Calls onRejected for every op the server refuses (show it as a toast, for example). */
export function useRejections(session: EditorSession, onRejected: (r: Rejection) => void): void {
  const cb = useRef(onRejected);
  cb.current = onRejected;
  useEffect(() => session.subscribe((e) => e.type === "rejected" && cb.current(e.rejection)), [session]);
}

/** Whether undo and redo are possible now. */
export function useUndoState(undo: UndoManager): { canUndo: boolean; canRedo: boolean } {
  const store = useMemo(() => {
    let cache = { canUndo: undo.canUndo, canRedo: undo.canRedo };
    const get = () => {
      if (cache.canUndo !== undo.canUndo || cache.canRedo !== undo.canRedo) cache = { canUndo: undo.canUndo, canRedo: undo.canRedo };
      return cache;
    };
    return { subscribe: (notify: () => void) => undo.subscribe(notify), get };
  }, [undo]);
  return useSyncExternalStore(store.subscribe, store.get, store.get);
}
