import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import type { Bot } from "../core/bot.js";
import { OpsError } from "../core/errors.js";
import {
  type CanarySettings,
  canary,
  compileExpectation,
  costInHistory,
  resolveCanaryOutcome,
  utcDayStart,
} from "./canary.js";
import type { CheckOutcome, CheckServices, CheckTarget } from "./check.js";

const parse = (settings: Record<string, unknown>) =>
  configSchema.safeParse({ supervisor: { checks: { canary: settings } } });

const settingsOf = (settings: Record<string, unknown> = {}) =>
  configSchema.parse({ supervisor: { checks: { canary: { enabled: true, ...settings } } } })
    .supervisor.checks.canary as CanarySettings;

describe("the canary's settings", () => {
  it("is off by default, every 15 minutes, with its own session and a daily cap", () => {
    expect(configSchema.parse({}).supervisor.checks.canary).toEqual({
      enabled: false,
      period: 900_000,
      timeout: 60_000,
      failures: 2,
      prompt: "Reply with the word OK.",
      sessionKey: "agent:main:clawops-canary",
      maxCostUsdPerDay: 0.5,
    });
  });

  it("takes durations, an expectation and an allow-list of bots", () => {
    expect(
      settingsOf({ period: "5s", timeout: "4s", expect: "/^ok\\b/i", bots: ["demo"] }),
    ).toMatchObject({ enabled: true, period: 5_000, timeout: 4_000, bots: ["demo"] });
  });

  it("refuses what would be costly, pointless or someone else's", () => {
    const issues = (settings: Record<string, unknown>) => {
      const parsed = parse(settings);
      return parsed.success
        ? []
        : parsed.error.issues.map((i) => `${String(i.path.at(-1))}: ${i.message}`);
    };
    expect(issues({ period: "1s", timeout: "500ms" })).toEqual([
      "period: expected at least 5s (a canary is a real chat turn: use minutes)",
    ]);
    expect(issues({ period: "10s", timeout: "10s" })).toEqual([
      "timeout: expected less than period",
    ]);
    expect(issues({ sessionKey: "agent:main:main" })[0]).toMatch(/^sessionKey: .*main session/);
    expect(issues({ sessionKey: "clawops" })[0]).toMatch(/^sessionKey: expected agent:/);
    expect(issues({ expect: "/(/" })).toEqual([
      "expect: expected a substring or a valid /regex/flags",
    ]);
    expect(issues({ maxCostUsdPerDay: 0 })[0]).toMatch(/^maxCostUsdPerDay: /);
    expect(issues({ bots: ["Not A Name"] })[0]).toMatch(/^0: /);
    expect(issues({ every: "15m" })[0]).toMatch(/Unrecognized key/);
  });
});

describe("the canary's verdict on a turn", () => {
  const turn = {
    outcome: "final" as const,
    reply: "OK.",
    error: null,
    durationMs: 1234,
    costUsd: null,
  };

  it("passes a reply, with its latency", () => {
    expect(resolveCanaryOutcome(turn, undefined, 0.01)).toEqual({
      ok: true,
      message: "replied in 1.2s",
      facts: { canary: { outcome: "pass", latencyMs: 1234, costUsd: null, spentTodayUsd: 0.01 } },
    });
  });

  it("fails the gateway's error, an empty reply, an abort and a missed expectation", () => {
    const error = resolveCanaryOutcome(
      {
        ...turn,
        outcome: "error",
        reply: "",
        error: 'No API key found for provider "openai"',
        durationMs: 200,
      },
      undefined,
      0,
    );
    expect(error).toMatchObject({
      ok: false,
      message: 'the gateway answered an error after 0.2s: No API key found for provider "openai"',
      facts: { canary: { outcome: "fail", latencyMs: 200 } },
    });
    expect(resolveCanaryOutcome({ ...turn, reply: "  " }, undefined, 0).message).toBe(
      "an empty reply after 1.2s",
    );
    expect(resolveCanaryOutcome({ ...turn, outcome: "aborted" }, undefined, 0).ok).toBe(false);
    expect(resolveCanaryOutcome(turn, "banana", 0)).toMatchObject({
      ok: false,
      message: 'expectation not met: the reply "OK." does not contain banana',
      facts: { canary: { outcome: "fail" } },
    });
    expect(resolveCanaryOutcome(turn, "ok", 0).ok).toBe(true);
    expect(resolveCanaryOutcome(turn, "/^OK\\.$/", 0).ok).toBe(true);
  });

  it("matches substrings ignoring case, regexes with their flags", () => {
    expect(compileExpectation("ok")!("Sure: OK")).toBe(true);
    expect(compileExpectation("/^ok$/")!("OK")).toBe(false);
    expect(compileExpectation("/^ok$/i")!("OK")).toBe(true);
    // A `g` flag would make a second test start where the first ended.
    const global = compileExpectation("/ok/g")!;
    expect([global("ok"), global("ok")]).toEqual([true, true]);
    expect(compileExpectation("/[/")).toBeNull();
  });
});

