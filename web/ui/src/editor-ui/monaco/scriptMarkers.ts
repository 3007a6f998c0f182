// Error markers from the server's words about a script's run. (Syntax errors while typing come from
// POST /api/scripts/{id}/check: syntaxCheck.ts.) A script that throws, or that was saved without
// compiling, is reported when it runs: run_state.error (a reducer)
// or an error handler_failed (a handler), with the sandbox's message, e.g.
// "jsbox: invalid script: SyntaxError: (anonymous): Line 2:14 Unexpected token" or a stack
// "at reducer (reducer.js:3:11(8))". This module turns such a message into marker positions.

/** A marker in 1-based lines and columns, as Monaco's IMarkerData wants them. */
export interface ScriptMarker {
  startLineNumber: number;
  startColumn: number;
  endLineNumber: number;
  endColumn: number;
  message: string;
}

const linePattern = /Line (\d+):(\d+)/;
const stackPattern = /:(\d+):(\d+)(?:\(\d+\))?\)?/;

/**
 * The marker of an error message: at the position it names (goja's "Line L:C" or a stack frame's
 * "file:L:C"), else on the whole first line. lineCount clamps the line to the text.
 */
export function markerFromError(message: string, lineCount: number): ScriptMarker {
  const m = linePattern.exec(message) ?? stackPattern.exec(message);
  const lines = Math.max(1, lineCount);
  if (!m) return { startLineNumber: 1, startColumn: 1, endLineNumber: 1, endColumn: Number.MAX_SAFE_INTEGER, message };
  const line = Math.min(lines, Math.max(1, Number(m[1])));
  const col = Math.max(1, Number(m[2]));
  return { startLineNumber: line, startColumn: col, endLineNumber: line, endColumn: Number.MAX_SAFE_INTEGER, message };
}

