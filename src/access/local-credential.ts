import { readFileSync } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../system/files.js";

/**
 * The CLI's credential on the daemon's host: an owner token that the daemon
 * mints at every start (revoking the previous one) and writes here with mode
 * 0600, so that only the account the daemon runs as can read it. Why a file
 * and not a Unix socket: the CLI keeps speaking the same HTTP API, through
 * the same route table, roles and audit trail as everyone else.
 */
export function localCredentialPath(dataDir: string): string {
  return path.join(dataDir, "cli-credential");
}

export function writeLocalCredential(dataDir: string, token: string): void {
  writeFileAtomic(localCredentialPath(dataDir), `${token}\n`, 0o600);
}

/** The token in the file, or null when there is none (no daemon yet, or another user's). */
export function readLocalCredential(dataDir: string): string | null {
  try {
    const token = readFileSync(localCredentialPath(dataDir), "utf8").trim();
    return token === "" ? null : token;
  } catch {
    return null;
  }
}
