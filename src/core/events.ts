import { z } from "zod";
import { BUDGET_ACTIONS, BUDGET_RESUME_REASONS, BUDGET_SCOPES, BUDGET_WINDOWS } from "./budget.js";
import { GATEWAY_STATES } from "./gateway-state.js";
import { REPAIR_OUTCOMES, REPAIR_TRIGGERS } from "./repair.js";
import { startFailureSchema } from "./start-failure.js";
import { APPROVAL_EVENTS } from "./approval-events.js";
import { isoTime } from "./event-spec.js";
import { TASK_EVENTS } from "./task-events.js";

/**
 * The event catalogue: every event clawops publishes, each with a zod schema
 * for its `data` and a version. Events are the append-only lifecycle and audit
 * log; in-process consumers (repair, notifiers, later realtime) read them at
 * once, the store keeps them, and webhooks, the API and users' scripts read
 * the same shapes (docs/events.md is generated from this file:
 * `npm run docs:events`). Changing a published event's shape is a versioned
 * change: bump its `version` and say what changed in its summary.
 */

const state = z.enum(GATEWAY_STATES);
const pid = z.number().int().nullable();

/** One catalogue entry: a version, a summary for the docs, the schema of `data`. */
interface EventSpec<Data extends z.ZodType> {
  version: number;
  summary: string;
  /** `bot`: concerns one bot (`botId` set); `fleet`: none (`botId` null); `either`. */
  scope: "bot" | "fleet" | "either";
  /**
   * false: delivered to in-process consumers (and later the realtime API)
   * only, not written to the event log, because its record lives in a table
   * of its own (a transcript message in `messages`). Default true.
   */
  stored?: boolean;
  data: Data;
}

const spec = <Data extends z.ZodType>(entry: EventSpec<Data>) => entry;

/** Which budget an event is about (src/budget/, docs/budgets.md). */
const budgetFields = {
  scope: z.enum(BUDGET_SCOPES).describe("`bot`: one bot's spend; `owner`: all of one owner's bots"),
  name: z.string().describe("the bot's or the owner's name"),
  window: z.enum(BUDGET_WINDOWS).describe("the UTC day or the UTC month"),
  periodStart: isoTime.describe("the start of the period (UTC midnight, or the 1st)"),
};
const budgetCrossing = {
  ...budgetFields,
  spentUsd: z.number().describe("the scope's spend in the period so far, US dollars"),
  limitUsd: z.number().describe("the budget's limit, US dollars"),
  percent: z.number().describe("spentUsd as a percentage of limitUsd"),
  owner: z.string().nullable().describe("the owner told: the bot's owner, or the owner itself"),
};

