import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { type Command, Option } from "commander";
import { formatDurationMs } from "../../core/duration.js";
import { OpsError, errorMessage } from "../../core/errors.js";
import { requireBot } from "../../fleet/registry.js";
import { type AuthMode, resolveAuthMode } from "../../gateway/auth.js";
import { DeviceKeyring } from "../../gateway/device-identity.js";
import {
  type GatewayInspection,
  type GatewayUrls,
  inspectGateway,
  resolveGatewayUrls,
} from "../../gateway/inspect.js";
import { gatewayTokenFrom, readOpenClawConfig } from "../../gateway/openclaw-config.js";
import type { ProbeResult } from "../../gateway/probes.js";
import { act } from "../act.js";
import { type CommandOptions, loadCliConfig, withRegistry } from "../context.js";
import { EXIT, emit } from "../output.js";
import { parseCount, parseDuration } from "../arguments.js";

interface ProbeOptions extends CommandOptions {
  token?: string;
  tokenFile?: string;
  auth: AuthMode;
  timeout: number;
  samples: number;
}

export function registerGatewayCommands(program: Command) {
  const gateway = program.command("gateway").description("talk to OpenClaw gateways directly");
  gateway
    .command("probe")
    .argument(
      "<target>",
      "a gateway URL (ws://, http://, host:port, or a port on loopback) or a bot",
    )
    .description(
      "report reachability, version, protocol, auth, health, readiness and round-trip latencies",
    )
    .option(
      "--token <token>",
      "the gateway's shared token (prefer OPENCLAW_GATEWAY_TOKEN or --token-file: argv is visible in ps)",
    )
    .option("--token-file <file>", "read the shared token from this file")
    .addOption(
      new Option("--auth <mode>", "backend client, device identity, or auto (by host)")
        .choices(["auto", "backend", "device"])
        .default("auto"),
    )
    .option("--timeout <duration>", "budget for each probe and the handshake", parseDuration, 5_000)
    .option("--samples <n>", "health RPC round trips to time", parseCount(1000), 5)
    .option("--json", "print JSON")
    .action(
      act(async (options: ProbeOptions, target: string) => {
        const { config } = loadCliConfig(options);
        const resolved = await resolveTarget(options, target);
        const token = resolveToken(options, resolved.configPath);
        const mode = resolveAuthMode({
          url: resolved.urls.wsUrl,
          mode: options.auth,
          protocols: { min: 0, max: 0 },
        });
        // Only a device handshake needs the keyring: a loopback probe creates no files.
        const keyring =
          mode === "device"
            ? DeviceKeyring.open(path.join(config.dataDir, "device-identity.json"))
            : undefined;
        const report = await inspectGateway(resolved.urls, {
          token: token ?? undefined,
          auth: options.auth,
          keyring,
          timeoutMs: options.timeout,
          samples: options.samples,
        });
        const answer = { bot: resolved.bot, tokenSource: tokenSource(options, token), ...report };
        emit(options, answer, renderInspection);
        return report.verdict === "healthy" ? EXIT.ok : EXIT.failure;
      }),
    );
}

interface ResolvedTarget {
  urls: GatewayUrls;
  bot: string | null;
  configPath: string | null;
}

async function resolveTarget(options: ProbeOptions, target: string): Promise<ResolvedTarget> {
  const urls = resolveGatewayUrls(target);
  if (urls) return { urls, bot: null, configPath: null };
  const bot = await withRegistry(options, ({ store }) => requireBot(store, target)).catch(
    (error: unknown) => {
      if (error instanceof OpsError && error.code === "NOT_FOUND") {
        throw new OpsError(
          "USAGE",
          `"${target}" is neither a gateway address (ws://host:port, host:port, port) nor a registered bot`,
        );
      }
      throw error;
    },
  );
  return {
    urls: { httpUrl: `http://127.0.0.1:${bot.port}`, wsUrl: `ws://127.0.0.1:${bot.port}/` },
    bot: bot.name,
    configPath: bot.configPath,
  };
}

