import type { Kysely, Selectable } from "kysely";
import type { HostRecord, HostStore } from "./host-store.js";
import type { Database, HostsTable } from "./schema.js";

/** The fleet's hosts over Kysely, the same on SQLite and PostgreSQL. */
export class KyselyHostStore implements HostStore {
  constructor(private readonly db: Kysely<Database>) {}

  async upsertHost(host: HostRecord): Promise<void> {
    const row = fromHost(host);
    const { id: _id, ...changes } = row;
    await this.db
      .insertInto("hosts")
      .values(row)
      .onConflict((oc) => oc.column("id").doUpdateSet(changes))
      .execute();
  }

  async heartbeat(id: string, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable("hosts")
      .set({ last_seen_at: at })
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async listHosts(): Promise<HostRecord[]> {
    const rows = await this.db.selectFrom("hosts").selectAll().orderBy("id").execute();
    return rows.map(toHost);
  }

  async getHost(id: string): Promise<HostRecord | null> {
    const row = await this.db
      .selectFrom("hosts")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? toHost(row) : null;
  }

  async claimUnowned(id: string, options: { all?: boolean } = {}): Promise<number> {
    const result = await this.db
      .updateTable("bots")
      .set({ host_id: id })
      .where((eb) =>
        options.all
          ? eb.or([eb("host_id", "is", null), eb("host_id", "!=", id)])
          : eb("host_id", "is", null),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async moveBot(botId: string, from: string | null, to: string): Promise<boolean> {
    const result = await this.db
      .updateTable("bots")
      .set({ host_id: to, desired_state: "stopped", updated_at: new Date().toISOString() })
      .where("id", "=", botId)
      .where("host_id", from === null ? "is" : "=", from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}

function fromHost(host: HostRecord): HostsTable {
  return {
    id: host.id,
    api_url: host.apiUrl,
    version: host.version,
    started_at: host.startedAt,
    last_seen_at: host.lastSeenAt,
  };
}

function toHost(row: Selectable<HostsTable>): HostRecord {
  return {
    id: row.id,
    apiUrl: row.api_url,
    version: row.version,
    startedAt: row.started_at,
    lastSeenAt: row.last_seen_at,
  };
}
