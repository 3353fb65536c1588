import type { Command } from "commander";
import type { LoadedConfig } from "../../config/load.js";
import { formatDurationMs } from "../../core/duration.js";
import { OpsError, isOpsError } from "../../core/errors.js";
import type { RepairPause, RepairRecord, RepairStats } from "../../core/repair.js";
import { describeAction } from "../../repair/messages.js";
import { RepairLedger } from "../../repair/ledger.js";
import { act } from "../act.js";
import { parseCount } from "../arguments.js";
import { type CommandOptions, loadCliConfig, withRegistry } from "../context.js";
import { callDaemon, daemonEndpoint } from "../daemon-client.js";
import { EXIT, emit, table } from "../output.js";

interface RepairOptions extends CommandOptions {
  dryRun?: boolean;
}

interface RepairsOptions extends CommandOptions {
  bot?: string;
  limit: number;
  stats?: boolean;
}

/** `clawops repair <bot>`, `clawops repairs`, `clawops pause [bot]`, `clawops resume [bot]`. */
export function registerRepairCommands(program: Command) {
  program
    .command("repair")
    .argument("<bot>", "bot name or id")
    .description(
      "repair a bot's gateway now: restart, then the deep fix the evidence supports, then the AI plan (if configured)",
    )
    .option("--dry-run", "show the plan and change nothing")
    .option("--json", "print JSON")
    .action(
      act(async (options: RepairOptions, name: string) => {
        const { config } = loadCliConfig(options);
        const query = options.dryRun ? "?dryRun=true" : "";
        const path = `/api/v1/bots/${encodeURIComponent(name)}/repair${query}`;
        if (process.stderr.isTTY && !options.json)
          process.stderr.write(
            `${options.dryRun ? "planning the repair of" : "repairing"} ${name}…\n`,
          );
        const timeoutMs =
          config.repair.verifyTimeout * 3 +
          config.supervisor.stopTimeout +
          config.repair.ai.timeout;
        const { repair } = await callDaemon<{ repair: RepairRecord }>(
          daemonEndpoint(config),
          path,
          {
            method: "POST",
            timeoutMs,
          },
        ).catch((error: unknown) => {
          if (!isOpsError(error) || error.code !== "TIMEOUT") throw error;
          throw new OpsError(
            "TIMEOUT",
            `${error.message}; the repair goes on in the daemon: see "clawops repairs --bot ${name}"`,
          );
        });
        emit(options, { repair }, ({ repair: r }) => renderRepair(r));
        return ["recovered", "planned", "skipped"].includes(repair.outcome)
          ? EXIT.ok
          : EXIT.failure;
      }),
    );

  program
    .command("repairs")
    .description("list repairs, newest first (trigger, tier, actions, outcome, durations)")
    .option("--bot <name>", "only this bot's repairs")
    .option("--limit <n>", "the newest N (1-1000)", parseCount(1000), 20)
    .option("--stats", "success rate, mean times to detect and to recover, escalation rate")
    .option("--json", "print JSON")
    .action(
      act(async (options: RepairsOptions) => {
        await withLedger(options, async (ledger) => {
          if (options.stats) {
            const stats = await ledger.stats(options.bot);
            emit(options, { stats }, ({ stats: s }) => renderStats(s));
            return;
          }
          const repairs = await ledger.list({
            ...(options.bot ? { bot: options.bot } : {}),
            limit: options.limit,
          });
          emit(options, { repairs }, ({ repairs: list }) => renderRepairs(list));
        });
        return EXIT.ok;
      }),
    );

  for (const action of ["pause", "resume"] as const) {
    program
      .command(action)
      .argument("[bot]", "bot name or id; without one, the whole fleet")
      .description(
        action === "pause"
          ? "maintenance mode: no automatic repair of the bot (or the fleet) until resume"
          : "end maintenance mode: automatic repair again",
      )
      .option("--reason <text>", "why (pause only), shown to operators")
      .option("--json", "print JSON")
      .action(
        act(async (options: CommandOptions & { reason?: string }, bot?: string) => {
          const answer = await pauseOrResume(options, action, bot ?? null);
          emit(options, answer, (a) => a.message);
          return EXIT.ok;
        }),
      );
  }
}

