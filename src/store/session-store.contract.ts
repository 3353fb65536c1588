import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { OpsError } from "../core/errors.js";
import { EMPTY_USAGE, type MessageRecord, type SessionRecord } from "../core/session.js";
import type { Store } from "./store.js";

/** A session of `botId` with everything else defaulted. */
export function session(
  botId: string,
  sessionId: string,
  extra: Partial<SessionRecord> = {},
): SessionRecord {
  return {
    botId,
    botName: "bot",
    sessionId,
    sessionKey: "agent:main:main",
    agentId: "main",
    channel: null,
    peer: null,
    modelConfigured: null,
    modelUsed: null,
    status: null,
    startedAt: "2026-11-01T10:00:00.000Z",
    lastActivityAt: "2026-11-01T10:05:00.000Z",
    messageCount: 0,
    usage: EMPTY_USAGE,
    costSource: "none",
    deletedOnGateway: false,
    updatedAt: "2026-11-01T10:05:00.000Z",
    ...extra,
  };
}

/** A user message `seq` of a session, text `m<seq>`, at minute `seq` of 2026-11-01 10:00 UTC. */
export function message(
  botId: string,
  sessionId: string,
  seq: number,
  extra: Partial<MessageRecord> = {},
): MessageRecord {
  const text = extra.text ?? `m${seq}`;
  return {
    botId,
    sessionId,
    seq,
    role: "user",
    text,
    textBytes: Buffer.byteLength(text),
    toolCalls: [],
    toolCallId: null,
    isError: false,
    usage: null,
    costSource: null,
    stopReason: null,
    model: null,
    latencyMs: null,
    at: new Date(Date.UTC(2026, 10, 1, 10, seq)).toISOString(),
    ...extra,
  };
}

export async function expectValidation(promise: Promise<unknown>, message: RegExp) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpsError);
  expect((error as OpsError).code).toBe("VALIDATION");
  expect((error as OpsError).message).toMatch(message);
}

/**
 * Sessions and messages, part of the store contract: `store()` is the
 * suite's migrated store (shared by its tests, so each test uses its own bot
 * ids and time window), `open()` a second store on the same database.
 */
