// A small form for one quick action's params, from its params JSON Schema: text, number, switch,
// select, and a JSON-or-text field for values of any type (setState's value, dispatch's payload).

import { useEffect, useId, useState } from "react";
import type { ActionSpec, JsonSchema, JsonValue } from "../../editor";

export interface ParamsFormProps {
  spec: ActionSpec;
  params: { [key: string]: JsonValue };
  disabled: boolean;
  /** undefined removes the param. */
  onChange: (name: string, value: JsonValue | undefined) => void;
}

function typeOf(s: JsonSchema): string {
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== "null") : s.type;
  return typeof t === "string" ? t : "any";
}

export function ParamsForm({ spec, params, disabled, onChange }: ParamsFormProps) {
  const props = Object.entries(spec.params.properties ?? {});
  const required = new Set(spec.params.required ?? []);
  if (props.length === 0) return null;
  return (
    <div className="qa-params">
      {props.map(([name, schema]) => (
        <ParamField key={name} name={name} schema={schema} required={required.has(name)} value={params[name]} disabled={disabled} onChange={(v) => onChange(name, v)} />
      ))}
    </div>
  );
}

interface ParamFieldProps {
  name: string;
  schema: JsonSchema;
  required: boolean;
  value: JsonValue | undefined;
  disabled: boolean;
  onChange: (v: JsonValue | undefined) => void;
}

function ParamField({ name, schema, required, value, disabled, onChange }: ParamFieldProps) {
  const id = useId();
  const label = (
    <label htmlFor={id}>
      {name}
      {required ? " *" : ""}
    </label>
  );
  const t = typeOf(schema);
  if (Array.isArray(schema.enum)) {
    const options = schema.enum.filter((v): v is string => typeof v === "string");
    return (
      <div className="field">
        {label}
        <select id={id} disabled={disabled} value={typeof value === "string" ? value : ""} onChange={(e) => onChange(e.target.value === "" && !required ? undefined : e.target.value)}>
          {!required && <option value="">(default)</option>}
          {options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </div>
    );
  }
  if (t === "boolean") {
    return (
      <div className="field field-inline">
        <input id={id} type="checkbox" disabled={disabled} checked={value === true} onChange={(e) => onChange(e.target.checked)} />
        {label}
      </div>
    );
  }
  if (t === "string") {
    return (
      <div className="field">
        {label}
        <input
          id={id}
          disabled={disabled}
          value={typeof value === "string" ? value : ""}
          placeholder={schema.description ?? ""}
          onChange={(e) => onChange(e.target.value === "" && !required ? undefined : e.target.value)}
        />
      </div>
    );
  }
  if (t === "number" || t === "integer") {
    return (
      <div className="field">
        {label}
        <input id={id} type="number" disabled={disabled} value={typeof value === "number" ? value : ""} onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))} />
      </div>
    );
  }
  return <JsonParam id={id} label={label} value={value} disabled={disabled} onChange={onChange} />;
}

/** Parses what was typed: JSON when it is JSON (1, true, {"a":1}), else the text itself. */
export function parseLoose(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

function showLoose(v: JsonValue | undefined): string {
  if (v === undefined) return "";
  return typeof v === "string" ? v : JSON.stringify(v);
}

function JsonParam({ id, label, value, disabled, onChange }: { id: string; label: React.ReactNode; value: JsonValue | undefined; disabled: boolean; onChange: (v: JsonValue | undefined) => void }) {
  const [text, setText] = useState(showLoose(value));
  useEffect(() => setText(showLoose(value)), [value]);
  return (
    <div className="field">
      {label}
      <input
        id={id}
        disabled={disabled}
        value={text}
        placeholder="JSON or text, e.g. 1, true, {{ event.value }}"
        onChange={(e) => setText(e.target.value)}
        onBlur={() => onChange(text === "" ? undefined : parseLoose(text))}
      />
    </div>
  );
}
