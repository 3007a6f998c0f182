import { useEffect, useMemo, useRef, useState } from "react";
import type { ApiClient } from "../../api/client";
import { errorMessage } from "../../api/client";
import { decidePageOp, describeRejection } from "../../editor";
import type { ActionSpec, Binding, EventSpec, Manifest, Page, PageNode, PageOp, QuickAction } from "../../editor";
import { announceScriptsChanged, openScriptInPanel, useAppScripts, type AppScripts } from "../scripts/appScripts";
import { bindingOp, checkQuickActions, handlerKind, handlerTemplate, HandlerKind, sameBinding } from "./bindings";
import { QuickActionsEditor } from "./QuickActionsEditor";
import "./events.css";

/** The props of the selected node's events tab (agreed between the editor layout and this tab). */
export interface EventsTabProps {
  api: ApiClient;
  appId: string;
  page: Page;
  node: PageNode;
  manifest: Manifest;
  /** The quick actions a binding may list (GET /api/components' quickActions). */
  quickActions: ActionSpec[];
  canEdit: boolean;
  /** Submits page ops (bind_event, unbind_event) through the editor's undo manager. */
  submit: (ops: PageOp | PageOp[]) => void;
}

/** The events the node's manifest declares, each with its payload schema and its handler. */
export function EventsTab({ api, appId, page, node, manifest, quickActions, canEdit, submit }: EventsTabProps) {
  const scripts = useAppScripts(api, appId);
  const events = manifest.events ?? [];
  return (
    <section aria-label="Events" className="events-tab">
      {events.length === 0 && <p className="muted">{manifest.name} has no events.</p>}
      {events.map((e) => (
        <EventRow
          key={`${node.id}/${e.name}`}
          api={api}
          appId={appId}
          page={page}
          node={node}
          manifest={manifest}
          spec={e}
          binding={node.events[e.name]}
          quickActions={quickActions}
          scripts={scripts}
          canEdit={canEdit}
          submit={submit}
        />
      ))}
    </section>
  );
}

interface EventRowProps {
  api: ApiClient;
  appId: string;
  page: Page;
  node: PageNode;
  manifest: Manifest;
  spec: EventSpec;
  binding: Binding | undefined;
  quickActions: readonly ActionSpec[];
  scripts: AppScripts;
  canEdit: boolean;
  submit: (ops: PageOp | PageOp[]) => void;
}

/** A change this row submitted, to notice the server refusing it (the view falls back to before). */
interface Pending {
  before: Binding | null;
  after: Binding | null;
  at: number;
}

/** How long after a submit a fall back to the old binding counts as the server's refusal. */
const REFUSAL_WINDOW_MS = 10_000;
const NEW_SCRIPT = "__new__";

