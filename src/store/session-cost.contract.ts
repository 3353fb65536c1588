import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import type { Usage } from "../core/session.js";
import type { CostGroup, CostRow } from "./session-store.js";
import { expectValidation, message, session } from "./session-store.contract.js";
import type { NewBot, Store } from "./store.js";

/** A bot with a fresh name and a random port (contract suites share one database). */
export function bot(owner: string | null): NewBot {
  const name = `cost-${randomUUID().slice(0, 8)}`;
  return {
    name,
    owner,
    driver: "process",
    stateDir: `/srv/bots/${name}`,
    configPath: `/srv/bots/${name}/openclaw.json`,
    port: 30_000 + Math.floor(Math.random() * 20_000),
    desiredState: "stopped",
    labels: {},
    openclawBin: null,
  };
}

function usage(input: number, output: number, costUsd: number, cache = 0): Usage {
  return { input, output, cacheRead: cache, cacheWrite: cache, costUsd };
}

/** Cost sums are doubles: compare them to 1e-9 dollars. */
function rounded(rows: CostRow[]) {
  return rows.map((r) => ({ ...r, costUsd: Math.round(r.costUsd * 1e9) / 1e9 }));
}

/** Cost, retention and bad input, part of the store contract (see sessionStoreContract). */
export function sessionCostContract(ctx: { store(): Store }) {
  it("sums usage and cost by bot, model, owner and UTC day, from messages", async () => {
    const store = ctx.store();
    const { sessions } = store;
    const [a, b, c] = [
      await store.createBot(bot("alice")),
      await store.createBot(bot(null)),
      await store.createBot(bot("alice")),
    ];
    await sessions.saveSessions([session(c.id, "s5", { botName: c.name })]);
    const at = (day: number, hour: number) =>
      `2031-03-0${day}T${String(hour).padStart(2, "0")}:00:00Z`;
    const assistant = { role: "assistant" as const, model: "m1" };
    await sessions.addMessages([
      message(a.id, "s1", 0, { at: at(1, 9) }),
      message(a.id, "s1", 1, { ...assistant, at: at(1, 9), usage: usage(10, 5, 0.001, 1) }),
      message(a.id, "s1", 2, {
        ...assistant,
        model: "m2",
        at: at(1, 10),
        usage: usage(20, 10, 0.002),
      }),
      message(a.id, "s1", 3, { ...assistant, at: at(2, 8), usage: usage(1, 1, 0.0001) }),
      // 23:30 on the 1st at UTC-2 is the 2nd in UTC.
      message(b.id, "s9", 0, {
        ...assistant,
        at: "2031-03-01T23:30:00-02:00",
        usage: usage(100, 50, 0.05),
      }),
      message(c.id, "s5", 0, {
        ...assistant,
        model: null,
        at: at(1, 12),
        usage: usage(0, 0, 0.3),
      }),
      // Outside the window on both sides.
      message(a.id, "s1", 4, {
        ...assistant,
        at: "2031-02-28T23:59:59.999Z",
        usage: usage(1, 1, 9),
      }),
      message(a.id, "s1", 5, { ...assistant, at: at(3, 0), usage: usage(1, 1, 9) }),
    ]);
    // A removed bot's cost still counts, under no owner.
    await store.removeBot(c.id);
    const window = { since: at(1, 0), until: at(3, 0) };
    const costBy = async (group: CostGroup, query = {}) =>
      rounded(await sessions.costBy(group, { ...window, ...query }));
    const row = (key: string | null, label: string | null, messages: number, u: Usage) => ({
      key,
      label,
      messages,
      ...u,
    });

    expect(await costBy("bot")).toEqual([
      row(c.id, c.name, 1, usage(0, 0, 0.3)),
      row(b.id, b.name, 1, usage(100, 50, 0.05)),
      row(a.id, a.name, 3, {
        input: 31,
        output: 16,
        cacheRead: 1,
        cacheWrite: 1,
        costUsd: 0.0031,
      }),
    ]);
    expect(await costBy("model")).toEqual([
      row(null, null, 1, usage(0, 0, 0.3)),
      row("m1", "m1", 3, { input: 111, output: 56, cacheRead: 1, cacheWrite: 1, costUsd: 0.0511 }),
      row("m2", "m2", 1, usage(20, 10, 0.002)),
    ]);
    expect((await costBy("owner")).map((r) => [r.key, r.messages, r.costUsd])).toEqual([
      [null, 2, 0.35],
      ["alice", 3, 0.0031],
    ]);
    expect((await costBy("day")).map((r) => [r.key, r.messages, r.costUsd])).toEqual([
      ["2031-03-01", 3, 0.303],
      ["2031-03-02", 2, 0.0501],
    ]);
    expect((await costBy("day", { botId: b.id })).map((r) => r.key)).toEqual(["2031-03-02"]);
    // `until` is exclusive: b's message is at 01:30 UTC on the 2nd.
    expect((await costBy("day", { until: "2031-03-02T01:30:00Z" })).map((r) => r.key)).toEqual([
      "2031-03-01",
    ]);
    expect(await costBy("bot", { botId: randomUUID() })).toEqual([]);
    // By session key: only the messages of a stored session under it (s5 is c's `agent:main:main`).
    expect(await costBy("bot", { sessionKey: "agent:main:main" })).toEqual([
      row(c.id, c.name, 1, usage(0, 0, 0.3)),
    ]);
    expect(await costBy("bot", { sessionKey: "agent:main:clawops-canary" })).toEqual([]);
  });

  it("gives a session made after its messages were stored their sums, and adds later ones", async () => {
    const { sessions } = ctx.store();
    const id = randomUUID();
    const answer = (seq: number) =>
      message(id, "late", seq, { role: "assistant", usage: usage(10, 5, 0.25, 1) });
    // The messages come first (a history read of a session the list has not shown yet).
    await sessions.addMessages([message(id, "late", 1), answer(2)]);
    await sessions.saveSessions([session(id, "late")], { keepTotals: true });
    expect(await sessions.getSession(id, "late")).toMatchObject({
      messageCount: 2,
      usage: usage(10, 5, 0.25, 1),
    });
    await sessions.addMessages([answer(3)]);
    // Saved again (as each live message does): a session that counts messages is left alone.
    await sessions.saveSessions([session(id, "late")], { keepTotals: true });
    expect(await sessions.getSession(id, "late")).toMatchObject({
      messageCount: 3,
      usage: usage(20, 10, 0.5, 2),
    });
  });

  it("counts each bot's messages and failed ones in a time range, in its organisation", async () => {
    const store = ctx.store();
    const [a, b] = [await store.createBot(bot(null)), await store.createBot(bot(null))];
    const at = (hour: number) => `2032-05-01T${String(hour).padStart(2, "0")}:00:00Z`;
    const failed = { role: "assistant" as const, isError: true };
    await store.sessions.addMessages([
      message(a.id, "s", 0, { at: at(1) }),
      message(a.id, "s", 1, { ...failed, at: at(2) }),
      message(a.id, "s", 2, { role: "assistant", at: at(3) }),
      message(a.id, "s", 3, { ...failed, at: at(9) }), // after the range
      message(b.id, "s", 0, { ...failed, at: at(2) }),
    ]);
    const range = { since: at(1), until: at(9) };
    const counts = await store.sessions.messageCounts(range);
    const mine = counts.filter((c) => c.botId === a.id || c.botId === b.id);
    expect(mine.sort((x, y) => (x.botId === a.id ? -1 : y.botId === a.id ? 1 : 0))).toEqual([
      { botId: a.id, messages: 3, errors: 1 },
      { botId: b.id, messages: 1, errors: 1 },
    ]);
    expect(await store.sessions.messageCounts({ ...range, botId: b.id })).toEqual([
      { botId: b.id, messages: 1, errors: 1 },
    ]);
    expect(await store.sessions.messageCounts({ ...range, org: "nobody-here" })).toEqual([]);
  });

  it("adds new messages to their session's totals in place; a replay or an old copy changes nothing", async () => {
    const { sessions } = ctx.store();
    const id = randomUUID();
    const saved = session(id, "s", { status: "running" });
    await sessions.saveSessions([saved]);
    const answer = (seq: number, u: Usage, minute: number) =>
      message(id, "s", seq, {
        role: "assistant",
        usage: u,
        costSource: "gateway",
        model: "fake/fake-model",
        at: `2026-11-01T10:${minute}:00.000Z`,
      });
    const batch = [message(id, "s", 1), answer(2, usage(10, 5, 0.25, 1), 20)];
    await sessions.addMessages(batch);
    await sessions.addMessages([...batch, answer(3, usage(1, 2, 0.5), 30), message(id, "x", 1)]);
    const totals = {
      messageCount: 3,
      usage: { input: 11, output: 7, cacheRead: 1, cacheWrite: 1, costUsd: 0.75 },
      modelUsed: "fake/fake-model",
      costSource: "gateway",
      lastActivityAt: "2026-11-01T10:30:00.000Z",
    };
    expect(await sessions.getSession(id, "s")).toMatchObject(totals);
    // A writer holding the session as it was before the messages: its totals are not written back.
    await sessions.saveSessions([{ ...saved, status: "done" }], { keepTotals: true });
    const { messageCount, usage: sums, costSource } = totals;
    expect(await sessions.getSession(id, "s")).toMatchObject({
      messageCount,
      usage: sums,
      costSource,
      status: "done",
    });
    await sessions.saveSessions([saved]);
    expect(await sessions.getSession(id, "s")).toMatchObject({
      messageCount: 0,
      status: "running",
    });
    // Messages of a session not stored change no session.
    expect(await sessions.getSession(id, "x")).toBeNull();
  });

  it("prunes messages written before a time, keeping their sessions", async () => {
    const { sessions } = ctx.store();
    const id = randomUUID();
    await sessions.saveSessions([session(id, "old")]);
    // 2020 is before every other test's messages: pruning is store-wide.
    const at = (minute: number) => `2020-01-01T00:0${minute}:00.000Z`;
    await sessions.addMessages(
      [0, 1, 2, 3, 4].map((seq) => message(id, "old", seq, { at: at(seq) })),
    );
    expect(await sessions.pruneMessages(at(3))).toBe(3);
    expect(await sessions.pruneMessages(at(3))).toBe(0);
    expect((await sessions.listMessages(id, "old")).map((m) => m.seq)).toEqual([3, 4]);
    expect(await sessions.getSession(id, "old")).not.toBeNull();
  });

  it("refuses bad input with VALIDATION naming the field, and writes nothing of the call", async () => {
    const { sessions } = ctx.store();
    const id = randomUUID();
    const good = message(id, "s", 0);
    const bad = (extra: object) => ({ ...message(id, "s", 1), ...extra }) as never;
    await expectValidation(
      sessions.addMessages([good, bad({ seq: -1 })]),
      /^messages\[1\]\.seq must be a whole number >= 0, got -1$/,
    );
    expect(await sessions.listMessages(id, "s")).toEqual([]);
    await expectValidation(sessions.addMessages([bad({ seq: 1.5 })]), /seq must be a whole number/);
    await expectValidation(
      sessions.addMessages([bad({ role: "robot" })]),
      /role must be one of user, assistant, tool, system, got "robot"/,
    );
    await expectValidation(
      sessions.addMessages([bad({ botId: "" })]),
      /messages\[0\]\.botId must be a non-empty string/,
    );
    await expectValidation(
      sessions.addMessages([bad({ at: "yesterday" })]),
      /at must be an ISO 8601 time with a zone/,
    );
    await expectValidation(
      sessions.addMessages([bad({ at: "2026-11-01T10:00:00" })]),
      /at must be an ISO 8601 time with a zone/,
    );
    await expectValidation(
      sessions.addMessages([bad({ usage: { ...usage(1, 1, NaN) } })]),
      /messages\[0\]\.usage\.costUsd must be a finite number >= 0, got NaN/,
    );
    await expectValidation(
      sessions.addMessages([bad({ usage: usage(-1, 1, 0) })]),
      /usage\.input must be/,
    );
    await expectValidation(sessions.addMessages([bad({ text: null })]), /text must be a string/);
    await expectValidation(
      sessions.saveSessions([session(id, "s"), session(id, "t", { costSource: "guess" as never })]),
      /^sessions\[1\]\.costSource must be one of gateway, config, override, price-db, none/,
    );
    expect(await sessions.getSession(id, "s")).toBeNull();
    await expectValidation(
      sessions.saveSessions([session(id, "s", { updatedAt: "" })]),
      /updatedAt/,
    );
    await expectValidation(
      sessions.listSessions({ cursor: "garbage" }),
      /cursor must be a nextCursor/,
    );
    await expectValidation(
      sessions.listSessions({ limit: 0 }),
      /limit must be a whole number >= 1/,
    );
    await expectValidation(
      sessions.listSessions({ since: "last week" }),
      /since must be an ISO 8601/,
    );
    await expectValidation(sessions.listMessages(id, "s", { afterSeq: 0.5 }), /afterSeq/);
    await expectValidation(
      sessions.costBy("week" as CostGroup),
      /group must be bot, model, owner, day/,
    );
    await expectValidation(sessions.costBy("day", { until: "2026-13-45T00:00:00Z" }), /until/);
    await expectValidation(sessions.pruneMessages("soon"), /before must be an ISO 8601/);
    await expectValidation(sessions.saveCursor(id, "", "x"), /scope must be a non-empty string/);
    await expectValidation(sessions.markDeleted(id, "s1" as never), /presentSessionIds/);
  });
}
