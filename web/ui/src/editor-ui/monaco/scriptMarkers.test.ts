import { describe, expect, it } from "vitest";
import { markerFromError } from "./scriptMarkers";

describe("markerFromError", () => {
  const cases: { name: string; message: string; lines: number; line: number; col: number }[] = [
    { name: "goja syntax error", message: "jsbox: invalid script: SyntaxError: (anonymous): Line 2:14 Unexpected token", lines: 5, line: 2, col: 14 },
    { name: "stack frame", message: "jsbox: script error: TypeError: x is undefined\n at reducer (reducer.js:3:11(8))", lines: 5, line: 3, col: 11 },
    { name: "no position: whole first line", message: "jsbox: deadline exceeded", lines: 5, line: 1, col: 1 },
    { name: "line past the end is clamped", message: "Line 40:2 Unexpected end of input", lines: 3, line: 3, col: 2 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const m = markerFromError(c.message, c.lines);
      expect([m.startLineNumber, m.startColumn]).toEqual([c.line, c.col]);
      expect(m.message).toBe(c.message);
    });
  }
});
