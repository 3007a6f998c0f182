// The Properties tab: a form generated from the selected node's props schema (x-ui hints first),
// and a Style section. Text-like fields submit on blur or Enter; switches, selects at once;
// colours debounced. A server rejection about a field is shown under it.

import { useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import { getPropAt, type JsonValue, type Manifest, type PageNode, type PageOp } from "../editor";
import { FieldKind, fieldsOf, formatFieldValue, parseFieldValue, parseStyleValue, styleFields, type FieldSpec } from "./schemaForm";

export interface PropertiesPanelProps {
  node: PageNode;
  manifest: Manifest | undefined;
  canEdit: boolean;
  /** Submits ops as one undo step; a mergeKey joins consecutive edits of one field. */
  apply: (ops: PageOp[], mergeKey?: string) => void;
  /** Ends merging (a field lost focus). */
  seal: () => void;
  /** Server rejections by field key ("props/label", "styles/width"). */
  errors: ReadonlyMap<string, string>;
  clearError: (key: string) => void;
}

interface FieldProps {
  label: string;
  kind: FieldKind | "style";
  value: string;
  options?: string[] | undefined;
  disabled: boolean;
  error?: string | undefined;
  description?: string | undefined;
  /** Submits the typed text; returns a local error (unparseable) or undefined. */
  commit: (raw: string, merge: boolean) => string | undefined;
  onBlur: () => void;
}

function TextLike({ label, kind, value, options, disabled, error, description, commit, onBlur }: FieldProps) {
  const id = useId();
  const [draft, setDraft] = useState<string | null>(null);
  const [localError, setLocalError] = useState<string | undefined>();
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  const shown = draft ?? value;
  const finish = (raw: string) => {
    if (raw !== value) setLocalError(commit(raw, false));
    setDraft(null);
  };
  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter") finish(e.currentTarget.value);
    if (e.key === "Escape") setDraft(null);
  };
  const err = localError ?? error;
  const errId = `${id}-err`;
  const common = { id, disabled, "aria-invalid": err ? true : undefined, "aria-describedby": err ? errId : undefined } as const;
  let input;
  switch (kind) {
    case FieldKind.Boolean:
      input = (
        <input
          {...common}
          type="checkbox"
          role="switch"
          checked={value === "true"}
          onChange={(e) => commit(e.currentTarget.checked ? "true" : "false", false)}
        />
      );
      break;
    case FieldKind.Enum:
      input = (
        <select {...common} value={value} onChange={(e) => commit(e.currentTarget.value, false)}>
          <option value="">(default)</option>
          {(options ?? []).map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
      break;
    case FieldKind.Color:
      input = (
        <input
          {...common}
          type="color"
          value={/^#[0-9a-fA-F]{6}$/.test(shown) ? shown : "#000000"}
          onChange={(e) => {
            const v = e.currentTarget.value;
            setDraft(v);
            // The picker fires while dragging: send the colour once it settles.
            if (timer.current) clearTimeout(timer.current);
            timer.current = setTimeout(() => {
              commit(v, true);
              setDraft(null);
            }, 250);
          }}
        />
      );
      break;
    case FieldKind.Json:
      input = (
        <textarea
          {...common}
          rows={4}
          spellCheck={false}
          value={shown}
          onChange={(e) => setDraft(e.currentTarget.value)}
          onBlur={(e) => {
            finish(e.currentTarget.value);
            onBlur();
          }}
        />
      );
      break;
    default:
      input = (
        <input
          {...common}
          type={kind === FieldKind.Number ? "number" : "text"}
          value={shown}
          onChange={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={onKey}
          onBlur={(e) => {
            if (draft !== null) finish(e.currentTarget.value);
            onBlur();
          }}
        />
      );
  }
  return (
    <div className={`prop-field prop-${kind}`}>
      <label htmlFor={id}>{label}</label>
      {input}
      {description && <small className="muted">{description}</small>}
      {err && (
        <small id={errId} className="field-error" role="alert">
          {err}
        </small>
      )}
    </div>
  );
}

function groupTitle(g: string): string {
  return g.charAt(0).toUpperCase() + g.slice(1);
}

export function PropertiesPanel({ node, manifest, canEdit, apply, seal, errors, clearError }: PropertiesPanelProps) {
  const fields: FieldSpec[] = manifest ? fieldsOf(manifest.props) : [];
  const groups: [string, FieldSpec[]][] = [];
  for (const f of fields) {
    const last = groups[groups.length - 1];
    if (last && last[0] === f.group) last[1].push(f);
    else groups.push([f.group, [f]]);
  }
  const setProp = (f: FieldSpec) => (raw: string, merge: boolean) => {
    const parsed = parseFieldValue(f.kind, raw, f.integer);
    if (!parsed.ok) return parsed.error;
    clearError(`props/${f.name}`);
    const value: JsonValue = parsed.value;
    apply([{ op: "set_prop", nodeId: node.id, path: f.name, value }], merge ? `prop:${node.id}:${f.name}` : undefined);
    return undefined;
  };
  const setStyle = (name: string) => (raw: string, merge: boolean) => {
    clearError(`styles/${name}`);
    apply([{ op: "set_style", nodeId: node.id, path: name, value: parseStyleValue(raw) }], merge ? `style:${node.id}:${name}` : undefined);
    return undefined;
  };
  return (
    <div className="props-panel" aria-label="Properties">
      <p className="props-node">
        <strong>{manifest?.name ?? node.type}</strong> <code>{node.id}</code>
      </p>
      {!manifest && <p className="muted">No manifest for {node.type}: its props cannot be edited here.</p>}
      {groups.map(([g, list]) => (
        <fieldset key={g} className="props-group">
          <legend>{groupTitle(g)}</legend>
          {list.map((f) => (
            <TextLike
              key={`${node.id}:${f.name}`}
              label={f.label}
              kind={f.kind}
              value={formatFieldValue(f.kind, getPropAt(node.props, f.name))}
              options={f.options}
              disabled={!canEdit}
              error={errors.get(`props/${f.name}`)}
              description={f.description}
              commit={setProp(f)}
              onBlur={seal}
            />
          ))}
        </fieldset>
      ))}
      <fieldset className="props-group">
        <legend>Style</legend>
        {styleFields.map((s) => (
          <TextLike
            key={`${node.id}:style:${s.name}`}
            label={s.label}
            kind={s.kind === "color" ? FieldKind.Color : "style"}
            value={formatFieldValue(FieldKind.Text, node.styles[s.name])}
            disabled={!canEdit}
            error={errors.get(`styles/${s.name}`)}
            commit={setStyle(s.name)}
            onBlur={seal}
          />
        ))}
      </fieldset>
    </div>
  );
}

/**
 * The node and field key ("props/label", "styles/width") a rejection is about, from its op or
 * its path ("/nodes/<id>/props/label/..."); undefined when it is not about one field.
 */
export function rejectionField(path: string | undefined, op: PageOp | undefined): { nodeId: string; key: string } | undefined {
  const unescape = (s: string) => s.replaceAll("~1", "/").replaceAll("~0", "~");
  if (op && (op.op === "set_prop" || op.op === "set_style")) {
    const top = op.path.replace(/^\//, "").split("/")[0] ?? "";
    return { nodeId: op.nodeId, key: `${op.op === "set_prop" ? "props" : "styles"}/${unescape(top)}` };
  }
  if (!path) return undefined;
  const segs = path.split("/").slice(1).map(unescape);
  if (segs[0] !== "nodes" || !segs[1] || (segs[2] !== "props" && segs[2] !== "styles") || !segs[3]) return undefined;
  return { nodeId: segs[1], key: `${segs[2]}/${segs[3]}` };
}
