// Syntax errors while typing: the draft is sent to POST /api/scripts/{id}/check after a pause, and
// the compile errors the server reports become markers (the server compiles as the runtime does,
// so its verdict is the one that matters when the script runs).

import { useEffect, useState } from "react";
import type { ApiClient, ScriptCheck } from "../../api/client";
import type { ScriptMarker } from "./scriptMarkers";

/** How long typing must pause before a check. */
export const CHECK_DELAY_MS = 600;

/** The markers of a check's errors; an error without a position marks the first line. */
export function markersFromCheck(check: ScriptCheck): ScriptMarker[] {
  return check.errors.map((e) => {
    const line = Math.max(1, e.line ?? 1);
    return { startLineNumber: line, startColumn: Math.max(1, e.column ?? 1), endLineNumber: line, endColumn: Number.MAX_SAFE_INTEGER, message: e.message };
  });
}

/** The syntax errors of text, checked by the server once typing pauses ([] while unknown). */
export function useSyntaxMarkers(api: ApiClient, scriptId: string, text: string | undefined): ScriptMarker[] {
  const [markers, setMarkers] = useState<ScriptMarker[]>([]);
  useEffect(() => {
    if (!scriptId || text === undefined) return;
    const abort = new AbortController();
    const timer = setTimeout(() => {
      api.checkScript(scriptId, text, abort.signal).then(
        (check) => setMarkers(markersFromCheck(check)),
        () => {}, // a failed check shows nothing: markers are a help, not a gate
      );
    }, CHECK_DELAY_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [api, scriptId, text]);
  return markers;
}
