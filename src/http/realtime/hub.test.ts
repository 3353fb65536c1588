import { describe, expect, it } from "vitest";
import type { Authenticated, CredentialRef } from "../../access/service.js";
import type { Principal } from "../../core/access.js";
import type { BusEvent } from "../../core/events.js";
import type { Notification } from "../../core/notification.js";
import { FakePeer, testHub as hub } from "../../../test/helpers/realtime.js";
import { CLOSE } from "./frames.js";
import type { RealtimeHub } from "./hub.js";

function principal(name: string, org = "default", kind: Principal["kind"] = "user"): Principal {
  return { kind, id: `id-${name}`, name, org, role: "viewer" };
}

function auth(who: Principal, credential?: CredentialRef, expiresAt: string | null = null) {
  return {
    principal: who,
    credential: credential ?? { kind: "token", tokenId: `tok-${who.name}` },
    expiresAt,
  } satisfies Authenticated;
}

const event = (type: string, botId: string | null, data: Record<string, unknown> = {}) =>
  ({ type, botId, actor: "test", ts: "2026-11-30T20:00:00.000Z", data }) as unknown as BusEvent;

const notification = (title: string, bot: string | null = "alpha"): Notification => ({
  kind: "escalated",
  bot,
  title,
  lines: [],
  dedupeKey: title,
  ts: "2026-11-30T20:00:00.000Z",
});

const subscribe = (
  realtime: RealtimeHub,
  connection: ReturnType<RealtimeHub["connect"]>,
  room: string,
) => realtime.receive(connection, JSON.stringify({ type: "subscribe", room }));

describe("rooms and rights", () => {
  it("says connected, then lets a viewer into its organisation's rooms and its own notifications only", () => {
    const { realtime } = hub();
    const peer = new FakePeer();
    const viewer = principal("vera");
    const connection = realtime.connect(peer, auth(viewer));
    expect(peer.frames[0]).toEqual({
      type: "connected",
      user: { kind: "user", id: "id-vera", name: "vera" },
      org: "default",
      role: "viewer",
      notifications: "user:id-vera:notifications",
    });
    for (const room of [
      "bot:alpha",
      "bot:alpha:sessions",
      "org:default:events",
      "user:id-vera:notifications",
    ])
      subscribe(realtime, connection, room);
    expect(peer.of("subscribed").map((f) => f.room)).toEqual([
      "bot:alpha",
      "bot:alpha:sessions",
      "org:default:events",
      "user:id-vera:notifications",
    ]);
    for (const room of [
      "bot:beta",
      "bot:nobody",
      "org:other:events",
      "user:id-olga:notifications",
      "fleet",
    ])
      subscribe(realtime, connection, room);
    expect(peer.of("error").map((f) => [f.room, f.code])).toEqual([
      ["bot:beta", "NOT_FOUND"],
      ["bot:nobody", "NOT_FOUND"],
      ["org:other:events", "FORBIDDEN"],
      ["user:id-olga:notifications", "FORBIDDEN"],
      ["fleet", "VALIDATION"],
    ]);
    expect(realtime.stats()).toEqual({ connections: 1, rooms: 4 });
  });

  it("lets the local CLI read every organisation", () => {
    const { realtime } = hub();
    const peer = new FakePeer();
    const connection = realtime.connect(peer, auth(principal("cli", "default", "local")));
    subscribe(realtime, connection, "bot:beta");
    subscribe(realtime, connection, "org:other:events");
    expect(peer.of("subscribed")).toHaveLength(2);
    expect(peer.of("error")).toEqual([]);
  });

  it("answers malformed messages with an error frame and keeps the connection", () => {
    const { realtime } = hub();
    const peer = new FakePeer();
    const connection = realtime.connect(peer, auth(principal("vera")));
    realtime.receive(connection, "not json");
    realtime.receive(connection, JSON.stringify({ type: "subscribe" }));
    realtime.receive(connection, JSON.stringify({ type: "ping" }));
    expect(peer.frames.slice(1).map((f) => (f.type === "error" ? f.code : f.type))).toEqual([
      "BAD_REQUEST",
      "VALIDATION",
      "pong",
    ]);
    expect(peer.closed).toBeNull();
  });
});

