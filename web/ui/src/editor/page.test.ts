import { describe, expect, it } from "vitest";
import {
  applyPageEvent,
  applyPageOp,
  buildTree,
  childrenOf,
  decidePageOp,
  duplicateOps,
  emptyPage,
  getPropAt,
  indexAt,
  normalizePage,
  pathToRoot,
  setPropAt,
  splitPropPath,
  subtreeIds,
  subtreeInsertOps,
  type DecideContext,
} from "./page";
import { isValidKey } from "./fracindex";
import type { Page, PageEvent, PageOp } from "./types";
import { catalog, node, samplePage } from "./testdata/fixtures";

function ctx(withCatalog = true): DecideContext {
  let n = 0;
  const c: DecideContext = { newId: () => `gen${++n}` };
  if (withCatalog) c.catalog = catalog;
  return c;
}

function ids(p: Page, parent: string): string[] {
  return childrenOf(p, parent).map((n) => n.id);
}

describe("applyPageEvent", () => {
  const cases: { name: string; ev: PageEvent; check: (p: Page) => void }[] = [
    { name: "renamed", ev: { type: "page.renamed", data: { name: "Start" } }, check: (p) => expect(p.name).toBe("Start") },
    { name: "deleted", ev: { type: "page.deleted", data: {} }, check: (p) => expect(p.deleted).toBe(true) },
    {
      name: "node_inserted with template children",
      ev: { type: "page.node_inserted", data: { nodes: [node("f", "Form", "root", "a2"), node("f1", "Text", "f", "a0")] } },
      check: (p) => {
        expect(ids(p, "root")).toEqual(["box", "t1", "f"]);
        expect(ids(p, "f")).toEqual(["f1"]);
      },
    },
    {
      name: "node_moved",
      ev: { type: "page.node_moved", data: { nodeId: "b2", parentId: "root", index: "Zz" } },
      check: (p) => {
        expect(ids(p, "root")).toEqual(["b2", "box", "t1"]);
        expect(ids(p, "box")).toEqual(["b1"]);
      },
    },
    {
      name: "subtree_deleted",
      ev: { type: "page.subtree_deleted", data: { nodeId: "box", nodeIds: ["box", "b1", "b2"] } },
      check: (p) => expect(Object.keys(p.nodes).sort()).toEqual(["root", "t1"]),
    },
    {
      name: "node_prop_set nested",
      ev: { type: "page.node_prop_set", data: { nodeId: "b1", path: "columns/0/title", value: "Name" } },
      check: (p) => expect(p.nodes.b1?.props.columns).toEqual({ "0": { title: "Name" } }),
    },
    {
      name: "node_prop_set null removes",
      ev: { type: "page.node_prop_set", data: { nodeId: "b1", path: "label", value: null } },
      check: (p) => expect(p.nodes.b1?.props).toEqual({}),
    },
    {
      name: "node_style_set and removal by null",
      ev: { type: "page.node_style_set", data: { nodeId: "t1", path: "/color", value: null } },
      check: (p) => expect(p.nodes.t1?.styles).toEqual({}),
    },
    {
      name: "event_bound",
      ev: { type: "page.event_bound", data: { nodeId: "b1", event: "onClick", binding: { kind: "actions", actions: [{ type: "setState", params: { path: "x", value: 1 } }] } } },
      check: (p) => expect(p.nodes.b1?.events.onClick?.kind).toBe("actions"),
    },
    {
      name: "event_unbound",
      ev: { type: "page.event_unbound", data: { nodeId: "b2", event: "onClick" } },
      check: (p) => expect(p.nodes.b2?.events).toEqual({}),
    },
    {
      name: "state_set",
      ev: { type: "page.state_set", data: { initialState: { count: 0 }, reducerScriptId: "red" } },
      check: (p) => {
        expect(p.initialState).toEqual({ count: 0 });
        expect(p.reducerScriptId).toBe("red");
      },
    },
    {
      name: "restored",
      ev: { type: "page.restored", data: { fromVersion: 2, name: "Old", rootId: "r", nodes: { r: node("r", "Container", "", "a0") }, reducerScriptId: "" } },
      check: (p) => {
        expect(p.rootId).toBe("r");
        expect(Object.keys(p.nodes)).toEqual(["r"]);
        expect(p.name).toBe("Old");
      },
    },
    {
      name: "event on a missing node changes nothing",
      ev: { type: "page.node_prop_set", data: { nodeId: "ghost", path: "label", value: "x" } },
      check: (p) => expect(p.nodes).toEqual(samplePage().nodes),
    },
  ];
  it.each(cases)("$name", ({ ev, check }) => {
    const before = samplePage();
    const frozen = JSON.stringify(before);
    const after = applyPageEvent(before, ev);
    check(after);
    expect(after.version).toBe(before.version + 1);
    expect(JSON.stringify(before)).toBe(frozen); // immutable
  });

  it("keeps unchanged nodes by reference", () => {
    const before = samplePage();
    const after = applyPageEvent(before, { type: "page.node_prop_set", data: { nodeId: "b1", path: "label", value: "x" } });
    expect(after.nodes.b2).toBe(before.nodes.b2);
    expect(after.nodes.b1).not.toBe(before.nodes.b1);
  });

  it("counts unknown events as a version only", () => {
    const p = applyPageEvent(samplePage(), { type: "page.future_thing", data: {} });
    expect(p.version).toBe(8);
  });

  it("creates a page from page.created", () => {
    const p = applyPageEvent(emptyPage(), { type: "page.created", data: { pageId: "p", appId: "a", name: "P", root: node("r", "Container", "", "a0") } });
    expect(p.rootId).toBe("r");
    expect(p.version).toBe(1);
  });
});

