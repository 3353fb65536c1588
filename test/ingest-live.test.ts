import { randomUUID } from "node:crypto";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Bot } from "../src/core/bot.js";
import type { BusEvent } from "../src/core/events.js";
import type { MessageRecord } from "../src/core/session.js";
import { EventBus } from "../src/events/bus.js";
import { GatewayClient } from "../src/gateway/client.js";
import { SessionSync } from "../src/ingest/session-sync.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import type { Store } from "../src/store/store.js";
import { type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import {
  GATEWAY_HOOK_TIMEOUT,
  type TestGateway,
  gatewayRuntimeAvailable,
  startGateway,
} from "./harness/gateway.js";
import { tempDir } from "./helpers/cli.js";
import { registerGateway, storeSink } from "./helpers/ingest.js";

/**
 * The live path of the session ingest against a real gateway, into a real
 * SQLite store: `SessionSync` (protocol events and history catch-up) through
 * `StoreSink` (pricing, totals, events). One gateway boot for the file.
 */
describe.runIf(gatewayRuntimeAvailable())("live session sync against a real gateway", () => {
  const scratch = tempDir("clawops-ingest-");
  const log = pino({ level: "silent" });
  let llm: FakeLlm;
  let gateway: TestGateway;
  let client: GatewayClient;
  let store: Store;
  let bus: EventBus;
  let bot: Bot;
  const events: { event: BusEvent; at: number }[] = [];
  const skipped: string[] = [];

  const sync = () => {
    // The fake model has no price anywhere else: the operator's price applies.
    const sink = storeSink(store, bus, bot, { "fake/fake-model": { input: 3, output: 15 } });
    return new SessionSync({
      botId: bot.id,
      client,
      sink,
      log,
      onMessages: (messages) => sink.published(messages),
      onSkipped: (why) => skipped.push(why),
    });
  };

  /** Sends a message and resolves with the moment its `chat` final frame arrived. */
  async function turn(sessionKey: string, message: string): Promise<number> {
    const runId = randomUUID();
    const final = new Promise<number>((resolve) => {
      const off = client.onEvent((e) => {
        const p = e.payload as { runId?: string; state?: string };
        if (e.event === "chat" && p.runId === runId && ["final", "error"].includes(p.state ?? "")) {
          off();
          resolve(performance.now());
        }
      });
    });
    await client.request("chat.send", { sessionKey, message, idempotencyKey: runId }, z.unknown());
    return final;
  }

  const sessionIdOf = async (sessionKey: string) =>
    (
      await client.request(
        "chat.history",
        { sessionKey, limit: 1 },
        z.looseObject({ sessionId: z.string() }),
      )
    ).sessionId;

  const transcript = (sessionId: string): Promise<MessageRecord[]> =>
    store.sessions.listMessages(bot.id, sessionId, { limit: 1000 });

  async function until(what: string, ok: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    llm = await startFakeLlm();
    gateway = await startGateway({ llmBaseUrl: llm.baseUrl });
    client = await GatewayClient.connect({ url: gateway.wsUrl, token: gateway.token });
    store = openSqliteStore(path.join(scratch.dir, "clawops.db"));
    await store.migrate();
    bus = new EventBus((batch) => store.appendEvents(batch), log);
    bus.subscribe((event) => events.push({ event, at: performance.now() }));
    bot = await registerGateway(store, gateway, "live", "ops");
  }, GATEWAY_HOOK_TIMEOUT);

  afterAll(async () => {
    client?.close();
    await gateway?.stop();
    await llm?.close();
    await bus?.flush(5_000);
    await store?.close();
    scratch.remove();
  });

  it("stores each turn as it happens, tool calls and results included, priced and summed", async () => {
    const live = sync();
    live.start();
    await live.idle();
    const finalAt = await turn("agent:main:live", "Hello?");
    await until("the answer's event", () =>
      events.some((e) => e.event.type === "session.message" && e.event.data.role === "assistant"),
    );
    const answer = events.find(
      (e) => e.event.type === "session.message" && e.event.data.role === "assistant",
    )!;
    // Stored and published before, or within a second of, the gateway's own final frame.
    expect(answer.at - finalAt).toBeLessThan(1_000);
    expect(events.filter((e) => e.event.type === "session.started")).toHaveLength(1);

    llm.enqueue(
      { toolCall: { name: "ls", arguments: { path: "." } } },
      { text: "Listed the workspace." },
    );
    await turn("agent:main:tools", "List the files.");
    const toolsId = await sessionIdOf("agent:main:tools");
    await until(
      "the tool turn's four messages",
      async () => (await transcript(toolsId)).length === 4,
    );
    const kept = await transcript(toolsId);
    expect(kept.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
    expect(kept[1]?.toolCalls).toMatchObject([{ name: "ls", arguments: '{"path":"."}' }]);
    expect(kept[2]).toMatchObject({ role: "tool", isError: false });
    expect(kept[3]?.latencyMs).toBeGreaterThan(0);
    const input = kept[1]!.usage!.input + kept[3]!.usage!.input;
    const output = kept[1]!.usage!.output + kept[3]!.usage!.output;
    expect(kept[1]).toMatchObject({ costSource: "override" });
    const session = await store.sessions.getSession(bot.id, toolsId);
    expect(session).toMatchObject({
      botName: "live",
      sessionKey: "agent:main:tools",
      modelConfigured: "fake/fake-model",
      modelUsed: "fake/fake-model",
      messageCount: 4,
      costSource: "override",
      deletedOnGateway: false,
      usage: { input, output },
    });
    expect(session!.usage.costUsd).toBeCloseTo((input * 3 + output * 15) / 1e6, 9);
    live.stop();
    expect(skipped).toEqual([]);
  }, 90_000);

  it("keeps a 20,000-character message whole, which the live event cuts at 8,000", async () => {
    const live = sync();
    live.start();
    await live.idle();
    await turn("agent:main:long", "A".repeat(20_000));
    const id = await sessionIdOf("agent:main:long");
    await until("the long message", async () => (await transcript(id))[0]?.text.length === 20_000);
    expect((await transcript(id))[0]).toMatchObject({ role: "user", textBytes: 20_000 });
    live.stop();
  }, 90_000);

  it("catches up on what happened while it was not running, and keeps what the gateway deleted", async () => {
    await turn("agent:main:offline", "Said while clawops was away.");
    await turn("agent:main:live", "And a second turn.");
    const offlineId = await sessionIdOf("agent:main:offline");
    const liveId = await sessionIdOf("agent:main:live");
    const back = sync();
    back.start();
    await back.idle();
    expect((await transcript(offlineId)).map((m) => m.seq)).toEqual([1, 2]);
    expect((await transcript(liveId)).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    const costBefore = await store.sessions.costBy("bot");
    await client.request("sessions.delete", { key: "agent:main:offline" }, z.unknown());
    await until(
      "the deleted session flagged",
      async () => (await store.sessions.getSession(bot.id, offlineId))?.deletedOnGateway === true,
    );
    expect(events.some((e) => e.event.type === "session.deleted_on_gateway")).toBe(true);
    expect(await transcript(offlineId)).toHaveLength(2);
    expect(await store.sessions.costBy("bot")).toEqual(costBefore);
    back.stop();

    // A replay of everything from the start adds nothing: no message, no token, no cent.
    const sessionsBefore = (await store.sessions.listSessions({ limit: 500 })).sessions;
    await store.sessions.saveCursor(bot.id, "session:agent:main:live", "{}");
    await store.sessions.saveCursor(bot.id, "session:agent:main:tools", "{}");
    const replay = sync();
    replay.start();
    await replay.idle();
    const after = (await store.sessions.listSessions({ limit: 500 })).sessions;
    expect(after.map((s) => [s.sessionId, s.messageCount, s.usage])).toEqual(
      sessionsBefore.map((s) => [s.sessionId, s.messageCount, s.usage]),
    );
    replay.stop();
  }, 120_000);
});
