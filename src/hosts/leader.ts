import type pg from "pg";
import type { Logger } from "pino";
import { errorMessage } from "../core/errors.js";
import { abortableSleep } from "../core/time.js";

/**
 * The advisory lock's key: "claw" in ASCII. Every daemon on one database
 * competes for it; another application on the same database would have to
 * pick this very number to collide.
 */
export const LEADER_LOCK_KEY = 0x636c6177;

export interface LeaderElectionDeps {
  /** The fleet's PostgreSQL; null (SQLite, one host): this daemon leads from the start. */
  databaseUrl: string | null;
  /** How long a connection attempt may take, in ms. */
  connectTimeoutMs: number;
  log: Logger;
  /** A follower's retry period, and the leader's check of its connection, in ms (default 1000). */
  retryMs?: number;
  /**
   * Called each time this daemon becomes the leader, with a signal that
   * aborts when it stops being it (its connection lost, or the daemon stopping).
   */
  onGain(term: AbortSignal): void;
  /** Told of every change (metrics, logs). */
  onChange?(leader: boolean): void;
}

/**
 * Leader election on a PostgreSQL session-level advisory lock
 * (`pg_try_advisory_lock`), held on a connection of its own for as long as
 * this daemon leads. When the leader dies, PostgreSQL ends its session and
 * frees the lock; a follower, retrying every `retryMs`, takes it at its next
 * try. No consensus of our own: the database decides (docs/hosts.md).
 *
 * A leader that loses its connection (a failed check within
 * `3 * retryMs`) abdicates at once, before PostgreSQL may hand the lock to
 * another: two leaders never overlap by this daemon's doing.
 */
export class LeaderElection {
  private leading = false;

  constructor(private readonly deps: LeaderElectionDeps) {}

  /** True while this daemon holds the lock. */
  get leader(): boolean {
    return this.leading;
  }

  /** Competes for the lock until `signal` aborts; never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.deps.databaseUrl === null) {
      await this.lead(
        signal,
        () => new Promise<void>((r) => signal.addEventListener("abort", () => r())),
      );
      return;
    }
    const retryMs = this.deps.retryMs ?? 1_000;
    const { default: driver } = await import("pg");
    while (!signal.aborted) {
      const client = new driver.Client({
        connectionString: this.deps.databaseUrl,
        connectionTimeoutMillis: this.deps.connectTimeoutMs,
        // A leader whose host vanished without closing its socket is noticed by the server.
        keepAlive: true,
        application_name: "clawops-leader",
      });
      // A broken connection surfaces at the next query; it must never crash the daemon.
      client.on("error", () => undefined);
      try {
        await client.connect();
        while (!signal.aborted) {
          if (await tryLock(client)) {
            await this.lead(signal, () => this.hold(client, signal, retryMs));
            break;
          }
          await abortableSleep(retryMs, signal);
        }
      } catch (error) {
        this.deps.log.warn({ err: errorMessage(error) }, "leader.connection_failed");
      } finally {
        await client.end().catch(() => undefined);
      }
      await abortableSleep(retryMs, signal);
    }
  }

  /** Leads while `holding` runs; the term's signal aborts when it ends, however it ends. */
  private async lead(signal: AbortSignal, holding: () => Promise<void>): Promise<void> {
    const term = new AbortController();
    this.leading = true;
    this.deps.log.info({ leader: true }, "leader.gained");
    this.deps.onChange?.(true);
    try {
      this.deps.onGain(AbortSignal.any([signal, term.signal]));
      await holding();
    } finally {
      term.abort();
      this.leading = false;
      this.deps.log.info({ leader: false, stopping: signal.aborted }, "leader.lost");
      this.deps.onChange?.(false);
    }
  }

  /** Checks the lock's connection every `retryMs` until `signal` aborts; throws when it fails. */
  private async hold(client: pg.Client, signal: AbortSignal, retryMs: number): Promise<void> {
    while (!signal.aborted) {
      await abortableSleep(retryMs, signal);
      if (signal.aborted) break;
      await withTimeout(client.query("select 1"), 3 * retryMs);
    }
    // Stopping: the next leader need not wait for the connection to close.
    await withTimeout(
      client.query("select pg_advisory_unlock($1)", [LEADER_LOCK_KEY]),
      retryMs,
    ).catch(() => undefined);
  }
}

async function tryLock(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>(
    "select pg_try_advisory_lock($1) as locked",
    [LEADER_LOCK_KEY],
  );
  return rows[0]?.locked === true;
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms}ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
