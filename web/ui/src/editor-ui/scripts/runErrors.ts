// The script errors of the latest run of each session, kept outside the panels: the preview runs
// while the scripts panel may be on a tab not shown (unmounted), and the panel shows them later.

import { useSyncExternalStore } from "react";
import type { EditorSession } from "../../editor";

/** The errors of the latest run: handler errors by script id, reducer errors by role. */
export interface RunErrors {
  handlers: Readonly<Record<string, string>>;
  pageReducer: string;
  appReducer: string;
}

const empty: RunErrors = { handlers: {}, pageReducer: "", appReducer: "" };

/** Folds a run error message into the errors (the message names its script or role). */
export function addRunError(e: RunErrors, message: string): RunErrors {
  const h = /handler ([A-Za-z0-9][A-Za-z0-9_.:-]*)@\d+/.exec(message);
  if (h?.[1]) return { ...e, handlers: { ...e.handlers, [h[1]]: message } };
  if (/^\s*page reducer\b/.test(message)) return { ...e, pageReducer: message };
  if (/^\s*app reducer\b/.test(message)) return { ...e, appReducer: message };
  return e;
}

interface Store {
  errors: RunErrors;
  listeners: Set<() => void>;
}

// One store per session (weakly held: it goes with the session).
const stores = new WeakMap<EditorSession, Store>();

function storeOf(session: EditorSession): Store {
  let s = stores.get(session);
  if (s) return s;
  const store: Store = { errors: empty, listeners: new Set() };
  const set = (errors: RunErrors) => {
    if (errors === store.errors) return;
    store.errors = errors;
    store.listeners.forEach((l) => l());
  };
  session.subscribe((e) => {
    if (e.type === "run" && e.msg.type === "run_started") set(empty);
    else if (e.type === "run" && e.msg.type === "run_state" && e.msg.error) set(addRunError(store.errors, e.msg.error));
    else if (e.type === "server_error" && e.code === "handler_failed") set(addRunError(store.errors, e.message));
  });
  stores.set(session, store);
  s = store;
  return s;
}

/** Starts collecting the session's run errors (call it before a run starts). */
export function watchRunErrors(session: EditorSession): void {
  storeOf(session);
}

/** The errors of the session's latest run. */
export function useRunErrors(session: EditorSession): RunErrors {
  const store = storeOf(session);
  return useSyncExternalStore(
    (l) => {
      store.listeners.add(l);
      return () => store.listeners.delete(l);
    },
    () => store.errors,
  );
}
