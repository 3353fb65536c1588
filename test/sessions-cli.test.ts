import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MessageRecord, SessionRecord } from "../src/core/session.js";
import type { CostRow } from "../src/store/session-store.js";
import { sleep } from "../src/core/time.js";
import { type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import { GATEWAY_HOOK_TIMEOUT, gatewayRuntimeAvailable } from "./harness/gateway.js";
import { type Supervised, upWithGateway } from "./helpers/supervised.js";

/** US dollars per million tokens in the gateway's config: the gateway prices its own answers. */
const PRICE = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };

/**
 * Issue 15 as an operator sees it: `clawops up` runs a real gateway, a chat
 * turn with a tool call goes through it, and `clawops sessions`, `clawops
 * session`, `clawops cost` and the REST API show it with tokens and cost;
 * what is said while clawops is down is caught up when it comes back.
 */
describe.runIf(gatewayRuntimeAvailable())("sessions and cost through the CLI and API", () => {
  let llm: FakeLlm;
  let up: Supervised;
  const cli = (args: string[]) => up.cli(args);
  const json = <T>(args: string[]) => up.json<T>(args);
  const sessions = () => json<{ sessions: SessionRecord[] }>(["sessions"]);

  const sessionOf = (key: string, messages: number, timeoutMs = 10_000) =>
    up.sessionWhere(
      (s) => s.sessionKey === key && s.messageCount >= messages,
      `no session ${key} with ${messages} messages`,
      timeoutMs,
    );

  beforeAll(async () => {
    llm = await startFakeLlm();
    up = await upWithGateway({
      prefix: "clawops-sessions-",
      bot: "alpha",
      owner: "team-a",
      llmBaseUrl: llm.baseUrl,
      modelCost: PRICE,
    });
  }, GATEWAY_HOOK_TIMEOUT);

  afterAll(async () => {
    await up?.close();
    await llm?.close();
  });

  it("shows a chat turn with its tool call in `clawops sessions` and `clawops session` within seconds, with tokens and cost", async () => {
    llm.enqueue(
      { toolCall: { name: "ls", arguments: { path: "." } } },
      { text: "Listed the workspace." },
    );
    const chat = await cli(["chat", "alpha", "List the files.", "--session", "agent:main:ops"]);
    expect(chat.code, chat.stderr).toBe(0);
    const answered = Date.now();
    const session = await sessionOf("agent:main:ops", 4);
    const lagMs = Date.now() - answered;
    console.log(`chat answered -> all 4 messages in GET /api/v1/sessions: ${lagMs} ms`);
    expect(lagMs).toBeLessThan(3_000);
    const viaCli = await sessions();
    expect(viaCli.sessions.map((s) => s.sessionId)).toContain(session.sessionId);
    expect(session).toMatchObject({
      botName: "alpha",
      modelUsed: "fake/fake-model",
      costSource: "gateway",
      deletedOnGateway: false,
    });
    expect(session.usage.input).toBeGreaterThan(0);
    expect(session.usage.costUsd).toBeCloseTo(
      (session.usage.input * PRICE.input + session.usage.output * PRICE.output) / 1e6,
      6,
    );

    const transcript = await json<{ session: SessionRecord; messages: MessageRecord[] }>([
      "session",
      session.sessionId,
    ]);
    expect(transcript.messages.map((m) => m.role)).toEqual([
      "user",
      "assistant",
      "tool",
      "assistant",
    ]);
    const human = await cli(["session", session.sessionId]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("agent:main:ops, bot alpha");
    expect(human.stdout).toContain('-> ls {"path":"."}');
    expect(human.stdout).toContain("tool: ");
    expect(human.stdout).toContain("Listed the workspace.");
    expect(human.stdout).toMatch(/tokens \d+\/\d+, \$0\.\d+/);

    const byModel = await json<{ rows: CostRow[] }>(["cost", "--by", "model"]);
    expect(byModel.rows).toEqual([
      expect.objectContaining({ key: "fake/fake-model", messages: 2 }) as CostRow,
    ]);
    expect(byModel.rows[0]!.costUsd).toBeCloseTo(session.usage.costUsd, 9);
    const byOwner = await json<{ rows: CostRow[] }>(["cost", "--by", "owner"]);
    expect(byOwner.rows.map((r) => r.key)).toEqual(["team-a"]);
    const check = await cli(["cost", "--check"]);
    expect(check.code, check.stdout).toBe(0);
    expect(check.stdout).toContain("no findings");
    const table = await cli(["cost", "--by", "day", "--since", "1d"]);
    expect(table.stdout).toMatch(/^DAY\s+MESSAGES/m);
    expect(table.stdout).toContain("total $");

    const listed = (await up
      .api(`/sessions?bot=alpha&search=list%20the`)
      .then((r) => r.json())) as { sessions: SessionRecord[] };
    expect(listed.sessions.map((s) => s.sessionId)).toEqual([session.sessionId]);
    const page = (await up
      .api(`/bots/alpha/sessions/${session.sessionId}/messages?after=1&limit=2`)
      .then((r) => r.json())) as { messages: MessageRecord[]; nextAfter: number | null };
    expect(page.messages.map((m) => m.seq)).toEqual([2, 3]);
    expect(page.nextAfter).toBe(3);
    const metrics = await up
      .daemon()!
      .fetch("/metrics")
      .then((r) => r.text());
    const sample = (line: string) => Number(new RegExp(`^${line} (\\S+)$`, "m").exec(metrics)?.[1]);
    expect(
      sample(
        'openclaw_tokens_total\\{bot="alpha",provider="fake",model="fake-model",token="input"\\}',
      ),
    ).toBe(session.usage.input);
    expect(
      sample('openclaw_cost_usd_total\\{bot="alpha",provider="fake",model="fake-model"\\}'),
    ).toBeCloseTo(session.usage.costUsd, 9);
    const findings = (await up.api(`/cost/findings?since=1d`).then((r) => r.json())) as {
      findings: unknown[];
    };
    expect(findings.findings).toEqual([]);
    const bad = await up.api(`/sessions?since=yesterday`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("since");
  }, 120_000);

  it("catches up what was said while clawops was down", async () => {
    await up.stopDaemon();
    // onExit: keep — the gateway runs on while clawops is away.
    const chat = await cli(["chat", "alpha", "Anyone there?", "--session", "agent:main:away"]);
    expect(chat.code, chat.stderr).toBe(0);
    await up.startDaemon();
    const session = await sessionOf("agent:main:away", 2, 30_000);
    expect(session.usage.output).toBeGreaterThan(0);
    const again = await sessions();
    const ops = again.sessions.find((s) => s.sessionKey === "agent:main:ops");
    expect(ops?.messageCount).toBe(4);
  }, 120_000);

  it("a planned restart waits for the chat turn in flight, and says so", async () => {
    // Eight words at 500 ms a chunk: the answer streams for about five seconds.
    llm.setChunkDelayMs(500);
    llm.enqueue({ text: "one two three four five six seven eight" });
    const asked = llm.requests.length;
    const chat = cli(["chat", "alpha", "Take your time.", "--session", "agent:main:slow"]);
    try {
      const deadline = Date.now() + 60_000;
      while (llm.requests.length === asked) {
        if (Date.now() > deadline) throw new Error("the turn never reached the LLM");
        await sleep(50);
      }
      const restart = await cli(["bot", "restart", "alpha"]);
      expect(restart.code, restart.stderr).toBe(0);
      const answered = await chat;
      expect(answered.code, answered.stderr).toBe(0);
      expect(answered.stdout).toContain("one two three four five six seven eight");
    } finally {
      llm.setChunkDelayMs(5);
      await chat;
    }
    const { events } = await json<{ events: { type: string; data: Record<string, unknown> }[] }>([
      "events",
      "--bot",
      "alpha",
      "--type",
      "gateway.",
    ]);
    const draining = events.filter((e) => e.type === "gateway.draining");
    expect(draining.at(-1)?.data).toEqual({ activeTurns: 1, budgetMs: 60_000 });
    const stopping = events.filter((e) => e.type === "gateway.state" && e.data.to === "stopping");
    expect(String(stopping.at(-1)?.data.reason)).toMatch(
      /after 1 chat turn\(s\) in flight finished \(\d+ms\)/,
    );
  }, 180_000);

  it("refuses bad input with a clear error", async () => {
    const unknown = await cli(["session", "no-such-session"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no session no-such-session");
    const group = await cli(["cost", "--by", "color"]);
    expect(group.code).toBe(2);
    expect(group.stderr).toContain("expected one of bot, model, owner, day");
    const since = await cli(["sessions", "--since", "last week"]);
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('expected a duration back from now ("24h", "7d")');
  });
});