describe("a canary run before its turn", () => {
  const bot = { id: "b1", name: "demo", port: 9, configPath: "/nonexistent/openclaw.json" } as Bot;
  const target = (services?: Partial<CheckServices>): CheckTarget => ({
    bot,
    // Nothing listens here: a run that got past its skips would fail, not hang.
    httpUrl: "http://127.0.0.1:9",
    pid: process.pid,
    startedAtMs: Date.now(),
    ...(services
      ? {
          services: {
            gatewayEnv: () => ({}),
            admitChat: () => Promise.resolve(),
            sessionCostUsd: () => Promise.resolve(0),
            redact: (_bot, text) => text.replaceAll("sk-secret-key", "[REDACTED]"),
            ...services,
          },
        }
      : {}),
  });
  const run = (t: CheckTarget, history: { atMs: number; outcome: CheckOutcome }[] = []) =>
    canary.run(t, settingsOf({ maxCostUsdPerDay: 0.5 }), new AbortController().signal, history);

  it("skips, not fails, once its spend today as the ingest stored it reaches the cap", async () => {
    const asked: [string, string][] = [];
    const outcome = await run(
      target({
        sessionCostUsd: (_bot, key, since) => {
          asked.push([key, since]);
          return Promise.resolve(0.5);
        },
      }),
    );
    expect(outcome).toEqual({
      ok: true,
      message: "skipped: budget cap (the canary spent $0.5000 of its $0.50 today)",
      facts: { canary: { outcome: "skipped", latencyMs: null, costUsd: null, spentTodayUsd: 0.5 } },
    });
    expect(asked).toEqual([["agent:main:clawops-canary", utcDayStart(Date.now())]]);
  });

  it("counts what its own turns reported today when the store knows less", async () => {
    const now = Date.now();
    const ran = (atMs: number, costUsd: number) => ({
      atMs,
      outcome: {
        ok: true,
        message: "replied",
        facts: { canary: { outcome: "pass" as const, latencyMs: 1, costUsd, spentTodayUsd: 0 } },
      },
    });
    const history = [ran(Date.parse(utcDayStart(now)) - 1, 5), ran(now, 0.3), ran(now, 0.25)];
    expect(costInHistory(history, utcDayStart(now))).toBeCloseTo(0.55);
    const outcome = await run(target({}), history);
    expect(outcome.message).toMatch(/^skipped: budget cap/);
  });

  it("skips a bot its budget paused, or when its budget or spend cannot be read", async () => {
    const paused = await run(
      target({
        admitChat: () => Promise.reject(new OpsError("BUDGET_EXCEEDED", "demo is paused")),
      }),
    );
    expect(paused).toMatchObject({
      ok: true,
      message: "skipped: the bot is paused by its budget",
      facts: { canary: { outcome: "skipped" } },
    });
    // clawops's own trouble is no verdict on the gateway, and spends nothing.
    expect(
      await run(target({ admitChat: () => Promise.reject(new Error("store down")) })),
    ).toMatchObject({
      ok: true,
      message: "skipped: cannot check the bot's budget: store down",
      facts: { canary: { outcome: "skipped", spentTodayUsd: null } },
    });
    expect(
      await run(target({ sessionCostUsd: () => Promise.reject(new Error("store down")) })),
    ).toMatchObject({ ok: true, message: "skipped: cannot read the canary's spend: store down" });
  });

  it("skips a gateway that is not ready: a boot is the readyz check's to judge", async () => {
    const outcome = await run(target({}));
    expect(outcome).toMatchObject({ ok: true, facts: { canary: { outcome: "skipped" } } });
    expect(outcome.message).toMatch(/^skipped: the gateway is not ready \(/);
  });

  it("fails a ready gateway it cannot talk to, the bot's secrets masked", async () => {
    // Ready by /readyz; the bot's config (and so its token) cannot be read.
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ready":true,"failing":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const ready = target({});
      const masked = await run({
        ...ready,
        httpUrl: `http://127.0.0.1:${port}`,
        bot: { ...bot, port, configPath: "/nonexistent/sk-secret-key/x" },
      });
      expect(masked).toMatchObject({ ok: false, facts: { canary: { outcome: "fail" } } });
      expect(masked.message).toMatch(/^cannot read the gateway's token: /);
      expect(masked.message).toContain("[REDACTED]");
      expect(masked.message).not.toContain("sk-secret-key");
    } finally {
      server.close();
    }
  });

  it("runs only on the bots it lists", () => {
    expect(canary.appliesTo!(bot, settingsOf())).toBe(true);
    expect(canary.appliesTo!(bot, settingsOf({ bots: ["demo"] }))).toBe(true);
    expect(canary.appliesTo!(bot, settingsOf({ bots: ["other"] }))).toBe(false);
  });
});
