import type { Bot } from "../core/bot.js";
import type { EventBus } from "../events/bus.js";

/**
 * Bot names by id and organisations by name, for what routes by either
 * without a store query per event (metrics labels, realtime rooms, notifier
 * scopes). Learnt from the registry at start and by the housekeeping loop,
 * and from `bot.registered` at once: a new bot's organisation is known when
 * its first event is routed, so subscribe it before anything that routes.
 */
export class BotDirectory {
  private readonly names = new Map<string, string>();
  private readonly orgs = new Map<string, string>();

  constructor(bus: EventBus) {
    bus.subscribe((event) => {
      if (event.type !== "bot.registered" || event.botId === null) return;
      this.names.set(event.botId, event.data.name);
      if (event.data.org !== undefined) this.orgs.set(event.data.name, event.data.org);
    });
  }

  /** Replaces what is known of the organisations with the registry's (a bot's is fixed at registration). */
  learn(bots: readonly Bot[]): void {
    this.orgs.clear();
    for (const bot of bots) {
      this.names.set(bot.id, bot.name);
      this.orgs.set(bot.name, bot.org);
    }
  }

  nameOf(id: string): string | null {
    return this.names.get(id) ?? null;
  }

  orgOf(name: string): string | null {
    return this.orgs.get(name) ?? null;
  }
}