export const EVENT_CATALOGUE = {
  "daemon.started": spec({
    version: 1,
    summary: "clawops started and answers on its HTTP address.",
    scope: "fleet",
    data: z.strictObject({
      pid: z.number().int().describe("the daemon's process id"),
      version: z.string().describe("clawops's version"),
      http: z.string().describe("the API's base URL"),
      store: z.enum(["sqlite", "postgres"]).describe("the store it uses"),
    }),
  }),
  "daemon.stopped": spec({
    version: 1,
    summary: "clawops stopped (its gateways keep running unless configured otherwise).",
    scope: "fleet",
    data: z.strictObject({
      reason: z.string().describe("the signal or the command that stopped it"),
      uptimeMs: z.number().describe("how long it ran"),
    }),
  }),
  "bot.registered": spec({
    version: 1,
    summary: "A bot was added to the fleet (CLI, API or clawops.yaml).",
    scope: "bot",
    data: z.strictObject({
      name: z.string().describe("the bot's name"),
      port: z.number().int().describe("its gateway's port"),
      driver: z.string().describe("`process` (clawops spawns it) or `adopted`"),
      stateDir: z.string().describe("its OPENCLAW_STATE_DIR"),
      org: z.string().optional().describe("its organisation (absent from events stored before it)"),
    }),
  }),
  "bot.updated": spec({
    version: 1,
    summary: "A bot's registration changed.",
    scope: "bot",
    data: z.strictObject({
      name: z.string().describe("the bot's name"),
      changed: z.array(z.string()).describe("the fields that changed"),
    }),
  }),
  "bot.moved": spec({
    version: 1,
    summary:
      "A bot was given to another host (`clawops bot move`): stopped on its old host, started on its new one when it was running.",
    scope: "bot",
    data: z.strictObject({
      name: z.string().describe("the bot's name"),
      from: z.string().nullable().describe("the host that ran it (null: none yet)"),
      to: z.string().describe("the host that runs it now"),
      forced: z
        .boolean()
        .describe("its old host was unreachable: its gateway could not be stopped there"),
    }),
  }),
  "bot.removed": spec({
    version: 1,
    summary: "A bot left the fleet; its state dir and config are kept.",
    scope: "bot",
    data: z.strictObject({
      name: z.string().describe("the bot's name"),
      stateDir: z.string().describe("its state dir, left in place"),
      keptFiles: z.literal(true).describe("clawops never deletes a gateway's files"),
    }),
  }),
  "bot.token_rotated": spec({
    version: 1,
    summary:
      "A bot's gateway token was replaced (`clawops bot rotate-token`); never carries the token.",
    scope: "bot",
    data: z.strictObject({
      name: z.string().describe("the bot's name"),
      record: z.string().describe("the vault record that keeps the new token"),
      written: z
        .enum(["config", "file"])
        .describe("where the gateway reads it: its config, or the file a SecretRef names"),
      restarted: z
        .boolean()
        .describe(
          "the running gateway was restarted (drain-safe) to take it; false: not running, or the restart failed",
        ),
    }),
  }),
  "gateway.state": spec({
    version: 1,
    summary:
      "A gateway changed state (see docs/supervisor.md for the state machine). A start that failed before a process ran carries `failure`.",
    scope: "bot",
    data: z.strictObject({
      from: state,
      to: state,
      reason: z.string().describe("why, in words"),
      pid: pid.describe("the gateway process it concerns"),
      inStateMs: z.number().describe("time spent in `from`"),
      exitCode: z.number().int().nullable().optional().describe("to crashed: the exit code"),
      signal: z.string().nullable().optional().describe("to crashed: the signal that ended it"),
      uptimeMs: z.number().nullable().optional().describe("to crashed: how long the process ran"),
      aliveAt: isoTime.optional().describe("to crashed: when the process was last known alive"),
      delayMs: z.number().optional().describe("to backoff: the wait before the next start"),
      bootMs: z.number().optional().describe("to running after a boot: time until ready"),
      liveMs: z.number().optional().describe("to running after a boot: time until live"),
      failure: startFailureSchema.optional().describe("a start that failed before a process ran"),
    }),
  }),
  "gateway.hung": spec({
    version: 1,
    summary: "A check that restarts (the liveness probe) failed its limit: the gateway is killed.",
    scope: "bot",
    data: z.strictObject({
      check: z.string().describe("the check that failed (`healthz`, `ws-health`)"),
      failures: z.number().int().describe("failures in a row"),
      message: z.string().describe("the last failure, in words"),
      pid: pid.describe("the hung process"),
      failingSince: isoTime.describe("the first failed check"),
    }),
  }),
  "gateway.warning": spec({
    version: 1,
    summary: "A warning check (memory) failed its limit; nothing is restarted by itself.",
    scope: "bot",
    data: z.strictObject({
      check: z.string().describe("the check that failed (`rss`)"),
      message: z.string().describe("what it saw, in words"),
      rssBytes: z.number().optional().describe("the gateway's resident memory"),
      ready: z.boolean().optional(),
      version: z.string().optional().describe("the gateway's version"),
      uptimeMs: z.number().optional(),
    }),
  }),
  "gateway.canary": spec({
    version: 1,
    summary:
      "One run of the canary check (`supervisor.checks.canary`, off by default): a real chat round trip through the gateway. Failures in a row make the gateway degraded, never a restart by itself.",
    scope: "bot",
    data: z.strictObject({
      outcome: z
        .enum(["pass", "fail", "skipped"])
        .describe("`skipped`: the bot's budget paused it, or the canary's own daily cap is spent"),
      message: z
        .string()
        .describe("what it saw, in words: the latency, the gateway's error, the reason for a skip"),
      latencyMs: z
        .number()
        .nullable()
        .describe("send to the end of the turn; null when no turn ended"),
      spentTodayUsd: z
        .number()
        .nullable()
        .describe("the canary's own spend today (UTC) before this run; null when unknown"),
      failures: z
        .number()
        .int()
        .describe("failed runs in a row, this one included (0 when not failed)"),
      degrading: z
        .boolean()
        .describe(
          "the failures reached `supervisor.checks.canary.failures`: the gateway is degraded",
        ),
    }),
  }),
  "gateway.port_conflict": spec({
    version: 1,
    summary: "Another process holds (or answers on) the gateway's port.",
    scope: "bot",
    data: z.strictObject({
      port: z.number().int().describe("the gateway's port"),
      pid: pid.describe("the holder, when known"),
      cmdline: z.string().nullable().describe("the holder's command line, when known"),
    }),
  }),
  "gateway.draining": spec({
    version: 1,
    summary:
      "A planned restart waits for the gateway's chat turns in flight to finish (at most supervisor.drainTimeout) before it stops the gateway.",
    scope: "bot",
    data: z.strictObject({
      activeTurns: z.number().int().describe("chat turns in flight when the wait began"),
      budgetMs: z.number().describe("the longest it waits"),
    }),
  }),
  "gateway.crash_loop": spec({
    version: 1,
    summary: "The gateway failed too often in the window: the supervisor stopped restarting it.",
    scope: "bot",
    data: z.strictObject({
      failures: z.number().int().describe("failures inside the window"),
      windowMs: z.number().describe("supervisor.crashLoop window"),
      lastExit: z.strictObject({
        code: z.number().int().nullable().describe("exit code"),
        signal: z.string().nullable().describe("the signal that ended it"),
        reason: z.string().describe("in words"),
        at: isoTime,
        logTail: z.array(z.string()).optional().describe("the gateway's last lines, masked"),
      }),
    }),
  }),
  "repair.started": spec({
    version: 1,
    summary: "A repair began (automatic or asked for).",
    scope: "bot",
    data: z.strictObject({
      trigger: z.enum(REPAIR_TRIGGERS).describe("what set it off (docs/repair.md)"),
      cause: z.string().describe("the fault in words, secrets masked"),
      dryRun: z.boolean().describe("nothing is changed, the plan is recorded"),
    }),
  }),
  "repair.finished": spec({
    version: 1,
    summary: "A repair ended; its record is at /api/v1/repairs/{id}.",
    scope: "bot",
    data: z.strictObject({
      id: z.string().describe("the repair record's id"),
      outcome: z.enum(REPAIR_OUTCOMES),
      tier: z.number().int().min(0).max(3).describe("the highest tier that ran (0: none)"),
      trigger: z.enum(REPAIR_TRIGGERS),
      summary: z.string().describe("how it ended and why, in one line"),
    }),
  }),
  "repair.paused": spec({
    version: 1,
    summary: "Automatic repair was paused for a bot or the whole fleet.",
    scope: "either",
    data: z.strictObject({
      reason: z.string().describe("why, as the operator gave it"),
      scope: z.string().describe("the bot's name, or `fleet`"),
    }),
  }),
  "repair.resumed": spec({
    version: 1,
    summary: "Automatic repair was resumed for a bot or the whole fleet.",
    scope: "either",
    data: z.strictObject({ scope: z.string().describe("the bot's name, or `fleet`") }),
  }),
  "session.started": spec({
    version: 1,
    summary:
      "clawops saw a session (a transcript) for the first time: a new conversation, or a reset one under the same key.",
    scope: "bot",
    data: z.strictObject({
      sessionId: z.string().describe("the transcript's id on the gateway"),
      sessionKey: z.string().describe("the conversation's key, e.g. `agent:main:main`"),
      agentId: z.string().describe("the agent it belongs to"),
      channel: z.string().nullable().describe("the channel it came through; null when direct"),
    }),
  }),
  "session.message": spec({
    version: 1,
    summary:
      "A transcript message was stored for the first time (live or by catch-up). Not in the event log: the message itself is kept in the sessions store (`clawops session ID`).",
    scope: "bot",
    stored: false,
    data: z.strictObject({
      sessionId: z.string().describe("the transcript's id on the gateway"),
      seq: z.number().int().describe("its position in the transcript"),
      role: z.enum(["user", "assistant", "tool", "system"]).describe("who wrote it"),
      preview: z.string().describe("the first 200 characters of its text"),
      toolCalls: z.array(z.string()).describe("the names of the tools it calls"),
      isError: z.boolean().describe("a failed tool result or turn"),
      model: z.string().nullable().describe("`provider/model` that wrote it (assistant messages)"),
      tokens: z
        .strictObject({
          input: z.number(),
          output: z.number(),
          cacheRead: z.number(),
          cacheWrite: z.number(),
        })
        .nullable()
        .describe("the tokens it used (assistant messages)"),
      costUsd: z.number().nullable().describe("its cost in US dollars, when known"),
      at: isoTime.describe("when the gateway wrote it (the gateway's clock)"),
    }),
  }),
  "session.deleted_on_gateway": spec({
    version: 1,
    summary:
      "A session clawops keeps is gone from the gateway (deleted or reset there); its history and cost stay in clawops.",
    scope: "bot",
    data: z.strictObject({
      sessionId: z.string().describe("the transcript's id"),
      sessionKey: z.string().describe("the conversation's key"),
    }),
  }),
  "budget.warning": spec({
    version: 1,
    summary:
      "A budget's spend reached its warning share (`warnAt`, 80 % by default) in the current period; sent once per period.",
    scope: "either",
    data: z.strictObject({
      ...budgetCrossing,
      warnAt: z.number().describe("the warning share, 0 to 1"),
    }),
  }),
  "budget.exceeded": spec({
    version: 1,
    summary:
      "A budget's spend reached its limit in the current period; sent once per period. With action `pause`, clawops refuses new chats with the scope's bots (their gateways stay up) until the period ends or an operator resumes them.",
    scope: "either",
    data: z.strictObject({
      ...budgetCrossing,
      action: z.enum(BUDGET_ACTIONS).describe("`notify`, or `pause`: the bots are paused"),
      pausedBots: z.array(z.string()).describe("the bots paused now (empty for `notify`)"),
      resumesAt: isoTime.describe("when the period ends and a pause lifts by itself"),
    }),
  }),
  "budget.resumed": spec({
    version: 1,
    summary: "A budget pause ended: new chats with the scope's bots go through clawops again.",
    scope: "either",
    data: z.strictObject({
      ...budgetFields,
      reason: z
        .enum(BUDGET_RESUME_REASONS)
        .describe(
          "`operator` (`clawops budget resume`), `period` (a new day or month), `limit` (the budget was raised, removed or set to notify)",
        ),
      bots: z.array(z.string()).describe("the bots the pause held"),
    }),
  }),
  ...TASK_EVENTS,
  ...APPROVAL_EVENTS,
} as const;

