import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { DEFAULT_ORG } from "../core/access.js";
import type { StoredEventInput } from "../core/events.js";
import type { RepairRecord } from "../core/repair.js";
import { bot as costBot } from "./session-cost.contract.js";
import { message, session } from "./session-store.contract.js";
import type { NewBot, Store } from "./store.js";

function bot(org?: string): NewBot {
  return { ...costBot(null), ...(org === undefined ? {} : { org }) };
}

function event(botId: string | null): StoredEventInput {
  return {
    ts: new Date().toISOString(),
    botId,
    version: 1,
    type: "test.org",
    actor: "t",
    data: {},
  };
}

/** A finished manual repair of `botId`, now. */
export function repair(id: string, botId: string): RepairRecord {
  const at = new Date().toISOString();
  return {
    id,
    botId,
    botName: "scoped",
    trigger: "manual",
    cause: "test",
    startedBy: "cli",
    dryRun: false,
    outcome: "recovered",
    tier: 1,
    summary: "",
    actions: [],
    evidence: {},
    faultAt: at,
    detectedAt: at,
    startedAt: at,
    endedAt: at,
    recoveredAt: at,
  };
}

/** Two new organisations with one bot each. */
async function twoOrgs(store: Store) {
  const [orgA, orgB] = [`a-${randomUUID().slice(0, 8)}`, `b-${randomUUID().slice(0, 8)}`];
  const at = new Date().toISOString();
  await store.access.addOrg(orgA, at);
  await store.access.addOrg(orgB, at);
  const a = await store.createBot(bot(orgA));
  const b = await store.createBot(bot(orgB));
  return { orgA, orgB, a, b };
}

/** Organisations scope bots and everything about them (part of the store contract). */
export function orgScopeContract(ctx: { store(): Store }) {
  it("puts a bot in its organisation (default unless told); an unknown one is NOT_FOUND", async () => {
    const store = ctx.store();
    const plain = await store.createBot(bot());
    expect(plain.org).toBe(DEFAULT_ORG);
    const { orgA, a, b } = await twoOrgs(store);
    expect(a.org).toBe(orgA);
    expect(await store.findBot(a.name)).toEqual(a);
    expect((await store.listBots({ org: orgA })).map((x) => x.name)).toEqual([a.name]);
    expect((await store.listBots({ org: DEFAULT_ORG })).map((x) => x.id)).toContain(plain.id);
    expect((await store.listBots()).map((x) => x.id)).toEqual(
      expect.arrayContaining([plain.id, a.id, b.id]),
    );
    await expect(store.createBot(bot("no-such-org"))).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: 'no organisation named "no-such-org"',
    });
    // An update keeps the organisation unless it names one.
    expect((await store.updateBot(a.id, { owner: "ops" })).org).toBe(orgA);
    await expect(store.updateBot(a.id, { org: "no-such-org" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect((await store.findBot(a.id))?.org).toBe(orgA);
  });

  it("scopes events, repairs, sessions and cost by organisation, a removed bot's included", async () => {
    const store = ctx.store();
    const { sessions } = store;
    const { orgA, orgB, a, b } = await twoOrgs(store);
    const start = (await store.listEvents({ limit: 1 })).at(-1)?.id ?? 0;
    const [ea, eb, fleet] = await store.appendEvents([event(a.id), event(b.id), event(null)]);
    await store.saveRepair(repair(`ra-${a.id}`, a.id));
    await store.saveRepair(repair(`rb-${b.id}`, b.id));
    await sessions.saveSessions([session(a.id, "sa"), session(b.id, "sb")]);
    const usage = { input: 10, output: 5, cacheRead: 0, cacheWrite: 0, costUsd: 0.01 };
    const at = new Date().toISOString();
    await sessions.addMessages([
      message(a.id, "sa", 0, { role: "assistant", at, usage }),
      message(b.id, "sb", 0, { role: "assistant", at, usage: { ...usage, costUsd: 0.02 } }),
    ]);

    const seen = async (org: string) => ({
      events: (await store.listEvents({ org, afterId: start })).map((e) => e.id),
      withFleet: (await store.listEvents({ org, fleet: true, afterId: start })).map((e) => e.id),
      repairs: (await store.listRepairs({ org })).map((r) => r.id),
      sessions: (await sessions.listSessions({ org })).sessions.map((s) => s.botId),
      cost: (await sessions.costBy("bot", { org, since: at })).map((r) => [r.key, r.costUsd]),
    });
    const expectA = {
      events: [ea!.id],
      withFleet: [ea!.id, fleet!.id],
      repairs: [`ra-${a.id}`],
      sessions: [a.id],
      cost: [[a.id, 0.01]],
    };
    expect(await seen(orgA)).toEqual(expectA);
    expect(await seen(orgB)).toMatchObject({ events: [eb!.id], sessions: [b.id] });
    // A bot of another organisation is no filter for this one.
    expect(await store.listEvents({ org: orgB, botId: a.id, afterId: start })).toEqual([]);
    expect((await sessions.listSessions({ org: orgB, botId: a.id })).sessions).toEqual([]);
    expect(await sessions.costBy("model", { org: orgB, botId: a.id })).toEqual([]);

    // Removed, its history stays its organisation's, and only its organisation's.
    expect(await store.removeBot(a.id)).toBe(true);
    expect(await store.listBots({ org: orgA })).toEqual([]);
    expect(await seen(orgA)).toEqual(expectA);
    expect((await seen(orgB)).sessions).toEqual([b.id]);
    expect((await seen(DEFAULT_ORG)).events).not.toContain(ea!.id);
  });
}
