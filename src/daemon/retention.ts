import type { Logger } from "pino";
import type { ClawopsConfig } from "../config/schema.js";
import type { Store } from "../store/store.js";
import type { Loops } from "./loops.js";

/**
 * The store's retention loops: transcripts past `ingest.retention` (when set;
 * the default keeps everything) hourly, the audit trail past
 * `access.auditRetention` daily. Each logs what it pruned.
 */
export function startRetention(
  loops: Loops,
  signal: AbortSignal,
  deps: { config: ClawopsConfig; store: Store; log: Logger },
): void {
  const { config, store, log } = deps;
  if (config.ingest.retention > 0) {
    loops.every("retention", 3_600_000, signal, async () => {
      const before = new Date(Date.now() - config.ingest.retention).toISOString();
      const pruned = await store.sessions.pruneMessages(before);
      if (pruned > 0) log.info({ pruned, before }, "ingest.retention_pruned");
    });
  }
  loops.every("audit-retention", 86_400_000, signal, async () => {
    const before = new Date(Date.now() - config.access.auditRetention).toISOString();
    const pruned = await store.access.pruneAudit(before);
    if (pruned > 0) log.info({ pruned, before }, "access.audit_pruned");
  });
}
