import { beforeEach, describe, expect, it } from "vitest";
import { colorForUser } from "./presence";
import { ConnectionStatus, EditorSession, type SessionEvent } from "./session";
import type { ClientMessage, PageOp, ServerMessage, WireEvent } from "./types";
import { catalog, node, samplePage } from "./testdata/fixtures";
import { MemoryTransport } from "./testdata/transport";

const DOC = "page-home";

function setup() {
  const t = new MemoryTransport();
  const timers: { fn: () => void; ms: number }[] = [];
  let ids = 0;
  const s = new EditorSession({
    transport: t,
    clientId: "alice-tab",
    newId: () => `n${++ids}`,
    catalog,
    reconnectDelay: (n) => n * 100,
    schedule: (fn, ms) => {
      const entry = { fn, ms };
      timers.push(entry);
      return () => timers.splice(timers.indexOf(entry), 1);
    },
  });
  const events: SessionEvent[] = [];
  s.subscribe((e) => events.push(e));
  t.open();
  t.deliver({ type: "welcome", protocol: 1, user: "alice", clientId: "alice-tab" });
  const page = s.openPage(DOC);
  t.deliver({ type: "subscribed", doc: DOC, version: 7, snapshot: samplePage() });
  t.take();
  const rejections = () => events.flatMap((e) => (e.type === "rejected" ? [e.rejection] : []));
  return { t, s, page, events, timers, rejections };
}

function ev(version: number, type: string, data: unknown, by: { clientId?: string; seq?: number } = {}): WireEvent {
  return { version, type, data, actor: by.clientId?.split("-")[0] ?? "bob", time: "2025-03-14T09:26:53Z", ...by };
}

function events(...evs: WireEvent[]): ServerMessage {
  return { type: "events", doc: DOC, events: evs };
}

function submits(msgs: ClientMessage[]) {
  return msgs.flatMap((m) => (m.type === "submit" ? [m] : []));
}

const setLabel = (nodeId: string, value: string): PageOp => ({ op: "set_prop", nodeId, path: "label", value });

describe("EditorSession connection", () => {
  it("P1 greets first, then subscribes from version 0", () => {
    const t = new MemoryTransport();
    const s = new EditorSession({ transport: t, clientId: "c1" });
    t.open();
    s.openPage(DOC);
    expect(t.take()).toEqual([
      { type: "hello", protocol: 1, clientId: "c1" },
      { type: "subscribe", doc: DOC, version: 0 },
    ]);
  });

  it("loads the snapshot as the confirmed page and the view", () => {
    const { page } = setup();
    expect(page.version).toBe(7);
    expect(page.view?.nodes.b1?.props.label).toBe("One");
    expect(page.view).toBe(page.confirmed);
  });

  it("ignores unknown message types (P3)", () => {
    const { t, page } = setup();
    t.deliver({ type: "teleport" } as unknown as ServerMessage);
    expect(page.version).toBe(7);
  });

  it.each([
    [4001, ConnectionStatus.Unauthenticated],
    [4000, ConnectionStatus.Failed],
    [4002, ConnectionStatus.Failed],
    [1009, ConnectionStatus.Failed],
  ])("does not reconnect blindly after close %i", (code, status) => {
    const { t, s, timers } = setup();
    t.close(code);
    expect(s.status).toBe(status);
    expect(timers).toHaveLength(0);
  });

  it.each([1001, 1006, 4008])("reconnects with backoff after close %i", (code) => {
    const { t, s, timers } = setup();
    t.close(code);
    expect(s.status).toBe(ConnectionStatus.Disconnected);
    expect(timers.map((x) => x.ms)).toEqual([100]);
    timers.shift()!.fn();
    expect(t.reconnects).toBe(1);
    expect(s.status).toBe(ConnectionStatus.Connecting);
    t.close(1006);
    expect(timers.map((x) => x.ms)).toEqual([200]); // the second attempt waits longer
  });

  it("P26 marks a document the server refused to subscribe", () => {
    const { t, s } = setup();
    const other = s.openPage("page-secret");
    t.deliver({ type: "error", code: "forbidden", message: 'no document "page-secret"', doc: "page-secret", ref: "subscribe" });
    expect(other.error?.code).toBe("forbidden");
    expect(other.awaiting).toBe(false);
  });
});

