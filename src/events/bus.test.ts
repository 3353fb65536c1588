import pino from "pino";
import { describe, expect, it } from "vitest";
import type { BusEvent, OpsEvent, OpsEventInput } from "../core/events.js";
import { EventBus } from "./bus.js";

/** A persist function that behaves like the store: ids in order, and it can be made to fail. */
function memoryPersist() {
  const stored: OpsEvent[] = [];
  const state = { failuresLeft: 0, calls: 0 };
  const persist = async (batch: readonly OpsEventInput[]) => {
    state.calls += 1;
    if (state.failuresLeft > 0) {
      state.failuresLeft -= 1;
      throw new Error("database is locked");
    }
    const events = batch.map((input, i) => ({
      id: stored.length + i + 1,
      ts: input.ts ?? new Date().toISOString(),
      botId: input.botId ?? null,
      type: input.type,
      actor: input.actor,
      data: input.data ?? {},
    }));
    stored.push(...events);
    return events;
  };
  return { stored, state, persist };
}

const log = pino({ level: "silent" });

describe("EventBus", () => {
  it("delivers in order and persists in order, with store ids", async () => {
    const { stored, persist } = memoryPersist();
    const bus = new EventBus(persist, log);
    const seen: BusEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    for (let i = 0; i < 500; i += 1) bus.publish({ type: "test.n", actor: "t", data: { i } });
    const last = await bus.publishAndWait({ type: "test.last", actor: "t" });
    expect(last.id).toBe(501);
    const order = [...Array.from({ length: 500 }, (_, i) => i), "last"];
    expect(stored.map((e) => e.data.i ?? "last")).toEqual(order);
    expect(seen.map((e) => e.data.i ?? "last")).toEqual(order);
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
      if (e.type === "gateway.crashed") bus.publish({ type: "repair.started", actor: "repair" });
    });
    bus.publish({ type: "gateway.crashed", actor: "supervisor" });
    expect(seen).toEqual([]);
    await Promise.resolve();
    expect(seen).toEqual(["gateway.crashed", "repair.started"]);
    expect(stored).toEqual([]);
    expect(bus.health().pending).toBe(2);
    state.failuresLeft = 0;
    expect((await bus.flush(5_000)).left).toBe(0);
    expect(stored.map((e) => e.type)).toEqual(["gateway.crashed", "repair.started"]);
  });

  it("retries a failing store without losing or reordering events, and reports it meanwhile", async () => {
    const { stored, state, persist } = memoryPersist();
    state.failuresLeft = 3;
    const bus = new EventBus(persist, log);
    bus.publish({ type: "a", actor: "t" });
    bus.publish({ type: "b", actor: "t" });
    await new Promise((r) => setTimeout(r, 50));
    expect(bus.health().pending).toBe(2);
    expect(bus.health().lastError).toBe("database is locked");
    const { left } = await bus.flush(5_000);
    expect(left).toBe(0);
    expect(stored.map((e) => e.type)).toEqual(["a", "b"]);
    expect(state.calls).toBe(4);
    expect(bus.health().lastError).toBeNull();
  });

  it("flush gives up after its timeout and says how many are left", async () => {
    const { state, persist } = memoryPersist();
    state.failuresLeft = 1_000;
    const bus = new EventBus(persist, log);
    bus.publish({ type: "stuck", actor: "t" });
    const started = Date.now();
    expect(await bus.flush(300)).toEqual({ left: 1 });
    expect(Date.now() - started).toBeLessThan(1_000);
    bus.close();
    await expect(bus.publishAndWait({ type: "late", actor: "t" })).rejects.toThrow(
      "event bus closed",
    );
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
    const unsubscribe = bus.subscribe((e) => seen.push(e.type));
    await bus.publishAndWait({ type: "one", actor: "t" });
    unsubscribe();
    await bus.publishAndWait({ type: "two", actor: "t" });
    expect(seen).toEqual(["one"]);
  });
});
