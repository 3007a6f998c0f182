import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { ApiError, type ApiClient } from "../api/client";
import type { Session } from "../api/types";

interface Auth {
  api: ApiClient;
  /** undefined while the first GET /api/auth/session is on its way; null when signed out. */
  session: Session | null | undefined;
  /** An error other than "not signed in" from that first request. */
  loadError: string | undefined;
  signedIn: (s: Session) => void;
  signOut: () => Promise<void>;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ api, children }: { api: ApiClient; children: ReactNode }) {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [loadError, setLoadError] = useState<string>();

  useEffect(() => {
    const ctl = new AbortController();
    api.session(ctl.signal).then(
      (s) => setSession(s),
      (err: unknown) => {
        if (ctl.signal.aborted) return;
        if (!(err instanceof ApiError && err.status === 401)) setLoadError(err instanceof Error ? err.message : String(err));
        setSession(null);
      },
    );
    return () => ctl.abort();
  }, [api]);

  // A 401 from any later request means the session ended (expired, or signed out elsewhere).
  useEffect(() => api.onUnauthorized(() => setSession(null)), [api]);

  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } finally {
      setSession(null);
    }
  }, [api]);

  const value = useMemo<Auth>(
    () => ({ api, session, loadError, signedIn: setSession, signOut }),
    [api, session, loadError, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside AuthProvider");
  return auth;
}

/** The API client of the signed-in app. */
export function useApi(): ApiClient {
  return useAuth().api;
}
