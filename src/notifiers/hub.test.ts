import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { Notification } from "../core/notification.js";
import { createHub, type HubEntry } from "./hub.js";
import type { Notifier } from "./notifier.js";

const log = pino({ level: "silent" });

function note(overrides: Partial<Notification> = {}): Notification {
  return {
    kind: "down",
    bot: "bot-a",
    title: "bot-a is down",
    lines: ["exit code 1"],
    dedupeKey: `down:${Math.random()}`,
    ts: "2026-05-01T12:00:00.000Z",
    ...overrides,
  };
}

/** A notifier that records what it was given, and fails when told to. */
function recorder(name: string, options: { fail?: boolean; delayMs?: number } = {}) {
  const received: Notification[] = [];
  const notifier: Notifier = {
    name,
    async send(notification) {
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      if (options.fail) throw new Error(`${name} is unreachable`);
      received.push(notification);
    },
  };
  const entry: HubEntry = { type: "test", path: `notifiers[${name}]`, notifier };
  return { received, entry };
}

function clock(start = Date.parse("2026-05-01T12:00:00Z")) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const settings = { dedupeWindowMs: 600_000, rateLimit: { count: 3, windowMs: 600_000 } };

describe("the notification hub", () => {
  it("gives a notifier of one organisation only that organisation's notifications", async () => {
    const time = clock();
    const all = recorder("all");
    const acme = recorder("acme");
    const orgs: Record<string, string> = { "bot-a": "acme", "bot-b": "globex" };
    const hub = createHub([all.entry, { ...acme.entry, org: "acme" }], settings, {
      log,
      now: time.now,
      orgOf: (n) => (n.bot === null ? "default" : (orgs[n.bot] ?? "default")),
    });
    hub.notify(note({ bot: "bot-a" }));
    hub.notify(note({ bot: "bot-b" }));
    hub.notify(note({ bot: null, title: "fleet-wide" }));
    await hub.flush();
    expect(all.received.map((n) => n.bot)).toEqual(["bot-a", "bot-b", null]);
    expect(acme.received.map((n) => n.bot)).toEqual(["bot-a"]);
    // Another organisation's notification is not this notifier's: not counted as dropped.
    expect(hub.health()[1]).toMatchObject({ sent: 1, dropped: 0 });
    await hub.close();
  });

  it("sends a dedupe key once per window and again after it", async () => {
    const time = clock();
    const a = recorder("a");
    const hub = createHub([a.entry], settings, { log, now: time.now });
    const first = note({ dedupeKey: "k" });
    // What it admitted is what the realtime rooms get too; a duplicate, nothing.
    expect(hub.notify(first)).toEqual(first);
    expect(hub.notify(note({ dedupeKey: "k" }))).toBeNull();
    time.advance(599_000);
    hub.notify(note({ dedupeKey: "k" }));
    await hub.flush();
    expect(a.received).toHaveLength(1);
    time.advance(2_000);
    hub.notify(note({ dedupeKey: "k" }));
    await hub.flush();
    expect(a.received).toHaveLength(2);
    expect(hub.health()).toEqual([
      expect.objectContaining({ name: "a", sent: 2, failed: 0, dropped: 2, lastError: null }),
    ]);
    await hub.close();
  });

  it("rate limits per bot and reports what it suppressed in the next message", async () => {
    const time = clock();
    const a = recorder("a");
    const hub = createHub([a.entry], settings, { log, now: time.now });
    for (let i = 0; i < 10; i += 1) {
      hub.notify(note({ title: `flap ${i}` }));
      time.advance(1_000);
    }
    // Another bot has its own budget.
    hub.notify(note({ bot: "bot-b", title: "bot-b down" }));
    await hub.flush();
    expect(a.received.map((n) => n.title)).toEqual(["flap 0", "flap 1", "flap 2", "bot-b down"]);
    expect(hub.health()[0]).toMatchObject({ sent: 4, dropped: 7 });

    // The window slides past the first three: the next one gets through with the tally.
    time.advance(600_000);
    hub.notify(note({ title: "bot-a recovered", kind: "recovered", lines: ["after 12.0s"] }));
    hub.notify(note({ title: "again" }));
    await hub.flush();
    expect(a.received.at(-2)).toMatchObject({
      title: "bot-a recovered",
      lines: ["after 12.0s", "(7 more notifications for bot-a were suppressed)"],
    });
    expect(a.received.at(-1)).toMatchObject({ title: "again", lines: ["exit code 1"] });
    await hub.close();
  });

  it("never rate limits a repair's outcome (the repair budget bounds those)", async () => {
    const a = recorder("a");
    const hub = createHub(
      [a.entry],
      { ...settings, rateLimit: { count: 1, windowMs: 600_000 } },
      {
        log,
        now: Date.now,
      },
    );
    hub.notify(note({ title: "warning", kind: "warning" }));
    hub.notify(note({ title: "down", kind: "down" }));
    hub.notify(note({ title: "escalated", kind: "escalated", dedupeKey: "e1" }));
    hub.notify(note({ title: "recovered", kind: "recovered", dedupeKey: "r1" }));
    await hub.flush();
    expect(a.received.map((n) => n.title)).toEqual(["warning", "escalated", "recovered"]);
    await hub.close();
  });

  it('puts notifications about no bot in the "fleet" bucket', async () => {
    const time = clock();
    const a = recorder("a");
    const hub = createHub(
      [a.entry],
      { ...settings, rateLimit: { count: 1, windowMs: 1_000 } },
      { log, now: time.now },
    );
    hub.notify(note({ bot: null, title: "one" }));
    hub.notify(note({ bot: null, title: "two" }));
    time.advance(1_000);
    hub.notify(note({ bot: null, title: "three" }));
    await hub.flush();
    expect(a.received.map((n) => [n.title, n.lines.at(-1)])).toEqual([
      ["one", "exit code 1"],
      ["three", "(1 more notification for fleet was suppressed)"],
    ]);
    await hub.close();
  });

  it("keeps a failing or slow notifier from holding up the others", async () => {
    const broken = recorder("broken", { fail: true });
    const slow = recorder("slow", { delayMs: 50 });
    const fine = recorder("fine");
    const hub = createHub([broken.entry, slow.entry, fine.entry], settings, { log, now: Date.now });
    hub.notify(note({ title: "one" }));
    hub.notify(note({ title: "two" }));
    await new Promise((r) => setTimeout(r, 10));
    expect(fine.received.map((n) => n.title)).toEqual(["one", "two"]);
    expect(slow.received).toHaveLength(0);
    await hub.flush();
    expect(slow.received.map((n) => n.title)).toEqual(["one", "two"]);
    expect(hub.health()).toEqual([
      expect.objectContaining({
        name: "broken",
        sent: 0,
        failed: 2,
        lastError: "broken is unreachable",
      }),
      expect.objectContaining({ name: "slow", sent: 2, failed: 0 }),
      expect.objectContaining({ name: "fine", sent: 2, failed: 0 }),
    ]);
    await hub.close();
  });

  it("skips notifiers that filter a notification out without counting it as dropped", async () => {
    const picky = recorder("picky");
    picky.entry.notifier.accepts = (n) => n.kind === "escalated";
    const hub = createHub([picky.entry], settings, { log, now: Date.now });
    hub.notify(note({ kind: "down" }));
    hub.notify(note({ kind: "escalated" }));
    await hub.flush();
    expect(picky.received.map((n) => n.kind)).toEqual(["escalated"]);
    expect(hub.health()[0]).toMatchObject({ sent: 1, dropped: 0 });
    await hub.close();
  });

  it("never throws at the caller, and ignores notifications after close", async () => {
    const a = recorder("a");
    const hub = createHub([a.entry], settings, { log, now: Date.now });
    expect(() => hub.notify(null as unknown as Notification)).not.toThrow();
    await hub.close();
    hub.notify(note());
    await hub.flush();
    expect(a.received).toHaveLength(0);
  });

  it("prefixes notifier issues with where their config sits", () => {
    const a = recorder("a");
    a.entry.notifier.issues = () => [{ path: "tokenEnv", message: "not set", severity: "error" }];
    const hub = createHub([a.entry], settings, {
      log,
      now: Date.now,
      issues: [{ path: "notifiers[3]", message: "cannot start", severity: "error" }],
    });
    expect(hub.issues()).toEqual([
      { path: "notifiers[3]", message: "cannot start", severity: "error" },
      { path: "notifiers[a].tokenEnv", message: "not set", severity: "error" },
    ]);
  });

  it("gives up waiting in flush after its timeout", async () => {
    const stuck: Notifier = { name: "stuck", send: () => new Promise(() => {}) };
    const hub = createHub([{ type: "test", path: "notifiers[0]", notifier: stuck }], settings, {
      log,
      now: Date.now,
    });
    hub.notify(note());
    const started = Date.now();
    await hub.flush(50);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
