import { describe, expect, it } from "vitest";
import type { DecideContext } from "./page";
import { EditorSession } from "./session";
import { inverseOps, UndoManager } from "./undo";
import type { ClientMessage, PageOp, WireEvent } from "./types";
import { catalog, samplePage } from "./testdata/fixtures";
import { MemoryTransport } from "./testdata/transport";

const DOC = "page-home";

function setup() {
  const t = new MemoryTransport();
  let ids = 0;
  const s = new EditorSession({ transport: t, clientId: "alice-tab", newId: () => `n${++ids}`, catalog, schedule: () => () => {} });
  t.open();
  t.deliver({ type: "welcome", protocol: 1, user: "alice", clientId: "alice-tab" });
  const page = s.openPage(DOC);
  t.deliver({ type: "subscribed", doc: DOC, version: 7, snapshot: samplePage() });
  t.take();
  const undo = new UndoManager(page);
  const sentOps = () =>
    t.take().flatMap((m: ClientMessage) => (m.type === "submit" ? m.ops.map((o) => ({ seq: o.seq, op: o.page })) : []));
  return { t, s, page, undo, sentOps };
}

const ops: { name: string; op: PageOp }[] = [
  { name: "set_prop", op: { op: "set_prop", nodeId: "b1", path: "label", value: "Changed" } },
  { name: "set_prop of an absent nested path", op: { op: "set_prop", nodeId: "b1", path: "columns/0/title", value: "T" } },
  { name: "set_prop of an array element", op: { op: "set_prop", nodeId: "t1", path: "items/1", value: "B" } },
  { name: "removal of an array element", op: { op: "set_prop", nodeId: "t1", path: "items/0", value: null } },
  { name: "append to an array", op: { op: "set_prop", nodeId: "t1", path: "items/-", value: "z" } },
  { name: "set_prop null", op: { op: "set_prop", nodeId: "b1", path: "label", value: null } },
  { name: "set_style", op: { op: "set_style", nodeId: "t1", path: "color", value: "blue" } },
  { name: "set_style new", op: { op: "set_style", nodeId: "b1", path: "margin", value: 4 } },
  { name: "bind_event new", op: { op: "bind_event", nodeId: "b1", event: "onClick", binding: { kind: "script", scriptId: "s9" } } },
  { name: "bind_event replacing", op: { op: "bind_event", nodeId: "b2", event: "onClick", binding: { kind: "workflow", workflowId: "w1" } } },
  { name: "unbind_event", op: { op: "unbind_event", nodeId: "b2", event: "onClick" } },
  { name: "insert_node", op: { op: "insert_node", type: "Form", parentId: "box" } },
  { name: "delete_node of a subtree", op: { op: "delete_node", nodeId: "box" } },
  { name: "move_node to another parent", op: { op: "move_node", nodeId: "b2", parentId: "root", index: "Zz" } },
  { name: "move_node among siblings", op: { op: "move_node", nodeId: "b1", index: "a2" } },
  { name: "set_page_state", op: { op: "set_page_state", initialState: { count: 1 }, reducerScriptId: "red" } },
  { name: "rename_page", op: { op: "rename_page", name: "Start" } },
];

