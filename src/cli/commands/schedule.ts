import type { Command } from "commander";
import { formatDurationMs } from "../../core/duration.js";
import type { Schedule, Task } from "../../core/task.js";
import { act } from "../act.js";
import { parseCount, parseDuration } from "../arguments.js";
import { type CommandOptions, loadCliConfig } from "../context.js";
import { callDaemon, daemonEndpoint } from "../daemon-client.js";
import { EXIT, emit, table } from "../output.js";

interface AddOptions extends CommandOptions {
  every: number;
  title?: string;
  timeLimit?: number;
  attempts?: number;
  now?: boolean;
  paused?: boolean;
}

interface ListOptions extends CommandOptions {
  bot?: string;
}

const endpoint = (options: CommandOptions) => daemonEndpoint(loadCliConfig(options).config);
const schedulePath = (id: string, action = "") =>
  `/api/v1/schedules/${encodeURIComponent(id)}${action}`;

/** `clawops schedule add|list|show|remove|pause|resume`: heartbeats that make tasks unattended. */
export function registerScheduleCommands(program: Command) {
  const schedule = program
    .command("schedule")
    .description('schedules: "every 5 minutes, run this" as a task on a bot, unattended');

  schedule
    .command("add")
    .argument("<bot>", "bot name or id")
    .argument("<prompt>", "what the agent is asked each time")
    .requiredOption("--every <duration>", 'the period, e.g. "5m" (at least 5s)', parseDuration)
    .option("--title <text>", "the title of its tasks")
    .option(
      "--time-limit <duration>",
      "per attempt (default the period, at most 10m)",
      parseDuration,
    )
    .option("--attempts <n>", "attempts per run (1-10, default 1)", parseCount(10))
    .option("--now", "make the first task now (default: one period from now)")
    .option("--paused", "create it paused")
    .option("--json", "print JSON")
    .action(
      act(async (options: AddOptions, bot: string, prompt: string) => {
        const answer = await callDaemon<{ schedule: Schedule }>(
          endpoint(options),
          "/api/v1/schedules",
          {
            method: "POST",
            body: {
              bot,
              prompt,
              everyMs: options.every,
              ...(options.title ? { title: options.title } : {}),
              ...(options.timeLimit ? { timeLimitMs: options.timeLimit } : {}),
              ...(options.attempts ? { maxAttempts: options.attempts } : {}),
              ...(options.now ? { runNow: true } : {}),
              ...(options.paused ? { enabled: false } : {}),
            },
          },
        );
        emit(
          options,
          answer,
          ({ schedule: s }) =>
            `schedule ${s.id}: every ${formatDurationMs(s.everyMs)} on ${s.botName}, next run ${s.nextRunAt}${s.enabled ? "" : " (paused)"}`,
        );
        return EXIT.ok;
      }),
    );

  schedule
    .command("list")
    .description("every schedule, with its next run")
    .option("--bot <name>", "only this bot's schedules")
    .option("--json", "print JSON")
    .action(
      act(async (options: ListOptions) => {
        const query = options.bot ? `?bot=${encodeURIComponent(options.bot)}` : "";
        const answer = await callDaemon<{ schedules: Schedule[] }>(
          endpoint(options),
          `/api/v1/schedules${query}`,
        );
        emit(options, answer, ({ schedules }) => renderList(schedules));
        return EXIT.ok;
      }),
    );

  schedule
    .command("show")
    .argument("<id>", "the schedule's id")
    .description("one schedule and its history (its latest tasks)")
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions, id: string) => {
        const answer = await callDaemon<{ schedule: Schedule; tasks: Task[] }>(
          endpoint(options),
          schedulePath(id),
        );
        emit(options, answer, ({ schedule: s, tasks }) =>
          [
            renderList([s]),
            tasks.length === 0
              ? "no runs yet"
              : table(
                  ["TASK", "CREATED", "STATUS", "OUTCOME", "TOOK", "COST"],
                  tasks.map((t) => [
                    t.id,
                    t.createdAt,
                    t.status,
                    t.outcome ?? "-",
                    t.durationMs === null ? "-" : formatDurationMs(t.durationMs),
                    `$${t.usage.costUsd.toFixed(4)}`,
                  ]),
                ),
          ].join("\n"),
        );
        return EXIT.ok;
      }),
    );

  for (const [name, method, action, description, done] of [
    ["remove", "DELETE", "", "remove a schedule (its tasks stay)", "removed"],
    ["pause", "POST", "/pause", "stop making tasks until resumed", "paused"],
    [
      "resume",
      "POST",
      "/resume",
      "make tasks again (a missed run is made once, at once)",
      "resumed",
    ],
  ] as const) {
    schedule
      .command(name)
      .argument("<id>", "the schedule's id")
      .description(description)
      .option("--json", "print JSON")
      .action(
        act(async (options: CommandOptions, id: string) => {
          const answer = await callDaemon<{ schedule: Schedule }>(
            endpoint(options),
            schedulePath(id, action),
            { method },
          );
          emit(options, answer, ({ schedule: s }) => `schedule ${s.id} ${done}`);
          return EXIT.ok;
        }),
      );
  }
}

function renderList(schedules: Schedule[]): string {
  if (schedules.length === 0)
    return 'no schedules (add one: clawops schedule add BOT --every 5m "prompt")';
  return table(
    ["ID", "BOT", "EVERY", "STATE", "LAST RUN", "NEXT RUN", "TITLE"],
    schedules.map((s) => [
      s.id,
      s.botName,
      formatDurationMs(s.everyMs),
      s.enabled ? "active" : "paused",
      s.lastRunAt ?? "-",
      s.nextRunAt,
      s.title.slice(0, 40),
    ]),
  );
}
