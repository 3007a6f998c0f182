import { describe, expect, it } from "vitest";
import { Command, commandFor, isTextEntry, type KeyPress } from "./keyboard";

function key(k: string, mods: Partial<Omit<KeyPress, "key">> = {}): KeyPress {
  return { key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods };
}

describe("commandFor", () => {
  const cases: [string, KeyPress, Command | null][] = [
    ["Delete", key("Delete"), Command.Delete],
    ["Backspace", key("Backspace"), Command.Delete],
    ["Escape", key("Escape"), Command.ClearSelection],
    ["Ctrl+Z", key("z", { ctrlKey: true }), Command.Undo],
    ["Cmd+Z", key("z", { metaKey: true }), Command.Undo],
    ["Ctrl+Shift+Z (key reported upper case)", key("Z", { ctrlKey: true, shiftKey: true }), Command.Redo],
    ["Cmd+Shift+Z", key("z", { metaKey: true, shiftKey: true }), Command.Redo],
    ["Ctrl+Y", key("y", { ctrlKey: true }), Command.Redo],
    ["Ctrl+D", key("d", { ctrlKey: true }), Command.Duplicate],
    ["Cmd+C", key("c", { metaKey: true }), Command.Copy],
    ["Ctrl+V", key("v", { ctrlKey: true }), Command.Paste],
    ["plain z", key("z"), null],
    ["plain d", key("d"), null],
    ["Alt+Delete", key("Delete", { altKey: true }), null],
    ["Shift+Delete", key("Delete", { shiftKey: true }), null],
    ["Ctrl+Shift+V", key("v", { ctrlKey: true, shiftKey: true }), null],
  ];
  for (const [name, press, want] of cases) {
    it(name, () => expect(commandFor(press)).toBe(want));
  }
});

describe("isTextEntry", () => {
  it("is true for fields, false for other elements", () => {
    expect(isTextEntry(document.createElement("input"))).toBe(true);
    expect(isTextEntry(document.createElement("textarea"))).toBe(true);
    expect(isTextEntry(document.createElement("div"))).toBe(false);
    expect(isTextEntry(null)).toBe(false);
  });
});
