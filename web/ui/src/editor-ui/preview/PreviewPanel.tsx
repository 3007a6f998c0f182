import { useCallback, useEffect, useMemo, useReducer, useState } from "react";
import { errorMessage } from "../../api/client";
import { useResource } from "../../api/useResource";
import { useApi } from "../../auth/AuthContext";
import { buildTree, catalogOf, usePageView, type EditorSession, type Page } from "../../editor";
import { PreviewNode } from "./PreviewNode";
import { watchRunErrors } from "../scripts/runErrors";
import { initialPreview, payloadFor, PreviewStatus, previewReducer, type EventFacts } from "./previewState";
import "./preview.css";

/** The props of the preview panel (agreed between the editor layout and this panel). */
export interface PreviewPanelProps {
  session: EditorSession;
  appId: string;
  pageId: string;
}

const TOAST_MS = 5000;

/** Runs the page in a runtime session (preview mode) and shows it live, with its state. */
export function PreviewPanel({ session, pageId }: PreviewPanelProps) {
  const api = useApi();
  const doc = `page-${pageId}`;
  const components = useResource((signal) => api.getComponents(signal), [api]);
  const catalog = useMemo(() => catalogOf(components.data?.components ?? []), [components.data]);
  useEffect(() => {
    session.openPage(doc);
  }, [session, doc]);
  const view = usePageView(session, doc);
  const [s, dispatch] = useReducer(previewReducer, initialPreview);
  // The page as it was when the run started: the server reads nodes and bindings once (P34).
  const [runPage, setRunPage] = useState<Page | null>(null);

  useEffect(
    () =>
      session.subscribe((e) => {
        if (e.type === "run") dispatch({ type: "message", msg: e.msg });
        else if (e.type === "server_error") dispatch(e.ref === undefined ? { type: "server_error", code: e.code, message: e.message } : { type: "server_error", code: e.code, message: e.message, ref: e.ref });
      }),
    [session],
  );

  useEffect(() => {
    if (s.toasts.length === 0) return;
    const first = s.toasts[0]!;
    const t = setTimeout(() => dispatch({ type: "dismiss", id: first.id }), TOAST_MS);
    return () => clearTimeout(t);
  }, [s.toasts]);

  const start = () => {
    // The scripts panel shows this run's script errors as markers, even if it is not shown now.
    watchRunErrors(session);
    setRunPage(view);
    dispatch({ type: "start" });
    session.run(doc, "preview");
  };

  const fire = useCallback(
    (nodeId: string, event: string, facts: EventFacts) => {
      if (!s.session || !runPage) return;
      const node = runPage.nodes[nodeId];
      const spec = node ? catalog.get(node.type)?.events?.find((x) => x.name === event) : undefined;
      const payload = spec ? payloadFor(spec.payload, facts) : {};
      dispatch({ type: "sent" });
      session.componentEvent(s.session, nodeId, event, payload);
    },
    [s.session, runPage, catalog, session],
  );

  const tree = runPage ? buildTree(runPage) : null;
  const running = s.status === PreviewStatus.Running;

  return (
    <section aria-label="Preview" className="preview-panel" data-testid="preview-panel" data-status={s.status}>
      <div className="row">
        {s.status === PreviewStatus.Idle ? (
          <button type="button" onClick={start} disabled={!view}>
            Run preview
          </button>
        ) : (
          <button type="button" onClick={start} disabled={!view}>
            Restart
          </button>
        )}
        <span className="muted" data-testid="preview-status">
          {s.status === PreviewStatus.Starting ? "Starting…" : running ? `Running, step ${s.step}` : s.status === PreviewStatus.Failed ? "Not running" : "Run the page to try it."}
        </span>
      </div>
      {components.error !== undefined && <p role="alert">The components could not be loaded: {errorMessage(components.error)}</p>}
      {s.error && (
        <p role="alert" className="field-error" data-testid="preview-error">
          {s.error}
        </p>
      )}
      {running && runPage && view && view.version !== runPage.version && (
        <p className="muted" data-testid="preview-stale">
          The page changed since this run started; Restart to run the new version.
        </p>
      )}
      {running && tree && (
        <div className="preview-page" data-testid="preview-page">
          <PreviewNode tree={tree} catalog={catalog} overrides={s.props} pageState={s.state?.page ?? null} fire={fire} />
        </div>
      )}
      {s.state && (
        <>
          <h4>State</h4>
          <pre data-testid="preview-state">{JSON.stringify({ page: s.state.page, app: s.state.app }, null, 2)}</pre>
        </>
      )}
      {s.notes.length > 0 && (
        <ul className="preview-notes">
          {s.notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
      <div className="preview-toasts" aria-live="polite">
        {s.toasts.map((t) => (
          <div key={t.id} role="status" className={`toast toast-${t.level}`} data-testid="preview-toast">
            {t.message}
            <button type="button" aria-label="Dismiss" onClick={() => dispatch({ type: "dismiss", id: t.id })}>
              ✕
            </button>
          </div>
        ))}
      </div>
    </section>
  );
}
