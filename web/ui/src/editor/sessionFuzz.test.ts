// Seeded fuzzing of whole sessions against a small server: random page ops and script edits,
// random delivery order and random disconnects; at the end every client shows the server's state.

import { describe, expect, it } from "vitest";
import { childrenOf, subtreeIds } from "./page";
import { normalizeTextOp } from "./scriptText";
import { EditorSession } from "./session";
import type { PageOp } from "./types";
import { samplePage } from "./testdata/fixtures";
import { MiniServer } from "./testdata/miniServer";
import { MemoryTransport } from "./testdata/transport";

const PAGE = "page-home";
const SCRIPT = "script-s";

function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

function pick<T>(xs: readonly T[], r: (n: number) => number): T | undefined {
  return xs.length === 0 ? undefined : xs[r(xs.length)];
}

describe("session fuzz", () => {
  it.each(Array.from({ length: 25 }, (_, i) => i + 1))("seed %i: clients converge with the server after disconnects", (seed) => {
    const r = rng(seed);
    const server = new MiniServer(samplePage(), "let x = 1;\n", PAGE, SCRIPT);
    const clients = ["alice", "bob", "carol"].map((name) => {
      const t = new MemoryTransport();
      const conn = server.attach(t);
      const retries: (() => void)[] = [];
      let ids = 0;
      const s = new EditorSession({
        transport: t,
        clientId: `${name}-tab`,
        newId: () => `${name}${++ids}`,
        reconnectDelay: () => 1,
        schedule: (fn) => {
          retries.push(fn);
          return () => retries.splice(retries.indexOf(fn), 1);
        },
      });
      t.open();
      const page = s.openPage(PAGE);
      const script = s.openScript(SCRIPT);
      return { name, t, conn, s, page, script, retries };
    });

    const randomOp = (c: (typeof clients)[number]): PageOp | undefined => {
      const view = c.page.view;
      if (!view) return undefined;
      const ids = Object.keys(view.nodes).filter((id) => id !== view.rootId);
      const containers = Object.values(view.nodes).filter((n) => n.type === "Container").map((n) => n.id);
      const id = pick(ids, r);
      switch (r(5)) {
        case 0:
          return { op: "insert_node", type: pick(["Button", "Text", "Container"], r)!, parentId: pick(containers, r) ?? "" };
        case 1:
          return id ? { op: "delete_node", nodeId: id } : undefined;
        case 2: {
          const parent = pick(containers, r) ?? view.rootId;
          const sibs = childrenOf(view, parent);
          const index = pick(sibs, r)?.index ?? "";
          return id && !subtreeIds(view, id).includes(parent) ? { op: "move_node", nodeId: id, parentId: parent, index } : undefined;
        }
        case 3:
          return id ? { op: "set_style", nodeId: id, path: "color", value: pick(["red", "blue", null], r) ?? null } : undefined;
        default:
          return id ? { op: "set_prop", nodeId: id, path: "label", value: `${c.name}${r(100)}` } : undefined;
      }
    };

    let disconnects = 0;
    for (let step = 0; step < 400; step++) {
      const c = clients[r(clients.length)]!;
      const action = r(10);
      if (!c.t.connected) {
        if (c.retries.length > 0 && r(3) === 0) {
          c.retries.shift()!();
          c.t.open();
        } else if (action < 2 && c.page.view) {
          const op = randomOp(c);
          if (op) c.page.submit(op); // edits made offline go after the reconnect
        }
        continue;
      }
      if (action < 2) {
        const op = randomOp(c);
        if (op && c.page.view) c.page.submit(op);
      } else if (action < 4 && c.script.client.loaded) {
        const text = c.script.text;
        let pos = r(text.length + 1);
        if (pos > 0 && pos < text.length && text.charCodeAt(pos - 1) >= 0xd800 && text.charCodeAt(pos - 1) <= 0xdbff) pos++;
        const del = Math.min(r(3), text.length - pos);
        const endSplits = pos + del < text.length && text.charCodeAt(pos + del - 1) >= 0xd800 && text.charCodeAt(pos + del - 1) <= 0xdbff;
        c.script.edit(normalizeTextOp([{ pos, delete: endSplits ? del + 1 : del, insert: pick(["a", "😀", "", "\n"], r)! }]));
      } else if (action < 6) {
        server.process(c.conn);
      } else if (action < 9) {
        const m = c.conn.queue.shift();
        if (m) c.t.deliver(m);
      } else if (r(4) === 0) {
        server.process(c.conn); // what was sent reached the server; the answers are lost
        server.drop(c.conn);
        c.t.close(1006);
        disconnects++;
      }
    }

    // Reconnect everyone and deliver everything until quiet.
    for (const c of clients) {
      if (!c.t.connected) {
        c.retries.splice(0).forEach((f) => f());
        c.t.open();
      }
    }
    for (let guard = 0; guard < 100_000; guard++) {
      const busy = clients.find((c) => c.t.sent.length > 0 || c.conn.queue.length > 0);
      if (!busy) break;
      if (busy.t.sent.length > 0) server.process(busy.conn);
      else busy.t.deliver(busy.conn.queue.shift()!);
    }

    // The run did something worth checking.
    expect(disconnects).toBeGreaterThan(0);
    expect(server.pageEvents.length).toBeGreaterThan(0);
    expect(server.scriptEvents.length).toBeGreaterThan(0);
    for (const c of clients) {
      expect(c.page.pendingSeqs, c.name).toEqual([]);
      expect(c.page.version, c.name).toBe(server.pageVersion);
      expect(c.page.view?.nodes, c.name).toEqual(server.page.nodes);
      expect(c.script.client.state, c.name).toBe("synchronized");
      expect(c.script.text, c.name).toBe(server.text);
    }
  });
});
