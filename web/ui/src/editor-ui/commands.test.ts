import { describe, expect, it } from "vitest";
import { applyPageOp, childrenOf, type DecideContext, type PageOp } from "../editor";
import { catalog, samplePage } from "../editor/testdata/fixtures";
import { deleteOps, duplicateSelection, pasteOps, topLevel } from "./commands";

function ids(): () => string {
  let n = 0;
  return () => `n${++n}`;
}

function applyAll(ops: PageOp[]) {
  let p = samplePage();
  const ctx: DecideContext = { newId: ids(), catalog };
  for (const op of ops) {
    const r = applyPageOp(p, op, ctx);
    expect(r.result.ok, JSON.stringify(r.result)).toBe(true);
    p = r.page;
  }
  return p;
}

describe("commands", () => {
  const page = samplePage();
  it("topLevel drops the root, missing nodes and nodes inside selected ones", () => {
    expect(topLevel(page, ["b1", "root", "box", "gone", "t1"])).toEqual(["box", "t1"]);
  });
  it("deletes the top-level selection", () => {
    expect(deleteOps(page, ["b1", "box"])).toEqual([{ op: "delete_node", nodeId: "box" }]);
  });
  it("duplicates each selected subtree after itself", () => {
    const { ops, roots } = duplicateSelection(page, ["box"], ids(), catalog);
    expect(roots).toEqual(["n1"]);
    const p = applyAll(ops);
    expect(childrenOf(p, "root").map((n) => n.id)).toEqual(["box", "n1", "t1"]);
    expect(childrenOf(p, "n1").map((n) => n.props.label)).toEqual(["One", "Two"]);
  });
  it("pastes copied subtrees in order at the target", () => {
    const clip = { page, ids: ["b2", "t1"] };
    const { ops, roots } = pasteOps(clip, page, { parentId: "box", position: 0 }, ids(), { newId: ids() }, catalog);
    expect(roots).toEqual(["n1", "n2"]);
    const p = applyAll(ops);
    expect(childrenOf(p, "box").map((n) => n.id)).toEqual(["n1", "n2", "b1", "b2"]);
    expect(p.nodes.n2?.props.text).toBe("Hello");
  });
});
