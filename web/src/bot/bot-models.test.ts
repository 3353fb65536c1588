import { describe, expect, it } from "vitest";
import type { Finding } from "../../../src/core/finding.js";
import type { MessageRecord } from "../../../src/core/session.js";
import { configLines } from "./config-model.js";
import { dailySeries, modelShares, usd } from "./cost-model.js";
import { appendLog, logLine } from "./log-model.js";
import { argumentsPreview, searchTranscript, transcriptItems } from "./transcript-model.js";

const message = (seq: number, over: Partial<MessageRecord>): MessageRecord => ({
  botId: "b",
  sessionId: "s",
  seq,
  role: "user",
  text: "",
  textBytes: 0,
  toolCalls: [],
  toolCallId: null,
  isError: false,
  usage: null,
  costSource: null,
  stopReason: null,
  model: null,
  latencyMs: null,
  at: "2026-11-30T00:00:00.000Z",
  ...over,
});

describe("the transcript's view model", () => {
  const messages = [
    message(1, { text: "list the files" }),
    message(2, {
      role: "assistant",
      toolCalls: [{ id: "c1", name: "exec", arguments: '{"command":"ls -la"}' }],
    }),
    message(3, { role: "tool", toolCallId: "c1", text: "README.md" }),
    message(4, { role: "tool", toolCallId: "gone", text: "orphan result" }),
    message(5, { role: "assistant", text: "There is a README." }),
  ];

  it("shows each tool result under its call, and an orphan result on its own", () => {
    const items = transcriptItems(messages);
    expect(items.map((i) => i.message.seq)).toEqual([1, 2, 4, 5]);
    expect(items[1]!.calls[0]!.result?.text).toBe("README.md");
  });

  it("searches text, tool names, arguments and results", () => {
    const items = transcriptItems(messages);
    expect(searchTranscript(items, "readme").map((i) => i.message.seq)).toEqual([2, 5]);
    expect(searchTranscript(items, "LS -LA").map((i) => i.message.seq)).toEqual([2]);
    expect(searchTranscript(items, " ")).toHaveLength(4);
  });

  it("collapses arguments to a line and opens them pretty", () => {
    const preview = argumentsPreview(`{"a":"${"x".repeat(100)}"}`, 20);
    expect(preview.short).toHaveLength(20);
    expect(preview.full).toContain('\n  "a"');
    expect(argumentsPreview("{cut").full).toBe("{cut");
  });
});

describe("cost by day and model", () => {
  const row = (key: string, costUsd: number, messages = 1) => ({
    key,
    label: key,
    messages,
    input: 10,
    output: 5,
    cacheRead: 0,
    cacheWrite: 0,
    costUsd,
  });

  it("fills the days without messages with zeros, oldest first", () => {
    const now = Date.parse("2026-11-30T12:00:00Z");
    const series = dailySeries([row("2026-11-29", 0.5)], 3, now);
    expect(series).toEqual([
      { day: "2026-11-28", costUsd: 0, tokens: 0 },
      { day: "2026-11-29", costUsd: 0.5, tokens: 15 },
      { day: "2026-11-30", costUsd: 0, tokens: 0 },
    ]);
  });

  it("orders models by cost with their share", () => {
    const shares = modelShares([row("a", 1), row("b", 3), row("c", 0)]);
    expect(shares.map((s) => [s.key, s.share])).toEqual([
      ["b", 0.75],
      ["a", 0.25],
      ["c", 0],
    ]);
    expect([usd(0), usd(0.00423), usd(12.3)]).toEqual(["$0", "$0.0042", "$12.30"]);
  });
});

describe("the config with findings inline", () => {
  it("puts each finding under its path's line, the rest in general", () => {
    const finding = (path: string): Finding => ({
      id: "r",
      severity: "error",
      path,
      message: path,
    });
    const { lines, general } = configLines(
      { gateway: { bind: "lan", auth: { token: "[REDACTED]" } }, list: [{ "a b": 1 }] },
      [finding("gateway.bind"), finding("<root>"), finding('list[0]["a b"]')],
    );
    expect(lines.map((l) => [l.path, l.depth, l.value])).toEqual([
      ["gateway", 0, null],
      ["gateway.bind", 1, '"lan"'],
      ["gateway.auth", 1, null],
      ["gateway.auth.token", 2, '"[REDACTED]"'],
      ["list", 0, null],
      ["list[0]", 1, null],
      ['list[0]["a b"]', 2, "1"],
    ]);
    expect(lines[1]!.findings).toHaveLength(1);
    expect(lines[6]!.findings).toHaveLength(1);
    expect(general.map((f) => f.path)).toEqual(["<root>"]);
  });
});

describe("the log tail", () => {
  it("appends, keeps the newest, and marks a rotation", () => {
    const page = (lines: string[], reset = false) => ({
      lines,
      cursor: 0,
      reset,
      truncated: false,
    });
    expect(appendLog(["a"], page(["b", "c"]), 2)).toEqual(["b", "c"]);
    expect(appendLog(["a"], page(["b"], true))).toEqual(["a", "— the log was rotated —", "b"]);
    expect(appendLog([], page(["b"], true))).toEqual(["b"]);
  });

  it("reads JSON lines and strips terminal colours", () => {
    expect(
      logLine('{"time":"2026-11-30T00:00:00Z","_meta":{"logLevelName":"WARN"},"0":"slow"}'),
    ).toEqual({ time: "2026-11-30T00:00:00Z", level: "warn", text: "slow" });
    expect(logLine("\u001b[32mready\u001b[39m on 1")).toEqual({
      time: null,
      level: null,
      text: "ready on 1",
    });
  });
});
