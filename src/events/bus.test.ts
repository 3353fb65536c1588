import pino from "pino";
import { describe, expect, it } from "vitest";
import type { BusEvent, OpsEvent, OpsEventInput, StoredEventInput } from "../core/events.js";
import { EventBus } from "./bus.js";

/** A catalogue event that tells events apart by `reason`. */
const paused = (reason: string): OpsEventInput => ({
  type: "repair.paused",
  actor: "t",
  data: { reason, scope: "fleet" },
});
const reasonOf = (e: BusEvent | OpsEvent) => (e.data as { reason?: string }).reason;

/** A persist function that behaves like the store: ids in order, and it can be made to fail. */
function memoryPersist() {
  const stored: OpsEvent[] = [];
  const state = { failuresLeft: 0, calls: 0 };
  const persist = async (batch: readonly StoredEventInput[]) => {
    state.calls += 1;
    if (state.failuresLeft > 0) {
      state.failuresLeft -= 1;
      throw new Error("database is locked");
    }
    const events = batch.map((input, i) => ({ ...input, id: stored.length + i + 1 }));
    stored.push(...events);
    return events;
  };
  return { stored, state, persist };
}

const log = pino({ level: "silent" });

const hung: OpsEventInput = {
  type: "gateway.hung",
  botId: "b1",
  actor: "supervisor",
  data: {
    check: "healthz",
    failures: 3,
    message: "timeout",
    pid: 42,
    failingSince: "2026-11-30T00:00:00.000Z",
  },
};

describe("EventBus", () => {
  it("delivers in order and persists in order, with store ids", async () => {
    const { stored, persist } = memoryPersist();
    const bus = new EventBus(persist, log);
    const seen: BusEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    for (let i = 0; i < 500; i += 1) bus.publish(paused(String(i)));
    const last = await bus.publishAndWait(paused("last"));
    expect(last.id).toBe(501);
    expect(last.version).toBe(1);
    const order = [...Array.from({ length: 500 }, (_, i) => String(i)), "last"];
    expect(stored.map(reasonOf)).toEqual(order);
    expect(seen.map(reasonOf)).toEqual(order);
    // Stored as delivered: the time is the publish time.
    expect(seen.map((e) => e.ts)).toEqual(stored.map((e) => e.ts));
    expect(bus.health()).toMatchObject({ pending: 0, lastError: null, written: 501 });
  });

  it("delivers at once while the store cannot write (a full disk), never inside publish", async () => {
    const { stored, state, persist } = memoryPersist();
    state.failuresLeft = 1_000;
    const bus = new EventBus(persist, log);
    const seen: string[] = [];
    bus.subscribe((e) => {
      seen.push(e.type);
      // A listener that publishes: its event follows, in the same order for everyone.
      if (e.type === "gateway.hung") bus.publish(paused("by a listener"));
    });
    bus.publish(hung);
    expect(seen).toEqual([]);
    await Promise.resolve();
    expect(seen).toEqual(["gateway.hung", "repair.paused"]);
    expect(stored).toEqual([]);
    expect(bus.health().pending).toBe(2);
    state.failuresLeft = 0;
    expect((await bus.flush(5_000)).left).toBe(0);
    expect(stored.map((e) => e.type)).toEqual(["gateway.hung", "repair.paused"]);
  });

  it("retries a failing store without losing or reordering events, and reports it meanwhile", async () => {
    const { stored, state, persist } = memoryPersist();
    state.failuresLeft = 3;
    const bus = new EventBus(persist, log);
    bus.publish(paused("a"));
    bus.publish(paused("b"));
    await new Promise((r) => setTimeout(r, 50));
    expect(bus.health().pending).toBe(2);
    expect(bus.health().lastError).toBe("database is locked");
    const { left } = await bus.flush(5_000);
    expect(left).toBe(0);
    expect(stored.map(reasonOf)).toEqual(["a", "b"]);
    expect(state.calls).toBe(4);
    expect(bus.health().lastError).toBeNull();
  });

  it("flush gives up after its timeout and says how many are left", async () => {
    const { state, persist } = memoryPersist();
    state.failuresLeft = 1_000;
    const bus = new EventBus(persist, log);
    bus.publish(paused("stuck"));
    const started = Date.now();
    expect(await bus.flush(300)).toEqual({ left: 1 });
    expect(Date.now() - started).toBeLessThan(1_000);
    bus.close();
    await expect(bus.publishAndWait(paused("late"))).rejects.toThrow("event bus closed");
    const calls = state.calls;
    await new Promise((r) => setTimeout(r, 300));
    expect(state.calls).toBe(calls); // no more retries after close
  });

  it("keeps delivering when a listener throws, and stops after unsubscribe", async () => {
    const { persist } = memoryPersist();
    const bus = new EventBus(persist, log);
    const seen: string[] = [];
    bus.subscribe(() => {
      throw new Error("listener bug");
    });
    const unsubscribe = bus.subscribe((e) => seen.push(reasonOf(e)!));
    await bus.publishAndWait(paused("one"));
    unsubscribe();
    await bus.publishAndWait(paused("two"));
    expect(seen).toEqual(["one"]);
  });

  it("delivers a live-only type without writing it to the event log", async () => {
    const { stored, persist } = memoryPersist();
    const bus = new EventBus(persist, log);
    const seen: string[] = [];
    bus.subscribe((e) => seen.push(e.type));
    bus.publish({
      type: "session.message",
      botId: "b1",
      actor: "ingest",
      data: {
        sessionId: "s1",
        seq: 1,
        role: "user",
        preview: "hi",
        toolCalls: [],
        isError: false,
        model: null,
        tokens: null,
        costUsd: null,
        at: "2026-11-30T00:00:00.000Z",
      },
    });
    bus.publish(paused("after"));
    await bus.flush(1_000);
    expect(seen).toEqual(["session.message", "repair.paused"]);
    expect(stored.map((e) => e.type)).toEqual(["repair.paused"]);
  });

  it("hands consumers typed data: narrowing on the type is enough", async () => {
    const { persist } = memoryPersist();
    const bus = new EventBus(persist, log);
    const pids: (number | null)[] = [];
    bus.subscribe((e) => {
      // No cast: `data` is the hung event's own shape once `type` is known.
      if (e.type === "gateway.hung") pids.push(e.data.pid);
    });
    await bus.publishAndWait(hung);
    expect(pids).toEqual([42]);
  });

  it("refuses off-catalogue events at compile time, and logs one a cast let through", async () => {
    const { stored, persist } = memoryPersist();
    const lines: string[] = [];
    const recording = pino({ level: "error" }, { write: (line: string) => lines.push(line) });
    const bus = new EventBus(persist, recording);
    // @ts-expect-error: not a type of the catalogue
    bus.publish({ type: "gateway.crashed", actor: "t", data: {} });
    // @ts-expect-error: the hung event's data lacks its fields
    bus.publish({ type: "gateway.hung", actor: "t", data: { check: "healthz" } });
    // @ts-expect-error: a field the schema does not have
    bus.publish({ type: "repair.resumed", actor: "t", data: { scope: "fleet", extra: 1 } });
    expect((await bus.flush(5_000)).left).toBe(0);
    // Still delivered and stored (an event lost is worse than a misshapen one), and logged.
    expect(stored).toHaveLength(3);
    expect(lines.map((l) => JSON.parse(l) as { msg: string; type: string })).toMatchObject([
      { msg: "events.off_catalogue", type: "gateway.crashed" },
      { msg: "events.off_catalogue", type: "gateway.hung" },
      { msg: "events.off_catalogue", type: "repair.resumed" },
    ]);
  });
});
