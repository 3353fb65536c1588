import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { GatewayInstance } from "../src/core/gateway-state.js";
import { sleep } from "../src/core/time.js";
import type { CanaryResult } from "../src/daemon/canary-board.js";
import { FAKE_LLM_TEXT, type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import { GATEWAY_HOOK_TIMEOUT, gatewayRuntimeAvailable } from "./harness/gateway.js";
import { type Supervised, upWithGateway } from "./helpers/supervised.js";

/**
 * Only output is priced, at a cent a token: the fake LLM counts a token per word, so its
 * default reply (5 words) costs 5 cents and a one-word reply a cent.
 */
const PRICE = { input: 0, output: 10_000, cacheRead: 0, cacheWrite: 0 };
/**
 * Nine passes' worth (5 cents each): on a loaded CI host the canary passes several times before
 * the test changes the replies, and the cap must not come before the failures do.
 */
const CAP = 0.45;

type Gateway = GatewayInstance & { bot: string; canary: CanaryResult | null };

/**
 * The canary (issue 18) on a real gateway under a real `clawops up`: enabled with a short
 * period (real use is minutes), it passes and is counted in the metrics; replies that miss
 * its expectation make the bot degraded with the reason in `clawops status`; the right reply
 * again brings it back to running; once its own spend today (the ingest's record of its
 * session) reaches its daily cap, it skips instead of chatting.
 */
describe.runIf(gatewayRuntimeAvailable())("the canary on a real gateway", () => {
  let llm: FakeLlm;
  let setup: Supervised;

  const gateway = async (): Promise<Gateway> => {
    const status = (await (await setup.api("/status")).json()) as { gateways: Gateway[] };
    return status.gateways.find((g) => g.bot === "canary")!;
  };
  /** Polls the API's status until `match`; throws with the last answer after `timeoutMs`. */
  const until = async (what: string, match: (g: Gateway) => boolean, timeoutMs = 90_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const g = await gateway();
      if (match(g)) return g;
      if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(g)}`);
      await sleep(250);
    }
  };
  const metrics = async () => (await setup.daemon()!.fetch("/metrics")).text();

  beforeAll(async () => {
    llm = await startFakeLlm();
    setup = await upWithGateway({
      prefix: "clawops-canary-",
      bot: "canary",
      llmBaseUrl: llm.baseUrl,
      modelCost: PRICE,
      clawops: {
        supervisor: {
          checks: {
            healthz: { period: "1s", timeout: "3s", failures: 3 },
            canary: {
              enabled: true,
              period: "10s",
              timeout: "9s",
              expect: "fake LLM",
              maxCostUsdPerDay: CAP,
            },
          },
        },
      },
    });
  }, GATEWAY_HOOK_TIMEOUT);

  afterAll(async () => {
    await setup?.close();
    await llm?.close();
  });

  afterEach((context) => {
    if (context.task.result?.state === "fail")
      console.error(setup.daemon()?.output().split("\n").slice(-60).join("\n"));
  });

  it("passes, degrades the bot on replies that miss, recovers, and skips at its daily cap", async () => {
    const started = Date.now();
    const passed = await until("a first pass", (g) => g.canary?.outcome === "pass");
    console.log(`first canary pass ${Date.now() - started} ms after the start`);
    expect(passed.canary).toMatchObject({ failures: 0, degrading: false });
    expect(passed.canary!.message).toMatch(/^replied in \d+\.\ds$/);
    expect(passed.canary!.latencyMs).toBeGreaterThan(0);
    const canaryTurns = llm.requests.filter((r) =>
      JSON.stringify(r.body?.messages ?? []).includes("Reply with the word OK."),
    );
    expect(canaryTurns.length).toBeGreaterThan(0);
    const text = await metrics();
    expect(text).toMatch(/^clawops_canary_runs_total\{bot="canary",outcome="pass"\} [1-9]/m);
    expect(text).toMatch(/^clawops_canary_latency_seconds_count\{bot="canary"\} [1-9]/m);
    // Its own session, stored by the ingest like any other.
    await setup.sessionWhere((s) => s.sessionKey === "agent:main:clawops-canary", "its session");

    // Replies without the expected text: two failures in a row make it degraded (four queued:
    // one more than needed in case the gateway asks the LLM for anything else meanwhile).
    llm.enqueue({ text: "nope" }, { text: "nope" }, { text: "nope" }, { text: "nope" });
    const degradedAt = Date.now();
    const degraded = await until("degraded", (g) => g.state === "degraded");
    console.log(`degraded ${Date.now() - degradedAt} ms after the replies changed`);
    expect(degraded.reason).toMatch(
      /^canary: expectation not met: the reply "nope" does not contain fake LLM/,
    );
    expect(degraded.canary).toMatchObject({ outcome: "fail", degrading: true });
    expect(degraded.canary!.failures).toBeGreaterThanOrEqual(2);
    // Degraded, never restarted for it.
    expect(degraded.restarts).toBe(0);
    const shown = await setup.cli(["status"]);
    expect(shown.stdout).toContain("canary: degraded: canary: expectation not met");
    expect(shown.stdout).toMatch(/canary: fail \(\d in a row\): expectation not met/);

    const recovered = await until("running again", (g) => g.state === "running");
    expect(recovered.canary).toMatchObject({ outcome: "pass", failures: 0 });
    expect(recovered.restarts).toBe(0);
    expect(await metrics()).toMatch(
      /^clawops_canary_runs_total\{bot="canary",outcome="fail"\} [2-9]/m,
    );

    // Every pass costs 5 cents: the cap comes, and the canary stops chatting, not failing.
    const capped = await until(
      "skipped at the cap",
      (g) => g.canary?.outcome === "skipped",
      150_000,
    );
    expect(capped.canary!.message).toMatch(
      /^skipped: budget cap \(the canary spent \$0\.\d{4} of its \$0\.45 today\)$/,
    );
    expect(capped.canary!.spentTodayUsd).toBeGreaterThanOrEqual(CAP);
    expect(capped.state).toBe("running");
    const llmCalls = llm.requests.length;
    await until("a second skip", (g) => g.canary!.at !== capped.canary!.at);
    expect((await gateway()).canary!.outcome).toBe("skipped");
    expect(llm.requests.length).toBe(llmCalls);
    expect(await metrics()).toMatch(
      /^clawops_canary_runs_total\{bot="canary",outcome="skipped"\} [1-9]/m,
    );
    expect((await setup.cli(["status"])).stdout).toMatch(/canary: skipped: budget cap/);
    console.log(`default reply "${FAKE_LLM_TEXT}"; whole canary test ${Date.now() - started} ms`);
  }, 420_000);
});
