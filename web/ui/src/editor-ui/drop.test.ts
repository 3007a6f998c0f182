import { describe, expect, it } from "vitest";
import { childrenOf, compareNodes, type InsertNodeOp, type MoveNodeOp, type Page } from "../editor";
import { catalog, node, samplePage } from "../editor/testdata/fixtures";
import { clickInsertTarget, dropOp, dropTarget, type Box, type DropEnv } from "./drop";

// Boxes of the sample page drawn as a column: box (0-100) holding b1 (10-40), b2 (50-80); t1 (110-140).
const boxes: Record<string, Box> = {
  root: { left: 0, top: 0, width: 400, height: 200 },
  box: { left: 0, top: 0, width: 400, height: 100 },
  b1: { left: 0, top: 10, width: 400, height: 30 },
  b2: { left: 0, top: 50, width: 400, height: 30 },
  t1: { left: 0, top: 110, width: 400, height: 30 },
};
const env: DropEnv = { acceptsChildren: (t) => catalog.get(t)?.acceptsChildren === true, boxOf: (id) => boxes[id] ?? null };

/** Ids of parent's children after applying a move or insert by hand (index order). */
function orderAfter(page: Page, op: InsertNodeOp | MoveNodeOp, id: string): string[] {
  const n = page.nodes[id] ?? node(id, (op as InsertNodeOp).type ?? "Text", "", "");
  const moved = { ...n, parentId: op.parentId ?? n.parentId, index: op.index ?? n.index };
  const sibs = childrenOf(page, moved.parentId).filter((k) => k.id !== id);
  return [...sibs, moved].sort(compareNodes).map((k) => k.id);
}

describe("dropTarget", () => {
  const page = samplePage();
  it.each([
    ["into a container, before its first child", "box", { x: 5, y: 12 }, { parentId: "box", position: 0 }],
    ["into a container, between children", "box", { x: 5, y: 45 }, { parentId: "box", position: 1 }],
    ["into a container, after its children", "box", { x: 5, y: 95 }, { parentId: "box", position: 2 }],
    ["on a leaf's upper half: before it", "b2", { x: 5, y: 55 }, { parentId: "box", position: 1 }],
    ["on a leaf's lower half: after it", "b2", { x: 5, y: 75 }, { parentId: "box", position: 2 }],
    ["on the canvas outside every node: the root", "", { x: 5, y: 190 }, { parentId: "root", position: 2 }],
  ])("%s", (_, over, p, want) => {
    expect(dropTarget(page, over, p, env)).toEqual(want);
  });
  it("does not count the dragged node", () => {
    // Dragging b1 over b2's lower half: among box's children without b1, after b2 is position 1.
    expect(dropTarget(page, "b2", { x: 5, y: 75 }, env, "b1")).toEqual({ parentId: "box", position: 1 });
  });
  it("uses x in a row", () => {
    const p = samplePage();
    p.nodes.box = { ...p.nodes.box!, props: { direction: "row" } };
    const rowEnv: DropEnv = { ...env, boxOf: (id) => ({ b1: { left: 0, top: 0, width: 50, height: 30 }, b2: { left: 60, top: 0, width: 50, height: 30 } })[id] ?? null };
    expect(dropTarget(p, "box", { x: 55, y: 90 }, rowEnv)).toEqual({ parentId: "box", position: 1 });
  });
});

describe("dropOp", () => {
  const page = samplePage();
  it("inserts a palette component at the position", () => {
    const op = dropOp(page, { kind: "palette", type: "Button" }, { parentId: "box", position: 1 });
    expect(op).toMatchObject({ op: "insert_node", type: "Button", parentId: "box" });
    expect(orderAfter(page, op as InsertNodeOp, "new")).toEqual(["b1", "new", "b2"]);
  });
  it("moves a node to another parent", () => {
    const op = dropOp(page, { kind: "node", id: "t1" }, { parentId: "box", position: 0 });
    expect(op).toMatchObject({ op: "move_node", nodeId: "t1", parentId: "box" });
    expect(orderAfter(page, op as MoveNodeOp, "t1")).toEqual(["t1", "b1", "b2"]);
  });
  it("reorders among siblings", () => {
    const op = dropOp(page, { kind: "node", id: "b1" }, { parentId: "box", position: 1 });
    expect(orderAfter(page, op as MoveNodeOp, "b1")).toEqual(["b2", "b1"]);
  });
  it("refuses no-op moves, moves into itself and moving the root", () => {
    expect(dropOp(page, { kind: "node", id: "b1" }, { parentId: "box", position: 0 })).toBeNull();
    expect(dropOp(page, { kind: "node", id: "box" }, { parentId: "box", position: 0 })).toBeNull();
    expect(dropOp(page, { kind: "node", id: "root" }, { parentId: "box", position: 0 })).toBeNull();
  });
});

describe("clickInsertTarget", () => {
  const page = samplePage();
  it.each([
    ["nothing selected: end of the page", undefined, { parentId: "root", position: 2 }],
    ["a container: at its end", "box", { parentId: "box", position: 2 }],
    ["a leaf: right after it", "b1", { parentId: "box", position: 1 }],
  ])("%s", (_, sel, want) => {
    expect(clickInsertTarget(page, sel, catalog)).toEqual(want);
  });
});
