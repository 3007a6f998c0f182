// Starting texts of new scripts (docs/protocol.md and runtime/jsbox/goflow-api.d.ts: a reducer
// script defines `function reducer(state, action)`).

import type { JsonValue } from "../../editor";

export const pageReducerTemplate = `function reducer(state, action) {
  switch (action.type) {
    default:
      return state
  }
}
`;

export const appReducerTemplate = `function reducer(state = {}, action) {
  return state
}
`;

/** Parses the initial state a person typed: a JSON object, or the reason it is not one. */
export function parseInitialState(text: string): { ok: true; value: { [key: string]: JsonValue } } | { ok: false; error: string } {
  const t = text.trim();
  if (t === "") return { ok: true, value: {} };
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch (err) {
    return { ok: false, error: `Not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return { ok: false, error: "The initial state must be a JSON object, like {\"count\": 0}." };
  return { ok: true, value: v as { [key: string]: JsonValue } };
}
