import type { ApiClient } from "./api/client";
import { AuthProvider, useAuth } from "./auth/AuthContext";
import { TopBar } from "./components/TopBar";
import { Link, Redirect, useLocation } from "./router/history";
import { isPublic, loginPath, matchRoute, nextFromSearch } from "./router/routes";
import { AppsScreen } from "./screens/AppsScreen";
import { EditorShell } from "./screens/EditorShell";
import { LoginScreen } from "./screens/LoginScreen";
import { SetupScreen } from "./screens/SetupScreen";
import { WorkspacesScreen } from "./screens/WorkspacesScreen";

export function App({ api }: { api: ApiClient }) {
  return (
    <AuthProvider api={api}>
      <Routes />
    </AuthProvider>
  );
}

/** Picks the screen of the location; without a session, every private route goes to /login. */
function Routes() {
  const { session, loadError } = useAuth();
  const { pathname, search } = useLocation();
  const route = matchRoute(pathname);

  if (session === undefined) {
    return (
      <p className="loading" role="status">
        Loading…
      </p>
    );
  }
  if (session === null && !isPublic(route)) return <Redirect to={loginPath(pathname + search)} />;
  if (session !== null && isPublic(route)) return <Redirect to={route.name === "login" ? nextFromSearch(search) : "/"} />;

  const screen = (() => {
    switch (route.name) {
      case "login":
        return <LoginScreen />;
      case "setup":
        return <SetupScreen />;
      case "workspaces":
        return <WorkspacesScreen />;
      case "apps":
        return <AppsScreen key={route.workspaceId} workspaceId={route.workspaceId} />;
      case "editor":
        return <EditorShell key={route.appId} workspaceId={route.workspaceId} appId={route.appId} pageId={route.pageId} />;
      case "notFound":
        return (
          <div className="page">
            <TopBar crumbs={[{ label: "Not found" }]} />
            <main className="content">
              <h1>Not found</h1>
              <p>
                Nothing lives at <code>{route.path}</code>. <Link to="/">Back to the workspaces</Link>
              </p>
            </main>
          </div>
        );
      default: {
        const never: never = route;
        return never;
      }
    }
  })();
  return (
    <>
      {loadError && (
        <p className="banner" role="alert">
          {loadError}
        </p>
      )}
      {screen}
    </>
  );
}
