// A Monaco editor bound to a co-edited script document: local edits go to the document as ops,
// remote edits come back as `remote_text` events and are applied to the model without echo.
// Monaco itself is loaded lazily (loadMonaco), so mounting this component fetches its chunk.

import { useEffect, useRef, useState } from "react";
import type * as MonacoNs from "monaco-editor";
import { errorMessage } from "../../api/client";
import { changesFromOp, diffText, opFromChanges, type EditorSession, type TextOp } from "../../editor";
import { loadMonaco, type Monaco } from "./loadMonaco";
import type { ScriptMarker } from "./scriptMarkers";

export interface ScriptEditorProps {
  session: EditorSession;
  /** The script document, "script-<id>" (opened here if it is not open yet). */
  doc: string;
  /** Errors the server reported for this script (shown as error markers). */
  markers?: readonly ScriptMarker[];
  readOnly?: boolean;
  height?: number;
}

/** The markers' owner: Monaco's own JavaScript diagnostics use another one. */
const MARKER_OWNER = "goflow-server";

export function ScriptEditor({ session, doc, markers, readOnly = false, height = 260 }: ScriptEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const [monaco, setMonaco] = useState<Monaco | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const modelRef = useRef<MonacoNs.editor.ITextModel | null>(null);
  const editorRef = useRef<MonacoNs.editor.IStandaloneCodeEditor | null>(null);
  const readOnlyRef = useRef(readOnly);
  readOnlyRef.current = readOnly;

  useEffect(() => {
    let live = true;
    loadMonaco().then(
      (m) => live && setMonaco(m),
      (err: unknown) => live && setLoadError(errorMessage(err)),
    );
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    const el = host.current;
    if (!monaco || !el) return;
    const sd = session.openScript(doc);
    const uri = monaco.Uri.parse(`file:///goflow/${doc}.js`);
    monaco.editor.getModel(uri)?.dispose();
    const model = monaco.editor.createModel(sd.text, "javascript", uri);
    const ed = monaco.editor.create(el, {
      model,
      automaticLayout: true,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      fontSize: 13,
      tabSize: 2,
      // The inspector is narrow: let suggestions and hovers overflow it.
      fixedOverflowWidgets: true,
      readOnly: readOnlyRef.current || !sd.loaded,
    });
    modelRef.current = model;
    editorRef.current = ed;

    // Set while remote edits are applied: their change events must not go back as local edits.
    let applyingRemote = false;
    const applyRemote = (op: TextOp) => {
      const edits = changesFromOp(op).map((c) => {
        const s = model.getPositionAt(c.start);
        const e = model.getPositionAt(c.end);
        return { range: new monaco.Range(s.lineNumber, s.column, e.lineNumber, e.column), text: c.text };
      });
      if (edits.length === 0) return;
      applyingRemote = true;
      try {
        // applyEdits, not pushEditOperations: remote edits stay out of the local undo stack.
        model.applyEdits(edits);
      } finally {
        applyingRemote = false;
      }
    };
    // Brings the model back to the document's text (after a missed event or a refused edit).
    const resync = () => {
      const current = model.getValue();
      if (current !== sd.text) applyRemote(diffText(current, sd.text));
    };

    const changes = model.onDidChangeContent((e) => {
      if (applyingRemote) return;
      try {
        sd.edit(opFromChanges(e.changes));
      } catch {
        resync();
      }
    });
    const unsubscribe = session.subscribe((e) => {
      if (e.type === "remote_text" && e.doc === doc) {
        applyRemote(e.op);
      } else if (e.type === "change" && e.doc === doc) {
        ed.updateOptions({ readOnly: readOnlyRef.current || !sd.loaded });
        resync();
      }
    });
    return () => {
      unsubscribe();
      changes.dispose();
      ed.dispose();
      model.dispose();
      modelRef.current = null;
      editorRef.current = null;
    };
  }, [monaco, session, doc]);

  useEffect(() => {
    const sd = session.script(doc);
    editorRef.current?.updateOptions({ readOnly: readOnly || !sd?.loaded });
  }, [readOnly, session, doc, monaco]);

  useEffect(() => {
    const model = modelRef.current;
    if (!monaco || !model) return;
    monaco.editor.setModelMarkers(
      model,
      MARKER_OWNER,
      (markers ?? []).map((m) => ({ ...m, severity: monaco.MarkerSeverity.Error })),
    );
  }, [monaco, markers, doc]);

  return (
    <div className="script-editor" data-testid="script-editor" data-doc={doc}>
      {loadError && <p role="alert">The code editor could not be loaded: {loadError}</p>}
      {!monaco && !loadError && <p className="muted">Loading the code editor…</p>}
      <div ref={host} style={{ height, border: "1px solid var(--border, #ccc)" }} />
    </div>
  );
}
