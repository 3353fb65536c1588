import { type Kysely, type Selectable, sql } from "kysely";
import {
  type SealedSecret,
  VAULT_NAME,
  VAULT_NAME_HINT,
  type VaultEntry,
  type VaultKeyCount,
} from "../core/vault.js";
import type { Database, VaultRecordsTable } from "./schema.js";
import { id, invalid, utcTime } from "./session-rows.js";
import { storeErrors, transact } from "./transact.js";
import type { Rewrap, VaultStore } from "./vault-store.js";

/** The VaultStore on the store's Kysely, either dialect. */
export class KyselyVaultStore implements VaultStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly location: string,
  ) {}

  async get(name: string): Promise<SealedSecret | null> {
    const row = await this.db
      .selectFrom("vault_records")
      .selectAll()
      .where("name", "=", recordName(name))
      .executeTakeFirst();
    return row ? toSecret(row) : null;
  }

  async put(record: SealedSecret): Promise<SealedSecret> {
    const row = fromSecret(record);
    const { name: _name, created_at: _created, ...changes } = row;
    const stored = await storeErrors(
      this.db
        .insertInto("vault_records")
        .values(row)
        .onConflict((oc) => oc.column("name").doUpdateSet(changes))
        .returning("created_at")
        .executeTakeFirstOrThrow(),
    );
    return { ...record, createdAt: stored.created_at, updatedAt: row.updated_at };
  }

  async list(prefix?: string): Promise<VaultEntry[]> {
    let query = this.db
      .selectFrom("vault_records")
      .select(["name", "kek_id", "created_at", "updated_at"])
      .select(sql<number>`length(ciphertext)`.as("bytes"))
      .orderBy("name");
    // substr, not LIKE: '_' and '%' are ordinary characters of a name.
    if (prefix) query = query.where(sql`substr(name, 1, ${prefix.length})`, "=", prefix);
    const rows = await query.execute();
    return rows.map((r) => ({
      name: r.name,
      kekId: r.kek_id,
      bytes: Number(r.bytes),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  async remove(name: string): Promise<boolean> {
    const result = await storeErrors(
      this.db.deleteFrom("vault_records").where("name", "=", recordName(name)).executeTakeFirst(),
    );
    return Number(result.numDeletedRows) > 0;
  }

  async countByKek(): Promise<VaultKeyCount[]> {
    const rows = await this.db
      .selectFrom("vault_records")
      .select(["kek_id", "kek_check"])
      .select((eb) => eb.fn.countAll().as("records"))
      .groupBy(["kek_id", "kek_check"])
      .orderBy("kek_id")
      .orderBy("kek_check")
      .execute();
    return rows.map((r) => ({
      kekId: r.kek_id,
      kekCheck: r.kek_check,
      records: Number(r.records),
    }));
  }

  async listNotUnder(kekId: string, after: string | null, limit: number): Promise<SealedSecret[]> {
    let query = this.db
      .selectFrom("vault_records")
      .selectAll()
      .where("kek_id", "<>", kekId)
      .orderBy("name")
      .limit(limit);
    if (after !== null) query = query.where("name", ">", after);
    return (await query.execute()).map(toSecret);
  }

  async rewrap(changes: readonly Rewrap[]): Promise<number> {
    if (changes.length === 0) return 0;
    return transact(this.db, this.location, async (tx) => {
      let replaced = 0;
      for (const { from, to } of changes) {
        if (to.name !== from.name || !to.iv.equals(from.iv))
          throw invalid("to", `a new wrapping of "${from.name}", same value`, to.name);
        const row = fromSecret(to);
        const result = await tx
          .updateTable("vault_records")
          .set({
            kek_id: row.kek_id,
            kek_check: row.kek_check,
            key_iv: row.key_iv,
            wrapped_key: row.wrapped_key,
            key_tag: row.key_tag,
          })
          // The compare of the swap: the wrapping and the value (its IV) read before.
          .where("name", "=", row.name)
          .where("kek_id", "=", from.kekId)
          .where("wrapped_key", "=", from.wrappedKey)
          .where("iv", "=", from.iv)
          .executeTakeFirst();
        replaced += Number(result.numUpdatedRows);
      }
      return replaced;
    });
  }
}

function recordName(value: unknown): string {
  if (typeof value !== "string" || !VAULT_NAME.test(value))
    throw invalid("name", VAULT_NAME_HINT, value);
  return value;
}

function bytes(value: unknown, path: string): Buffer {
  if (!Buffer.isBuffer(value)) throw invalid(path, "bytes (a Buffer)", typeof value);
  return value;
}

function fromSecret(s: SealedSecret): VaultRecordsTable {
  if (!Number.isSafeInteger(s.version) || s.version < 1)
    throw invalid("version", "a whole number >= 1", s.version);
  if (typeof s.kekCheck !== "string" || !/^[0-9a-f]{16}$/.test(s.kekCheck))
    throw invalid("kekCheck", "16 hex digits", s.kekCheck);
  return {
    name: recordName(s.name),
    version: s.version,
    kek_id: id(s.kekId, "kekId"),
    kek_check: s.kekCheck,
    key_iv: bytes(s.keyIv, "keyIv"),
    wrapped_key: bytes(s.wrappedKey, "wrappedKey"),
    key_tag: bytes(s.keyTag, "keyTag"),
    iv: bytes(s.iv, "iv"),
    ciphertext: bytes(s.ciphertext, "ciphertext"),
    tag: bytes(s.tag, "tag"),
    created_at: utcTime(s.createdAt, "createdAt"),
    updated_at: utcTime(s.updatedAt, "updatedAt"),
  };
}

function toSecret(row: Selectable<VaultRecordsTable>): SealedSecret {
  return {
    name: row.name,
    version: Number(row.version),
    kekId: row.kek_id,
    kekCheck: row.kek_check,
    keyIv: Buffer.from(row.key_iv),
    wrappedKey: Buffer.from(row.wrapped_key),
    keyTag: Buffer.from(row.key_tag),
    iv: Buffer.from(row.iv),
    ciphertext: Buffer.from(row.ciphertext),
    tag: Buffer.from(row.tag),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
