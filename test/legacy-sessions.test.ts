import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MessageRecord } from "../src/core/session.js";
import { sleep } from "../src/core/time.js";
import { chatTurn } from "../src/gateway/chat.js";
import { GatewayClient } from "../src/gateway/client.js";
import {
  type JsonlBatch,
  type TailPosition,
  createJsonlTailer,
} from "../src/ingest/jsonl-tailer.js";
import pino from "pino";
import type { SessionRecord } from "../src/core/session.js";
import { EventBus } from "../src/events/bus.js";
import { followLegacySessions } from "../src/ingest/legacy.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import { tempDir } from "./helpers/cli.js";
import { registerGateway, storeSink } from "./helpers/ingest.js";
import { type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import {
  GATEWAY_HOOK_TIMEOUT,
  GATEWAY_RUNTIME_2026_7,
  type TestGateway,
  gatewayRuntimeAvailable,
  startGateway,
} from "./harness/gateway.js";

/**
 * The legacy session path end to end: a real OpenClaw 2026.7.35 (the last
 * line that keeps sessions as JSONL files) runs turns through clawops's own
 * protocol client, and the JSONL tailer, started before the sessions folder
 * exists, turns its transcript into message records. One gateway boot for
 * the whole file.
 */
describe.runIf(gatewayRuntimeAvailable(GATEWAY_RUNTIME_2026_7))(
  "legacy JSONL sessions from a real OpenClaw 2026.7.35",
  () => {
    const SESSION_KEY = "agent:main:legacy-e2e";
    let llm: FakeLlm;
    let gateway: TestGateway;
    let client: GatewayClient;
    const batches: JsonlBatch[] = [];
    const positions = new Map<string, TailPosition>();
    const stopTailer = new AbortController();
    let tailing: Promise<void>;
    let sessionsDir: string;
    /** The transcript the reset archived. */
    let resetId = "";

    /**
     * The records as the store keeps them: one per (session, seq), the last read winning.
     * OpenClaw 2026.7 sometimes rewrites a transcript whole (a temp file renamed over it,
     * `writeTranscriptFileAtomic`), and the tailer then reads it again from its first line.
     */
    const records = (): MessageRecord[] => {
      const kept = new Map<string, MessageRecord>();
      for (const r of batches.flatMap((b) => b.records)) kept.set(`${r.sessionId}:${r.seq}`, r);
      return [...kept.values()];
    };
    /** Lines are delivered twice only in a batch that says it reads the file again. */
    function expectRepeatsFlagged() {
      const readUpTo = new Map<string, number>();
      for (const batch of batches) {
        const upTo = readUpTo.get(batch.file) ?? 0;
        if (batch.firstLine < upTo) expect(batch.reread, `${batch.file} read again`).not.toBeNull();
        readUpTo.set(batch.file, batch.position.line);
      }
    }
    async function until<T>(find: () => T | undefined, ms: number, what: string): Promise<T> {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = find();
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`${what}: not within ${ms}ms`);
        await sleep(25);
      }
    }

    beforeAll(async () => {
      llm = await startFakeLlm();
      gateway = await startGateway({
        llmBaseUrl: llm.baseUrl,
        runtime: GATEWAY_RUNTIME_2026_7,
        // A price, so that the gateway writes a cost on each assistant line (USD per million tokens).
        editConfig: (config) => {
          config.models.providers.fake.models[0]!.cost = {
            input: 3,
            output: 15,
            cacheRead: 0.3,
            cacheWrite: 3.75,
          };
          return config;
        },
      });
      sessionsDir = path.join(gateway.dir, "state/agents/main/sessions");
      writeFileSync(path.join(gateway.dir, "workspace/notes.txt"), "line one\nline two\n");
      client = await GatewayClient.connect({ url: gateway.wsUrl, token: gateway.token });
      const tailer = createJsonlTailer({
        dir: sessionsDir,
        botId: "legacy-bot",
        positions: {
          get: async (file) => positions.get(file) ?? null,
          save: async (file, position) => void positions.set(file, position),
        },
        sink: async (batch) => void batches.push(batch),
        onError: (file, error) => console.error(`tailer: ${file}`, error),
      });
      tailing = tailer.run(stopTailer.signal);
    }, GATEWAY_HOOK_TIMEOUT);

    afterAll(async () => {
      stopTailer.abort();
      await tailing;
      client?.close();
      await gateway?.stop();
      await llm?.close();
    });

    it("speaks protocol v4 without a bootId", () => {
      expect(client.hello.protocol).toBe(4);
      expect(client.hello.server.version).toBe("2026.7.35");
      expect(client.hello.server.bootId).toBeUndefined();
    });

    it("turns a turn with a tool call into records within seconds", async () => {
      llm.enqueue(
        { toolCall: { name: "read", arguments: { path: "notes.txt" } } },
        { text: "notes.txt has two lines." },
      );
      const turn = await chatTurn(client, {
        sessionKey: SESSION_KEY,
        message: "Read notes.txt.",
        timeoutMs: 90_000,
      });
      expect(turn.outcome, turn.error ?? "").toBe("final");
      const finalAt = Date.now();
      await until(
        () => records().find((r) => r.text === "notes.txt has two lines."),
        5_000,
        "the final answer's record",
      );
      const lagMs = Date.now() - finalAt;
      console.log(`legacy e2e: records ${lagMs} ms after the chat final`);

      const index = JSON.parse(
        readFileSync(path.join(sessionsDir, "sessions.json"), "utf8"),
      ) as Record<string, { sessionId: string }>;
      const sessionId = index[SESSION_KEY]!.sessionId;
      const mine = records().filter((r) => r.sessionId === sessionId);
      expect(mine.map((r) => r.role)).toEqual(["user", "assistant", "tool", "assistant"]);
      const [user, call, result, answer] = mine as [
        MessageRecord,
        MessageRecord,
        MessageRecord,
        MessageRecord,
      ];
      expect(user.text).toBe("Read notes.txt.");
      expect(call.toolCalls).toEqual([
        { id: expect.any(String) as string, name: "read", arguments: '{"path":"notes.txt"}' },
      ]);
      expect(call.stopReason).toBe("toolUse");
      expect(result).toMatchObject({
        toolCallId: call.toolCalls[0]!.id,
        text: "line one\nline two\n",
        isError: false,
      });
      expect(answer).toMatchObject({
        stopReason: "stop",
        model: "fake/fake-model",
        isError: false,
      });
      for (const assistant of [call, answer]) {
        const usage = assistant.usage!;
        // The fake LLM counts a quarter of the request's characters as prompt tokens.
        expect(usage.input).toBeGreaterThan(1_000);
        expect(usage.output).toBeGreaterThan(0);
        expect(usage.costUsd).toBeCloseTo((usage.input * 3 + usage.output * 15) / 1e6, 6);
      }
      // Line numbers: strictly increasing, the header and model lines before the user's.
      const seqs = mine.map((r) => r.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(user.seq).toBeGreaterThan(0);
      const meta = batches.filter((b) => b.sessionId === sessionId).flatMap((b) => b.meta);
      expect(meta[0]?.type).toBe("session");
      expectRepeatsFlagged();
      const rereads = batches.filter((b) => b.reread).map((b) => `${b.file}: ${b.reread}`);
      if (rereads.length > 0)
        console.log(`legacy e2e: transcripts read again: ${rereads.join(", ")}`);
    });

    it("a reset archives the transcript: reported, nothing sent twice", async () => {
      const before = records().length;
      await client.request(
        "sessions.reset",
        { key: SESSION_KEY, reason: "reset" },
        (await import("zod")).z.unknown(),
      );
      const archived = await until(
        () => batches.find((b) => b.archived === "reset"),
        5_000,
        "the reset archive's batch",
      );
      expect(archived.records).toEqual([]);
      resetId = archived.sessionId;
      expect(records()).toHaveLength(before);
      // The new transcript a reset creates holds its header only.
      await until(
        () =>
          batches.find(
            (b) => b.archived === null && b.sessionId !== archived.sessionId && b.meta.length > 0,
          ),
        5_000,
        "the new transcript's header",
      );
    });

    it("reaches the store the same way as a current gateway's: sessions, cost, the reset flagged", async () => {
      const scratch = tempDir("clawops-legacy-store-");
      const store = openSqliteStore(path.join(scratch.dir, "clawops.db"));
      const log = pino({ level: "silent" });
      const bus = new EventBus((batch) => store.appendEvents(batch), log);
      try {
        await store.migrate();
        const bot = await registerGateway(store, gateway, "legacy");
        const sink = storeSink(store, bus, bot);
        const skipped: string[] = [];
        const follower = followLegacySessions({
          botId: bot.id,
          stateDir: bot.stateDir,
          sink,
          log,
          onMessages: (messages) => sink.published(messages),
          onSkipped: (why) => skipped.push(why),
          pollIntervalMs: 200,
        });
        const deadline = Date.now() + 10_000;
        // The messages and the archive's flag land in two writes: wait for both.
        let session: SessionRecord | undefined;
        while (Date.now() < deadline) {
          const { sessions } = await store.sessions.listSessions({ botId: bot.id });
          session = sessions.find((s) => s.sessionId === resetId);
          if (session?.messageCount === 4 && session.deletedOnGateway) break;
          await sleep(100);
        }
        await follower.stop();
        expect(session, "the legacy session in the store").toBeDefined();
        expect(session).toMatchObject({
          // Read first as an archive: the reset dropped it from sessions.json, and its header
          // names no key. (Followed live, it keeps the key it had: test/ingest-live.test.ts.)
          sessionKey: `agent:main:${resetId}`,
          agentId: "main",
          modelUsed: "fake/fake-model",
          costSource: "gateway",
          // The reset archived its transcript: kept in clawops, flagged.
          deletedOnGateway: true,
        });
        expect(session!.usage.costUsd).toBeCloseTo(
          (session!.usage.input * 3 + session!.usage.output * 15) / 1e6,
          6,
        );
        const messages = await store.sessions.listMessages(bot.id, session!.sessionId);
        expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
        expect(skipped).toEqual([]);
      } finally {
        await bus.flush(5_000);
        await store.close();
        scratch.remove();
      }
    });
  },
);
