// The component palette: GET /api/components' manifests grouped by category, each with its icon;
// drag one onto the canvas, or click it to insert into the selected container.

import { useDraggable } from "@dnd-kit/core";
import type { Manifest } from "../editor";

// Icon names of the manifests (lucide names) as small text glyphs: no icon font to load.
const glyphs: Record<string, string> = {
  "square-dashed": "▢",
  "columns-3": "▥",
  type: "T",
  heading: "H",
  "mouse-pointer-click": "◉",
  "text-cursor-input": "I",
  hash: "#",
  list: "≡",
  "square-check": "☑",
  table: "▦",
  "clipboard-list": "☰",
  image: "▨",
  link: "↗",
  "panel-top": "▣",
  folder: "⊟",
  "rows-3": "☷",
};

export function iconGlyph(icon: string): string {
  return glyphs[icon] ?? (icon.charAt(0).toUpperCase() || "?");
}

/** Manifests by category, categories and items in name order. */
export function groupByCategory(manifests: readonly Manifest[]): [string, Manifest[]][] {
  const groups = new Map<string, Manifest[]>();
  for (const m of manifests) {
    const list = groups.get(m.category);
    if (list) list.push(m);
    else groups.set(m.category, [m]);
  }
  for (const list of groups.values()) list.sort((a, b) => a.name.localeCompare(b.name));
  return [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0]));
}

function PaletteItem({ m, disabled, onInsert }: { m: Manifest; disabled: boolean; onInsert: (type: string) => void }) {
  const { setNodeRef, listeners, attributes } = useDraggable({ id: `palette:${m.type}`, data: { source: { kind: "palette", type: m.type } }, disabled });
  return (
    <li>
      <button
        ref={setNodeRef}
        {...listeners}
        {...attributes}
        type="button"
        className="palette-item"
        title={m.description}
        data-palette-type={m.type}
        aria-label={m.name}
        aria-disabled={disabled || undefined}
        onClick={() => !disabled && onInsert(m.type)}
      >
        <span className="palette-icon" aria-hidden="true" data-icon={m.icon}>
          {iconGlyph(m.icon)}
        </span>
        {m.name}
      </button>
    </li>
  );
}

export function Palette({ manifests, canEdit, onInsert }: { manifests: readonly Manifest[]; canEdit: boolean; onInsert: (type: string) => void }) {
  return (
    <section className="palette" aria-label="Components">
      <div className="panel-head">
        <h2>Components</h2>
      </div>
      {groupByCategory(manifests).map(([cat, list]) => (
        <div key={cat} className="palette-group">
          <h3>{cat}</h3>
          <ul>
            {list.map((m) => (
              <PaletteItem key={m.type} m={m} disabled={!canEdit} onInsert={onInsert} />
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}
