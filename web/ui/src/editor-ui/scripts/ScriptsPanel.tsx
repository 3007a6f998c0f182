import { useCallback, useEffect, useMemo, useState } from "react";
import type { ApiClient } from "../../api/client";
import { errorMessage } from "../../api/client";
import { useRejections, useScriptText, type EditorSession, type Page, type PageOp, type Script } from "../../editor";
import { ScriptEditor } from "../monaco/ScriptEditor";
import { markerFromError, type ScriptMarker } from "../monaco/scriptMarkers";
import { useSyntaxMarkers } from "../monaco/syntaxCheck";
import { announceScriptsChanged, claimOpenRequest, useAppScripts, useOpenScriptRequests } from "./appScripts";
import { appReducerTemplate, pageReducerTemplate, parseInitialState } from "./templates";
import { useRunErrors } from "./runErrors";
import "./scripts.css";

/** The props of the page and app scripts panel (agreed between the editor layout and this panel). */
export interface ScriptsPanelProps {
  api: ApiClient;
  session: EditorSession;
  appId: string;
  page: Page;
  canEdit: boolean;
  /** Submits page ops (set_page_state) through the editor's undo manager. */
  submit: (ops: PageOp | PageOp[]) => void;
}

/** The page's reducer and initial state, the app reducer, and the code editor of a chosen script. */
export function ScriptsPanel({ api, session, appId, page, canEdit, submit }: ScriptsPanelProps) {
  const scripts = useAppScripts(api, appId);
  const [selected, setSelected] = useState<string>(() => claimOpenRequest() ?? page.reducerScriptId);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [stateText, setStateText] = useState(() => JSON.stringify(page.initialState ?? {}, null, 2));
  const [stateError, setStateError] = useState("");
  const [rejection, setRejection] = useState("");
  // The errors of the latest preview run on this connection, by script.
  const runErrors = useRunErrors(session);

  const initialKey = JSON.stringify(page.initialState ?? {});
  useEffect(() => {
    setStateText(JSON.stringify(page.initialState ?? {}, null, 2));
    setStateError("");
    // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed by the state's JSON
  }, [initialKey]);

  const pageReducers = scripts.scripts.filter((s) => s.kind === "page_reducer");
  const appReducer = scripts.scripts.find((s) => s.kind === "app_reducer");

  useOpenScriptRequests(useCallback((id: string) => setSelected(id), []));


  useRejections(session, (r) => {
    if (r.doc === `script-${selected}`) setRejection(r.message);
  });
  useEffect(() => setRejection(""), [selected]);

  const setPageState = (initialState: Page["initialState"], reducerScriptId: string) => {
    // set_page_state replaces both: send the one that stays as it is too.
    submit({ op: "set_page_state", initialState: initialState ?? {}, reducerScriptId });
  };

  const create = async (kind: Script["kind"], name: string, text: string): Promise<Script | null> => {
    setBusy(true);
    setError("");
    try {
      const s = await api.createScript(appId, { name, kind, text });
      scripts.added(s);
      announceScriptsChanged();
      setSelected(s.id);
      return s;
    } catch (err) {
      setError(`The script could not be created: ${errorMessage(err)}`);
      return null;
    } finally {
      setBusy(false);
    }
  };

  const selectedScript = scripts.scripts.find((s) => s.id === selected);
  const runError = !selected
    ? ""
    : selected === page.reducerScriptId && runErrors.pageReducer
      ? runErrors.pageReducer
      : selected === appReducer?.id && runErrors.appReducer
        ? runErrors.appReducer
        : (runErrors.handlers[selected] ?? "");
  const draft = useScriptText(session, `script-${selected}`);
  const syntaxMarkers = useSyntaxMarkers(api, selected, selected && session.script(`script-${selected}`)?.loaded ? draft : undefined);
  const markers: ScriptMarker[] = useMemo(() => {
    const all = [...syntaxMarkers];
    if (runError) all.push(markerFromError(runError, draft.split("\n").length));
    return all;
  }, [runError, syntaxMarkers, draft]);
  const disabled = !canEdit || busy;

  return (
    <section aria-label="Scripts" className="scripts-panel">
      <h3>Page state</h3>
      <div className="field">
        <label htmlFor="page-reducer">Page reducer</label>
        <div className="row">
          <select
            id="page-reducer"
            data-testid="page-reducer-select"
            disabled={disabled}
            value={page.reducerScriptId}
            onChange={(e) => {
              setPageState(page.initialState, e.target.value);
              if (e.target.value) setSelected(e.target.value);
            }}
          >
            <option value="">(none: the state passes through)</option>
            {pageReducers.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
            {page.reducerScriptId && !pageReducers.some((s) => s.id === page.reducerScriptId) && <option value={page.reducerScriptId}>{page.reducerScriptId}</option>}
          </select>
          <button
            type="button"
            disabled={disabled}
            onClick={async () => {
              const s = await create("page_reducer", `${page.name} reducer`, pageReducerTemplate);
              if (s) setPageState(page.initialState, s.id);
            }}
          >
            New page reducer
          </button>
        </div>
      </div>
      <div className="field">
        <label htmlFor="initial-state">Initial state (JSON)</label>
        <textarea id="initial-state" data-testid="initial-state" rows={4} disabled={!canEdit} value={stateText} onChange={(e) => setStateText(e.target.value)} spellCheck={false} />
        {stateError && (
          <p role="alert" className="field-error">
            {stateError}
          </p>
        )}
        <button
          type="button"
          disabled={!canEdit}
          onClick={() => {
            const r = parseInitialState(stateText);
            if (!r.ok) {
              setStateError(r.error);
              return;
            }
            setStateError("");
            setPageState(r.value, page.reducerScriptId);
          }}
        >
          Save initial state
        </button>
      </div>

      <h3>App reducer</h3>
      {appReducer ? (
        <button type="button" onClick={() => setSelected(appReducer.id)}>
          Edit {appReducer.name}
        </button>
      ) : (
        <button type="button" disabled={disabled || scripts.loading} onClick={() => void create("app_reducer", "App reducer", appReducerTemplate)}>
          Create app reducer
        </button>
      )}

      <h3>Code</h3>
      <select aria-label="Script to edit" data-testid="script-select" value={selected} onChange={(e) => setSelected(e.target.value)}>
        <option value="">Pick a script…</option>
        {scripts.scripts
          .filter((s) => s.kind !== "workflow")
          .map((s) => (
            <option key={s.id} value={s.id}>
              {s.name} ({s.kind.replace("_", " ")})
            </option>
          ))}
      </select>
      {error && <p role="alert">{error}</p>}
      {scripts.error !== undefined && <p role="alert">The scripts could not be loaded: {errorMessage(scripts.error)}</p>}
      {selected && (
        <>
          {selectedScript && <p className="muted">{selectedScript.name}: {selectedScript.kind.replace("_", " ")}</p>}
          <ScriptEditor key={selected} session={session} doc={`script-${selected}`} markers={markers} readOnly={!canEdit} />
          {runError && (
            <p role="alert" className="field-error" data-testid="script-run-error">
              Last run: {runError}
            </p>
          )}
          {rejection && <p role="alert">{rejection}</p>}
        </>
      )}
    </section>
  );
}
