import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeTelegram, startFakeTelegram } from "../../../test/harness/fake-telegram.js";
import type { Notification, OpsControl } from "../../core/notification.js";
import { createNotificationHub, notifyConfigSchema } from "../index.js";
import { telegram } from "./index.js";

const OPERATOR = 1001;
const GROUP = -2002;
const control = {} as OpsControl;

const recovered: Notification = {
  kind: "recovered",
  bot: "bot-a",
  title: "bot-a recovered in 12.4s (tier 1: restart)",
  lines: ["cause: killed by SIGKILL"],
  repairId: "rep_1",
  dedupeKey: "recovered:rep_1",
  ts: "2026-05-01T12:00:00.000Z",
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeTelegram(): Promise<FakeTelegram> {
  const fake = await startFakeTelegram();
  cleanups.push(() => fake.close());
  return fake;
}

/** A hub with one Telegram notifier, its pino output captured. */
function hubFor(telegramConfig: Record<string, unknown>, env: NodeJS.ProcessEnv) {
  const logged: string[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => void logged.push(line) });
  const config = notifyConfigSchema.parse({
    notifiers: [
      { type: "telegram", chatIds: [OPERATOR, GROUP], pollTimeout: "1s", ...telegramConfig },
    ],
  });
  const hub = createNotificationHub(config, {
    log,
    control: () => control,
    botOrg: () => null,
    fleetOrg: "default",
    env,
  });
  const stop = new AbortController();
  cleanups.push(async () => {
    stop.abort();
    await hub.close();
  });
  return { hub, logged, stop };
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("the Telegram notifier", () => {
  it("sends each notification to every chat, with the bot's buttons", async () => {
    const fake = await fakeTelegram();
    const { hub } = hubFor(
      { apiRoot: fake.apiRoot, commands: true },
      { CLAWOPS_TELEGRAM_TOKEN: fake.token },
    );
    hub.notify(recovered);
    await hub.flush();
    const sent = fake.calls.filter((c) => c.method === "sendMessage");
    expect(sent.map((c) => c.params.chat_id)).toEqual([OPERATOR, GROUP]);
    for (const call of sent) {
      expect(call.params).toMatchObject({
        parse_mode: "HTML",
        text: "✅ <b>bot-a recovered in 12.4s (tier 1: restart)</b>\ncause: killed by SIGKILL\nrepair <code>rep_1</code>",
        reply_markup: {
          inline_keyboard: [
            [
              { text: "🔧 Repair now", callback_data: "repair:bot-a" },
              { text: "📜 View logs", callback_data: "logs:bot-a" },
            ],
            [
              { text: "⏸ Pause", callback_data: "pause:bot-a" },
              { text: "📊 Stats", callback_data: "stats" },
            ],
          ],
        },
      });
    }
    expect(hub.health()).toEqual([
      expect.objectContaining({ name: "telegram", type: "telegram", sent: 1, failed: 0 }),
    ]);
    expect(hub.issues()).toEqual([]);
  });

  it("still reaches the other chats when one refuses, and counts the failure", async () => {
    const fake = await fakeTelegram();
    const { hub } = hubFor(
      { apiRoot: fake.apiRoot, commands: false },
      { CLAWOPS_TELEGRAM_TOKEN: fake.token },
    );
    fake.failNext("sendMessage", {
      status: 403,
      description: "Forbidden: bot was blocked by the user",
    });
    hub.notify({ ...recovered, kind: "escalated", bot: null, title: "fleet: 3 bots down" });
    await hub.flush();
    const sent = fake.calls.filter((c) => c.method === "sendMessage");
    // No retry for a 403; the group still gets it, without buttons (no bot, and commands are off).
    expect(sent.map((c) => c.params.chat_id)).toEqual([OPERATOR, GROUP]);
    expect(sent[1]!.params.reply_markup).toBeUndefined();
    expect(hub.health()[0]).toMatchObject({
      sent: 0,
      failed: 1,
      lastError: expect.stringContaining(
        "chat 1001: Call to 'sendMessage' failed! (403: Forbidden: bot was blocked",
      ) as string,
    });
  });

  it("retries a send that met flood control, after Telegram's retry_after", async () => {
    const fake = await fakeTelegram();
    const { hub } = hubFor(
      { apiRoot: fake.apiRoot, chatIds: [OPERATOR] },
      { CLAWOPS_TELEGRAM_TOKEN: fake.token },
    );
    fake.failNext("sendMessage", {
      status: 429,
      description: "Too Many Requests: retry after 1",
      retryAfter: 1,
    });
    const started = Date.now();
    hub.notify(recovered);
    await hub.flush();
    expect(fake.calls.filter((c) => c.method === "sendMessage")).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(hub.health()[0]).toMatchObject({ sent: 1, failed: 0 });
  });

  it("reports a token that is not set, and does nothing else", async () => {
    const fake = await fakeTelegram();
    const { hub, stop } = hubFor({ apiRoot: fake.apiRoot, tokenEnv: "MY_TG_TOKEN" }, {});
    expect(hub.issues()).toEqual([
      expect.objectContaining({
        path: "notifiers[0].tokenEnv",
        severity: "error",
        message: expect.stringContaining("MY_TG_TOKEN is not set") as string,
      }),
    ]);
    await hub.start(stop.signal);
    hub.notify(recovered);
    await hub.flush();
    expect(fake.calls).toEqual([]);
    expect(hub.health()[0]).toMatchObject({
      failed: 1,
      lastError: "telegram telegram: MY_TG_TOKEN is not set",
    });
  });

  it("keeps the token out of logs and errors when Telegram rejects it", async () => {
    const fake = await fakeTelegram();
    const token = "424242:WRONG-token-that-must-never-be-logged";
    const { hub, logged, stop } = hubFor(
      { apiRoot: fake.apiRoot },
      { CLAWOPS_TELEGRAM_TOKEN: token },
    );
    await hub.start(stop.signal);
    hub.notify(recovered);
    await hub.flush();
    await until(() => logged.some((l) => l.includes("telegram.poll_failed")));
    expect(hub.issues()).toEqual([
      expect.objectContaining({
        path: "notifiers[0].tokenEnv",
        message: expect.stringContaining("401") as string,
      }),
    ]);
    expect(hub.health()[0]!.lastError).toContain("401: Unauthorized");
    expect(fake.calls.every((c) => !c.authorized)).toBe(true);
    const output = logged.join("\n");
    expect(output).toContain("notify.failed");
    expect(output).not.toContain(token);
    expect(output).not.toContain("WRONG-token");
  });

  it("keeps the token out of network errors, backs off and recovers", async () => {
    const fake = await fakeTelegram();
    const { hub, logged, stop } = hubFor(
      { apiRoot: fake.apiRoot },
      { CLAWOPS_TELEGRAM_TOKEN: fake.token },
    );
    fake.failNext("getUpdates", { status: 502, description: "Bad Gateway" });
    await hub.start(stop.signal);
    await until(() => logged.some((l) => l.includes("telegram.poll_failed")));
    // After the backoff (1 s) the poller is back and commands work.
    fake.pushMessage(OPERATOR, "/help");
    await fake.waitForCall("sendMessage", (p) => String(p.text).includes("commands"), 5_000);

    // A dead endpoint: grammy's network errors must not carry the URL (and its token) along.
    const dead = hubFor({ apiRoot: "http://127.0.0.1:9" }, { CLAWOPS_TELEGRAM_TOKEN: fake.token });
    await dead.hub.start(dead.stop.signal);
    await until(() => dead.logged.some((l) => l.includes("telegram.poll_failed")));
    const notifier = telegram.create(
      telegram.schema.parse({
        type: "telegram",
        chatIds: [OPERATOR],
        apiRoot: "http://127.0.0.1:9",
      }),
      {
        log: pino({ level: "debug" }, { write: (line: string) => void logged.push(line) }),
        control,
        env: { CLAWOPS_TELEGRAM_TOKEN: fake.token },
        now: Date.now,
        name: "dead",
      },
    );
    // The first failure is retried after 1 s; the signal ends it sooner.
    const error = await notifier.send(recovered, AbortSignal.timeout(300)).catch((e: unknown) => e);
    expect(String(error)).toMatch(/chat 1001: Network request for 'sendMessage' failed/);
    expect(String(error)).not.toContain(fake.token);
    expect(logged.some((l) => l.includes("telegram.send_retry"))).toBe(true);
    expect([...logged, ...dead.logged].join("\n")).not.toContain(fake.token);
  });

  it("stops polling promptly on close", async () => {
    const fake = await fakeTelegram();
    const { hub, stop } = hubFor(
      { apiRoot: fake.apiRoot, pollTimeout: "30s" },
      { CLAWOPS_TELEGRAM_TOKEN: fake.token },
    );
    await hub.start(stop.signal);
    await fake.waitForCall("getUpdates");
    const started = Date.now();
    await hub.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    const polls = fake.calls.filter((c) => c.method === "getUpdates").length;
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.calls.filter((c) => c.method === "getUpdates")).toHaveLength(polls);
  });

  it("does not poll when commands are off", async () => {
    const fake = await fakeTelegram();
    const { hub, stop } = hubFor(
      { apiRoot: fake.apiRoot, commands: false },
      { CLAWOPS_TELEGRAM_TOKEN: fake.token },
    );
    await hub.start(stop.signal);
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.calls).toEqual([]);
  });
});
