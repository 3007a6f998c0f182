// The editor of one page: palette, canvas, and the Properties / Events / Scripts / Preview panel,
// over the page document of the editor's EditorSession. Every local change goes through the
// page's UndoManager; the selection is shared as presence; refused ops are explained in a toast.

import { DndContext, DragOverlay, PointerSensor, useDndContext, useSensor, useSensors, type DragEndEvent, type DragMoveEvent } from "@dnd-kit/core";
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { ApiClient } from "../api/client";
import {
  UndoManager,
  useConnectionStatus,
  usePeers,
  useRejections,
  useUndoState,
  type ComponentsBody,
  type EditorSession,
  type Manifest,
  type PageDocument,
  type PageOp,
  type Rejection,
} from "../editor";
import { EventsTab } from "./events/EventsTab";
import { PreviewPanel } from "./preview/PreviewPanel";
import { ScriptsPanel } from "./scripts/ScriptsPanel";
import { Canvas } from "./Canvas";
import { CanvasStore, usePage, useRootId, useSelection, type PeerMark } from "./canvasStore";
import { deleteOps, duplicateSelection, pasteOps, topLevel, type Clipboard } from "./commands";
import { clickInsertTarget, dropOp, dropTarget, type DragSource, type Point } from "./drop";
import { Command, commandFor, isTextEntry } from "./keyboard";
import { Palette } from "./Palette";
import { Avatars, ConnectionIndicator, Toasts, type Toast } from "./Presence";
import { PropertiesPanel, rejectionField } from "./PropertiesPanel";
import "./editor.css";

export interface PageEditorProps {
  api: ApiClient;
  session: EditorSession;
  appId: string;
  pageId: string;
  pageName: string;
  components: ComponentsBody;
  catalog: ReadonlyMap<string, Manifest>;
  canEdit: boolean;
  /** The page tree panel, shown above the palette. */
  pageTree: ReactNode;
  /** Called on every canvas node render (tests count them). */
  onNodeRender?: (id: string) => void;
}

/** Opens the page document for as long as the editor shows the page. */
export function PageEditor(props: PageEditorProps) {
  const { session, pageId } = props;
  const docId = `page-${pageId}`;
  const [pdoc, setPdoc] = useState<PageDocument | null>(null);
  useEffect(() => {
    const d = session.openPage(docId);
    setPdoc(d);
    return () => {
      session.close(docId);
      setPdoc(null);
    };
  }, [session, docId]);
  if (!pdoc) {
    return (
      <div className="editor-body pe-grid">
        <div className="pe-left">{props.pageTree}</div>
        <main className="canvas-area" aria-label="Editor">
          <CanvasFrame pageId={pageId} pageName={props.pageName}>
            <p className="muted">Loading the page…</p>
          </CanvasFrame>
        </main>
      </div>
    );
  }
  return <LoadedPageEditor {...props} doc={pdoc} docId={docId} />;
}

function CanvasFrame({ pageId, pageName, children }: { pageId: string; pageName: string; children: ReactNode }) {
  return (
    <div className="canvas" data-testid="editor-canvas" data-page-id={pageId}>
      <header className="canvas-head">
        <h1 className="canvas-title">{pageName}</h1>
        <code data-testid="editor-page-id" className="muted">
          {pageId}
        </code>
      </header>
      {children}
    </div>
  );
}

function isDragSource(v: unknown): v is DragSource {
  if (typeof v !== "object" || v === null) return false;
  const s = v as { kind?: unknown; type?: unknown; id?: unknown };
  return (s.kind === "palette" && typeof s.type === "string") || (s.kind === "node" && typeof s.id === "string");
}

function sourceOf(data: unknown): DragSource | null {
  const s = typeof data === "object" && data !== null ? (data as { source?: unknown }).source : undefined;
  return isDragSource(s) ? s : null;
}

/** The node under the pointer on the canvas: its id, "" for the canvas itself, null when off it. */
function nodeUnder(p: Point): string | null {
  for (const el of document.elementsFromPoint(p.x, p.y)) {
    if (!(el instanceof HTMLElement) || el.closest(".pe-overlay")) continue;
    const n = el.closest<HTMLElement>("[data-node-id]");
    if (n) return n.dataset.nodeId ?? "";
    if (el.closest("[data-testid='canvas-surface']")) return "";
  }
  return null;
}

function boxOf(id: string): DOMRect | null {
  return document.querySelector(`[data-node-id="${CSS.escape(id)}"]`)?.getBoundingClientRect() ?? null;
}

const tabs = ["Properties", "Events", "Scripts", "Preview"] as const;
type Tab = (typeof tabs)[number];

/**
 * What the editor's parts do, bound to one page: built once per page, reading the current page
 * and selection from the store when called, so that nothing re-renders the editor's frame (and
 * with it @dnd-kit's context and every node) when the page or the selection changes.
 */
