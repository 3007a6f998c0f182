import { useCallback, useEffect, useMemo, useState } from "react";
import { useResource } from "../api/useResource";
import { errorMessage } from "../api/client";
import { useApi } from "../auth/AuthContext";
import { TopBar } from "../components/TopBar";
import { navigate } from "../router/history";
import { pathFor } from "../router/routes";
import { EditorSession, catalogOf, realtimeUrl, webSocketTransport } from "../editor";
import { PageEditor } from "../editor-ui/PageEditor";
import { PageTreePanel } from "./PageTreePanel";
import { findPage } from "./pageTree";

interface EditorShellProps {
  workspaceId: string;
  appId: string;
  pageId: string | undefined;
}

/** The app editor's frame: top bar, page tree on the left, and the canvas area of the selected page. */
export function EditorShell({ workspaceId, appId, pageId }: EditorShellProps) {
  const api = useApi();
  const ws = useResource((signal) => api.getWorkspace(workspaceId, signal), [api, workspaceId]);
  const app = useResource((signal) => api.getApp(appId, signal), [api, appId]);
  const tree = useResource((signal) => api.getPageTree(appId, signal), [api, appId]);

  const pagePath = useCallback((id: string) => pathFor({ name: "editor", workspaceId, appId, pageId: id }), [workspaceId, appId]);
  const role = ws.data?.role;
  // Until the role is known, offer editing; the server refuses what the role does not allow.
  const canEdit = role === undefined || role === "owner" || role === "editor";
  const page = pageId !== undefined && tree.data ? findPage(tree.data.pages, pageId) : undefined;
  const appName = app.data?.name ?? "App";
  const components = useResource((signal) => api.getComponents(signal), [api]);
  const catalog = useMemo(() => (components.data ? catalogOf(components.data.components) : undefined), [components.data]);
  // One co-editing session per editor (per tab): created once the catalog is known, since the
  // session decides inserts locally with the manifests' templates.
  const [session, setSession] = useState<EditorSession | null>(null);
  useEffect(() => {
    if (!catalog) return;
    const transport = webSocketTransport(realtimeUrl());
    const s = new EditorSession({ transport, catalog });
    setSession(s);
    return () => {
      s.dispose();
      transport.close();
      setSession(null);
    };
  }, [catalog]);

  const pageTree = (
    <PageTreePanel
      api={api}
      appId={appId}
      tree={tree.data}
      loadError={tree.error ?? app.error}
      selectedId={pageId}
      pagePath={pagePath}
      canEdit={canEdit}
      onChanged={tree.reload}
      onSelect={(id) => navigate(pagePath(id))}
      onDeleted={(ids) => {
        if (pageId !== undefined && ids.includes(pageId)) navigate(pathFor({ name: "editor", workspaceId, appId }), { replace: true });
      }}
    />
  );

  return (
    <div className="editor">
      <TopBar
        crumbs={[
          { label: "Workspaces", to: "/" },
          { label: ws.data?.name ?? "Workspace", to: pathFor({ name: "apps", workspaceId }) },
          { label: appName },
        ]}
      >
        {role && <span className="badge">{role}</span>}
      </TopBar>
      {page && session && components.data && catalog ? (
        <PageEditor
          key={page.pageId}
          api={api}
          session={session}
          appId={appId}
          pageId={page.pageId}
          pageName={page.name}
          components={components.data}
          catalog={catalog}
          canEdit={canEdit}
          pageTree={pageTree}
        />
      ) : (
        <div className="editor-body">
          {pageTree}
          <main className="canvas-area" aria-label="Editor">
            <div className="canvas" data-testid="editor-canvas" data-page-id={page?.pageId ?? ""}>
              {page ? (
                <>
                  <h1 className="canvas-title">{page.name}</h1>
                  <dl className="canvas-meta">
                    <dt>Page id</dt>
                    <dd>
                      <code data-testid="editor-page-id">{page.pageId}</code>
                    </dd>
                  </dl>
                  {components.error ? (
                    <p role="alert">The components could not be loaded: {errorMessage(components.error)}</p>
                  ) : (
                    <p className="muted">Loading the editor…</p>
                  )}
                </>
              ) : pageId !== undefined && tree.data && !tree.loading ? (
                <p role="alert">This page does not exist (any more). Pick another one in the page tree.</p>
              ) : pageId !== undefined ? (
                <p className="muted">Loading the page…</p>
              ) : (
                <p className="muted">Select a page in the page tree, or create one.</p>
              )}
            </div>
          </main>
        </div>
      )}
    </div>
  );
}
