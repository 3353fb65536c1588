import { type Command, InvalidArgumentError } from "commander";
import { OpsError } from "../../core/errors.js";
import type { MessageRecord, SessionRecord, Usage } from "../../core/session.js";
import { requireBot } from "../../fleet/registry.js";
import { reconcileCost } from "../../ingest/reconcile.js";
import type { CostGroup, CostRow } from "../../store/session-store.js";
import type { Store } from "../../store/store.js";
import { act } from "../act.js";
import { parseCount, parseSince } from "../arguments.js";
import { type CommandOptions, withRegistry } from "../context.js";
import { EXIT, emit, table } from "../output.js";

interface SessionsOptions extends CommandOptions {
  bot?: string;
  since?: string;
  search?: string;
  limit: number;
  cursor?: string;
}

interface SessionOptions extends CommandOptions {
  bot?: string;
}

interface CostOptions extends CommandOptions {
  by: CostGroup;
  check?: boolean;
  bot?: string;
  since?: string;
  until?: string;
}

const COST_GROUPS: readonly CostGroup[] = ["bot", "model", "owner", "day"];

export function registerSessionCommands(program: Command) {
  program
    .command("sessions")
    .description("list the conversations clawops keeps from every gateway, newest activity first")
    .option("--bot <name>", "only this bot's sessions")
    .option("--since <when>", 'active since a time ("24h", "7d", "2026-11-01")', parseSince)
    .option("--search <text>", "only sessions with a message containing this text")
    .option("--limit <n>", "at most this many (up to 500)", parseCount(500), 50)
    .option("--cursor <cursor>", "the next page (the `nextCursor` of a previous --json answer)")
    .option("--json", "print JSON")
    .action(
      act(async (options: SessionsOptions) => {
        await withRegistry(options, async ({ store }) => {
          const botId = options.bot ? (await requireBot(store, options.bot)).id : undefined;
          const page = await store.sessions.listSessions({
            botId,
            since: options.since,
            search: options.search,
            limit: options.limit,
            cursor: options.cursor,
          });
          emit(options, page, ({ sessions, nextCursor }) => renderSessions(sessions, nextCursor));
        });
        return EXIT.ok;
      }),
    );

  program
    .command("session")
    .argument("<id>", "the session's id (from `clawops sessions`)")
    .description("show one session's transcript: messages, tool calls and results, tokens and cost")
    .option("--bot <name>", "the bot it belongs to (when two bots have a session of that id)")
    .option("--json", "print JSON")
    .action(
      act(async (options: SessionOptions, id: string) => {
        await withRegistry(options, async ({ store }) => {
          const session = await findSession(store, id, options.bot);
          const messages = await allMessages(store, session);
          emit(options, { session, messages }, (value) => renderTranscript(value));
        });
        return EXIT.ok;
      }),
    );

  program
    .command("cost")
    .description("tokens and cost summed from every message clawops keeps")
    .option("--by <group>", `group by ${COST_GROUPS.join(", ")}`, parseGroup, "bot")
    .option("--bot <name>", "only this bot")
    .option("--since <when>", 'from a time ("24h", "30d", "2026-11-01")', parseSince)
    .option("--until <when>", "up to a time (exclusive)", parseSince)
    .option(
      "--check",
      "reconcile instead: tokens without a price, answers by another model than configured, spend spikes (exit 1 when any)",
    )
    .option("--json", "print JSON")
    .action(
      act(async (options: CostOptions) => {
        if (options.check) return checkCost(options);
        await withRegistry(options, async ({ store }) => {
          const botId = options.bot ? (await requireBot(store, options.bot)).id : undefined;
          const rows = await store.sessions.costBy(options.by, {
            botId,
            since: options.since,
            until: options.until,
          });
          emit(options, { by: options.by, rows }, ({ rows: list }) => renderCost(options.by, list));
        });
        return EXIT.ok;
      }),
    );
}

async function checkCost(options: CostOptions): Promise<number> {
  const findings = await withRegistry(options, async ({ store }) => {
    const bots = options.bot ? [await requireBot(store, options.bot)] : await store.listBots();
    return reconcileCost(store, bots, { since: options.since });
  });
  emit(options, { findings }, ({ findings: list }) =>
    list.length === 0
      ? "no findings: every token has a price, every session its configured model, no spike"
      : table(
          ["KIND", "BOT", "FINDING"],
          list.map((f) => [f.kind, f.bot, f.message]),
        ),
  );
  return findings.length === 0 ? EXIT.ok : EXIT.failure;
}

