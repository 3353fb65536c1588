import { type Issue, errorMessage } from "../core/errors.js";
import type { EventBus } from "../events/bus.js";
import { lowDiskSpace } from "../store/errors.js";
import type { Store } from "../store/store.js";
import type { VaultStatus } from "../vault/vault.js";
import type { Loops } from "./loops.js";
import { certificateVerdict, vaultVerdict } from "./readiness-secrets.js";

export interface PartVerdict {
  ok: boolean;
  reason?: string;
  /** Ready, but something an operator should act on soon (a certificate near its end). */
  warning?: string;
  [detail: string]: unknown;
}

export interface Readiness {
  ready: boolean;
  /** The parts that are not ready, with why. */
  failing: { part: string; reason: string }[];
  /** The parts that are ready but warn, with what. */
  warnings: { part: string; warning: string }[];
  parts: Record<string, PartVerdict>;
}

/** Events waiting longer than this mean the store is not keeping up. */
const EVENTS_STALE_MS = 10_000;

/** Asks every part of the daemon whether it can do its job right now. */
export async function checkReadiness(deps: {
  store: Store;
  bus: EventBus;
  loops: Loops;
  /** Notifier config problems (a token variable that is not set): an error is not ready. */
  notifierIssues?: () => Issue[];
  /** The credential vault's keys and records (readiness-secrets.ts `vaultVerdict`). */
  vault?: () => Promise<VaultStatus>;
  /** The certificate served over HTTPS, as read at start. */
  certificate?: { file: string; validTo: string } | null;
  /** A part's own verdict added as is (the API's exposure warning). */
  extra?: Record<string, PartVerdict>;
  now?: () => number;
}): Promise<Readiness> {
  const parts: Record<string, PartVerdict> = {};

  const started = performance.now();
  const events = deps.bus.health();
  try {
    await deps.store.ping(1_000);
    // A ping only reads: a store whose disk is full answers it and refuses every write.
    const cannotWrite = events.lastError ?? diskFull(deps.store);
    parts.store =
      cannotWrite === null
        ? { ok: true, dialect: deps.store.dialect, latencyMs: round(performance.now() - started) }
        : {
            ok: false,
            reason: `${deps.store.dialect} answers but cannot write: ${cannotWrite}`,
            dialect: deps.store.dialect,
          };
  } catch (error) {
    parts.store = {
      ok: false,
      reason: `${deps.store.dialect} unreachable: ${errorMessage(error)}`,
    };
  }

  parts.events =
    events.lastError !== null || events.oldestPendingMs > EVENTS_STALE_MS
      ? {
          ok: false,
          reason: `${events.pending} events not persisted${events.lastError ? `: ${events.lastError}` : ""}`,
          pending: events.pending,
        }
      : { ok: true, pending: events.pending };

  for (const loop of deps.loops.check()) {
    parts[`loop:${loop.name}`] = loop.ok
      ? { ok: true }
      : { ok: false, reason: loop.reason ?? "failing" };
  }

  const notifierErrors = (deps.notifierIssues?.() ?? []).filter((i) => i.severity === "error");
  if (deps.notifierIssues) {
    parts.notifiers =
      notifierErrors.length === 0
        ? { ok: true }
        : {
            ok: false,
            reason: notifierErrors.map((i) => `notify.${i.path}: ${i.message}`).join("; "),
          };
  }

  if (deps.vault) {
    parts.vault = await deps.vault().then(vaultVerdict, (error: unknown) => ({
      ok: false,
      reason: `vault: cannot read its records: ${errorMessage(error)}`,
    }));
  }
  if (deps.certificate) parts.tls = certificateVerdict(deps.certificate, (deps.now ?? Date.now)());
  Object.assign(parts, deps.extra);

  const failing = Object.entries(parts)
    .filter(([, v]) => !v.ok)
    .map(([part, v]) => ({ part, reason: v.reason ?? "not ready" }));
  const warnings = Object.entries(parts).flatMap(([part, v]) =>
    v.ok && v.warning ? [{ part, warning: v.warning }] : [],
  );
  return { ready: failing.length === 0, failing, warnings, parts };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** For the embedded store: "disk full" when its file system has (almost) no room left. */
function diskFull(store: Store): string | null {
  if (store.dialect !== "sqlite") return null;
  const low = lowDiskSpace(store.location);
  return low ? `disk full: ${low}` : null;
}
