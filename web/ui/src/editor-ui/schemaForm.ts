// The property form of a component, derived from its manifest's props JSON Schema and x-ui hints:
// one field per prop, with the kind of input that edits it, grouped as the hints say.

import type { JsonSchema, JsonValue } from "../editor";

export const FieldKind = {
  Text: "text",
  Number: "number",
  Boolean: "boolean",
  Enum: "enum",
  Color: "color",
  Json: "json",
} as const;
export type FieldKind = (typeof FieldKind)[keyof typeof FieldKind];

export interface FieldSpec {
  /** The prop name (the set_prop path). */
  name: string;
  label: string;
  kind: FieldKind;
  group: string;
  required: boolean;
  /** Enum values (kind enum). */
  options?: string[];
  /** Whole numbers only (kind number). */
  integer?: boolean;
  description?: string;
}

// Bindable props are anyOf [value schema, {{ expression }}]: the form edits the value branch.
const EXPRESSION_PATTERN_START = "^\\s*\\{\\{";

function isExpression(s: JsonSchema): boolean {
  return typeof s.pattern === "string" && s.pattern.startsWith(EXPRESSION_PATTERN_START);
}

/** The branch of a schema that holds plain values (the non-expression branch of anyOf/oneOf). */
export function valueSchema(s: JsonSchema): JsonSchema {
  const alts = s.anyOf ?? s.oneOf;
  if (!alts || alts.length === 0) return s;
  return alts.find((a) => !isExpression(a)) ?? alts[0] ?? s;
}

function types(s: JsonSchema): string[] {
  if (Array.isArray(s.type)) return s.type.filter((t): t is string => typeof t === "string");
  return typeof s.type === "string" ? [s.type] : [];
}

function enumStrings(s: JsonSchema): string[] | undefined {
  if (!Array.isArray(s.enum)) return undefined;
  return s.enum.filter((v): v is string => typeof v === "string");
}

/** The input kind of one prop: the x-ui widget when it names one we have, else from the schema. */
export function fieldKindOf(schema: JsonSchema): Pick<FieldSpec, "kind" | "options" | "integer"> {
  const v = valueSchema(schema);
  const widget = schema["x-ui"]?.widget ?? v["x-ui"]?.widget;
  const options = enumStrings(v);
  const ts = types(v).filter((t) => t !== "null");
  const integer = ts.length === 1 && ts[0] === "integer";
  switch (widget) {
    case "switch":
      return { kind: FieldKind.Boolean };
    case "select":
    case "segmented":
      if (options && options.length > 0) return { kind: FieldKind.Enum, options };
      break;
    case "color":
      return { kind: FieldKind.Color };
    case "number":
      return integer ? { kind: FieldKind.Number, integer } : { kind: FieldKind.Number };
    case "json":
    case "options":
    case "columns":
    case "tabs":
    case "expression":
      return { kind: FieldKind.Json };
    case "text":
    case "url":
    case "icon":
    case "page":
      if (ts.length === 1 && ts[0] === "string") return { kind: FieldKind.Text };
      break;
  }
  if (options && options.length > 0) return { kind: FieldKind.Enum, options };
  if (ts.length !== 1) return { kind: FieldKind.Json };
  switch (ts[0]) {
    case "boolean":
      return { kind: FieldKind.Boolean };
    case "number":
      return { kind: FieldKind.Number };
    case "integer":
      return { kind: FieldKind.Number, integer: true };
    case "string":
      return v.format === "color" ? { kind: FieldKind.Color } : { kind: FieldKind.Text };
    default:
      return { kind: FieldKind.Json };
  }
}

/** "iconPosition" → "Icon position". */
export function humanize(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ").trim().toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The fields of a props schema, grouped (groups in order of first appearance, "basic" first). */
export function fieldsOf(props: JsonSchema): FieldSpec[] {
  const required = new Set(props.required ?? []);
  const out: FieldSpec[] = [];
  for (const [name, s] of Object.entries(props.properties ?? {})) {
    const ui = s["x-ui"];
    const f: FieldSpec = { name, label: ui?.label || humanize(name), group: ui?.group || "other", required: required.has(name), ...fieldKindOf(s) };
    const desc = s.description ?? valueSchema(s).description;
    if (desc) f.description = desc;
    out.push(f);
  }
  const order = new Map<string, number>([["basic", -1]]);
  for (const f of out) if (!order.has(f.group)) order.set(f.group, order.size);
  // Array.prototype.sort is stable: schema order is kept inside a group.
  return out.sort((a, b) => (order.get(a.group) ?? 0) - (order.get(b.group) ?? 0));
}

export type ParsedValue = { ok: true; value: JsonValue } | { ok: false; error: string };

/** The prop value typed into a field; an empty text removes the prop (null). */
export function parseFieldValue(kind: FieldKind, raw: string, integer = false): ParsedValue {
  switch (kind) {
    case FieldKind.Number: {
      if (raw.trim() === "") return { ok: true, value: null };
      const n = Number(raw);
      if (!Number.isFinite(n)) return { ok: false, error: "Not a number." };
      if (integer && !Number.isInteger(n)) return { ok: false, error: "Must be a whole number." };
      return { ok: true, value: n };
    }
    case FieldKind.Json: {
      if (raw.trim() === "") return { ok: true, value: null };
      try {
        return { ok: true, value: JSON.parse(raw) as JsonValue };
      } catch (err) {
        return { ok: false, error: `Not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
      }
    }
    case FieldKind.Boolean:
      return { ok: true, value: raw === "true" };
    case FieldKind.Text:
    case FieldKind.Enum:
    case FieldKind.Color:
      return { ok: true, value: raw === "" ? null : raw };
  }
}

/** The text a field shows for a prop value. */
export function formatFieldValue(kind: FieldKind, v: JsonValue | undefined): string {
  if (v === undefined || v === null) return "";
  if (kind === FieldKind.Json) return JSON.stringify(v, null, 2);
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/** The common style properties of the Style section (camelCase, as the page stores them). */
export const styleFields: readonly { name: string; label: string; kind: "text" | "color" }[] = [
  { name: "width", label: "Width", kind: "text" },
  { name: "height", label: "Height", kind: "text" },
  { name: "padding", label: "Padding", kind: "text" },
  { name: "margin", label: "Margin", kind: "text" },
  { name: "color", label: "Text colour", kind: "color" },
  { name: "background", label: "Background colour", kind: "color" },
  { name: "fontSize", label: "Font size", kind: "text" },
  { name: "fontWeight", label: "Font weight", kind: "text" },
  { name: "borderRadius", label: "Border radius", kind: "text" },
  { name: "border", label: "Border", kind: "text" },
];

/** The set_style value typed into a style field: numbers stay numbers, "" removes. */
export function parseStyleValue(raw: string): string | number | null {
  const t = raw.trim();
  if (t === "") return null;
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
}
