/** A daemon's host in a fleet of several (docs/hosts.md). */
export interface HostRecord {
  /** `host.id` (config): lowercase letters, digits and '-'. */
  id: string;
  /** Where its daemon's API answers: lifecycle actions for its bots are forwarded there. */
  apiUrl: string;
  /** The clawops version its daemon runs. */
  version: string;
  /** When its daemon started (ISO 8601). */
  startedAt: string;
  /** Its last heartbeat (ISO 8601). */
  lastSeenAt: string;
}

/**
 * The fleet's hosts, part of the store contract (`host-store.contract.ts`).
 * Each daemon writes only its own host's row; every daemon reads them all.
 */
export interface HostStore {
  /** Inserts or replaces the host's row (a daemon at start). */
  upsertHost(host: HostRecord): Promise<void>;
  /** Sets the host's `lastSeenAt`; false when it has no row (then upsert it again). */
  heartbeat(id: string, at: string): Promise<boolean>;
  /** Every host, by id. */
  listHosts(): Promise<HostRecord[]>;
  /** One host; null when absent. */
  getHost(id: string): Promise<HostRecord | null>;
  /**
   * Gives every bot without a host to `id` (bots registered before hosts
   * existed, or by a CLI of an older version); with `all`, every other
   * host's too (one host on SQLite: a renamed machine keeps its fleet). How
   * many it took.
   */
  claimUnowned(id: string, options?: { all?: boolean }): Promise<number>;
  /**
   * Gives bot `botId` to host `to`, desired stopped (its new host starts it),
   * only while it is still `from`'s: false when another move or a removal
   * came first (docs/hosts.md "Moving a bot").
   */
  moveBot(botId: string, from: string | null, to: string): Promise<boolean>;
}
