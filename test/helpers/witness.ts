import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
} from "node:fs";
import path from "node:path";

/**
 * The suite's witness: a record of what clawops printed (every CLI run and
 * daemon output), served (every API answer) and stored (every store file a
 * test leaves behind), kept in one directory per `vitest run` and scanned for
 * the secrets the tests handed clawops once every test file has run
 * (test/global-setup.ts). Helpers record; tests only register their secrets.
 */
export const WITNESS_ENV = "TEST_WITNESS_DIR";

/** The store files clawops writes into its data dir (SQLite and its journal). */
const STORE_FILE = /^clawops\.db(-wal|-journal)?$/;

function witnessDir(): string | null {
  const dir = process.env[WITNESS_ENV];
  return dir && existsSync(dir) ? dir : null;
}

/** Registers a secret that clawops must never print, serve or store; returns it. */
export function registerSecret(value: string, label: string): string {
  const dir = witnessDir();
  if (dir) appendFileSync(path.join(dir, "secrets.jsonl"), `${JSON.stringify({ label, value })}\n`);
  return value;
}

/** Records text clawops printed or served. */
export function witnessText(kind: "printed" | "served", source: string, text: string): void {
  const dir = witnessDir();
  if (!dir || text.length === 0) return;
  mkdirSync(path.join(dir, kind), { recursive: true });
  appendFileSync(path.join(dir, kind, `${process.pid}.log`), `\n### ${source}\n${text}`);
}

/** Copies every clawops store file under `root` into the witness, before a test removes it. */
export function witnessStores(root: string): void {
  const dir = witnessDir();
  if (!dir) return;
  const into = path.join(dir, "stored");
  mkdirSync(into, { recursive: true });
  for (const file of findFiles(root, (name) => STORE_FILE.test(name))) {
    const name = `${process.pid}-${Date.now()}-${path.relative(root, file).replaceAll("/", "_")}`;
    copyFileSync(file, path.join(into, name));
  }
}

export interface Leak {
  label: string;
  kind: string;
  /** The witness file, and the source it recorded (a command, a URL) when known. */
  where: string;
}

export interface WitnessSummary {
  secrets: number;
  bytes: Record<"printed" | "served" | "stored", number>;
  leaks: Leak[];
}

/** Scans everything witnessed for every registered secret (bytes, so binary stores count too). */
export function scanWitness(dir: string): WitnessSummary {
  const secrets = readSecrets(dir);
  const summary: WitnessSummary = {
    secrets: secrets.length,
    bytes: { printed: 0, served: 0, stored: 0 },
    leaks: [],
  };
  for (const kind of ["printed", "served", "stored"] as const) {
    const sub = path.join(dir, kind);
    if (!existsSync(sub)) continue;
    for (const name of readdirSync(sub)) {
      const file = path.join(sub, name);
      const content = readFileSync(file);
      summary.bytes[kind] += content.length;
      for (const { label, value } of secrets) {
        const at = content.indexOf(value);
        if (at >= 0)
          summary.leaks.push({ label, kind, where: `${file}${sourceBefore(content, at)}` });
      }
    }
  }
  return summary;
}

function readSecrets(dir: string): { label: string; value: string }[] {
  const file = path.join(dir, "secrets.jsonl");
  if (!existsSync(file)) return [];
  const seen = new Map<string, string>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line) continue;
    const { label, value } = JSON.parse(line) as { label: string; value: string };
    // Short values would match by chance; the tests' secrets are long.
    if (value.length >= 8) seen.set(value, label);
  }
  return [...seen].map(([value, label]) => ({ label, value }));
}

/** The `### source` heading a leak sits under, for the report. */
function sourceBefore(content: Buffer, at: number): string {
  const heading = content.lastIndexOf("\n### ", at);
  if (heading < 0) return "";
  const end = content.indexOf("\n", heading + 1);
  return ` (under "${content.subarray(heading + 5, end < 0 ? undefined : end).toString()}")`;
}

function findFiles(root: string, wanted: (name: string) => boolean, depth = 6): string[] {
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const entry of entries) {
    const full = path.join(root, entry.name);
    if (entry.isDirectory() && depth > 0 && entry.name !== "node_modules")
      found.push(...findFiles(full, wanted, depth - 1));
    else if (entry.isFile() && wanted(entry.name) && statSync(full).size > 0) found.push(full);
  }
  return found;
}