describe("EditorSession pages", () => {
  it("applies a local op at once and sends it with the next seq", () => {
    const { t, page } = setup();
    const [sub] = page.submit(setLabel("b1", "Mine"));
    expect(sub?.seq).toBe(1);
    expect(page.view?.nodes.b1?.props.label).toBe("Mine");
    expect(page.confirmed?.nodes.b1?.props.label).toBe("One");
    expect(t.take()).toEqual([{ type: "submit", doc: DOC, baseVersion: 7, ops: [{ seq: 1, page: setLabel("b1", "Mine") }] }]);
  });

  it("P12 own event confirms the pending op; the ack after it changes nothing", () => {
    const { t, page } = setup();
    page.submit([setLabel("b1", "Mine"), setLabel("b2", "Too")]);
    t.deliver(events(ev(8, "page.node_prop_set", { nodeId: "b1", path: "label", value: "Mine" }, { clientId: "alice-tab", seq: 1 })));
    expect(page.pendingSeqs).toEqual([2]);
    expect(page.confirmed?.nodes.b1?.props.label).toBe("Mine");
    expect(page.view?.nodes.b2?.props.label).toBe("Too");
    t.deliver({ type: "ack", doc: DOC, results: [{ seq: 1, status: "committed", version: 8 }, { seq: 2, status: "committed", version: 7 }] });
    expect(page.pendingSeqs).toEqual([]);
    expect(page.view?.nodes.b2?.props.label).toBe("Two"); // committed without an event: the server's state wins
  });

  it("P7 rebases pending ops on a remote event (last writer wins in server order)", () => {
    const { t, page } = setup();
    page.submit(setLabel("b1", "Mine"));
    t.deliver(events(ev(8, "page.node_prop_set", { nodeId: "b1", path: "label", value: "Theirs" }, { clientId: "bob-tab", seq: 4 })));
    expect(page.confirmed?.nodes.b1?.props.label).toBe("Theirs");
    expect(page.view?.nodes.b1?.props.label).toBe("Mine");
    t.deliver(events(ev(9, "page.node_prop_set", { nodeId: "b1", path: "label", value: "Mine" }, { clientId: "alice-tab", seq: 1 })));
    expect(page.view).toBe(page.confirmed);
    expect(page.view?.nodes.b1?.props.label).toBe("Mine");
  });

  it("P9 keeps concurrent edits of different things", () => {
    const { t, page } = setup();
    page.submit(setLabel("b1", "Mine"));
    t.deliver(events(ev(8, "page.node_style_set", { nodeId: "b1", path: "color", value: "red" })));
    expect(page.view?.nodes.b1).toMatchObject({ props: { label: "Mine" }, styles: { color: "red" } });
  });

  it("P10 drops a rejected op and explains it in words", () => {
    const { t, page, rejections } = setup();
    page.submit(setLabel("b1", "Mine"));
    t.deliver(events(ev(8, "page.subtree_deleted", { nodeId: "box", nodeIds: ["box", "b1", "b2"] })));
    expect(page.view?.nodes.b1).toBeUndefined(); // cannot apply locally: left out of the view, still pending
    expect(page.pendingSeqs).toEqual([1]);
    t.deliver({ type: "ack", doc: DOC, results: [{ seq: 1, status: "rejected", code: "node_not_found", message: "node b1 does not exist", path: "/nodes/b1" }] });
    expect(page.pendingSeqs).toEqual([]);
    expect(rejections()).toEqual([
      {
        doc: DOC,
        seq: 1,
        code: "node_not_found",
        message: 'Someone deleted the component you were editing, so your change to "label" was dropped.',
        serverMessage: "node b1 does not exist",
        path: "/nodes/b1",
        op: setLabel("b1", "Mine"),
      },
    ]);
  });

  it("P17 resends an op the server could not store, with its seq", () => {
    const { t, page } = setup();
    page.submit(setLabel("b1", "Mine"));
    t.take();
    t.deliver({ type: "ack", doc: DOC, results: [{ seq: 1, status: "rejected", code: "unavailable", message: "try again" }] });
    expect(page.pendingSeqs).toEqual([1]);
    expect(submits(t.take()).map((m) => m.ops.map((o) => o.seq))).toEqual([[1]]);
  });

  it("names inserted nodes so that later ops can use them", () => {
    const { t, page } = setup();
    const [ins] = page.submit({ op: "insert_node", type: "Button", parentId: "box" });
    expect(ins?.op).toMatchObject({ nodeId: "n1" });
    page.submit(setLabel("n1", "New"));
    expect(page.view?.nodes.n1).toMatchObject({ parentId: "box", index: "a2", props: { label: "New", variant: "primary" } });
    expect(submits(t.take()).flatMap((m) => m.ops.map((o) => o.page?.op))).toEqual(["insert_node", "set_prop"]);
  });

  it("P6 skips duplicate events and resubscribes on a gap", () => {
    const { t, page } = setup();
    t.deliver(events(ev(7, "page.renamed", { name: "Dup" })));
    expect(page.view?.name).toBe("Home");
    t.deliver(events(ev(9, "page.renamed", { name: "Later" })));
    expect(t.take()).toEqual([{ type: "subscribe", doc: DOC, version: 7 }]);
    expect(page.view?.name).toBe("Home");
    t.deliver({ type: "subscribed", doc: DOC, version: 9, events: [ev(8, "page.renamed", { name: "First" }), ev(9, "page.renamed", { name: "Later" })] });
    expect(page.version).toBe(9);
    expect(page.view?.name).toBe("Later");
  });

  it("P11 reconnects, catches up from its version and resends unconfirmed ops with their seqs", () => {
    const { t, s, page, timers } = setup();
    page.submit([setLabel("b1", "A"), setLabel("b2", "B")]);
    t.take();
    t.close(1006);
    page.submit(setLabel("t1", "offline")); // kept while disconnected
    expect(page.view?.nodes.t1?.props.label).toBe("offline");
    timers.shift()!.fn();
    t.open();
    expect(t.take()).toEqual([
      { type: "hello", protocol: 1, clientId: "alice-tab" },
      { type: "subscribe", doc: DOC, version: 7 },
    ]);
    t.deliver({ type: "welcome", protocol: 1, user: "alice", clientId: "alice-tab" });
    expect(s.status).toBe(ConnectionStatus.Connected);
    // The first op was committed while the connection was down: its event is in the catch-up.
    t.deliver({
      type: "subscribed",
      doc: DOC,
      version: 8,
      events: [ev(8, "page.node_prop_set", { nodeId: "b1", path: "label", value: "A" }, { clientId: "alice-tab", seq: 1 })],
    });
    expect(page.pendingSeqs).toEqual([2, 3]);
    expect(submits(t.take())).toEqual([
      { type: "submit", doc: DOC, baseVersion: 8, ops: [{ seq: 2, page: setLabel("b2", "B") }, { seq: 3, page: setLabel("t1", "offline") }] },
    ]);
    t.deliver({ type: "ack", doc: DOC, results: [{ seq: 2, status: "committed", version: 8 }, { seq: 3, status: "committed", version: 8 }] });
    expect(page.pendingSeqs).toEqual([]);
    // A new op takes the next seq: seqs are never reused.
    expect(page.submit(setLabel("b1", "next"))[0]?.seq).toBe(4);
  });

  it("P5 takes a snapshot after reconnecting and keeps pending ops on top", () => {
    const { t, page, timers } = setup();
    page.submit(setLabel("b1", "Mine"));
    t.take();
    t.close(1001);
    timers.shift()!.fn();
    t.open();
    t.deliver({ type: "welcome", protocol: 1, user: "alice", clientId: "alice-tab" });
    const snap = samplePage();
    snap.name = "Renamed elsewhere";
    t.deliver({ type: "subscribed", doc: DOC, version: 2000, snapshot: snap });
    expect(page.version).toBe(2000);
    expect(page.view?.name).toBe("Renamed elsewhere");
    expect(page.view?.nodes.b1?.props.label).toBe("Mine");
    expect(submits(t.take()).map((m) => m.ops.map((o) => o.seq))).toEqual([[1]]);
  });

  it("sends ops made while a subscription is outstanding once, after its answer", () => {
    const { t, page } = setup();
    t.deliver(events(ev(9, "page.renamed", { name: "gap" }))); // resubscribes
    t.take();
    page.submit(setLabel("b1", "wait"));
    expect(submits(t.take())).toEqual([]);
    t.deliver({ type: "subscribed", doc: DOC, version: 9, events: [ev(8, "page.renamed", { name: "x" }), ev(9, "page.renamed", { name: "gap" })] });
    expect(submits(t.take()).map((m) => [m.baseVersion, m.ops.map((o) => o.seq)])).toEqual([[9, [1]]]);
  });

  it("stashes events and acks that arrive while resubscribing and applies them after", () => {
    const { t, page } = setup();
    page.submit(setLabel("b1", "Mine"));
    t.deliver(events(ev(9, "page.renamed", { name: "gap" })));
    t.deliver({ type: "ack", doc: DOC, results: [{ seq: 1, status: "committed", version: 8 }] });
    expect(page.pendingSeqs).toEqual([1]);
    t.deliver({
      type: "subscribed",
      doc: DOC,
      version: 8,
      events: [ev(8, "page.node_prop_set", { nodeId: "b1", path: "label", value: "Mine" }, { clientId: "alice-tab", seq: 1 })],
    });
    expect(page.version).toBe(9);
    expect(page.pendingSeqs).toEqual([]);
    expect(page.view?.name).toBe("gap");
  });

  it("splits more than 500 ops into several submits", () => {
    const { t, page } = setup();
    const ops: PageOp[] = Array.from({ length: 501 }, (_, i) => setLabel("b1", `v${i}`));
    page.submit(ops);
    expect(submits(t.take()).map((m) => m.ops.length)).toEqual([500, 1]);
  });
});

