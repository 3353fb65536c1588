import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import type { SessionRecord } from "../../src/core/session.js";
import { sleep } from "../../src/core/time.js";
import { stringify } from "yaml";
import {
  GATEWAY_RUNTIME,
  type GatewayRuntime,
  acquireGatewaySlot,
  minimalGatewayConfig,
  supervisedClawopsConfig,
} from "../harness/gateway.js";
import { type CliResult, type RunningDaemon, freePort, runCli, startUp, tempDir } from "./cli.js";
import { registerSecret } from "./witness.js";

export type GatewayConfig = ReturnType<typeof minimalGatewayConfig>;

export interface SupervisedOptions {
  /** Temp dir prefix. */
  prefix: string;
  /** The bot's name (`clawops bot add NAME`). */
  bot: string;
  llmBaseUrl: string;
  /** Which OpenClaw runs the gateway (default the pinned 2026.9.6). */
  runtime?: GatewayRuntime;
  /** `--owner` of the bot. */
  owner?: string;
  /** The fake model's price in the gateway's config (USD per million tokens): the gateway prices its answers. */
  modelCost?: GatewayConfig["models"]["providers"]["fake"]["models"][number]["cost"];
  /** Changes the gateway's config before it is written. */
  editConfig?: (config: GatewayConfig) => void;
  /** More of clawops.yaml, over `supervisedClawopsConfig`'s (`supervisor.onExit: keep` is set). */
  clawops?: Record<string, unknown>;
  /** Environment of `clawops up` (a notifier's token, say). */
  env?: Record<string, string>;
}

/** One bot's gateway supervised by a real `clawops up`, driven through the CLI. */
export interface Supervised {
  dir: string;
  botDir: string;
  configPath: string;
  stateDir: string;
  /** The gateway's port and clawops's HTTP port. */
  port: number;
  httpPort: number;
  token: string;
  cli(args: string[]): Promise<CliResult>;
  /** Runs a command with `--json`, expects exit 0 and parses its output. */
  json<T>(args: string[]): Promise<T>;
  /**
   * Polls `GET /api/v1/sessions` (a CLI run would cost a Node start a poll, which tests
   * time) until a session matches; throws naming `what` after `timeoutMs`.
   */
  sessionWhere(
    match: (s: SessionRecord) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<SessionRecord>;
  /** `fetch` of clawops's `/api/v1` + `route` with the local CLI's credential. */
  api(route: string, init?: RequestInit): Promise<Response>;
  /** The running `clawops up`; null between `stopDaemon` and `startDaemon`. */
  daemon(): RunningDaemon | null;
  /** Stops `clawops up`; the gateway keeps running (`onExit: keep`). */
  stopDaemon(): Promise<void>;
  startDaemon(): Promise<RunningDaemon>;
  /** Stops the bot and clawops, frees the gateway slot and removes the temp dir. */
  close(): Promise<void>;
}

/**
 * The end-to-end set-up several suites share: a gateway config for the fake
 * LLM, `clawops up` on it, then `clawops bot add` and `clawops bot start`
 * as an operator would type them. Takes one of the machine's gateway slots.
 */
export async function upWithGateway(options: SupervisedOptions): Promise<Supervised> {
  const release = await acquireGatewaySlot();
  const scratch = tempDir(options.prefix);
  const dir = scratch.dir;
  const botDir = path.join(dir, options.bot);
  const configPath = path.join(botDir, "openclaw.json");
  const stateDir = path.join(botDir, "state");
  const runtime = options.runtime ?? GATEWAY_RUNTIME;
  let daemon: RunningDaemon | null = null;
  const cli = (args: string[]) => runCli(args, { cwd: dir });
  try {
    const httpPort = await freePort();
    const port = await freePort();
    const token = registerSecret(
      `${options.bot}-${"t".repeat(40)}`,
      `${options.bot}'s gateway token`,
    );
    mkdirSync(stateDir, { recursive: true });
    const config = minimalGatewayConfig({
      dir: botDir,
      port,
      token,
      llmBaseUrl: options.llmBaseUrl,
    });
    if (options.modelCost) config.models.providers.fake.models[0]!.cost = options.modelCost;
    options.editConfig?.(config);
    const written = runtime.adaptConfig?.(config) ?? config;
    writeFileSync(configPath, JSON.stringify(written, null, 2));
    const base = supervisedClawopsConfig(dir, httpPort, { supervisor: { onExit: "keep" } });
    writeFileSync(
      path.join(dir, "clawops.yaml"),
      stringify({
        ...base,
        openclaw: { bin: runtime.openclaw, node: runtime.node },
        ...options.clawops,
        supervisor: {
          ...base.supervisor,
          onExit: "keep",
          ...(options.clawops?.supervisor as Record<string, unknown> | undefined),
        },
      }),
    );
    const up = () =>
      startUp({ cwd: dir, port: httpPort, ...(options.env ? { env: options.env } : {}) });
    daemon = await up();
    const api = (route: string, init?: RequestInit) => {
      if (!daemon) throw new Error("clawops up is stopped");
      return daemon.fetch(`/api/v1${route}`, init);
    };
    const add = ["bot", "add", options.bot, "--port", String(port), "--config", configPath];
    add.push("--state-dir", stateDir, ...(options.owner ? ["--owner", options.owner] : []));
    const added = await cli(add);
    expect(added.code, added.stderr).toBe(0);
    const started = await cli(["bot", "start", options.bot]);
    expect(started.code, `${started.stdout}\n${started.stderr}`).toBe(0);
    return {
      dir,
      botDir,
      configPath,
      stateDir,
      port,
      httpPort,
      token,
      cli,
      async json<T>(args: string[]) {
        const result = await cli([...args, "--json"]);
        expect(result.code, result.stderr).toBe(0);
        return JSON.parse(result.stdout) as T;
      },
      async sessionWhere(match, what, timeoutMs = 15_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const listed = (await api("/sessions")
            .then((r) => r.json())
            .catch(() => ({ sessions: [] }))) as { sessions: SessionRecord[] };
          const found = listed.sessions.find(match);
          if (found) return found;
          if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(listed.sessions)}`);
          await sleep(100);
        }
      },
      api,
      daemon: () => daemon,
      async stopDaemon() {
        await daemon?.stop("SIGTERM");
        daemon = null;
      },
      async startDaemon() {
        daemon = await up();
        return daemon;
      },
      async close() {
        await cli(["bot", "stop", options.bot]);
        await daemon?.stop("SIGTERM");
        release();
        scratch.remove();
      },
    };
  } catch (error) {
    await daemon?.stop("SIGKILL");
    release();
    scratch.remove();
    throw error;
  }
}
