import { act } from "react";
import { createRoot } from "react-dom/client";
import { describe, expect, it } from "vitest";
import { ApiClient } from "../api/client";
import { EditorSession, type ClientMessage, type Page, type PageNode, type PageOp } from "../editor";
import { catalog, manifests, node, samplePage } from "../editor/testdata/fixtures";
import { MemoryTransport } from "../editor/testdata/transport";
import { PageEditor } from "./PageEditor";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const DOC = "page-home";

/** The sample page with n more texts under the root. */
function pageWith(n: number): Page {
  const p = samplePage();
  const extra: PageNode[] = Array.from({ length: n }, (_, i) => node(`x${i}`, "Text", "root", `b${String(i).padStart(4, "0")}`, { props: { text: `X${i}` } }));
  return { ...p, nodes: { ...p.nodes, ...Object.fromEntries(extra.map((x) => [x.id, x])) } };
}

function submitted(t: MemoryTransport): PageOp[] {
  return t
    .take()
    .filter((m): m is Extract<ClientMessage, { type: "submit" }> => m.type === "submit")
    .flatMap((m) => m.ops.flatMap((o) => (o.page ? [o.page] : [])));
}

function setup(page: Page) {
  const t = new MemoryTransport();
  const s = new EditorSession({ transport: t, clientId: "me", catalog, newId: (() => {
    let n = 0;
    return () => `new${++n}`;
  })(), schedule: () => () => {} });
  t.open();
  t.deliver({ type: "welcome", protocol: 1, user: "ada", clientId: "me" });
  const renders: string[] = [];
  const el = document.createElement("div");
  document.body.append(el);
  const root = createRoot(el);
  act(() =>
    root.render(
      <PageEditor
        api={new ApiClient({ fetch: () => Promise.reject(new Error("no network in this test")) })}
        session={s}
        appId="crm"
        pageId="home"
        pageName="Home"
        components={{ components: manifests, quickActions: [] }}
        catalog={catalog}
        canEdit
        pageTree={null}
        onNodeRender={(id) => renders.push(id)}
      />,
    ),
  );
  act(() => t.deliver({ type: "subscribed", doc: DOC, version: 7, snapshot: page }));
  const initial = t.take();
  const click = (id: string, init: MouseEventInit = {}) =>
    act(() => el.querySelector(`[data-node-id="${id}"]`)?.dispatchEvent(new MouseEvent("click", { bubbles: true, ...init })));
  const key = (k: string, init: KeyboardEventInit = {}) => act(() => window.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true, ...init })));
  return { t, s, el, renders, click, key, initial, unmount: () => act(() => root.unmount()) };
}

describe("PageEditor", () => {
  it("re-renders only the changed node when a remote op arrives, on a large page", () => {
    const { t, el, renders, unmount } = setup(pageWith(500));
    expect(el.querySelectorAll("[data-node-id]").length).toBe(505);
    renders.length = 0;
    act(() =>
      t.deliver({ type: "events", doc: DOC, events: [{ version: 8, type: "page.node_prop_set", data: { nodeId: "x250", path: "text", value: "Remote" }, clientId: "bob-1", seq: 1 }] }),
    );
    expect(el.querySelector('[data-node-id="x250"]')?.textContent).toBe("Remote");
    expect(renders).toEqual(["x250"]);
    unmount();
  });

  it("shares the selection as presence and outlines a peer's selection", () => {
    const { t, el, click, initial, unmount } = setup(samplePage());
    // The empty selection is shared at once: it is how the others learn we are here.
    expect(initial).toContainEqual({ type: "presence", doc: DOC, state: { selection: [] } });
    click("b1");
    click("t1", { shiftKey: true });
    const presence = t.take().filter((m) => m.type === "presence");
    expect(presence.at(-1)).toEqual({ type: "presence", doc: DOC, state: { selection: ["b1", "t1"] } });
    act(() => t.deliver({ type: "presence", doc: DOC, user: "bob", clientId: "bob-1", state: { selection: ["b2"] } }));
    expect(el.querySelector('[data-node-id="b2"]')?.getAttribute("data-peer-selected")).toBe("bob");
    expect(el.querySelector('[aria-label="People on this page"] [data-user="bob"]')?.textContent).toBe("BO");
    unmount();
  });

  it("deletes, undoes and redoes with the keyboard; duplicates and pastes", () => {
    const { t, el, click, key, unmount } = setup(samplePage());
    click("b1");
    key("Delete");
    expect(submitted(t)).toEqual([{ op: "delete_node", nodeId: "b1" }]);
    expect(el.querySelector('[data-node-id="b1"]')).toBeNull();
    key("z", { ctrlKey: true });
    expect(submitted(t)[0]).toMatchObject({ op: "insert_node", nodeId: "b1", type: "Button", parentId: "box", props: { label: "One" } });
    expect(el.querySelector('[data-node-id="b1"]')).not.toBeNull();
    key("Z", { metaKey: true, shiftKey: true });
    expect(submitted(t)).toContainEqual({ op: "delete_node", nodeId: "b1" });
    expect(el.querySelector('[data-node-id="b1"]')).toBeNull();

    click("t1");
    key("d", { ctrlKey: true });
    expect(submitted(t)[0]).toMatchObject({ op: "insert_node", nodeId: "new1", type: "Text", parentId: "root" });
    key("c", { ctrlKey: true });
    click("box");
    key("v", { ctrlKey: true });
    expect(submitted(t)[0]).toMatchObject({ op: "insert_node", nodeId: "new2", type: "Text", parentId: "box" });
    expect(el.querySelector('[data-node-id="box"] [data-node-id="new2"]')).not.toBeNull();
    unmount();
  });

  it("edits a prop from the properties form and shows the server's refusal on the field", () => {
    const { t, el, click, unmount } = setup(samplePage());
    click("b1");
    const input = [...el.querySelectorAll("label")].find((l) => l.textContent === "Label")?.control;
    expect(input).toBeInstanceOf(HTMLInputElement);
    const field = input as HTMLInputElement;
    act(() => {
      // React tracks the value: set it through the native setter, then fire input.
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")?.set?.call(field, "Go");
      field.dispatchEvent(new Event("input", { bubbles: true }));
    });
    act(() => field.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true })));
    const sent = t.take().filter((m): m is Extract<ClientMessage, { type: "submit" }> => m.type === "submit");
    expect(sent.flatMap((m) => m.ops.map((o) => o.page))).toEqual([{ op: "set_prop", nodeId: "b1", path: "label", value: "Go" }]);
    const seq = sent[0]!.ops[0]!.seq;
    act(() => t.deliver({ type: "ack", doc: DOC, results: [{ seq, status: "rejected", code: "invalid_prop", message: "too short", path: "/nodes/b1/props/label" }] }));
    expect(field.closest(".prop-field")?.querySelector('[role="alert"]')?.textContent).toBe("The value was not accepted: too short");
    expect(el.querySelector(".pe-toast")?.textContent).toContain("The value was not accepted: too short");
    unmount();
  });

  it("shows the connection's state: live, reconnecting after a loss, live again", () => {
    const { t, el, unmount } = setup(samplePage());
    const status = () => el.querySelector('[role="status"]')?.textContent;
    expect(status()).toBe("Live");
    act(() => t.close(1006));
    expect(status()).toBe("Reconnecting…");
    act(() => {
      t.open();
      t.deliver({ type: "welcome", protocol: 1, user: "ada", clientId: "me" });
    });
    expect(status()).toBe("Live");
    unmount();
  });
});
