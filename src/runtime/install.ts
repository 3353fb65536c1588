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
import { nodePackageName, npmSays, resolveNode, resolveOpenClaw } from "./resolve-versions.js";

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
const NPM_TIMEOUT_MS = 20 * 60_000;

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
