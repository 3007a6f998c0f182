// Session hooks without a snapshot cache that only a subscribed listener clears: the editor core's
// hooks (src/editor/hooks.ts) keep a value read at render time until an event arrives, so an event
// between the first render and the subscription (the welcome right after connecting, the page's
// snapshot) is missed and the value stays stale. These read from the session on every check and
// keep identity only while the value is unchanged.

import { useMemo, useSyncExternalStore } from "react";
import type { ConnectionStatus, EditorSession, Peer } from "../editor";

function useFromSession<T>(session: EditorSession, read: () => T, deps: readonly unknown[]): T {
  // eslint-disable-next-line react-hooks/exhaustive-deps -- read depends on deps only
  const get = useMemo(() => read, deps);
  return useSyncExternalStore((notify) => session.subscribe(() => notify()), get, get);
}

export function useStatus(session: EditorSession): ConnectionStatus {
  return useFromSession(session, () => session.status, [session]);
}

/** The other clients on the page, ordered by user then client id (the same array while unchanged). */
export function usePeerList(session: EditorSession, doc: string): readonly Peer[] {
  const read = useMemo(() => {
    let last: Peer[] = [];
    return () => {
      const d = session.page(doc);
      const next = d ? [...d.peers.values()].sort((a, b) => (a.user === b.user ? (a.clientId < b.clientId ? -1 : 1) : a.user < b.user ? -1 : 1)) : [];
      if (next.length === last.length && next.every((p, i) => p === last[i])) return last;
      last = next;
      return next;
    };
  }, [session, doc]);
  return useFromSession(session, read, [read]);
}
