import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import path from "node:path";
import {
  ACCESS_NAME,
  ACCESS_NAME_HINT,
  type ApiToken,
  DEFAULT_ORG,
  type Principal,
  type Role,
  type User,
  actorName,
  roleAtLeast,
} from "../core/access.js";
import { OpsError } from "../core/errors.js";
import type { Store } from "../store/store.js";
import { hashPassword, verifyPassword } from "./password.js";
import {
  type MintedToken,
  hashSecret,
  mintToken,
  parseToken,
  randomSecret,
  secretMatches,
} from "./tokens.js";
import type { NewToken } from "../store/access-store.js";

/** A dashboard login lasts this long; logging in again starts a new one. */
export const LOGIN_TTL_MS = 12 * 60 * 60 * 1000;
/** A token's last use is written at most this often (a write per request would be a write per request). */
const TOUCH_EVERY_MS = 60_000;
/** A password shorter than this is refused. */
const MIN_PASSWORD = 12;

export interface AccessDeps {
  store: Store;
  now?: () => number;
}

/** What a request presented, as the HTTP layer reads it. */
export interface Presented {
  /** The `Authorization: Bearer` value. */
  bearer?: string;
  /** The login cookie's value. */
  cookie?: string;
}

export interface Authenticated {
  principal: Principal;
  /** A login's CSRF token: a cookie-authenticated write must echo it. Absent for tokens. */
  csrfToken?: string;
  /** Which credential it was, to check later that it still holds (long-lived connections). */
  credential: CredentialRef;
  /** UTC ISO 8601: when the credential stops working by itself; null never. */
  expiresAt: string | null;
}

/** A credential by its stored identity, never its secret: a token's id, a login's cookie hash. */
export type CredentialRef =
  { kind: "token"; tokenId: string } | { kind: "login"; loginHash: string; userId: string };

/**
 * A credential that stopped working through this service: a token revoked, a
 * user removed (their logins ended, their tokens revoked), a login ended.
 * Long-lived connections (the realtime API) close on it.
 */
export type Revocation =
  | { kind: "token"; tokenId: string }
  | { kind: "user"; userId: string }
  | { kind: "login"; loginHash: string };

export interface NewUserInput {
  name: string;
  password: string;
  role: Role;
  org?: string;
}

export interface NewTokenInput {
  name: string;
  role: Role;
  org?: string;
  /** Milliseconds from now; absent never expires. */
  expiresInMs?: number;
}

/**
 * Users, API tokens, logins and the local credential: who a request is, and
 * what a principal may grant. Every secret is checked against its stored
 * hash; nothing here logs or returns one except the one answer that mints it.
 */
export class AccessService {
  private readonly now: () => number;
  private readonly revocationListeners = new Set<(revoked: Revocation) => void>();

  constructor(private readonly deps: AccessDeps) {
    this.now = deps.now ?? Date.now;
  }

  private get store() {
    return this.deps.store.access;
  }

  private iso(offsetMs = 0): string {
    return new Date(this.now() + offsetMs).toISOString();
  }

  /**
   * The principal behind a request's credentials; null when it presented
   * none. Credentials that are presented but wrong (unknown, revoked,
   * expired, a login that ended) are `UNAUTHORIZED`, saying which.
   */
  async authenticate(presented: Presented): Promise<Authenticated | null> {
    if (presented.bearer !== undefined) return this.byToken(presented.bearer);
    if (presented.cookie !== undefined) return this.byCookie(presented.cookie);
    return null;
  }

  /**
   * Whether a credential authenticated earlier still holds (not revoked,
   * expired, ended, its user not removed). Reads the store; never touches
   * a token's last use.
   */
  async stillValid(credential: CredentialRef): Promise<boolean> {
    if (credential.kind === "token") {
      const token = await this.store.findToken(credential.tokenId);
      return (
        token !== null &&
        token.revokedAt === null &&
        (token.expiresAt === null || Date.parse(token.expiresAt) > this.now())
      );
    }
    const login = await this.store.findLogin(credential.loginHash);
    if (!login || Date.parse(login.expiresAt) <= this.now()) return false;
    return (await this.store.findUserById(credential.userId)) !== null;
  }

