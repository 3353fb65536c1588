import type { Command } from "commander";
import type { Bot } from "../../core/bot.js";
import { formatDurationMs } from "../../core/duration.js";
import { type GatewayInstance, LIVE_STATES } from "../../core/gateway-state.js";
import { sleep } from "../../core/time.js";
import type { Readiness } from "../../daemon/readiness.js";
import { act } from "../act.js";
import { type CommandOptions, loadCliConfig } from "../context.js";
import { callDaemon, daemonEndpoint } from "../daemon-client.js";
import { EXIT, emit, table } from "../output.js";

interface StatusAnswer {
  daemon: {
    /** An older daemon answers without the host fields. */
    host?: string;
    leader?: boolean;
    version: string;
    pid: number;
    uptimeMs: number;
    dataDir: string;
    http: string;
    store: { dialect: string; location: string };
  };
  readiness: Readiness;
  /** The fleet's hosts (docs/hosts.md); an older daemon answers without them. */
  hosts?: { id: string; apiUrl: string; lastSeenAt: string; reachable: boolean; self: boolean }[];
  /** Each bot as the fleet shows it ("host unreachable" included). */
  fleet?: { bot: string; host: string | null; state: string }[];
  bots: Bot[];
  gateways: (GatewayInstance & {
    bot: string;
    sessions?: SessionFollow | null;
    /** An older daemon answers without it. */
    canary?: CanaryRun | null;
  })[];
}

/** The last run of the canary check (supervisor.checks.canary). */
interface CanaryRun {
  outcome: "pass" | "fail" | "skipped";
  message: string;
  latencyMs: number | null;
  failures: number;
  at: string;
}

/** How clawops follows a gateway's sessions; null when it does not (stopped, or ingest off). */
interface SessionFollow {
  path: "protocol" | "jsonl";
  connected: boolean;
}

interface StatusOptions extends CommandOptions {
  watch?: string | true;
}

export function registerStatus(program: Command) {
  program
    .command("status")
    .description("show the running daemon and each bot's gateway")
    .option("-w, --watch [seconds]", "refresh every N seconds (default 1) until Ctrl-C")
    .option("--json", "print JSON (with --watch: one JSON document per line)")
    .action(
      act(async (options: StatusOptions) => {
        const { config } = loadCliConfig(options);
        const daemon = daemonEndpoint(config);
        if (options.watch === undefined) {
          const answer = await callDaemon<StatusAnswer>(daemon, "/api/v1/status");
          emit(options, answer, (a) => renderStatus(a));
          return answer.readiness.ready ? EXIT.ok : EXIT.failure;
        }
        const periodMs = options.watch === true ? 1_000 : Number(options.watch) * 1_000;
        const stop = new AbortController();
        process.once("SIGINT", () => stop.abort());
        while (!stop.signal.aborted) {
          const answer = await callDaemon<StatusAnswer>(daemon, "/api/v1/status");
          if (options.json) process.stdout.write(`${JSON.stringify(answer)}\n`);
          else
            process.stdout.write(
              `\x1b[H\x1b[2J${renderStatus(answer)}\n\n(refreshing every ${periodMs / 1000}s; Ctrl-C to stop)\n`,
            );
          await Promise.race([
            sleep(Math.max(periodMs, 100)),
            new Promise((r) => stop.signal.addEventListener("abort", r)),
          ]);
        }
        return EXIT.ok;
      }),
    );
}

