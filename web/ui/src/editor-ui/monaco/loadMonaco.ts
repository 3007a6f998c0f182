// Loads the Monaco chunk on first use (a dynamic import: Vite splits it from the main bundle).

import type { Monaco } from "./monacoSetup";

export type { Monaco };

let loading: Promise<Monaco> | null = null;

/** Monaco, configured for GoFlow scripts; the same promise for every caller. */
export function loadMonaco(): Promise<Monaco> {
  // Cached per page load on purpose: Monaco and its workers are set up once.
  loading ??= import("./monacoSetup").then((m) => m.monaco);
  return loading;
}
