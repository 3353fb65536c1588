import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeTelegram, startFakeTelegram } from "../../../test/harness/fake-telegram.js";
import { OpsError } from "../../core/errors.js";
import type { BotStatusLine, OpsControl } from "../../core/notification.js";
import type { RepairRecord, RepairStats } from "../../core/repair.js";
import type { Notifier } from "../notifier.js";
import { telegram } from "./index.js";

const OPERATOR = 1001;
const GROUP = -2002;
const STRANGER = 999;
const NOW = Date.parse("2026-05-01T12:10:00.000Z");

const statusLines: BotStatusLine[] = [
  {
    name: "bot-a",
    state: "running",
    reason: "",
    port: 18789,
    pid: 4242,
    restarts: 1,
    since: "2026-05-01T12:05:00.000Z",
    paused: false,
  },
  {
    name: "bot-b",
    state: "crashed",
    reason: "exit code 1 <EADDRINUSE>",
    port: 18809,
    pid: null,
    restarts: 4,
    since: "2026-05-01T12:09:30.000Z",
    paused: true,
  },
];

const record: RepairRecord = {
  id: "rep_7",
  botId: "bot_1",
  botName: "bot-a",
  trigger: "crash",
  cause: "killed by SIGKILL",
  startedBy: `telegram:${OPERATOR}`,
  dryRun: false,
  outcome: "recovered",
  tier: 2,
  summary: "restarted after removing a stale lock",
  actions: [
    {
      tier: 1,
      action: "restart",
      params: {},
      status: "failed",
      detail: "lock held",
      durationMs: 1_500,
    },
    { tier: 2, action: "remove-stale-lock", params: {}, status: "ok", detail: "", durationMs: 40 },
  ],
  evidence: {},
  faultAt: "2026-05-01T12:00:00.000Z",
  detectedAt: "2026-05-01T12:00:00.800Z",
  startedAt: "2026-05-01T12:00:01.000Z",
  endedAt: "2026-05-01T12:00:06.100Z",
  recoveredAt: "2026-05-01T12:00:05.900Z",
};

const stats: RepairStats = {
  total: 12,
  recovered: 10,
  escalated: 2,
  skipped: 1,
  successRate: 10 / 12,
  escalationRate: 2 / 12,
  meanTimeToDetectMs: 1_200,
  meanTimeToRecoverMs: 8_400,
  byTier: { "1": 7, "2": 3, "3": 0 },
};

/** The boundary under test: a small OpsControl with fixed answers that records every call. */
function fakeControl() {
  const calls: [string, ...unknown[]][] = [];
  // Created up front: a test may finish the repair before the bot has even asked for it.
  let finishRepair: (record: RepairRecord) => void = () => {};
  const repaired = new Promise<RepairRecord>((resolve) => (finishRepair = resolve));
  const control: OpsControl = {
    status: async (bot) => {
      calls.push(["status", bot]);
      return bot ? statusLines.filter((s) => s.name === bot) : statusLines;
    },
    repair: (bot, actor) => {
      calls.push(["repair", bot, actor]);
      return repaired;
    },
    logs: async (bot, lines) => {
      calls.push(["logs", bot, lines]);
      if (bot === "bot-z") throw new OpsError("NOT_FOUND", "no bot named bot-z");
      return ["12:00:01 gateway listening on 127.0.0.1:18789", "12:00:02 <ready>"];
    },
    history: async (bot, limit) => {
      calls.push(["history", bot, limit]);
      return [record];
    },
    stats: async (bot) => {
      calls.push(["stats", bot]);
      return stats;
    },
    config: async () => {
      calls.push(["config"]);
      throw new Error("database file /var/lib/clawops/x.db is locked");
    },
    pause: async (bot, actor, reason) => {
      calls.push(["pause", bot, actor, reason]);
      return { botId: bot, by: actor, reason, since: "2026-05-01T12:10:00.000Z" };
    },
    resume: async (bot, actor) => {
      calls.push(["resume", bot, actor]);
      return bot !== "bot-b";
    },
    decideApproval: async (bot, id, decision, actor) => {
      calls.push(["decideApproval", bot, id, decision, actor]);
      if (id === "gone0000") throw new OpsError("NOT_FOUND", "no exec waits for approval");
      return { bot, id: `${id}-full`, command: "echo <hi>" };
    },
  };
  return { control, calls, finish: (r: RepairRecord) => finishRepair(r) };
}

let fake: FakeTelegram;
let notifier: Notifier;
let ops: ReturnType<typeof fakeControl>;
let logged: string[];
let stop: AbortController;

beforeEach(async () => {
  fake = await startFakeTelegram();
  ops = fakeControl();
  logged = [];
  const log = pino({ level: "debug" }, { write: (line: string) => void logged.push(line) });
  const config = telegram.schema.parse({
    type: "telegram",
    chatIds: [OPERATOR, GROUP],
    apiRoot: `${fake.apiRoot}/`,
    pollTimeout: "2s",
  });
  notifier = telegram.create(config, {
    log,
    control: ops.control,
    env: { CLAWOPS_TELEGRAM_TOKEN: fake.token },
    now: () => NOW,
    name: "telegram",
  });
  stop = new AbortController();
  await notifier.start!(stop.signal);
});

