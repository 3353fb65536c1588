import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { OpsControl } from "../core/notification.js";
import { NOTIFIERS, createNotificationHub, notifyConfigSchema } from "./index.js";

/** The least each type needs; a new plugin without an entry here fails the first test. */
const MINIMAL: Record<string, Record<string, unknown>> = {
  telegram: { type: "telegram", chatIds: [1001] },
  webhook: { type: "webhook", url: "https://hooks.example.com/clawops" },
};

describe("the notifier registry", () => {
  it("parses every plugin's minimal config and rejects unknown keys", () => {
    for (const plugin of NOTIFIERS) {
      const minimal = MINIMAL[plugin.type];
      expect(minimal, `a minimal config for ${plugin.type}`).toBeDefined();
      expect(plugin.schema.safeParse(minimal).success, plugin.type).toBe(true);
      expect(plugin.schema.safeParse({ ...minimal, name: "named" }).success, plugin.type).toBe(
        true,
      );
      const unknown = plugin.schema.safeParse({ ...minimal, colour: "red" });
      expect(unknown.success, plugin.type).toBe(false);
      expect(unknown.error?.issues[0]).toMatchObject({
        code: "unrecognized_keys",
        keys: ["colour"],
      });
      // The same through the section's union.
      expect(notifyConfigSchema.safeParse({ notifiers: [minimal] }).success, plugin.type).toBe(
        true,
      );
      expect(
        notifyConfigSchema.safeParse({ notifiers: [{ ...minimal, colour: "red" }] }).success,
      ).toBe(false);
    }
  });

  it("names each type once", () => {
    expect(new Set(NOTIFIERS.map((p) => p.type)).size).toBe(NOTIFIERS.length);
  });

  it("has defaults for everything when clawops.yaml says nothing", () => {
    expect(notifyConfigSchema.parse(undefined)).toEqual({
      dedupeWindow: 600_000,
      rateLimit: { count: 6, window: 600_000 },
      notifiers: [],
    });
    expect(notifyConfigSchema.parse({ rateLimit: { count: 2 } }).rateLimit).toEqual({
      count: 2,
      window: 600_000,
    });
    expect(notifyConfigSchema.safeParse({ notifer: [] }).success).toBe(false);
  });

  it("fills each plugin's defaults", () => {
    const { notifiers } = notifyConfigSchema.parse({
      notifiers: [MINIMAL.telegram, MINIMAL.webhook],
    });
    expect(notifiers).toEqual([
      {
        type: "telegram",
        chatIds: [1001],
        tokenEnv: "CLAWOPS_TELEGRAM_TOKEN",
        commands: true,
        pollTimeout: 30_000,
      },
      {
        type: "webhook",
        url: "https://hooks.example.com/clawops",
        timeout: 5_000,
        retries: 3,
        retryDelay: 1_000,
      },
    ]);
  });

  it("rejects what a notifier cannot work with", () => {
    const bad = [
      { type: "telegram", chatIds: [] },
      { type: "telegram", chatIds: ["1001"] },
      { type: "telegram", chatIds: [1001], apiRoot: "ftp://example.com" },
      { type: "webhook", url: "file:///etc/passwd" },
      { type: "webhook", url: "https://x.example", kinds: ["sometimes"] },
      { type: "webhook", url: "https://x.example", retryDelay: "soon" },
      { type: "pager" },
    ];
    for (const notifier of bad) {
      expect(
        notifyConfigSchema.safeParse({ notifiers: [notifier] }).success,
        JSON.stringify(notifier),
      ).toBe(false);
    }
  });

  it("builds a hub whose health names every notifier uniquely, and collects their issues", async () => {
    const config = notifyConfigSchema.parse({
      notifiers: [
        { type: "webhook", url: "https://a.example/hook" },
        { type: "webhook", url: "https://b.example/hook", secretEnv: "B_SECRET" },
        { type: "telegram", name: "ops-chat", chatIds: [1], tokenEnv: "NO_SUCH_TOKEN" },
      ],
    });
    const hub = createNotificationHub(config, {
      log: pino({ level: "silent" }),
      control: () => ({}) as OpsControl,
      botOrg: () => null,
      fleetOrg: "default",
      env: {},
    });
    expect(hub.health().map((h) => [h.name, h.type])).toEqual([
      ["webhook", "webhook"],
      ["webhook-2", "webhook"],
      ["ops-chat", "telegram"],
    ]);
    expect(hub.issues().map((i) => [i.path, i.severity])).toEqual([
      ["notifiers[1].secretEnv", "error"],
      ["notifiers[2].tokenEnv", "error"],
    ]);
    expect(hub.issues()[1]!.message).toContain("NO_SUCH_TOKEN");
    await hub.close();
  });
});
