import type { Logger } from "pino";
import { z } from "zod";
import type { Bot } from "../core/bot.js";
import { OpsError, errorMessage } from "../core/errors.js";
import { createRedactor } from "../core/redact.js";
import type { BusEvent } from "../core/events.js";
import { LIVE_STATES, type GatewayInstance } from "../core/gateway-state.js";
import type { EventBus } from "../events/bus.js";
import type { MessageRecord } from "../core/session.js";
import { GatewayClient } from "../gateway/client.js";
import type { EventFrame } from "../gateway/frames.js";
import { keepsJsonlSessions } from "../gateway/compat.js";
import { gatewayTokenFrom, readOpenClawConfig } from "../gateway/openclaw-config.js";
import type { Store } from "../store/store.js";
import { type PriceDatabase, configPrices, loadPriceDatabase } from "./pricing.js";
import { followLegacySessions } from "./legacy.js";
import { SessionSync } from "./session-sync.js";
import type { IngestSettings } from "./settings.js";
import { StoreSink } from "./store-sink.js";

export interface IngestDeps {
  settings: IngestSettings;
  store: Store;
  bus: EventBus;
  log: Logger;
  /** The supervisor's view of every gateway. */
  instances(): Promise<GatewayInstance[]>;
  /** The environment the bot's gateway runs with (its token may come from there). */
  envFor(bot: Bot): NodeJS.ProcessEnv;
  /** Every secret the bot's gateway knows: masked in the messages clawops keeps. */
  secretsFor(bot: Bot): string[];
  /**
   * Capabilities the followed connection advertises (`exec-approvals` makes
   * it the bot's approval route: src/approvals/). Read when it opens.
   */
  capsFor?(bot: Bot): readonly string[];
  /** Called with every event frame the followed connection receives (after it opened). */
  onGatewayEvent?(bot: Bot, frame: EventFrame): void;
}

/** One followed gateway: over the protocol (2026.8 and later) or its JSONL files (before). */
interface Follow {
  path: "protocol" | "jsonl";
  connected(): boolean;
  start(): void;
  /** Resolves once its catch-up and queued writes so far are done. */
  idle(): Promise<void>;
  /** Sessions with a run in flight; null when the gateway cannot say. */
  activeTurns(): Promise<number | null>;
  /** The protocol connection, for other calls on it; null for a JSONL follow. */
  client: GatewayClient | null;
  stop(): void;
}

/** How long a planned restart's question "any chat turn in flight?" may take. */
const ACTIVE_TURNS_TIMEOUT_MS = 2_000;
const activeSchema = z.looseObject({
  sessions: z.array(z.looseObject({ hasActiveRun: z.boolean().optional() })),
  hasMore: z.boolean().default(false),
  nextOffset: z.number().nullish(),
});

/** Gateways in these states are followed; in any other the connection is closed. */
const FOLLOWED = new Set(["running", "degraded"]);
/** After a failed open, the wait before the next try: doubles per failure, up to the max. */
const RETRY_FIRST_MS = 5_000;
const RETRY_MAX_MS = 300_000;

/**
 * When a gateway whose follow failed may be tried again. A gateway that
 * refuses the connection (a wrong token, no WebSocket on its port) would
 * otherwise be asked again on every housekeeping tick (5 s) with a new
 * socket and a warning each time: at 100 such bots that alone cost the
 * daemon ~2 % of a core. A fresh start of the gateway clears its wait.
 */
