import { describe, expect, it } from "vitest";
import { isValidKey, keyBetween, keysBetween, validateKey, InvalidKeyError } from "./fracindex";

// The cases of domain/fracindex_test.go TestKeyBetween: the client must produce the same keys.
const between: [string, string, string][] = [
  ["", "", "a0"],
  ["", "a0", "Zz"],
  ["", "Zz", "Zy"],
  ["a0", "", "a1"],
  ["a1", "", "a2"],
  ["a0", "a1", "a0V"],
  ["a1", "a2", "a1V"],
  ["a0V", "a1", "a0l"],
  ["Zz", "a0", "ZzV"],
  ["Zz", "a1", "a0"],
  ["", "Y00", "Xzzz"],
  ["bzz", "", "c000"],
  ["a0", "a0V", "a0G"],
  ["a0", "a0G", "a08"],
  ["b125", "b129", "b127"],
  ["a0", "a1V", "a1"],
  ["Zz", "a01", "a0"],
  ["", "a0V", "a0"],
  ["", "b999", "b99"],
  ["zzzzzzzzzzzzzzzzzzzzzzzzzzy", "", "zzzzzzzzzzzzzzzzzzzzzzzzzzz"],
  ["zzzzzzzzzzzzzzzzzzzzzzzzzzz", "", "zzzzzzzzzzzzzzzzzzzzzzzzzzzV"],
  ["", "A000000000000000000000000001", "A000000000000000000000000000V"],
];

describe("keyBetween", () => {
  it.each(between)("keyBetween(%j, %j) = %j (same as domain)", (a, b, want) => {
    const got = keyBetween(a, b);
    expect(got).toBe(want);
    expect(isValidKey(got)).toBe(true);
    if (a !== "") expect(a < got).toBe(true);
    if (b !== "") expect(got < b).toBe(true);
  });

  // domain/fracindex_test.go TestKeyBetweenInvalid.
  it.each([
    ["a equals b", "a0", "a0"],
    ["a above b", "a1", "a0"],
    ["trailing zero", "a00", ""],
    ["bad head", "00", ""],
    ["too short integer", "b1", ""],
    ["bad character", "a0!", ""],
    ["smallest integer", "A00000000000000000000000000", ""],
    ["b is the smallest integer", "", "A00000000000000000000000000"],
    ["trailing zero in b", "a0", "a10"],
    ["empty fraction digit", "a0", "a1 "],
  ])("rejects %s", (_name, a, b) => {
    expect(() => keyBetween(a, b)).toThrow(InvalidKeyError);
  });

  it("keeps random inserts ordered and distinct", () => {
    // A seeded LCG keeps failures reproducible.
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const keys: string[] = [];
    for (let i = 0; i < 500; i++) {
      const at = rand(keys.length + 1);
      const k = keyBetween(keys[at - 1] ?? "", keys[at] ?? "");
      validateKey(k);
      keys.splice(at, 0, k);
    }
    const sorted = [...keys].sort();
    expect(keys).toEqual(sorted);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("grows keys slowly on appends and prepends", () => {
    let last = "";
    let first = "";
    for (let i = 0; i < 1000; i++) {
      last = keyBetween(last, "");
      first = keyBetween("", first);
    }
    expect(last.length).toBeLessThanOrEqual(4);
    expect(first < "a0").toBe(true);
  });

  it("keysBetween returns n ordered keys inside the range", () => {
    const ks = keysBetween("a0", "a1", 5);
    expect(ks).toHaveLength(5);
    expect(["a0", ...ks, "a1"]).toEqual([...["a0", ...ks, "a1"]].sort());
  });
});

describe("validateKey", () => {
  it.each([
    ["a0", true],
    ["Zz", true],
    ["a0V", true],
    ["", false],
    ["a", false],
    ["a0V0", false],
    ["x".repeat(257), false],
  ])("%j valid: %s", (k, ok) => {
    expect(isValidKey(k)).toBe(ok);
  });
});