interface EditorActions {
  select: (id: string, additive: boolean) => void;
  clearSelection: () => void;
  insert: (type: string) => void;
  run: (cmd: Command) => boolean;
  apply: (ops: PageOp[], mergeKey?: string) => PageOp[];
  submit: (ops: PageOp | PageOp[]) => void;
  onDragMove: (e: DragMoveEvent) => void;
  onDragEnd: (e: DragEndEvent) => void;
  onDragCancel: () => void;
}

function makeActions(store: CanvasStore, undo: UndoManager, doc: PageDocument, session: EditorSession, catalog: ReadonlyMap<string, Manifest>, canEdit: boolean): EditorActions {
  const apply = (ops: PageOp[], mergeKey?: string) => (ops.length > 0 && canEdit ? undo.apply(ops, mergeKey) : []);
  const selectInserted = (done: PageOp | undefined) => {
    if (done?.op === "insert_node" && done.nodeId) store.setSelection([done.nodeId]);
    if (done?.op === "move_node") store.setSelection([done.nodeId]);
  };
  let clipboard: Clipboard | null = null;
  // Where the pointer of a drag is and what dropping there would do.
  const drop = (e: DragMoveEvent | DragEndEvent) => {
    const src = sourceOf(e.active.data.current);
    const page = store.page;
    const a = e.activatorEvent;
    if (!src || !page || !canEdit || !(a instanceof MouseEvent)) return null;
    const p = { x: a.clientX + e.delta.x, y: a.clientY + e.delta.y };
    const over = nodeUnder(p);
    if (over === null) return null;
    const env = { acceptsChildren: (t: string) => catalog.get(t)?.acceptsChildren === true, boxOf };
    const target = dropTarget(page, over, p, env, src.kind === "node" ? src.id : undefined);
    return target ? { target, op: dropOp(page, src, target) } : null;
  };
  return {
    select: (id, additive) => {
      const sel = store.liveSelection();
      store.setSelection(additive ? (sel.includes(id) ? sel.filter((x) => x !== id) : [...sel, id]) : [id]);
    },
    clearSelection: () => store.setSelection([]),
    apply,
    submit: (ops) => void apply(Array.isArray(ops) ? ops : [ops]),
    insert: (type) => {
      const page = store.page;
      if (!page) return;
      const sel = store.liveSelection();
      const op = dropOp(page, { kind: "palette", type }, clickInsertTarget(page, sel[sel.length - 1], catalog));
      if (op) selectInserted(apply([op])[0]);
    },
    run: (cmd) => {
      const page = store.page;
      if (!page) return false;
      const sel = store.liveSelection();
      switch (cmd) {
        case Command.Undo:
          return canEdit && undo.undo();
        case Command.Redo:
          return canEdit && undo.redo();
        case Command.ClearSelection:
          store.setSelection([]);
          return true;
        case Command.Delete: {
          const ops = deleteOps(page, sel);
          if (!canEdit || ops.length === 0) return false;
          apply(ops);
          store.setSelection([]);
          return true;
        }
        case Command.Duplicate: {
          const { ops, roots } = duplicateSelection(page, sel, () => session.newId(), catalog);
          if (!canEdit || ops.length === 0) return false;
          apply(ops);
          store.setSelection(roots);
          return true;
        }
        case Command.Copy: {
          const ids = topLevel(page, sel);
          if (ids.length === 0) return false;
          clipboard = { page, ids };
          return true;
        }
        case Command.Paste: {
          if (!clipboard || !canEdit) return false;
          const target = clickInsertTarget(page, sel[sel.length - 1], catalog);
          const { ops, roots } = pasteOps(clipboard, page, target, () => session.newId(), doc.decideContext(), catalog);
          if (ops.length === 0) return false;
          apply(ops);
          store.setSelection(roots);
          return true;
        }
      }
    },
    onDragMove: (e) => {
      const d = drop(e);
      store.setDropParent(d?.op ? d.target.parentId : "");
    },
    onDragEnd: (e) => {
      store.setDropParent("");
      const d = drop(e);
      if (d?.op) selectInserted(apply([d.op])[0]);
    },
    onDragCancel: () => store.setDropParent(""),
  };
}