export class RetryGate {
  private readonly waits = new Map<string, { failures: number; notBefore: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  mayTry(key: string): boolean {
    return (this.waits.get(key)?.notBefore ?? 0) <= this.now();
  }

  /** Records a failure; returns the wait before the next try, in ms. */
  failed(key: string): number {
    const failures = (this.waits.get(key)?.failures ?? 0) + 1;
    const waitMs = Math.min(RETRY_FIRST_MS * 2 ** (failures - 1), RETRY_MAX_MS);
    this.waits.set(key, { failures, notBefore: this.now() + waitMs });
    return waitMs;
  }

  clear(key: string): void {
    this.waits.delete(key);
  }
}

/**
 * Follows every live gateway's sessions into the store: one held protocol
 * connection and one `SessionSync` per gateway, opened when the gateway is
 * running (or degraded), closed when it stops. A gateway restart is the
 * client's reconnect, followed by a catch-up.
 */
export class IngestService {
  private readonly follows = new Map<string, Follow>();
  private readonly opening = new Set<string>();
  private readonly retry = new RetryGate();
  private priceDatabase: Promise<PriceDatabase> | null = null;
  private unsubscribe: (() => void) | null = null;
  private closed = false;
  /** Messages and sessions the gateways sent that could not be read, since start. */
  skipped = 0;

  constructor(private readonly deps: IngestDeps) {}

  /** Follows the gateways live now and those that come up later. */
  async start(): Promise<void> {
    if (!this.deps.settings.enabled) return;
    this.unsubscribe = this.deps.bus.subscribe((event) => this.onEvent(event));
    await this.reconcile();
  }

  /** Opens what should be followed and closes what should not (also run by the housekeeping loop). */
  async reconcile(): Promise<void> {
    if (!this.deps.settings.enabled || this.closed) return;
    const live = new Map(
      (await this.deps.instances())
        .filter((g) => FOLLOWED.has(g.state))
        .map((g) => [g.botId, g] as const),
    );
    for (const botId of this.follows.keys()) if (!live.has(botId)) this.drop(botId);
    for (const botId of live.keys()) await this.follow(botId);
  }

  /** Resolves once every followed gateway's catch-up and queued writes so far are done. */
  async idle(): Promise<void> {
    await Promise.all([...this.follows.values()].map((f) => f.idle()));
  }

  /**
   * Chat turns in flight on the bot's gateway (sessions with an active run),
   * from its followed connection; null when it is not followed or does not
   * answer within 2 s (a hung gateway: nothing to wait for).
   */
  async activeTurns(botId: string): Promise<number | null> {
    return (await this.follows.get(botId)?.activeTurns()) ?? null;
  }

  /**
   * Calls `method` on the bot's followed connection (the one that carries
   * its approval route). Throws `UNAVAILABLE` when the bot is not followed
   * over the protocol, else what the gateway answered.
   */
  async request<S extends z.ZodType>(
    botId: string,
    method: string,
    params: unknown,
    schema: S,
  ): Promise<z.output<S>> {
    const client = this.follows.get(botId)?.client;
    if (!client)
      throw new OpsError(
        "UNAVAILABLE",
        "clawops has no protocol connection to this bot's gateway (not running, before 2026.8, or ingest.enabled is false)",
        { retryable: true },
      );
    return client.request(method, params, schema);
  }

  /** Which gateways are followed and whether their connection is up. */
  status(): { botId: string; path: Follow["path"]; connected: boolean }[] {
    return [...this.follows].map(([botId, f]) => ({
      botId,
      path: f.path,
      connected: f.connected(),
    }));
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    for (const botId of [...this.follows.keys()]) this.drop(botId);
  }

  private onEvent(event: BusEvent) {
    if (event.type !== "gateway.state" || !event.botId) return;
    const botId = event.botId;
    // A gateway that (re)started is worth asking at once, whatever failed before.
    if (event.data.to === "running" && event.data.from !== "degraded") this.retry.clear(botId);
    if (FOLLOWED.has(event.data.to)) void this.follow(botId);
    else if (!LIVE_STATES.has(event.data.to) || event.data.to === "stopping") this.drop(botId);
  }

  private async follow(botId: string) {
    if (this.closed || this.follows.has(botId) || this.opening.has(botId)) return;
    if (!this.retry.mayTry(botId)) return;
    this.opening.add(botId);
    try {
      const bot = await this.deps.store.findBot(botId);
      if (!bot) return;
      const follow = await this.open(bot);
      if (this.closed || !this.opening.has(botId)) {
        follow.stop();
        return;
      }
      this.follows.set(botId, follow);
      this.retry.clear(botId);
      follow.start();
    } catch (error) {
      // A housekeeping tick after the wait, or the gateway's next start, tries again.
      const retryInMs = this.retry.failed(botId);
      this.deps.log.warn(
        { bot: botId, err: errorMessage(error), retryInMs },
        "ingest.follow_failed",
      );
    } finally {
      this.opening.delete(botId);
    }
  }

