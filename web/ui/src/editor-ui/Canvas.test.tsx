import { DndContext } from "@dnd-kit/core";
import { act } from "react";
import { createRoot } from "react-dom/client";
import { describe, expect, it } from "vitest";
import { applyPageEvent, type Page, type PageNode } from "../editor";
import { catalog, node, samplePage } from "../editor/testdata/fixtures";
import { Canvas } from "./Canvas";
import { CanvasStore } from "./canvasStore";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** A page of n nodes: the root, containers of 99 texts each. */
function bigPage(n: number): Page {
  const nodes: PageNode[] = [node("root", "Container", "", "a0")];
  let c = -1;
  for (let i = 1; nodes.length < n; i++) {
    if ((i - 1) % 100 === 0) {
      c++;
      nodes.push(node(`c${c}`, "Container", "root", `a${String(c).padStart(3, "0")}`));
    } else {
      nodes.push(node(`t${i}`, "Text", `c${c}`, `a${String(i).padStart(5, "0")}`, { props: { text: `Text ${i}` } }));
    }
  }
  return { ...samplePage(), nodes: Object.fromEntries(nodes.map((x) => [x.id, x])), rootId: "root" };
}

function mount(page: Page) {
  const store = new CanvasStore();
  store.setPage(page);
  const renders: string[] = [];
  const selected: [string, boolean][] = [];
  const el = document.createElement("div");
  document.body.append(el);
  const root = createRoot(el);
  const onRender = (id: string) => renders.push(id);
  const onSelect = (id: string, additive: boolean) => selected.push([id, additive]);
  act(() =>
    root.render(
      <DndContext>
        <Canvas rootId={page.rootId} store={store} catalog={catalog} canEdit onSelect={onSelect} onClearSelection={() => {}} onRender={onRender} />
      </DndContext>,
    ),
  );
  return { store, renders, selected, el, unmount: () => act(() => root.unmount()) };
}

describe("Canvas", () => {
  it("renders every node with its id and type, and looks like the component", () => {
    const { el, unmount } = mount(samplePage());
    const ids = [...el.querySelectorAll("[data-node-id]")].map((e) => `${e.getAttribute("data-node-id")}:${e.getAttribute("data-node-type")}`);
    expect(ids).toEqual(["root:Container", "box:Container", "b1:Button", "b2:Button", "t1:Text"]);
    expect(el.querySelector('[data-node-id="b1"] button')?.textContent).toBe("One");
    expect(el.querySelector('[data-node-id="t1"] p')?.textContent).toBe("Hello");
    unmount();
  });

  it("selects on click, additively with shift", () => {
    const { el, selected, unmount } = mount(samplePage());
    act(() => el.querySelector<HTMLElement>('[data-node-id="b1"]')?.dispatchEvent(new MouseEvent("click", { bubbles: true })));
    act(() => el.querySelector<HTMLElement>('[data-node-id="t1"]')?.dispatchEvent(new MouseEvent("click", { bubbles: true, shiftKey: true })));
    expect(selected).toEqual([
      ["b1", false],
      ["t1", true],
    ]);
    unmount();
  });

  it("re-renders only the changed node on a remote op, and outlines selections", () => {
    const page = bigPage(2000);
    const { store, renders, el, unmount } = mount(page);
    expect(el.querySelectorAll("[data-node-id]").length).toBe(2000);
    renders.length = 0;
    const next = applyPageEvent(page, { type: "page.node_prop_set", data: { nodeId: "t150", path: "text", value: "Changed" } });
    act(() => store.setPage(next));
    expect(renders).toEqual(["t150"]);
    expect(el.querySelector('[data-node-id="t150"]')?.textContent).toBe("Changed");

    renders.length = 0;
    act(() => store.setSelection(["t7"]));
    act(() => store.setPeerMarks(new Map([["t8", { color: "rgb(1, 2, 3)", user: "bob" }]])));
    expect(renders.sort()).toEqual(["t7", "t8"]);
    expect(el.querySelector('[data-node-id="t7"]')?.classList.contains("selected")).toBe(true);
    expect(el.querySelector<HTMLElement>('[data-node-id="t8"]')?.style.outline).toBe("2px solid rgb(1, 2, 3)");
    unmount();
  });
});