describe("EditorSession presence", () => {
  let ctx: ReturnType<typeof setup>;
  beforeEach(() => {
    ctx = setup();
  });

  it("P22 lists others from subscribed and relayed presence, never itself", () => {
    const { t, s, page } = ctx;
    const other = s.openPage("page-two");
    t.deliver({
      type: "subscribed",
      doc: "page-two",
      version: 1,
      snapshot: samplePage(),
      presence: [
        { user: "bob", clientId: "bob-tab", state: { selection: ["b1"], script: "script-onsave" } },
        { user: "alice", clientId: "alice-tab", state: { selection: [] } },
      ],
    });
    expect([...other.peers.values()]).toEqual([
      { user: "bob", clientId: "bob-tab", color: colorForUser("bob"), selection: ["b1"], script: "script-onsave", state: { selection: ["b1"], script: "script-onsave" } },
    ]);
    t.deliver({ type: "presence", doc: DOC, user: "carol", clientId: "carol-1", state: { selection: ["t1", 3], cursor: { x: 1, y: 2 } } });
    expect(page.peers.get("carol-1")).toMatchObject({ selection: ["t1"], cursor: { x: 1, y: 2 } });
    t.deliver({ type: "presence", doc: DOC, user: "alice", clientId: "alice-tab", state: { selection: ["x"] } });
    expect(page.peers.has("alice-tab")).toBe(false);
  });

  it("P24 forgets a client that left or cleared its state", () => {
    const { t, page } = ctx;
    t.deliver({ type: "presence", doc: DOC, user: "bob", clientId: "bob-tab", state: { selection: ["b1"] } });
    t.deliver({ type: "presence", doc: DOC, user: "carol", clientId: "carol-1", state: { selection: [] } });
    t.deliver({ type: "presence", doc: DOC, user: "bob", clientId: "bob-tab", left: true });
    t.deliver({ type: "presence", doc: DOC, user: "carol", clientId: "carol-1" });
    expect(page.peers.size).toBe(0);
  });

  it("publishes its selection and publishes it again after a reconnect", () => {
    const { t, page, timers } = ctx;
    page.setPresence({ selection: ["b1", "b2"], script: "script-onsave" });
    expect(t.take()).toEqual([{ type: "presence", doc: DOC, state: { selection: ["b1", "b2"], script: "script-onsave" } }]);
    t.deliver({ type: "presence", doc: DOC, user: "bob", clientId: "bob-tab", state: { selection: ["b1"] } });
    t.close(1006);
    expect(page.peers.size).toBe(0); // stale avatars go with the connection
    page.setPresence({ selection: ["t1"] }); // not sent while down
    timers.shift()!.fn();
    t.open();
    expect(t.take()).toEqual([
      { type: "hello", protocol: 1, clientId: "alice-tab" },
      { type: "subscribe", doc: DOC, version: 7 },
      { type: "presence", doc: DOC, state: { selection: ["t1"] } },
    ]);
  });

  it("P22 clears its presence and does not send it again after a reconnect", () => {
    const { t, page, timers } = ctx;
    page.setPresence({ selection: ["b1"] });
    page.clearPresence();
    expect(t.take()).toEqual([
      { type: "presence", doc: DOC, state: { selection: ["b1"] } },
      { type: "presence", doc: DOC },
    ]);
    t.close(1006);
    timers.shift()!.fn();
    t.open();
    expect(t.take().map((m) => m.type)).toEqual(["hello", "subscribe"]);
  });

  it("P25 cuts a selection too large for the presence limit", () => {
    const { t, page } = ctx;
    const selection = Array.from({ length: 1000 }, (_, i) => `node-with-a-long-id-${i}`);
    page.setPresence({ selection });
    const [m] = t.take();
    expect(m?.type).toBe("presence");
    const size = new TextEncoder().encode(JSON.stringify(m?.type === "presence" ? m.state : null)).length;
    expect(size).toBeLessThanOrEqual(4096);
    expect(m?.type === "presence" && Array.isArray((m.state as { selection: unknown[] }).selection) ? (m.state as { selection: unknown[] }).selection.length : 0).toBeGreaterThan(50);
  });

  it("derives a stable colour per user", () => {
    expect(colorForUser("bob")).toBe(colorForUser("bob"));
    expect(colorForUser("bob")).toMatch(/^hsl\(\d+, 70%, 45%\)$/);
    const hues = new Set(["alice", "bob", "carol", "dave", "erin"].map(colorForUser));
    expect(hues.size).toBeGreaterThan(3);
  });
});