describe("fan-out", () => {
  it("sends a bot's events to its room and its organisation's, its sessions' to the sessions room", () => {
    const { realtime } = hub();
    const [bot, org, sessions, other] = [
      new FakePeer(),
      new FakePeer(),
      new FakePeer(),
      new FakePeer(),
    ];
    subscribe(realtime, realtime.connect(bot, auth(principal("a"))), "bot:alpha");
    subscribe(realtime, realtime.connect(org, auth(principal("b"))), "org:default:events");
    subscribe(realtime, realtime.connect(sessions, auth(principal("c"))), "bot:alpha:sessions");
    subscribe(realtime, realtime.connect(other, auth(principal("d", "other"))), "org:other:events");
    realtime.publish(event("gateway.warning", "id-alpha", { check: "rss", message: "big" }));
    realtime.publish(event("session.message", "id-alpha", { seq: 1 }));
    realtime.publish(event("daemon.started", null, { pid: 1 }));
    realtime.publish(event("gateway.warning", "id-beta", { check: "rss", message: "big" }));
    expect(bot.of("event").map((f) => (f.event as BusEvent).type)).toEqual(["gateway.warning"]);
    expect(bot.of("event")[0]).toMatchObject({
      room: "bot:alpha",
      event: { type: "gateway.warning", botId: "id-alpha", data: { check: "rss" } },
    });
    expect(org.of("event").map((f) => (f.event as BusEvent).type)).toEqual([
      "gateway.warning",
      "daemon.started",
    ]);
    expect(sessions.of("event").map((f) => (f.event as BusEvent).type)).toEqual([
      "session.message",
    ]);
    expect(other.of("event").map((f) => [f.room, (f.event as BusEvent).botId])).toEqual([
      ["org:other:events", "id-beta"],
    ]);
  });

  it("routes a registration by the name it carries before the daemon's names know the bot", () => {
    const { realtime } = hub();
    const peer = new FakePeer();
    subscribe(realtime, realtime.connect(peer, auth(principal("a"))), "org:default:events");
    realtime.publish(event("bot.registered", "id-new", { name: "alpha" }));
    expect(peer.of("event")).toHaveLength(1);
  });

  it("drops a connection that does not read (1013) and counts it", async () => {
    const { realtime, metrics } = hub({ limits: { maxBufferedBytes: 1000 } });
    const [slow, fast] = [new FakePeer(), new FakePeer()];
    subscribe(realtime, realtime.connect(slow, auth(principal("a"))), "bot:alpha");
    subscribe(realtime, realtime.connect(fast, auth(principal("b"))), "bot:alpha");
    slow.backlog = 5000;
    realtime.publish(event("gateway.warning", "id-alpha", {}));
    expect(slow.closed).toEqual({ code: CLOSE.slowConsumer, reason: "slow consumer" });
    expect(slow.of("event")).toEqual([]);
    expect(fast.of("event")).toHaveLength(1);
    expect(realtime.stats().connections).toBe(1);
    const closed = await metrics.realtimeClosed.get();
    expect(closed.values).toContainEqual(
      expect.objectContaining({ labels: { reason: "slow" }, value: 1 }),
    );
  });

  it("closes a connection over 100 messages a minute (4429) after an error frame", () => {
    let now = 1_000_000;
    const { realtime } = hub({ now: () => now });
    const peer = new FakePeer();
    const connection = realtime.connect(peer, auth(principal("a")));
    for (let i = 0; i < 100; i += 1) realtime.receive(connection, '{"type":"ping"}');
    now += 59_000;
    expect(peer.closed).toBeNull();
    realtime.receive(connection, '{"type":"ping"}');
    expect(peer.frames.at(-1)).toMatchObject({ type: "error", code: "RATE_LIMITED" });
    expect(peer.closed?.code).toBe(CLOSE.rateLimited);
    // A new minute starts a new count.
    const again = new FakePeer();
    const second = realtime.connect(again, auth(principal("a")));
    for (let i = 0; i < 100; i += 1) realtime.receive(second, '{"type":"ping"}');
    now += 60_000;
    for (let i = 0; i < 100; i += 1) realtime.receive(second, '{"type":"ping"}');
    expect(again.closed).toBeNull();
  });
});

describe("the offline queue", () => {
  it("gives the last 100 notifications on (re)connect, once, then live ones as they come", () => {
    const { realtime } = hub();
    for (let i = 1; i <= 105; i += 1) realtime.notify(notification(`n${i}`));
    realtime.notify(notification("elsewhere", "beta"));
    const first = new FakePeer();
    const vera = principal("vera");
    const connection = realtime.connect(first, auth(vera));
    subscribe(realtime, connection, "user:id-vera:notifications");
    const given = first.of("notification");
    expect(given).toHaveLength(100);
    expect(given[0]).toMatchObject({
      room: "user:id-vera:notifications",
      seq: 6,
      notification: { kind: "escalated", bot: "alpha", title: "n6" },
    });
    expect(given.at(-1)).toMatchObject({ seq: 105 });
    expect(given[0]!.notification).not.toHaveProperty("dedupeKey");
    // Live.
    realtime.notify(notification("live"));
    expect(first.of("notification").at(-1)).toMatchObject({ notification: { title: "live" } });
    realtime.disconnect(connection);
    // Missed while away: only what came since.
    realtime.notify(notification("while away"));
    const second = new FakePeer();
    subscribe(realtime, realtime.connect(second, auth(vera)), "user:id-vera:notifications");
    expect(second.of("notification").map((f) => (f.notification as Notification).title)).toEqual([
      "while away",
    ]);
    // Another organisation's principal has its own queue.
    const olga = new FakePeer();
    subscribe(
      realtime,
      realtime.connect(olga, auth(principal("olga", "other"))),
      "user:id-olga:notifications",
    );
    expect(olga.of("notification").map((f) => (f.notification as Notification).title)).toEqual([
      "elsewhere",
    ]);
  });

  it("lists an organisation's latest notifications, newest first, without giving them", () => {
    const { realtime } = hub();
    for (let i = 1; i <= 3; i += 1) realtime.notify(notification(`n${i}`));
    realtime.notify(notification("elsewhere", "beta"));
    expect(realtime.recentNotifications("default").map((q) => q.notification.title)).toEqual([
      "n3",
      "n2",
      "n1",
    ]);
    expect(realtime.recentNotifications("default", 1).map((q) => q.seq)).toEqual([3]);
    expect(realtime.recentNotifications("other").map((q) => q.notification.title)).toEqual([
      "elsewhere",
    ]);
    expect(realtime.recentNotifications("nobody")).toEqual([]);
    // Listing is not delivery: the offline queue still gives them.
    const peer = new FakePeer();
    subscribe(
      realtime,
      realtime.connect(peer, auth(principal("vera"))),
      "user:id-vera:notifications",
    );
    expect(peer.of("notification")).toHaveLength(3);
  });

  it("keeps a connection that did not join its notifications room from using them up", () => {
    const { realtime } = hub();
    const vera = principal("vera");
    const watcher = new FakePeer();
    subscribe(realtime, realtime.connect(watcher, auth(vera)), "bot:alpha");
    realtime.notify(notification("one"));
    expect(watcher.of("notification")).toEqual([]);
    const inbox = new FakePeer();
    subscribe(realtime, realtime.connect(inbox, auth(vera)), "user:id-vera:notifications");
    expect(inbox.of("notification")).toHaveLength(1);
  });
});

