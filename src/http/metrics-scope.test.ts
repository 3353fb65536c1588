import { Counter, Gauge, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { scopeMetrics } from "./metrics-scope.js";

/** A registry like the daemon's: per-bot series, and daemon-wide ones. */
async function exposition(): Promise<string> {
  const registry = new Registry();
  const rss = new Gauge({
    name: "clawops_gateway_rss_bytes",
    help: "rss",
    labelNames: ["bot"],
    registers: [registry],
  });
  rss.set({ bot: "alpha" }, 1);
  rss.set({ bot: "beta" }, 2);
  const cost = new Counter({
    name: "openclaw_cost_usd_total",
    help: "cost",
    labelNames: ["provider", "bot", "model"],
    registers: [registry],
  });
  cost.inc({ provider: "openai", bot: "beta", model: 'gpt "5", bot="alpha"' }, 3);
  cost.inc({ provider: "openai", bot: "alpha", model: "m" }, 4);
  const secret = new Gauge({
    name: "clawops_only_alpha",
    help: "only alpha's",
    labelNames: ["bot"],
    registers: [registry],
  });
  secret.set({ bot: "alpha" }, 5);
  const ready = new Gauge({ name: "clawops_ready", help: "ready", registers: [registry] });
  ready.set(1);
  return registry.metrics();
}

describe("scopeMetrics", () => {
  it("keeps only the series of the bots the organisation sees", async () => {
    const text = await exposition();
    const scoped = scopeMetrics(text, { sees: (bot) => bot === "beta", daemonWide: false });
    expect(scoped).toContain('clawops_gateway_rss_bytes{bot="beta"} 2');
    // A label value that spells another label does not fool it.
    expect(scoped).toContain('openclaw_cost_usd_total{provider="openai",bot="beta"');
    expect(scoped).not.toContain('bot="alpha"}');
    expect(scoped).not.toMatch(/\{[^}]*,?bot="alpha",/);
    // Nor does a metric only another organisation's bots have, not even its name.
    expect(scoped).not.toContain("clawops_only_alpha");
    // Daemon-wide series are the install's business.
    expect(scoped).not.toContain("clawops_ready");
    expect(scoped).toMatch(
      /^# HELP clawops_gateway_rss_bytes rss\n# TYPE clawops_gateway_rss_bytes gauge\n/,
    );
  });

  it("adds the daemon-wide series for those who see the whole daemon", async () => {
    const text = await exposition();
    const scoped = scopeMetrics(text, { sees: (bot) => bot === "alpha", daemonWide: true });
    expect(scoped).toContain("clawops_ready 1");
    expect(scoped).toContain('clawops_only_alpha{bot="alpha"} 5');
    expect(scoped).not.toContain('{bot="beta"}');
  });

  it("keeps everything for a principal who sees every bot, line for line", async () => {
    const text = await exposition();
    const lines = (t: string) => t.split("\n").filter((line) => line !== "");
    expect(lines(scopeMetrics(text, { sees: () => true, daemonWide: true }))).toEqual(lines(text));
  });

  it("answers nothing rather than empty headers when nothing is visible", async () => {
    expect(scopeMetrics(await exposition(), { sees: () => false, daemonWide: false })).toBe("");
  });
});