export type EventType = keyof typeof EVENT_CATALOGUE;
export const EVENT_TYPES = Object.keys(EVENT_CATALOGUE) as EventType[];

/** The `data` of one event type. */
export type EventData<T extends EventType> = z.infer<(typeof EVENT_CATALOGUE)[T]["data"]>;

/** What a `gateway.state` event may carry beyond the transition (`pid`: the process it concerns). */
export type GatewayStateExtras = Partial<
  Omit<EventData<"gateway.state">, "from" | "to" | "reason" | "inStateMs">
>;

interface Envelope {
  /** The bot it concerns, by id, when it concerns one. */
  botId: string | null;
  /** Who or what caused it: `cli`, `api`, `daemon`, `supervisor`, `repair`, `config`, a request (`cli#<id>`). */
  actor: string;
  /** ISO 8601 timestamp with milliseconds, UTC: when it was published. */
  ts: string;
}

/** An event as the bus delivers it: narrow on `type` and `data` is typed. */
export type BusEvent = {
  [T in EventType]: Envelope & { type: T; data: EventData<T> };
}[EventType];

/** What a publisher gives: a member of the catalogue; `botId` and `ts` may be left out. */
export type OpsEventInput = {
  [T in EventType]: Partial<Pick<Envelope, "botId" | "ts">> & {
    type: T;
    actor: string;
    data: EventData<T>;
  };
}[EventType];

