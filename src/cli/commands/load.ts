import path from "node:path";
import type { Command } from "commander";
import { assertNotBudgetPaused } from "../../budget/ledger.js";
import { resolveLimits } from "../../budget/settings.js";
import { formatDurationMs } from "../../core/duration.js";
import { OpsError } from "../../core/errors.js";
import { requireBot } from "../../fleet/registry.js";
import { isLoopbackUrl } from "../../gateway/auth.js";
import { writeFileAtomic } from "../../system/files.js";
import type { LoadProgress, LoadTarget } from "../../loadtest/runner.js";
import { runLoad } from "../../loadtest/runner.js";
import { type LoadReport, renderMarkdown } from "../../loadtest/report.js";
import { BUILT_IN_SCENARIOS, resolveScenario } from "../../loadtest/scenario.js";
import { act } from "../act.js";
import { parseCount, parseDuration } from "../arguments.js";
import { botGatewayAccess } from "../bot-gateway.js";
import { type CommandOptions, loadCliConfig, withRegistry } from "../context.js";
import { EXIT, emit } from "../output.js";

interface LoadOptions extends CommandOptions {
  scenario: string;
  users?: number;
  messages?: number;
  tokenEnv: string;
  maxConnections: number;
  maxRate: number;
  maxDuration: number;
  reportJson?: string;
  reportMd?: string;
  progress: boolean;
}

/** `clawops load TARGET...`: protocol v4 load against bots or loopback gateway URLs, with a verdict. */
export function registerLoad(program: Command) {
  program
    .command("load")
    .argument("<targets...>", "bot names, or ws:// URLs of gateways on this host")
    .description(
      "send chat load to gateways over their own protocol (connect, chat.send, the final reply) and report percentiles",
    )
    .option(
      "--scenario <name|file>",
      `a built-in scenario (${[...BUILT_IN_SCENARIOS.keys()].join(", ")}) or a .yaml/.json file`,
      "smoke",
    )
    .option("--users <n>", "override the scenario's users", parseCount(1_000_000))
    .option("--messages <n>", "override the scenario's messages per user", parseCount(1_000_000))
    .option(
      "--token-env <name>",
      "environment variable holding the token for URL targets (bots use their own config's)",
      "OPENCLAW_GATEWAY_TOKEN",
    )
    .option(
      "--max-connections <n>",
      "refuse a scenario holding more connections",
      parseCount(1_000_000),
      1_000,
    )
    .option(
      "--max-rate <n>",
      "at most this many messages a second, all targets together",
      parseCount(1_000_000),
      50,
    )
    .option("--max-duration <duration>", "stop the run after this long", parseDuration, 600_000)
    .option("--report-json <file>", "write the report as JSON")
    .option("--report-md <file>", "write the report as Markdown")
    .option("--no-progress", "no live progress line on stderr")
    .option("--json", "print the report as JSON")
    .action(
      act(async (options: LoadOptions, targetArgs: string[]) => {
        const scenario = resolveScenario(options.scenario, {
          users: options.users,
          messages: options.messages,
        });
        const targets = await resolveTargets(options, targetArgs);
        const abort = new AbortController();
        const interrupt = () => abort.abort();
        process.once("SIGINT", interrupt);
        const progress = options.progress && !options.json ? progressLine() : null;
        let report: LoadReport;
        try {
          report = await runLoad({
            scenario,
            targets,
            bounds: {
              maxConnections: options.maxConnections,
              maxRate: options.maxRate,
              maxDurationMs: options.maxDuration,
            },
            signal: abort.signal,
            ...(progress ? { onProgress: progress.show } : {}),
          });
        } finally {
          progress?.end();
          process.off("SIGINT", interrupt);
        }
        if (options.reportJson)
          writeReport(options.reportJson, `${JSON.stringify(report, null, 2)}\n`);
        if (options.reportMd) writeReport(options.reportMd, renderMarkdown(report));
        emit(options, report, renderMarkdown);
        return report.passed ? EXIT.ok : EXIT.failure;
      }),
    );
}

/**
 * Bots by name (their gateway on loopback, their config's token; a bot its
 * budget paused is refused) and URLs, which must be on this host: load goes
 * to loopback only.
 */
async function resolveTargets(
  options: LoadOptions,
  args: readonly string[],
): Promise<LoadTarget[]> {
  const urls = args.filter((a) => /^[a-z]+:\/\//i.test(a));
  const names = args.filter((a) => !urls.includes(a));
  const targets: LoadTarget[] = [];
  for (const raw of urls) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new OpsError("USAGE", `${raw} is not a URL`);
    }
    if (url.protocol === "http:" || url.protocol === "https:")
      url.protocol = url.protocol === "http:" ? "ws:" : "wss:";
    if (url.protocol !== "ws:" && url.protocol !== "wss:")
      throw new OpsError("USAGE", `${raw}: a gateway URL is ws:// or wss://`);
    if (!isLoopbackUrl(url.href)) {
      throw new OpsError(
        "USAGE",
        `${raw}: load goes to gateways on this host only (loopback); run clawops load on the gateway's own host`,
      );
    }
    const token = process.env[options.tokenEnv];
    if (!token) {
      throw new OpsError(
        "USAGE",
        `${raw}: set the gateway's token in ${options.tokenEnv} (or name another variable with --token-env)`,
      );
    }
    targets.push({ name: url.host, url: url.href, token });
  }
  if (names.length > 0) {
    const loaded = loadCliConfig(options);
    const bots = await withRegistry(
      options,
      async ({ store, config }) => {
        const found = [];
        for (const name of names) {
          const bot = await requireBot(store, name);
          // Load spends tokens like any chat: a bot its budget paused takes none.
          await assertNotBudgetPaused(store, resolveLimits(config.budgets), bot, Date.now());
          found.push(bot);
        }
        return found;
      },
      loaded,
    );
    for (const bot of bots) targets.push({ name: bot.name, ...botGatewayAccess(bot, loaded) });
  }
  const seen = new Set<string>();
  for (const t of targets) {
    if (seen.has(t.url)) throw new OpsError("USAGE", `${t.name} is named twice (${t.url})`);
    seen.add(t.url);
  }
  return targets;
}

/** One line on stderr, redrawn each second on a terminal; a plain line every 5 s elsewhere. */
function progressLine(out: NodeJS.WriteStream = process.stderr) {
  let printed = 0;
  const line = (p: LoadProgress) =>
    `${formatDurationMs(p.elapsedMs)}  ${p.open} open  ${p.replied}/${p.sent} replied  ${p.failed} failed  ${p.inFlight} in flight  ${p.repliesPerSecond}/s${p.replyP95Ms === null ? "" : `  reply p95 ${Math.round(p.replyP95Ms)} ms`}`;
  return {
    show: (p: LoadProgress) => {
      if (out.isTTY) out.write(`\r\x1b[2K${line(p)}`);
      else if (p.elapsedMs - printed >= 5_000) {
        printed = p.elapsedMs;
        out.write(`${line(p)}\n`);
      }
    },
    end: () => {
      if (out.isTTY) out.write("\r\x1b[2K");
    },
  };
}

/** Temp file and rename (writeFileAtomic): a report is never left half-written. */
function writeReport(file: string, text: string): void {
  const target = path.resolve(file);
  try {
    writeFileAtomic(target, text);
  } catch (error) {
    throw new OpsError(
      "USAGE",
      `cannot write ${target}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}
