/**
 * What the issue 19 benches share: a folder with GATEWAYS real OpenClaw
 * gateways declared desired-running in clawops.yaml (`fleet.bots`), the fake
 * LLM behind them, and a built `clawops up` to bring them back. Holds one
 * gateway slot per gateway (test/harness/gateway.ts: at most three live on
 * this machine, whoever runs them).
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, readlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import type { GatewayInstance } from "../src/core/gateway-state.js";
import { sleep } from "../src/core/time.js";
import { listPids } from "../src/system/proc.js";
import { type FakeLlm, startFakeLlm } from "../test/harness/fake-llm.js";
import {
  acquireGatewaySlot,
  gatewayRuntimeAvailable,
  minimalGatewayConfig,
  supervisedClawopsConfig,
} from "../test/harness/gateway.js";
import { type RunningDaemon, freePort, startUp, tempDir } from "../test/helpers/cli.js";
import { buildOnce } from "./ingest-fleet.js";

export interface FleetBot {
  name: string;
  port: number;
  token: string;
  stateDir: string;
}

export interface RealFleet {
  dir: string;
  dataDir: string;
  llm: FakeLlm;
  bots: FleetBot[];
  daemon: RunningDaemon | null;
  /** `clawops up` in the folder, once its /readyz answers (the gateways boot after). */
  up(): Promise<RunningDaemon>;
  /** The gateways as the daemon reports them. */
  gateways(): Promise<GatewayInstance[]>;
  /** Resolves when every gateway is running; throws after `timeoutMs`. */
  allRunning(timeoutMs: number): Promise<GatewayInstance[]>;
  /** Stops the daemon and its gateways, kills anything left under the folder, removes it. */
  close(): Promise<void>;
}

export async function realFleet(options: {
  prefix: string;
  gateways: number;
  /** clawops.yaml keys beside the supervised defaults (`supervisor` is merged into them). */
  clawops?: { supervisor?: Record<string, unknown> } & Record<string, unknown>;
}): Promise<RealFleet> {
  if (!gatewayRuntimeAvailable()) throw new Error("run scripts/install-gateway-runtime.sh first");
  buildOnce();
  const releases: (() => void)[] = [];
  for (let i = 0; i < options.gateways; i++) releases.push(await acquireGatewaySlot());
  const scratch = tempDir(options.prefix);
  const dir = scratch.dir;
  const llm = await startFakeLlm();
  const httpPort = await freePort();
  const bots: FleetBot[] = [];
  for (let i = 0; i < options.gateways; i++) {
    const name = `gw${i + 1}`;
    const botDir = path.join(dir, name);
    const stateDir = path.join(botDir, "state");
    mkdirSync(stateDir, { recursive: true });
    const bot = { name, port: await freePort(), token: randomUUID().replaceAll("-", ""), stateDir };
    const config = minimalGatewayConfig({
      dir: botDir,
      port: bot.port,
      token: bot.token,
      llmBaseUrl: llm.baseUrl,
    });
    writeFileSync(path.join(botDir, "openclaw.json"), JSON.stringify(config, null, 2));
    bots.push(bot);
  }
  const base = supervisedClawopsConfig(dir, httpPort);
  const { supervisor, ...rest } = options.clawops ?? {};
  writeFileSync(
    path.join(dir, "clawops.yaml"),
    stringify({
      ...base,
      supervisor: { ...base.supervisor, ...supervisor },
      fleet: {
        bots: bots.map((bot) => ({
          name: bot.name,
          port: bot.port,
          stateDir: bot.stateDir,
          configPath: path.join(dir, bot.name, "openclaw.json"),
          desiredState: "running",
        })),
      },
      ...rest,
    }),
  );
  const fleet: RealFleet = {
    dir,
    dataDir: base.dataDir,
    llm,
    bots,
    daemon: null,
    async up() {
      fleet.daemon = await startUp({ cwd: dir, port: httpPort });
      return fleet.daemon;
    },
    async gateways() {
      const response = await fleet.daemon!.fetch("/api/v1/status");
      return ((await response.json()) as { gateways: GatewayInstance[] }).gateways;
    },
    async allRunning(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const gateways = await fleet.gateways().catch(() => []);
        if (gateways.length === bots.length && gateways.every((g) => g.state === "running"))
          return gateways;
        if (Date.now() > deadline)
          throw new Error(
            `not all running after ${timeoutMs} ms: ${gateways.map((g) => `${g.state} (${g.reason})`).join(", ")}`,
          );
        await sleep(100);
      }
    },
    async close() {
      await fleet.daemon?.stop("SIGTERM").catch(() => undefined);
      for (const pid of listPids()) if (workingIn(pid, dir)) process.kill(pid, "SIGKILL");
      await llm.close();
      for (const release of releases) release();
      scratch.remove();
    },
  };
  return fleet;
}

/** True when the process works inside `dir` (gateways rename themselves: their command line says nothing). */
function workingIn(pid: number, dir: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/cwd`).startsWith(dir);
  } catch {
    return false;
  }
}