describe("normalizePage", () => {
  it("fills maps Go left null", () => {
    const p = normalizePage({ id: "home", nodes: { r: { id: "r", type: "Container", parentId: "", index: "a0", props: null, styles: null, events: null } }, rootId: "r" }, 3);
    expect(p.nodes.r).toEqual(node("r", "Container", "", "a0"));
    expect(p.version).toBe(3);
  });
});

describe("decidePageOp", () => {
  const rejections: { name: string; op: PageOp; code: string; path?: string }[] = [
    { name: "P10 set_prop on a missing node", op: { op: "set_prop", nodeId: "ghost", path: "label", value: "x" }, code: "node_not_found", path: "/nodes/ghost" },
    { name: "P13 move the root", op: { op: "move_node", nodeId: "root", parentId: "box" }, code: "cannot_move_root" },
    { name: "P13 move into own subtree", op: { op: "move_node", nodeId: "box", parentId: "box" }, code: "cycle" },
    { name: "P13 move under a missing parent", op: { op: "move_node", nodeId: "b1", parentId: "ghost" }, code: "node_not_found" },
    { name: "P13 move under a leaf", op: { op: "move_node", nodeId: "b1", parentId: "t1" }, code: "no_children" },
    { name: "delete the root", op: { op: "delete_node", nodeId: "root" }, code: "cannot_delete_root" },
    { name: "insert an existing id", op: { op: "insert_node", type: "Button", nodeId: "b1" }, code: "node_exists" },
    { name: "insert a bad id", op: { op: "insert_node", type: "Button", nodeId: "-bad" }, code: "invalid_node_id" },
    { name: "insert an unknown component", op: { op: "insert_node", type: "Rocket" }, code: "unknown_component" },
    { name: "insert with a bad index", op: { op: "insert_node", type: "Button", index: "a00" }, code: "invalid_index" },
    { name: "set an unknown prop", op: { op: "set_prop", nodeId: "b1", path: "nope", value: 1 }, code: "unknown_prop" },
    { name: "set a prop inside a scalar", op: { op: "set_prop", nodeId: "b1", path: "label/x", value: 1 }, code: "invalid_path" },
    { name: "bad style name", op: { op: "set_style", nodeId: "b1", path: "co lor", value: "red" }, code: "invalid_style" },
    { name: "unknown event", op: { op: "bind_event", nodeId: "t1", event: "onClick", binding: { kind: "script", scriptId: "s" } }, code: "unknown_event" },
    { name: "empty actions", op: { op: "bind_event", nodeId: "b1", event: "onClick", binding: { kind: "actions", actions: [] } }, code: "invalid_binding" },
    { name: "unbind nothing", op: { op: "unbind_event", nodeId: "b1", event: "onClick" }, code: "binding_not_found" },
    { name: "state not an object", op: { op: "set_page_state", initialState: [1] }, code: "invalid_state" },
    { name: "empty name", op: { op: "rename_page", name: "  " }, code: "invalid_name" },
  ];
  it.each(rejections)("rejects: $name", ({ op, code, path }) => {
    const r = decidePageOp(samplePage(), op, ctx());
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(code);
      if (path) expect(r.path).toBe(path);
    }
  });

  it("P10 rejects every op on a deleted page", () => {
    const p = { ...samplePage(), deleted: true };
    const r = decidePageOp(p, { op: "rename_page", name: "x" }, ctx());
    expect(r.ok ? "" : r.code).toBe("page_not_found");
  });

  it("inserts from the template, props overriding it, null removing", () => {
    const { page, result } = applyPageOp(samplePage(), { op: "insert_node", type: "Button", nodeId: "b3", parentId: "box", props: { label: "Save", variant: null } }, ctx());
    expect(result.ok).toBe(true);
    expect(page.nodes.b3).toEqual(node("b3", "Button", "box", "a2", { props: { label: "Save" }, styles: { padding: "4px" } }));
  });

  it("inserts template children with generated ids, in order", () => {
    const { page } = applyPageOp(samplePage(), { op: "insert_node", type: "Form", nodeId: "f" }, ctx());
    expect(page.nodes.f?.parentId).toBe("root");
    expect(ids(page, "f")).toEqual(["gen1", "gen2"]);
    expect(page.nodes.gen2?.props.label).toBe("Submit");
  });

  it("P14 repairs a colliding index after the sibling holding it", () => {
    const { page } = applyPageOp(samplePage(), { op: "insert_node", type: "Button", nodeId: "b0", parentId: "box", index: "a0" }, ctx());
    expect(page.nodes.b0?.index).toBe("a0V");
    expect(ids(page, "box")).toEqual(["b1", "b0", "b2"]);
  });

  it("moves with a repaired index and keeps the parent when none is named", () => {
    // Itself excluded, b1 holds a0 and nothing follows: a key after a0.
    const { page } = applyPageOp(samplePage(), { op: "move_node", nodeId: "b2", index: "a0" }, ctx());
    expect(page.nodes.b2).toMatchObject({ parentId: "box", index: "a1" });
    const moved = applyPageOp(samplePage(), { op: "move_node", nodeId: "t1", parentId: "box", index: "a0" }, ctx()).page;
    expect(moved.nodes.t1).toMatchObject({ parentId: "box", index: "a0V" });
    expect(ids(moved, "box")).toEqual(["b1", "t1", "b2"]);
  });

  it("deletes a subtree", () => {
    const r = decidePageOp(samplePage(), { op: "delete_node", nodeId: "box" }, ctx());
    expect(r.ok && r.events[0]).toEqual({ type: "page.subtree_deleted", data: { nodeId: "box", nodeIds: ["box", "b1", "b2"] } });
  });

  it("normalizes bindings to the fields of their kind", () => {
    const r = decidePageOp(samplePage(), { op: "bind_event", nodeId: "b1", event: "onClick", binding: { kind: "script", scriptId: "s2", workflowId: "w" } }, ctx());
    expect(r.ok && r.events[0]?.data).toEqual({ nodeId: "b1", event: "onClick", binding: { kind: "script", scriptId: "s2" } });
  });

  it("works without a catalog (no component checks)", () => {
    const r = decidePageOp(samplePage(), { op: "insert_node", type: "Anything", parentId: "t1" }, ctx(false));
    expect(r.ok).toBe(true);
  });
});

