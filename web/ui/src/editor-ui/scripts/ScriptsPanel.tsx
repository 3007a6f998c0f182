import type { ApiClient } from "../../api/client";
import type { EditorSession, Page, PageOp } from "../../editor";

/** The props of the page and app scripts panel (agreed between the editor layout and this panel). */
export interface ScriptsPanelProps {
  api: ApiClient;
  session: EditorSession;
  appId: string;
  page: Page;
  canEdit: boolean;
  /** Submits page ops (set_page_state) through the editor's undo manager. */
  submit: (ops: PageOp | PageOp[]) => void;
}

/** Placeholder until the scripts panel lands. */
export function ScriptsPanel({ page }: ScriptsPanelProps) {
  return <section aria-label="Scripts">Page reducer: {page.reducerScriptId || "none"}</section>;
}
