import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MESSAGE_TEXT_LIMIT } from "../core/session.js";
import { boundText } from "../core/session.js";
import { type ParsedLine, parseJsonlLine } from "./jsonl.js";

const FIXTURES = path.resolve(
  fileURLToPath(import.meta.url),
  "../../../test/fixtures/openclaw-2026.7.35/sessions",
);

function parseFixture(file: string): ParsedLine[] {
  const sessionId = file.split(".")[0]!;
  return readFileSync(path.join(FIXTURES, file), "utf8")
    .split("\n")
    .slice(0, -1)
    .map((line, seq) => parseJsonlLine(line, { botId: "b1", sessionId, seq }));
}

function messages(parsed: ParsedLine[]) {
  return parsed.flatMap((p) => (p.kind === "message" ? [p.record] : []));
}

describe("parseJsonlLine on a real 2026.7.35 transcript", () => {
  const parsed = parseFixture("c6cbbf9f-a9e2-4fd6-8252-5dc277d72a15.jsonl");

  it("reads the header and the model as session meta", () => {
    expect(parsed[0]).toEqual({
      kind: "meta",
      update: {
        type: "session",
        at: "2026-11-30T09:19:18.107Z",
        startedAt: "2026-11-30T09:19:18.107Z",
      },
    });
    expect(parsed[1]).toMatchObject({
      kind: "meta",
      update: { type: "model_change", modelConfigured: "fake/fake-model" },
    });
  });

  it("keeps user, assistant and tool result lines with their line number as seq", () => {
    const records = messages(parsed);
    expect(records.map((r) => [r.seq, r.role])).toEqual([
      [4, "user"],
      [5, "assistant"],
      [7, "user"],
      [8, "assistant"],
      [9, "tool"],
      [10, "assistant"],
      [12, "user"],
      [13, "assistant"],
      [15, "user"],
      [16, "user"],
      [17, "assistant"],
    ]);
    const first = records[1]!;
    expect(first).toMatchObject({
      botId: "b1",
      sessionId: "c6cbbf9f-a9e2-4fd6-8252-5dc277d72a15",
      text: "Hello from the fake LLM.",
      textBytes: 24,
      model: "fake/fake-model",
      stopReason: "stop",
      isError: false,
      usage: { input: 20579, output: 5, cacheRead: 0, cacheWrite: 0, costUsd: 0.061812 },
      at: "2026-11-30T09:19:21.549Z",
    });
    // The model call began at the message's own timestamp; the line was written 3 s later.
    expect(first.latencyMs).toBe(3086);
    expect(records[0]).toMatchObject({ text: "Say hello slowly.", usage: null, model: null });
  });

  it("keeps a tool call and its result", () => {
    const records = messages(parsed);
    const call = records.find((r) => r.seq === 8)!;
    expect(call.toolCalls).toEqual([
      { id: "call_chatcmpl-fake-2", name: "read", arguments: '{"path":"notes.txt"}' },
    ]);
    expect(call.stopReason).toBe("toolUse");
    const result = records.find((r) => r.seq === 9)!;
    expect(result).toMatchObject({
      role: "tool",
      toolCallId: "call_chatcmpl-fake-2",
      text: "line one\nline two\n",
      isError: false,
      toolCalls: [],
    });
  });

  it("flags a failed turn as an error", () => {
    const failed = messages(parsed).find((r) => r.seq === 13)!;
    expect(failed).toMatchObject({ role: "assistant", isError: true, stopReason: "error" });
    expect(failed.text).toBe("[assistant turn failed before producing content]");
    const empty = messages(parsed).find((r) => r.seq === 17)!;
    // No content at all: the error message is the text.
    expect(empty.text).toBe("500 simulated upstream failure");
  });

  it("counts the line types it does not keep", () => {
    const ignored = parsed.filter((p) => p.kind === "skipped");
    expect(ignored.map((p) => p.kind === "skipped" && p.detail)).toEqual([
      "thinking_level_change",
      "custom",
      "custom",
      "custom",
      "custom",
      "custom",
    ]);
  });
});

