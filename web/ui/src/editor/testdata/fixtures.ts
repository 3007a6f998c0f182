// Shared fixtures of the editor tests: a small catalog and page.

import { catalogOf } from "../page";
import type { Manifest, Page, PageNode } from "../types";

function manifest(type: string, extra: Partial<Manifest> = {}): Manifest {
  return {
    type,
    name: type,
    category: "basic",
    icon: type.toLowerCase(),
    description: "",
    props: { type: "object", properties: { label: { type: "string" }, text: { type: "string" }, hidden: { type: "boolean" }, columns: { type: "array" }, items: { type: "array" } } },
    events: [],
    actions: [],
    template: { props: {}, styles: {} },
    acceptsChildren: false,
    ...extra,
  };
}

export const manifests: Manifest[] = [
  manifest("Container", { acceptsChildren: true, template: { props: { direction: "column" }, styles: {} } }),
  manifest("Button", {
    template: { props: { label: "Button", variant: "primary" }, styles: { padding: "4px" } },
    events: [{ name: "onClick", description: "", payload: { type: "object" }, nativeEvent: "click" }],
  }),
  manifest("Text", { template: { props: { text: "Text" }, styles: {} } }),
  manifest("Form", {
    acceptsChildren: true,
    template: { props: {}, styles: {}, children: [{ type: "Text", props: { text: "Title" } }, { type: "Button", props: { label: "Submit" } }] },
  }),
];

export const catalog = catalogOf(manifests);

export function node(id: string, type: string, parentId: string, index: string, extra: Partial<PageNode> = {}): PageNode {
  return { id, type, parentId, index, props: {}, styles: {}, events: {}, ...extra };
}

/** root > [box > [b1, b2], t1] */
export function samplePage(): Page {
  const nodes = [
    node("root", "Container", "", "a0"),
    node("box", "Container", "root", "a0"),
    node("b1", "Button", "box", "a0", { props: { label: "One" } }),
    node("b2", "Button", "box", "a1", { props: { label: "Two" }, events: { onClick: { kind: "script", scriptId: "s1" } } }),
    node("t1", "Text", "root", "a1", { props: { text: "Hello", items: ["a", "b"] }, styles: { color: "#d00" } }),
  ];
  return {
    id: "home",
    appId: "crm",
    name: "Home",
    version: 7,
    deleted: false,
    nodes: Object.fromEntries(nodes.map((n) => [n.id, n])),
    rootId: "root",
    initialState: {},
    reducerScriptId: "",
  };
}