describe("UndoManager", () => {
  it.each(ops)("undo of $name restores the page; redo brings the change back", ({ op }) => {
    const { page, undo } = setup();
    const before = page.view!;
    undo.apply(op);
    const after = page.view!;
    expect(after).not.toEqual(before);
    expect(undo.undo()).toBe(true);
    const undone = page.view!;
    expect(undone.nodes).toEqual(before.nodes);
    expect([undone.name, undone.initialState, undone.reducerScriptId]).toEqual([before.name, before.initialState, before.reducerScriptId]);
    expect(undo.redo()).toBe(true);
    // Template children of a re-inserted Form get fresh ids locally; compare everything else.
    const redone = page.view!;
    expect(Object.keys(redone.nodes).length).toBe(Object.keys(after.nodes).length);
    expect(redone.name).toBe(after.name);
    for (const [id, n] of Object.entries(after.nodes)) if (!id.startsWith("l")) expect(redone.nodes[id]).toEqual(n);
  });

  it("submits undo and redo as new ops with new seqs", () => {
    const { undo, sentOps } = setup();
    undo.apply({ op: "set_prop", nodeId: "b1", path: "label", value: "X" });
    undo.undo();
    undo.redo();
    expect(sentOps()).toEqual([
      { seq: 1, op: { op: "set_prop", nodeId: "b1", path: "label", value: "X" } },
      { seq: 2, op: { op: "set_prop", nodeId: "b1", path: "label", value: "One" } },
      { seq: 3, op: { op: "set_prop", nodeId: "b1", path: "label", value: "X" } },
    ]);
  });

  it("undoes only its own ops: others' later edits stay", () => {
    const { t, page, undo } = setup();
    undo.apply({ op: "set_prop", nodeId: "b1", path: "label", value: "Mine" });
    const theirs: WireEvent = { version: 8, type: "page.node_prop_set", data: { nodeId: "t1", path: "text", value: "Bob's" }, clientId: "bob-tab", seq: 1 };
    t.deliver({ type: "events", doc: DOC, events: [theirs] });
    undo.undo();
    expect(page.view?.nodes.b1?.props.label).toBe("One");
    expect(page.view?.nodes.t1?.props.text).toBe("Bob's");
  });

  it("groups one step of several ops, undone in reverse order", () => {
    const { page, undo, sentOps } = setup();
    const [ins] = undo.apply([
      { op: "insert_node", type: "Button", parentId: "box" },
      { op: "set_prop", nodeId: "n1", path: "label", value: "New" },
    ]);
    expect(ins).toMatchObject({ nodeId: "n1" });
    sentOps();
    undo.undo();
    expect(sentOps().map((o) => o.op?.op)).toEqual(["set_prop", "delete_node"]);
    expect(page.view?.nodes.n1).toBeUndefined();
    expect(undo.canUndo).toBe(false);
    expect(undo.canRedo).toBe(true);
  });

  it("merges consecutive changes with the same key into one step", () => {
    const { page, undo } = setup();
    for (const v of ["H", "He", "Hel"]) undo.apply({ op: "set_prop", nodeId: "b1", path: "label", value: v }, "b1/label");
    undo.apply({ op: "set_prop", nodeId: "b2", path: "label", value: "other" }, "b2/label");
    undo.undo();
    expect(page.view?.nodes.b1?.props.label).toBe("Hel");
    undo.undo();
    expect(page.view?.nodes.b1?.props.label).toBe("One");
    expect(undo.canUndo).toBe(false);
  });

  it("a new change clears redo", () => {
    const { undo } = setup();
    undo.apply({ op: "rename_page", name: "A" });
    undo.undo();
    undo.apply({ op: "rename_page", name: "B" });
    expect(undo.canRedo).toBe(false);
    expect(undo.redo()).toBe(false);
  });

  it("skips steps whose nodes someone else deleted", () => {
    const { t, page, undo } = setup();
    undo.apply({ op: "rename_page", name: "Mine" });
    undo.apply({ op: "set_prop", nodeId: "b1", path: "label", value: "X" });
    t.deliver({ type: "events", doc: DOC, events: [{ version: 8, type: "page.subtree_deleted", data: { nodeId: "box", nodeIds: ["box", "b1", "b2"] } }] });
    expect(undo.undo()).toBe(true); // the label step is gone; the rename is undone
    expect(page.view?.name).toBe("Home");
    expect(undo.undo()).toBe(false);
  });

  it("records nothing for an op the view refuses, but still sends it", () => {
    const { undo, sentOps } = setup();
    undo.apply({ op: "set_prop", nodeId: "ghost", path: "label", value: "X" });
    expect(undo.canUndo).toBe(false);
    expect(sentOps()).toHaveLength(1);
  });

  it("notifies listeners and bounds the stack", () => {
    const { page } = setup();
    const undo = new UndoManager(page, { limit: 2 });
    let calls = 0;
    undo.subscribe(() => calls++);
    for (const n of ["A", "B", "C"]) undo.apply({ op: "rename_page", name: n });
    expect(calls).toBe(3);
    expect(undo.undo() && undo.undo()).toBe(true);
    expect(undo.undo()).toBe(false);
    expect(page.view?.name).toBe("A");
  });
});

describe("inverseOps", () => {
  const ctx: DecideContext = { newId: () => "x", catalog };
  it("re-creates a deleted subtree with styles, bindings and template props removed", () => {
    expect(inverseOps(samplePage(), { op: "delete_node", nodeId: "box" }, ctx)).toEqual([
      { op: "insert_node", nodeId: "box", type: "Container", parentId: "root", index: "a0", props: { direction: null } },
      { op: "insert_node", nodeId: "b1", type: "Button", parentId: "box", index: "a0", props: { label: "One", variant: null } },
      { op: "set_style", nodeId: "b1", path: "padding", value: null },
      { op: "insert_node", nodeId: "b2", type: "Button", parentId: "box", index: "a1", props: { label: "Two", variant: null } },
      { op: "set_style", nodeId: "b2", path: "padding", value: null },
      { op: "bind_event", nodeId: "b2", event: "onClick", binding: { kind: "script", scriptId: "s1" } },
    ]);
  });

  it("is null for an op that would be refused", () => {
    expect(inverseOps(samplePage(), { op: "delete_node", nodeId: "root" }, ctx)).toBeNull();
  });
});
