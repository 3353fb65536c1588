import type {
  ApiToken,
  AuditEntry,
  LoginSession,
  NewAuditEntry,
  Organisation,
  StoredToken,
  StoredUser,
  User,
} from "../core/access.js";

export interface AuditQuery {
  org?: string;
  actor?: string;
  /** UTC ISO 8601: entries at or after. */
  since?: string;
  /** Entries with a smaller id (the next page, newest first). */
  before?: number;
  /** Default 100, at most 1000. */
  limit?: number;
}

/** A token as stored, and the user it belongs to (null for the local credential). */
export interface NewToken extends StoredToken {
  userId: string | null;
}

/**
 * What team access (src/access/) stores. Names must match `ACCESS_NAME` and
 * roles be one of `ROLES` (else `VALIDATION`); a second user or live token
 * of one name is `CONFLICT`; an unknown organisation is `NOT_FOUND`. Times
 * are UTC ISO 8601.
 */
export interface AccessStore {
  addOrg(name: string, at: string): Promise<Organisation>;
  listOrgs(): Promise<Organisation[]>;

  addUser(user: StoredUser): Promise<User>;
  findUser(name: string): Promise<StoredUser | null>;
  findUserById(id: string): Promise<StoredUser | null>;
  /** By name; one organisation's when `org` is given. */
  listUsers(org?: string): Promise<User[]>;
  /** Removes the user, their logins, and revokes their tokens (at `at`); false when there was none. */
  removeUser(name: string, at: string): Promise<boolean>;
  countUsers(): Promise<number>;

  addToken(token: NewToken): Promise<ApiToken>;
  findToken(id: string): Promise<StoredToken | null>;
  /** Newest first; one organisation's when `org` is given; revoked ones only with `revoked`. */
  listTokens(options?: { org?: string; revoked?: boolean }): Promise<ApiToken[]>;
  /** False when the token was unknown or already revoked. */
  revokeToken(id: string, at: string): Promise<boolean>;
  /** Revokes the live local credentials of `name` (one daemon's: a new one replaces them); how many. */
  revokeLocalTokens(name: string, at: string): Promise<number>;
  touchToken(id: string, at: string): Promise<void>;

  addLogin(session: LoginSession): Promise<void>;
  findLogin(idHash: string): Promise<LoginSession | null>;
  removeLogin(idHash: string): Promise<void>;
  /** Removes logins expired at `now`; how many. */
  removeExpiredLogins(now: string): Promise<number>;

  appendAudit(entry: NewAuditEntry): Promise<void>;
  /** Newest first. */
  listAudit(query?: AuditQuery): Promise<AuditEntry[]>;
  /** Removes entries older than `before`; how many. */
  pruneAudit(before: string): Promise<number>;
}
