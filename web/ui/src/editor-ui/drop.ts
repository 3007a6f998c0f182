// Where a drop on the canvas lands and the op it makes: dropping on a container puts the node
// among its children at the pointer; dropping on any other node puts it before or after that node.

import { childrenOf, indexAt, isInSubtree, type Manifest, type Page, type PageNode, type PageOp } from "../editor";

export interface Point {
  x: number;
  y: number;
}

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** What is being dragged: a component from the palette or a node of the page. */
export type DragSource = { kind: "palette"; type: string } | { kind: "node"; id: string };

export interface DropTarget {
  parentId: string;
  /** Position among the parent's children, not counting the dragged node. */
  position: number;
}

export interface DropEnv {
  /** Whether nodes of the type accept children. */
  acceptsChildren: (type: string) => boolean;
  /** The on-screen box of a node, or null when it is not rendered. */
  boxOf: (id: string) => Box | null;
}

/** Whether a node lays its children out in a row (the pointer's x decides then, not y). */
export function isHorizontal(n: PageNode): boolean {
  if (n.type === "Row") return true;
  const d = n.props.direction;
  return d === "row" || d === "horizontal";
}

function before(p: Point, box: Box, horizontal: boolean): boolean {
  return horizontal ? p.x < box.left + box.width / 2 : p.y < box.top + box.height / 2;
}

/**
 * The drop target under the pointer: overId is the innermost node under it ("" or unknown: the
 * root). excludeId is the dragged node, if any (its own place is not counted).
 */
export function dropTarget(page: Page, overId: string, p: Point, env: DropEnv, excludeId?: string): DropTarget | null {
  const over = page.nodes[overId] ?? page.nodes[page.rootId];
  if (!over) return null;
  if (over.id === page.rootId || env.acceptsChildren(over.type)) {
    const kids = childrenOf(page, over.id).filter((k) => k.id !== excludeId);
    const horizontal = isHorizontal(over);
    let position = kids.length;
    for (let i = 0; i < kids.length; i++) {
      const box = env.boxOf(kids[i]!.id);
      if (box && before(p, box, horizontal)) {
        position = i;
        break;
      }
    }
    return { parentId: over.id, position };
  }
  const parent = page.nodes[over.parentId];
  if (!parent) return null;
  const sibs = childrenOf(page, parent.id).filter((k) => k.id !== excludeId);
  const at = sibs.findIndex((s) => s.id === over.id);
  if (at < 0) return null; // over is the dragged node itself
  const box = env.boxOf(over.id);
  const after = box ? !before(p, box, isHorizontal(parent)) : true;
  return { parentId: parent.id, position: at + (after ? 1 : 0) };
}

/**
 * The op a drop makes: insert_node for a palette component, move_node for a node (null when it
 * would not change anything or would put the node inside itself).
 */
export function dropOp(page: Page, source: DragSource, target: DropTarget): PageOp | null {
  if (source.kind === "palette") {
    return { op: "insert_node", type: source.type, parentId: target.parentId, index: indexAt(page, target.parentId, target.position) };
  }
  const n = page.nodes[source.id];
  if (!n || n.id === page.rootId) return null;
  if (isInSubtree(page, n.id, target.parentId)) return null;
  const sibs = childrenOf(page, target.parentId).filter((k) => k.id !== n.id);
  if (n.parentId === target.parentId) {
    const was = childrenOf(page, target.parentId).findIndex((k) => k.id === n.id);
    if (was === target.position) return null;
  }
  const pos = Math.max(0, Math.min(target.position, sibs.length));
  return { op: "move_node", nodeId: n.id, parentId: target.parentId, index: indexAt(page, target.parentId, pos, n.id) };
}

/** Where a click on a palette item inserts: into the selected container, after a selected leaf, else at the end of the page. */
export function clickInsertTarget(page: Page, selected: string | undefined, catalog: ReadonlyMap<string, Manifest>): DropTarget {
  const n = selected ? page.nodes[selected] : undefined;
  if (n && (n.id === page.rootId || catalog.get(n.type)?.acceptsChildren)) {
    return { parentId: n.id, position: childrenOf(page, n.id).length };
  }
  if (n && page.nodes[n.parentId]) {
    const sibs = childrenOf(page, n.parentId);
    return { parentId: n.parentId, position: sibs.findIndex((s) => s.id === n.id) + 1 };
  }
  return { parentId: page.rootId, position: childrenOf(page, page.rootId).length };
}
