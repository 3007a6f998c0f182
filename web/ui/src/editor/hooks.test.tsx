import { act } from "react";
import { createRoot } from "react-dom/client";
import { describe, expect, it } from "vitest";
import { useConnectionStatus, usePageView, usePeers, useRejections, useUndoState } from "./hooks";
import { EditorSession, type Rejection } from "./session";
import { UndoManager } from "./undo";
import { samplePage } from "./testdata/fixtures";
import { MemoryTransport } from "./testdata/transport";

// React warns unless it knows it runs under act.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const DOC = "page-home";

describe("hooks", () => {
  it("re-render on view, presence, status, rejection and undo changes", async () => {
    const t = new MemoryTransport();
    const s = new EditorSession({ transport: t, clientId: "me", schedule: () => () => {} });
    t.open();
    const page = s.openPage(DOC);
    const undo = new UndoManager(page);
    const rejected: Rejection[] = [];
    let renders = 0;
    function Probe() {
      renders++;
      const view = usePageView(s, DOC);
      const peers = usePeers(s, DOC);
      const status = useConnectionStatus(s);
      const { canUndo } = useUndoState(undo);
      useRejections(s, (r) => rejected.push(r));
      return (
        <p>
          {status}|{String(view?.nodes.b1?.props.label ?? "-")}|{peers.map((p) => p.user).join(",")}|{String(canUndo)}
        </p>
      );
    }
    const el = document.createElement("div");
    const root = createRoot(el);
    await act(async () => root.render(<Probe />));
    expect(el.textContent).toBe("connecting|-||false");
    await act(async () => {
      t.deliver({ type: "welcome", protocol: 1, user: "me", clientId: "me" });
      t.deliver({ type: "subscribed", doc: DOC, version: 7, snapshot: samplePage(), presence: [{ user: "bob", clientId: "b", state: { selection: [] } }] });
    });
    expect(el.textContent).toBe("connected|One|bob|false");
    await act(async () => {
      undo.apply({ op: "set_prop", nodeId: "b1", path: "label", value: "Two" });
    });
    expect(el.textContent).toBe("connected|Two|bob|true");
    const before = renders;
    await act(async () => {
      t.deliver({ type: "ack", doc: DOC, results: [{ seq: 1, status: "rejected", code: "forbidden", message: "viewer" }] });
    });
    expect(el.textContent).toBe("connected|One|bob|true");
    expect(rejected.map((r) => r.code)).toEqual(["forbidden"]);
    expect(renders).toBeGreaterThan(before);
    await act(async () => root.unmount());
  });
});
