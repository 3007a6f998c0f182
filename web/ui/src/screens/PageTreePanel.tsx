import {
  closestCenter,
  DndContext,
  KeyboardSensor,
  PointerSensor,
  useDraggable,
  useDroppable,
  useSensor,
  useSensors,
  type Announcements,
  type DragEndEvent,
} from "@dnd-kit/core";
import { CSS } from "@dnd-kit/utilities";
import { useState } from "react";
import { ApiError, errorMessage, type ApiClient } from "../api/client";
import type { PageTree, PageTreeNode } from "../api/types";
import { PencilIcon, PlusIcon, TrashIcon } from "../components/Icons";
import { NameForm } from "../components/NameForm";
import { Link } from "../router/history";
import { computeDrop, computeMove, countPages, findPage, locatePage, type MoveDirection, type PageMove } from "./pageTree";

interface PageTreePanelProps {
  api: ApiClient;
  appId: string;
  tree: PageTree | undefined;
  loadError: unknown;
  selectedId: string | undefined;
  /** The route path of a page. */
  pagePath: (pageId: string) => string;
  canEdit: boolean;
  /** After a change: reload the tree. */
  onChanged: () => void;
  onSelect: (pageId: string) => void;
  /** After a delete: the ids of the pages that went (the page and its descendants). */
  onDeleted: (pageIds: string[]) => void;
}

/**
 * Runs a page tree write at the tree's version, retrying once at the current version on a 409:
 * the write names its page by id, so another person's change elsewhere in the tree does not
 * make it wrong.
 */
async function atVersion<T>(version: number, write: (v: number) => Promise<T>): Promise<T> {
  try {
    return await write(version);
  } catch (err) {
    if (err instanceof ApiError && err.code === "version_conflict" && err.currentVersion !== undefined) {
      return write(err.currentVersion);
    }
    throw err;
  }
}

/** Moves pageId to `to` at the tree's version (see atVersion), then reloads the tree. */
async function movePage(props: PageTreePanelProps, treeVersion: number, pageId: string, to: PageMove): Promise<void> {
  const { api, appId, onChanged } = props;
  try {
    await atVersion(treeVersion, (v) => api.patchPage(appId, pageId, { expectedVersion: v, ...to }));
    onChanged();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) onChanged(); // gone already: show the tree as it is
    throw err;
  }
}

/** Why a move failed, in words: the server's cycle detail names pages by id. */
function moveErrorMessage(err: unknown): string {
  if (err instanceof ApiError && err.code === "cycle") return "a page cannot go under itself or one of its subpages.";
  return errorMessage(err);
}

/** Screen reader announcements of a drag, by page name rather than id. */
function announcements(pages: PageTreeNode[]): Announcements {
  const name = (id: string | number) => findPage(pages, String(id))?.name ?? String(id);
  return {
    onDragStart: ({ active }) => `Picked up page ${name(active.id)}.`,
    onDragOver: ({ active, over }) =>
      over ? `Page ${name(active.id)} is over page ${name(over.id)}.` : `Page ${name(active.id)} is over no page.`,
    onDragEnd: ({ active, over }) =>
      over && over.id !== active.id ? `Page ${name(active.id)} was dropped next to page ${name(over.id)}.` : `Page ${name(active.id)} was dropped where it was.`,
    onDragCancel: ({ active }) => `Moving page ${name(active.id)} was cancelled.`,
  };
}

