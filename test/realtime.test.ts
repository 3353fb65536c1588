import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningDaemon, freePort, startUp, tempDir } from "./helpers/cli.js";
import { bearer, openSocket } from "./helpers/realtime.js";

/**
 * The realtime API of a real `clawops up`: a token made over the API opens
 * `/ws`, sees an event it caused through the REST API, and its socket is
 * closed the moment the token is revoked over the API.
 */
describe("/ws against a running daemon", () => {
  let work: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;

  beforeAll(async () => {
    work = tempDir("clawops-realtime-e2e-");
    daemon = await startUp({ cwd: work.dir, port: await freePort() });
  });
  afterAll(async () => {
    await daemon?.stop("SIGTERM");
    work.remove();
  });

  const post = (path: string, body?: unknown) =>
    daemon.fetch(path, {
      method: "POST",
      headers: {
        "x-clawops-client": "test",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it("delivers the organisation's events, and closes the socket when its token is revoked", async () => {
    const made = await post("/api/v1/tokens", { name: "dashboard", role: "operator" });
    expect(made.status).toBe(201);
    const { token, secret } = (await made.json()) as { token: { id: string }; secret: string };
    // Not registered with the witness: the creating answer shows the secret, by design.
    const socket = await openSocket(daemon.url, bearer(secret));
    socket.send({ type: "subscribe", room: "org:default:events" });
    await socket.frame((f) => f.type === "subscribed");

    // A fleet-wide repair pause is an event about no bot: the default organisation's.
    const paused = await daemon.fetch("/api/v1/repairs/pause?reason=realtime-test", {
      method: "POST",
      headers: { ...bearer(secret), "x-clawops-client": "test" },
    });
    expect(paused.status).toBe(200);
    const event = await socket.frame((f) => f.type === "event");
    expect(event).toMatchObject({
      room: "org:default:events",
      event: {
        type: "repair.paused",
        botId: null,
        data: { scope: "fleet", reason: "realtime-test" },
      },
    });

    const revoked = await daemon.fetch(`/api/v1/tokens/${token.id}`, {
      method: "DELETE",
      headers: { "x-clawops-client": "test" },
    });
    expect(revoked.status).toBe(200);
    expect(await socket.closed).toEqual({ code: 4401, reason: "credential revoked" });
    await expect(openSocket(daemon.url, bearer(secret))).rejects.toMatchObject({ status: 401 });

    const metrics = await (await daemon.fetch("/metrics")).text();
    expect(metrics).toMatch(/clawops_realtime_closed_total\{reason="revoked"\} 1/);
  });

  it("routes a bot's events to its organisation from its registration on", async () => {
    const made = await post("/api/v1/tokens", { name: "watcher", role: "viewer" });
    const { secret } = (await made.json()) as { secret: string };
    const socket = await openSocket(daemon.url, bearer(secret));
    socket.send({ type: "subscribe", room: "org:default:events" });
    await socket.frame((f) => f.type === "subscribed");
    const stateDir = path.join(work.dir, ".clawops", "bots", "fresh");
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(path.join(stateDir, "openclaw.json"), "{}");
    expect((await post("/api/v1/bots", { name: "fresh" })).status).toBe(201);
    expect(
      await socket.frame(
        (f) => f.type === "event" && (f.event as { type: string }).type === "bot.registered",
      ),
    ).toMatchObject({ event: { data: { name: "fresh", org: "default" } } });
    socket.ws.close();
  });
});