function parseGroup(value: string): CostGroup {
  if (!(COST_GROUPS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${COST_GROUPS.join(", ")}`);
  return value as CostGroup;
}

/** By id in one bot, or in every bot when none is named. */
async function findSession(store: Store, id: string, botName?: string): Promise<SessionRecord> {
  const bots = botName ? [await requireBot(store, botName)] : await store.listBots();
  for (const bot of bots) {
    const session = await store.sessions.getSession(bot.id, id);
    if (session) return session;
  }
  throw new OpsError(
    "NOT_FOUND",
    `no session ${id}${botName ? ` of bot ${botName}` : ""}: \`clawops sessions\` lists them`,
  );
}

async function allMessages(store: Store, session: SessionRecord): Promise<MessageRecord[]> {
  const messages: MessageRecord[] = [];
  for (;;) {
    const page = await store.sessions.listMessages(session.botId, session.sessionId, {
      afterSeq: messages.at(-1)?.seq ?? 0,
      limit: 1000,
    });
    messages.push(...page);
    if (page.length < 1000) return messages;
  }
}

function renderSessions(sessions: SessionRecord[], nextCursor: string | null): string {
  if (sessions.length === 0) return "no sessions";
  const rows = sessions.map((s) => [
    s.lastActivityAt ?? s.startedAt ?? "",
    s.botName,
    s.sessionKey,
    String(s.messageCount),
    tokens(s.usage),
    dollars(s.usage.costUsd),
    s.modelUsed ?? s.modelConfigured ?? "",
    `${s.sessionId}${s.deletedOnGateway ? "  (deleted on gateway)" : ""}`,
  ]);
  const body = table(
    ["LAST ACTIVITY", "BOT", "KEY", "MSGS", "TOKENS IN/OUT", "COST", "MODEL", "ID"],
    rows,
  );
  return nextCursor ? `${body}\n\nmore: --cursor ${nextCursor}` : body;
}

function renderTranscript({
  session,
  messages,
}: {
  session: SessionRecord;
  messages: MessageRecord[];
}): string {
  const head = [
    `session ${session.sessionId}  (${session.sessionKey}, bot ${session.botName})`,
    `model ${session.modelUsed ?? session.modelConfigured ?? "unknown"}, ${session.messageCount} messages, tokens ${tokens(session.usage)}, cost ${dollars(session.usage.costUsd)}${session.deletedOnGateway ? ", deleted on the gateway (kept here)" : ""}`,
    "",
  ];
  return [...head, ...messages.flatMap(renderMessage)].join("\n");
}

function renderMessage(m: MessageRecord): string[] {
  const time = m.at.slice(11, 19);
  const who = m.role === "tool" ? `tool${m.isError ? " (error)" : ""}` : m.role;
  const lines = [`#${m.seq} ${time} ${who}:${m.text ? ` ${indent(m.text)}` : ""}`];
  for (const call of m.toolCalls) lines.push(`    -> ${call.name} ${call.arguments}`);
  if (m.textBytes > Buffer.byteLength(m.text))
    lines.push(
      `    (${m.textBytes} bytes in all; clawops keeps the first ${m.text.length} characters)`,
    );
  if (m.usage)
    lines.push(
      `    ${m.model ?? ""} tokens ${tokens(m.usage)}, ${dollars(m.usage.costUsd)}${m.latencyMs !== null ? `, ${m.latencyMs} ms` : ""}${m.stopReason ? `, ${m.stopReason}` : ""}`,
    );
  return lines;
}

function renderCost(by: CostGroup, rows: CostRow[]): string {
  if (rows.length === 0) return "no usage recorded";
  const total = rows.reduce((sum, r) => sum + r.costUsd, 0);
  return `${table(
    [by.toUpperCase(), "MESSAGES", "INPUT", "OUTPUT", "CACHE READ", "CACHE WRITE", "COST"],
    rows.map((r) => [
      r.label ?? r.key ?? "(none)",
      String(r.messages),
      String(r.input),
      String(r.output),
      String(r.cacheRead),
      String(r.cacheWrite),
      dollars(r.costUsd),
    ]),
  )}\n\ntotal ${dollars(total)}`;
}

const indent = (text: string) => text.replaceAll("\n", "\n    ");
const tokens = (u: Usage) => `${u.input}/${u.output}`;
const dollars = (usd: number) => `$${usd < 0.01 && usd > 0 ? usd.toFixed(6) : usd.toFixed(2)}`;
