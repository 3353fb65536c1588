import type { FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccessService } from "../access/service.js";
import type { Principal } from "../core/access.js";
import { configSchema } from "../config/schema.js";
import type { DaemonContext } from "../daemon/context.js";
import { createMetrics } from "../daemon/metrics.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { tempDir } from "../../test/helpers/cli.js";
import { serviceUrl } from "../../test/helpers/services.js";
import { buildHttpServer } from "./server.js";

const owner: Principal = { kind: "local", id: "l", name: "local", org: "default", role: "owner" };
const PASSWORD = "the right password";
/** Small limits, so that a test reaches them in a few calls. */
const LIMITS = {
  writes: { max: 3, window: "1m" },
  orgWrites: { max: 5, window: "1m" },
  loginFailures: { max: 4, window: "1h" },
};

let store: Store;
let scratch: ReturnType<typeof tempDir>;
let access: AccessService;

beforeAll(async () => {
  scratch = tempDir("clawops-limits-");
  store = openSqliteStore(`${scratch.dir}/clawops.db`);
  await store.migrate();
  access = new AccessService({ store });
});
afterAll(async () => {
  await store.close();
  scratch.remove();
});

/** A clawops API on the shared store, with its own Redis client (or none: in-process limits). */
async function instance(redis: Redis | null): Promise<FastifyInstance> {
  const ctx = {
    config: {
      dataDir: scratch.dir,
      http: configSchema.parse({}).http,
      access: configSchema.parse({ access: { limits: LIMITS } }).access,
    },
    version: "0.0.0-test",
    metrics: createMetrics(),
    store,
    access,
    redis,
  } as unknown as DaemonContext;
  const app = buildHttpServer(ctx, pino({ level: "silent" }));
  await app.ready();
  return app;
}

const write = (app: FastifyInstance, token: string) =>
  app.inject({
    method: "POST",
    url: "/api/v1/auth/logout",
    headers: { authorization: `Bearer ${token}`, "x-clawops-client": "test" },
  });
const login = (app: FastifyInstance, name: string, password: string) =>
  app.inject({
    method: "POST",
    url: "/api/v1/auth/login",
    headers: { "x-clawops-client": "web" },
    payload: { name, password },
  });

async function token(name: string, org = "default"): Promise<string> {
  return (await access.createToken({ name, role: "operator", org }, owner)).secret;
}

describe("rate limits in one instance", () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await instance(null);
  });
  afterAll(() => app.close());

  it("limits a token's writes, then its organisation's, answering 429 with Retry-After", async () => {
    const [a, b] = [await token("limit-a"), await token("limit-b")];
    for (let i = 0; i < 3; i += 1) expect((await write(app, a)).statusCode).toBe(200);
    const refused = await write(app, a);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(50);
    expect(refused.json()).toMatchObject({
      error: {
        code: "RATE_LIMITED",
        message: expect.stringMatching(
          /^token:limit-a made more than 3 changes within 60 s/,
        ) as string,
      },
    });
    // Reads are not limited; another token of the organisation has its own count...
    expect(
      (await app.inject({ url: "/api/v1/auth/me", headers: { authorization: `Bearer ${a}` } }))
        .statusCode,
    ).toBe(200);
    expect((await write(app, b)).statusCode).toBe(200);
    expect((await write(app, b)).statusCode).toBe(200);
    // ...until the organisation's 5 (3 of a's, 2 of b's) are spent.
    expect((await write(app, b)).json()).toMatchObject({
      error: {
        message: expect.stringMatching(
          /^organisation "default" made more than 5 changes/,
        ) as string,
      },
    });
  });

  it("limits failed logins per name: the right password is refused too until the window ends", async () => {
    await access.addUser({ name: "lim", password: PASSWORD, role: "viewer" }, owner);
    for (let i = 0; i < 4; i += 1) expect((await login(app, "lim", "wrong")).statusCode).toBe(401);
    const refused = await login(app, "lim", PASSWORD);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(3000);
    expect(refused.json()).toMatchObject({ error: { code: "RATE_LIMITED" } });
    // Another name is not affected.
    await access.addUser({ name: "lim2", password: PASSWORD, role: "viewer" }, owner);
    expect((await login(app, "lim2", PASSWORD)).statusCode).toBe(200);
  });
});

const redisUrl = serviceUrl("CLAWOPS_TEST_REDIS_URL", "Redis");

describe.runIf(redisUrl)("rate limits shared by two instances through a real Redis", () => {
  const clients: Redis[] = [];
  const apps: FastifyInstance[] = [];
  beforeAll(async () => {
    const flush = new Redis(redisUrl!);
    await flush.flushdb();
    flush.disconnect();
    for (let i = 0; i < 2; i += 1) {
      const client = new Redis(redisUrl!, { maxRetriesPerRequest: 1 });
      clients.push(client);
      apps.push(await instance(client));
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const client of clients) client.disconnect();
  });

  it("counts a token's writes across both instances", async () => {
    const [one, two] = apps as [FastifyInstance, FastifyInstance];
    const shared = await token("shared-writes", "default");
    expect((await write(one, shared)).statusCode).toBe(200);
    expect((await write(two, shared)).statusCode).toBe(200);
    expect((await write(one, shared)).statusCode).toBe(200);
    expect((await write(two, shared)).statusCode).toBe(429);
    expect((await write(one, shared)).statusCode).toBe(429);
    expect(await clients[0]!.keys("clawops-limit-*writes:token:*")).not.toHaveLength(0);
  });

  it("counts failed logins across both instances", async () => {
    const [one, two] = apps as [FastifyInstance, FastifyInstance];
    await access.addUser({ name: "shared-login", password: PASSWORD, role: "viewer" }, owner);
    for (const app of [one, two, one, two])
      expect((await login(app, "shared-login", "no")).statusCode).toBe(401);
    expect((await login(one, "shared-login", PASSWORD)).statusCode).toBe(429);
    expect((await login(two, "shared-login", PASSWORD)).statusCode).toBe(429);
  });

  it("lets requests through when Redis is away, rather than failing them", async () => {
    const gone = new Redis("redis://127.0.0.1:1", {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    gone.on("error", () => undefined);
    const app = await instance(gone);
    try {
      const alone = await token("redis-away", "default");
      for (let i = 0; i < 5; i += 1) expect((await write(app, alone)).statusCode).toBe(200);
    } finally {
      await app.close();
      gone.disconnect();
    }
  });
});