afterEach(async () => {
  stop.abort();
  await notifier.close!();
  await fake.close();
});

/** Sends `text` from `chatId` and resolves with the text of the next reply to that chat. */
async function ask(text: string, chatId = OPERATOR): Promise<string> {
  const after = fake.calls.length;
  fake.pushMessage(chatId, text);
  return nextReply(after, chatId);
}

async function nextReply(after: number, chatId = OPERATOR): Promise<string> {
  const call = await fake.waitForCall(
    "sendMessage",
    (p, c) => c.seq >= after && p.chat_id === chatId,
  );
  expect(call.params.parse_mode).toBe("HTML");
  return String(call.params.text);
}

describe("Telegram commands", () => {
  it("registers its commands and answers /status", async () => {
    const registered = await fake.waitForCall("setMyCommands");
    expect((registered.params.commands as { command: string }[]).map((c) => c.command)).toEqual([
      "status",
      "repair",
      "logs",
      "history",
      "stats",
      "pause",
      "resume",
      "approve",
      "deny",
      "config",
      "help",
    ]);
    expect(await ask("/status")).toBe(
      [
        "🟢 <b>bot-a</b> running",
        "port 18789 · pid 4242 · 1 restart · for 5m00s",
        "",
        "🔴 <b>bot-b</b> crashed · ⏸ paused",
        "port 18809 · no pid · 4 restarts · for 30.0s",
        "<i>exit code 1 &lt;EADDRINUSE&gt;</i>",
      ].join("\n"),
    );
    expect(await ask("/status@clawops_test_bot bot-a", GROUP)).toContain("<b>bot-a</b> running");
    expect(await ask("/status bot-z")).toBe("⚠️ no bot named bot-z");
    expect(ops.calls).toEqual([
      ["status", undefined],
      ["status", "bot-a"],
      ["status", "bot-z"],
    ]);
  });

  it("runs /repair in the background and reports the outcome when it is done", async () => {
    expect(await ask("/repair bot-a")).toBe("🔧 Repairing <b>bot-a</b>…");
    // The update loop is free while the repair runs.
    expect(await ask("/stats")).toContain("Repair stats");
    const after = fake.calls.length;
    ops.finish(record);
    expect(await nextReply(after)).toBe(
      [
        "✅ <b>bot-a: recovered</b> · tier 2",
        "restarted after removing a stale lock",
        "Cause: crash (killed by SIGKILL)",
        "Actions:",
        "❌ restart (tier 1, failed, 1.5s): lock held",
        "✅ remove-stale-lock (tier 2, ok, 40ms)",
        "Detected after 800ms · recovered after 5.1s · took 5.1s",
        "Started by telegram:1001 · repair <code>rep_7</code>",
      ].join("\n"),
    );
    expect(ops.calls).toEqual([
      // The bot is looked up first: one the chat may not see is refused before "Repairing".
      ["status", "bot-a"],
      ["repair", "bot-a", "telegram:1001"],
      ["stats", undefined],
    ]);
  });

  it("answers /logs for the named bot, and with usage when there are several", async () => {
    expect(await ask("/logs bot-a")).toBe(
      [
        "📜 <b>bot-a</b> · last 2 log lines",
        "<pre>12:00:01 gateway listening on 127.0.0.1:18789\n12:00:02 &lt;ready&gt;</pre>",
      ].join("\n"),
    );
    expect(await ask("/logs")).toBe("Usage: /logs &lt;bot&gt;. Bots: bot-a, bot-b");
    expect(await ask("/logs bot-z")).toBe("⚠️ no bot named bot-z");
    expect(ops.calls).toEqual([
      ["logs", "bot-a", 40],
      ["status", undefined],
      ["logs", "bot-z", 40],
    ]);
  });

  it("answers /history, /stats, /pause, /resume, /config and /help", async () => {
    expect(await ask("/history bot-a")).toBe(
      [
        "🗂 <b>Repair history</b> · bot-a",
        "✅ <code>2026-05-01 12:00Z</code> <b>bot-a</b> crash → recovered (tier 2) · 5.1s",
        "    restarted after removing a stale lock",
      ].join("\n"),
    );
    expect(await ask("/stats bot-a")).toBe(
      [
        "📊 <b>Repair stats</b> · bot-a",
        "Repairs: 12 (10 recovered, 2 escalated) · 1 skipped",
        "Success rate: 83.3% · escalation rate: 16.7%",
        "Mean time to detect: 1.2s · to recover: 8.4s",
        "Recovered by tier: 1: 7 · 2: 3 · 3: 0",
      ].join("\n"),
    );
    expect(await ask("/pause bot-a kernel upgrade")).toBe(
      "⏸ Automatic repairs paused for <b>bot-a</b> by telegram:1001: kernel upgrade",
    );
    expect(await ask("/pause")).toBe(
      "⏸ Automatic repairs paused fleet-wide by telegram:1001: paused from Telegram",
    );
    expect(await ask("/resume bot-a")).toBe("▶️ Automatic repairs resumed for <b>bot-a</b>.");
    expect(await ask("/resume bot-b")).toBe("ℹ️ Repairs were not paused for <b>bot-b</b>.");
    expect(await ask("/resume")).toBe("▶️ Automatic repairs resumed fleet-wide.");
    // Not an OpsError: its message (a path here) stays in the log.
    expect(await ask("/config")).toBe("⚠️ /config failed; the clawops log has the details");
    expect(await ask("/help")).toMatch(/^🦞 <b>clawops<\/b>: commands\n\/status: /);
    expect(await ask("/start")).toContain(
      "/repair: Run the repair pipeline now: /repair &lt;bot&gt;",
    );
    expect(await ask("/repair")).toBe("Usage: /repair &lt;bot&gt;");
    expect(ops.calls).toEqual([
      ["history", "bot-a", 10],
      ["stats", "bot-a"],
      ["pause", "bot-a", "telegram:1001", "kernel upgrade"],
      ["pause", null, "telegram:1001", "paused from Telegram"],
      ["resume", "bot-a", "telegram:1001"],
      ["resume", "bot-b", "telegram:1001"],
      ["resume", null, "telegram:1001"],
      ["config"],
    ]);
  });

  it("acts on the notification buttons after answering the callback", async () => {
    let after = fake.calls.length;
    fake.pushCallback(GROUP, "repair:bot-a");
    await fake.waitForCall("answerCallbackQuery", (_, c) => c.seq >= after);
    expect(await nextReply(after, GROUP)).toBe("🔧 Repairing <b>bot-a</b>…");
    after = fake.calls.length;
    ops.finish({ ...record, outcome: "escalated", tier: 3, startedBy: `telegram:${GROUP}` });
    expect(await nextReply(after, GROUP)).toMatch(/^🚨 <b>bot-a: escalated<\/b> · tier 3\n/);

    after = fake.calls.length;
    fake.pushCallback(OPERATOR, "pause:bot-a");
    expect(await nextReply(after)).toContain("paused for <b>bot-a</b>");
    after = fake.calls.length;
    fake.pushCallback(OPERATOR, "logs:bot-a");
    expect(await nextReply(after)).toContain("📜 <b>bot-a</b>");
    after = fake.calls.length;
    fake.pushCallback(OPERATOR, "stats");
    expect(await nextReply(after)).toContain("📊 <b>Repair stats</b> · fleet");
    expect(ops.calls).toEqual([
      ["status", "bot-a"],
      ["repair", "bot-a", "telegram:-2002"],
      ["pause", "bot-a", "telegram:1001", "paused from Telegram"],
      ["logs", "bot-a", 40],
      ["stats", undefined],
    ]);
  });

  it("decides an exec approval from its buttons and from /approve and /deny", async () => {
    let after = fake.calls.length;
    fake.pushCallback(GROUP, "approve:bot-a:1234abcd5678");
    expect(await nextReply(after, GROUP)).toBe(
      "✅ Allowed once on <b>bot-a</b>: <code>echo &lt;hi&gt;</code>",
    );
    after = fake.calls.length;
    fake.pushCallback(OPERATOR, "deny:bot-a:1234abcd5678");
    expect(await nextReply(after)).toContain("❌ Denied on <b>bot-a</b>");
    expect(await ask("/approve bot-a gone0000")).toBe("⚠️ no exec waits for approval");
    expect(await ask("/deny bot-a")).toBe("Usage: /deny &lt;bot&gt; &lt;id&gt;");
    expect(ops.calls).toEqual([
      ["decideApproval", "bot-a", "1234abcd5678", "allow-once", "telegram:-2002"],
      ["decideApproval", "bot-a", "1234abcd5678", "deny", "telegram:1001"],
      ["decideApproval", "bot-a", "gone0000", "allow-once", "telegram:1001"],
    ]);
  });

  it("ignores chats that are not configured: no reply, no control call, a warning", async () => {
    const after = fake.calls.length;
    fake.pushMessage(STRANGER, "/status");
    fake.pushMessage(STRANGER, "/repair bot-a");
    fake.pushCallback(STRANGER, "repair:bot-a");
    // Updates are handled in order: once /help is answered, the stranger's were seen.
    expect(await ask("/help")).toContain("clawops");
    const since = fake.calls.slice(after);
    expect(since.filter((c) => c.method === "sendMessage").map((c) => c.params.chat_id)).toEqual([
      OPERATOR,
    ]);
    expect(since.filter((c) => c.method === "answerCallbackQuery")).toEqual([]);
    expect(ops.calls).toEqual([]);
    const warnings = logged
      .map((line) => JSON.parse(line) as { msg: string; chatId?: number; level: number })
      .filter((l) => l.msg === "telegram.unauthorized_chat");
    expect(warnings).toHaveLength(3);
    expect(warnings.every((w) => w.chatId === STRANGER && w.level === 40)).toBe(true);
  });

  it("never logs the token", async () => {
    await ask("/config");
    await ask("/help");
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join("")).not.toContain(fake.token);
  });
});
