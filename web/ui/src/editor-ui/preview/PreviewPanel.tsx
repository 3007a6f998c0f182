import type { EditorSession } from "../../editor";

/** The props of the preview panel (agreed between the editor layout and this panel). */
export interface PreviewPanelProps {
  session: EditorSession;
  appId: string;
  pageId: string;
}

/** Placeholder until the preview lands. */
export function PreviewPanel({ pageId }: PreviewPanelProps) {
  return <section aria-label="Preview">Preview of {pageId}</section>;
}
