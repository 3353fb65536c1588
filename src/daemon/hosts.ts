import type { Logger } from "pino";
import type { ClawopsConfig } from "../config/schema.js";
import { CLAWOPS_VERSION } from "../core/version.js";
import { FleetHosts } from "../hosts/fleet-hosts.js";
import { resolveHostId } from "../hosts/identity.js";
import { LeaderElection } from "../hosts/leader.js";
import type { Store } from "../store/store.js";
import type { Metrics } from "./metrics.js";

/**
 * This daemon's host in the fleet (docs/hosts.md): its identity, its row
 * and heartbeat, and the election of the fleet's leader. With PostgreSQL
 * `scope` is the host id (the supervisor, repairs and tasks take only its
 * bots); on SQLite (one host) it is undefined and nothing is scoped, and
 * this daemon always leads.
 */
export function createHosts(deps: {
  config: ClawopsConfig;
  store: Store;
  log: Logger;
  metrics: Metrics;
  httpUrl: string;
  startedAt: number;
}) {
  const { config, store, log, metrics } = deps;
  const id = resolveHostId(config.host.id);
  const shared = config.database.url !== undefined;
  let onGain: (term: AbortSignal) => void = () => undefined;
  const election = new LeaderElection({
    databaseUrl: config.database.url ?? null,
    connectTimeoutMs: config.database.connectTimeout,
    log: log.child({ part: "leader", host: id }),
    onGain: (term) => onGain(term),
    onChange: (leading) => metrics.leader.set({ host: id }, leading ? 1 : 0),
  });
  metrics.leader.set({ host: id }, 0);
  const { startTimeout, readyTimeout, stopTimeout, drainTimeout } = config.supervisor;
  const hosts = new FleetHosts({
    store,
    log: log.child({ part: "hosts" }),
    self: {
      id,
      apiUrl: deps.httpUrl,
      version: CLAWOPS_VERSION,
      startedAt: new Date(deps.startedAt).toISOString(),
    },
    heartbeatMs: config.host.heartbeat,
    unreachableAfterMs: config.host.unreachableAfter,
    // As long as the owner may take itself: a restart drains, stops, starts and waits for
    // ready; a repair verifies up to three times and may wait for its AI plan.
    forwardTimeoutMs:
      Math.max(
        startTimeout + readyTimeout + stopTimeout + drainTimeout,
        config.repair.verifyTimeout * 3 + stopTimeout + config.repair.ai.timeout,
      ) + 10_000,
    leader: () => election.leader,
    single: !shared,
  });
  return {
    id,
    hosts,
    /** The host the daemon's parts are scoped to; undefined on SQLite (every bot). */
    scope: shared ? id : undefined,
    /**
     * Competes for leadership until `signal` aborts, running `singletons`
     * for each term; resolves when it has let go.
     */
    lead(signal: AbortSignal, singletons: (term: AbortSignal) => void): Promise<void> {
      onGain = singletons;
      return election.run(signal);
    },
  };
}
