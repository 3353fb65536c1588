import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { OpsError } from "../core/errors.js";
import { KEY_BYTES, type Kek, kekCheck } from "./envelope.js";
import type { VaultKeySettings, VaultSettings } from "./settings.js";

/** Base64 of exactly 32 bytes, padded (what `openssl rand -base64 32` prints). */
const KEY_BASE64 = /^[A-Za-z0-9+/]{43}=$/;
/** Never "make a new key" alone: a new key cannot read the records sealed by the lost one. */
const NEW_KEY_HINT = "the first key of a new vault: `openssl rand -base64 32` (docs/vault.md)";

/** A configured key as loaded: its bytes, or why they could not be read. Never the bytes themselves. */
export interface KeyInfo {
  id: string;
  /** The first configured key: what new records and rotation use. */
  current: boolean;
  /** Where it was read from: `env CLAWOPS_VAULT_KEY` or `file /etc/clawops/vault.key`. */
  source: string;
  /** Its check value (envelope.ts `kekCheck`) when it loaded; null otherwise. */
  check: string | null;
  /** Why it could not be loaded; null when it did. */
  problem: string | null;
}

type Loaded = { id: string; source: string } & ({ kek: Kek } | { problem: OpsError });

/**
 * The configured key-encryption keys, each loaded once. A key that cannot be
 * loaded is kept with its problem: it fails only the records that need it,
 * so `vault status` can show every key and the records under the others stay
 * readable.
 */
export class KeyRing {
  private constructor(private readonly keys: readonly Loaded[]) {}

  /** Reads every key of `settings` from `env` and the file system. Never throws. */
  static load(settings: VaultSettings, env: NodeJS.ProcessEnv = process.env): KeyRing {
    return new KeyRing(settings.keys.map((key) => loadKey(key, env)));
  }

  /** The id new records are sealed under (the first configured key). */
  get currentId(): string {
    return this.keys[0]!.id;
  }

  get ids(): string[] {
    return this.keys.map((k) => k.id);
  }

  /** The current key; throws `VAULT_KEY_MISSING` or `VAULT_KEY_INVALID` when it cannot be loaded. */
  current(): Kek {
    return this.key(this.currentId);
  }

  /**
   * The key of `id`. Throws `VAULT_KEY_UNKNOWN` when no key of that id is
   * configured, else the key's own loading problem.
   */
  key(id: string): Kek {
    const found = this.keys.find((k) => k.id === id);
    if (!found) {
      throw new OpsError(
        "VAULT_KEY_UNKNOWN",
        `vault key "${id}" is not configured (configured: ${this.ids.join(", ")}); add the key that had this id to vault.keys in clawops.yaml`,
        { details: { kekId: id, configured: this.ids } },
      );
    }
    if ("problem" in found) throw found.problem;
    return found.kek;
  }

  describe(): KeyInfo[] {
    return this.keys.map((k, index) => ({
      id: k.id,
      current: index === 0,
      source: k.source,
      check: "kek" in k ? kekCheck(k.kek.key) : null,
      problem: "problem" in k ? k.problem.message : null,
    }));
  }
}

function loadKey(key: VaultKeySettings, env: NodeJS.ProcessEnv): Loaded {
  const fromEnv = key.env ? env[key.env] : undefined;
  // A set variable wins, and an invalid one is an error: never a silent fall back to the file.
  if (fromEnv) {
    const source = `env ${key.env}`;
    return withProblem(key.id, source, () => parseKey(key.id, source, fromEnv));
  }
  if (key.file) {
    const file = key.file;
    const source = `file ${file}`;
    return withProblem(key.id, source, () => parseKey(key.id, source, readKeyFile(key.id, file)));
  }
  return {
    id: key.id,
    source: `env ${key.env}`,
    problem: new OpsError(
      "VAULT_KEY_MISSING",
      `vault key "${key.id}" is not set: set ${key.env} to the key that sealed its records (base64 of 32 bytes), or give the key a file in vault.keys; ${NEW_KEY_HINT}`,
      { details: { kekId: key.id, env: key.env } },
    ),
  };
}

function withProblem(id: string, source: string, load: () => Buffer): Loaded {
  try {
    return { id, source, kek: { id, key: load() } };
  } catch (error) {
    if (!(error instanceof OpsError)) throw error;
    return { id, source, problem: error };
  }
}

/** Never puts the text in the message: a near-miss key is still most of a key. */
function parseKey(id: string, source: string, text: string): Buffer {
  const trimmed = text.trim();
  if (!KEY_BASE64.test(trimmed)) {
    throw new OpsError(
      "VAULT_KEY_INVALID",
      `vault key "${id}" from ${source} is not base64 of ${KEY_BYTES} bytes (${trimmed.length} characters, expected 44); ${NEW_KEY_HINT}`,
      { details: { kekId: id, source } },
    );
  }
  return Buffer.from(trimmed, "base64");
}

/**
 * The file's text, after checking on the open descriptor (no race with a
 * chmod between check and read) that it is a regular file only its owner
 * can read or write.
 */
function readKeyFile(id: string, file: string): string {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code;
    throw new OpsError(
      "VAULT_KEY_MISSING",
      `vault key "${id}": cannot read key file ${file} (${why}); ${NEW_KEY_HINT}, written with \`(umask 077; openssl rand -base64 32 > ${file})\``,
      { cause: error, details: { kekId: id, file } },
    );
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      throw new OpsError("VAULT_KEY_INVALID", `vault key file ${file} is not a regular file`, {
        details: { kekId: id, file },
      });
    }
    if ((stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, "0");
      throw new OpsError(
        "VAULT_KEY_INVALID",
        `vault key file ${file} can be read or written by its group or others (mode ${mode}): refused; run \`chmod 600 ${file}\` (and check who could have copied it)`,
        { details: { kekId: id, file, mode } },
      );
    }
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}
