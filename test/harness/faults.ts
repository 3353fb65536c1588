import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { sleep } from "../../src/core/time.js";
import { readProcStartTime } from "../../src/system/proc.js";
import { GATEWAY_RUNTIME, isolatedGatewayEnv } from "./gateway.js";
import { registerSecret } from "../helpers/witness.js";

/**
 * The faults of issue 5, injected into a real gateway of a bot laid out as
 * the tests and the benchmark lay it out (`<botDir>/openclaw.json`,
 * `<botDir>/state`). Each returns what the caller must clean up.
 */
export interface BotFiles {
  botDir: string;
  stateDir: string;
  configPath: string;
}

export function gatewayPort(bot: BotFiles): number {
  return (JSON.parse(readFileSync(bot.configPath, "utf8")) as { gateway: { port: number } }).gateway
    .port;
}

/** Adds a root `providers` key (old provisioning scripts): the start gate refuses it, OpenClaw exits 78. */
export function breakConfig(bot: BotFiles, apiKey = "sk-broken-000000"): void {
  registerSecret(apiKey, "a broken config's plaintext key");
  const config = JSON.parse(readFileSync(bot.configPath, "utf8")) as object;
  const broken = { ...config, providers: { openai: { apiKey } } };
  writeFileSync(bot.configPath, JSON.stringify(broken, null, 2));
}

/** A JSON-era credential file beside the SQLite store: OpenClaw 2026.9.6 exits 1 at boot on it. */
export function writeLegacyAuth(bot: BotFiles): string {
  const agentDir = path.join(bot.stateDir, "agents", "main", "agent");
  mkdirSync(agentDir, { recursive: true });
  const file = path.join(agentDir, "auth-profiles.json");
  const profiles = {
    "fake:default": { type: "api_key", provider: "fake", key: "sk-legacy-1234567" },
  };
  writeFileSync(file, JSON.stringify({ version: 1, profiles }));
  return file;
}

/**
 * A gateway lock naming a live process that is not a gateway (a reused
 * pid): OpenClaw refuses to start on it with exit 78. Returns that process.
 */
export function writeReusedPidLock(bot: BotFiles): ChildProcess {
  const other = spawn("sleep", ["600"], { detached: true, stdio: "ignore" });
  const lockDir = path.join(bot.stateDir, "tmp", `openclaw-${process.getuid!()}`);
  mkdirSync(lockDir, { recursive: true });
  writeFileSync(
    path.join(lockDir, "gateway.state.lock"),
    JSON.stringify({
      pid: other.pid,
      ownerId: "00000000-0000-4000-8000-000000000000",
      createdAt: new Date().toISOString(),
      configPath: bot.configPath,
      stateDir: bot.stateDir,
      port: gatewayPort(bot),
      startTime: readProcStartTime(other.pid!),
    }),
  );
  return other;
}

/**
 * A gateway of the bot's own state dir and port, started by hand, then
 * SIGSTOPped once it answers: it holds the port and answers nothing.
 */
export async function startStaleGateway(bot: BotFiles, timeoutMs = 120_000): Promise<ChildProcess> {
  const port = gatewayPort(bot);
  for (const sub of ["home", "tmp"]) mkdirSync(path.join(bot.botDir, sub), { recursive: true });
  const stale = spawn(
    GATEWAY_RUNTIME.node,
    [GATEWAY_RUNTIME.openclaw, "gateway", "run", "--port", String(port), "--bind", "loopback"],
    {
      env: {
        ...isolatedGatewayEnv(bot.botDir),
        OPENCLAW_STATE_DIR: bot.stateDir,
        OPENCLAW_CONFIG_PATH: bot.configPath,
      },
      detached: true,
      stdio: "ignore",
    },
  );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (Date.now() > deadline || stale.exitCode !== null) {
      stale.kill("SIGKILL");
      throw new Error(`the hand-started gateway did not answer /healthz within ${timeoutMs}ms`);
    }
    await sleep(250);
  }
  process.kill(stale.pid!, "SIGSTOP");
  return stale;
}