export function renderStatus(s: StatusAnswer, now = Date.now()): string {
  const d = s.daemon;
  const failing = s.readiness.failing.map((f) => `${f.part} (${f.reason})`).join(", ");
  const lines = [
    `clawops ${d.version}  pid ${d.pid}  up ${formatDurationMs(d.uptimeMs)}  ${d.http}`,
    `store    ${d.store.dialect} ${d.store.location}`,
    `ready    ${s.readiness.ready ? "yes" : `no: ${failing}`}`,
    // An older daemon answers without warnings.
    ...(s.readiness.warnings ?? []).map((w) => `warning  ${w.part}: ${w.warning}`),
  ];
  // Several hosts on one PostgreSQL: which host answered, who leads, who is silent.
  const multiHost = d.store.dialect === "postgres" && s.hosts !== undefined && d.host !== undefined;
  if (multiHost) {
    lines.push(`host     ${d.host}${d.leader ? " (leader)" : ""}`);
    for (const h of s.hosts!.filter((h) => !h.self)) {
      const ago = formatDurationMs(Math.max(0, now - Date.parse(h.lastSeenAt)));
      lines.push(
        `         ${h.id} ${h.apiUrl} ${h.reachable ? "reachable" : "UNREACHABLE"} (seen ${ago} ago)`,
      );
    }
  }
  lines.push("");
  if (s.bots.length === 0) {
    lines.push('no bots registered (add one with "clawops bot add NAME")');
    return lines.join("\n");
  }
  const gateways = new Map(s.gateways.map((g) => [g.botId, g]));
  const shown = new Map((s.fleet ?? []).map((f) => [f.bot, f]));
  const rows = s.bots.map((bot) => {
    const row = gatewayRow(bot, gateways.get(bot.id), now);
    const fleet = shown.get(bot.name);
    // Its last known state is not news from a silent host: nothing is said to have crashed.
    if (fleet?.state === "host unreachable") row[1] = fleet.state;
    return multiHost ? [row[0]!, fleet?.host ?? "-", ...row.slice(1)] : row;
  });
  lines.push(
    table(
      [
        "BOT",
        ...(multiHost ? ["HOST"] : []),
        "STATE",
        "PID",
        "PORT",
        "VERSION",
        "UPTIME",
        "RESTARTS",
        "READY",
        "RSS",
        "SESSIONS",
        "LAST EXIT",
      ],
      rows,
    ),
  );
  const reasons = s.bots.flatMap((bot) => {
    const g = gateways.get(bot.id);
    if (shown.get(bot.name)?.state === "host unreachable") return [];
    return g && !["running", "stopped"].includes(g.state)
      ? [`${bot.name}: ${g.state}: ${g.reason}`]
      : [];
  });
  if (reasons.length > 0) lines.push("", ...reasons);
  // Only when a canary ran: without one the table stays as it was.
  const canaries = s.bots.flatMap((bot) => {
    const c = gateways.get(bot.id)?.canary;
    return c ? [`${bot.name}: ${describeCanary(c, now)}`] : [];
  });
  if (canaries.length > 0) lines.push("", "canary", ...canaries.map((line) => `  ${line}`));
  return lines.join("\n");
}

function gatewayRow(
  bot: Bot,
  g: StatusAnswer["gateways"][number] | undefined,
  now: number,
): string[] {
  if (!g) return [bot.name, "stopped", "-", String(bot.port), "-", "-", "0", "-", "-", "-", "-"];
  const live = LIVE_STATES.has(g.state) && g.startedAt !== null;
  return [
    bot.name,
    g.state,
    g.pid === null ? "-" : String(g.pid),
    String(bot.port),
    g.version ?? "-",
    live ? formatDurationMs(now - Date.parse(g.startedAt!)) : "-",
    String(g.restarts),
    g.ready === null || !live ? "-" : g.ready ? "yes" : "no",
    g.rssBytes === null || !live ? "-" : `${Math.round(g.rssBytes / 1024 ** 2)} MiB`,
    describeFollow(g.sessions ?? null),
    g.lastExit
      ? `${g.lastExit.reason} (${formatDurationMs(now - Date.parse(g.lastExit.at))} ago)`
      : "-",
  ];
}

/** `pass in 1.2s (3m05s ago)`, `fail (2 in a row): no reply within 60000ms (...)`. */
export function describeCanary(c: CanaryRun, now = Date.now()): string {
  const ago = `${formatDurationMs(Math.max(0, now - Date.parse(c.at)))} ago`;
  if (c.outcome === "pass") return `pass in ${formatDurationMs(c.latencyMs ?? 0)} (${ago})`;
  if (c.outcome === "skipped") return `${c.message} (${ago})`;
  return `fail (${c.failures} in a row): ${c.message} (${ago})`;
}

/** "live" over the protocol, "files" from JSONL (OpenClaw <= 2026.7), "reconnecting", or "-". */
function describeFollow(follow: SessionFollow | null): string {
  if (!follow) return "-";
  if (follow.path === "jsonl") return "files";
  return follow.connected ? "live" : "reconnecting";
}
