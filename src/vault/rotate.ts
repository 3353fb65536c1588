import { isOpsError } from "../core/errors.js";
import type { VaultStore, Rewrap } from "../store/vault-store.js";
import { rewrapEnvelope } from "./envelope.js";
import type { KeyRing } from "./keyring.js";

export interface RotateProgress {
  /** Records handled so far (re-wrapped, changed meanwhile or refused) of `total`. */
  done: number;
  total: number;
  rewrapped: number;
}

export interface RotateOptions {
  /** Records re-wrapped per transaction (`vault.rotateBatchSize`). */
  batchSize: number;
  /** Stops after the batch in flight: every record is then under its old key or the new one. */
  signal?: AbortSignal;
  /** Called after each batch. */
  onProgress?: (progress: RotateProgress) => void;
}

/** A record rotation could not re-wrap, with the vault's error: it stays under its old key. */
export interface RotateFailure {
  name: string;
  kekId: string;
  code: string;
  message: string;
}

export interface RotateReport {
  /** The current key: every record re-wrapped is under it. */
  keyId: string;
  /** Records not under the current key when rotation started. */
  total: number;
  rewrapped: number;
  /** Records replaced or removed while rotation ran (a new value is sealed under the current key). */
  changedMeanwhile: number;
  failed: RotateFailure[];
  /** Stopped by the signal before the end. */
  interrupted: boolean;
  /** Records still not under the current key at the end. */
  remaining: number;
}

/**
 * Re-wraps the data key of every record not under the current key, in
 * batches of `batchSize` records, each batch one transaction and each record
 * a compare-and-swap (kysely-vault-store.ts `rewrap`): at every moment each
 * record is under its old key or the new one, never neither, so rotation is
 * safe to interrupt and to run again (it resumes with what is left), and a
 * put during rotation is never undone. Each record is authenticated with its
 * old key before it is re-wrapped; one that fails (unknown, missing or wrong
 * key, tampered) is reported in `failed` and left as it is. Throws the
 * current key's `VAULT_KEY_MISSING`/`VAULT_KEY_INVALID` before any change.
 */
export async function rotateVault(
  deps: { store: VaultStore; keys: KeyRing },
  options: RotateOptions,
): Promise<RotateReport> {
  const { store, keys } = deps;
  const to = keys.current();
  const notUnder = async () =>
    (await store.countByKek()).filter((c) => c.kekId !== to.id).reduce((n, c) => n + c.records, 0);
  const report: RotateReport = {
    keyId: to.id,
    total: await notUnder(),
    rewrapped: 0,
    changedMeanwhile: 0,
    failed: [],
    interrupted: false,
    remaining: 0,
  };
  let after: string | null = null;
  for (;;) {
    if (options.signal?.aborted) {
      report.interrupted = true;
      break;
    }
    const page = await store.listNotUnder(to.id, after, options.batchSize);
    if (page.length === 0) break;
    after = page.at(-1)!.name;
    const changes: Rewrap[] = [];
    for (const record of page) {
      try {
        changes.push({
          from: record,
          to: { ...record, ...rewrapEnvelope(keys.key(record.kekId), to, record) },
        });
      } catch (error) {
        if (!isOpsError(error) || !error.code.startsWith("VAULT_")) throw error;
        report.failed.push({
          name: record.name,
          kekId: record.kekId,
          code: error.code,
          message: error.message,
        });
      }
    }
    const replaced = await store.rewrap(changes);
    report.rewrapped += replaced;
    report.changedMeanwhile += changes.length - replaced;
    options.onProgress?.({
      done: report.rewrapped + report.changedMeanwhile + report.failed.length,
      total: report.total,
      rewrapped: report.rewrapped,
    });
  }
  report.remaining = await notUnder();
  return report;
}
