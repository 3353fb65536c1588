import { createHmac, timingSafeEqual } from "node:crypto";
import { type IncomingHttpHeaders, createServer } from "node:http";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { Notification, OpsControl } from "../core/notification.js";
import { webhook } from "./webhook.js";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver on loopback answering with the statuses it is given, then 200. */
async function receiver(statuses: number[] = []) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(statuses.shift() ?? 200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${port}/hooks/clawops`, received };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const notification: Notification = {
  kind: "escalated",
  bot: "bot-a",
  title: "bot-a: every repair tier failed",
  lines: ["tier 1: restart failed", "tier 2: nothing applied"],
  detail: "Error: EADDRINUSE 127.0.0.1:18789",
  repairId: "rep_42",
  dedupeKey: "escalated:rep_42",
  ts: "2026-05-01T12:00:00.000Z",
};

const NOW = Date.parse("2026-05-01T12:00:05Z");

function build(config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const parsed = webhook.schema.parse({ type: "webhook", retryDelay: "10ms", ...config });
  return webhook.create(parsed, {
    log: pino({ level: "silent" }),
    control: {} as OpsControl,
    env,
    now: () => NOW,
    name: "webhook",
  });
}

/** What a receiver should do: recompute the HMAC over `<timestamp>.<raw body>` and compare in constant time. */
function verify(secret: string, request: Received): boolean {
  const timestamp = String(request.headers["x-clawops-timestamp"]);
  const expected = `sha256=${createHmac("sha256", secret).update(`${timestamp}.${request.body}`).digest("hex")}`;
  const given = String(request.headers["x-clawops-signature"]);
  return (
    given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected))
  );
}

describe("the webhook notifier", () => {
  it("POSTs the notification as signed JSON", async () => {
    const hook = await receiver();
    const notifier = build({ url: hook.url, secretEnv: "HOOK_SECRET" }, { HOOK_SECRET: "s3cret" });
    expect(notifier.issues?.()).toEqual([]);
    await notifier.send(notification, new AbortController().signal);

    expect(hook.received).toHaveLength(1);
    const [request] = hook.received as [Received];
    expect(JSON.parse(request.body)).toEqual({
      kind: "escalated",
      bot: "bot-a",
      title: "bot-a: every repair tier failed",
      lines: ["tier 1: restart failed", "tier 2: nothing applied"],
      detail: "Error: EADDRINUSE 127.0.0.1:18789",
      repairId: "rep_42",
      ts: "2026-05-01T12:00:00.000Z",
    });
    expect(request.headers).toMatchObject({
      "content-type": "application/json",
      "user-agent": "clawops",
      "x-clawops-event": "escalated",
      "x-clawops-timestamp": String(NOW / 1000),
    });
    expect(verify("s3cret", request)).toBe(true);
    expect(verify("other", request)).toBe(false);
  });

  it("sends no signature without a secret", async () => {
    const hook = await receiver();
    await build({ url: hook.url }).send(notification, new AbortController().signal);
    expect(hook.received[0]!.headers["x-clawops-signature"]).toBeUndefined();
  });

  it("retries 5xx with backoff and delivers on the third attempt", async () => {
    const hook = await receiver([500, 500]);
    const notifier = build({ url: hook.url, secret: "s3cret", retryDelay: "20ms" });
    const started = Date.now();
    await notifier.send(notification, new AbortController().signal);
    expect(hook.received).toHaveLength(3);
    // 20 ms, then 40 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(hook.received.every((r) => verify("s3cret", r))).toBe(true);
  });

  it("does not retry a 400, and says so without the URL's path", async () => {
    const hook = await receiver([400]);
    const notifier = build({ url: hook.url });
    await expect(notifier.send(notification, new AbortController().signal)).rejects.toThrow(
      /^webhook 127\.0\.0\.1:\d+ answered 400$/,
    );
    expect(hook.received).toHaveLength(1);
  });

  it("gives up after its retries on 429", async () => {
    const hook = await receiver([429, 429, 429]);
    const notifier = build({ url: hook.url, retries: 2 });
    await expect(notifier.send(notification, new AbortController().signal)).rejects.toThrow(
      /answered 429$/,
    );
    expect(hook.received).toHaveLength(3);
  });

  it("retries an unreachable receiver and then reports it", async () => {
    const hook = await receiver();
    await closers.pop()!();
    const notifier = build({ url: hook.url, retries: 1 });
    await expect(notifier.send(notification, new AbortController().signal)).rejects.toThrow(
      /unreachable \(ECONNREFUSED\)/,
    );
  });

  it("stops retrying when aborted", async () => {
    const hook = await receiver([500, 500, 500, 500]);
    const notifier = build({ url: hook.url, retryDelay: "10s" });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    const started = Date.now();
    await expect(notifier.send(notification, abort.signal)).rejects.toThrow(/answered 500/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(hook.received).toHaveLength(1);
  });

  it("reports a secretEnv that is not set and sends nothing", async () => {
    const hook = await receiver();
    const notifier = build({ url: hook.url, secretEnv: "HOOK_SECRET" });
    expect(notifier.issues?.()).toEqual([
      expect.objectContaining({
        path: "secretEnv",
        severity: "error",
        message: expect.stringContaining("HOOK_SECRET") as string,
      }),
    ]);
    await expect(notifier.send(notification, new AbortController().signal)).rejects.toThrow(
      /HOOK_SECRET/,
    );
    expect(hook.received).toHaveLength(0);
  });

  it("filters by kind", () => {
    const notifier = build({ url: "https://example.invalid/hook", kinds: ["escalated"] });
    expect(notifier.accepts?.(notification)).toBe(true);
    expect(notifier.accepts?.({ ...notification, kind: "info" })).toBe(false);
  });

  it("times out a receiver that does not answer", async () => {
    const server = createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const { port } = server.address() as { port: number };
    const notifier = build({ url: `http://127.0.0.1:${port}/`, timeout: "50ms", retries: 0 });
    await expect(notifier.send(notification, new AbortController().signal)).rejects.toThrow(
      /timed out/,
    );
  });
});
