import { type FormEvent, useState } from "react";
import { api, rememberCsrf } from "./api.js";

/** The password login (POST /api/v1/auth/login): sets the cookie, keeps the CSRF token. */
export function Login({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const { csrfToken } = await api<{ csrfToken: string }>("/auth/login", {
        method: "POST",
        body: { name: form.get("name"), password: form.get("password") },
      });
      rememberCsrf(csrfToken);
      onLoggedIn();
    } catch (failure) {
      setError((failure as Error).message);
      setBusy(false);
    }
  };
  return (
    <main className="login">
      <h1>clawops</h1>
      <p className="lead">Log in to Mission Control.</p>
      <form onSubmit={(event) => void submit(event)}>
        <label htmlFor="name">User name</label>
        <input id="name" name="name" required autoComplete="username" autoFocus />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          required
          autoComplete="current-password"
        />
        <button type="submit" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </form>
      <p className="hint">
        No user yet? Open the setup link <code>clawops up</code> printed, or run{" "}
        <code>clawops user setup-link</code> on the daemon&apos;s host.
      </p>
    </main>
  );
}
