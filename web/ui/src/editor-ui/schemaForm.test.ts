import { describe, expect, it } from "vitest";
import type { JsonSchema } from "../editor";
import { FieldKind, fieldKindOf, fieldsOf, formatFieldValue, humanize, parseFieldValue, parseStyleValue } from "./schemaForm";

const expr: JsonSchema = { type: "string", pattern: "^\\s*\\{\\{[\\s\\S]*\\}\\}\\s*$", maxLength: 4096 };

describe("fieldKindOf", () => {
  const cases: { name: string; schema: JsonSchema; want: ReturnType<typeof fieldKindOf> }[] = [
    { name: "text widget", schema: { type: "string", "x-ui": { widget: "text" } }, want: { kind: FieldKind.Text } },
    { name: "plain string", schema: { type: "string" }, want: { kind: FieldKind.Text } },
    { name: "number", schema: { type: "number" }, want: { kind: FieldKind.Number } },
    { name: "integer", schema: { type: "integer", "x-ui": { widget: "number" } }, want: { kind: FieldKind.Number, integer: true } },
    { name: "nullable number", schema: { type: ["number", "null"] }, want: { kind: FieldKind.Number } },
    { name: "boolean", schema: { type: "boolean" }, want: { kind: FieldKind.Boolean } },
    { name: "bindable switch", schema: { anyOf: [{ type: "boolean" }, expr], "x-ui": { widget: "switch" } }, want: { kind: FieldKind.Boolean } },
    { name: "select", schema: { type: "string", enum: ["a", "b"], "x-ui": { widget: "select" } }, want: { kind: FieldKind.Enum, options: ["a", "b"] } },
    { name: "segmented", schema: { type: "string", enum: ["row", "column"], "x-ui": { widget: "segmented" } }, want: { kind: FieldKind.Enum, options: ["row", "column"] } },
    { name: "enum without widget", schema: { enum: ["x"] }, want: { kind: FieldKind.Enum, options: ["x"] } },
    { name: "color widget", schema: { type: "string", "x-ui": { widget: "color" } }, want: { kind: FieldKind.Color } },
    { name: "color format", schema: { type: "string", format: "color" }, want: { kind: FieldKind.Color } },
    { name: "json widget", schema: { anyOf: [{ type: "object" }, expr], "x-ui": { widget: "json" } }, want: { kind: FieldKind.Json } },
    { name: "array", schema: { type: "array", items: { type: "object" } }, want: { kind: FieldKind.Json } },
    { name: "columns widget", schema: { type: "array", "x-ui": { widget: "columns" } }, want: { kind: FieldKind.Json } },
    { name: "text widget on a mixed type", schema: { anyOf: [{ type: ["string", "number", "null"] }, expr], "x-ui": { widget: "text" } }, want: { kind: FieldKind.Json } },
    { name: "bindable text", schema: { anyOf: [{ type: "string" }, expr], "x-ui": { widget: "text" } }, want: { kind: FieldKind.Text } },
    { name: "no type", schema: {}, want: { kind: FieldKind.Json } },
  ];
  for (const c of cases) {
    it(c.name, () => expect(fieldKindOf(c.schema)).toEqual(c.want));
  }
});

describe("fieldsOf", () => {
  it("labels from x-ui or the name, groups with basic first, schema order inside a group", () => {
    const fields = fieldsOf({
      type: "object",
      required: ["label"],
      properties: {
        variant: { type: "string", enum: ["primary"], "x-ui": { widget: "select", label: "Variant", group: "appearance" } },
        label: { type: "string", "x-ui": { widget: "text", label: "Label", group: "basic" } },
        iconPosition: { type: "string" },
        tooltip: { type: "string", "x-ui": { widget: "text", label: "Tooltip", group: "basic" } },
      },
    });
    expect(fields.map((f) => [f.name, f.label, f.group, f.required])).toEqual([
      ["label", "Label", "basic", true],
      ["tooltip", "Tooltip", "basic", false],
      ["variant", "Variant", "appearance", false],
      ["iconPosition", "Icon position", "other", false],
    ]);
  });
  it("humanizes names", () => {
    expect(humanize("closeOnOverlayClick")).toBe("Close on overlay click");
    expect(humanize("row_key")).toBe("Row key");
  });
});

describe("parseFieldValue", () => {
  it.each([
    [FieldKind.Text, "hi", false, { ok: true, value: "hi" }],
    [FieldKind.Text, "", false, { ok: true, value: null }],
    [FieldKind.Number, "2.5", false, { ok: true, value: 2.5 }],
    [FieldKind.Number, "", false, { ok: true, value: null }],
    [FieldKind.Number, "2.5", true, { ok: false, error: "Must be a whole number." }],
    [FieldKind.Number, "abc", false, { ok: false, error: "Not a number." }],
    [FieldKind.Boolean, "true", false, { ok: true, value: true }],
    [FieldKind.Json, '{"a":[1]}', false, { ok: true, value: { a: [1] } }],
  ] as const)("%s %j", (kind, raw, integer, want) => {
    expect(parseFieldValue(kind, raw, integer)).toEqual(want);
  });
  it("reports invalid JSON", () => {
    const r = parseFieldValue(FieldKind.Json, "{", false);
    expect(r.ok).toBe(false);
  });
  it("formats values back", () => {
    expect(formatFieldValue(FieldKind.Json, [1])).toBe("[\n  1\n]");
    expect(formatFieldValue(FieldKind.Number, 3)).toBe("3");
    expect(formatFieldValue(FieldKind.Text, undefined)).toBe("");
  });
  it("parses style values", () => {
    expect(parseStyleValue(" 12 ")).toBe(12);
    expect(parseStyleValue("12px")).toBe("12px");
    expect(parseStyleValue("")).toBeNull();
  });
});
