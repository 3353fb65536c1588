import { randomUUID } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { MessageRecord } from "../src/core/session.js";
import { GatewayClient } from "../src/gateway/client.js";
import type { SessionMeta } from "../src/ingest/normalize.js";
import { type IngestSink, SessionSync } from "../src/ingest/session-sync.js";
import { type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import {
  GATEWAY_HOOK_TIMEOUT,
  type TestGateway,
  gatewayRuntimeAvailable,
  startGateway,
} from "./harness/gateway.js";

/** The sink's contract kept in memory: what clawops's store does, minus SQL. */
class MemorySink implements IngestSink {
  readonly sessions = new Map<string, SessionMeta & { deleted: boolean }>();
  readonly messages = new Map<string, MessageRecord>();
  readonly cursors = new Map<string, string>();
  saveSession(meta: SessionMeta) {
    const old = this.sessions.get(meta.sessionId);
    this.sessions.set(meta.sessionId, { ...meta, deleted: old?.deleted ?? false });
    return Promise.resolve();
  }
  addMessages(messages: readonly MessageRecord[]) {
    const added = messages.filter((m) => !this.messages.has(`${m.sessionId}#${m.seq}`));
    for (const m of added) this.messages.set(`${m.sessionId}#${m.seq}`, m);
    return Promise.resolve(added);
  }
  markDeleted(_botId: string, present: readonly string[]) {
    for (const s of this.sessions.values()) s.deleted = !present.includes(s.sessionId);
    return Promise.resolve();
  }
  cursor(botId: string, scope: string) {
    return Promise.resolve(this.cursors.get(`${botId}/${scope}`) ?? null);
  }
  saveCursor(botId: string, scope: string, cursor: string) {
    this.cursors.set(`${botId}/${scope}`, cursor);
    return Promise.resolve();
  }
  transcript(sessionId: string) {
    return [...this.messages.values()]
      .filter((m) => m.sessionId === sessionId)
      .sort((a, b) => a.seq - b.seq);
  }
}

describe.runIf(gatewayRuntimeAvailable())("live session sync against a real gateway", () => {
  let llm: FakeLlm;
  let gateway: TestGateway;
  let client: GatewayClient;
  const sink = new MemorySink();
  const skipped: string[] = [];
  const arrivals: { message: MessageRecord; at: number }[] = [];

  const sync = () =>
    new SessionSync({
      botId: "bot-1",
      client,
      sink,
      log: pino({ level: "silent" }),
      onMessages: (messages) => {
        for (const message of messages) arrivals.push({ message, at: performance.now() });
      },
      onSkipped: (why) => skipped.push(why),
    });

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

  async function history(sessionKey: string) {
    return client.request(
      "chat.history",
      { sessionKey, maxChars: 40_000 },
      z.looseObject({ sessionId: z.string(), messages: z.array(z.unknown()) }),
    );
  }

  async function until(what: string, ok: () => boolean, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    llm = await startFakeLlm();
    gateway = await startGateway({ llmBaseUrl: llm.baseUrl });
    client = await GatewayClient.connect({ url: gateway.wsUrl, token: gateway.token });
  }, GATEWAY_HOOK_TIMEOUT);

  afterAll(async () => {
    client?.close();
    await gateway?.stop();
    await llm?.close();
  });

  it("stores each turn as it happens, tool calls and results included, equal to the gateway's history", async () => {
    const live = sync();
    live.start();
    await live.idle();
    const finalAt = await turn("agent:main:live", "Hello?");
    await until("the assistant's answer", () =>
      arrivals.some((a) => a.message.role === "assistant" && a.at >= finalAt - 5_000),
    );
    const answer = arrivals.find((a) => a.message.role === "assistant")!;
    // The answer is stored before (or just after) the gateway's own final frame.
    expect(answer.at - finalAt).toBeLessThan(1_000);
    llm.enqueue(
      { toolCall: { name: "ls", arguments: { path: "." } } },
      { text: "Listed the workspace." },
    );
    await turn("agent:main:tools", "List the files.");
    const tools = await history("agent:main:tools");
    await until(
      "the tool turn's four messages",
      () => sink.transcript(tools.sessionId).length === 4,
    );
    const kept = sink.transcript(tools.sessionId);
    expect(kept.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
    expect(kept[1]?.toolCalls).toMatchObject([{ name: "ls", arguments: '{"path":"."}' }]);
    expect(kept[1]?.usage?.input).toBeGreaterThan(0);
    expect(kept[2]).toMatchObject({ role: "tool", isError: false });
    expect(kept[3]?.latencyMs).toBeGreaterThan(0);
    expect(sink.sessions.get(tools.sessionId)).toMatchObject({
      sessionKey: "agent:main:tools",
      modelConfigured: "fake/fake-model",
      deleted: false,
    });
    live.stop();
    expect(skipped).toEqual([]);
  }, 90_000);

  it("keeps a 20,000-character message whole, which the live event cuts at 8,000", async () => {
    const live = sync();
    live.start();
    await live.idle();
    const long = "A".repeat(20_000);
    await turn("agent:main:long", long);
    const { sessionId } = await history("agent:main:long");
    await until("the long message", () => sink.transcript(sessionId)[0]?.text.length === 20_000);
    expect(sink.transcript(sessionId)[0]).toMatchObject({ role: "user", textBytes: 20_000 });
    live.stop();
  }, 90_000);

  it("catches up on what happened while it was not running, and flags what the gateway deleted", async () => {
    await turn("agent:main:offline", "Said while clawops was away.");
    await turn("agent:main:live", "And a second turn.");
    const offline = await history("agent:main:offline");
    const liveKey = await history("agent:main:live");
    const back = sync();
    back.start();
    await back.idle();
    expect(sink.transcript(offline.sessionId).map((m) => m.seq)).toEqual([1, 2]);
    expect(sink.transcript(liveKey.sessionId).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    const before = sink.messages.size;
    await client.request("sessions.delete", { key: "agent:main:offline" }, z.unknown());
    await until("the deleted session flagged", () => sink.sessions.get(offline.sessionId)!.deleted);
    expect(sink.transcript(offline.sessionId)).toHaveLength(2);
    expect(sink.messages.size).toBe(before);
    back.stop();
    // A replay of everything from the start adds nothing.
    sink.cursors.clear();
    const replay = sync();
    const count = sink.messages.size;
    replay.start();
    await replay.idle();
    expect(sink.messages.size).toBe(count);
    replay.stop();
  }, 120_000);
});
