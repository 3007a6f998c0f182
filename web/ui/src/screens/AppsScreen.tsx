import { useState } from "react";
import { errorMessage } from "../api/client";
import type { App, List } from "../api/types";
import { useResource } from "../api/useResource";
import { useApi } from "../auth/AuthContext";
import { NameForm } from "../components/NameForm";
import { TopBar } from "../components/TopBar";
import { Link } from "../router/history";
import { pathFor } from "../router/routes";

/** The apps of a workspace, and a form to create one (for owners and editors). */
export function AppsScreen({ workspaceId }: { workspaceId: string }) {
  const api = useApi();
  const ws = useResource((signal) => api.getWorkspace(workspaceId, signal), [api, workspaceId]);
  const apps = useResource((signal) => api.listApps(workspaceId, {}, signal), [api, workspaceId]);
  const [moreError, setMoreError] = useState<unknown>();
  const items = apps.data?.items ?? [];
  const canEdit = ws.data?.role === "owner" || ws.data?.role === "editor";

  const loadMore = async (cursor: string) => {
    setMoreError(undefined);
    try {
      const next = await api.listApps(workspaceId, { cursor });
      apps.setData((prev): List<App> => ({ items: [...(prev?.items ?? []), ...next.items], nextCursor: next.nextCursor }));
    } catch (err) {
      setMoreError(err);
    }
  };

  const title = ws.data?.name ?? "Workspace";
  return (
    <div className="page">
      <TopBar crumbs={[{ label: "Workspaces", to: "/" }, { label: title }]}>
        {ws.data?.role && <span className="badge">{ws.data.role}</span>}
      </TopBar>
      <main className="content">
        <h1>{title}</h1>
        {ws.error !== undefined && (
          <p className="form-error" role="alert">
            {errorMessage(ws.error)}
          </p>
        )}
        {canEdit && (
          <section className="card" aria-labelledby="app-create">
            <h2 id="app-create">New app</h2>
            <NameForm
              label="App name"
              submitLabel="Create app"
              onSubmit={async (name) => {
                const app = await api.createApp(workspaceId, name);
                apps.setData((prev) => ({ ...prev, items: [...(prev?.items ?? []), app] }));
              }}
            />
          </section>
        )}
        <h2>Apps</h2>
        {apps.error !== undefined && (
          <p className="form-error" role="alert">
            {errorMessage(apps.error)}
          </p>
        )}
        {apps.loading && apps.data === undefined ? (
          <p className="muted">Loading apps…</p>
        ) : items.length === 0 ? (
          <p className="muted">No apps yet{canEdit ? ": create one above" : ""}.</p>
        ) : (
          <ul className="tiles" aria-label="Apps">
            {items.map((app) => (
              <li key={app.id}>
                <Link to={pathFor({ name: "editor", workspaceId, appId: app.id })} className="tile">
                  <span className="tile-name">{app.name}</span>
                  {app.release !== undefined && <span className="badge">release {app.release}</span>}
                </Link>
              </li>
            ))}
          </ul>
        )}
        {apps.data?.nextCursor && (
          <button type="button" className="secondary" onClick={() => void loadMore(apps.data?.nextCursor ?? "")}>
            Load more apps
          </button>
        )}
        {moreError !== undefined && (
          <p className="form-error" role="alert">
            {errorMessage(moreError)}
          </p>
        )}
      </main>
    </div>
  );
}
