import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { Bot } from "../core/bot.js";
import type { BusEvent } from "../core/events.js";
import { newInstance } from "../core/gateway-state.js";
import {
  countFleetEvent,
  createFleetMetrics,
  recordBudgetUsage,
  recordGatewayStates,
  recordNotifierTotals,
  recordRepairStatus,
  resolveErrorReason,
} from "./fleet-metrics.js";

const bot = (id: string, name: string, desiredState: "running" | "stopped" = "running") =>
  ({ id, name, desiredState }) as Bot;

function setup() {
  const registry = new Registry();
  return { registry, metrics: createFleetMetrics(registry) };
}

/** One sample's value from the exposition, or undefined. */
async function sample(registry: Registry, series: string): Promise<number | undefined> {
  const text = await registry.metrics();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const envelope = { botId: "b1", actor: "test", ts: "2026-01-01T00:00:00.000Z" };

describe("fleet metrics", () => {
  it("gives each bot its state, liveness, readiness and wish, and zero crash counters", async () => {
    const { registry, metrics } = setup();
    const running = { ...newInstance("b1"), state: "running" as const };
    const degraded = { ...newInstance("b2"), state: "degraded" as const };
    recordGatewayStates(
      metrics,
      [bot("b1", "alpha"), bot("b2", "beta"), bot("b3", "gamma", "stopped")],
      [running, degraded],
    );
    expect(await sample(registry, 'clawops_gateway_state{bot="alpha",state="running"}')).toBe(1);
    expect(await sample(registry, 'clawops_gateway_state{bot="alpha",state="failed"}')).toBe(0);
    expect(await sample(registry, 'clawops_gateway_up{bot="beta"}')).toBe(1);
    expect(await sample(registry, 'clawops_gateway_ready{bot="beta"}')).toBe(0);
    expect(await sample(registry, 'clawops_gateway_up{bot="gamma"}')).toBe(0);
    expect(await sample(registry, 'clawops_gateway_desired_up{bot="gamma"}')).toBe(0);
    expect(await sample(registry, 'clawops_gateway_crashes_total{bot="gamma"}')).toBe(0);
  });

  it("counts crashes, crash loops, repairs and messages from events", async () => {
    const { registry, metrics } = setup();
    const name = () => "alpha";
    const events: BusEvent[] = [
      {
        ...envelope,
        type: "gateway.state",
        data: { from: "running", to: "crashed", reason: "killed", pid: 1, inStateMs: 5 },
      },
      {
        ...envelope,
        type: "repair.finished",
        data: { id: "r", outcome: "escalated", tier: 2, trigger: "crash", summary: "no" },
      },
      {
        ...envelope,
        type: "session.message",
        data: {
          sessionId: "s",
          seq: 1,
          role: "assistant",
          preview: "No API key found for provider openai",
          toolCalls: [],
          isError: true,
          model: null,
          tokens: null,
          costUsd: null,
          at: envelope.ts,
        },
      },
    ];
    for (const event of events) countFleetEvent(metrics, event, name);
    expect(await sample(registry, 'clawops_gateway_crashes_total{bot="alpha"}')).toBe(1);
    expect(
      await sample(
        registry,
        'clawops_repairs_total{bot="alpha",outcome="escalated",tier="2",trigger="crash"}',
      ),
    ).toBe(1);
    expect(
      await sample(registry, 'clawops_session_messages_total{bot="alpha",role="assistant"}'),
    ).toBe(1);
    expect(
      await sample(
        registry,
        'clawops_session_message_errors_total{bot="alpha",reason="provider_key_missing"}',
      ),
    ).toBe(1);
    expect(
      await sample(registry, 'clawops_session_message_errors_total{bot="alpha",reason="other"}'),
    ).toBe(0);
  });

  it("classifies a missing provider key by the gateway's words", () => {
    expect(resolveErrorReason('No API key found for provider "anthropic"')).toBe(
      "provider_key_missing",
    );
    expect(resolveErrorReason("429 rate limited")).toBe("other");
  });

  it("turns notifier totals into counters that only grow by the difference", async () => {
    const { registry, metrics } = setup();
    const totals = { name: "ops", type: "telegram", sent: 2, failed: 1, dropped: 0 };
    recordNotifierTotals(metrics, [totals], metrics.notifierSeen);
    recordNotifierTotals(metrics, [{ ...totals, sent: 5 }], metrics.notifierSeen);
    expect(
      await sample(registry, 'clawops_notifier_sent_total{notifier="ops",type="telegram"}'),
    ).toBe(5);
    expect(
      await sample(registry, 'clawops_notifier_failed_total{notifier="ops",type="telegram"}'),
    ).toBe(1);
  });

  it("records the repair budget, pauses (fleet-wide too) and budget usage", async () => {
    const { registry, metrics } = setup();
    const bots = [bot("b1", "alpha"), bot("b2", "beta")];
    recordRepairStatus(
      metrics,
      {
        enabled: true,
        dryRun: false,
        budget: { maxPerHour: 3, cooldownMs: 60_000 },
        pauses: [{ botId: "b2", by: "cli", reason: "", since: envelope.ts }],
        budgets: [
          { bot: "alpha", repairing: false, remaining: 3, cooldownUntil: null },
          { bot: "beta", repairing: false, remaining: 0, cooldownUntil: envelope.ts },
        ],
      },
      bots,
    );
    expect(await sample(registry, 'clawops_repair_budget_remaining{bot="alpha"}')).toBe(3);
    expect(await sample(registry, 'clawops_repair_paused{bot="alpha"}')).toBe(0);
    expect(await sample(registry, 'clawops_repair_paused{bot="beta"}')).toBe(1);
    expect(await sample(registry, "clawops_repair_enabled")).toBe(1);
    recordBudgetUsage(metrics, [
      { scope: "bot", name: "alpha", window: "day", spentUsd: 8, limitUsd: 10, paused: false },
      { scope: "owner", name: "team", window: "month", spentUsd: 1, limitUsd: 0, paused: true },
    ]);
    expect(
      await sample(
        registry,
        'clawops_budget_usage_ratio{scope="bot",name="alpha",window="day",bot="alpha"}',
      ),
    ).toBe(0.8);
    // An owner's budget has no bot label: only principals who see the whole daemon see it.
    expect(
      await sample(registry, 'clawops_budget_paused{scope="owner",name="team",window="month"}'),
    ).toBe(1);
  });
});