export function sessionStoreContract(ctx: { store(): Store; open(): Promise<Store> }) {
  it("saves, replaces and finds sessions; times come back in UTC", async () => {
    const { sessions } = ctx.store();
    const bot = randomUUID();
    const first = session(bot, "s1", {
      channel: "telegram",
      peer: "@ana",
      modelConfigured: "anthropic/claude-opus-4-6",
      status: "running",
      messageCount: 4,
      usage: { input: 3_000_000_000, output: 20, cacheRead: 5, cacheWrite: 1, costUsd: 0.0123 },
      costSource: "price-db",
    });
    await sessions.saveSessions([first, session(bot, "s2")]);
    expect(await sessions.getSession(bot, "s1")).toEqual(first);
    const replaced = { ...first, status: "done", modelUsed: "openai/gpt-5", messageCount: 6 };
    // The last of a key in one batch wins.
    await sessions.saveSessions([first, replaced]);
    expect(await sessions.getSession(bot, "s1")).toEqual(replaced);
    await sessions.saveSessions([
      session(bot, "s3", { lastActivityAt: "2026-11-01T12:00:00+02:00" }),
    ]);
    expect((await sessions.getSession(bot, "s3"))?.lastActivityAt).toBe("2026-11-01T10:00:00.000Z");
    expect(await sessions.getSession(bot, "missing")).toBeNull();
    expect(await sessions.getSession("other-bot", "s1")).toBeNull();
    await sessions.saveSessions([]);
  });

  it("adds messages once: a replay writes nothing and returns only the new ones", async () => {
    const { sessions } = ctx.store();
    const bot = randomUUID();
    const call = { id: "c1", name: "exec", arguments: '{"cmd":"ls"}' };
    const first = [
      message(bot, "s", 0),
      message(bot, "s", 1, {
        role: "assistant",
        toolCalls: [call],
        usage: { input: 10, output: 5, cacheRead: 100, cacheWrite: 0, costUsd: 0.000375 },
        stopReason: "toolUse",
        model: "anthropic/claude-opus-4-6",
        latencyMs: 1234,
      }),
      message(bot, "s", 2, { role: "tool", toolCallId: "c1", isError: true, text: "denied" }),
    ];
    expect(await sessions.addMessages(first)).toEqual(first);
    expect(await sessions.addMessages(first)).toEqual([]);
    const next = message(bot, "s", 3);
    // Old ones, a new one twice in the batch, and the same seq in another session.
    const other = message(bot, "t", 3);
    expect(await sessions.addMessages([first[0]!, next, first[2]!, next, other])).toEqual([
      next,
      other,
    ]);
    const stored = await sessions.listMessages(bot, "s");
    expect(stored).toEqual([...first, next]);
    expect(await sessions.listMessages(bot, "s", { afterSeq: 1, limit: 1 })).toEqual([first[2]]);
    expect(await sessions.listMessages(bot, "s", { afterSeq: 3 })).toEqual([]);
    expect(await sessions.addMessages([])).toEqual([]);

    // More rows than one statement may bind: several statements, one transaction.
    const many = Array.from({ length: 4_000 }, (_, i) => message(bot, "big", i));
    expect((await sessions.addMessages(many)).length).toBe(4_000);
    expect(await sessions.addMessages(many)).toEqual([]);
    const page = await sessions.listMessages(bot, "big", { afterSeq: 3_500, limit: 5_000 });
    expect(page.length).toBe(499);
    expect(page[0]!.seq).toBe(3_501);
  });

  it("replaces a message whose content changed, taking its usage back from the totals", async () => {
    const { sessions } = ctx.store();
    const bot = randomUUID();
    await sessions.saveSessions([session(bot, "s")]);
    const usage = (costUsd: number) => ({
      input: 100,
      output: 10,
      cacheRead: 0,
      cacheWrite: 0,
      costUsd,
    });
    const first = [
      message(bot, "s", 0),
      message(bot, "s", 1, { role: "assistant", usage: usage(0.5), model: "fake/a" }),
      message(bot, "s", 2, { role: "tool", text: "a very long tool result" }),
    ];
    await sessions.addMessages(first);
    // The transcript rewritten in place: the tool result cut, the answer re-priced, a line added.
    const rewritten = [
      first[0]!,
      message(bot, "s", 1, { role: "assistant", usage: usage(0.25), model: "fake/a" }),
      message(bot, "s", 2, { role: "tool", text: "a very long…" }),
      message(bot, "s", 3, { role: "assistant", usage: usage(1), model: "fake/b" }),
    ];
    // Without `replace` a stored seq is kept as it was.
    expect(await sessions.addMessages(rewritten.slice(0, 3))).toEqual([]);
    expect(await sessions.addMessages(rewritten, { replace: true })).toEqual(rewritten.slice(1));
    expect(await sessions.listMessages(bot, "s")).toEqual(rewritten);
    const totals = (await sessions.getSession(bot, "s"))!;
    expect(totals.messageCount).toBe(4);
    expect(totals.usage).toEqual({ ...usage(1.25), input: 200, output: 20 });
    expect(totals.modelUsed).toBe("fake/b");
    // The same content again changes nothing.
    expect(await sessions.addMessages(rewritten, { replace: true })).toEqual([]);
    expect((await sessions.getSession(bot, "s"))!.usage.costUsd).toBeCloseTo(1.25, 9);
  });

  it("stores a 5 MB text as given (cutting it is the ingest's job), NUL as U+FFFD", async () => {
    const { sessions } = ctx.store();
    const bot = randomUUID();
    const text = "é€😀 ".repeat((5 * 1024 * 1024) / 10) + "end";
    const big = message(bot, "s", 0, { text });
    expect((await sessions.addMessages([big])).length).toBe(1);
    const [stored] = await sessions.listMessages(bot, "s");
    expect(stored!.text.length).toBe(text.length);
    expect(stored!.text === text).toBe(true);
    expect(stored!.textBytes).toBe(Buffer.byteLength(text));

    const nul = message(bot, "s", 1, { text: "a\0b" });
    expect(await sessions.addMessages([nul])).toEqual([{ ...nul, text: "a\uFFFDb" }]);
    expect((await sessions.listMessages(bot, "s", { afterSeq: 0 }))[0]!.text).toBe("a\uFFFDb");
  });

  it("pages through sessions newest activity first, ties in a stable order", async () => {
    const { sessions } = ctx.store();
    const [a, b] = [randomUUID(), randomUUID()].sort();
    const at = (minute: number) => `2027-01-01T00:${String(minute).padStart(2, "0")}:00.000Z`;
    const saved: SessionRecord[] = [];
    for (let i = 0; i < 25; i++) {
      // Five distinct times, each shared by five sessions across both bots.
      saved.push(
        session(i % 2 ? a! : b!, `s${String(i).padStart(2, "0")}`, { lastActivityAt: at(i % 5) }),
      );
    }
    // No activity yet: sorts by its start.
    saved.push(session(a!, "fresh", { lastActivityAt: null, startedAt: at(2) }));
    await sessions.saveSessions(saved);
    // Byte order, as both stores compare these keys.
    const key = (s: SessionRecord) => [s.lastActivityAt ?? s.startedAt!, s.botId, s.sessionId];
    const expected = [...saved]
      .sort((x, y) => (key(x).join("\0") < key(y).join("\0") ? 1 : -1))
      .map((s) => `${s.botId}/${s.sessionId}`);

    const walk = async (query: { botId?: string; since?: string }) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await sessions.listSessions({ ...query, limit: 10, cursor });
        seen.push(...page.sessions.map((s) => `${s.botId}/${s.sessionId}`));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor);
      return { seen, pages };
    };
    const since = at(0);
    expect(await walk({ since })).toEqual({ seen: expected, pages: 3 });
    const onlyA = expected.filter((k) => k.startsWith(`${a}/`));
    expect(await walk({ botId: a!, since })).toEqual({ seen: onlyA, pages: 2 });
    expect((await walk({ since: at(4) })).seen).toEqual(expected.slice(0, 5));
    // A page ending exactly at the end says so.
    const exact = await sessions.listSessions({ since: at(4), limit: 5 });
    expect(exact.sessions.length).toBe(5);
    expect(exact.nextCursor).toBeNull();
  });

  it("searches message text literally, ignoring case: %, _ and \\ match only themselves", async () => {
    const { sessions } = ctx.store();
    const bot = randomUUID();
    const texts = ["all 100% done", "snake_case", "C:\\temp", "Hello World", "plain"];
    await sessions.saveSessions(texts.map((_, i) => session(bot, `s${i}`)));
    await sessions.addMessages(texts.map((text, i) => message(bot, `s${i}`, 0, { text })));
    const found = async (search: string) =>
      (await sessions.listSessions({ botId: bot, search })).sessions.map((s) => s.sessionId).sort();
    expect(await found("%")).toEqual(["s0"]);
    expect(await found("_")).toEqual(["s1"]);
    expect(await found("\\")).toEqual(["s2"]);
    expect(await found("0% d")).toEqual(["s0"]);
    expect(await found("e_c")).toEqual(["s1"]);
    expect(await found("hello WORLD")).toEqual(["s3"]);
    expect(await found("nowhere")).toEqual([]);
    expect((await found("")).length).toBe(5);
  });

  it("flags sessions the gateway no longer lists, keeping their history and cost", async () => {
    const { sessions } = ctx.store();
    const bot = await ctx.store().createBot({
      name: `flagged-${randomUUID().slice(0, 8)}`,
      owner: "ops",
      driver: "process",
      stateDir: `/srv/bots/${randomUUID()}`,
      configPath: "/srv/openclaw.json",
      port: 30_000 + Math.floor(Math.random() * 20_000),
      desiredState: "stopped",
      labels: {},
      openclawBin: null,
    });
    await sessions.saveSessions(["s1", "s2", "s3"].map((s) => session(bot.id, s)));
    const usage = { input: 1, output: 1, cacheRead: 0, cacheWrite: 0, costUsd: 0.25 };
    await sessions.addMessages([message(bot.id, "s2", 0, { role: "assistant", usage })]);

    expect(await sessions.markDeleted(bot.id, ["s1", "s3", "unknown"])).toEqual({
      deleted: ["s2"],
      restored: [],
    });
    expect(await sessions.markDeleted(bot.id, ["s1", "s3"])).toEqual({ deleted: [], restored: [] });
    expect((await sessions.getSession(bot.id, "s2"))?.deletedOnGateway).toBe(true);
    expect((await sessions.getSession(bot.id, "s1"))?.deletedOnGateway).toBe(false);
    expect((await sessions.listMessages(bot.id, "s2")).length).toBe(1);
    const listed = await sessions.listSessions({ botId: bot.id });
    expect(listed.sessions.map((s) => s.sessionId).sort()).toEqual(["s1", "s2", "s3"]);
    expect((await sessions.costBy("bot", { botId: bot.id }))[0]?.costUsd).toBe(0.25);

    expect(await sessions.markDeleted(bot.id, ["s2"])).toEqual({
      deleted: ["s1", "s3"],
      restored: ["s2"],
    });
    expect(await sessions.markDeleted(bot.id, [])).toEqual({ deleted: ["s2"], restored: [] });

    // More sessions than one statement binds, and more changes than one IN list holds.
    const ids = Array.from({ length: 3_000 }, (_, i) => `many-${String(i).padStart(4, "0")}`);
    await sessions.saveSessions(ids.map((s) => session(bot.id, s)));
    const gone = await sessions.markDeleted(bot.id, ids.slice(1_200));
    expect(gone).toEqual({ deleted: ids.slice(0, 1_200), restored: [] });
    expect((await sessions.getSession(bot.id, "many-1199"))?.deletedOnGateway).toBe(true);
    expect((await sessions.getSession(bot.id, "many-1200"))?.deletedOnGateway).toBe(false);

    // Removing the bot keeps its conversations and what they cost.
    await ctx.store().removeBot(bot.id);
    expect((await sessions.getSession(bot.id, "s2"))?.botName).toBe("bot");
    expect(await sessions.costBy("owner", { botId: bot.id })).toMatchObject([
      { key: null, costUsd: 0.25 },
    ]);
  });

  it("keeps ingest cursors across a reopen", async () => {
    const { sessions } = ctx.store();
    const bot = randomUUID();
    expect(await sessions.getCursor(bot, "*")).toBeNull();
    await sessions.saveCursor(bot, "*", "seq:10");
    await sessions.saveCursor(bot, "*", "seq:12");
    await sessions.saveCursor(bot, "s1", "");
    const other = await ctx.open();
    try {
      expect(await other.sessions.getCursor(bot, "*")).toBe("seq:12");
      expect(await other.sessions.getCursor(bot, "s1")).toBe("");
      expect(await other.sessions.getCursor(bot, "s2")).toBeNull();
    } finally {
      await other.close();
    }
  });
}
