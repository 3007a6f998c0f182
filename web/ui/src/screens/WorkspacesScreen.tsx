import { errorMessage } from "../api/client";
import { useResource } from "../api/useResource";
import { useApi } from "../auth/AuthContext";
import { NameForm } from "../components/NameForm";
import { TopBar } from "../components/TopBar";
import { Link } from "../router/history";
import { pathFor } from "../router/routes";

/** The workspaces you are a member of, and a form to create one. */
export function WorkspacesScreen() {
  const api = useApi();
  const list = useResource((signal) => api.listWorkspaces(signal), [api]);
  const items = list.data?.items ?? [];

  return (
    <div className="page">
      <TopBar crumbs={[{ label: "Workspaces", to: "/" }]} />
      <main className="content">
        <h1>Workspaces</h1>
        <section className="card" aria-labelledby="ws-create">
          <h2 id="ws-create">New workspace</h2>
          <NameForm
            label="Workspace name"
            submitLabel="Create workspace"
            onSubmit={async (name) => {
              const ws = await api.createWorkspace(name);
              list.setData((prev) => ({ ...prev, items: [...(prev?.items ?? []), ws] }));
            }}
          />
        </section>
        {list.error !== undefined && (
          <p className="form-error" role="alert">
            {errorMessage(list.error)}
          </p>
        )}
        {list.loading && list.data === undefined ? (
          <p className="muted">Loading workspaces…</p>
        ) : items.length === 0 ? (
          <p className="muted">You are not a member of any workspace yet: create one above.</p>
        ) : (
          <ul className="tiles" aria-label="Workspaces">
            {items.map((ws) => (
              <li key={ws.id}>
                <Link to={pathFor({ name: "apps", workspaceId: ws.id })} className="tile">
                  <span className="tile-name">{ws.name}</span>
                  {ws.role && <span className="badge">{ws.role}</span>}
                </Link>
              </li>
            ))}
          </ul>
        )}
      </main>
    </div>
  );
}
