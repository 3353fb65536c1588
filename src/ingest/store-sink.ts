import type { Bot } from "../core/bot.js";
import { EMPTY_USAGE, type MessageRecord, type SessionRecord } from "../core/session.js";
import type { OpsEventInput } from "../core/events.js";
import type { EventBus } from "../events/bus.js";
import type { Store } from "../store/store.js";
import type { SessionMeta } from "./normalize.js";
import { type ModelPrice, type PriceDatabase, priceMessage } from "./pricing.js";
import type { IngestSink } from "./session-sync.js";

export interface StoreSinkOptions {
  store: Store;
  bus: EventBus;
  bot: Bot;
  /** The bot's gateway config's prices, by `provider/model`. */
  configPrices: ReadonlyMap<string, ModelPrice>;
  overrides: Readonly<Record<string, ModelPrice>>;
  loadDatabase(): Promise<PriceDatabase>;
  /**
   * Masks the secrets clawops knows for this bot (its gateway token, keys in
   * its config and environment) in what is kept: a user who pastes the token
   * into a chat, or a tool that prints the environment, must not put it in
   * clawops's store, API answers or events. Default: nothing masked.
   */
  redact?: (text: string) => string;
}

/** The characters of a message's text that its event carries. */
const PREVIEW = 200;

/**
 * One gateway's sessions into the store: each message priced on the way in
 * (`priceMessage`), new sessions and gone ones published as events.
 */
export class StoreSink implements IngestSink {
  constructor(private readonly options: StoreSinkOptions) {}

  /**
   * Inserts or updates a session. `keyKnown: false`: the source could not
   * name its key (a legacy transcript archived before clawops saw it), so
   * `meta.sessionKey` is a stand-in that never replaces a known key.
   */
  async saveSession(meta: SessionMeta, { keyKnown = true } = {}): Promise<void> {
    const { store, bot, bus } = this.options;
    const existing = await store.sessions.getSession(meta.botId, meta.sessionId);
    const now = new Date().toISOString();
    const known = keyKnown ? meta : { ...meta, sessionKey: undefined };
    const record: SessionRecord = existing
      ? { ...existing, ...definedOf(known), updatedAt: now }
      : {
          ...meta,
          botName: bot.name,
          messageCount: 0,
          usage: { ...EMPTY_USAGE },
          costSource: "none",
          deletedOnGateway: false,
          updatedAt: now,
        };
    // Its totals are the store's to add to (addMessages): an old copy must not overwrite them.
    await store.sessions.saveSessions([record], { keepTotals: true });
    if (existing) return;
    bus.publish({
      type: "session.started",
      botId: bot.id,
      actor: "ingest",
      data: {
        sessionId: meta.sessionId,
        sessionKey: meta.sessionKey,
        agentId: meta.agentId,
        channel: meta.channel,
      },
    });
  }

  /** Prices and inserts the messages; the store adds the new ones to their sessions' totals. */
  async addMessages(
    messages: readonly MessageRecord[],
    options: { replace?: boolean } = {},
  ): Promise<MessageRecord[]> {
    const priced = await Promise.all(messages.map((m) => this.price(m)));
    return this.options.store.sessions.addMessages(priced, options);
  }

  async markDeleted(botId: string, present: readonly string[]): Promise<void> {
    const change = await this.options.store.sessions.markDeleted(botId, present);
    for (const sessionId of change.deleted) {
      const session = await this.options.store.sessions.getSession(botId, sessionId);
      this.options.bus.publish({
        type: "session.deleted_on_gateway",
        botId,
        actor: "ingest",
        data: { sessionId, sessionKey: session?.sessionKey ?? "" },
      });
    }
  }

  cursor(botId: string, scope: string): Promise<string | null> {
    return this.options.store.sessions.getCursor(botId, scope);
  }

  saveCursor(botId: string, scope: string, cursor: string): Promise<void> {
    return this.options.store.sessions.saveCursor(botId, scope, cursor);
  }

  /** Publishes messages the store kept for the first time. */
  published(messages: readonly MessageRecord[]): void {
    for (const m of messages) this.options.bus.publish(sessionMessageEvent(m));
  }

  /** The message with known secrets masked in its text and tool arguments (its size stays the original's). */
  private mask(message: MessageRecord): MessageRecord {
    const { redact } = this.options;
    if (!redact) return message;
    return {
      ...message,
      text: redact(message.text),
      toolCalls: message.toolCalls.map((call) => ({ ...call, arguments: redact(call.arguments) })),
    };
  }

  private async price(raw: MessageRecord): Promise<MessageRecord> {
    const message = this.mask(raw);
    if (!message.usage) return message;
    const priced = await priceMessage(message.model, message.usage, {
      config: this.options.configPrices,
      overrides: this.options.overrides,
      database: () => this.options.loadDatabase(),
    });
    return {
      ...message,
      usage: { ...message.usage, costUsd: priced.costUsd },
      costSource: priced.source,
    };
  }
}

/** The fields the gateway did say: a missing one never erases what clawops knew. */
function definedOf(meta: Partial<SessionMeta>): Partial<SessionMeta> {
  return Object.fromEntries(
    Object.entries(meta).filter(([, value]) => value !== null && value !== undefined),
  );
}

/** The `session.message` event of a message the store kept for the first time. */
export function sessionMessageEvent(m: MessageRecord): OpsEventInput {
  return {
    type: "session.message",
    botId: m.botId,
    actor: "ingest",
    data: {
      sessionId: m.sessionId,
      seq: m.seq,
      role: m.role,
      preview: m.text.slice(0, PREVIEW),
      toolCalls: m.toolCalls.map((c) => c.name),
      isError: m.isError,
      model: m.model,
      tokens: m.usage
        ? {
            input: m.usage.input,
            output: m.usage.output,
            cacheRead: m.usage.cacheRead,
            cacheWrite: m.usage.cacheWrite,
          }
        : null,
      costUsd: m.usage ? m.usage.costUsd : null,
      at: m.at,
    },
  };
}
