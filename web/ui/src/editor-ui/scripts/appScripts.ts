// The app's scripts as the events tab and the scripts panel see them, and the two signals they
// exchange without a shared parent: "the scripts changed" (reload the list) and "open this script
// in the scripts panel". Window events keep the panels' agreed props as they are.

import { useCallback, useEffect } from "react";
import type { ApiClient, ScriptSummary } from "../../api/client";
import { useResource } from "../../api/useResource";
import type { Script } from "../../editor";

const SCRIPTS_CHANGED = "goflow:scripts-changed";
const OPEN_SCRIPT = "goflow:open-script";

/** Every script of the app (all pages of the list). */
export async function listAllScripts(api: ApiClient, appId: string, signal?: AbortSignal): Promise<ScriptSummary[]> {
  const out: ScriptSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.listScripts(appId, cursor ? { cursor, limit: 200 } : { limit: 200 }, signal);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** Tells the panels that a script was created (or renamed, deleted). */
export function announceScriptsChanged(): void {
  window.dispatchEvent(new Event(SCRIPTS_CHANGED));
}

// The last open request no panel took yet: the scripts panel may be on a tab not shown now, and
// takes it when it mounts. One per page load, like the window events that carry the requests.
let unclaimedOpen: string | null = null;

/** Asks the scripts panel to show a script in its editor (now, or when it is shown next). */
export function openScriptInPanel(scriptId: string): void {
  unclaimedOpen = scriptId;
  window.dispatchEvent(new CustomEvent<string>(OPEN_SCRIPT, { detail: scriptId }));
}

/** Takes the open request no panel took yet, if any. */
export function claimOpenRequest(): string | null {
  const id = unclaimedOpen;
  unclaimedOpen = null;
  return id;
}

/** Calls onOpen with the id of every script another panel asks to open. */
export function useOpenScriptRequests(onOpen: (scriptId: string) => void): void {
  useEffect(() => {
    const l = (e: Event) => {
      if (e instanceof CustomEvent && typeof e.detail === "string") {
        unclaimedOpen = null;
        onOpen(e.detail);
      }
    };
    window.addEventListener(OPEN_SCRIPT, l);
    return () => window.removeEventListener(OPEN_SCRIPT, l);
  }, [onOpen]);
}

export interface AppScripts {
  scripts: ScriptSummary[];
  error: unknown;
  loading: boolean;
  reload: () => void;
  /** Adds a script just created (before the list reloads). */
  added: (s: Script) => void;
}

/** The list before the first load (one array, so that memos keyed on it hold). */
const noScripts: ScriptSummary[] = [];

/** The app's scripts, reloaded when a panel announces a change. */
export function useAppScripts(api: ApiClient, appId: string): AppScripts {
  const { data, error, loading, reload, setData } = useResource((signal) => listAllScripts(api, appId, signal), [api, appId]);

  useEffect(() => {
    window.addEventListener(SCRIPTS_CHANGED, reload);
    return () => window.removeEventListener(SCRIPTS_CHANGED, reload);
  }, [reload]);

  const added = useCallback(
    (s: Script) => {
      setData((list = []) => (list.some((x) => x.id === s.id) ? list : [...list, { id: s.id, appId: s.appId, name: s.name, kind: s.kind, language: s.language, version: s.version }]));
    },
    [setData],
  );

  return { scripts: data ?? noScripts, error, loading, reload, added };
}
