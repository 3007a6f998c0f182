import { act } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, describe, expect, it } from "vitest";
import { ApiClient } from "../../api/client";
import { applyPageOp, type ActionSpec, type Page, type PageOp } from "../../editor";
import { catalog, samplePage } from "../../editor/testdata/fixtures";
import { EventsTab } from "./EventsTab";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const quickActions: ActionSpec[] = [
  { name: "setState", description: "Set a value", params: { type: "object", required: ["path", "value"], properties: { path: { type: "string", minLength: 1 }, value: {} } } },
  { name: "showNotification", description: "Toast", params: { type: "object", required: ["message"], properties: { message: { type: "string", minLength: 1 } } } },
];

/** An API whose script list is empty and whose script creation answers a fixed script. */
function fakeApi(): { api: ApiClient; created: unknown[] } {
  const created: unknown[] = [];
  const api = new ApiClient({
    fetch: async (url, init) => {
      if (init.method === "POST") {
        created.push(JSON.parse(String(init.body)));
        return new Response(JSON.stringify({ id: "new1", appId: "crm", name: "n", kind: "event_handler", language: "js", text: "", version: 1, deleted: false }), { status: 201, headers: { "Content-Type": "application/json" } });
      }
      return new Response(JSON.stringify({ items: [] }), { status: 200, headers: { "Content-Type": "application/json" } });
    },
  });
  return { api, created };
}

let root: Root | null = null;
afterEach(() => {
  act(() => root?.unmount());
  root = null;
});

async function mount(page: Page, nodeId: string, submit: (ops: PageOp | PageOp[]) => void, api = fakeApi().api) {
  const el = document.createElement("div");
  document.body.appendChild(el);
  root = createRoot(el);
  const render = async (p: Page) =>
    act(async () => root!.render(<EventsTab api={api} appId="crm" page={p} node={p.nodes[nodeId]!} manifest={catalog.get("Button")!} quickActions={quickActions} canEdit={true} submit={submit} />));
  await render(page);
  return { el, render };
}

function change(el: Element, value: string) {
  const input = el as HTMLInputElement | HTMLSelectElement;
  const proto = input instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, "value")!.set!.call(input, value);
  input.dispatchEvent(new Event(input instanceof HTMLSelectElement ? "change" : "input", { bubbles: true }));
}

function button(el: HTMLElement, name: string): HTMLButtonElement {
  const b = [...el.querySelectorAll("button")].find((x) => x.textContent === name);
  if (!b) throw new Error(`no button ${name}`);
  return b;
}

describe("EventsTab", () => {
  it("builds a quick-action list and submits it as bind_event", async () => {
    const sent: PageOp[] = [];
    const { el } = await mount(samplePage(), "b1", (ops) => sent.push(...(Array.isArray(ops) ? ops : [ops])));
    expect(el.querySelector('[data-testid="event-onClick"]')?.getAttribute("data-bound")).toBe("none");

    await act(async () => change(el.querySelector('[aria-label="Handler of onClick"]')!, "actions"));
    await act(async () => button(el, "Add action").click());
    const inputs = el.querySelectorAll<HTMLInputElement>(".qa-params input");
    await act(async () => change(inputs[0]!, "count"));
    await act(async () => {
      change(inputs[1]!, "1");
      inputs[1]!.dispatchEvent(new FocusEvent("focusout", { bubbles: true }));
    });
    await act(async () => button(el, "Save actions").click());
    expect(sent).toEqual([{ op: "bind_event", nodeId: "b1", event: "onClick", binding: { kind: "actions", actions: [{ type: "setState", params: { path: "count", value: 1 } }] } }]);
  });

  it("explains an incomplete list instead of sending it", async () => {
    const sent: PageOp[] = [];
    const { el } = await mount(samplePage(), "b1", (ops) => sent.push(...(Array.isArray(ops) ? ops : [ops])));
    await act(async () => change(el.querySelector('[aria-label="Handler of onClick"]')!, "actions"));
    await act(async () => button(el, "Add action").click());
    await act(async () => button(el, "Save actions").click());
    expect(sent).toEqual([]);
    expect(el.querySelector('[data-testid="event-error"]')?.textContent).toBe("Action 1 (setState): path is required.");
  });

  it("unbinds with No handler and shows the server's refusal when the view falls back", async () => {
    const sent: PageOp[] = [];
    const page = samplePage();
    const { el, render } = await mount(page, "b2", (ops) => sent.push(...(Array.isArray(ops) ? ops : [ops])));
    expect(el.querySelector('[data-testid="event-onClick"]')?.getAttribute("data-bound")).toBe("script");
    await act(async () => change(el.querySelector('[aria-label="Handler of onClick"]')!, "none"));
    expect(sent).toEqual([{ op: "unbind_event", nodeId: "b2", event: "onClick" }]);

    // The optimistic view drops the binding, then the refusal brings it back.
    const unbound = applyPageOp(page, sent[0]!, { newId: () => "x" }).page;
    await render(unbound);
    expect(el.querySelector('[data-testid="event-onClick"]')?.getAttribute("data-bound")).toBe("none");
    await render(page);
    expect(el.querySelector('[data-testid="event-error"]')?.textContent).toMatch(/server refused/);
  });

  it("creates a handler script from the template and binds it", async () => {
    const sent: PageOp[] = [];
    const { api, created } = fakeApi();
    const { el } = await mount(samplePage(), "b1", (ops) => sent.push(...(Array.isArray(ops) ? ops : [ops])), api);
    await act(async () => change(el.querySelector('[aria-label="Handler of onClick"]')!, "script"));
    await act(async () => change(el.querySelector('[aria-label="Script of onClick"]')!, "__new__"));
    const [, action] = el.querySelectorAll<HTMLInputElement>(".new-script input");
    await act(async () => change(action!, "counter/increment"));
    await act(async () => button(el, "Create script").click());
    expect(created).toEqual([{ name: "Button onClick", kind: "event_handler", text: "function handleEvent(payload, ctx) {\n  dispatch(createAction('counter/increment'))\n}\n" }]);
    expect(sent).toEqual([{ op: "bind_event", nodeId: "b1", event: "onClick", binding: { kind: "script", scriptId: "new1" } }]);
  });
});