function LoadedPageEditor({ api, session, appId, pageId, pageName, components, catalog, canEdit, pageTree, doc, docId, onNodeRender }: PageEditorProps & { doc: PageDocument; docId: string }) {
  const store = useMemo(() => new CanvasStore(), []);
  const undo = useMemo(() => new UndoManager(doc), [doc]);
  const actions = useMemo(() => makeActions(store, undo, doc, session, catalog, canEdit), [store, undo, doc, session, catalog, canEdit]);

  // The session's view and peers go into the store; the selection goes out as presence.
  useLayoutEffect(() => {
    // null: nothing shared yet. The empty selection is shared too: it is how the others learn we are here.
    let shared: string | null = null;
    const sync = () => {
      store.setPage(session.page(docId)?.view ?? null);
      const marks = new Map<string, PeerMark>();
      for (const p of session.page(docId)?.peers.values() ?? []) for (const id of p.selection) if (!marks.has(id)) marks.set(id, { color: p.color, user: p.user });
      const same = marks.size === store.peerMarks.size && [...marks].every(([id, m]) => store.peerMarks.get(id)?.color === m.color);
      if (!same) store.setPeerMarks(marks);
    };
    const share = () => {
      const sel = store.liveSelection();
      if (sel.join("\n") === shared) return;
      shared = sel.join("\n");
      doc.setPresence({ selection: sel });
    };
    sync();
    share();
    const offSession = session.subscribe((e) => {
      if ((e.type === "change" || e.type === "presence") && e.doc === docId) sync();
    });
    const offStore = store.subscribe(share);
    return () => {
      offSession();
      offStore();
    };
  }, [store, session, doc, docId]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || isTextEntry(e.target)) return;
      const cmd = commandFor(e);
      if (!cmd) return;
      // Copying text the user selected on the page stays the browser's.
      if (cmd === Command.Copy && !window.getSelection()?.isCollapsed) return;
      if (actions.run(cmd)) e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [actions]);

  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 5 } }));

  return (
    <DndContext sensors={sensors} onDragMove={actions.onDragMove} onDragEnd={actions.onDragEnd} onDragCancel={actions.onDragCancel}>
      <div className="editor-body pe-grid">
        <div className="pe-left">
          {pageTree}
          <Palette manifests={components.components} canEdit={canEdit} onInsert={actions.insert} />
        </div>
        <main className="canvas-area pe-center" aria-label="Editor">
          <Toolbar store={store} undo={undo} session={session} docId={docId} canEdit={canEdit} actions={actions} />
          <RejectionToasts session={session} docId={docId} />
          <CanvasFrame pageId={pageId} pageName={pageName}>
            <CanvasBody store={store} doc={doc} catalog={catalog} canEdit={canEdit} actions={actions} onNodeRender={onNodeRender} />
          </CanvasFrame>
        </main>
        <Inspector api={api} session={session} appId={appId} pageId={pageId} docId={docId} store={store} catalog={catalog} components={components} canEdit={canEdit} undo={undo} actions={actions} />
      </div>
      <DragOverlay dropAnimation={null}>
        <DragPreview store={store} catalog={catalog} />
      </DragOverlay>
    </DndContext>
  );
}

interface CanvasBodyProps {
  store: CanvasStore;
  doc: PageDocument;
  catalog: ReadonlyMap<string, Manifest>;
  canEdit: boolean;
  actions: EditorActions;
  onNodeRender: ((id: string) => void) | undefined;
}

function CanvasBody({ store, doc, catalog, canEdit, actions, onNodeRender }: CanvasBodyProps) {
  const rootId = useRootId(store);
  if (rootId) {
    const props = { rootId, store, catalog, canEdit, onSelect: actions.select, onClearSelection: actions.clearSelection };
    return onNodeRender ? <Canvas {...props} onRender={onNodeRender} /> : <Canvas {...props} />;
  }
  if (doc.error) return <p role="alert">This page cannot be opened: {doc.error.message}</p>;
  return <p className="muted">Loading the page…</p>;
}

function DragPreview({ store, catalog }: { store: CanvasStore; catalog: ReadonlyMap<string, Manifest> }) {
  const { active } = useDndContext();
  const src = active ? sourceOf(active.data.current) : null;
  if (!src) return null;
  const label = src.kind === "palette" ? (catalog.get(src.type)?.name ?? src.type) : (store.page?.nodes[src.id]?.type ?? "");
  return <div className="pe-overlay">{label}</div>;
}

interface ToolbarProps {
  store: CanvasStore;
  undo: UndoManager;
  session: EditorSession;
  docId: string;
  canEdit: boolean;
  actions: EditorActions;
}

