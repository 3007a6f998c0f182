import { useState } from "react";
import { ApiError, errorMessage, type ApiClient } from "../api/client";
import type { PageTree, PageTreeNode } from "../api/types";
import { PencilIcon, PlusIcon, TrashIcon } from "../components/Icons";
import { NameForm } from "../components/NameForm";
import { Link } from "../router/history";
import { countPages } from "./pageTree";

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

/** The left panel of the editor: the app's pages, with create, rename, delete and select. */
export function PageTreePanel(props: PageTreePanelProps) {
  const { api, appId, tree, loadError, canEdit, onChanged, onSelect } = props;
  const [adding, setAdding] = useState(false);

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
      {tree === undefined ? (
        loadError === undefined && <p className="muted">Loading pages…</p>
      ) : countPages(tree.pages) === 0 ? (
        <p className="muted">No pages yet.</p>
      ) : (
        <nav aria-label="Pages">
          <PageList {...props} pages={tree.pages} treeVersion={tree.version} />
        </nav>
      )}
    </aside>
  );
}

function PageList({ pages, treeVersion, ...props }: PageTreePanelProps & { pages: PageTreeNode[]; treeVersion: number }) {
  return (
    <ul className="tree-list">
      {pages.map((p) => (
        <PageItem {...props} key={p.pageId} page={p} treeVersion={treeVersion} />
      ))}
    </ul>
  );
}

function PageItem(props: PageTreePanelProps & { page: PageTreeNode; treeVersion: number }) {
  const { api, appId, page, treeVersion, selectedId, pagePath, canEdit, onChanged, onSelect, onDeleted } = props;
  const [mode, setMode] = useState<"view" | "rename" | "addChild" | "confirmDelete">("view");
  const [deleteError, setDeleteError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const selected = page.pageId === selectedId;
  const titleId = `delete-title-${page.pageId}`;

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
        <div className={"tree-row" + (selected ? " selected" : "")}>
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
      {page.children.length > 0 && <PageList {...props} pages={page.children} treeVersion={treeVersion} />}
    </li>
  );
}
