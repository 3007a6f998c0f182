// The canvas: the page's node tree drawn with the renderers, each node memoized and reading its
// own slice of the CanvasStore. Nodes are selectable (shift/ctrl/cmd adds), draggable (@dnd-kit)
// and outlined in a peer's colour when a peer selected them.

import { useDraggable, useDroppable } from "@dnd-kit/core";
import { createContext, memo, useContext, useMemo, type MouseEvent } from "react";
import type { Manifest } from "../editor";
import { isHorizontal } from "./drop";
import { useChildIds, useIsDropParent, useNode, usePeerMark, useSelected, type CanvasStore } from "./canvasStore";
import { ContainerHeader, LeafBody, inlineStyle, layoutStyle } from "./renderers";

export interface CanvasContextValue {
  store: CanvasStore;
  catalog: ReadonlyMap<string, Manifest>;
  canEdit: boolean;
  onSelect: (id: string, additive: boolean) => void;
  /** Called on every node render (tests count them). */
  onRender?: (id: string) => void;
}

const CanvasContext = createContext<CanvasContextValue | null>(null);

function useCanvas(): CanvasContextValue {
  const c = useContext(CanvasContext);
  if (!c) throw new Error("canvas nodes outside a Canvas");
  return c;
}

export const CANVAS_DROPPABLE = "canvas";

const NodeView = memo(function NodeView({ id, root }: { id: string; root: boolean }) {
  const { store, catalog, canEdit, onSelect, onRender } = useCanvas();
  const node = useNode(store, id);
  const kids = useChildIds(store, id);
  const selected = useSelected(store, id);
  const peer = usePeerMark(store, id);
  const dropHere = useIsDropParent(store, id);
  const { setNodeRef, listeners, isDragging } = useDraggable({ id: `node:${id}`, data: { source: { kind: "node", id } }, disabled: root || !canEdit });
  onRender?.(id);
  if (!node) return null;
  const container = root || catalog.get(node.type)?.acceptsChildren === true;
  const style = container ? { ...layoutStyle(node, isHorizontal(node)), ...inlineStyle(node.styles) } : inlineStyle(node.styles);
  if (peer) style.outline = `2px solid ${peer.color}`;
  const cls = ["cv-node", container ? "cv-box" : "cv-leaf", `cv-type-${node.type}`, selected ? "selected" : "", isDragging ? "dragging" : "", dropHere ? "drop-target" : "", root ? "cv-root" : ""]
    .filter(Boolean)
    .join(" ");
  const click = (e: MouseEvent) => {
    e.stopPropagation();
    onSelect(id, e.shiftKey || e.metaKey || e.ctrlKey);
  };
  return (
    <div
      ref={setNodeRef}
      {...listeners}
      className={cls}
      style={style}
      data-node-id={id}
      data-node-type={node.type}
      data-selected={selected || undefined}
      data-peer-selected={peer ? peer.user : undefined}
      onClick={click}
    >
      {peer && (
        <span className="cv-peer-tag" style={{ background: peer.color }}>
          {peer.user}
        </span>
      )}
      {container ? (
        <>
          {!root && <span className="cv-type-tag">{catalog.get(node.type)?.name ?? node.type}</span>}
          <ContainerHeader node={node} />
          {kids.length === 0 ? <div className="cv-empty">Drop components here</div> : kids.map((k) => <NodeView key={k} id={k} root={false} />)}
        </>
      ) : (
        <LeafBody node={node} />
      )}
    </div>
  );
});

export interface CanvasProps extends CanvasContextValue {
  rootId: string;
  onClearSelection: () => void;
}

/** The page's node tree; a drop target for the palette and for moves. */
export function Canvas({ rootId, onClearSelection, store, catalog, canEdit, onSelect, onRender }: CanvasProps) {
  const ctx = useMemo(() => {
    const v: CanvasContextValue = { store, catalog, canEdit, onSelect };
    if (onRender) v.onRender = onRender;
    return v;
  }, [store, catalog, canEdit, onSelect, onRender]);
  const { setNodeRef, isOver } = useDroppable({ id: CANVAS_DROPPABLE });
  return (
    <CanvasContext.Provider value={ctx}>
      <div ref={setNodeRef} className={`cv-surface${isOver ? " over" : ""}`} onClick={onClearSelection} data-testid="canvas-surface">
        {rootId && <NodeView id={rootId} root />}
      </div>
    </CanvasContext.Provider>
  );
}
