import { describe, expect, it } from "vitest";
import { markersFromCheck } from "./syntaxCheck";

describe("markersFromCheck", () => {
  it.each([
    { name: "ok", check: { ok: true, errors: [] }, want: [] },
    {
      name: "located",
      check: { ok: false, errors: [{ message: "SyntaxError: Line 2:5 Unexpected token", line: 2, column: 5 }] },
      want: [{ startLineNumber: 2, startColumn: 5, endLineNumber: 2, endColumn: Number.MAX_SAFE_INTEGER, message: "SyntaxError: Line 2:5 Unexpected token" }],
    },
    {
      name: "unlocated marks line 1",
      check: { ok: false, errors: [{ message: "too large" }] },
      want: [{ startLineNumber: 1, startColumn: 1, endLineNumber: 1, endColumn: Number.MAX_SAFE_INTEGER, message: "too large" }],
    },
  ])("$name", ({ check, want }) => {
    expect(markersFromCheck(check)).toEqual(want);
  });
});