describe("prop paths", () => {
  it.each([
    ["label", ["label"]],
    ["/label", ["label"]],
    ["columns/0/title", ["columns", "0", "title"]],
    ["a~1b/c~0d", ["a/b", "c~d"]],
    ["", null],
    ["a//b", null],
  ])("splitPropPath(%j)", (path, want) => {
    expect(splitPropPath(path)).toEqual(want);
  });

  it("sets inside arrays by index and appends with - or the length", () => {
    let props = setPropAt({}, "columns", [{ title: "A" }]);
    props = setPropAt(props, "columns/0/title", "B");
    props = setPropAt(props, "columns/-", { title: "C" });
    props = setPropAt(props, "columns/2", { title: "D" });
    expect(props.columns).toEqual([{ title: "B" }, { title: "C" }, { title: "D" }]);
    props = setPropAt(props, "columns/1", null);
    expect(props.columns).toEqual([{ title: "B" }, { title: "D" }]);
    expect(getPropAt(props, "columns/1/title")).toBe("D");
    expect(() => setPropAt(props, "columns/5", 1)).toThrow();
    expect(() => setPropAt(props, "columns/01", 1)).toThrow();
  });
});

describe("tree helpers", () => {
  it("orders siblings by index then id", () => {
    const p = samplePage();
    p.nodes.b3 = node("b3", "Button", "box", "a0");
    p.nodes.a9 = node("a9", "Button", "box", "a0");
    expect(ids(p, "box")).toEqual(["a9", "b1", "b3", "b2"]);
  });

  it("builds the nested tree", () => {
    const t = buildTree(samplePage());
    expect(t?.node.id).toBe("root");
    expect(t?.children.map((c) => [c.node.id, c.children.map((g) => g.node.id)])).toEqual([
      ["box", ["b1", "b2"]],
      ["t1", []],
    ]);
  });

  it("walks to the root and lists subtrees", () => {
    const p = samplePage();
    expect(pathToRoot(p, "b2")).toEqual(["b2", "box", "root"]);
    expect(pathToRoot(p, "ghost")).toEqual([]);
    expect(subtreeIds(p, "root")).toEqual(["root", "box", "b1", "b2", "t1"]);
  });

  it.each([
    [0, ["new", "b1", "b2"]],
    [1, ["b1", "new", "b2"]],
    [2, ["b1", "b2", "new"]],
    [9, ["b1", "b2", "new"]],
  ])("indexAt(%i) places a drop there", (pos, want) => {
    const p = samplePage();
    const index = indexAt(p, "box", pos);
    expect(isValidKey(index)).toBe(true);
    const { page } = applyPageOp(p, { op: "insert_node", type: "Button", nodeId: "new", parentId: "box", index }, ctx());
    expect(ids(page, "box")).toEqual(want);
  });

  it("indexAt skips the moved node", () => {
    const p = samplePage();
    const index = indexAt(p, "box", 0, "b2");
    const { page } = applyPageOp(p, { op: "move_node", nodeId: "b2", index }, ctx());
    expect(ids(page, "box")).toEqual(["b2", "b1"]);
  });

  it("subtreeInsertOps re-creates a deleted subtree", () => {
    const p = samplePage();
    const ops = subtreeInsertOps(p, "box", { catalog });
    let q = applyPageOp(p, { op: "delete_node", nodeId: "box" }, ctx()).page;
    for (const op of ops) {
      const r = applyPageOp(q, op, ctx());
      expect(r.result.ok).toBe(true);
      q = r.page;
    }
    expect(q.nodes).toEqual(p.nodes);
  });

  it("duplicateOps copies a subtree with new ids right after it", () => {
    const p = samplePage();
    let n = 0;
    const { ops, rootId } = duplicateOps(p, "box", () => `c${++n}`, catalog);
    let q = p;
    for (const op of ops) q = applyPageOp(q, op, ctx()).page;
    expect(rootId).toBe("c1");
    expect(ids(q, "root")).toEqual(["box", "c1", "t1"]);
    expect(ids(q, "c1")).toEqual(["c2", "c3"]);
    expect(q.nodes.c3?.events).toEqual(p.nodes.b2?.events);
    expect(q.nodes.c2?.props).toEqual(p.nodes.b1?.props);
  });
});
