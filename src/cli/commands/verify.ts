import path from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { formatDurationMs } from "../../core/duration.js";
import { OpsError } from "../../core/errors.js";
import { DoctorService } from "../../doctor/service.js";
import { resolveDoctorTargets } from "../../doctor/targets.js";
import { requireBot } from "../../fleet/registry.js";
import { isLoopbackUrl } from "../../gateway/auth.js";
import { GatewayClient } from "../../gateway/client.js";
import { DeviceKeyring } from "../../gateway/device-identity.js";
import type { DevicePairing } from "../../verify/browser.js";
import { botDoctor } from "../../verify/doctor-step.js";
import {
  type VerifyReport,
  type VerifyStep,
  type VerifyTarget,
  runVerify,
} from "../../verify/verify.js";
import { act } from "../act.js";
import { parseDuration } from "../arguments.js";
import { botGatewayAccess } from "../bot-gateway.js";
import { type CommandOptions, loadCliConfig, withRegistry } from "../context.js";
import { EXIT, emit } from "../output.js";

interface VerifyOptions extends CommandOptions {
  url?: string;
  browser: string | false;
  tokenEnv: string;
  prompt: string;
  timeout: number;
  chatTimeout: number;
  deep?: boolean;
}

const MARK = { pass: "ok  ", fail: "FAIL", skip: "skip" } as const;

/** `clawops verify BOT|URL`: after a deploy, does a user's first chat work? Each step with a verdict. */
export function registerVerify(program: Command) {
  program
    .command("verify")
    .argument("<target>", "a bot name, or the gateway's URL (http(s)://host[:port][/prefix])")
    .description(
      "after a deploy: probes, the doctor, the WebSocket handshake through the public URL, a real chat turn and the Control UI in a real browser, each with a verdict; exit 0 only when all pass",
    )
    .option(
      "--url <url>",
      "the URL users reach the bot at (its reverse proxy); a bot's own port by default",
    )
    .option(
      "--token-env <name>",
      "environment variable holding the token for a URL target (a bot's comes from its config)",
      "OPENCLAW_GATEWAY_TOKEN",
    )
    .option("--prompt <text>", "what the chat step says", "Reply with the word OK.")
    .option(
      "--timeout <duration>",
      "budget for each probe and the handshake",
      parseDuration,
      15_000,
    )
    .option("--chat-timeout <duration>", "budget for the chat turn", parseDuration, 120_000)
    .option(
      "--browser <path>",
      "the Chromium that opens the Control UI (the browser step)",
      "/usr/bin/chromium",
    )
    .option("--no-browser", "skip the browser step")
    .option(
      "--deep",
      "the doctor runs OpenClaw's own lint too (openclaw doctor --lint: seconds more; a running gateway passed it at boot)",
    )
    .option("--json", "print JSON")
    .action(
      act(async (options: VerifyOptions, targetArg: string) => {
        const target = await resolveVerifyTarget(options, targetArg);
        const report = await runVerify(target, {
          prompt: options.prompt,
          timeoutMs: options.timeout,
          chatTimeoutMs: options.chatTimeout,
          browser: options.browser
            ? {
                executablePath: options.browser,
                screenshotDir: path.join(loadCliConfig(options).config.dataDir, "verify"),
              }
            : null,
          ...(options.json
            ? {}
            : { onStep: (step: VerifyStep) => process.stderr.write(`${stepLine(step)}\n`) }),
        });
        emit(options, report, renderSummary);
        return report.passed ? EXIT.ok : EXIT.failure;
      }),
    );
}

async function resolveVerifyTarget(options: VerifyOptions, arg: string): Promise<VerifyTarget> {
  const loaded = loadCliConfig(options);
  const keyringFor = (url: string) =>
    isLoopbackUrl(url.replace(/^http/, "ws"))
      ? undefined
      : DeviceKeyring.open(path.join(loaded.config.dataDir, "device-identity.json"));
  if (/^https?:\/\//i.test(arg)) {
    const token = process.env[options.tokenEnv];
    if (!token)
      throw new OpsError(
        "USAGE",
        `${arg}: set the gateway's token in ${options.tokenEnv} (or name another variable with --token-env)`,
      );
    const keyring = keyringFor(arg);
    return { name: new URL(arg).host, url: arg, token, ...(keyring ? { keyring } : {}) };
  }
  return withRegistry(
    options,
    async ({ store, config }) => {
      const bot = await requireBot(store, arg);
      const bots = await store.listBots();
      const { token } = botGatewayAccess(bot, loaded);
      const url = options.url ?? `http://127.0.0.1:${bot.port}`;
      if (!/^https?:\/\//i.test(url))
        throw new OpsError("USAGE", `--url ${url}: expected http(s)://...`);
      // The doctor needs the fleet as listed now, not the store: it runs in its step.
      const doctor = new DoctorService(config, async () => bots);
      const keyring = keyringFor(url);
      return {
        name: bot.name,
        url,
        token,
        doctor: botDoctor(
          doctor,
          resolveDoctorTargets(bots, { bot: bot.name })[0]!,
          options.deep ? "all" : "fast",
        ),
        ...(keyring ? { keyring } : {}),
        pairing: loopbackPairing(bot.port, token),
      };
    },
    loaded,
  );
}

/**
 * Device approval through the bot's own loopback port, where its token grants
 * the gateway's admin scopes: what an operator does with `openclaw devices`.
 */
function loopbackPairing(port: number, token: string): DevicePairing {
  const call = async (method: string, params: Record<string, unknown>) => {
    const admin = await GatewayClient.connect({
      url: `ws://127.0.0.1:${port}/`,
      token,
      reconnect: false,
    });
    try {
      await admin.request(method, params, z.looseObject({}));
    } finally {
      admin.close();
    }
  };
  return {
    approve: (requestId) => call("device.pair.approve", { requestId }),
    remove: (deviceId) => call("device.pair.remove", { deviceId }),
  };
}

function stepLine(step: VerifyStep): string {
  const head = `${MARK[step.verdict]}  ${step.title} (${formatDurationMs(step.durationMs)}): ${step.detail}`;
  return step.fix ? `${head}\n      fix: ${step.fix}` : head;
}

function renderSummary(report: VerifyReport): string {
  const verified =
    report.deployToVerifiedMs === null
      ? ""
      : `; deploy to verified ${formatDurationMs(report.deployToVerifiedMs)}`;
  return report.passed
    ? `${report.target.name} verified at ${report.target.url} in ${formatDurationMs(report.durationMs)}${verified}`
    : `${report.target.name} NOT verified at ${report.target.url}: ${report.steps
        .filter((s) => s.verdict === "fail")
        .map((s) => s.id)
        .join(", ")} failed`;
}
