import type { Command } from "commander";
import type { OpsEvent } from "../../core/events.js";
import { requireBot } from "../../fleet/registry.js";
import { act } from "../act.js";
import { type CommandOptions, withRegistry } from "../context.js";
import { EXIT, emit, table } from "../output.js";

interface EventsOptions extends CommandOptions {
  bot?: string;
  type?: string;
  limit: string;
}

export function registerEvents(program: Command) {
  program
    .command("events")
    .description("show the lifecycle and audit log, oldest first")
    .option("--bot <name>", "only this bot's events")
    .option("--type <type>", 'only this type, or a prefix ending in "." (e.g. "bot.")')
    .option("--limit <n>", "the newest N events", "50")
    .option("--json", "print JSON")
    .action(
      act(async (options: EventsOptions) => {
        const events = await withRegistry(options, async ({ store }) => {
          const botId = options.bot ? (await requireBot(store, options.bot)).id : undefined;
          return store.listEvents({
            botId,
            type: options.type,
            limit: Number(options.limit) || 50,
          });
        });
        emit(options, { events }, ({ events: list }) => renderEvents(list));
        return EXIT.ok;
      }),
    );
}

function renderEvents(events: OpsEvent[]): string {
  if (events.length === 0) return "no events";
  return table(
    ["TIME", "TYPE", "ACTOR", "DETAILS"],
    events.map((e) => [e.ts, e.type, e.actor, JSON.stringify(e.data)]),
  );
}
