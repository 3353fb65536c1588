import { type Command, InvalidArgumentError } from "commander";
import { formatDurationMs } from "../../core/duration.js";
import { OpsError } from "../../core/errors.js";
import { TASK_STATUSES, type Task, type TaskRun, type TaskStatus } from "../../core/task.js";
import { sleep } from "../../core/time.js";
import { act } from "../act.js";
import { parseCount, parseDuration } from "../arguments.js";
import { type CommandOptions, loadCliConfig } from "../context.js";
import { type DaemonEndpoint, callDaemon, daemonEndpoint } from "../daemon-client.js";
import { EXIT, emit, table } from "../output.js";

interface AddOptions extends CommandOptions {
  title?: string;
  timeLimit?: number;
  attempts?: number;
  inbox?: boolean;
  review: boolean;
  gate?: boolean;
  wait?: boolean;
}

interface ListOptions extends CommandOptions {
  bot?: string;
  status?: TaskStatus;
  schedule?: string;
  limit: number;
}

/** Tasks live in the daemon (it dispatches and follows them): every command goes through its API. */
const endpoint = (options: CommandOptions): DaemonEndpoint =>
  daemonEndpoint(loadCliConfig(options).config);
const taskPath = (id: string, action = "") => `/api/v1/tasks/${encodeURIComponent(id)}${action}`;

/**
 * `clawops task add|list|show|move|cancel|retry|stats`: the Mission Control
 * board from the terminal (docs/tasks.md).
 */
export function registerTaskCommands(program: Command) {
  const task = program
    .command("task")
    .description(
      "tasks: prompts dispatched to a bot's agent, each attempt in a session of its own",
    );

  task
    .command("add")
    .argument("<bot>", "bot name or id")
    .argument("<prompt>", "what the agent is asked to do")
    .description("put a task on the board; it is dispatched at once (unless --inbox)")
    .option("--title <text>", "the card's title (default: the prompt's first line)")
    .option("--time-limit <duration>", 'per attempt, e.g. "10m" (default 10m)', parseDuration)
    .option("--attempts <n>", "attempts before it fails (1-10, default 1)", parseCount(10))
    .option("--inbox", "leave it in the inbox until moved to assigned")
    .option("--no-review", "a success goes straight to done instead of waiting in review")
    .option("--gate", "a person approves it before it runs (clawops task approve)")
    .option("--wait", "wait until it ends; exit 0 only if it succeeded")
    .option("--json", "print JSON")
    .action(
      act(async (options: AddOptions, bot: string, prompt: string) => {
        const daemon = endpoint(options);
        let { task: made } = await callDaemon<{ task: Task }>(daemon, "/api/v1/tasks", {
          method: "POST",
          body: {
            bot,
            prompt,
            ...(options.title ? { title: options.title } : {}),
            ...(options.timeLimit ? { timeLimitMs: options.timeLimit } : {}),
            ...(options.attempts ? { maxAttempts: options.attempts } : {}),
            status: options.inbox ? "inbox" : "assigned",
            review: options.review,
            ...(options.gate ? { gate: true } : {}),
          },
        });
        if (made.gate?.state === "pending" && process.stderr.isTTY && !options.json)
          process.stderr.write(
            `task ${made.id} waits for approval (${made.gate.by}: ${made.gate.reason}): clawops task approve ${made.id}\n`,
          );
        if (options.wait && !options.inbox && made.gate?.state !== "pending") {
          if (process.stderr.isTTY && !options.json)
            process.stderr.write(`task ${made.id} dispatched to ${made.botName}; waiting…\n`);
          made = await waitForEnd(daemon, made);
        }
        emit(options, { task: made }, ({ task: t }) => renderTask(t, []));
        if (!options.wait) return EXIT.ok;
        return made.outcome === "succeeded" ? EXIT.ok : EXIT.failure;
      }),
    );

  task
    .command("list")
    .description("the board, newest first")
    .option("--bot <name>", "only this bot's tasks")
    .option("--status <column>", `only one column: ${TASK_STATUSES.join(", ")}`, parseStatus)
    .option("--schedule <id>", "only the tasks a schedule made (its history)")
    .option("--limit <n>", "at most this many (1-1000)", parseCount(1000), 50)
    .option("--json", "print JSON")
    .action(
      act(async (options: ListOptions) => {
        const query = new URLSearchParams({ limit: String(options.limit) });
        if (options.bot) query.set("bot", options.bot);
        if (options.status) query.set("status", options.status);
        if (options.schedule) query.set("schedule", options.schedule);
        const answer = await callDaemon<{ tasks: Task[] }>(
          endpoint(options),
          `/api/v1/tasks?${query.toString()}`,
        );
        emit(options, answer, ({ tasks }) => renderList(tasks));
        return EXIT.ok;
      }),
    );

  task
    .command("show")
    .argument("<id>", "the task's id")
    .description("one task: its column, outcome, tokens, cost and every attempt's session")
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions, id: string) => {
        const answer = await callDaemon<{ task: Task; runs: TaskRun[] }>(
          endpoint(options),
          taskPath(id),
        );
        emit(options, answer, ({ task: t, runs }) => renderTask(t, runs));
        return EXIT.ok;
      }),
    );

  task
    .command("move")
    .argument("<id>", "the task's id")
    .argument("<column>", "inbox, assigned (dispatches it) or done (accepts a reviewed one)")
    .description("move a card by hand")
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions, id: string, column: string) => {
        const to = parseStatus(column);
        const answer = await callDaemon<{ task: Task }>(endpoint(options), taskPath(id, "/move"), {
          method: "POST",
          body: { to },
        });
        emit(options, answer, ({ task: t }) => `task ${t.id} is now in ${t.status}`);
        return EXIT.ok;
      }),
    );

  for (const [name, description] of [
    ["cancel", "cancel a task that has not ended (a running one is aborted on its gateway)"],
    ["retry", "run an ended task again (a fresh series of attempts, each in a new session)"],
  ] as const) {
    task
      .command(name)
      .argument("<id>", "the task's id")
      .description(description)
      .option("--json", "print JSON")
      .action(
        act(async (options: CommandOptions, id: string) => {
          const answer = await callDaemon<{ task: Task }>(
            endpoint(options),
            taskPath(id, `/${name}`),
            { method: "POST", timeoutMs: 30_000 },
          );
          emit(options, answer, ({ task: t }) =>
            name === "cancel"
              ? `task ${t.id} cancelled (${t.status}${t.outcome ? `, ${t.outcome}` : ""})`
              : `task ${t.id} assigned again to ${t.botName}`,
          );
          return EXIT.ok;
        }),
      );
  }

  for (const [name, description] of [
    ["approve", "approve a task its gate holds: it is dispatched at once"],
    ["deny", "deny a task its gate holds: it is done (cancelled)"],
  ] as const) {
    task
      .command(name)
      .argument("<id>", "the task's id")
      .description(description)
      .option("--reason <text>", "said on the card and in the audit trail")
      .option("--json", "print JSON")
      .action(
        act(async (options: CommandOptions & { reason?: string }, id: string) => {
          const answer = await callDaemon<{ task: Task }>(
            endpoint(options),
            taskPath(id, `/${name}`),
            {
              method: "POST",
              body: options.reason ? { reason: options.reason } : {},
            },
          );
          emit(options, answer, ({ task: t }) =>
            name === "approve"
              ? `task ${t.id} approved: dispatched to ${t.botName}`
              : `task ${t.id} denied (done, cancelled)`,
          );
          return EXIT.ok;
        }),
      );
  }
}

