import { existsSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import {
  CLI,
  cleanEnv,
  freePort,
  runCli,
  startUp,
  tempDir,
  type RunningDaemon,
} from "./helpers/cli.js";
import { createTestDatabase } from "./helpers/postgres.js";
import { serviceUrl } from "./helpers/services.js";

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function workDir() {
  const temp = tempDir("clawops-daemon-");
  cleanups.push(() => temp.remove());
  return temp.dir;
}

async function up(cwd: string, env: Record<string, string> = {}): Promise<RunningDaemon> {
  const daemon = await startUp({ cwd, port: await freePort(), env });
  cleanups.push(() => daemon.stop("SIGKILL"));
  return daemon;
}

describe("clawops up on embedded SQLite", () => {
  it("serves healthz, readyz and metrics, keeps request ids, and stops cleanly on SIGTERM", async () => {
    const cwd = workDir();
    const daemon = await up(cwd);

    expect(await (await fetch(`${daemon.url}/healthz`)).json()).toEqual({
      ok: true,
      status: "live",
    });
    const ready = await fetch(`${daemon.url}/readyz`);
    expect(ready.status).toBe(200);
    const readiness = (await ready.json()) as {
      ready: boolean;
      parts: Record<string, { ok: boolean }>;
    };
    expect(readiness.ready).toBe(true);
    expect(Object.keys(readiness.parts).sort()).toEqual([
      "events",
      "loop:audit-retention",
      // This host's heartbeat, and the schedules: the leader's (alone on SQLite, it leads).
      "loop:host-heartbeat",
      "loop:housekeeping",
      "loop:realtime-credentials",
      "loop:realtime-heartbeat",
      "loop:schedules",
      "loop:tasks",
      "notifiers",
      "store",
      "vault",
    ]);

    const traced = await fetch(`${daemon.url}/healthz`, {
      headers: { "X-Request-Id": "trace-42" },
    });
    expect(traced.headers.get("x-request-id")).toBe("trace-42");
    const unsafe = await fetch(`${daemon.url}/healthz`, {
      headers: { "X-Request-Id": "bad id\twith spaces" },
    });
    expect(unsafe.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);

    // Its series name every organisation's bots: credentials first (docs/access.md "Metrics").
    expect((await fetch(`${daemon.url}/metrics`)).status).toBe(401);
    const metrics = await daemon.fetch("/metrics");
    expect(metrics.headers.get("content-type")).toContain("text/plain");
    const text = await metrics.text();
    expect(text).toContain("clawops_process_resident_memory_bytes");
    expect(text).toMatch(
      /clawops_http_requests_total\{method="GET",route="\/healthz",status="200"\} [1-9]/,
    );

    const notFound = await daemon.fetch(`/api/v1/nothing`);
    expect(notFound.status).toBe(404);
    expect(((await notFound.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");

    expect(existsSync(path.join(cwd, ".clawops", "clawops.lock"))).toBe(true);
    expect(await daemon.stop("SIGTERM")).toBe(0);
    expect(existsSync(path.join(cwd, ".clawops", "clawops.lock"))).toBe(false);

    // No lost writes: the shutdown event is in the log after exit.
    const events = await runCli(["events", "--json", "--type", "daemon."], { cwd });
    const types = (JSON.parse(events.stdout) as { events: { type: string }[] }).events.map(
      (e) => e.type,
    );
    expect(types).toEqual(["daemon.started", "daemon.stopped"]);
    const lines = daemon
      .output()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { msg: string });
    expect(lines.some((l) => l.msg === "daemon.stopped")).toBe(true);
  });

  it("answers the REST registry and the status command", async () => {
    const cwd = workDir();
    const daemon = await up(cwd);
    const created = await daemon.fetch(`/api/v1/bots`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-clawops-client": "test",
        "x-request-id": "req-register",
      },
      body: JSON.stringify({
        name: "api-bot",
        port: 18900,
        labels: { team: "ops" },
        allowMissingConfig: true,
      }),
    });
    expect(created.status).toBe(201);
    const invalid = await daemon.fetch(`/api/v1/bots`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-request-id": "req-7",
        "x-clawops-client": "test",
      },
      body: JSON.stringify({ name: "x", port: 70000 }),
    });
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as {
      error: { code: string; issues: { path: string }[]; requestId: string };
    };
    expect(body.error.code).toBe("VALIDATION");
    expect(body.error.issues.map((i) => i.path)).toEqual(["port"]);
    expect(body.error.requestId).toBe("req-7");
    const conflict = await daemon.fetch(`/api/v1/bots`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-clawops-client": "test" },
      body: JSON.stringify({ name: "other", port: 18900, allowMissingConfig: true }),
    });
    expect(conflict.status).toBe(409);

    const port = new URL(daemon.url).port;
    const status = await runCli(["status", "--json"], { cwd, env: { CLAWOPS_HTTP_PORT: port } });
    expect(status.code).toBe(0);
    const answer = JSON.parse(status.stdout) as {
      daemon: { pid: number };
      bots: { name: string }[];
    };
    expect(answer.daemon.pid).toBe(daemon.child.pid);
    expect(answer.bots.map((b) => b.name)).toEqual(["api-bot"]);
    const human = await runCli(["status"], { cwd, env: { CLAWOPS_HTTP_PORT: port } });
    expect(human.stdout).toMatch(/ready\s+yes/);
    expect(human.stdout).toMatch(/api-bot\s+stopped\s+-\s+18900/);

    const events = (await (await daemon.fetch(`/api/v1/events?bot=api-bot`)).json()) as {
      events: { type: string; actor: string }[];
    };
    expect(events.events).toMatchObject([{ type: "bot.registered", actor: "cli#req-register" }]);
    expect((await daemon.fetch(`/api/v1/events?limit=0`)).status).toBe(400);
    const foreign = await daemon.fetch(`/api/v1/bots/api-bot`, { method: "DELETE" });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
    const remove = { method: "DELETE", headers: { "x-clawops-client": "test" } };
    expect((await daemon.fetch(`/api/v1/bots/api-bot`, remove)).status).toBe(200);
    expect((await daemon.fetch(`/api/v1/bots/api-bot`)).status).toBe(404);
  });

  it("puts a request's id on its log lines and on the events and repairs it caused", async () => {
    const cwd = workDir();
    const daemon = await up(cwd);
    const call = async (method: string, target: string, requestId: string, body?: unknown) => {
      const answer = await daemon.fetch(target, {
        method,
        headers: {
          "x-clawops-client": "cli",
          "x-request-id": requestId,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      expect(answer.headers.get("x-request-id")).toBe(requestId);
      return answer;
    };
    const traced = [
      ["POST", "/api/v1/bots", "req-add"],
      ["POST", "/api/v1/bots/traced/repair?dryRun=true", "req-repair"],
      ["POST", "/api/v1/bots/traced/repair/pause?reason=upgrade", "req-pause"],
      ["POST", "/api/v1/bots/traced/start", "req-start"],
    ] as const;
    const add = await call("POST", traced[0][1], traced[0][2], {
      name: "traced",
      port: await freePort(),
      allowMissingConfig: true,
    });
    expect(add.status, await add.clone().text()).toBe(201);
    const repaired = await call("POST", traced[1][1], traced[1][2]);
    expect(repaired.status, await repaired.clone().text()).toBe(200);
    const { repair } = (await repaired.json()) as { repair: { id: string; startedBy: string } };
    expect(repair.startedBy).toBe("cli#req-repair");
    expect((await call("POST", traced[2][1], traced[2][2])).status).toBe(200);
    // No OpenClaw here: the start fails, but its own transition is the request's.
    expect((await call("POST", traced[3][1], traced[3][2])).status).toBe(200);

    // The record as the store keeps it, and the events each request caused.
    const { repairs } = (await (await daemon.fetch(`/api/v1/repairs?bot=traced`)).json()) as {
      repairs: { id: string; startedBy: string; cause: string }[];
    };
    expect(repairs).toMatchObject([
      {
        id: repair.id,
        startedBy: "cli#req-repair",
        cause: expect.stringMatching(/^requested by cli#req-repair;/) as string,
      },
    ]);
    const { events } = (await (await daemon.fetch(`/api/v1/events?bot=traced`)).json()) as {
      events: { type: string; actor: string; data: { to?: string } }[];
    };
    // What the supervisor then finds on its own (the start failing) is the supervisor's.
    const caused = events.filter((e) => e.actor !== "supervisor");
    expect(caused.map((e) => [e.type, e.actor, e.data.to])).toEqual([
      ["bot.registered", "cli#req-add", undefined],
      ["repair.started", "cli#req-repair", undefined],
      ["repair.finished", "cli#req-repair", undefined],
      ["repair.paused", "cli#req-pause", undefined],
      ["gateway.state", "cli#req-start", "starting"],
    ]);
    const { pauses } = (await (await daemon.fetch(`/api/v1/repairs/status`)).json()) as {
      pauses: { by: string }[];
    };
    expect(pauses).toMatchObject([{ by: "cli#req-pause" }]);

    // Every request log line of each request carries its id, and no request line goes without one.
    expect(await daemon.stop("SIGTERM")).toBe(0);
    const lines = daemon
      .output()
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as {
            msg: string;
            reqId?: string;
            req?: { method: string; url: string };
            res?: unknown;
          },
      );
    const requestLines = lines.filter((l) => l.req !== undefined || l.res !== undefined);
    expect(requestLines.filter((l) => l.reqId === undefined)).toEqual([]);
    for (const [method, url, requestId] of traced) {
      const incoming = requestLines.filter((l) => l.req?.method === method && l.req.url === url);
      expect(
        incoming.map((l) => l.reqId),
        url,
      ).toEqual([requestId]);
      expect(
        requestLines.filter((l) => l.reqId === requestId).map((l) => l.msg),
        url,
      ).toEqual(["incoming request", "request completed"]);
    }
  });

  it("registers bots declared in clawops.yaml at start", async () => {
    const cwd = workDir();
    writeFileSync(
      path.join(cwd, "clawops.yaml"),
      "fleet:\n  bots:\n    - name: declared\n      port: 18950\n      desiredState: running\n      labels: { env: prod }\n",
    );
    const daemon = await up(cwd);
    const { bot } = (await (await daemon.fetch(`/api/v1/bots/declared`)).json()) as {
      bot: { port: number; desiredState: string; labels: Record<string, string> };
    };
    expect(bot).toMatchObject({ port: 18950, desiredState: "running", labels: { env: "prod" } });
  });

  it("stops cleanly when SIGTERM arrives during start-up", async () => {
    const cwd = workDir();
    const child = spawn(process.execPath, [CLI, "up", "--json"], {
      cwd,
      env: cleanEnv({ CLAWOPS_HTTP_PORT: String(await freePort()) }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    cleanups.push(() => void child.kill("SIGKILL"));
    let output = "";
    const exited = new Promise<string>((resolve) =>
      child.once("exit", (code, signal) => resolve(`${code ?? signal}`)),
    );
    await new Promise<void>((resolve) =>
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("config.loaded")) resolve();
      }),
    );
    child.kill("SIGTERM");
    const code = await exited;
    expect({ code, output }).toEqual({
      code: "0",
      output: expect.stringContaining("daemon.stopped") as string,
    });
    expect(output).toContain('"reason":"SIGTERM"');
    expect(existsSync(path.join(cwd, ".clawops", "clawops.lock"))).toBe(false);
  });

  it("refuses a second daemon on the same data dir, naming the first one's pid", async () => {
    const cwd = workDir();
    const first = await up(cwd);
    const second = await runCli(["up"], {
      cwd,
      env: { CLAWOPS_HTTP_PORT: String(await freePort()) },
    });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(
      `already running on ${path.join(cwd, ".clawops")} (pid ${first.child.pid}`,
    );
    // Only the refusal: no log line of a start that did not happen.
    expect(second.stdout).toBe("");
    expect(second.stderr.trim().split("\n")).toHaveLength(1);
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
  });

  it("reclaims the lock of a daemon that was killed", async () => {
    const cwd = workDir();
    const first = await up(cwd);
    await first.stop("SIGKILL");
    expect(existsSync(path.join(cwd, ".clawops", "clawops.lock"))).toBe(true);
    const second = await up(cwd);
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
  });

  it("names the port and its holder when the HTTP port is taken, and leaves nothing behind", async () => {
    const cwd = workDir();
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
    const result = await runCli(["up"], { cwd, env: { CLAWOPS_HTTP_PORT: String(port) } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `cannot listen on 127.0.0.1:${port}: the port is already in use by pid ${process.pid}`,
    );
    expect(existsSync(path.join(cwd, ".clawops"))).toBe(false);
  });

  it("rejects an unreachable database with exit 2 and no partial state", async () => {
    const cwd = workDir();
    const result = await runCli(["up"], {
      cwd,
      env: { CLAWOPS_DATABASE_URL: "postgres://clawops:s3cret@127.0.0.1:1/clawops" },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "cannot reach PostgreSQL at postgres://clawops:***@127.0.0.1:1/clawops",
    );
    expect(result.stderr).not.toContain("s3cret");
    expect(existsSync(path.join(cwd, ".clawops"))).toBe(false);
  });

  it("rejects an invalid clawops.yaml with every problem, exit 2 and no stack trace", async () => {
    const cwd = workDir();
    writeFileSync(
      path.join(cwd, "clawops.yaml"),
      "http:\n  port: 99999\nfleet:\n  bots:\n    - name: ok\n    - name: ok2\n    - { name: bad, port: x }\nextra: 1\n",
    );
    const result = await runCli(["up"], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("http.port: expected a number from 1024 to 65535");
    expect(result.stderr).toContain("fleet.bots[2].port: expected a number from 1024 to 65535");
    expect(result.stderr).toContain("extra: unknown key");
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(cwd, ".clawops"))).toBe(false);
  });
});

const pgUrl = serviceUrl("CLAWOPS_TEST_DATABASE_URL", "PostgreSQL");
describe.runIf(pgUrl)("clawops up on PostgreSQL", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase(pgUrl!);
  });
  afterAll(() => db?.drop());

  it("migrates, reports ready and shares the registry with the CLI", async () => {
    const cwd = workDir();
    const env = { CLAWOPS_DATABASE_URL: db.url };
    const add = await runCli(
      ["bot", "add", "pg-bot", "--port", "18800", "--allow-missing", "--json"],
      { cwd, env },
    );
    expect(add.code).toBe(0);
    const daemon = await up(cwd, env);
    const readiness = (await (await fetch(`${daemon.url}/readyz`)).json()) as {
      parts: { store: { ok: boolean; dialect: string } };
    };
    expect(readiness.parts.store).toMatchObject({ ok: true, dialect: "postgres" });
    const { bots } = (await (await daemon.fetch(`/api/v1/bots`)).json()) as {
      bots: { name: string }[];
    };
    expect(bots.map((b) => b.name)).toEqual(["pg-bot"]);
    expect(await daemon.stop()).toBe(0);
  });

  it("answers 503 on /readyz naming the store when PostgreSQL goes away", async () => {
    const cwd = workDir();
    const doomed = await createTestDatabase(pgUrl!);
    writeFileSync(path.join(cwd, "clawops.yaml"), "daemon:\n  shutdownTimeout: 1s\n");
    const daemon = await up(cwd, { CLAWOPS_DATABASE_URL: doomed.url });
    expect((await fetch(`${daemon.url}/readyz`)).status).toBe(200);
    await doomed.drop();
    const answer = await fetch(`${daemon.url}/readyz`);
    expect(answer.status).toBe(503);
    const readiness = (await answer.json()) as {
      ready: boolean;
      failing: { part: string; reason: string }[];
    };
    expect(readiness.ready).toBe(false);
    expect(readiness.failing.map((f) => f.part)).toContain("store");
    expect(readiness.failing.find((f) => f.part === "store")?.reason).toMatch(
      /^postgres unreachable: /,
    );
    // Liveness is not readiness: the process still answers.
    expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);
    expect(await daemon.stop()).toBe(0);
  });
});
