import type { ApiClient } from "../../api/client";
import type { ActionSpec, Manifest, Page, PageNode, PageOp } from "../../editor";

/** The props of the selected node's events tab (agreed between the editor layout and this tab). */
export interface EventsTabProps {
  api: ApiClient;
  appId: string;
  page: Page;
  node: PageNode;
  manifest: Manifest;
  /** The quick actions a binding may list (GET /api/components' quickActions). */
  quickActions: ActionSpec[];
  canEdit: boolean;
  /** Submits page ops (bind_event, unbind_event) through the editor's undo manager. */
  submit: (ops: PageOp | PageOp[]) => void;
}

/** Placeholder until the events tab lands: lists the node's events. */
export function EventsTab({ node, manifest }: EventsTabProps) {
  return (
    <section aria-label="Events">
      <ul>
        {(manifest.events ?? []).map((e) => (
          <li key={e.name}>
            {e.name} {node.events[e.name] ? `(${node.events[e.name]?.kind})` : ""}
          </li>
        ))}
      </ul>
    </section>
  );
}