  /**
   * Calls `listener` after each revocation made through this service (in
   * this process; the realtime relay carries them to other instances).
   * Returns the function that stops it. A listener that throws is ignored.
   */
  onRevoked(listener: (revoked: Revocation) => void): () => void {
    this.revocationListeners.add(listener);
    return () => this.revocationListeners.delete(listener);
  }

  private revoked(revoked: Revocation): void {
    for (const listener of this.revocationListeners) {
      try {
        listener(revoked);
      } catch {
        // A listener's failure must not undo or fail the revocation itself.
      }
    }
  }

  private async byToken(value: string): Promise<Authenticated> {
    const parsed = parseToken(value);
    if (!parsed)
      throw unauthorized("the bearer token is not a clawops token (clawops_<id>_<secret>)");
    const token = await this.store.findToken(parsed.id);
    if (!token || !secretMatches(parsed.secret, token.secretHash))
      throw unauthorized("the bearer token is not valid");
    if (token.kind === "setup")
      throw unauthorized("a setup link's token only creates the first owner, at /setup");
    if (token.revokedAt !== null) throw unauthorized(`the token "${token.name}" was revoked`);
    if (token.expiresAt !== null && Date.parse(token.expiresAt) <= this.now())
      throw unauthorized(`the token "${token.name}" expired at ${token.expiresAt}`);
    if (token.lastUsedAt === null || Date.parse(token.lastUsedAt) < this.now() - TOUCH_EVERY_MS)
      await this.store.touchToken(token.id, this.iso());
    return {
      principal: {
        kind: token.kind === "local" ? "local" : "token",
        id: token.id,
        name: token.name,
        org: token.org,
        role: token.role,
      },
      credential: { kind: "token", tokenId: token.id },
      expiresAt: token.expiresAt,
    };
  }

  private async byCookie(value: string): Promise<Authenticated> {
    const loginHash = hashSecret(value);
    const login = await this.store.findLogin(loginHash);
    if (!login || Date.parse(login.expiresAt) <= this.now())
      throw unauthorized("the login has ended: log in again");
    const user = await this.store.findUserById(login.userId);
    if (!user) throw unauthorized("the login's user no longer exists");
    return {
      principal: { kind: "user", id: user.id, name: user.name, org: user.org, role: user.role },
      csrfToken: login.csrfToken,
      credential: { kind: "login", loginHash, userId: user.id },
      expiresAt: login.expiresAt,
    };
  }

