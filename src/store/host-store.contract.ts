import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import type { HostRecord } from "./host-store.js";
import type { NewBot, Store } from "./store.js";

function host(id: string, extra: Partial<HostRecord> = {}): HostRecord {
  return {
    id,
    apiUrl: `http://10.0.0.1:7878`,
    version: "0.1.0",
    startedAt: "2026-12-01T08:00:00.000Z",
    lastSeenAt: "2026-12-01T08:00:00.000Z",
    ...extra,
  };
}

function bot(name: string, port: number, hostId: string | null): NewBot {
  return {
    name,
    owner: null,
    driver: "process",
    stateDir: `/srv/hosts-contract/${name}`,
    configPath: `/srv/hosts-contract/${name}/openclaw.json`,
    port,
    desiredState: "stopped",
    labels: {},
    openclawBin: null,
    host: hostId,
  };
}

/**
 * The fleet's hosts, part of the store contract: `store()` is the suite's
 * migrated store (shared: each test uses host ids of its own; the bots are
 * removed before each test), `open()` a second store on the same database.
 */
export function hostStoreContract(ctx: { store(): Store; open(): Promise<Store> }) {
  const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

  it("upserts a host, heartbeats it, and lists every host by id across a reopen", async () => {
    const { hosts } = ctx.store();
    const [a, b] = [unique("a"), unique("b")];
    await hosts.upsertHost(host(b));
    await hosts.upsertHost(host(a));
    await hosts.upsertHost(host(a, { apiUrl: "http://10.0.0.2:7878", version: "0.2.0" }));
    expect(await hosts.heartbeat(a, "2026-12-01T08:00:05.000Z")).toBe(true);
    expect(await hosts.heartbeat(unique("gone"), "2026-12-01T08:00:05.000Z")).toBe(false);
    const other = await ctx.open();
    try {
      expect(await other.hosts.getHost(a)).toEqual(
        host(a, {
          apiUrl: "http://10.0.0.2:7878",
          version: "0.2.0",
          lastSeenAt: "2026-12-01T08:00:05.000Z",
        }),
      );
      const ids = (await other.hosts.listHosts())
        .map((h) => h.id)
        .filter((id) => [a, b].includes(id));
      expect(ids).toEqual([a, b].sort());
      expect(await other.hosts.getHost(unique("none"))).toBeNull();
    } finally {
      await other.close();
    }
  });

  it("keeps each bot's host, lists bots by host, and gives the bots without one to a claiming host", async () => {
    const store = ctx.store();
    const [a, b] = [unique("a"), unique("b")];
    const onA = await store.createBot(bot("on-a", 19_000, a));
    await store.createBot(bot("on-b", 19_020, b));
    const orphan = await store.createBot(bot("orphan", 19_040, null));
    expect(onA.host).toBe(a);
    expect(orphan.host).toBeNull();
    expect((await store.listBots({ host: b })).map((x) => x.name)).toEqual(["on-b"]);

    expect(await store.hosts.claimUnowned(a)).toBe(1);
    expect((await store.findBot("orphan"))?.host).toBe(a);
    expect((await store.listBots({ host: a })).map((x) => x.name)).toEqual(["on-a", "orphan"]);
    // An update keeps the host.
    await store.updateBot(onA.id, { desiredState: "running" });
    expect((await store.findBot("on-a"))?.host).toBe(a);

    // A move goes through only from the host it names, and leaves the bot desired stopped.
    await store.updateBot(onA.id, { desiredState: "running" });
    expect(await store.hosts.moveBot(onA.id, b, b)).toBe(false);
    expect(await store.hosts.moveBot(onA.id, a, b)).toBe(true);
    expect(await store.findBot("on-a")).toMatchObject({ host: b, desiredState: "stopped" });
    expect(await store.hosts.moveBot(onA.id, a, b)).toBe(false);
    expect(await store.hosts.moveBot(onA.id, b, a)).toBe(true);

    // One host alone (SQLite) takes every bot, another host's included.
    expect(await store.hosts.claimUnowned(b, { all: true })).toBe(2);
    expect((await store.listBots({ host: b })).map((x) => x.name)).toEqual([
      "on-a",
      "on-b",
      "orphan",
    ]);
  });
}
