import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import type { ApiToken, Principal, Role, User } from "../../src/core/access.js";
import { api } from "./api.js";

const ROLES: readonly Role[] = ["viewer", "operator", "admin", "owner"];

/** The roles `principal` may grant: up to its own (docs/access.md). */
const grantable = (principal: Principal) => ROLES.slice(0, ROLES.indexOf(principal.role) + 1);

const STATE_TONE = { live: "up", expired: "down", revoked: "off" } as const;

/** A token's state as its table says it. */
function tokenState(token: ApiToken, now = Date.now()): keyof typeof STATE_TONE {
  if (token.revokedAt) return "revoked";
  if (token.expiresAt && Date.parse(token.expiresAt) <= now) return "expired";
  return "live";
}

/** A form field's text ("" or `fallback` when absent). */
function field(data: FormData, name: string, fallback = ""): string {
  const value = data.get(name);
  return typeof value === "string" ? value : fallback;
}

const when = (iso: string | null, none = "–") => (iso ? new Date(iso).toLocaleString() : none);

/**
 * Users and API tokens of the admin's organisation (docs/access.md): add and
 * remove users, create a token (its secret shown once, here, with a copy
 * button) and revoke one. Admins and owners only: the nav hides it from the
 * others and the API refuses them anyway (403).
 */
export default function Access({ principal }: { principal: Principal }) {
  return (
    <main className="access-page">
      <h1>Access</h1>
      <p className="muted">
        Users and API tokens of <strong>{principal.org}</strong>. You grant roles up to your own (
        {principal.role}).
      </p>
      <Users principal={principal} />
      <Tokens principal={principal} />
    </main>
  );
}