  /**
   * Checks a password and opens a login. A wrong name and a wrong password
   * answer alike (and cost alike: the hash runs either way). Failures are
   * limited by the caller (the login route's limit, shared through Redis).
   */
  async login(name: string, password: string) {
    const user = await this.store.findUser(name);
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) throw unauthorized("wrong user name or password");
    const cookie = randomSecret();
    const csrfToken = randomSecret();
    const expiresAt = this.iso(LOGIN_TTL_MS);
    await this.store.removeExpiredLogins(this.iso());
    await this.store.addLogin({
      idHash: hashSecret(cookie),
      userId: user.id,
      csrfToken,
      createdAt: this.iso(),
      expiresAt,
    });
    const { passwordHash: _hash, ...shown } = user;
    return { cookie, csrfToken, expiresAt, user: shown };
  }

  async logout(cookie: string): Promise<void> {
    const loginHash = hashSecret(cookie);
    await this.store.removeLogin(loginHash);
    this.revoked({ kind: "login", loginHash });
  }

  /** Adds a user; `by` must be an admin of the organisation and may grant at most its own role. */
  async addUser(input: NewUserInput, by: Principal): Promise<User> {
    const org = this.orgFor(input.org, by);
    this.mayGrant(input.role, by);
    checkNewUser(input);
    return this.store.addUser({
      id: randomUUID(),
      name: input.name,
      org,
      role: input.role,
      passwordHash: await hashPassword(input.password),
      createdAt: this.iso(),
    });
  }

  async listUsers(by: Principal): Promise<User[]> {
    return this.store.listUsers(by.kind === "local" ? undefined : by.org);
  }

  /** Removes a user (their tokens revoked, their logins ended); NOT_FOUND when there is none `by` may see. */
  async removeUser(name: string, by: Principal): Promise<User> {
    const user = await this.store.findUser(name);
    if (!user || !this.sees(user.org, by))
      throw new OpsError("NOT_FOUND", `no user named "${name}"`);
    this.mayGrant(user.role, by);
    await this.store.removeUser(name, this.iso());
    this.revoked({ kind: "user", userId: user.id });
    const { passwordHash: _hash, ...shown } = user;
    return shown;
  }

  /** Mints a token: its secret is in this answer only. */
  async createToken(input: NewTokenInput, by: Principal) {
    const org = this.orgFor(input.org, by);
    this.mayGrant(input.role, by);
    const minted = mintToken();
    const token = await this.store.addToken(
      liveRecord(minted, {
        name: input.name,
        org,
        role: input.role,
        kind: "api",
        userId: by.kind === "user" ? by.id : null,
        createdBy: actorName(by),
        createdAt: this.iso(),
        expiresAt: input.expiresInMs === undefined ? null : this.iso(input.expiresInMs),
      }),
    );
    return { token, secret: minted.token };
  }

  async listTokens(by: Principal, revoked = false): Promise<ApiToken[]> {
    return this.store.listTokens({ org: by.kind === "local" ? undefined : by.org, revoked });
  }

  /** Revokes a token by id or name (a live one); NOT_FOUND when there is none `by` may see. */
  async revokeToken(idOrName: string, by: Principal): Promise<ApiToken> {
    const live = await this.listTokens(by);
    const token = live.find((t) => t.id === idOrName) ?? live.find((t) => t.name === idOrName);
    if (!token || token.kind === "local")
      throw new OpsError("NOT_FOUND", `no live API token "${idOrName}"`);
    this.mayGrant(token.role, by);
    await this.store.revokeToken(token.id, this.iso());
    this.revoked({ kind: "token", tokenId: token.id });
    return { ...token, revokedAt: this.iso() };
  }

  /**
   * A new local credential (owner of the default organisation) for the
   * daemon of `dataDir` on this host, revoking that daemon's previous ones
   * (daemons of other hosts sharing the store keep theirs).
   */
  async mintLocalCredential(dataDir: string): Promise<string> {
    const name = `local-${hashSecret(`${hostname()}\0${path.resolve(dataDir)}`).slice(0, 12)}`;
    await this.store.revokeLocalTokens(name, this.iso());
    const minted = mintToken();
    await this.store.addToken(
      liveRecord(minted, {
        name,
        org: DEFAULT_ORG,
        role: "owner",
        kind: "local",
        userId: null,
        createdBy: "daemon",
        createdAt: this.iso(),
        expiresAt: null,
      }),
    );
    return minted.token;
  }

  /** The organisation an admin action applies to: the caller's own (the local CLI may name any). */
  private orgFor(org: string | undefined, by: Principal): string {
    const target = org ?? by.org;
    if (!this.sees(target, by))
      throw new OpsError("FORBIDDEN", `${actorName(by)} cannot manage organisation "${target}"`);
    return target;
  }

  private sees(org: string, by: Principal): boolean {
    return by.kind === "local" || org === by.org;
  }

  private mayGrant(role: Role, by: Principal): void {
    if (!roleAtLeast(by.role, role))
      throw new OpsError(
        "FORBIDDEN",
        `${actorName(by)} (${by.role}) cannot grant or remove the ${role} role`,
      );
  }
}

/** The stored record of a token just minted: live, never used; the store keeps its hash only. */
export function liveRecord(
  minted: MintedToken,
  fields: Omit<NewToken, "id" | "secretHash" | "revokedAt" | "lastUsedAt">,
): NewToken {
  return {
    ...fields,
    id: minted.id,
    secretHash: minted.secretHash,
    revokedAt: null,
    lastUsedAt: null,
  };
}

/** `VALIDATION` when a new user's name or password is not acceptable; checked before any write. */
export function checkNewUser(input: { name: string; password: string }): void {
  if (!ACCESS_NAME.test(input.name))
    throw new OpsError("VALIDATION", `user name "${input.name}": ${ACCESS_NAME_HINT}`);
  if (input.password.length < MIN_PASSWORD)
    throw new OpsError("VALIDATION", `the password must be at least ${MIN_PASSWORD} characters`);
}

function unauthorized(message: string): OpsError {
  return new OpsError("UNAUTHORIZED", message);
}

/** Verified against when the user does not exist, so that the answer takes as long as for a real one. */
const DUMMY_HASH = `scrypt$15$8$1$${"A".repeat(22)}$${"A".repeat(43)}`;
