// How each component type looks on the canvas: a generic, inert likeness (disabled fields, buttons
// that do nothing), so that builders see the page's shape. Unknown types are a labelled box.

import type { CSSProperties, ReactNode } from "react";
import type { JsonValue, PageNode } from "../editor";

function text(v: JsonValue | undefined, fallback = ""): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return fallback;
}

function num(v: JsonValue | undefined): number | undefined {
  return typeof v === "number" ? v : undefined;
}

function record(v: JsonValue | undefined): Record<string, JsonValue> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v : undefined;
}

/** The node's styles as React inline styles (kebab-case keys become camelCase). */
export function inlineStyle(styles: Record<string, JsonValue>): CSSProperties {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(styles)) {
    if (typeof v !== "string" && typeof v !== "number") continue;
    const key = k.startsWith("--") ? k : k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    out[key] = v;
  }
  // Keys and values come from the page's styles, which the server validated as CSS-like pairs.
  return out as CSSProperties;
}

const justify: Record<string, string> = { start: "flex-start", end: "flex-end", center: "center", between: "space-between", around: "space-around", evenly: "space-evenly" };
const align: Record<string, string> = { start: "flex-start", end: "flex-end", center: "center", stretch: "stretch", baseline: "baseline" };

/** The flex layout a container's props ask for. */
export function layoutStyle(n: PageNode, horizontal: boolean): CSSProperties {
  const s: CSSProperties = { display: "flex", flexDirection: horizontal ? "row" : "column" };
  const gap = num(n.props.gap);
  if (gap !== undefined) s.gap = gap;
  const padding = num(n.props.padding);
  if (padding !== undefined) s.padding = padding;
  const j = justify[text(n.props.justify)];
  if (j) s.justifyContent = j;
  const a = align[text(n.props.align)];
  if (a) s.alignItems = a;
  if (n.props.wrap === true) s.flexWrap = "wrap";
  const bg = text(n.props.background);
  if (bg) s.background = bg;
  const r = num(n.props.borderRadius);
  if (r !== undefined) s.borderRadius = r;
  return s;
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  // A span, not a <label>: the canvas's likenesses must not compete with the property form's labels.
  return (
    <span className="cv-field">
      {label && <span className="cv-field-label">{label}</span>}
      {children}
    </span>
  );
}

/** The body of a leaf component (containers are drawn by the canvas around their children). */
export function LeafBody({ node }: { node: PageNode }) {
  const p = node.props;
  switch (node.type) {
    case "Button":
      return (
        <button type="button" tabIndex={-1} className={`cv-button cv-${text(p.variant, "primary")}`}>
          {text(p.label, text(p.text, "Button"))}
        </button>
      );
    case "Text":
      return <p className="cv-text">{text(p.text)}</p>;
    case "Heading": {
      const level = Math.min(6, Math.max(1, num(p.level) ?? 2));
      const H = `h${level}` as "h1" | "h2" | "h3" | "h4" | "h5" | "h6";
      return <H className="cv-heading">{text(p.text, "Heading")}</H>;
    }
    case "TextInput":
    case "NumberInput":
      return (
        <Field label={text(p.label)}>
          <input disabled tabIndex={-1} placeholder={text(p.placeholder)} value={text(p.value)} readOnly aria-label={text(p.label, node.type)} />
        </Field>
      );
    case "Select":
      return (
        <Field label={text(p.label)}>
          <select disabled tabIndex={-1} aria-label={text(p.label, "Select")}>
            <option>{text(p.placeholder, "Select…")}</option>
          </select>
        </Field>
      );
    case "Checkbox":
      return (
        <span className="cv-field cv-inline">
          <input type="checkbox" disabled tabIndex={-1} checked={p.checked === true} readOnly aria-label={text(p.label, "Checkbox")} />
          <span>{text(p.label)}</span>
        </span>
      );
    case "Table": {
      const cols = Array.isArray(p.columns) ? p.columns.map(record).filter((c): c is Record<string, JsonValue> => c !== undefined) : [];
      return (
        <table className="cv-table">
          <thead>
            <tr>{cols.length > 0 ? cols.map((c, i) => <th key={i}>{text(c.title, text(c.key))}</th>) : <th>Table</th>}</tr>
          </thead>
          <tbody>
            <tr>
              <td colSpan={Math.max(1, cols.length)} className="muted">
                {text(p.emptyText, "Rows appear here")}
              </td>
            </tr>
          </tbody>
        </table>
      );
    }
    case "Image":
      return (
        <div className="cv-image" role="img" aria-label={text(p.alt, "Image")}>
          Image{p.alt ? `: ${text(p.alt)}` : ""}
        </div>
      );
    case "Link":
      return <a className="cv-link">{text(p.text, "Link")}</a>;
    default:
      return <div className="cv-unknown">{node.type}</div>;
  }
}

/** The header a container shows above its children (its title, tabs), if any. */
export function ContainerHeader({ node }: { node: PageNode }) {
  const p = node.props;
  switch (node.type) {
    case "Form":
      return p.title ? <div className="cv-box-title">{text(p.title)}</div> : null;
    case "Modal":
      return <div className="cv-box-title">{text(p.title, "Modal")}</div>;
    case "Tabs": {
      const tabs = Array.isArray(p.tabs) ? p.tabs.map(record).filter((t): t is Record<string, JsonValue> => t !== undefined) : [];
      return (
        <div className="cv-tabs">
          {tabs.map((t, i) => (
            <span key={i} className={text(p.activeTab) === text(t.key) || (i === 0 && !p.activeTab) ? "active" : ""}>
              {text(t.label, text(t.key))}
            </span>
          ))}
        </div>
      );
    }
    default:
      return null;
  }
}
