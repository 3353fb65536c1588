import { formatDurationMs } from "../core/duration.js";
import type { LoadErrorKind } from "./connection.js";
import { LatencyHistogram, type LatencySummary } from "./histogram.js";
import type { Scenario } from "./scenario.js";

/** The safety bounds a run keeps to, whatever its scenario asks. */
export interface LoadBounds {
  /** Connections open at once; a scenario needing more is refused before it starts. */
  maxConnections: number;
  /** Messages sent per second, over all users and targets (sends wait for their turn). */
  maxRate: number;
  /** The run stops here; what is in flight is cut, not counted as failed. */
  maxDurationMs: number;
}

export type StoppedBy = "completed" | "max-duration" | "aborted";

/** What a run measured: `clawops load --json` prints it, the Markdown report renders it. */
export interface LoadReport {
  scenario: Scenario;
  targets: { name: string; url: string }[];
  bounds: LoadBounds;
  startedAt: string;
  durationMs: number;
  stoppedBy: StoppedBy;
  connections: { attempted: number; opened: number; failed: number; peakOpen: number };
  messages: { planned: number | null; sent: number; replied: number; failed: number; cut: number };
  throughput: { repliesPerSecond: number; connectsPerSecond: number };
  latency: {
    connect: LatencySummary | null;
    ack: LatencySummary | null;
    firstToken: LatencySummary | null;
    reply: LatencySummary | null;
  };
  errors: { kind: LoadErrorKind; count: number; example: string }[];
  perTarget: { name: string; sent: number; replied: number; failed: number }[];
  /** This process (the load generator), so a run shows what it cost its own host. */
  client: { cpuMs: number; cpuPercent: number; peakRssBytes: number; repliesPerCpuSecond: number };
  /** Every connection opened, every message sent was answered, nothing failed. */
  passed: boolean;
}

/** A run's counters while it goes: what the progress line shows and the report is made of. */
export class LoadTally {
  readonly connect = new LatencyHistogram();
  readonly ack = new LatencyHistogram();
  readonly firstToken = new LatencyHistogram();
  readonly reply = new LatencyHistogram();
  attempted = 0;
  opened = 0;
  connectFailed = 0;
  open = 0;
  peakOpen = 0;
  sent = 0;
  replied = 0;
  failed = 0;
  cut = 0;
  readonly errors = new Map<LoadErrorKind, { count: number; example: string }>();
  readonly perTarget = new Map<string, { sent: number; replied: number; failed: number }>();

  constructor(targets: readonly string[]) {
    for (const name of targets) this.perTarget.set(name, { sent: 0, replied: 0, failed: 0 });
  }

  error(kind: LoadErrorKind, message: string): void {
    const seen = this.errors.get(kind);
    if (seen) seen.count += 1;
    else this.errors.set(kind, { count: 1, example: message.slice(0, 300) });
  }

  opening(): void {
    this.attempted += 1;
  }

  openedOne(connectMs: number): void {
    this.opened += 1;
    this.open += 1;
    this.peakOpen = Math.max(this.peakOpen, this.open);
    this.connect.recordMs(connectMs);
  }

  closedOne(): void {
    this.open -= 1;
  }

  target(name: string): { sent: number; replied: number; failed: number } {
    return this.perTarget.get(name)!;
  }
}

export interface ReportInput {
  scenario: Scenario;
  targets: { name: string; url: string }[];
  bounds: LoadBounds;
  startedAt: Date;
  durationMs: number;
  stoppedBy: StoppedBy;
  planned: number | null;
  cpuMs: number;
  peakRssBytes: number;
}

