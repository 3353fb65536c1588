import { describe, expect, it } from "vitest";
import type { BusEvent, EventData } from "../core/events.js";
import { START_FAILURE_KINDS, type StartFailureKind } from "../core/start-failure.js";
import { type Trigger, TriggerWatch } from "./triggers.js";

const watch = () =>
  new TriggerWatch({
    readinessGraceMs: 60_000,
    restartOnMemory: false,
    onTrigger: () => undefined,
    onWarning: () => undefined,
  });

function state(
  data: Partial<EventData<"gateway.state">>,
  ts = "2026-11-30T10:00:00.000Z",
): BusEvent {
  return {
    type: "gateway.state",
    botId: "b1",
    actor: "supervisor",
    ts,
    data: {
      from: "starting",
      to: "failed",
      reason: "cannot start",
      pid: null,
      inStateMs: 5,
      ...data,
    },
  };
}

const failedStart = (kind: StartFailureKind) =>
  state({
    to: "failed",
    reason: `cannot start: ${kind}`,
    failure: { kind, message: `the ${kind}` },
  });

describe("repair triggers from typed events", () => {
  it("derives a failed start's trigger from its kind, not from the words of its reason", () => {
    const expected: Record<StartFailureKind, Trigger["trigger"] | null> = {
      binary_missing: "start_failed",
      binary_not_executable: "start_failed",
      state_dir_unwritable: "start_failed",
      config_missing: "config_invalid",
      config_rejected: "config_invalid",
      // Named by their own events (gateway.port_conflict) or retried like a crash.
      port_held: null,
      spawn_error: null,
    };
    for (const kind of START_FAILURE_KINDS) {
      const trigger = watch().handle(failedStart(kind));
      expect({ kind, trigger: trigger?.trigger ?? null }).toEqual({
        kind,
        trigger: expected[kind],
      });
      if (trigger) expect(trigger).toMatchObject({ cause: `the ${kind}`, failure: { kind } });
    }
  });

  it("ignores a failed state without a failure kind, whatever its reason says", () => {
    expect(
      watch().handle(state({ to: "failed", reason: "cannot start: the start gate refused" })),
    ).toBeNull();
  });

  it("calls a crash after a hung event the hang's, dated to the first failed check", () => {
    const w = watch();
    const hung: BusEvent = {
      type: "gateway.hung",
      botId: "b1",
      actor: "supervisor",
      ts: "2026-11-30T10:00:10.000Z",
      data: {
        check: "healthz",
        failures: 3,
        message: "timeout",
        pid: 7,
        failingSince: "2026-11-30T10:00:01.000Z",
      },
    };
    expect(w.handle(hung)).toBeNull();
    expect(
      w.handle(
        state(
          { from: "running", to: "crashed", exitCode: null, signal: "SIGKILL" },
          "2026-11-30T10:00:11.000Z",
        ),
      ),
    ).toMatchObject({
      trigger: "hung",
      faultAt: "2026-11-30T10:00:01.000Z",
      cause: "hung: timeout",
    });
    expect(w.handle(state({ from: "running", to: "crashed", exitCode: 78 }))).toMatchObject({
      trigger: "exit_78",
    });
  });
});