/** Polls the task until it has ended (review or done), at most its attempts' time limits and retries. */
async function waitForEnd(daemon: DaemonEndpoint, task: Task): Promise<Task> {
  const budgetMs = task.maxAttempts * (task.timeLimitMs + 300_000) + 30_000;
  const deadline = Date.now() + budgetMs;
  for (;;) {
    const { task: now } = await callDaemon<{ task: Task }>(daemon, taskPath(task.id));
    if (now.status === "review" || now.status === "done") return now;
    if (Date.now() > deadline)
      throw new OpsError(
        "TIMEOUT",
        `task ${task.id} had not ended after ${formatDurationMs(budgetMs)}; see "clawops task show ${task.id}"`,
      );
    await sleep(500);
  }
}

function parseStatus(value: string): TaskStatus {
  if (!(TASK_STATUSES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${TASK_STATUSES.join(", ")}`);
  return value as TaskStatus;
}

const usd = (n: number) => `$${n.toFixed(n < 0.01 && n > 0 ? 6 : 4)}`;
const tokensIn = (t: { usage: Task["usage"] }) =>
  t.usage.input + t.usage.output + t.usage.cacheRead + t.usage.cacheWrite;

function renderList(tasks: Task[]): string {
  if (tasks.length === 0) return 'no tasks (add one: clawops task add BOT "prompt")';
  return table(
    ["ID", "BOT", "STATUS", "OUTCOME", "TRIES", "TOKENS", "COST", "TITLE"],
    tasks.map((t) => [
      t.id,
      t.botName,
      t.status,
      t.outcome ?? "-",
      `${t.attempts}/${t.maxAttempts}`,
      String(tokensIn(t)),
      usd(t.usage.costUsd),
      t.title.slice(0, 50),
    ]),
  );
}

function renderTask(t: Task, runs: TaskRun[]): string {
  const lines = [
    `task ${t.id}: ${t.title}`,
    `  bot ${t.botName}, ${t.status}${t.outcome ? ` (${t.outcome})` : ""}, attempt ${t.attempts} of ${t.maxAttempts}, time limit ${formatDurationMs(t.timeLimitMs)}`,
    `  tokens ${tokensIn(t)} (in ${t.usage.input}, out ${t.usage.output}), cost ${usd(t.usage.costUsd)}`,
  ];
  if (t.durationMs !== null) lines.push(`  took ${formatDurationMs(t.durationMs)}`);
  if (t.sessionKey) lines.push(`  session ${t.sessionKey}`);
  if (t.nextAttemptAt) lines.push(`  next attempt at ${t.nextAttemptAt}`);
  if (t.gate)
    lines.push(
      `  gate ${t.gate.state} (${t.gate.by}: ${t.gate.reason})${t.gate.decidedBy ? ` by ${t.gate.decidedBy} at ${t.gate.decidedAt}` : ""}`,
    );
  if (t.error) lines.push(`  error: ${t.error}`);
  if (runs.length > 0)
    lines.push(
      table(
        ["RUN", "OUTCOME", "SESSION", "TOOK", "COST", "ERROR"],
        runs.map((r) => [
          String(r.attempt),
          r.outcome,
          r.sessionKey,
          r.durationMs === null ? "-" : formatDurationMs(r.durationMs),
          usd(r.usage.costUsd),
          r.error ?? "",
        ]),
      ),
    );
  return lines.join("\n");
}