describe("EditorSession scripts", () => {
  const SDOC = "script-onsave";
  function openScript(ctx: ReturnType<typeof setup>, text = "hello\n") {
    const sd = ctx.s.openScript(SDOC);
    ctx.t.deliver({ type: "subscribed", doc: SDOC, version: 1, snapshot: { id: "onsave", appId: "crm", name: "onSave", kind: "event_handler", language: "js", text, deleted: false, version: 1 } });
    ctx.t.take();
    return sd;
  }

  it("sends one edit at a time and buffers the rest (P18)", () => {
    const ctx = setup();
    const sd = openScript(ctx);
    sd.edit([{ pos: 0, insert: "// 😀\n" }]);
    sd.edit([{ pos: 0, insert: "x" }]);
    expect(submits(ctx.t.take())).toEqual([{ type: "submit", doc: SDOC, baseVersion: 1, ops: [{ seq: 1, edits: [{ pos: 0, insert: "// 😀\n" }] }] }]);
    ctx.t.deliver({ type: "events", doc: SDOC, events: [{ version: 2, type: "script.text_changed", data: {}, clientId: "alice-tab", seq: 1, edits: [{ pos: 0, insert: "// 😀\n" }] }] });
    expect(submits(ctx.t.take())).toEqual([{ type: "submit", doc: SDOC, baseVersion: 2, ops: [{ seq: 2, edits: [{ pos: 0, insert: "x" }] }] }]);
    expect(sd.text).toBe("x// 😀\nhello\n");
  });

  it("reports remote edits transformed against local ones, for the editor", () => {
    const ctx = setup();
    const sd = openScript(ctx);
    // Loading reported the whole text once (the editor's model starts empty).
    expect(ctx.events.flatMap((e) => (e.type === "remote_text" ? [e.op] : []))).toEqual([[{ pos: 0, insert: "hello\n" }]]);
    ctx.events.length = 0;
    sd.edit([{ pos: 0, insert: "A" }]);
    ctx.t.deliver({ type: "events", doc: SDOC, events: [{ version: 2, type: "script.text_changed", data: {}, clientId: "bob-tab", seq: 3, edits: [{ pos: 5, insert: " world" }] }] });
    const remote = ctx.events.flatMap((e) => (e.type === "remote_text" ? [e.op] : []));
    expect(remote).toEqual([[{ pos: 6, insert: " world" }]]);
    expect(sd.text).toBe("Ahello world\n");
  });

  it("resends the edit in flight after a reconnect caught up with events", () => {
    const ctx = setup();
    const sd = openScript(ctx);
    sd.edit([{ pos: 0, insert: "A" }]);
    ctx.t.close(1006);
    ctx.timers.shift()!.fn();
    ctx.t.open();
    ctx.t.take();
    ctx.t.deliver({ type: "subscribed", doc: SDOC, version: 2, events: [{ version: 2, type: "script.text_changed", data: {}, clientId: "bob-tab", seq: 1, edits: [{ pos: 0, insert: "B" }] }] });
    ctx.t.deliver({ type: "subscribed", doc: DOC, version: 7 });
    expect(submits(ctx.t.take())).toEqual([{ type: "submit", doc: SDOC, baseVersion: 2, ops: [{ seq: 1, edits: [{ pos: 1, insert: "A" }] }] }]);
    expect(sd.text).toBe("BAhello\n");
  });

  it("drops unconfirmed edits when a reconnect brings a snapshot, and says so", () => {
    const ctx = setup();
    const sd = openScript(ctx);
    sd.edit([{ pos: 0, insert: "A" }]);
    ctx.t.close(1006);
    ctx.timers.shift()!.fn();
    ctx.t.open();
    ctx.t.deliver({ type: "subscribed", doc: SDOC, version: 1500, snapshot: { id: "onsave", text: "server text", version: 1500 } });
    expect(sd.text).toBe("server text");
    expect(ctx.rejections().map((r) => r.code)).toEqual(["snapshot"]);
    expect(sd.client.state).toBe("synchronized");
  });

  it("P20 resubscribes for a snapshot when the base is too old", () => {
    const ctx = setup();
    const sd = openScript(ctx);
    sd.edit([{ pos: 0, insert: "A" }]);
    ctx.t.take();
    ctx.t.deliver({ type: "ack", doc: SDOC, results: [{ seq: 1, status: "rejected", code: "base_too_old", message: "too old" }] });
    expect(ctx.t.take()).toEqual([{ type: "subscribe", doc: SDOC, version: 0 }]);
    expect(ctx.rejections()[0]?.message).toMatch(/reloaded/);
    ctx.t.deliver({ type: "subscribed", doc: SDOC, version: 5, snapshot: { id: "onsave", text: "fresh", version: 5 } });
    expect(sd.text).toBe("fresh");
  });
});

describe("EditorSession runs", () => {
  it("passes run messages on", () => {
    const ctx = setup();
    ctx.s.run(DOC);
    ctx.s.componentEvent("sess1", "b1", "onClick", { altKey: false });
    expect(ctx.t.take()).toEqual([
      { type: "run", doc: DOC, mode: "preview" },
      { type: "component_event", session: "sess1", nodeId: "b1", event: "onClick", payload: { altKey: false } },
    ]);
    ctx.t.deliver({ type: "run_state", session: "sess1", step: 1, state: { page: { count: 1 }, app: null }, updates: [], effects: [] });
    expect(ctx.events.some((e) => e.type === "run" && e.msg.type === "run_state")).toBe(true);
  });
});

// Keep fixtures honest: the node helper builds the same shape the session normalizes.
it("fixtures build normalized nodes", () => {
  expect(node("x", "Text", "root", "a0")).toEqual({ id: "x", type: "Text", parentId: "root", index: "a0", props: {}, styles: {}, events: {} });
});
