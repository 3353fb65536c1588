import type { Kysely, Selectable } from "kysely";
import {
  ACCESS_NAME,
  ACCESS_NAME_HINT,
  type ApiToken,
  type AuditEntry,
  type LoginSession,
  type NewAuditEntry,
  type Organisation,
  ROLES,
  TOKEN_KINDS,
  type TokenKind,
  type Role,
  type StoredToken,
  type StoredUser,
  type User,
} from "../core/access.js";
import { OpsError } from "../core/errors.js";
import type { AccessStore, AuditQuery, NewToken } from "./access-store.js";
import { isForeignKeyViolation, isUniqueViolation } from "./errors.js";
import type { ApiTokensTable, AuditLogTable, Database, UsersTable } from "./schema.js";
import { id, invalid, utcTime } from "./session-rows.js";
import { storeErrors, transact } from "./transact.js";

/** The AccessStore on the store's Kysely, either dialect. */
export class KyselyAccessStore implements AccessStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly location: string,
  ) {}

  async addOrg(name: string, at: string): Promise<Organisation> {
    const row = { name: accessName(name, "org"), created_at: utcTime(at, "createdAt") };
    await unique(this.db.insertInto("orgs").values(row).execute(), `organisation "${name}"`);
    return { name: row.name, createdAt: row.created_at };
  }

  async listOrgs(): Promise<Organisation[]> {
    const rows = await this.db.selectFrom("orgs").selectAll().orderBy("name").execute();
    return rows.map((r) => ({ name: r.name, createdAt: r.created_at }));
  }

  async addUser(user: StoredUser): Promise<User> {
    const row: UsersTable = {
      id: id(user.id, "id"),
      name: accessName(user.name, "name"),
      org: accessName(user.org, "org"),
      role: role(user.role),
      password_hash: id(user.passwordHash, "passwordHash"),
      created_at: utcTime(user.createdAt, "createdAt"),
    };
    await unique(
      this.db.insertInto("users").values(row).execute(),
      `a user named "${row.name}"`,
      row.org,
    );
    return toUser(row);
  }

  async findUser(name: string): Promise<StoredUser | null> {
    const row = await this.db
      .selectFrom("users")
      .selectAll()
      .where("name", "=", name)
      .executeTakeFirst();
    return row ? toStoredUser(row) : null;
  }

  async findUserById(userId: string): Promise<StoredUser | null> {
    const row = await this.db
      .selectFrom("users")
      .selectAll()
      .where("id", "=", userId)
      .executeTakeFirst();
    return row ? toStoredUser(row) : null;
  }

  async listUsers(org?: string): Promise<User[]> {
    let query = this.db.selectFrom("users").selectAll().orderBy("name");
    if (org !== undefined) query = query.where("org", "=", org);
    return (await query.execute()).map(toUser);
  }

  async removeUser(name: string, at: string): Promise<boolean> {
    const revokedAt = utcTime(at, "at");
    return transact(this.db, this.location, async (tx) => {
      const user = await tx
        .selectFrom("users")
        .select("id")
        .where("name", "=", name)
        .executeTakeFirst();
      if (!user) return false;
      await tx
        .updateTable("api_tokens")
        .set({ revoked_at: revokedAt })
        .where("user_id", "=", user.id)
        .where("revoked_at", "is", null)
        .execute();
      await tx.deleteFrom("login_sessions").where("user_id", "=", user.id).execute();
      await tx.deleteFrom("users").where("id", "=", user.id).execute();
      return true;
    });
  }

  async countUsers(): Promise<number> {
    const row = await this.db
      .selectFrom("users")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async addToken(token: NewToken): Promise<ApiToken> {
    const row: ApiTokensTable = {
      id: id(token.id, "id"),
      name: accessName(token.name, "name"),
      org: accessName(token.org, "org"),
      role: role(token.role),
      kind: tokenKind(token.kind),
      user_id: token.userId,
      created_by: id(token.createdBy, "createdBy"),
      secret_hash: id(token.secretHash, "secretHash"),
      created_at: utcTime(token.createdAt, "createdAt"),
      expires_at: token.expiresAt === null ? null : utcTime(token.expiresAt, "expiresAt"),
      revoked_at: null,
      last_used_at: null,
    };
    await unique(
      this.db.insertInto("api_tokens").values(row).execute(),
      `a live token named "${row.name}" in organisation "${row.org}"`,
      row.org,
    );
    return toToken(row);
  }

  async findToken(tokenId: string): Promise<StoredToken | null> {
    const row = await this.db
      .selectFrom("api_tokens")
      .selectAll()
      .where("id", "=", tokenId)
      .executeTakeFirst();
    return row ? { ...toToken(row), secretHash: row.secret_hash } : null;
  }

  async listTokens(options: { org?: string; revoked?: boolean } = {}): Promise<ApiToken[]> {
    let query = this.db.selectFrom("api_tokens").selectAll().orderBy("created_at", "desc");
    if (options.org !== undefined) query = query.where("org", "=", options.org);
    if (!options.revoked) query = query.where("revoked_at", "is", null);
    return (await query.execute()).map(toToken);
  }

  async revokeToken(tokenId: string, at: string): Promise<boolean> {
    const result = await storeErrors(
      this.db
        .updateTable("api_tokens")
        .set({ revoked_at: utcTime(at, "at") })
        .where("id", "=", tokenId)
        .where("revoked_at", "is", null)
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) > 0;
  }

  async revokeLocalTokens(name: string, at: string): Promise<number> {
    const result = await storeErrors(
      this.db
        .updateTable("api_tokens")
        .set({ revoked_at: utcTime(at, "at") })
        .where("kind", "=", "local")
        .where("name", "=", name)
        .where("revoked_at", "is", null)
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows);
  }

  async touchToken(tokenId: string, at: string): Promise<void> {
    await storeErrors(
      this.db
        .updateTable("api_tokens")
        .set({ last_used_at: utcTime(at, "at") })
        .where("id", "=", tokenId)
        .execute(),
    );
  }

  async addLogin(session: LoginSession): Promise<void> {
    await storeErrors(
      this.db
        .insertInto("login_sessions")
        .values({
          id_hash: id(session.idHash, "idHash"),
          user_id: id(session.userId, "userId"),
          csrf_token: id(session.csrfToken, "csrfToken"),
          created_at: utcTime(session.createdAt, "createdAt"),
          expires_at: utcTime(session.expiresAt, "expiresAt"),
        })
        .execute(),
    );
  }

  async findLogin(idHash: string): Promise<LoginSession | null> {
    const row = await this.db
      .selectFrom("login_sessions")
      .selectAll()
      .where("id_hash", "=", idHash)
      .executeTakeFirst();
    return row
      ? {
          idHash: row.id_hash,
          userId: row.user_id,
          csrfToken: row.csrf_token,
          createdAt: row.created_at,
          expiresAt: row.expires_at,
        }
      : null;
  }

  async removeLogin(idHash: string): Promise<void> {
    await storeErrors(this.db.deleteFrom("login_sessions").where("id_hash", "=", idHash).execute());
  }

  async removeExpiredLogins(now: string): Promise<number> {
    const result = await storeErrors(
      this.db
        .deleteFrom("login_sessions")
        .where("expires_at", "<=", utcTime(now, "now"))
        .executeTakeFirst(),
    );
    return Number(result.numDeletedRows);
  }

  async appendAudit(entry: NewAuditEntry): Promise<void> {
    await storeErrors(
      this.db
        .insertInto("audit_log")
        .values({
          at: utcTime(entry.at, "at"),
          actor: id(entry.actor, "actor"),
          org: entry.org,
          method: id(entry.method, "method"),
          route: id(entry.route, "route"),
          target: entry.target,
          status: entry.status,
          request_id: id(entry.requestId, "requestId"),
          source: id(entry.source, "source"),
        })
        .execute(),
    );
  }

  async listAudit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    let q = this.db
      .selectFrom("audit_log")
      .selectAll()
      .orderBy("id", "desc")
      .limit(Math.min(Math.max(query.limit ?? 100, 1), 1000));
    if (query.org !== undefined) q = q.where("org", "=", query.org);
    if (query.actor !== undefined) q = q.where("actor", "=", query.actor);
    if (query.since !== undefined) q = q.where("at", ">=", utcTime(query.since, "since"));
    if (query.before !== undefined) q = q.where("id", "<", query.before);
    return (await q.execute()).map(toAudit);
  }

  async pruneAudit(before: string): Promise<number> {
    const result = await storeErrors(
      this.db
        .deleteFrom("audit_log")
        .where("at", "<", utcTime(before, "before"))
        .executeTakeFirst(),
    );
    return Number(result.numDeletedRows);
  }
}