describe("parseJsonlLine on an archived transcript", () => {
  const parsed = parseFixture(
    "fad647bd-0803-4a3d-94e9-23e1f8f3348c.jsonl.reset.2026-11-30T09-18-07.411Z",
  );

  it("keeps failed tool results flagged", () => {
    const results = messages(parsed).filter((r) => r.role === "tool");
    expect(results.map((r) => [r.isError, r.text.slice(0, 20)])).toEqual([
      [true, "Tool ls not found"],
      [true, '{\n  "status": "error'],
    ]);
  });

  it("reads a compaction as session meta", () => {
    expect(parsed.at(-1)).toEqual({
      kind: "meta",
      update: { type: "compaction", at: "2026-11-30T09:18:07.170Z", tokensBefore: 20782 },
    });
  });
});

describe("parseJsonlLine on bad input", () => {
  const at = { botId: "b", sessionId: "s", seq: 3 };

  it("skips what it cannot use, never throwing", () => {
    const reasons = [
      "",
      "   ",
      '{"type":"message","message":{"role":"assistant"',
      "[1,2]",
      '"text"',
      "{}",
      '{"type":"message"}',
      '{"type":"message","message":{"role":"bashExecution"}}',
      '{"type":"brand_new_type"}',
    ].map((line) => {
      const parsed = parseJsonlLine(line, at);
      return parsed.kind === "skipped"
        ? [parsed.reason, parsed.detail?.slice(0, 24) ?? null]
        : parsed.kind;
    });
    expect(reasons).toEqual([
      ["empty", null],
      ["empty", null],
      ["malformed-json", expect.any(String)],
      ["not-an-entry", null],
      ["not-an-entry", null],
      ["not-an-entry", null],
      ["unusable-message", "no message object"],
      ["unusable-message", "role bashExecution"],
      ["ignored-type", "unknown:brand_new_type"],
    ]);
  });

  it("takes odd field types without failing", () => {
    const parsed = parseJsonlLine(
      JSON.stringify({
        type: "message",
        message: {
          role: "assistant",
          content: [{ type: "toolCall", name: "exec", arguments: "ls -l" }, { type: "image" }, 7],
          usage: { input: "many", output: -1, cost: { total: "x" } },
          timestamp: "not a time",
        },
      }),
      { ...at, fallbackAt: "2026-01-01T00:00:00.000Z" },
    );
    expect(parsed).toMatchObject({
      kind: "message",
      entryId: null,
      record: {
        seq: 3,
        text: "",
        toolCalls: [{ id: null, name: "exec", arguments: "ls -l" }],
        usage: { input: 0, output: 0, costUsd: 0 },
        latencyMs: null,
        at: "2026-01-01T00:00:00.000Z",
      },
    });
  });
});

describe("boundText", () => {
  it("keeps MESSAGE_TEXT_LIMIT characters and counts every byte", () => {
    const text = "é".repeat(MESSAGE_TEXT_LIMIT + 10);
    const bounded = boundText(text);
    expect(bounded.text.length).toBe(MESSAGE_TEXT_LIMIT);
    expect(bounded.bytes).toBe(2 * (MESSAGE_TEXT_LIMIT + 10));
  });

  it("never ends inside a surrogate pair", () => {
    const text = `${"a".repeat(MESSAGE_TEXT_LIMIT - 1)}😀tail`;
    const bounded = boundText(text);
    expect(bounded.text).toBe("a".repeat(MESSAGE_TEXT_LIMIT - 1));
    expect(bounded.bytes).toBe(MESSAGE_TEXT_LIMIT - 1 + 4 + 4);
  });

  it("bounds a message's text and tool arguments", () => {
    const big = "x".repeat(MESSAGE_TEXT_LIMIT * 2);
    const parsed = parseJsonlLine(
      JSON.stringify({
        type: "message",
        timestamp: "2026-11-30T09:19:22.553Z",
        message: {
          role: "assistant",
          content: [
            { type: "text", text: big },
            { type: "toolCall", id: "c1", name: "write", arguments: { content: big } },
          ],
        },
      }),
      { botId: "b", sessionId: "s", seq: 0 },
    );
    if (parsed.kind !== "message") throw new Error(parsed.kind);
    expect(parsed.record.text.length).toBe(MESSAGE_TEXT_LIMIT);
    expect(parsed.record.textBytes).toBe(MESSAGE_TEXT_LIMIT * 2);
    expect(parsed.record.toolCalls[0]!.arguments.length).toBe(MESSAGE_TEXT_LIMIT);
  });
});
