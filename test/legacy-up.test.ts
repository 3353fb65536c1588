import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MessageRecord, SessionRecord } from "../src/core/session.js";
import { type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import {
  GATEWAY_HOOK_TIMEOUT,
  GATEWAY_RUNTIME_2026_7,
  gatewayRuntimeAvailable,
} from "./harness/gateway.js";
import { type Supervised, upWithGateway } from "./helpers/supervised.js";

/** US dollars per million tokens: the 2026.7 gateway writes a cost on each assistant line. */
const PRICE = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };
const KEY = "agent:main:legacy-up";

interface StatusGateway {
  bot: string;
  version: string | null;
  sessions: { path: string; connected: boolean } | null;
}

/**
 * The legacy session path as an operator meets it: `clawops up` supervises a
 * real OpenClaw 2026.7.35 (sessions in JSONL files), picks the file path
 * from the gateway's version by itself, and a chat turn shows in `clawops
 * sessions`, `clawops session` and `clawops cost` like a current gateway's.
 * When OpenClaw rewrites a transcript whole (it does: a temp file renamed
 * over it), what changed replaces what clawops kept, and the session's
 * totals follow.
 */
describe.runIf(gatewayRuntimeAvailable(GATEWAY_RUNTIME_2026_7))(
  "a supervised OpenClaw 2026.7 gateway's sessions",
  () => {
    let llm: FakeLlm;
    let up: Supervised;
    let session: SessionRecord;

    const messagesOf = async (id: string) =>
      (await up.json<{ messages: MessageRecord[] }>(["session", id])).messages;

    beforeAll(async () => {
      llm = await startFakeLlm();
      up = await upWithGateway({
        prefix: "clawops-legacy-up-",
        bot: "old",
        runtime: GATEWAY_RUNTIME_2026_7,
        llmBaseUrl: llm.baseUrl,
        modelCost: PRICE,
      });
      mkdirSync(path.join(up.botDir, "workspace"), { recursive: true });
      writeFileSync(path.join(up.botDir, "workspace/notes.txt"), "line one\nline two\n");
    }, GATEWAY_HOOK_TIMEOUT);

    afterAll(async () => {
      await up?.close();
      await llm?.close();
    });

    it("follows its session files: a tool turn shows in sessions, session and cost, with the gateway's cost", async () => {
      const status = await up.json<{ gateways: StatusGateway[] }>(["status"]);
      expect(status.gateways[0]).toMatchObject({
        bot: "old",
        version: "2026.7.35",
        sessions: { path: "jsonl", connected: true },
      });
      expect((await up.cli(["status"])).stdout).toMatch(/old\s+running.*2026\.7\.35.*files/);

      llm.enqueue(
        { toolCall: { name: "read", arguments: { path: "notes.txt" } } },
        { text: "notes.txt has two lines." },
      );
      const chat = await up.cli(["chat", "old", "Read notes.txt.", "--session", KEY]);
      expect(chat.code, chat.stderr).toBe(0);
      expect(chat.stdout).toContain("notes.txt has two lines.");
      const answered = Date.now();
      session = await up.sessionWhere(
        (s) => s.sessionKey === KEY && s.messageCount === 4,
        "the turn's session with 4 messages",
      );
      console.log(`legacy up: chat answered -> 4 messages in the API ${Date.now() - answered} ms`);
      expect(session).toMatchObject({
        botName: "old",
        agentId: "main",
        modelUsed: "fake/fake-model",
        costSource: "gateway",
        deletedOnGateway: false,
      });
      expect(session.usage.costUsd).toBeGreaterThan(0);
      expect(session.usage.costUsd).toBeCloseTo(
        (session.usage.input * PRICE.input + session.usage.output * PRICE.output) / 1e6,
        6,
      );
      const messages = await messagesOf(session.sessionId);
      expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
      expect(messages[2]!.text).toBe("line one\nline two\n");
      const cost = await up.json<{ rows: { label: string; costUsd: number }[] }>([
        "cost",
        "--by",
        "bot",
      ]);
      expect(cost.rows.find((r) => r.label === "old")?.costUsd).toBeCloseTo(
        session.usage.costUsd,
        9,
      );
    });

    it("a transcript rewritten in place replaces what clawops kept, and the totals follow", async () => {
      expect(session, "the first test's session").toBeDefined();
      const sessionsDir = path.join(up.stateDir, "agents/main/sessions");
      const file = path.join(sessionsDir, `${session.sessionId}.jsonl`);
      const lines = readFileSync(file, "utf8").split("\n");
      const rewritten = lines.map((line) => {
        if (!line.trim()) return line;
        const entry = JSON.parse(line) as {
          type: string;
          message?: {
            role: string;
            content?: { type: string; text?: string }[];
            usage?: { cost?: { total: number } };
          };
        };
        const message = entry.message;
        if (entry.type !== "message" || !message) return line;
        // What OpenClaw's tool-result truncation does to a long result, and a re-priced answer.
        if (message.role === "toolResult")
          message.content = [{ type: "text", text: "line one\n…" }];
        else if (message.role === "assistant" && message.usage?.cost) message.usage.cost.total += 1;
        else return line;
        return JSON.stringify(entry);
      });
      // As OpenClaw writes it (writeTranscriptFileAtomic): a whole new file renamed over the old.
      const temp = path.join(sessionsDir, `.${session.sessionId}.jsonl.tmp`);
      writeFileSync(temp, rewritten.join("\n"));
      renameSync(temp, file);

      const changed = await up.sessionWhere(
        (s) => s.sessionId === session.sessionId && s.usage.costUsd > session.usage.costUsd + 1.5,
        "the rewritten session's totals",
      );
      // Two assistant lines re-priced by a dollar each; nothing counted twice.
      expect(changed.messageCount).toBe(4);
      expect(changed.usage.costUsd).toBeCloseTo(session.usage.costUsd + 2, 9);
      expect(changed.usage.input).toBe(session.usage.input);
      const messages = await messagesOf(session.sessionId);
      expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
      expect(messages[2]!.text).toBe("line one\n…");
      const sum = messages.reduce((total, m) => total + (m.usage?.costUsd ?? 0), 0);
      expect(changed.usage.costUsd).toBeCloseTo(sum, 9);
      // clawops read the gateway's files and wrote nothing into them.
      expect(readdirSync(sessionsDir).filter((f) => f.includes(".tmp"))).toEqual([]);
    });
  },
);