function Users({ principal }: { principal: Principal }) {
  const queries = useQueryClient();
  const users = useQuery({
    queryKey: ["access", "users"],
    queryFn: () => api<{ users: User[] }>("/users"),
  });
  const remove = useMutation({
    mutationFn: (name: string) => api(`/users/${encodeURIComponent(name)}`, { method: "DELETE" }),
    onSettled: () => void queries.invalidateQueries({ queryKey: ["access"] }),
  });
  const [error, setError] = useState<string | null>(null);
  const add = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    try {
      await api("/users", {
        method: "POST",
        body: {
          name: field(data, "name").trim(),
          password: field(data, "password"),
          role: field(data, "role", "viewer"),
        },
      });
      form.reset();
      setError(null);
      await queries.invalidateQueries({ queryKey: ["access", "users"] });
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return (
    <section className="panel" aria-labelledby="users-heading">
      <h2 id="users-heading">Users</h2>
      <form className="inline-form add-user" onSubmit={(event) => void add(event)}>
        <label>
          Name <input name="name" required autoComplete="off" maxLength={63} />
        </label>
        <label>
          Password{" "}
          <input
            name="password"
            type="password"
            required
            minLength={12}
            autoComplete="new-password"
          />
        </label>
        <RoleSelect principal={principal} />
        <button type="submit">Add user</button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {users.error && <p className="error">{users.error.message}</p>}
      {remove.error && <p className="error">{remove.error.message}</p>}
      <div className="table-wrap">
        <table className="roster people">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Created</th>
              <th aria-label="actions" />
            </tr>
          </thead>
          <tbody>
            {users.data?.users.map((user) => (
              <tr key={user.id} data-user={user.name}>
                <td className="name">{user.name}</td>
                <td>{user.role}</td>
                <td className="muted">{when(user.createdAt)}</td>
                <td className="row-actions">
                  {user.id === principal.id ? (
                    <span className="muted">you</span>
                  ) : (
                    <Confirm
                      label="Remove"
                      question={`Remove ${user.name}? Their tokens are revoked and their logins end.`}
                      busy={remove.isPending}
                      onConfirm={() => remove.mutate(user.name)}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Tokens({ principal }: { principal: Principal }) {
  const queries = useQueryClient();
  const [showRevoked, setShowRevoked] = useState(false);
  const tokens = useQuery({
    queryKey: ["access", "tokens", showRevoked],
    queryFn: () => api<{ tokens: ApiToken[] }>(`/tokens${showRevoked ? "?revoked=true" : ""}`),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api(`/tokens/${encodeURIComponent(id)}`, { method: "DELETE" }),
    onSettled: () => void queries.invalidateQueries({ queryKey: ["access", "tokens"] }),
  });
  // The secret lives here only: gone with the page, never stored, never fetched again.
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const days = field(data, "days").trim();
    try {
      const answer = await api<{ token: ApiToken; secret: string }>("/tokens", {
        method: "POST",
        body: {
          name: field(data, "name").trim(),
          role: field(data, "role", "viewer"),
          ...(days ? { expiresInDays: Number(days) } : {}),
        },
      });
      form.reset();
      setError(null);
      setCreated({ name: answer.token.name, secret: answer.secret });
      await queries.invalidateQueries({ queryKey: ["access", "tokens"] });
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return (
    <section className="panel" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">API tokens</h2>
      <form className="inline-form new-token" onSubmit={(event) => void create(event)}>
        <label>
          Name <input name="name" required autoComplete="off" maxLength={63} />
        </label>
        <RoleSelect principal={principal} />
        <label>
          Expires in (days){" "}
          <input name="days" type="number" min={1} max={3650} placeholder="never" />
        </label>
        <button type="submit">Create token</button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {created && <Secret {...created} onDone={() => setCreated(null)} />}
      <label className="check">
        <input
          type="checkbox"
          checked={showRevoked}
          onChange={(event) => setShowRevoked(event.currentTarget.checked)}
        />
        Show revoked tokens
      </label>
      {tokens.error && <p className="error">{tokens.error.message}</p>}
      {revoke.error && <p className="error">{revoke.error.message}</p>}
      <div className="table-wrap">
        <table className="roster tokens">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Made by</th>
              <th>Expires</th>
              <th>Last used</th>
              <th>State</th>
              <th aria-label="actions" />
            </tr>
          </thead>
          <tbody>
            {tokens.data?.tokens.map((token) => (
              <tr
                key={token.id}
                data-token={token.name}
                data-revoked={token.revokedAt ? "yes" : "no"}
              >
                <td>
                  <span className="name">{token.name}</span>
                  {token.kind !== "api" && <span className="label-chip">{token.kind}</span>}
                  {/* The state column's word, where a phone has no room for that column. */}
                  {tokenState(token) !== "live" && (
                    <span className="label-chip phone-only">{tokenState(token)}</span>
                  )}
                </td>
                <td>{token.role}</td>
                <td className="muted">
                  {token.createdBy}
                  <span className="reason">{when(token.createdAt)}</span>
                </td>
                <td className="muted">{when(token.expiresAt, "never")}</td>
                <td className="muted">{when(token.lastUsedAt, "never")}</td>
                <td>
                  <span
                    className={`badge ${STATE_TONE[tokenState(token)]}`}
                    title={token.revokedAt ? `revoked ${when(token.revokedAt)}` : undefined}
                  >
                    {tokenState(token)}
                  </span>
                </td>
                <td className="row-actions">
                  {token.kind === "api" && !token.revokedAt && (
                    <Confirm
                      label="Revoke"
                      question={`Revoke ${token.name}? Its next call is refused.`}
                      busy={revoke.isPending}
                      onConfirm={() => revoke.mutate(token.id)}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** A new token's secret, once: a warning, the secret, a copy button. */
function Secret(props: { name: string; secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  const copy = () =>
    navigator.clipboard.writeText(props.secret).then(
      () => setCopied("yes"),
      () => setCopied("no"),
    );
  return (
    <div className="secret" role="status">
      <p>
        <strong>Copy the secret of {props.name} now.</strong> It is shown this once: clawops keeps
        only its hash and cannot show it again.
      </p>
      <div className="secret-row">
        <code className="secret-value">{props.secret}</code>
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p className="muted" aria-live="polite">
        {copied === "yes"
          ? "Copied to the clipboard."
          : copied === "no"
            ? "The browser refused the clipboard: select the secret and copy it."
            : "Send it as Authorization: Bearer <secret>."}
      </p>
      <button type="button" className="quiet" onClick={props.onDone}>
        I have copied it
      </button>
    </div>
  );
}

function RoleSelect({ principal }: { principal: Principal }) {
  return (
    <label>
      Role
      <select name="role" defaultValue="viewer">
        {grantable(principal).map((role) => (
          <option key={role}>{role}</option>
        ))}
      </select>
    </label>
  );
}

/** A destructive button that asks first, in place (keyboard and screen readers alike). */
function Confirm(props: { label: string; question: string; busy: boolean; onConfirm: () => void }) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" className="quiet" onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  return (
    <span className="confirm" role="group" aria-label={props.question}>
      <span className="confirm-question">{props.question}</span>
      <button
        type="button"
        className="danger"
        disabled={props.busy}
        autoFocus
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        Yes, {props.label.toLowerCase()}
      </button>
      <button type="button" className="quiet" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
