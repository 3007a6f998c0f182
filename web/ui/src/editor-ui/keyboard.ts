// The canvas's keyboard shortcuts: which command a key press means.

export const Command = {
  Delete: "delete",
  Duplicate: "duplicate",
  Copy: "copy",
  Paste: "paste",
  Undo: "undo",
  Redo: "redo",
  ClearSelection: "clearSelection",
} as const;
export type Command = (typeof Command)[keyof typeof Command];

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** The command of a key press, or null. Ctrl and Cmd are the same modifier (Windows/Linux and Mac). */
export function commandFor(e: KeyPress): Command | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (e.altKey) return null;
  if (!mod) {
    if (e.shiftKey) return null;
    if (key === "Delete" || key === "Backspace") return Command.Delete;
    if (key === "Escape") return Command.ClearSelection;
    return null;
  }
  switch (key) {
    case "z":
      return e.shiftKey ? Command.Redo : Command.Undo;
    case "y":
      return e.shiftKey ? null : Command.Redo;
    case "d":
      return e.shiftKey ? null : Command.Duplicate;
    case "c":
      return e.shiftKey ? null : Command.Copy;
    case "v":
      return e.shiftKey ? null : Command.Paste;
    default:
      return null;
  }
}

/** Whether a key press belongs to a text field (shortcuts must not steal Backspace or Ctrl+Z there). */
export function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
}
