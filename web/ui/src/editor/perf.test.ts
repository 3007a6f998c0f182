// Issue 8 asks the editor to stay responsive on a 2,000-node page. This checks that remote ops
// apply correctly over pending local ops on such a page and prints how long each took; the figure
// is a measurement for docs/benchmarks.md, not a pass/fail bound (machines vary).

import { describe, expect, it } from "vitest";
import { keyBetween } from "./fracindex";
import { buildTree } from "./page";
import { EditorSession } from "./session";
import type { Page, PageNode } from "./types";
import { MemoryTransport } from "./testdata/transport";

function bigPage(n: number): Page {
  const nodes: Record<string, PageNode> = { root: { id: "root", type: "Container", parentId: "", index: "a0", props: {}, styles: {}, events: {} } };
  let key = "";
  for (let i = 0; i < n; i++) {
    key = keyBetween(key, "");
    const parentId = i < 40 ? "root" : `n${i % 40}`;
    nodes[`n${i}`] = { id: `n${i}`, type: i < 40 ? "Container" : "Text", parentId, index: key, props: { text: `node ${i}` }, styles: {}, events: {} };
  }
  return { id: "big", appId: "a", name: "Big", version: 1, deleted: false, nodes, rootId: "root", reducerScriptId: "" };
}

describe("performance", () => {
  it("applies remote ops on a 2,000-node page quickly, with pending local ops", () => {
    const t = new MemoryTransport();
    const s = new EditorSession({ transport: t, clientId: "me", schedule: () => () => {} });
    t.open();
    const page = s.openPage("page-big");
    t.deliver({ type: "subscribed", doc: "page-big", version: 1, snapshot: bigPage(2000) });
    for (let i = 0; i < 5; i++) page.submit({ op: "set_prop", nodeId: `n${i * 7}`, path: "text", value: `mine ${i}` });
    const rounds = 200;
    const start = performance.now();
    for (let v = 2; v < 2 + rounds; v++) {
      t.deliver({ type: "events", doc: "page-big", events: [{ version: v, type: "page.node_prop_set", data: { nodeId: `n${v}`, path: "text", value: `theirs ${v}` }, clientId: "bob", seq: v }] });
      buildTree(page.view!); // what a render needs: the view and its ordered children
    }
    const perOp = (performance.now() - start) / rounds;
    console.info(`remote op + view + tree on 2,000 nodes: ${perOp.toFixed(2)} ms`);
    expect(page.view?.nodes.n0?.props.text).toBe("mine 0");
    expect(page.view?.nodes[`n${rounds}`]?.props.text).toBe(`theirs ${rounds}`);
    expect(page.version).toBe(1 + rounds);
    expect(Number.isFinite(perOp)).toBe(true);
  });
});
