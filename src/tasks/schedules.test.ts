import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers/cli.js";
import type { Bot } from "../core/bot.js";
import type { BusEvent } from "../core/events.js";
import { OpsError } from "../core/errors.js";
import { EventBus } from "../events/bus.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { ScheduleService } from "./schedules.js";
import { TaskService } from "./service.js";

/**
 * The scheduler against a real SQLite store, with the clock in the test's
 * hands, dispatch closed (the test moves the tasks itself);
 * test/tasks.test.ts runs schedules on a real gateway.
 */
describe("schedules", () => {
  const scratch = tempDir("clawops-schedules-");
  const log = pino({ level: "silent" });
  let store: Store;
  let bus: EventBus;
  let bot: Bot;
  let clock = Date.parse("2026-12-01T10:00:00.000Z");
  const events: BusEvent[] = [];

  /** Dispatch is closed: the test moves the tasks itself (their runs are the e2e suite's). */
  const services = async () => {
    const tasks = new TaskService({
      store,
      bus,
      log,
      now: () => clock,
      connect: () => Promise.reject(new OpsError("UNAVAILABLE", "no gateway in this test")),
    });
    await tasks.close();
    return { tasks, schedules: new ScheduleService({ store, bus, log, tasks, now: () => clock }) };
  };

  beforeAll(async () => {
    store = openSqliteStore(path.join(scratch.dir, "clawops.db"));
    await store.migrate();
    bus = new EventBus((batch) => store.appendEvents(batch), log);
    bus.subscribe((event) => events.push(event));
    bot = await store.createBot({
      name: "alpha",
      owner: null,
      driver: "process",
      stateDir: path.join(scratch.dir, "state"),
      configPath: path.join(scratch.dir, "openclaw.json"),
      port: 29_001,
      desiredState: "stopped",
      labels: {},
      openclawBin: null,
    });
  });

  afterAll(async () => {
    await bus.flush(5_000);
    bus.close();
    await store.close();
    scratch.remove();
  });

  it("makes one task per slot, waits while its last task is open, and a restart neither repeats nor skips a slot", async () => {
    const first = await services();
    const made = await first.schedules.create(
      { bot, prompt: "heartbeat", everyMs: 60_000, runNow: true },
      "test",
    );
    expect(made.nextRunAt).toBe("2026-12-01T10:00:00.000Z");
    // Fired at once; a second pass at the same moment makes nothing more.
    const [one] = await first.schedules.fireDue();
    expect(one).toMatchObject({ scheduleId: made.id, status: "assigned", review: false });
    expect(await first.schedules.fireDue()).toEqual([]);

    // Its task is still open at the next slot: the schedule waits instead of overlapping.
    await store.tasks.updateTask(one!.id, { status: "in_progress" });
    clock += 60_000;
    expect(await first.schedules.fireDue()).toEqual([]);
    expect((await store.tasks.getSchedule(made.id))?.nextRunAt).toBe("2026-12-01T10:01:00.000Z");

    // It ends 30 s later: the waiting run is made then, and the cadence stays on the minute.
    await store.tasks.updateTask(one!.id, { status: "done", outcome: "succeeded" });
    clock += 30_000;
    const [two] = await first.schedules.fireDue();
    expect(two?.createdAt).toBe("2026-12-01T10:01:30.000Z");
    expect((await store.tasks.getSchedule(made.id))?.nextRunAt).toBe("2026-12-01T10:02:00.000Z");
    await store.tasks.updateTask(two!.id, { status: "done", outcome: "failed" });
    await first.tasks.close();

    // clawops is down for ten minutes; a new daemon (new services, same store) makes one run, not ten.
    clock += 10 * 60_000;
    const second = await services();
    const caughtUp = await second.schedules.fireDue();
    expect(caughtUp).toHaveLength(1);
    expect(await second.schedules.fireDue()).toEqual([]);
    const after = await store.tasks.getSchedule(made.id);
    expect(after?.nextRunAt).toBe("2026-12-01T10:12:00.000Z");
    expect(after?.lastTaskId).toBe(caughtUp[0]!.id);
    expect((await store.tasks.listTasks({ scheduleId: made.id })).length).toBe(3);
    await second.tasks.close();
  });

  it("pauses, resumes (a run due meanwhile is made once), refuses a period under 5 s, and tells the bus", async () => {
    const { schedules, tasks } = await services();
    const made = await schedules.create({ bot, prompt: "p", everyMs: 60_000 }, "test");
    expect(made.nextRunAt).toBe(new Date(clock + 60_000).toISOString());
    await schedules.update(made.id, { enabled: false }, "test");
    clock += 5 * 60_000;
    expect((await schedules.fireDue()).filter((t) => t.scheduleId === made.id)).toEqual([]);
    await schedules.update(made.id, { enabled: true }, "test");
    expect((await schedules.fireDue()).filter((t) => t.scheduleId === made.id)).toHaveLength(1);
    await expect(schedules.update(made.id, { everyMs: 1_000 }, "test")).rejects.toMatchObject({
      code: "VALIDATION",
    });
    await schedules.remove(made.id, "test");
    await expect(schedules.get(made.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    const changes = events
      .filter((e) => e.type === "schedule.changed" && e.data.id === made.id)
      .map((e) => (e.type === "schedule.changed" ? e.data.change : null));
    expect(changes).toEqual(["created", "paused", "resumed", "removed"]);
    await tasks.close();
  });
});
