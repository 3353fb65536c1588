import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type StandinGateway, startStandinGateway } from "../../test/harness/standin-gateway.js";
import { renderMarkdown } from "./report.js";
import { type LoadProgress, messageText, runLoad } from "./runner.js";
import { resolveScenario } from "./scenario.js";

const TOKEN = "standin-token-0123456789abcdef0123";
const bounds = { maxConnections: 1_000, maxRate: 10_000, maxDurationMs: 60_000 };

describe("the load runner against a protocol v4 stand-in", () => {
  let gateway: StandinGateway;
  beforeAll(async () => {
    gateway = await startStandinGateway({ token: TOKEN, firstTokenMs: 5, deltas: 3 });
  });
  afterAll(() => gateway.close());
  const target = () => ({ name: "standin", url: gateway.url, token: TOKEN });

  it("runs 10 users x 10 messages: every message answered, percentiles for each phase", async () => {
    const before = gateway.turns();
    const report = await runLoad({
      scenario: resolveScenario("10x10"),
      targets: [target()],
      bounds,
    });
    expect(gateway.turns() - before).toBe(100);
    expect(report).toMatchObject({
      passed: true,
      stoppedBy: "completed",
      connections: { attempted: 10, opened: 10, failed: 0, peakOpen: 10 },
      messages: { planned: 100, sent: 100, replied: 100, failed: 0, cut: 0 },
      errors: [],
    });
    expect(report.latency.connect?.count).toBe(10);
    expect(report.latency.reply?.count).toBe(100);
    expect(report.latency.firstToken?.count).toBe(100);
    // The stand-in waits 5 ms before its first delta: nothing can be faster than that.
    expect(report.latency.firstToken!.min).toBeGreaterThanOrEqual(4.5);
    expect(report.latency.reply!.p50).toBeGreaterThanOrEqual(report.latency.firstToken!.p50);
    expect(JSON.stringify(report)).not.toContain(TOKEN);
    await vi.waitFor(() => expect(gateway.connections()).toBe(0));
  });

  it("reconnects after every message in a reconnect storm", async () => {
    const report = await runLoad({
      scenario: resolveScenario("reconnect-storm", { users: 20 }),
      targets: [target()],
      bounds,
    });
    expect(report.connections).toMatchObject({ attempted: 80, opened: 80, failed: 0 });
    expect(report.messages).toMatchObject({ sent: 80, replied: 80 });
    expect(report.connections.peakOpen).toBeLessThanOrEqual(20);
    expect(report.passed).toBe(true);
  });

  it("keeps rapid-fire messages in flight together, each in a session of its own", async () => {
    const report = await runLoad({
      scenario: resolveScenario("rapid-fire"),
      targets: [target()],
      bounds,
    });
    expect(report.messages).toMatchObject({ sent: 100, replied: 100 });
    expect(report.connections.opened).toBe(1);
  });

  it("holds the send rate to --max-rate", async () => {
    const started = performance.now();
    const report = await runLoad({
      scenario: resolveScenario("10x10", { messages: 4 }),
      targets: [target()],
      bounds: { ...bounds, maxRate: 20 },
    });
    // 40 messages at 20/s, with a bucket of 2 to start: at least ~1.9 s.
    expect(performance.now() - started).toBeGreaterThan(1_800);
    expect(report.messages.replied).toBe(40);
  });

  it("counts a wrong token as auth-rejected and fails the run", async () => {
    const report = await runLoad({
      scenario: resolveScenario("smoke"),
      targets: [{ ...target(), token: "wrong-token-wrong-token-wrong-token" }],
      bounds,
    });
    expect(report.passed).toBe(false);
    expect(report.connections).toMatchObject({ attempted: 1, opened: 0, failed: 1 });
    expect(report.errors).toEqual([expect.objectContaining({ kind: "auth-rejected", count: 1 })]);
    expect(renderMarkdown(report)).toMatch(
      /^# Load run: smoke FAILED\n\n1 user, 3 messages each\. Against/,
    );
  });

  it("counts turns ending in error by kind, with the gateway's words", async () => {
    const failing = await startStandinGateway({
      token: TOKEN,
      turnError: 'No API key found for provider "fake"',
    });
    try {
      const report = await runLoad({
        scenario: resolveScenario("smoke"),
        targets: [{ name: "failing", url: failing.url, token: TOKEN }],
        bounds,
      });
      expect(report.messages).toMatchObject({ sent: 3, replied: 0, failed: 3 });
      expect(report.errors).toEqual([
        { kind: "turn-error", count: 3, example: 'No API key found for provider "fake"' },
      ]);
      expect(report.passed).toBe(false);
    } finally {
      await failing.close();
    }
  });

  it("counts a refused connection when nothing listens", async () => {
    const closed = await startStandinGateway({ token: TOKEN });
    const url = closed.url;
    await closed.close();
    const report = await runLoad({
      scenario: resolveScenario("smoke"),
      targets: [{ name: "gone", url, token: TOKEN }],
      bounds,
    });
    expect(report.errors[0]).toMatchObject({ kind: "connect-refused", count: 1 });
  });

  it("stops at --max-duration, cutting what is in flight instead of failing it", async () => {
    const slow = await startStandinGateway({ token: TOKEN, firstTokenMs: 5_000 });
    try {
      const report = await runLoad({
        scenario: resolveScenario("smoke"),
        targets: [{ name: "slow", url: slow.url, token: TOKEN }],
        bounds: { ...bounds, maxDurationMs: 300 },
      });
      expect(report.stoppedBy).toBe("max-duration");
      expect(report.messages).toMatchObject({ sent: 1, replied: 0, failed: 0, cut: 1 });
      expect(report.durationMs).toBeLessThan(2_000);
      expect(report.passed).toBe(false);
      expect(renderMarkdown(report)).toContain("stopped at --max-duration 300ms");
      // Percentiles never run past the largest value seen (HDR reports a bucket's upper bound).
      for (const l of Object.values(report.latency))
        if (l) expect(l.p99).toBeLessThanOrEqual(l.max);
    } finally {
      await slow.close();
    }
  });

  it("runs a ramp: users come and go on schedule, sending until the end", async () => {
    const seen: LoadProgress[] = [];
    const report = await runLoad({
      scenario: resolveScenario("ramp", {
        users: 4,
        think: "50ms",
        ramp: { up: "400ms", hold: "400ms", down: "400ms" },
      }),
      targets: [target()],
      bounds,
      progressEveryMs: 100,
      onProgress: (p) => seen.push(p),
    });
    expect(report.passed).toBe(true);
    expect(report.messages.planned).toBeNull();
    expect(report.messages.sent).toBeGreaterThan(20);
    expect(report.durationMs).toBeGreaterThanOrEqual(1_100);
    const opens = seen.map((p) => p.open);
    expect(Math.max(...opens)).toBe(4);
    // Users joined one by one, and left one by one.
    expect(opens.some((n) => n > 0 && n < 4)).toBe(true);
  });

  it("refuses, before it connects, a scenario over --max-connections", async () => {
    const before = gateway.turns();
    await expect(
      runLoad({
        scenario: resolveScenario("50x5"),
        targets: [target()],
        bounds: { ...bounds, maxConnections: 10 },
      }),
    ).rejects.toMatchObject({
      code: "USAGE",
    });
    await expect(
      runLoad({
        scenario: resolveScenario("50x5"),
        targets: [target()],
        bounds: { ...bounds, maxConnections: 10 },
      }),
    ).rejects.toThrow("opens 50 connections at once, more than --max-connections 10");
    expect(gateway.turns()).toBe(before);
  });
});

describe("scenarios", () => {
  it("pads a message to the scenario's payload size", () => {
    const scenario = resolveScenario("large-payload");
    const text = messageText(scenario, 0);
    expect(Buffer.byteLength(text)).toBe(12_000);
    expect(text).toMatch(/^Load test message 1:/);
  });

  it("names the field that is wrong", () => {
    expect(() => resolveScenario("smoke", { users: 0 })).toThrow(
      "built-in scenario smoke: users: Too small: expected number to be >=1",
    );
    expect(() => resolveScenario("nope")).toThrow(
      /no scenario named nope: use one of smoke, 10x10/,
    );
    expect(() => resolveScenario("10x10", { messages: null })).toThrow(/needs a ramp/);
  });
});