function Toolbar({ store, undo, session, docId, canEdit, actions }: ToolbarProps) {
  const page = usePage(store);
  const selection = useSelection(store);
  const { canUndo, canRedo } = useUndoState(undo);
  const status = useConnectionStatus(session);
  const peers = usePeers(session, docId);
  // "Reconnecting…" once the connection was up; "Connecting…" before (the session outlives pages).
  const everConnected = useRef(false);
  if (status === "connected" || session.user !== "") everConnected.current = true;
  const deletable = page ? deleteOps(page, selection).length > 0 : false;
  const run = (cmd: Command) => () => void actions.run(cmd);
  return (
    <div className="pe-toolbar" role="toolbar" aria-label="Canvas tools">
      <button type="button" aria-label="Undo" title="Undo (Ctrl+Z)" disabled={!canEdit || !canUndo} onClick={run(Command.Undo)}>
        ↶ Undo
      </button>
      <button type="button" aria-label="Redo" title="Redo (Ctrl+Shift+Z)" disabled={!canEdit || !canRedo} onClick={run(Command.Redo)}>
        ↷ Redo
      </button>
      <button type="button" aria-label="Delete" title="Delete (Del)" disabled={!canEdit || !deletable} onClick={run(Command.Delete)}>
        Delete
      </button>
      <button type="button" aria-label="Duplicate" title="Duplicate (Ctrl+D)" disabled={!canEdit || !deletable} onClick={run(Command.Duplicate)}>
        Duplicate
      </button>
      <button type="button" aria-label="Copy" title="Copy (Ctrl+C)" disabled={!deletable} onClick={run(Command.Copy)}>
        Copy
      </button>
      <button type="button" aria-label="Paste" title="Paste (Ctrl+V)" disabled={!canEdit} onClick={run(Command.Paste)}>
        Paste
      </button>
      <span className="pe-toolbar-end">
        <ConnectionIndicator status={status} everConnected={everConnected.current} onRetry={() => session.reconnectNow()} />
        <Avatars peers={peers} />
      </span>
    </div>
  );
}

function RejectionToasts({ session, docId }: { session: EditorSession; docId: string }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const seq = useRef(0);
  const dismiss = (id: number) => setToasts((ts) => ts.filter((t) => t.id !== id));
  useRejections(session, (r: Rejection) => {
    if (r.doc !== docId) return;
    const id = ++seq.current;
    setToasts((ts) => [...ts.slice(-4), { id, message: r.message }]);
    setTimeout(() => dismiss(id), 10_000);
  });
  return <Toasts toasts={toasts} onDismiss={dismiss} />;
}

interface InspectorProps {
  api: ApiClient;
  session: EditorSession;
  appId: string;
  pageId: string;
  docId: string;
  store: CanvasStore;
  catalog: ReadonlyMap<string, Manifest>;
  components: ComponentsBody;
  canEdit: boolean;
  undo: UndoManager;
  actions: EditorActions;
}

function Inspector({ api, session, appId, pageId, docId, store, catalog, components, canEdit, undo, actions }: InspectorProps) {
  const [tab, setTab] = useState<Tab>("Properties");
  const view = usePage(store);
  const selection = useSelection(store);
  const [fieldErrors, setFieldErrors] = useState<ReadonlyMap<string, string>>(new Map());
  useRejections(session, (r: Rejection) => {
    const f = r.doc === docId ? rejectionField(r.path, r.op) : undefined;
    if (f) setFieldErrors((m) => new Map(m).set(`${f.nodeId} ${f.key}`, r.message));
  });
  const single = selection.length === 1 && view ? view.nodes[selection[0]!] : undefined;
  const manifest = single ? catalog.get(single.type) : undefined;
  const nodeErrors = useMemo(() => {
    const out = new Map<string, string>();
    if (!single) return out;
    for (const [k, v] of fieldErrors) if (k.startsWith(`${single.id} `)) out.set(k.slice(single.id.length + 1), v);
    return out;
  }, [fieldErrors, single]);
  const clearError = (nodeId: string, key: string) =>
    setFieldErrors((m) => {
      if (!m.has(`${nodeId} ${key}`)) return m;
      const n = new Map(m);
      n.delete(`${nodeId} ${key}`);
      return n;
    });
  return (
    <aside className="pe-right" aria-label="Inspector">
      <div role="tablist" aria-label="Inspector tabs" className="pe-tabs">
        {tabs.map((t) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} className={tab === t ? "active" : ""} onClick={() => setTab(t)}>
            {t}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={tab} className="pe-tabpanel">
        {tab === "Properties" &&
          (single ? (
            <PropertiesPanel
              node={single}
              manifest={manifest}
              canEdit={canEdit}
              apply={actions.apply}
              seal={() => undo.seal()}
              errors={nodeErrors}
              clearError={(key) => clearError(single.id, key)}
            />
          ) : (
            <p className="muted">{selection.length > 1 ? `${selection.length} components selected.` : "Select a component on the canvas to edit its properties."}</p>
          ))}
        {tab === "Events" &&
          (single && manifest && view ? (
            <EventsTab api={api} appId={appId} page={view} node={single} manifest={manifest} quickActions={components.quickActions} canEdit={canEdit} submit={actions.submit} />
          ) : (
            <p className="muted">Select one component to edit its events.</p>
          ))}
        {tab === "Scripts" && view && <ScriptsPanel api={api} session={session} appId={appId} page={view} canEdit={canEdit} submit={actions.submit} />}
        {tab === "Preview" && <PreviewPanel session={session} appId={appId} pageId={pageId} />}
      </div>
    </aside>
  );
}