describe("credentials", () => {
  it("closes the connections of a revoked token, an ended login and a removed user (4401)", () => {
    const { realtime } = hub();
    const peers = Array.from({ length: 4 }, () => new FakePeer());
    realtime.connect(peers[0]!, auth(principal("a"), { kind: "token", tokenId: "t1" }));
    realtime.connect(peers[1]!, auth(principal("b"), { kind: "token", tokenId: "t2" }));
    realtime.connect(
      peers[2]!,
      auth(principal("c"), { kind: "login", loginHash: "h1", userId: "id-c" }),
    );
    realtime.connect(
      peers[3]!,
      auth(principal("d"), { kind: "login", loginHash: "h2", userId: "id-d" }),
    );
    realtime.revoke({ kind: "token", tokenId: "t1" });
    realtime.revoke({ kind: "login", loginHash: "h1" });
    realtime.revoke({ kind: "user", userId: "id-d" });
    expect(peers.map((p) => p.closed?.code ?? null)).toEqual([
      CLOSE.unauthorized,
      null,
      CLOSE.unauthorized,
      CLOSE.unauthorized,
    ]);
    expect(realtime.stats().connections).toBe(1);
  });

  it("checks open credentials against the store again, once per credential", async () => {
    const asked: CredentialRef[] = [];
    const { realtime } = hub({
      stillValid: (credential) => {
        asked.push(credential);
        return Promise.resolve(credential.kind === "token" && credential.tokenId !== "gone");
      },
    });
    const [a, b, c] = [new FakePeer(), new FakePeer(), new FakePeer()];
    realtime.connect(a, auth(principal("a"), { kind: "token", tokenId: "gone" }));
    realtime.connect(b, auth(principal("a"), { kind: "token", tokenId: "gone" }));
    realtime.connect(c, auth(principal("c"), { kind: "token", tokenId: "kept" }));
    await realtime.revalidate();
    expect(asked).toHaveLength(2);
    expect([a.closed?.code, b.closed?.code, c.closed]).toEqual([
      CLOSE.unauthorized,
      CLOSE.unauthorized,
      null,
    ]);
  });

  it("keeps connections open while the store does not answer", async () => {
    const { realtime } = hub({ stillValid: () => Promise.reject(new Error("store away")) });
    const peer = new FakePeer();
    realtime.connect(peer, auth(principal("a")));
    await realtime.revalidate();
    expect(peer.closed).toBeNull();
  });

  it("heartbeat: ends an expired credential's connection, cuts a peer that missed its ping", async () => {
    let now = Date.parse("2026-11-30T20:00:00Z");
    const { realtime, metrics } = hub({ now: () => now });
    const [expiring, dead, live] = [new FakePeer(), new FakePeer(), new FakePeer()];
    realtime.connect(expiring, auth(principal("a"), undefined, "2026-11-30T20:00:20.000Z"));
    realtime.connect(dead, auth(principal("b")));
    realtime.connect(live, auth(principal("c")));
    realtime.heartbeat();
    expect([expiring.closed, dead.terminated, live.terminated]).toEqual([null, false, false]);
    live.alive = true; // its pong came back; the dead one's did not
    now += 30_000;
    realtime.heartbeat();
    expect(expiring.closed?.code).toBe(CLOSE.unauthorized);
    expect([dead.terminated, live.terminated]).toEqual([true, false]);
    expect(realtime.stats().connections).toBe(1);
    const closed = await metrics.realtimeClosed.get();
    expect(closed.values.map((v) => [v.labels.reason, v.value])).toEqual(
      expect.arrayContaining([
        ["expired", 1],
        ["dead", 1],
      ]),
    );
  });
});