/** Through the daemon when it runs; otherwise straight into the store (the daemon reads it at each trigger). */
async function pauseOrResume(
  options: CommandOptions & { reason?: string },
  action: "pause" | "resume",
  bot: string | null,
): Promise<{ pause?: RepairPause; resumed?: boolean; message: string }> {
  const loaded = loadCliConfig(options);
  const { config } = loaded;
  const scope = bot ? `bots/${encodeURIComponent(bot)}/repair` : "repairs";
  const reason = options.reason ? `?reason=${encodeURIComponent(options.reason)}` : "";
  const who = bot ?? "the fleet";
  const message = (done: boolean) =>
    action === "pause"
      ? `automatic repair paused for ${who}`
      : done
        ? `automatic repair resumed for ${who}`
        : `${who} was not paused`;
  try {
    const path = `/api/v1/${scope}/${action}${action === "pause" ? reason : ""}`;
    const answer = await callDaemon<{ pause?: RepairPause; resumed?: boolean }>(
      daemonEndpoint(config),
      path,
      {
        method: "POST",
      },
    );
    return { ...answer, message: message(answer.resumed ?? true) };
  } catch (error) {
    if (!isOpsError(error) || error.code !== "DAEMON_NOT_RUNNING") throw error;
  }
  return withLedger(
    options,
    async (ledger) => {
      if (action === "resume") {
        const resumed = await ledger.resume(bot, "cli");
        return { resumed, message: message(resumed) };
      }
      return {
        pause: await ledger.pause(bot, "cli", options.reason ?? ""),
        message: message(true),
      };
    },
    loaded,
  );
}

/** The repair history and pauses straight from the store, when no daemon answers (or none is needed). */
async function withLedger<T>(
  options: CommandOptions,
  work: (ledger: RepairLedger) => Promise<T>,
  loaded?: LoadedConfig,
): Promise<T> {
  return withRegistry(
    options,
    ({ store, bus, config }) =>
      work(new RepairLedger({ store, bus, settings: config.repair, now: Date.now })),
    loaded,
  );
}

function took(r: RepairRecord): string {
  if (r.recoveredAt) return formatDurationMs(Date.parse(r.recoveredAt) - Date.parse(r.detectedAt));
  return r.endedAt ? formatDurationMs(Date.parse(r.endedAt) - Date.parse(r.startedAt)) : "…";
}

export function renderRepair(r: RepairRecord): string {
  const lines = [
    `${r.botName}: ${r.outcome}${r.tier ? ` (tier ${r.tier})` : ""} in ${took(r)}: ${r.summary}`,
    `  cause: ${r.cause}`,
    `  trigger: ${r.trigger}, started by ${r.startedBy}, repair ${r.id}`,
    ...r.actions.map((a) => `  ${describeAction(a)}`),
  ];
  for (const a of r.actions) {
    if (a.backup) lines.push(`  backup: ${a.backup}`);
    if (a.diff) lines.push("", a.diff.trimEnd());
  }
  return lines.join("\n");
}

function renderRepairs(list: RepairRecord[]): string {
  if (list.length === 0) return "no repairs";
  return table(
    ["STARTED", "BOT", "TRIGGER", "TIER", "OUTCOME", "TOOK", "BY", "ACTIONS"],
    list.map((r) => [
      r.startedAt.replace("T", " ").slice(0, 19),
      r.botName,
      r.trigger,
      r.tier ? String(r.tier) : "-",
      r.dryRun ? `${r.outcome} (dry run)` : r.outcome,
      took(r),
      r.startedBy,
      r.actions.map((a) => `${a.action}:${a.status}`).join(" ") || "-",
    ]),
  );
}

function renderStats(s: RepairStats): string {
  const pct = (v: number | null) => (v === null ? "-" : `${Math.round(v * 1000) / 10}%`);
  const time = (v: number | null) => (v === null ? "-" : formatDurationMs(v));
  return [
    `repairs: ${s.total} (recovered ${s.recovered}, escalated ${s.escalated}; skipped ${s.skipped})`,
    `success rate: ${pct(s.successRate)}   escalation rate: ${pct(s.escalationRate)}`,
    `mean time to detect: ${time(s.meanTimeToDetectMs)}   mean time to recover: ${time(s.meanTimeToRecoverMs)}`,
    `recovered by tier: 1: ${s.byTier["1"]}  2: ${s.byTier["2"]}  3: ${s.byTier["3"]}`,
  ].join("\n");
}
