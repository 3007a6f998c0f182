// One page node rendered as a live component of the preview: its props (with the handlers'
// setProps merged in), its children, and the DOM events its bound manifest events map from.

import { useState, type SyntheticEvent } from "react";
import type { JsonObject, JsonValue, Manifest, TreeNode } from "../../editor";
import { resolveText, type EventFacts } from "./previewState";

export interface PreviewNodeProps {
  tree: TreeNode;
  catalog: ReadonlyMap<string, Manifest>;
  overrides: Record<string, JsonObject>;
  pageState: JsonValue;
  /** Sends a component event of the node (only events bound on the node are sent). */
  fire: (nodeId: string, event: string, facts: EventFacts) => void;
}

type Fire = (native: string, facts: EventFacts) => void;

function modifiers(e: { altKey: boolean; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean }): EventFacts {
  return { altKey: e.altKey, ctrlKey: e.ctrlKey, metaKey: e.metaKey, shiftKey: e.shiftKey };
}

function text(v: JsonValue | undefined, state: JsonValue, fallback = ""): string {
  if (v === undefined || v === null) return fallback;
  return resolveText(typeof v === "string" ? v : JSON.stringify(v), state);
}

export function PreviewNode({ tree, catalog, overrides, pageState, fire }: PreviewNodeProps) {
  const { node } = tree;
  const props: JsonObject = { ...node.props, ...(overrides[node.id] ?? {}) };
  const manifest = catalog.get(node.type);
  // The manifest's events bound on this node, by the DOM event they map from.
  const fireNative: Fire = (native, facts) => {
    for (const ev of manifest?.events ?? []) {
      if (ev.nativeEvent === native && node.events[ev.name]) fire(node.id, ev.name, facts);
    }
  };
  const children = tree.children.map((c) => <PreviewNode key={c.node.id} tree={c} catalog={catalog} overrides={overrides} pageState={pageState} fire={fire} />);
  // Not data-node-id: the canvas finds its nodes by that attribute anywhere in the document.
  const common = { "data-preview-node": node.id, "data-preview-type": node.type };

  switch (node.type) {
    case "Button":
      return (
        <button
          type="button"
          {...common}
          disabled={props["disabled"] === true}
          onClick={(e) => fireNative("click", modifiers(e))}
          onDoubleClick={(e) => fireNative("dblclick", modifiers(e))}
        >
          {text(props["label"], pageState, "Button")}
        </button>
      );
    case "Text":
      return <p {...common}>{text(props["text"], pageState)}</p>;
    case "Heading": {
      const level = typeof props["level"] === "number" ? Math.min(6, Math.max(1, props["level"])) : 2;
      const H = `h${level}` as "h1";
      return <H {...common}>{text(props["text"], pageState)}</H>;
    }
    case "Link":
      return (
        <a
          {...common}
          href="#"
          onClick={(e) => {
            e.preventDefault();
            fireNative("click", modifiers(e));
          }}
        >
          {text(props["text"], pageState, "Link")}
        </a>
      );
    case "TextInput":
    case "NumberInput":
      return <PreviewInput common={common} label={text(props["label"], pageState)} placeholder={text(props["placeholder"], pageState)} numeric={node.type === "NumberInput"} fire={fireNative} />;
    case "Checkbox":
      return (
        <label {...common}>
          <input type="checkbox" defaultChecked={props["checked"] === true} onChange={(e) => fireNative("change", { checked: e.target.checked })} /> {text(props["label"], pageState)}
        </label>
      );
    case "Select": {
      const options = Array.isArray(props["options"]) ? props["options"] : [];
      return (
        <label {...common}>
          {text(props["label"], pageState)}{" "}
          <select
            onChange={(e) => {
              const o = options.find((x) => typeof x === "object" && x !== null && !Array.isArray(x) && String(x["value"]) === e.target.value);
              const label = typeof o === "object" && o !== null && !Array.isArray(o) ? (o["label"] ?? null) : null;
              fireNative("change", label !== null ? { value: e.target.value, label } : { value: e.target.value });
            }}
          >
            {options.map((o, i) => {
              const obj = typeof o === "object" && o !== null && !Array.isArray(o) ? o : { label: o, value: o };
              return (
                <option key={i} value={String(obj["value"])}>
                  {text(obj["label"], pageState)}
                </option>
              );
            })}
          </select>
        </label>
      );
    }
    case "Image":
      return <img {...common} src={typeof props["src"] === "string" ? props["src"] : ""} alt={text(props["alt"], pageState)} style={{ maxWidth: "100%" }} />;
    case "Row":
      return (
        <div {...common} style={{ display: "flex", flexDirection: "row", gap: 8 }}>
          {children}
        </div>
      );
    case "Modal":
      return props["open"] === true ? (
        <div {...common} role="dialog" aria-label={text(props["title"], pageState, "Modal")} className="preview-modal">
          <strong>{text(props["title"], pageState)}</strong>
          {children}
        </div>
      ) : null;
    case "Form":
      return (
        <form
          {...common}
          onSubmit={(e: SyntheticEvent) => {
            e.preventDefault();
            fireNative("submit", {});
          }}
        >
          {children}
        </form>
      );
    default:
      return (
        <div {...common} className={`preview-${node.type.toLowerCase()}`} style={{ display: "flex", flexDirection: "column", gap: 8 }}>
          {tree.node.parentId !== "" && children.length === 0 ? <span className="muted">{manifest?.name ?? node.type}</span> : null}
          {children}
        </div>
      );
  }
}

function PreviewInput({ common, label, placeholder, numeric, fire }: { common: Record<string, string>; label: string; placeholder: string; numeric: boolean; fire: Fire }) {
  const [value, setValue] = useState("");
  const [committed, setCommitted] = useState("");
  const val = (v: string): JsonValue => (numeric ? (v === "" ? null : Number(v)) : v);
  return (
    <label {...common}>
      {label}{" "}
      <input
        type={numeric ? "number" : "text"}
        value={value}
        placeholder={placeholder}
        onChange={(e) => {
          setValue(e.target.value);
          fire("input", { value: val(e.target.value) });
        }}
        onFocus={() => fire("focus", {})}
        onBlur={() => {
          if (value !== committed) {
            setCommitted(value);
            fire("change", { value: val(value) });
          }
          fire("blur", {});
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter") fire("keydown", { value: val(value) });
        }}
      />
    </label>
  );
}
