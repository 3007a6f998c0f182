// Who is here and how the connection is: peers' avatars (coloured initials, one per user), the
// connection status, and toasts explaining refused changes.

import { ConnectionStatus, type Peer } from "../editor";

/** "ada.lovelace" → "AL", "bob" → "BO". */
export function initials(user: string): string {
  const parts = user.split(/[\s._@-]+/).filter(Boolean);
  if (parts.length >= 2) return (parts[0]!.charAt(0) + parts[1]!.charAt(0)).toUpperCase();
  return user.slice(0, 2).toUpperCase();
}

export function Avatars({ peers }: { peers: readonly Peer[] }) {
  // One avatar per user, however many tabs they have open.
  const users = new Map<string, Peer>();
  for (const p of peers) if (!users.has(p.user)) users.set(p.user, p);
  if (users.size === 0) return null;
  return (
    <ul className="pe-avatars" aria-label="People on this page">
      {[...users.values()].map((p) => (
        <li key={p.user} className="pe-avatar" style={{ background: p.color }} title={p.user} aria-label={p.user} data-user={p.user}>
          {initials(p.user)}
        </li>
      ))}
    </ul>
  );
}

export function ConnectionIndicator({ status, everConnected, onRetry }: { status: ConnectionStatus; everConnected: boolean; onRetry: () => void }) {
  switch (status) {
    case ConnectionStatus.Connected:
      return (
        <span className="pe-status ok" role="status" data-status={status}>
          Live
        </span>
      );
    case ConnectionStatus.Connecting:
    case ConnectionStatus.Disconnected:
      return (
        <span className="pe-status warn" role="status" data-status={status}>
          {everConnected ? "Reconnecting…" : "Connecting…"}
        </span>
      );
    case ConnectionStatus.Unauthenticated:
      return (
        <span className="pe-status bad" role="status" data-status={status}>
          Signed out: sign in again to keep editing.{" "}
          <button type="button" onClick={onRetry}>
            Retry
          </button>
        </span>
      );
    case ConnectionStatus.Failed:
      return (
        <span className="pe-status bad" role="status" data-status={status}>
          Connection failed.{" "}
          <button type="button" onClick={onRetry}>
            Retry
          </button>
        </span>
      );
  }
}

export interface Toast {
  id: number;
  message: string;
}

export function Toasts({ toasts, onDismiss }: { toasts: readonly Toast[]; onDismiss: (id: number) => void }) {
  if (toasts.length === 0) return null;
  return (
    <div className="pe-toasts">
      {toasts.map((t) => (
        <div key={t.id} className="pe-toast" role="alert">
          <span>{t.message}</span>
          <button type="button" aria-label="Dismiss" onClick={() => onDismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
