import { useState } from "react";
import { errorMessage, fieldError } from "../api/client";
import { useAuth } from "../auth/AuthContext";
import { useFormSubmit } from "../components/useFormSubmit";
import { Field, FormError } from "../components/Field";
import { Link } from "../router/history";

/** Creates the first administrator with the setup token that `goflow serve` prints, and signs in. */
export function SetupScreen() {
  const { api, signedIn } = useAuth();
  const [setupToken, setSetupToken] = useState("");
  const [username, setUsername] = useState("admin");
  const [password, setPassword] = useState("");
  const { busy, error, submit } = useFormSubmit(async () => signedIn(await api.setup({ setupToken: setupToken.trim(), username, password })));

  const tokenErr = fieldError(error, "setupToken");
  const userErr = fieldError(error, "username");
  const passErr = fieldError(error, "password");
  return (
    <main className="auth-page">
      <form className="card auth-card" onSubmit={submit} aria-labelledby="setup-title" noValidate>
        <h1 id="setup-title">Create the administrator</h1>
        <p className="muted">
          On its first start with no accounts, <code>goflow serve</code> prints a one-time setup token in a block starting
          “GoFlow has no accounts yet”.
        </p>
        <Field label="Setup token" value={setupToken} onChange={setSetupToken} error={tokenErr} autoComplete="off" spellCheck={false} autoFocus required />
        <Field
          label="Username"
          value={username}
          onChange={setUsername}
          error={userErr}
          autoComplete="username"
          hint="3 to 40 lowercase letters, digits, _ and -."
          required
        />
        <Field
          label="Password"
          type="password"
          value={password}
          onChange={setPassword}
          error={passErr}
          autoComplete="new-password"
          hint="At least 10 characters."
          required
        />
        <FormError message={error !== undefined && !tokenErr && !userErr && !passErr ? errorMessage(error) : undefined} />
        <button type="submit" disabled={busy || setupToken === "" || username === "" || password === ""}>
          {busy ? "Creating…" : "Create administrator"}
        </button>
        <p className="muted">
          Already have an account? <Link to="/login">Sign in</Link>
        </p>
      </form>
    </main>
  );
}