function EventRow({ api, appId, page, node, manifest, spec, binding, quickActions, scripts, canEdit, submit }: EventRowProps) {
  const [kind, setKind] = useState<HandlerKind>(handlerKind(binding));
  const [draft, setDraft] = useState<QuickAction[]>(binding?.actions ?? []);
  const [error, setError] = useState("");
  const [creating, setCreating] = useState(false);
  const [newName, setNewName] = useState(`${manifest.name} ${spec.name}`);
  const [newAction, setNewAction] = useState("");
  const [busy, setBusy] = useState(false);
  const pending = useRef<Pending | null>(null);
  const bindingKey = JSON.stringify(binding ?? null);

  // The binding changed (here, elsewhere, or back after a refusal): show it again.
  useEffect(() => {
    const now = binding ?? null;
    const p = pending.current;
    if (p && !sameBinding(now, p.after)) {
      pending.current = null;
      if (sameBinding(now, p.before) && Date.now() - p.at < REFUSAL_WINDOW_MS) {
        setError(`The server refused this change to ${spec.name}; the handler is as it was.`);
      }
    }
    setKind(handlerKind(binding));
    setDraft(binding?.actions ?? []);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed by the binding's JSON
  }, [bindingKey]);

  const catalog = useMemo(() => new Map([[manifest.type, manifest]]), [manifest]);

  const apply = (b: Binding | null) => {
    setError("");
    if (b === null && !binding) return;
    const op = bindingOp(node.id, spec.name, b);
    // The same decision the server makes, so that most refusals are explained before sending.
    const d = decidePageOp(page, op, { newId: () => "unused", catalog });
    if (!d.ok) {
      setError(describeRejection(d.code, d.message, op));
      return;
    }
    pending.current = { before: binding ?? null, after: b, at: Date.now() };
    submit(op);
  };

  const chooseKind = (k: HandlerKind) => {
    setError("");
    setKind(k);
    setCreating(false);
    if (k === HandlerKind.None) apply(null);
    if (k === HandlerKind.Actions && binding?.kind !== "actions") setDraft([]);
  };

  const createScript = async () => {
    setBusy(true);
    setError("");
    try {
      const s = await api.createScript(appId, { name: newName.trim() || `${manifest.name} ${spec.name}`, kind: "event_handler", text: handlerTemplate(newAction.trim() || "...") });
      scripts.added(s);
      announceScriptsChanged();
      setCreating(false);
      apply({ kind: "script", scriptId: s.id });
      openScriptInPanel(s.id);
    } catch (err) {
      setError(`The script could not be created: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  };

  const handlers = scripts.scripts.filter((s) => s.kind === "event_handler");
  const workflows = scripts.scripts.filter((s) => s.kind === "workflow");
  const actionsDirty = binding?.kind !== "actions" || !sameBinding({ kind: "actions", actions: draft }, binding);
  const disabled = !canEdit || busy;

  return (
    <div className="event-row" data-testid={`event-${spec.name}`} data-bound={binding ? binding.kind : "none"}>
      <div className="event-head">
        <strong>{spec.name}</strong>
        <select aria-label={`Handler of ${spec.name}`} value={kind} disabled={!canEdit} onChange={(e) => chooseKind(e.target.value as HandlerKind)}>
          <option value={HandlerKind.None}>No handler</option>
          <option value={HandlerKind.Actions}>Quick actions</option>
          <option value={HandlerKind.Script}>Script</option>
          <option value={HandlerKind.Workflow}>Workflow</option>
        </select>
      </div>
      {spec.description && <p className="muted">{spec.description}</p>}
      <details className="event-payload">
        <summary>Payload{spec.nativeEvent ? ` (from ${spec.nativeEvent})` : ""}</summary>
        <pre>{JSON.stringify(spec.payload, null, 2)}</pre>
      </details>

      {kind === HandlerKind.Actions && (
        <div className="event-actions">
          <QuickActionsEditor specs={quickActions} actions={draft} disabled={disabled} onChange={setDraft} />
          <div className="row">
            <button
              type="button"
              disabled={disabled || !actionsDirty}
              onClick={() => {
                const problem = checkQuickActions(draft, quickActions);
                if (problem) setError(problem);
                else apply({ kind: "actions", actions: draft });
              }}
            >
              Save actions
            </button>
            {binding?.kind === "actions" && actionsDirty && (
              <button type="button" disabled={disabled} onClick={() => setDraft(binding.actions ?? [])}>
                Revert
              </button>
            )}
          </div>
        </div>
      )}

      {kind === HandlerKind.Script && (
        <div className="event-script">
          <select
            aria-label={`Script of ${spec.name}`}
            disabled={disabled}
            value={creating ? NEW_SCRIPT : binding?.kind === "script" ? (binding.scriptId ?? "") : ""}
            onChange={(e) => {
              if (e.target.value === NEW_SCRIPT) setCreating(true);
              else if (e.target.value !== "") {
                setCreating(false);
                apply({ kind: "script", scriptId: e.target.value });
              }
            }}
          >
            <option value="">Pick a script…</option>
            {handlers.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
            {binding?.kind === "script" && binding.scriptId && !handlers.some((s) => s.id === binding.scriptId) && <option value={binding.scriptId}>{binding.scriptId} (unknown)</option>}
            <option value={NEW_SCRIPT}>New script…</option>
          </select>
          {binding?.kind === "script" && binding.scriptId && !creating && (
            <button type="button" onClick={() => openScriptInPanel(binding.scriptId ?? "")}>
              Edit script
            </button>
          )}
          {creating && (
            <form
              className="new-script"
              onSubmit={(e) => {
                e.preventDefault();
                void createScript();
              }}
            >
              <label>
                Name <input value={newName} disabled={disabled} onChange={(e) => setNewName(e.target.value)} />
              </label>
              <label>
                Action to dispatch <input value={newAction} disabled={disabled} placeholder="counter/increment" onChange={(e) => setNewAction(e.target.value)} />
              </label>
              <button type="submit" disabled={disabled}>
                Create script
              </button>
              <button type="button" onClick={() => setCreating(false)}>
                Cancel
              </button>
            </form>
          )}
        </div>
      )}

      {kind === HandlerKind.Workflow && (
        <div className="event-workflow">
          <select
            aria-label={`Workflow of ${spec.name}`}
            disabled={disabled}
            value={binding?.kind === "workflow" ? (binding.workflowId ?? "") : ""}
            onChange={(e) => e.target.value !== "" && apply({ kind: "workflow", workflowId: e.target.value })}
          >
            <option value="">Pick a workflow…</option>
            {workflows.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
          {workflows.length === 0 && <p className="muted">The app has no workflows yet.</p>}
          <p className="muted">The workflow runs on the server with the event's payload; its result comes back as the action &lt;workflow name&gt;/succeeded (or /failed).</p>
        </div>
      )}

      {error && (
        <p role="alert" className="field-error" data-testid="event-error">
          {error}
        </p>
      )}
    </div>
  );
}
