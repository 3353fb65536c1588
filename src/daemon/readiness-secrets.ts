import type { VaultStatus } from "../vault/vault.js";
import type { PartVerdict } from "./readiness.js";

/** A served certificate this close to its end is announced in /readyz, while it still works. */
export const CERTIFICATE_WARNING_MS = 14 * 24 * 3_600_000;

/**
 * The served certificate (`http.tls.cert`): not ready once it has expired
 * (every client refuses it), a warning in its last 14 days. It is the one
 * read at start: a renewed file is served after a restart, which the warning
 * says.
 */
export function certificateVerdict(
  certificate: { file: string; validTo: string },
  now: number,
): PartVerdict {
  const leftMs = Date.parse(certificate.validTo) - now;
  const days = Math.floor(leftMs / (24 * 3_600_000));
  const facts = { validTo: certificate.validTo, daysLeft: days };
  if (leftMs <= 0)
    return {
      ok: false,
      reason: `the served certificate (${certificate.file}) expired at ${certificate.validTo}: clients refuse the API; renew it and restart clawops`,
      ...facts,
    };
  if (leftMs <= CERTIFICATE_WARNING_MS)
    return {
      ok: true,
      warning: `the served certificate (${certificate.file}) expires in ${days} day(s), at ${certificate.validTo}: renew it and restart clawops`,
      ...facts,
    };
  return { ok: true, ...facts };
}

/**
 * The credential vault: not ready while records it keeps cannot be read
 * (their key missing, wrong or not configured: provisioning and token
 * rotation would fail on them). A vault nobody uses (no record) is fine
 * without a key.
 */
export function vaultVerdict(status: VaultStatus): PartVerdict {
  const facts = { records: status.records, currentKeyId: status.currentKeyId };
  if (status.records === 0) return { ok: true, ...facts };
  if (status.problems.length > 0)
    return { ok: false, reason: `vault: ${status.problems.join("; ")}`, ...facts };
  if (status.toRotate > 0)
    return {
      ok: true,
      warning: `${status.toRotate} record(s) are not under the current key "${status.currentKeyId}": run clawops vault rotate`,
      ...facts,
    };
  return { ok: true, ...facts };
}
