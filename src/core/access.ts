/**
 * Team access (src/access/): who may call the API, in which organisation,
 * with which role. Roles are ordered: each can do what the one before it can.
 */
export const ROLES = ["viewer", "operator", "admin", "owner"] as const;
export type Role = (typeof ROLES)[number];

/** What a route needs: a role, or `public` (probes, login, the API reference). */
export type Access = Role | "public";

/** True when `role` may do what `needed` allows. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** The organisation every install starts with; bots and users belong to it unless told otherwise. */
export const DEFAULT_ORG = "default";

/** User, organisation and token names: what a URL path and a log line can carry unescaped. */
export const ACCESS_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const ACCESS_NAME_HINT = "1-63 of a-z 0-9 . _ -, starting with a letter or digit";

/**
 * Who made a request. `local` is the CLI on the daemon's host (the credential
 * file beside the data dir); `user` a password login; `token` an API token.
 */
export interface Principal {
  kind: "user" | "token" | "local";
  /** The user's or token's id (the local credential's token id). */
  id: string;
  /** The user's or token's name, as the audit trail and events show it. */
  name: string;
  org: string;
  role: Role;
}

/** How events, repairs and the audit trail name a principal: `cli`, `user:alice`, `token:ci`. */
export function actorName(principal: Principal): string {
  return principal.kind === "local" ? "cli" : `${principal.kind}:${principal.name}`;
}

/**
 * Whose bots a principal sees: its own organisation's; every organisation's
 * (undefined) for the local CLI's credential, the host's owner, who can read
 * the store and every gateway's files anyway.
 */
export function orgScope(principal: Pick<Principal, "kind" | "org">): string | undefined {
  return principal.kind === "local" ? undefined : principal.org;
}

export interface Organisation {
  name: string;
  createdAt: string;
}

export interface User {
  id: string;
  name: string;
  org: string;
  role: Role;
  createdAt: string;
}

/** A user as stored: with the password's hash (never sent, never logged). */
export interface StoredUser extends User {
  passwordHash: string;
}

/** An API token as shown: never its secret, which exists only in the answer that created it. */
export const TOKEN_KINDS = ["api", "local", "setup"] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

export interface ApiToken {
  id: string;
  name: string;
  org: string;
  role: Role;
  /**
   * `api`: made by a person; `local`: the CLI's credential, minted by the daemon; `setup`: the
   * one-time setup link's, which only creates the first owner (src/access/setup.ts).
   */
  kind: TokenKind;
  /** Who made it (`user:alice`, `cli`). */
  createdBy: string;
  createdAt: string;
  /** UTC ISO 8601; null never expires. */
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** A token as stored: its secret's SHA-256 (a 256-bit random secret needs no slow hash). */
export interface StoredToken extends ApiToken {
  secretHash: string;
}

/** A dashboard login: the cookie's secret is stored hashed; the CSRF token is not a credential alone. */
export interface LoginSession {
  idHash: string;
  userId: string;
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
}

/** One state-changing call, as the audit trail keeps it. */
export interface AuditEntry {
  id: number;
  at: string;
  /** `user:alice`, `token:ci`, `cli`; `anonymous` for a refused call without credentials. */
  actor: string;
  org: string | null;
  method: string;
  /** The route's pattern (`/api/v1/bots/:name/start`). */
  route: string;
  /** What it acted on (the bot's, user's or token's name), when the route names one. */
  target: string | null;
  status: number;
  requestId: string;
  source: string;
}

export type NewAuditEntry = Omit<AuditEntry, "id">;
