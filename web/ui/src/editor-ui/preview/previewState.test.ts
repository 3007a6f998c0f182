import { describe, expect, it } from "vitest";
import { initialPreview, payloadFor, previewReducer, resolveText, type PreviewAction, type PreviewState } from "./previewState";

function fold(actions: PreviewAction[], from: PreviewState = initialPreview): PreviewState {
  return actions.reduce(previewReducer, from);
}

const started: PreviewAction = { type: "message", msg: { type: "run_started", session: "s1", page: "home", step: 0, state: { page: { count: 0 }, app: null } } };

describe("previewReducer", () => {
  it("starts, then follows its session's states", () => {
    const s = fold([
      { type: "start" },
      started,
      { type: "message", msg: { type: "run_state", session: "s1", step: 1, state: { page: { count: 1 }, app: {} }, updates: null, effects: null } },
    ]);
    expect(s.status).toBe("running");
    expect(s.session).toBe("s1");
    expect(s.step).toBe(1);
    expect(s.state).toEqual({ page: { count: 1 }, app: {} });
  });

  it("ignores run_started it did not ask for and other sessions' states", () => {
    expect(fold([started]).status).toBe("idle");
    const s = fold([{ type: "start" }, started, { type: "message", msg: { type: "run_state", session: "other", step: 5, state: { page: 9, app: 9 }, updates: [], effects: [] } }]);
    expect(s.step).toBe(0);
    expect(s.state?.page).toEqual({ count: 0 });
  });

  it("merges setProps updates, notes emits, and turns notify effects into toasts", () => {
    const s = fold([
      { type: "start" },
      started,
      {
        type: "message",
        msg: {
          type: "run_state",
          session: "s1",
          step: 1,
          state: { page: {}, app: null },
          updates: [
            { nodeId: "btn", kind: "setProps", props: { label: "Clicked" } },
            { nodeId: "btn", kind: "setProps", props: { disabled: true } },
            { nodeId: "tbl", kind: "emit", action: "refresh" },
          ],
          effects: [
            { kind: "notify", params: { message: "Saved", level: "success" } },
            { kind: "navigate", params: { pageId: "next" } },
          ],
        },
      },
    ]);
    expect(s.props).toEqual({ btn: { label: "Clicked", disabled: true } });
    expect(s.toasts).toEqual([{ id: 1, message: "Saved", level: "success" }]);
    expect(s.notes).toEqual(["tbl: refresh()", "navigate to next"]);
    expect(fold([{ type: "dismiss", id: 1 }], s).toasts).toEqual([]);
  });

  it("shows a reducer error and keeps the state", () => {
    const s = fold([{ type: "start" }, started, { type: "message", msg: { type: "run_state", session: "s1", step: 1, state: { page: { count: 0 }, app: null }, updates: null, effects: null, error: "page reducer: boom" } }]);
    expect(s.error).toBe("page reducer: boom");
    expect(s.state?.page).toEqual({ count: 0 });
  });

  it("a refused run fails; a refused event is shown while running; other errors are not its business", () => {
    expect(fold([{ type: "start" }, { type: "server_error", code: "forbidden", message: "No.", ref: "run" }]).status).toBe("failed");
    const running = fold([{ type: "start" }, started]);
    expect(fold([{ type: "server_error", code: "handler_failed", message: "boom", ref: "component_event" }], running).error).toBe("boom (handler_failed)");
    expect(fold([{ type: "server_error", code: "forbidden", message: "x", ref: "subscribe" }], running).error).toBe("");
  });

  it("restart forgets the old session's props and state", () => {
    const s = fold([{ type: "start" }, started, { type: "message", msg: { type: "run_state", session: "s1", step: 1, state: { page: {}, app: null }, updates: [{ nodeId: "b", kind: "setProps", props: { x: 1 } }], effects: null } }, { type: "start" }]);
    expect(s).toMatchObject({ status: "starting", session: "", props: {}, state: null });
  });
});

describe("payloadFor", () => {
  const click = { type: "object", required: ["altKey", "ctrlKey", "metaKey", "shiftKey"], properties: { altKey: { type: "boolean" }, ctrlKey: { type: "boolean" }, metaKey: { type: "boolean" }, shiftKey: { type: "boolean" } } };
  it("fills a Button's onClick from the modifier keys", () => {
    expect(payloadFor(click, { altKey: false, ctrlKey: true, metaKey: false, shiftKey: false })).toEqual({ altKey: false, ctrlKey: true, metaKey: false, shiftKey: false });
    expect(payloadFor(click, {})).toEqual({ altKey: false, ctrlKey: false, metaKey: false, shiftKey: false });
  });
  it("passes a value and leaves out facts the schema does not declare", () => {
    expect(payloadFor({ type: "object", required: ["value"], properties: { value: { type: "string" } } }, { value: "hi", altKey: true })).toEqual({ value: "hi" });
  });
  it("fills a nullable required property with null", () => {
    expect(payloadFor({ type: "object", required: ["label"], properties: { label: { type: ["string", "null"] } } }, {})).toEqual({ label: null });
  });
});

describe("resolveText", () => {
  it("reads the page state", () => {
    expect(resolveText("Count: {{ state.count }}", { count: 3 })).toBe("Count: 3");
    expect(resolveText("{{state.user.name}}!", { user: { name: "Ann" } })).toBe("Ann!");
    expect(resolveText("{{ state.missing }}", {})).toBe("");
    expect(resolveText("{{ event.value }}", {})).toBe("{{ event.value }}");
  });
});
