import { useState, type ReactNode } from "react";
import { useAuth } from "../auth/AuthContext";
import { Link } from "../router/history";

export interface Crumb {
  label: string;
  to?: string;
}

/** The bar on every signed-in screen: where you are, who you are, and signing out. */
export function TopBar({ crumbs, children }: { crumbs: Crumb[]; children?: ReactNode }) {
  const { session, signOut } = useAuth();
  const [busy, setBusy] = useState(false);
  const user = session?.user;
  return (
    <header className="topbar">
      <Link to="/" className="brand">
        GoFlow
      </Link>
      <nav aria-label="Breadcrumb" className="crumbs">
        <ol>
          {crumbs.map((c, i) => (
            <li key={i}>
              {c.to && i < crumbs.length - 1 ? (
                <Link to={c.to}>{c.label}</Link>
              ) : (
                <span aria-current={i === crumbs.length - 1 ? "page" : undefined} data-testid={i === crumbs.length - 1 ? "topbar-title" : undefined}>
                  {c.label}
                </span>
              )}
            </li>
          ))}
        </ol>
      </nav>
      <div className="topbar-end">
        {children}
        {user && (
          <span className="user" data-testid="current-user" title={user.admin ? "Administrator" : undefined}>
            {user.displayName || user.id}
          </span>
        )}
        <button
          type="button"
          className="secondary"
          disabled={busy}
          onClick={() => {
            setBusy(true);
            // The session is forgotten locally even if the server could not be told.
            signOut().catch(() => undefined).finally(() => setBusy(false));
          }}
        >
          Sign out
        </button>
      </div>
    </header>
  );
}
