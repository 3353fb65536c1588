import type { Bot } from "../core/bot.js";
import { findLegacyAuthFiles } from "../gateway/state-files.js";
import type { GatewayInstance } from "../core/gateway-state.js";
import { gatewayLogFile, tailLines } from "../gateway/log-file.js";
import { findTcpListener } from "../system/proc.js";
import { lastGoodCandidates } from "./actions/config-repair.js";
import { type StaleLock, findStaleLocks } from "./actions/dead-lock.js";
import { type PortHolder, identifyListener } from "./actions/stale-listener.js";

/** What the gateway's log says, recognised: each pattern is a known OpenClaw failure. */
const LOG_SIGNALS: readonly [string, RegExp][] = [
  ["auth-profile-migration-required", /AUTH_PROFILE_MIGRATION_REQUIRED/],
  ["port-in-use", /EADDRINUSE|already listening on/],
  ["state-dir-contention", /StateDatabaseCoordinatorContention/],
  ["config-invalid", /config (is )?invalid|Unrecognized key|Invalid config/i],
  ["out-of-memory", /heap out of memory|ENOMEM/],
  ["disk-full", /ENOSPC/],
];

/** What the diagnosis looks at. Plain data: stored with the repair, shown to operators. */
export interface Evidence {
  state: string;
  reason: string;
  pid: number | null;
  lastExit: { code: number | null; signal: string | null; reason: string; at: string } | null;
  /** The gateway's last log lines (redacted before they are stored or sent anywhere). */
  logTail: string[];
  logSignals: string[];
  /** Who holds the bot's port when it is not the bot's own live gateway. */
  portHolder: PortHolder | null;
  staleLocks: StaleLock[];
  legacyAuthFiles: string[];
  /** clawops doctor's config errors (schema, legacy keys, bind, token); [] when valid. */
  configProblems: string[];
  /** Known-good copies of the config (only looked at when the config is invalid), newest first. */
  lastGood: { file: string; problems: string[] }[];
}

export async function collectEvidence(input: {
  bot: Bot;
  instance: GatewayInstance | null;
  dataDir: string;
  knownGood: string;
  configProblems: (file: string) => Promise<string[]>;
  redact: (text: string) => string;
}): Promise<Evidence> {
  const { bot, instance } = input;
  const redact = (line: string) => input.redact(line);
  const logTail = tailLines(gatewayLogFile(input.dataDir, bot.name), 40).map(redact);
  const exitTail = (instance?.lastExit?.logTail ?? []).map(redact);
  const text = [...exitTail, ...logTail].join("\n");
  // The bot's own live gateway on its port is no holder to identify (nor to probe twice).
  const listener = findTcpListener(bot.port, instance?.pid ? [instance.pid] : []);
  const own =
    listener !== null &&
    listener.pid !== null &&
    listener.pid === instance?.pid &&
    (instance.state === "running" ||
      instance.state === "degraded" ||
      instance.state === "starting");
  const configProblems = await input.configProblems(bot.configPath);
  const lastGood = configProblems.length > 0 ? lastGoodCandidates(bot, input.knownGood) : [];
  return {
    state: instance?.state ?? "unknown",
    reason: instance?.reason ?? "",
    pid: instance?.pid ?? null,
    lastExit: instance?.lastExit
      ? {
          code: instance.lastExit.code,
          signal: instance.lastExit.signal,
          reason: instance.lastExit.reason,
          at: instance.lastExit.at,
        }
      : null,
    logTail,
    logSignals: LOG_SIGNALS.filter(([, pattern]) => pattern.test(text)).map(([name]) => name),
    portHolder: listener && !own ? await identifyListener(bot, listener) : null,
    staleLocks: findStaleLocks(bot),
    legacyAuthFiles: findLegacyAuthFiles(bot.stateDir),
    configProblems,
    lastGood: await Promise.all(
      lastGood.map(async (file) => ({ file, problems: await input.configProblems(file) })),
    ),
  };
}
