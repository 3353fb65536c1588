import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { BudgetStatus } from "../src/budget/ledger.js";
import type { GatewayInstance } from "../src/core/gateway-state.js";
import type { OpsEvent } from "../src/core/events.js";
import { sleep } from "../src/core/time.js";
import { type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import { type FakeTelegram, startFakeTelegram } from "./harness/fake-telegram.js";
import { GATEWAY_HOOK_TIMEOUT, gatewayRuntimeAvailable } from "./harness/gateway.js";
import { type Supervised, upWithGateway } from "./helpers/supervised.js";

const CHAT = 4343;
/**
 * Only output is priced, at a cent a token: the fake LLM counts one output
 * token per word of its reply, so a reply of N words costs N cents, whatever
 * the gateway's prompt weighs.
 */
const PRICE = { input: 0, output: 10_000, cacheRead: 0, cacheWrite: 0 };
const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(" ");

/**
 * Budgets (issue 15) as an operator lives them: `clawops up` with a real
 * gateway whose model is priced high and a ten-cent daily budget that
 * pauses; a chat turn passes 80 % (a Telegram warning), the next passes the
 * limit (a Telegram message naming the owner), then `clawops chat` is
 * refused while the gateway stays up; `clawops budget` and the API show it;
 * a restart of clawops keeps the pause and re-sends nothing; `clawops budget
 * resume` lifts it.
 */
describe.runIf(gatewayRuntimeAvailable())("budgets on a real gateway", () => {
  let llm: FakeLlm;
  let telegram: FakeTelegram;
  let setup: Supervised;

  const cli = (args: string[]) => setup.cli(args);
  const json = <T>(args: string[]) => setup.json<T>(args);
  const api = (route: string, init?: RequestInit) => setup.api(route, init);

  /** The next Telegram message to the operators' chat (after `since`) whose text matches. */
  const message = (since: number, pattern: RegExp, timeoutMs = 30_000) =>
    telegram.waitForCall(
      "sendMessage",
      (params, call) =>
        call.seq >= since && params.chat_id === CHAT && pattern.test(String(params.text)),
      timeoutMs,
    );
  const budgetMessages = () =>
    telegram.calls.filter(
      (c) => c.method === "sendMessage" && /budget|resumed/.test(String(c.params.text)),
    );

  async function chat(text: string, reply: string) {
    llm.enqueue({ text: reply });
    const result = await cli(["chat", "alpha", text, "--session", "agent:main:budget"]);
    expect(result.code, result.stderr).toBe(0);
    return Date.now();
  }

  beforeAll(async () => {
    llm = await startFakeLlm();
    telegram = await startFakeTelegram();
    setup = await upWithGateway({
      prefix: "clawops-budgets-",
      bot: "alpha",
      owner: "team-a",
      llmBaseUrl: llm.baseUrl,
      modelCost: PRICE,
      clawops: {
        notify: {
          notifiers: [
            { type: "telegram", chatIds: [CHAT], apiRoot: telegram.apiRoot, pollTimeout: "1s" },
          ],
        },
        budgets: [
          { bot: "alpha", daily: 0.1, action: "pause" },
          { owner: "team-a", monthly: 1 },
        ],
      },
      env: { CLAWOPS_TELEGRAM_TOKEN: telegram.token },
    });
  }, GATEWAY_HOOK_TIMEOUT);

  afterAll(async () => {
    await setup?.close();
    await telegram?.close();
    await llm?.close();
  });

  afterEach((context) => {
    if (context.task.result?.state === "fail")
      console.error(setup.daemon()?.output().split("\n").slice(-60).join("\n"));
  });

  it("warns at 80 %, pauses at 100 % naming the owner, and refuses the next chat while the gateway stays up", async () => {
    let since = telegram.calls.length;
    let answered = await chat("Say nine words.", words(9));
    const warning = await message(since, /alpha reached 90 % of its daily budget/);
    console.log(`chat answered -> 80 % warning on Telegram: ${Date.now() - answered} ms`);
    expect(String(warning.params.text)).toContain("$0.09 of $0.10 spent today (UTC)");
    expect(String(warning.params.text)).toContain("owner: team-a");

    since = telegram.calls.length;
    answered = await chat("Say three more.", words(3));
    const exceeded = await message(since, /alpha exceeded its daily budget: \$0\.12 of \$0\.10/);
    console.log(`chat answered -> 100 % message on Telegram: ${Date.now() - answered} ms`);
    const text = String(exceeded.params.text);
    expect(text).toContain("(120 %)");
    expect(text).toContain("owner: team-a");
    expect(text).toContain("paused: clawops refuses new chats with alpha until");

    const llmCalls = llm.requests.length;
    const refused = await cli(["chat", "alpha", "Anyone there?"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^clawops: alpha is paused by alpha's daily budget \(\$0\.12 of \$0\.10\): clawops refuses new chats with it until \d{4}-\d\d-\d\d 00:00 UTC, or until `clawops budget resume alpha`/,
    );
    const refusedJson = await cli(["chat", "alpha", "Anyone there?", "--json"]);
    expect(JSON.parse(refusedJson.stdout)).toMatchObject({
      error: { code: "BUDGET_EXCEEDED", details: { bot: "alpha", window: "day", limitUsd: 0.1 } },
    });
    expect(llm.requests.length).toBe(llmCalls);
    const status = await json<{ gateways: GatewayInstance[] }>(["status"]);
    expect(status.gateways[0]?.state).toBe("running");

    const { budgets } = await json<{ budgets: BudgetStatus[] }>(["budget"]);
    expect(budgets).toEqual([
      expect.objectContaining({
        scope: "bot",
        name: "alpha",
        window: "day",
        limitUsd: 0.1,
        percent: 120,
        level: "exceeded",
        announced: "exceeded",
        paused: true,
        bots: ["alpha"],
      }),
      expect.objectContaining({
        scope: "owner",
        name: "team-a",
        window: "month",
        percent: 12,
        level: "ok",
        paused: false,
      }),
    ]);
    expect(budgets[0]!.spentUsd).toBeCloseTo(0.12, 9);
    const table = await cli(["budget"]);
    expect(table.stdout).toMatch(/^SCOPE\s+PERIOD\s+SPENT\s+LIMIT\s+%\s+STATE/);
    expect(table.stdout).toMatch(/bot alpha\s+\d{4}-\d\d-\d\d\s+\$0\.12\s+\$0\.10\s+120\s+paused/);
    expect(table.stdout).toMatch(/owner team-a\s+\d{4}-\d\d\s+\$0\.12\s+\$1\.00\s+12\s+ok/);

    const fromApi = (await (await api("/budgets")).json()) as { budgets: BudgetStatus[] };
    expect(fromApi.budgets.map((b) => [b.name, b.paused])).toEqual([
      ["alpha", true],
      ["team-a", false],
    ]);
    const events = (await (await api("/events?type=budget.")).json()) as { events: OpsEvent[] };
    expect(events.events.map((e) => e.type)).toEqual(["budget.warning", "budget.exceeded"]);
    expect(events.events[1]!.data).toMatchObject({
      action: "pause",
      pausedBots: ["alpha"],
      owner: "team-a",
    });
  }, 120_000);

  it("keeps the pause across a restart of clawops without re-sending anything, and `clawops budget resume` lifts it", async () => {
    const sent = budgetMessages().length;
    await setup.stopDaemon();
    await setup.startDaemon();
    // The first evaluation runs at start; give it (and a coalesced one) time to say anything.
    await sleep(4_000);
    expect(budgetMessages()).toHaveLength(sent);
    expect((await cli(["chat", "alpha", "Still there?"])).code).toBe(1);
    const { budgets } = await json<{ budgets: BudgetStatus[] }>(["budget"]);
    expect(budgets[0]).toMatchObject({ name: "alpha", paused: true });

    const since = telegram.calls.length;
    const resumed = await cli(["budget", "resume", "alpha"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(
      "alpha resumed: lifted alpha's daily budget pause until the next period",
    );
    await message(since, /alpha: chats through clawops resumed/);
    await chat("Back again?", "Yes.");
    // Still over the limit, but this period's pause was lifted by an operator: no second one.
    await sleep(3_000);
    expect((await cli(["chat", "alpha", "And again?"])).code).toBe(0);

    const again = await cli(["budget", "resume", "alpha"]);
    expect(again.stdout).toContain("alpha was not paused by a budget");
    const post = (name: string) =>
      api(`/bots/${name}/budget/resume`, {
        method: "POST",
        headers: { "x-clawops-client": "script" },
      });
    expect(await (await post("alpha")).json()).toEqual({ resumed: false, lifted: [] });
    expect((await post("nobody")).status).toBe(404);
    const events = (await (await api("/events?type=budget.")).json()) as { events: OpsEvent[] };
    expect(events.events.map((e) => e.type)).toEqual([
      "budget.warning",
      "budget.exceeded",
      "budget.resumed",
    ]);
    expect(events.events[2]).toMatchObject({
      actor: expect.stringMatching(/^cli#/) as string,
      data: { reason: "operator", bots: ["alpha"], name: "alpha", window: "day" },
    });
  }, 120_000);
});
