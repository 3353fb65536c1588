import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MESSAGE_TEXT_LIMIT, type MessageRecord, boundText } from "../core/session.js";
import { normalizeMessage, normalizeSession } from "./normalize.js";

const SAMPLES = "test/fixtures/openclaw-2026.9.6/samples";
const sample = (name: string) =>
  JSON.parse(readFileSync(`${SAMPLES}/${name}.json`, "utf8")) as {
    sessionId: string;
    messages: unknown[];
  };

function normalizeAll(raws: unknown[], sessionId: string): MessageRecord[] {
  return raws.map((raw) => {
    const result = normalizeMessage(raw, "bot-1", sessionId);
    if (!result.ok) throw new Error(result.why);
    return result.message;
  });
}

describe("normalizeMessage", () => {
  it("keeps a real tool-call turn: user, tool call, tool result, answer, in transcript order", () => {
    const history = sample("ingest-history-tools");
    const messages = normalizeAll(history.messages, history.sessionId);
    expect(messages.map((m) => [m.seq, m.role])).toEqual([
      [1, "user"],
      [2, "assistant"],
      [3, "tool"],
      [4, "assistant"],
      [5, "user"],
      [6, "assistant"],
      [7, "tool"],
      [8, "assistant"],
    ]);
    const [user, call, result, answer] = messages;
    expect(user).toMatchObject({ text: "List the files.", usage: null, toolCalls: [] });
    expect(call).toMatchObject({
      text: "",
      stopReason: "toolUse",
      model: "fake/fake-model",
      toolCalls: [{ id: "call_chatcmpl-fake-1", name: "ls", arguments: '{"path":"."}' }],
      usage: { input: 15190, output: 12, cacheRead: 0, cacheWrite: 0, costUsd: 0 },
    });
    expect(result).toMatchObject({ toolCallId: "call_chatcmpl-fake-1", isError: false });
    expect(result?.text).toContain("AGENTS.md");
    expect(answer).toMatchObject({ text: "Listed the workspace.", stopReason: "stop" });
    expect(messages[6]).toMatchObject({ role: "tool", isError: true });
    expect(messages.every((m) => m.botId === "bot-1" && m.sessionId === history.sessionId)).toBe(
      true,
    );
  });

  it("reads a live session.message event's message the same way as history", () => {
    const events = JSON.parse(readFileSync(`${SAMPLES}/ingest-live-events.json`, "utf8")) as {
      event: string;
      payload: { sessionId: string; messageSeq: number; message: unknown };
    }[];
    const live = events.filter((e) => e.event === "session.message");
    expect(live.length).toBeGreaterThan(4);
    for (const e of live) {
      const result = normalizeMessage(e.payload.message, "bot-1", e.payload.sessionId);
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.message.seq).toBe(e.payload.messageSeq);
    }
  });

  it("keeps the marker a reset leaves as a system message", () => {
    const history = sample("ingest-history-plain-after-reset");
    expect(normalizeAll(history.messages, history.sessionId)).toMatchObject([
      { seq: 1, role: "system", text: "Reset" },
    ]);
  });

  it("skips what it cannot read and says why, never throwing", () => {
    expect(normalizeMessage(null, "b", "s")).toMatchObject({ ok: false });
    expect(normalizeMessage({ role: "user", content: "hi" }, "b", "s")).toEqual({
      ok: false,
      why: expect.stringMatching(/^__openclaw: /) as string,
    });
    expect(
      normalizeMessage({ role: "robot", content: "hi", __openclaw: { seq: 1 } }, "b", "s"),
    ).toEqual({ ok: false, why: 'unknown role "robot"' });
    expect(
      normalizeMessage({ role: "user", content: 42, __openclaw: { seq: 1 } }, "b", "s").ok,
    ).toBe(false);
  });

  it("keeps a preview of a huge message and its whole size", () => {
    const huge = "é".repeat(3_000_000); // 6 MB of UTF-8
    const result = normalizeMessage(
      { role: "user", content: huge, __openclaw: { seq: 9 } },
      "b",
      "s",
    );
    expect(result.ok && result.message.text.length).toBe(MESSAGE_TEXT_LIMIT);
    expect(result.ok && result.message.textBytes).toBe(6_000_000);
  });

  it("notices a text the gateway cut for display, and keeps it without the mark", () => {
    const result = normalizeMessage(
      { role: "user", content: `${"A".repeat(8000)}\n...(truncated)...`, __openclaw: { seq: 7 } },
      "b",
      "s",
    );
    expect(result).toMatchObject({ ok: true, cut: true, message: { text: "A".repeat(8000) } });
    expect(
      normalizeMessage({ role: "user", content: "whole", __openclaw: { seq: 1 } }, "b", "s"),
    ).toMatchObject({ ok: true, cut: false });
  });

  it("never cuts a surrogate pair in half", () => {
    const text = `${"a".repeat(MESSAGE_TEXT_LIMIT - 1)}😀tail`;
    expect(boundText(text).text).toBe("a".repeat(MESSAGE_TEXT_LIMIT - 1));
  });

  it("gives an answer the latency of its model call: from its start to its write", () => {
    const history = sample("ingest-history-tools");
    const all = normalizeAll(history.messages, history.sessionId);
    expect(all.map((m) => m.latencyMs)).toEqual([null, 189, null, 176, null, 72, null, 57]);
    // Every message is timed when the gateway wrote it.
    expect(all[0]?.at).toBe(new Date(1796030242521).toISOString());
  });
});

describe("normalizeSession", () => {
  it("reads a sessions.list row", () => {
    const list = JSON.parse(readFileSync(`${SAMPLES}/ingest-list.json`, "utf8")) as {
      sessions: unknown[];
    };
    const result = normalizeSession(list.sessions[0], "bot-1");
    expect(result).toEqual({
      ok: true,
      session: {
        botId: "bot-1",
        sessionId: "89dd25e4-4d49-4fb5-89cc-c953b9f38f06",
        sessionKey: "agent:main:plain",
        agentId: "main",
        channel: null,
        peer: null,
        modelConfigured: "fake/fake-model",
        modelUsed: null,
        status: "done",
        startedAt: new Date(1796030247985).toISOString(),
        lastActivityAt: new Date(1796030248620).toISOString(),
      },
    });
  });

  it("reads a session.message event's session fields, and a channel's peer from the key", () => {
    const events = JSON.parse(readFileSync(`${SAMPLES}/ingest-live-events.json`, "utf8")) as {
      event: string;
      payload: unknown;
    }[];
    const live = events.find((e) => e.event === "session.message");
    expect(normalizeSession(live?.payload, "b")).toMatchObject({
      ok: true,
      session: { sessionKey: "agent:main:tools", agentId: "main" },
    });
    expect(
      normalizeSession({ key: "agent:ops:telegram:direct:12345", sessionId: "s1" }, "b"),
    ).toMatchObject({ ok: true, session: { agentId: "ops", channel: "telegram", peer: "12345" } });
    expect(normalizeSession({ key: "agent:main:main" }, "b")).toMatchObject({ ok: false });
  });
});
