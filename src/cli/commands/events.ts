import type { Command } from "commander";
import type { OpsEvent } from "../../core/events.js";
import { sleep } from "../../core/time.js";
import { requireBot } from "../../fleet/registry.js";
import { act } from "../act.js";
import { type CommandOptions, withRegistry } from "../context.js";
import { EXIT, emit, table } from "../output.js";

interface EventsOptions extends CommandOptions {
  bot?: string;
  type?: string;
  limit: string;
  follow?: boolean;
}

export function registerEvents(program: Command) {
  program
    .command("events")
    .description("show the lifecycle and audit log, oldest first")
    .option("--bot <name>", "only this bot's events")
    .option("--type <type>", 'only this type, or a prefix ending in "." (e.g. "gateway.")')
    .option("--limit <n>", "the newest N events", "50")
    .option("-f, --follow", "keep printing new events until Ctrl-C")
    .option("--json", "print JSON (with --follow: one event per line)")
    .action(
      act(async (options: EventsOptions) => {
        await withRegistry(options, async ({ store }) => {
          const botId = options.bot ? (await requireBot(store, options.bot)).id : undefined;
          const query = { botId, type: options.type };
          const events = await store.listEvents({ ...query, limit: Number(options.limit) || 50 });
          if (!options.follow) {
            emit(options, { events }, ({ events: list }) => renderEvents(list));
            return;
          }
          const stop = new AbortController();
          process.once("SIGINT", () => stop.abort());
          let afterId = events.at(-1)?.id ?? 0;
          let batch = events;
          for (;;) {
            for (const event of batch)
              process.stdout.write(`${options.json ? JSON.stringify(event) : renderLine(event)}\n`);
            afterId = batch.at(-1)?.id ?? afterId;
            if (stop.signal.aborted) return;
            await sleep(250);
            batch = await store.listEvents({ ...query, afterId, limit: 1000 });
          }
        });
        return EXIT.ok;
      }),
    );
}

function renderEvents(events: OpsEvent[]): string {
  if (events.length === 0) return "no events";
  return table(
    ["TIME", "TYPE", "ACTOR", "DETAILS"],
    events.map((e) => [e.ts, e.type, e.actor, describeEvent(e)]),
  );
}

function renderLine(e: OpsEvent): string {
  return `${e.ts}  ${e.type}  ${e.actor}  ${describeEvent(e)}`;
}

/** A gateway transition reads as a sentence; anything else shows its data. */
export function describeEvent(e: OpsEvent): string {
  if (e.type !== "gateway.state") return JSON.stringify(e.data);
  const d = e.data as Record<string, string | number | null | undefined>;
  const extra = [
    d.pid ? `pid ${d.pid}` : null,
    d.exitCode !== undefined && d.exitCode !== null ? `exit ${d.exitCode}` : null,
    d.signal && !String(d.reason).includes(String(d.signal)) ? String(d.signal) : null,
    typeof d.bootMs === "number" ? `boot ${d.bootMs}ms` : null,
  ].filter(Boolean);
  return `${d.from} → ${d.to}: ${d.reason}${extra.length > 0 ? ` (${extra.join(", ")})` : ""}`;
}
