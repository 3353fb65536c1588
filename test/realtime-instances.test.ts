import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningDaemon, freePort, startUp, tempDir } from "./helpers/cli.js";
import { createTestDatabase } from "./helpers/postgres.js";
import { bearer, openSocket } from "./helpers/realtime.js";
import { serviceUrl } from "./helpers/services.js";

const pgUrl = serviceUrl("CLAWOPS_TEST_DATABASE_URL", "PostgreSQL");

/**
 * Two `clawops up` (two hosts, each its own data dir) on one real PostgreSQL
 * and no Redis: what happens on one reaches the other's sockets through
 * LISTEN/NOTIFY, and a token revoked on one closes its socket on the other.
 */
describe.runIf(pgUrl)("realtime across two daemons on one PostgreSQL", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const works: ReturnType<typeof tempDir>[] = [];
  const daemons: RunningDaemon[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(pgUrl!);
    for (let i = 0; i < 2; i += 1) {
      const work = tempDir(`clawops-realtime-pg-${i}-`);
      works.push(work);
      daemons.push(
        await startUp({
          cwd: work.dir,
          port: await freePort(),
          env: { CLAWOPS_DATABASE_URL: database.url },
        }),
      );
    }
  });
  afterAll(async () => {
    for (const daemon of daemons) await daemon.stop("SIGTERM");
    for (const work of works) work.remove();
    await database?.drop();
  });

  it("delivers one daemon's events on the other's sockets, and revocations close them there", async () => {
    const [one, two] = daemons as [RunningDaemon, RunningDaemon];
    const made = await one.fetch("/api/v1/tokens", {
      method: "POST",
      headers: { "content-type": "application/json", "x-clawops-client": "test" },
      body: JSON.stringify({ name: "watcher", role: "operator" }),
    });
    expect(made.status).toBe(201);
    const { token, secret } = (await made.json()) as { token: { id: string }; secret: string };
    // The token lives in the shared store: the other daemon takes it.
    const socket = await openSocket(two.url, bearer(secret));
    socket.send({ type: "subscribe", room: "org:default:events" });
    await socket.frame((f) => f.type === "subscribed");

    const paused = await one.fetch("/api/v1/repairs/pause?reason=across-hosts", {
      method: "POST",
      headers: { "x-clawops-client": "test" },
    });
    expect(paused.status).toBe(200);
    expect(await socket.frame((f) => f.type === "event")).toMatchObject({
      room: "org:default:events",
      event: { type: "repair.paused", data: { scope: "fleet", reason: "across-hosts" } },
    });

    const revoked = await one.fetch(`/api/v1/tokens/${token.id}`, {
      method: "DELETE",
      headers: { "x-clawops-client": "test" },
    });
    expect(revoked.status).toBe(200);
    expect(await socket.closed).toEqual({ code: 4401, reason: "credential revoked" });
  });
});
