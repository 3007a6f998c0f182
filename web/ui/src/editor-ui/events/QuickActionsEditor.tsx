// The visual list of an "actions" binding: add from the catalog, remove, reorder, and edit each
// action's params in a small form.

import { useState } from "react";
import type { ActionSpec, JsonValue, QuickAction } from "../../editor";
import { addAction, checkQuickAction, moveAction, newQuickAction, removeAction, setActionParam } from "./bindings";
import { ParamsForm } from "./ParamsForm";

export interface QuickActionsEditorProps {
  specs: readonly ActionSpec[];
  actions: readonly QuickAction[];
  disabled: boolean;
  onChange: (actions: QuickAction[]) => void;
}

function paramsOf(a: QuickAction): { [key: string]: JsonValue } {
  return typeof a.params === "object" && a.params !== null && !Array.isArray(a.params) ? a.params : {};
}

export function QuickActionsEditor({ specs, actions, disabled, onChange }: QuickActionsEditorProps) {
  const [adding, setAdding] = useState(specs[0]?.name ?? "");
  return (
    <div className="quick-actions">
      <ol className="qa-list">
        {actions.map((a, i) => {
          const spec = specs.find((s) => s.name === a.type);
          const problem = checkQuickAction(a, specs);
          return (
            <li key={i} className="qa-item" data-testid={`quick-action-${i}`}>
              <div className="qa-head">
                <strong>{a.type}</strong>
                <span className="qa-buttons">
                  <button type="button" aria-label={`Move ${a.type} up`} disabled={disabled || i === 0} onClick={() => onChange(moveAction(actions, i, i - 1))}>
                    ↑
                  </button>
                  <button type="button" aria-label={`Move ${a.type} down`} disabled={disabled || i === actions.length - 1} onClick={() => onChange(moveAction(actions, i, i + 1))}>
                    ↓
                  </button>
                  <button type="button" aria-label={`Remove ${a.type}`} disabled={disabled} onClick={() => onChange(removeAction(actions, i))}>
                    ✕
                  </button>
                </span>
              </div>
              {spec ? (
                <>
                  <p className="muted">{spec.description}</p>
                  <ParamsForm spec={spec} params={paramsOf(a)} disabled={disabled} onChange={(name, v) => onChange(setActionParam(actions, i, name, v))} />
                </>
              ) : null}
              {problem && <p className="field-error">{problem}</p>}
            </li>
          );
        })}
      </ol>
      {actions.length === 0 && <p className="muted">No actions yet.</p>}
      <div className="qa-add">
        <select aria-label="Quick action to add" value={adding} disabled={disabled} onChange={(e) => setAdding(e.target.value)}>
          {specs.map((s) => (
            <option key={s.name} value={s.name} title={s.description}>
              {s.name}
            </option>
          ))}
        </select>
        <button
          type="button"
          disabled={disabled || !adding}
          onClick={() => {
            const spec = specs.find((s) => s.name === adding);
            if (spec) onChange(addAction(actions, newQuickAction(spec)));
          }}
        >
          Add action
        </button>
      </div>
    </div>
  );
}
