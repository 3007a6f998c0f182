import { useState } from "react";
import { errorMessage, fieldError } from "../api/client";
import { useAuth } from "../auth/AuthContext";
import { useFormSubmit } from "../components/useFormSubmit";
import { Field, FormError } from "../components/Field";
import { Link } from "../router/history";

/** Sign-in with username and password. The app redirects once the session is set. */
export function LoginScreen() {
  const { api, signedIn } = useAuth();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, submit } = useFormSubmit(async () => signedIn(await api.login(username, password)));

  const userErr = fieldError(error, "username");
  const passErr = fieldError(error, "password");
  return (
    <main className="auth-page">
      <form className="card auth-card" onSubmit={submit} aria-labelledby="login-title" noValidate>
        <h1 id="login-title">Sign in to GoFlow</h1>
        <Field label="Username" value={username} onChange={setUsername} error={userErr} autoComplete="username" autoFocus required />
        <Field label="Password" type="password" value={password} onChange={setPassword} error={passErr} autoComplete="current-password" required />
        <FormError message={error !== undefined && !userErr && !passErr ? errorMessage(error) : undefined} />
        <button type="submit" disabled={busy || username === "" || password === ""}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p className="muted">
          First start of this server? <Link to="/setup">Create the administrator</Link> with the setup token that{" "}
          <code>goflow serve</code> printed.
        </p>
      </form>
    </main>
  );
}
