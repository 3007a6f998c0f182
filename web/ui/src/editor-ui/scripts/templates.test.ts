import { describe, expect, it } from "vitest";
import { parseInitialState } from "./templates";

describe("parseInitialState", () => {
  const cases: { text: string; ok: boolean; value?: unknown }[] = [
    { text: '{"count": 0}', ok: true, value: { count: 0 } },
    { text: "  ", ok: true, value: {} },
    { text: "[1]", ok: false },
    { text: "3", ok: false },
    { text: "{count: 0}", ok: false },
  ];
  for (const c of cases) {
    it(JSON.stringify(c.text), () => {
      const r = parseInitialState(c.text);
      expect(r.ok).toBe(c.ok);
      if (r.ok) expect(r.value).toEqual(c.value);
    });
  }
});