/** The left panel of the editor: the app's pages, with create, rename, move, delete and select. */
export function PageTreePanel(props: PageTreePanelProps) {
  const { api, appId, tree, loadError, canEdit, onChanged, onSelect } = props;
  const [adding, setAdding] = useState(false);
  const [dropError, setDropError] = useState<{ name: string; err: unknown }>();
  // The distance lets a click on the drag handle stay a click.
  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 5 } }), useSensor(KeyboardSensor));

  const drop = async ({ active, over }: DragEndEvent) => {
    if (!tree || !over) return;
    const pageId = String(active.id);
    setDropError(undefined);
    try {
      const to = computeDrop(tree.pages, pageId, String(over.id));
      if (to) await movePage(props, tree.version, pageId, to);
    } catch (err) {
      setDropError({ name: findPage(tree.pages, pageId)?.name ?? pageId, err });
    }
  };

  return (
    <aside className="page-tree" aria-labelledby="pages-title" data-testid="page-tree">
      <div className="panel-head">
        <h2 id="pages-title">Pages</h2>
        {canEdit && !adding && (
          <button type="button" className="small" onClick={() => setAdding(true)}>
            New page
          </button>
        )}
      </div>
      {canEdit && adding && (
        <NameForm
          label="Page name"
          submitLabel="Add page"
          autoFocus
          className="stacked"
          onCancel={() => setAdding(false)}
          onSubmit={async (name) => {
            const page = await api.createPage(appId, { name });
            setAdding(false);
            onChanged();
            onSelect(page.id);
          }}
        />
      )}
      {loadError !== undefined && (
        <p className="form-error" role="alert">
          {errorMessage(loadError)}
        </p>
      )}
      {dropError !== undefined && (
        <p className="form-error" role="alert">
          Cannot move “{dropError.name}”: {moveErrorMessage(dropError.err)}
        </p>
      )}
      {tree === undefined ? (
        loadError === undefined && <p className="muted">Loading pages…</p>
      ) : countPages(tree.pages) === 0 ? (
        <p className="muted">No pages yet.</p>
      ) : (
        <DndContext
          sensors={sensors}
          collisionDetection={closestCenter}
          accessibility={{ announcements: announcements(tree.pages) }}
          onDragEnd={(e) => void drop(e)}
        >
          <nav aria-label="Pages">
            <PageList {...props} root={tree.pages} pages={tree.pages} treeVersion={tree.version} />
          </nav>
        </DndContext>
      )}
    </aside>
  );
}

/** What every row gets besides the panel's props: the whole tree (moves are computed on it) and its version. */
interface TreeProps {
  root: PageTreeNode[];
  treeVersion: number;
}

/** The move buttons: the label's verb, the arrow shown, and the tooltip. */
const moveButtons: { direction: MoveDirection; verb: string; glyph: string; title: string }[] = [
  { direction: "up", verb: "Move", glyph: "↑", title: "Move up" },
  { direction: "down", verb: "Move", glyph: "↓", title: "Move down" },
  { direction: "indent", verb: "Indent", glyph: "→", title: "Make it a subpage of the page above" },
  { direction: "outdent", verb: "Outdent", glyph: "←", title: "Move it out of its parent" },
];

function canMove(root: PageTreeNode[], pageId: string, direction: MoveDirection): boolean {
  const place = locatePage(root, pageId);
  if (!place) return false;
  switch (direction) {
    case "up":
    case "indent":
      return place.position > 0;
    case "down":
      return place.position < place.siblings.length - 1;
    case "outdent":
      return place.parent !== undefined;
  }
}

function PageList({ pages, ...props }: PageTreePanelProps & TreeProps & { pages: PageTreeNode[] }) {
  return (
    <ul className="tree-list">
      {pages.map((p) => (
        <PageItem {...props} key={p.pageId} page={p} />
      ))}
    </ul>
  );
}