/** --token, then --token-file, then OPENCLAW_GATEWAY_TOKEN, then the bot's openclaw.json. */
function resolveToken(options: ProbeOptions, configPath: string | null): string | null {
  if (options.token) return options.token;
  if (options.tokenFile) {
    try {
      return readFileSync(options.tokenFile, "utf8").trim();
    } catch (error) {
      throw new OpsError("USAGE", `--token-file ${options.tokenFile}: ${errorMessage(error)}`);
    }
  }
  if (process.env.OPENCLAW_GATEWAY_TOKEN) return process.env.OPENCLAW_GATEWAY_TOKEN;
  if (configPath && existsSync(configPath)) return gatewayTokenFrom(readOpenClawConfig(configPath));
  return null;
}

function tokenSource(options: ProbeOptions, token: string | null): string {
  if (!token) return "none";
  if (options.token) return "--token";
  if (options.tokenFile) return "--token-file";
  if (process.env.OPENCLAW_GATEWAY_TOKEN) return "OPENCLAW_GATEWAY_TOKEN";
  return "bot config";
}

function renderInspection(r: GatewayInspection & { bot: string | null; tokenSource: string }) {
  const ms = (value: number | null | undefined) => (value == null ? "-" : `${value}ms`);
  const probe = (name: string, result: ProbeResult<unknown>) =>
    result.ok
      ? `${name} ${result.status} ${ms(result.latencyMs)}`
      : `${name} ${result.failure}${result.status ? ` (HTTP ${result.status})` : ""}`;
  const lines = [
    `gateway  ${r.target.wsUrl}${r.bot ? `  (bot ${r.bot})` : ""}`,
    `verdict  ${r.verdict.toUpperCase()}: ${r.summary}`,
  ];
  if (r.version.value) {
    lines.push(
      `version  ${r.version.value} (from ${r.version.source === "startupz" ? "/startupz" : "hello-ok"}; ${r.version.support?.note})`,
    );
  }
  const { healthz, startupz, readyz } = r.http.probes;
  lines.push(
    `http     ${[probe("/healthz", healthz), probe("/startupz", startupz), probe("/readyz", readyz)].join(" · ")}`,
  );
  if (r.http.isOpenClaw) {
    const loop = r.http.eventLoop;
    lines.push(
      `ready    ${r.http.ready ? "yes" : `no (failing: ${r.http.failing.join(", ") || "-"})`}` +
        (r.http.uptimeMs != null ? ` · up ${formatDurationMs(r.http.uptimeMs)}` : "") +
        (loop ? ` · event loop p99 ${ms(loop.delayP99Ms)}${loop.degraded ? " DEGRADED" : ""}` : ""),
    );
  }
  if (r.connect?.ok) {
    const c = r.connect;
    lines.push(
      `connect  ok in ${ms(c.latencyMs)} · protocol ${c.protocol} · ${c.authMode} client · auth ${c.authMethod ?? "?"} (token from ${r.tokenSource}) · ${c.methods} methods`,
      `scopes   ${c.scopes.join(", ") || "(none)"}`,
    );
  } else if (r.connect) {
    lines.push(`connect  FAILED after ${ms(r.connect.latencyMs)}: ${r.connect.message}`);
    if (r.tokenSource === "none" && r.connect.code === "GATEWAY_AUTH_REJECTED") {
      lines.push(
        "         give the token (gateway.auth.token) with --token-file FILE or OPENCLAW_GATEWAY_TOKEN, or probe a registered bot",
      );
    }
  }
  if (r.health) {
    lines.push(
      r.health.ok
        ? `health   ok · rpc median ${ms(r.health.medianMs)}, max ${ms(r.health.maxMs)} (${r.health.samplesMs.length} samples)`
        : `health   FAILED: ${r.health.error ?? "the gateway reports ok:false"}`,
    );
  }
  return lines.join("\n");
}
