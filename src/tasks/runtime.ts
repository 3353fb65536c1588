import type { Logger } from "pino";
import { resolveTaskGate } from "../approvals/policy.js";
import { assertNotBudgetPaused } from "../budget/ledger.js";
import { resolveLimits } from "../budget/settings.js";
import type { ClawopsConfig } from "../config/schema.js";
import type { Bot } from "../core/bot.js";
import { type LoopRunner, sleep } from "../core/time.js";
import type { EventBus } from "../events/bus.js";
import { GatewayClient } from "../gateway/client.js";
import { gatewayEnv } from "../gateway/environment.js";
import { gatewayTokenFrom, readOpenClawConfig } from "../gateway/openclaw-config.js";
import type { Store } from "../store/store.js";
import { ScheduleService } from "./schedules.js";
import { TaskService } from "./service.js";

export interface TaskRuntimeDeps {
  config: ClawopsConfig;
  store: Store;
  bus: EventBus;
  log: Logger;
  /** The ingest's "stored what arrived so far" (its `idle()`). */
  ingestIdle(): Promise<void>;
  /** This daemon's host: it dispatches only its bots' tasks (docs/hosts.md). Absent: every bot's. */
  host?: string;
}

/** How often due tasks and schedules are looked for (new tasks are dispatched at once anyway). */
export const TASKS_TICK_MS = 1_000;

/**
 * The tasks capability as the daemon runs it: the service with its gateway
 * connections (a loopback backend client per attempt, with the bot's token,
 * as `clawops chat` uses), the budget gate, and the schedules.
 */
export function createTaskRuntime(deps: TaskRuntimeDeps) {
  const { config, store, bus, log } = deps;
  const tasks = new TaskService({
    store,
    bus,
    log: log.child({ part: "tasks" }),
    connect: async (bot: Bot) => {
      const token =
        gatewayTokenFrom(
          readOpenClawConfig(bot.configPath),
          gatewayEnv(config.supervisor.env, bot),
        ) ?? undefined;
      return GatewayClient.connect({
        url: `ws://127.0.0.1:${bot.port}/`,
        ...(token ? { token } : {}),
        auth: "backend",
        reconnect: true,
        connectTimeoutMs: 10_000,
      });
    },
    // A bot its budget paused takes no new work (as `clawops chat` refuses it).
    admit: (bot) => assertNotBudgetPaused(store, resolveLimits(config.budgets), bot, Date.now()),
    gate: (bot, prompt, requested) =>
      resolveTaskGate(config.approvals, bot.name, prompt, requested),
    // Bounded: a follow stuck on a hung gateway must not hold a task's end.
    ingestIdle: () => Promise.race([deps.ingestIdle(), sleep(2_000)]),
    ...(deps.host === undefined
      ? {}
      : {
          ownsBot: async (botId: string) => {
            const bot = await store.findBot(botId);
            // A removed bot's task fails wherever it is dispatched: any host may.
            return !bot || typeof bot.host !== "string" || bot.host === deps.host;
          },
        }),
  });
  const schedules = new ScheduleService({
    store,
    bus,
    log: log.child({ part: "schedules" }),
    tasks,
  });
  return {
    tasks,
    schedules,
    /**
     * Resumes attempts a stopped daemon left running, then dispatches on every
     * tick: this host's bots' tasks, on every host.
     */
    start(loops: LoopRunner, signal: AbortSignal): void {
      let resumed = false;
      loops.every("tasks", TASKS_TICK_MS, signal, async () => {
        if (!resumed) {
          await tasks.resumeRunning();
          resumed = true;
        }
        await tasks.dispatch();
      });
    },
    /** Fires due schedules every tick until `signal` aborts: the fleet's leader's job alone. */
    startSchedules(loops: LoopRunner, signal: AbortSignal): void {
      loops.every("schedules", TASKS_TICK_MS, signal, async () => {
        await schedules.fireDue();
      });
    },
    close: () => tasks.close(),
  };
}
