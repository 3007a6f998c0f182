import { act } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiClient, type FetchFn } from "../api/client";
import type { PageTree, PageTreeNode, PatchTreePage } from "../api/types";
import { PageTreePanel } from "./PageTreePanel";

// The page tree panel in jsdom against a fake fetch: the move buttons and what they send.

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" },
  });

const node = (pageId: string, index: string, children: PageTreeNode[] = []): PageTreeNode => ({
  pageId,
  name: pageId.toUpperCase(),
  slug: pageId,
  index,
  children,
});

// A [C], B at version 3.
const tree: PageTree = { version: 3, pages: [node("a", "a0", [node("c", "a0")]), node("b", "a1")] };

interface Patch {
  url: string;
  body: PatchTreePage;
}

/** A fake server answering PATCHes with answer(n) for the n-th one (from 0); it records them. */
function fakeServer(answer: (n: number, body: PatchTreePage) => Response): { fetch: FetchFn; patches: Patch[] } {
  const patches: Patch[] = [];
  const fetch: FetchFn = (url, init) => {
    if (init.method !== "PATCH") return Promise.resolve(json(404, { status: 404, detail: `${init.method} ${url}` }));
    const body = JSON.parse(String(init.body)) as PatchTreePage;
    patches.push({ url, body });
    return Promise.resolve(answer(patches.length - 1, body));
  };
  return { fetch, patches };
}

const moved = (body: PatchTreePage) =>
  json(200, { id: "b", appId: "app1", name: "B", slug: "b", parentId: body.parentId, index: body.index, version: 2, treeVersion: 4 });

let container: HTMLDivElement;
let root: Root;

beforeEach(() => {
  container = document.createElement("div");
  document.body.append(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

/** Renders the panel; returns how many times it asked for a reload. */
async function render(fetch: FetchFn, canEdit = true): Promise<{ changes: () => number }> {
  let changes = 0;
  await act(async () =>
    root.render(
      <PageTreePanel
        api={new ApiClient({ fetch })}
        appId="app1"
        tree={tree}
        loadError={undefined}
        selectedId={undefined}
        pagePath={(id) => `/pages/${id}`}
        canEdit={canEdit}
        onChanged={() => changes++}
        onSelect={() => undefined}
        onDeleted={() => undefined}
      />,
    ),
  );
  return { changes: () => changes };
}

function button(label: string): HTMLButtonElement {
  const b = container.querySelector(`button[aria-label="${label}"]`);
  if (!(b instanceof HTMLButtonElement)) throw new Error(`no button labelled ${label}`);
  return b;
}

async function click(label: string) {
  const b = button(label);
  await act(async () => b.click());
  for (let i = 0; i < 5; i++) await act(async () => new Promise((r) => setTimeout(r, 0)));
}

describe("PageTreePanel moves", () => {
  it.each([
    { label: "Move A up", disabled: true },
    { label: "Move A down", disabled: false },
    { label: "Indent A", disabled: true },
    { label: "Outdent A", disabled: true },
    { label: "Move B up", disabled: false },
    { label: "Move B down", disabled: true },
    { label: "Indent B", disabled: false },
    { label: "Outdent B", disabled: true },
    { label: "Move C up", disabled: true },
    { label: "Indent C", disabled: true },
    { label: "Outdent C", disabled: false },
  ])("$label is disabled: $disabled", async ({ label, disabled }) => {
    await render(fakeServer((_, body) => moved(body)).fetch);
    expect(button(label).disabled).toBe(disabled);
  });

  it("has no move buttons for a viewer", async () => {
    await render(fakeServer((_, body) => moved(body)).fetch, false);
    expect(container.querySelector('button[aria-label="Move B up"]')).toBeNull();
  });

  it.each([
    { label: "Move B up", parentId: "", below: "a0" },
    { label: "Indent B", parentId: "a", above: "a0" },
    { label: "Outdent C", parentId: "", above: "a0", below: "a1" },
  ])("$label sends the new parent and an index between the neighbours", async ({ label, parentId, above, below }) => {
    const { fetch, patches } = fakeServer((_, body) => moved(body));
    const { changes } = await render(fetch);
    await click(label);
    expect(patches).toHaveLength(1);
    const body = patches[0]?.body;
    if (!body) throw new Error("no PATCH sent");
    expect(body.expectedVersion).toBe(3);
    expect(body.parentId).toBe(parentId);
    expect(body.name).toBeUndefined();
    const index = body.index ?? "";
    if (above !== undefined) expect(index > above).toBe(true);
    if (below !== undefined) expect(index < below).toBe(true);
    expect(changes()).toBe(1);
    expect(container.querySelector("[role=alert]")).toBeNull();
  });

  it("retries once at the current version on a version conflict", async () => {
    const { fetch, patches } = fakeServer((n, body) =>
      n === 0
        ? json(409, { status: 409, code: "version_conflict", detail: "The page tree changed.", currentVersion: 7 })
        : moved(body),
    );
    const { changes } = await render(fetch);
    await click("Move B up");
    expect(patches.map((p) => p.body.expectedVersion)).toEqual([3, 7]);
    expect(patches.map((p) => p.url)).toEqual(["/api/apps/app1/pages/b", "/api/apps/app1/pages/b"]);
    expect(patches[1]?.body.index).toBe(patches[0]?.body.index);
    expect(changes()).toBe(1);
  });

  it("shows a refusal in words and does not reload", async () => {
    const { fetch, patches } = fakeServer(() =>
      json(409, { status: 409, code: "cycle", detail: "cannot move page b into its own subtree", path: "/parentId" }),
    );
    const { changes } = await render(fetch);
    await click("Indent B");
    expect(patches).toHaveLength(1);
    expect(container.querySelector("[role=alert]")?.textContent).toBe("Cannot move “B”: a page cannot go under itself or one of its subpages.");
    expect(changes()).toBe(0);
    expect(button("Indent B").disabled).toBe(false); // can try again
  });

  it("shows other refusals with the server's words", async () => {
    const { fetch } = fakeServer(() => json(422, { status: 422, code: "invalid_index", detail: "invalid fractional index key", path: "/index" }));
    const { changes } = await render(fetch);
    await click("Outdent C");
    expect(container.querySelector("[role=alert]")?.textContent).toBe("Cannot move “C”: invalid fractional index key");
    expect(changes()).toBe(0);
  });

  it("gives editors, not viewers, a drag handle per page", async () => {
    await render(fakeServer((_, body) => moved(body)).fetch);
    expect(button("Drag B").getAttribute("aria-roledescription")).toBe("draggable");
    await render(fakeServer((_, body) => moved(body)).fetch, false);
    expect(container.querySelector('button[aria-label="Drag B"]')).toBeNull();
  });

  it("reloads the tree when the page has gone", async () => {
    const { fetch } = fakeServer(() => json(404, { status: 404, code: "not_found", detail: "page b not found" }));
    const { changes } = await render(fetch);
    await click("Move B up");
    expect(container.querySelector("[role=alert]")?.textContent).toBe("Cannot move “B”: page b not found");
    expect(changes()).toBe(1);
  });
});