/**
 * An event as the store holds it. History is read as it was written: an
 * older version of a type, or a type no longer published, keeps its shape
 * (use `readEvent` to get a typed event back).
 */
export interface OpsEvent {
  id: number;
  ts: string;
  type: string;
  /** The version of the type's schema it was published with. */
  version: number;
  botId: string | null;
  actor: string;
  data: Record<string, unknown>;
}

/** What the store appends: a delivered event and its schema version. */
export type StoredEventInput = Omit<OpsEvent, "id">;

/** Whether the event log keeps events of this type (see `EventSpec.stored`). */
export function eventStored(type: string): boolean {
  return (
    !Object.hasOwn(EVENT_CATALOGUE, type) ||
    (EVENT_CATALOGUE[type as EventType] as EventSpec<z.ZodType>).stored !== false
  );
}

/** The schema version an event type is published with now; 0 for a type not in the catalogue. */
export function eventVersion(type: string): number {
  return Object.hasOwn(EVENT_CATALOGUE, type) ? EVENT_CATALOGUE[type as EventType].version : 0;
}

/**
 * A stored event as a typed one, when it is of a current type and version
 * and its data still matches; null otherwise.
 */
export function readEvent(event: OpsEvent): BusEvent | null {
  if (!Object.hasOwn(EVENT_CATALOGUE, event.type)) return null;
  const type = event.type as EventType;
  if (EVENT_CATALOGUE[type].version !== event.version) return null;
  const data = EVENT_CATALOGUE[type].data.safeParse(event.data);
  if (!data.success) return null;
  return {
    type,
    data: data.data,
    botId: event.botId,
    actor: event.actor,
    ts: event.ts,
  } as BusEvent;
}

/** Checks an event against the catalogue: the issues, or null when it conforms. */
export function eventIssues(event: { type: string; data: unknown }): string | null {
  if (!Object.hasOwn(EVENT_CATALOGUE, event.type)) return `${event.type} is not in the catalogue`;
  const parsed = EVENT_CATALOGUE[event.type as EventType].data.safeParse(event.data);
  return parsed.success ? null : z.prettifyError(parsed.error);
}
