import { describe, expect, it } from "vitest";
import { REPAIR_ACTIONS } from "./actions/index.js";
import { diagnose } from "./diagnose.js";
import type { Evidence } from "./evidence.js";

/** Evidence of a plain process fault: nothing a restart cannot fix. */
function evidence(patch: Partial<Evidence> = {}): Evidence {
  return {
    state: "crashed",
    reason: "exited 1",
    pid: null,
    lastExit: null,
    logTail: [],
    logSignals: [],
    portHolder: null,
    staleLocks: [],
    legacyAuthFiles: [],
    configProblems: [],
    lastGood: [],
    ...patch,
  };
}

const staleGateway: Evidence["portHolder"] = {
  pid: 4242,
  startTime: 1,
  cmdline: "openclaw-gateway",
  looksLikeOpenClaw: true,
  stateDir: "/s",
  sameStateDir: true,
  answers: false,
};
type StaleLock = Evidence["staleLocks"][number];
const reusedLock: StaleLock = { file: "/s/tmp/openclaw-0/gateway.lock", pid: 77, why: "reused" };

describe("diagnose", () => {
  it("leaves a plain process fault to a restart", () => {
    expect(diagnose(evidence(), "crash")).toEqual({ causes: [], restartHelps: true, deepFix: [] });
  });

  it("plans every deep fix the evidence supports, in registry order, then a restart", () => {
    const all = diagnose(
      evidence({
        configProblems: ["gateway.port: too big"],
        lastGood: [{ file: "/k/alpha.json", problems: [] }],
        legacyAuthFiles: ["/s/agents/main/agent/auth-profiles.json"],
        portHolder: staleGateway,
        staleLocks: [reusedLock],
      }),
      "crash",
    );
    expect(all.restartHelps).toBe(false);
    expect(all.deepFix).toEqual([
      "restore-last-good-config",
      "stop",
      "archive-legacy-auth",
      "kill-verified-stale-listener",
      "clear-dead-lock",
      "restart",
    ]);
    expect(all.causes).toEqual([
      "invalid config: gateway.port: too big",
      "legacy auth-profiles.json blocks its providers (1 file(s))",
      "port held by a stale gateway of the same state dir: pid 4242 (openclaw-gateway), not answering /healthz",
      "gateway lock held by a reused pid: pid 77 (gateway.lock)",
    ]);
  });

  it("falls back to the doctor's fixes without a valid known-good copy", () => {
    const plan = diagnose(
      evidence({
        configProblems: ["bad"],
        lastGood: [{ file: "/k/alpha.json", problems: ["also bad"] }],
      }),
      "exit_78",
    );
    expect(plan.deepFix).toEqual(["apply-doctor-fixes", "restart"]);
  });

  it("ignores a dead pid's lock (OpenClaw reclaims it) and names causes no action fixes", () => {
    const plan = diagnose(
      evidence({
        staleLocks: [{ ...reusedLock, why: "dead" }],
        logSignals: ["state-dir-contention"],
      }),
      "crash",
    );
    expect(plan).toEqual({
      causes: ["another gateway holds the state dir (StateDatabaseCoordinatorContention)"],
      restartHelps: false,
      deepFix: [],
    });
    expect(diagnose(evidence(), "crash_loop")).toEqual({
      causes: ["crash loop: restarts did not hold"],
      restartHelps: false,
      deepFix: [],
    });
  });

  it("takes its deep fixes from the actions' own declarations", () => {
    const declared = Object.values(REPAIR_ACTIONS)
      .filter((action) => action.deepFix)
      .map((action) => action.name);
    expect(declared).toEqual([
      "restore-last-good-config",
      "apply-doctor-fixes",
      "archive-legacy-auth",
      "kill-verified-stale-listener",
      "clear-dead-lock",
    ]);
  });
});