/** A unique key taken is CONFLICT naming `what`; an unknown organisation `org` is NOT_FOUND. */
async function unique(write: Promise<unknown>, what: string, org?: string): Promise<void> {
  try {
    await storeErrors(write);
  } catch (error) {
    if (isUniqueViolation(error)) throw new OpsError("CONFLICT", `${what} already exists`);
    if (org !== undefined && isForeignKeyViolation(error))
      throw new OpsError("NOT_FOUND", `no organisation named "${org}"`);
    throw error;
  }
}

function accessName(value: unknown, path: string): string {
  if (typeof value !== "string" || !ACCESS_NAME.test(value))
    throw invalid(path, ACCESS_NAME_HINT, value);
  return value;
}

function role(value: unknown): Role {
  if (!ROLES.includes(value as Role)) throw invalid("role", `one of ${ROLES.join(", ")}`, value);
  return value as Role;
}

function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    name: row.name,
    org: row.org,
    role: row.role as Role,
    createdAt: row.created_at,
  };
}

function toStoredUser(row: Selectable<UsersTable>): StoredUser {
  return { ...toUser(row), passwordHash: row.password_hash };
}

function toToken(row: Selectable<ApiTokensTable>): ApiToken {
  return {
    id: row.id,
    name: row.name,
    org: row.org,
    role: row.role as Role,
    kind: tokenKind(row.kind),
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

function toAudit(row: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: Number(row.id),
    at: row.at,
    actor: row.actor,
    org: row.org,
    method: row.method,
    route: row.route,
    target: row.target,
    status: Number(row.status),
    requestId: row.request_id,
    source: row.source,
  };
}

/** A stored kind as the union; an unknown one (a newer clawops's) reads as a plain API token. */
function tokenKind(kind: string): TokenKind {
  return (TOKEN_KINDS as readonly string[]).includes(kind) ? (kind as TokenKind) : "api";
}