  private async open(bot: Bot): Promise<Follow> {
    const config = readOpenClawConfig(bot.configPath);
    const token = gatewayTokenFrom(config, this.deps.envFor(bot)) ?? undefined;
    const client = await GatewayClient.connect({
      url: `ws://127.0.0.1:${bot.port}/`,
      ...(token ? { token } : {}),
      auth: "backend",
      reconnect: true,
      caps: this.deps.capsFor?.(bot) ?? [],
    });
    const deps = this.deps;
    const stopEvents = deps.onGatewayEvent
      ? client.onEvent((frame) => deps.onGatewayEvent?.(bot, frame))
      : () => undefined;
    const log = this.deps.log.child({ bot: bot.name });
    const sink = new StoreSink({
      store: this.deps.store,
      bus: this.deps.bus,
      bot,
      configPrices: configPrices(config),
      overrides: this.deps.settings.prices,
      loadDatabase: () => this.loadDatabase(),
      redact: createRedactor(this.deps.secretsFor(bot)),
    });
    const onSkipped = (why: string) => {
      this.skipped += 1;
      log.warn({ why }, "ingest.skipped");
    };
    const onMessages = (messages: MessageRecord[]) => sink.published(messages);
    if (keepsJsonlSessions(client.hello.server.version)) {
      stopEvents();
      client.close();
      return this.followFiles(bot, sink, log, onMessages, onSkipped);
    }
    const sync = new SessionSync({
      botId: bot.id,
      client,
      sink,
      log,
      settleMs: this.deps.settings.settle,
      onMessages,
      onSkipped,
    });
    return {
      path: "protocol",
      connected: () => client.connected,
      start: () => sync.start(),
      idle: () => sync.idle(),
      activeTurns: () => countActiveRuns(client).catch(() => null),
      client,
      stop: () => {
        stopEvents();
        sync.stop();
        client.close();
      },
    };
  }

  /** A gateway before 2026.8: its sessions are JSONL files in its state dir. */
  private followFiles(
    bot: Bot,
    sink: StoreSink,
    log: Logger,
    onMessages: (messages: MessageRecord[]) => void,
    onSkipped: (why: string) => void,
  ): Follow {
    let follower: { stop(): Promise<void> } | null = null;
    return {
      path: "jsonl",
      connected: () => follower !== null,
      start: () => {
        follower = followLegacySessions({
          botId: bot.id,
          stateDir: bot.stateDir,
          sink,
          log,
          onMessages,
          onSkipped,
        });
      },
      idle: () => Promise.resolve(),
      activeTurns: () => Promise.resolve(null),
      client: null,
      stop: () => {
        void follower?.stop();
        follower = null;
      },
    };
  }

  private drop(botId: string) {
    this.opening.delete(botId);
    const follow = this.follows.get(botId);
    if (!follow) return;
    this.follows.delete(botId);
    follow.stop();
  }

  /** The price database, loaded once, on the first message that needs it. */
  private loadDatabase(): Promise<PriceDatabase> {
    return (this.priceDatabase ??= loadPriceDatabase());
  }
}

/** Sessions whose run is in flight, over every page of `sessions.list`. */
async function countActiveRuns(client: GatewayClient): Promise<number> {
  let active = 0;
  for (let offset: number | null | undefined = 0; offset != null;) {
    const page: z.infer<typeof activeSchema> = await client.request(
      "sessions.list",
      { offset },
      activeSchema,
      { timeoutMs: ACTIVE_TURNS_TIMEOUT_MS },
    );
    active += page.sessions.filter((s) => s.hasActiveRun === true).length;
    offset = page.hasMore && page.sessions.length > 0 ? page.nextOffset : null;
  }
  return active;
}
