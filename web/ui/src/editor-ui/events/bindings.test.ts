import { describe, expect, it } from "vitest";
import type { ActionSpec, QuickAction } from "../../editor";
import { addAction, bindingOp, checkQuickActions, handlerKind, handlerTemplate, moveAction, newQuickAction, removeAction, sameBinding, setActionParam } from "./bindings";

const specs: ActionSpec[] = [
  { name: "setState", description: "", params: { type: "object", required: ["path", "value"], properties: { path: { type: "string", minLength: 1 }, value: {} } } },
  { name: "showNotification", description: "", params: { type: "object", required: ["message"], properties: { message: { type: "string", minLength: 1 }, level: { enum: ["info", "error"] } } } },
  { name: "navigate", description: "", params: { type: "object", properties: { pageId: { type: "string" }, url: { type: "string" } } } },
];

const a = (type: string, params: QuickAction["params"] = {}): QuickAction => ({ type, params });

describe("quick action list editing", () => {
  const list = [a("one"), a("two"), a("three")];
  const cases: { name: string; got: QuickAction[]; want: string[] }[] = [
    { name: "add appends", got: addAction(list, a("four")), want: ["one", "two", "three", "four"] },
    { name: "remove the middle", got: removeAction(list, 1), want: ["one", "three"] },
    { name: "remove out of range keeps all", got: removeAction(list, 7), want: ["one", "two", "three"] },
    { name: "move down", got: moveAction(list, 0, 1), want: ["two", "one", "three"] },
    { name: "move up", got: moveAction(list, 2, 1), want: ["one", "three", "two"] },
    { name: "move past the end is clamped", got: moveAction(list, 0, 9), want: ["two", "three", "one"] },
    { name: "move before the start is clamped", got: moveAction(list, 2, -3), want: ["three", "one", "two"] },
    { name: "move of a missing index changes nothing", got: moveAction(list, 5, 0), want: ["one", "two", "three"] },
  ];
  for (const c of cases) {
    it(c.name, () => expect(c.got.map((x) => x.type)).toEqual(c.want));
  }

  it("does not change the list it is given", () => {
    const before = JSON.stringify(list);
    moveAction(list, 0, 2);
    setActionParam(list, 0, "x", 1);
    expect(JSON.stringify(list)).toBe(before);
  });

  it("sets and removes params", () => {
    let l = setActionParam([a("setState", { path: "count" })], 0, "value", 3);
    expect(l[0]!.params).toEqual({ path: "count", value: 3 });
    l = setActionParam(l, 0, "path", undefined);
    expect(l[0]!.params).toEqual({ value: 3 });
  });

  it("new actions get their required params", () => {
    expect(newQuickAction(specs[0]!)).toEqual({ type: "setState", params: { path: "", value: "" } });
    expect(newQuickAction(specs[1]!)).toEqual({ type: "showNotification", params: { message: "" } });
    expect(newQuickAction(specs[2]!)).toEqual({ type: "navigate", params: { pageId: "" } });
  });

  it("checks lists before they are sent", () => {
    expect(checkQuickActions([], specs)).toMatch(/at least one/);
    expect(checkQuickActions([a("setState", { path: "count", value: 1 })], specs)).toBe("");
    expect(checkQuickActions([a("setState", { path: "", value: 1 })], specs)).toBe("Action 1 (setState): path is required.");
    expect(checkQuickActions([a("setState", { path: "a", value: 1 }), a("setState", { path: "b" })], specs)).toBe("Action 2 (setState): value is required.");
    expect(checkQuickActions([a("teleport")], specs)).toMatch(/Unknown quick action "teleport"/);
    expect(checkQuickActions([a("navigate", {})], specs)).toMatch(/page id or a URL/);
  });
});

describe("binding to op", () => {
  it("binds", () => {
    expect(bindingOp("btn", "onClick", { kind: "script", scriptId: "s1" })).toEqual({ op: "bind_event", nodeId: "btn", event: "onClick", binding: { kind: "script", scriptId: "s1" } });
    const actions = [a("setState", { path: "x", value: 1 })];
    expect(bindingOp("btn", "onClick", { kind: "actions", actions })).toEqual({ op: "bind_event", nodeId: "btn", event: "onClick", binding: { kind: "actions", actions } });
  });
  it("unbinds on null", () => {
    expect(bindingOp("btn", "onClick", null)).toEqual({ op: "unbind_event", nodeId: "btn", event: "onClick" });
  });
  it("names the handler kind", () => {
    expect(handlerKind(undefined)).toBe("none");
    expect(handlerKind({ kind: "workflow", workflowId: "w" })).toBe("workflow");
    expect(handlerKind({ kind: "actions", actions: [] })).toBe("actions");
  });
  it("compares bindings by value, not key order", () => {
    expect(sameBinding({ kind: "script", scriptId: "a" }, { scriptId: "a", kind: "script" })).toBe(true);
    expect(sameBinding({ kind: "script", scriptId: "a" }, { kind: "script", scriptId: "b" })).toBe(false);
    expect(sameBinding(undefined, null)).toBe(true);
    expect(sameBinding({ kind: "actions", actions: [a("x", { p: 1, q: 2 })] }, { kind: "actions", actions: [a("x", { q: 2, p: 1 })] })).toBe(true);
  });
  it("writes the handler template", () => {
    expect(handlerTemplate()).toBe("function handleEvent(payload, ctx) {\n  dispatch(createAction('...'))\n}\n");
    expect(handlerTemplate("counter/increment")).toContain("createAction('counter/increment')");
  });
});