function PageItem(props: PageTreePanelProps & TreeProps & { page: PageTreeNode }) {
  const { api, appId, page, root, treeVersion, selectedId, pagePath, canEdit, onChanged, onSelect, onDeleted } = props;
  const [mode, setMode] = useState<"view" | "rename" | "addChild" | "confirmDelete">("view");
  const [deleteError, setDeleteError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const selected = page.pageId === selectedId;
  const titleId = `delete-title-${page.pageId}`;
  const [moveError, setMoveError] = useState<unknown>();
  // The row is both what is dragged (by its handle) and where other pages are dropped.
  const drag = useDraggable({ id: page.pageId, disabled: !canEdit });
  const dropTarget = useDroppable({ id: page.pageId, disabled: !canEdit });

  // A move names the page by id and its new neighbours by key: retried once at the current
  // version like the other writes, since a change elsewhere in the tree leaves it right.
  const move = async (direction: MoveDirection) => {
    setBusy(true);
    setMoveError(undefined);
    try {
      const to = computeMove(root, page.pageId, direction);
      if (to) await movePage(props, treeVersion, page.pageId, to);
    } catch (err) {
      setMoveError(err);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    setDeleteError(undefined);
    try {
      const res = await atVersion(treeVersion, (v) => api.deletePage(appId, page.pageId, v));
      setMode("view");
      onDeleted(res.pageIds);
      onChanged();
    } catch (err) {
      setDeleteError(err);
      if (err instanceof ApiError && err.status === 404) onChanged(); // gone already: show the tree as it is
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className="tree-item" data-testid="page-tree-item" data-page-id={page.pageId}>
      {mode === "rename" ? (
        <NameForm
          label={`New name for ${page.name}`}
          submitLabel="Save"
          initial={page.name}
          autoFocus
          className="stacked"
          onCancel={() => setMode("view")}
          onSubmit={async (name) => {
            await atVersion(treeVersion, (v) => api.patchPage(appId, page.pageId, { expectedVersion: v, name }));
            setMode("view");
            onChanged();
          }}
        />
      ) : (
        <div
          ref={(el) => {
            drag.setNodeRef(el);
            dropTarget.setNodeRef(el);
          }}
          className={"tree-row" + (selected ? " selected" : "")}
          data-drop-target={dropTarget.isOver && !drag.isDragging ? "" : undefined}
          style={{
            transform: CSS.Translate.toString(drag.transform),
            position: drag.isDragging ? "relative" : undefined,
            zIndex: drag.isDragging ? 1 : undefined,
            outline: dropTarget.isOver && !drag.isDragging ? "2px dashed currentColor" : undefined,
          }}
        >
          {canEdit && (
            <button
              type="button"
              className="icon drag-handle"
              aria-label={`Drag ${page.name}`}
              title="Drag onto another page to move it next to that page"
              {...drag.listeners}
              {...drag.attributes}
            >
              <span aria-hidden="true">⠿</span>
            </button>
          )}
          <Link to={pagePath(page.pageId)} className="tree-link" aria-current={selected ? "page" : undefined}>
            {page.name}
          </Link>
          {canEdit && (
            <span className="tree-actions">
              <button type="button" className="icon" aria-label={`Add a page under ${page.name}`} title="Add subpage" onClick={() => setMode("addChild")}>
                <PlusIcon />
              </button>
              <button type="button" className="icon" aria-label={`Rename page ${page.name}`} title="Rename" onClick={() => setMode("rename")}>
                <PencilIcon />
              </button>
              {moveButtons.map((b) => (
                <button
                  key={b.direction}
                  type="button"
                  className="icon"
                  aria-label={b.verb === "Move" ? `Move ${page.name} ${b.direction}` : `${b.verb} ${page.name}`}
                  title={b.title}
                  disabled={busy || !canMove(root, page.pageId, b.direction)}
                  onClick={() => void move(b.direction)}
                >
                  <span aria-hidden="true">{b.glyph}</span>
                </button>
              ))}
              <button
                type="button"
                className="icon danger"
                aria-label={`Delete page ${page.name}`}
                title="Delete"
                onClick={() => {
                  setDeleteError(undefined);
                  setMode("confirmDelete");
                }}
              >
                <TrashIcon />
              </button>
            </span>
          )}
        </div>
      )}
      {moveError !== undefined && (
        <p className="form-error" role="alert">
          Cannot move “{page.name}”: {moveErrorMessage(moveError)}
        </p>
      )}
      {mode === "addChild" && (
        <NameForm
          label={`Name of the new page under ${page.name}`}
          submitLabel="Add page"
          autoFocus
          className="stacked"
          onCancel={() => setMode("view")}
          onSubmit={async (name) => {
            const child = await api.createPage(appId, { name, parentId: page.pageId });
            setMode("view");
            onChanged();
            onSelect(child.id);
          }}
        />
      )}
      {mode === "confirmDelete" && (
        <div className="confirm" role="alertdialog" aria-labelledby={titleId} aria-describedby={`${titleId}-desc`}>
          <p id={titleId}>
            <strong>Delete “{page.name}”?</strong>
          </p>
          <p id={`${titleId}-desc`} className="muted">
            {page.children.length > 0 ? "Its subpages are deleted too. " : ""}This cannot be undone here.
          </p>
          {deleteError !== undefined && (
            <p className="form-error" role="alert">
              {errorMessage(deleteError)}
            </p>
          )}
          <div className="confirm-actions">
            <button type="button" className="danger" disabled={busy} onClick={() => void remove()}>
              Delete page
            </button>
            <button type="button" className="secondary" autoFocus onClick={() => setMode("view")}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {page.children.length > 0 && <PageList {...props} pages={page.children} />}
    </li>
  );
}
