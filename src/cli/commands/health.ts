import { type Command, InvalidArgumentError } from "commander";
import {
  type BotHealth,
  type FleetHealth,
  HEALTH_WINDOWS,
  type HealthWindow,
  buildFleetHealth,
} from "../../fleet/health.js";
import { requireBot } from "../../fleet/registry.js";
import { act } from "../act.js";
import { type CommandOptions, withRegistry } from "../context.js";
import { EXIT, emit, table } from "../output.js";

interface HealthOptions extends CommandOptions {
  window: HealthWindow;
}

const WINDOWS = Object.keys(HEALTH_WINDOWS) as HealthWindow[];

export function registerHealth(program: Command) {
  program
    .command("health [bot]")
    .description(
      "each bot's health over a window: score, uptime, restarts, crashes, failed messages, repairs, spend today (docs/dashboard.md)",
    )
    .option("--window <window>", `how far back: ${WINDOWS.join(", ")}`, parseWindow, "24h")
    .option("--json", "print JSON")
    .action(
      act(async (options: HealthOptions, name: string | undefined) => {
        const health = await withRegistry(options, async ({ store }) =>
          buildFleetHealth({
            store,
            window: options.window,
            ...(name ? { botId: (await requireBot(store, name)).id } : {}),
            instances: () => store.listInstances(),
          }),
        );
        emit(options, health, renderHealth);
        return EXIT.ok;
      }),
    );
}

function parseWindow(value: string): HealthWindow {
  if (!(WINDOWS as string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${WINDOWS.join(", ")}`);
  return value as HealthWindow;
}

const percent = (share: number | null) =>
  share === null ? "–" : `${(share * 100).toFixed(share >= 0.9995 || share === 0 ? 0 : 1)}%`;

export function renderHealth(health: FleetHealth): string {
  if (health.bots.length === 0) return "no bots";
  const rows = [...health.bots].sort(
    (a, b) => (a.score ?? 101) - (b.score ?? 101) || a.bot.localeCompare(b.bot),
  );
  const lines = [
    table(
      ["BOT", "SCORE", "UPTIME", "RESTARTS", "CRASHES", "FAILED", "REPAIRS", "OPEN", "TODAY"],
      rows.map((h) => [
        h.bot,
        h.score === null ? "–" : String(h.score),
        percent(h.uptime),
        String(h.restarts),
        String(h.crashes),
        h.errorRate === null ? "–" : `${percent(h.errorRate)} of ${h.messages}`,
        String(h.repairs),
        String(h.openRepairs),
        `$${h.costTodayUsd.toFixed(2)}`,
      ]),
    ),
    "",
    `over the last ${health.window} (since ${health.since.slice(0, 16).replace("T", " ")} UTC); today: since 00:00 UTC`,
  ];
  const [one] = health.bots;
  if (health.bots.length === 1 && one?.spans) lines.push("", ...renderTroubles(one));
  if (health.truncated) lines.push("(more state changes than read: the latest are left out)");
  return lines.join("\n");
}

/** The stretches a bot was down or degraded, newest first. */
function renderTroubles(health: BotHealth): string[] {
  const troubles = (health.spans ?? [])
    .filter((s) => s.status === "down" || s.status === "degraded")
    .reverse();
  if (troubles.length === 0) return ["never down or degraded in the window"];
  const at = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");
  return troubles.map(
    (s) =>
      `${s.status.padEnd(8)} ${at(s.start)} - ${at(s.end)} UTC (${Math.round((s.end - s.start) / 1000)} s)`,
  );
}