export function buildReport(tally: LoadTally, input: ReportInput): LoadReport {
  const seconds = Math.max(input.durationMs, 1) / 1_000;
  return {
    scenario: input.scenario,
    targets: input.targets,
    bounds: input.bounds,
    startedAt: input.startedAt.toISOString(),
    durationMs: Math.round(input.durationMs),
    stoppedBy: input.stoppedBy,
    connections: {
      attempted: tally.attempted,
      opened: tally.opened,
      failed: tally.connectFailed,
      peakOpen: tally.peakOpen,
    },
    messages: {
      planned: input.planned,
      sent: tally.sent,
      replied: tally.replied,
      failed: tally.failed,
      cut: tally.cut,
    },
    throughput: {
      repliesPerSecond: round(tally.replied / seconds),
      connectsPerSecond: round(tally.opened / seconds),
    },
    latency: {
      connect: tally.connect.summary(),
      ack: tally.ack.summary(),
      firstToken: tally.firstToken.summary(),
      reply: tally.reply.summary(),
    },
    errors: [...tally.errors]
      .map(([kind, e]) => ({ kind, ...e }))
      .sort((a, b) => b.count - a.count),
    perTarget: [...tally.perTarget].map(([name, t]) => ({ name, ...t })),
    client: {
      cpuMs: Math.round(input.cpuMs),
      cpuPercent: round((input.cpuMs / Math.max(input.durationMs, 1)) * 100),
      peakRssBytes: input.peakRssBytes,
      repliesPerCpuSecond: input.cpuMs > 0 ? round(tally.replied / (input.cpuMs / 1_000)) : 0,
    },
    passed:
      tally.connectFailed === 0 &&
      tally.failed === 0 &&
      input.stoppedBy === "completed" &&
      tally.replied === tally.sent,
  };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** The report as Markdown: a verdict, then tables, for a ticket or a wiki page. */
export function renderMarkdown(report: LoadReport): string {
  const s = report.scenario;
  const m = report.messages;
  const c = report.connections;
  const lines = [
    `# Load run: ${s.name} ${report.passed ? "PASSED" : "FAILED"}`,
    "",
    `${shape(s)}. Against ${report.targets.map((t) => `${t.name} (${t.url})`).join(", ")}; started ${report.startedAt}, ran ${formatDurationMs(report.durationMs)}, ${stoppedText(report.stoppedBy, report.bounds)}.`,
    "",
    "| | count |",
    "|---|---|",
    `| connections opened / attempted | ${c.opened} / ${c.attempted} (peak ${c.peakOpen} open) |`,
    `| messages replied / sent | ${m.replied} / ${m.sent}${m.planned === null ? "" : ` (planned ${m.planned})`} |`,
    `| messages failed | ${m.failed} |`,
    ...(m.cut > 0 ? [`| cut by the end of the run | ${m.cut} |`] : []),
    `| replies per second | ${report.throughput.repliesPerSecond} |`,
    `| connects per second | ${report.throughput.connectsPerSecond} |`,
    "",
    "| latency (ms) | n | p50 | p90 | p95 | p99 | max |",
    "|---|---|---|---|---|---|---|",
    ...(
      [
        ["connect (handshake to hello-ok)", report.latency.connect],
        ["chat.send acknowledged", report.latency.ack],
        ["first token", report.latency.firstToken],
        ["full reply", report.latency.reply],
      ] as const
    ).map(([label, l]) =>
      l
        ? `| ${label} | ${l.count} | ${ms(l.p50)} | ${ms(l.p90)} | ${ms(l.p95)} | ${ms(l.p99)} | ${ms(l.max)} |`
        : `| ${label} | 0 | | | | | |`,
    ),
  ];
  if (report.errors.length > 0) {
    lines.push("", "| error | count | example |", "|---|---|---|");
    for (const e of report.errors)
      lines.push(
        `| ${e.kind} | ${e.count} | ${e.example.replace(/\|/g, "\\|").replace(/\n/g, " ")} |`,
      );
  }
  if (report.perTarget.length > 1) {
    lines.push("", "| target | sent | replied | failed |", "|---|---|---|---|");
    for (const t of report.perTarget)
      lines.push(`| ${t.name} | ${t.sent} | ${t.replied} | ${t.failed} |`);
  }
  const cl = report.client;
  lines.push(
    "",
    `Load generator: ${cl.cpuMs} ms CPU (${cl.cpuPercent} % of one core), peak RSS ${Math.round(cl.peakRssBytes / 1048576)} MiB, ${cl.repliesPerCpuSecond} replies per CPU second.`,
    `Bounds: at most ${report.bounds.maxConnections} connections, ${report.bounds.maxRate} messages/s, ${formatDurationMs(report.bounds.maxDurationMs)}.`,
    "",
  );
  return lines.join("\n");
}

/** Milliseconds for a table: one decimal below 100, whole above. */
function ms(n: number): string {
  return n < 100 ? n.toFixed(1) : String(Math.round(n));
}

/** The scenario as run (overrides included), in words. */
export function shape(s: Scenario): string {
  const parts = [
    `${s.users} user${s.users === 1 ? "" : "s"}`,
    s.messages === null
      ? "sending until the ramp ends"
      : s.messages === 0
        ? "connecting only"
        : `${s.messages} message${s.messages === 1 ? "" : "s"} each`,
  ];
  if (s.inflight > 1) parts.push(`${s.inflight} in flight at once`);
  if (s.sessions === "per-message") parts.push("a session per message");
  if (s.think > 0) parts.push(`${formatDurationMs(s.think)} between messages`);
  if (s.payloadBytes > 0) parts.push(`${s.payloadBytes} bytes a message`);
  if (s.reconnectEvery > 0) parts.push(`reconnecting after every ${s.reconnectEvery}`);
  if (s.ramp)
    parts.push(
      `ramp ${formatDurationMs(s.ramp.up)} up, ${formatDurationMs(s.ramp.hold)} hold, ${formatDurationMs(s.ramp.down)} down`,
    );
  if (s.hold > 0) parts.push(`held ${formatDurationMs(s.hold)}`);
  return parts.join(", ");
}

function stoppedText(stoppedBy: StoppedBy, bounds: LoadBounds): string {
  if (stoppedBy === "completed") return "completed";
  if (stoppedBy === "max-duration")
    return `stopped at --max-duration ${formatDurationMs(bounds.maxDurationMs)}`;
  return "aborted";
}
