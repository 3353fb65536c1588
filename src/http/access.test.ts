import type { FastifyInstance, RouteOptions } from "fastify";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccessService } from "../access/service.js";
import { type Access, type Principal, ROLES, type Role } from "../core/access.js";
import type { DaemonContext } from "../daemon/context.js";
import { createMetrics } from "../daemon/metrics.js";
import { configSchema } from "../config/schema.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { tempDir } from "../../test/helpers/cli.js";
import { CSRF_HEADER, LOGIN_COOKIE } from "./auth.js";
import { DOCS_PREFIX } from "./openapi.js";
import { buildHttpServer } from "./server.js";

/**
 * The role x route matrix. Written out here, not derived from the routes'
 * own declarations, so that a route whose declared access changes (or a new
 * route nobody classified) fails this test until someone decides.
 */
const EXPECTED: Record<string, Access> = {
  "GET /healthz": "public",
  "GET /readyz": "public",
  "GET /metrics": "viewer",
  "GET /api/openapi.json": "public",
  "POST /api/v1/auth/login": "public",
  "POST /api/v1/auth/setup": "public",
  "GET /setup": "public",
  "GET /status/:org": "public",
  "GET /api/v1/status-pages/:org": "public",
  "GET /": "public",
  "GET /assets/*": "public",
  "POST /api/v1/auth/logout": "viewer",
  "GET /api/v1/auth/me": "viewer",
  "GET /api/v1/users": "admin",
  "POST /api/v1/users": "admin",
  "DELETE /api/v1/users/:name": "admin",
  "GET /api/v1/tokens": "admin",
  "POST /api/v1/tokens": "admin",
  "DELETE /api/v1/tokens/:id": "admin",
  "GET /api/v1/audit": "admin",
  "GET /api/v1/status": "viewer",
  "GET /api/v1/fleet/health": "viewer",
  "GET /api/v1/bots/:name/health": "viewer",
  "GET /api/v1/bots": "viewer",
  "GET /api/v1/bots/:name": "viewer",
  "POST /api/v1/bots": "admin",
  "DELETE /api/v1/bots/:name": "admin",
  // The desired state is an operator's; port, config, labels and owner need admin (in the handler).
  "PATCH /api/v1/bots/:name": "operator",
  "POST /api/v1/bots/:name/start": "operator",
  "POST /api/v1/bots/:name/stop": "operator",
  "POST /api/v1/bots/:name/restart": "operator",
  "POST /api/v1/bots/:name/rotate-token": "admin",
  "POST /api/v1/bots/:name/move": "admin",
  "GET /api/v1/bots/:name/doctor": "viewer",
  // The gateway's raw log and config, masked best-effort: operators (routes/bot-files.ts).
  "GET /api/v1/bots/:name/logs": "operator",
  "GET /api/v1/bots/:name/config": "operator",
  "GET /api/v1/events": "viewer",
  "GET /api/v1/events/stream": "viewer",
  "GET /ws": "viewer",
  "GET /api/v1/sessions": "viewer",
  "GET /api/v1/bots/:name/sessions/:id": "viewer",
  "GET /api/v1/bots/:name/sessions/:id/messages": "viewer",
  "GET /api/v1/cost": "viewer",
  "GET /api/v1/cost/findings": "viewer",
  "GET /api/v1/repairs": "viewer",
  "GET /api/v1/repairs/stats": "viewer",
  "GET /api/v1/repairs/status": "viewer",
  "GET /api/v1/notifications": "viewer",
  "POST /api/v1/bots/:name/repair": "operator",
  "POST /api/v1/bots/:name/repair/pause": "operator",
  "POST /api/v1/bots/:name/repair/resume": "operator",
  "POST /api/v1/repairs/pause": "operator",
  "POST /api/v1/repairs/resume": "operator",
  "GET /api/v1/budgets": "viewer",
  "POST /api/v1/bots/:name/budget/resume": "operator",
  "GET /api/v1/approvals": "viewer",
  "POST /api/v1/bots/:name/approvals/:id": "operator",
  "GET /api/v1/tasks": "viewer",
  "POST /api/v1/tasks": "operator",
  "GET /api/v1/tasks/analytics": "viewer",
  "GET /api/v1/tasks/:id": "viewer",
  "POST /api/v1/tasks/:id/move": "operator",
  "POST /api/v1/tasks/:id/cancel": "operator",
  "POST /api/v1/tasks/:id/retry": "operator",
  "POST /api/v1/tasks/:id/approve": "operator",
  "POST /api/v1/tasks/:id/deny": "operator",
  "GET /api/v1/schedules": "viewer",
  // Daemon-wide principals only: the route refuses other organisations' (403) itself.
  "GET /api/v1/readiness": "viewer",
  // A schedule spends unattended: making, changing and resuming one is an admin's.
  "POST /api/v1/schedules": "admin",
  "GET /api/v1/schedules/:id": "viewer",
  "PATCH /api/v1/schedules/:id": "admin",
  "DELETE /api/v1/schedules/:id": "admin",
  // Pausing only stops spending: an operator may.
  "POST /api/v1/schedules/:id/pause": "operator",
  "POST /api/v1/schedules/:id/resume": "admin",
};

/** What the test's hook answers once a request is through authentication: the handler never runs. */
const PASSED = 299;

let app: FastifyInstance;
let store: Store;
let scratch: ReturnType<typeof tempDir>;
const routes: Pick<RouteOptions, "url" | "method">[] = [];
const tokens = new Map<Role, string>();
const owner: Principal = { kind: "local", id: "l", name: "local", org: "default", role: "owner" };

beforeAll(async () => {
  scratch = tempDir("clawops-access-");
  store = openSqliteStore(`${scratch.dir}/clawops.db`);
  await store.migrate();
  const access = new AccessService({ store });
  for (const role of ROLES)
    tokens.set(role, (await access.createToken({ name: `t-${role}`, role }, owner)).secret);
  const ctx = {
    config: {
      dataDir: scratch.dir,
      http: configSchema.parse({}).http,
      access: configSchema.parse({}).access,
    },
    version: "0.0.0-test",
    metrics: createMetrics(),
    store,
    access,
  } as unknown as DaemonContext;
  app = buildHttpServer(ctx, pino({ level: "silent" }));
  app.addHook("onRoute", (route) => {
    routes.push(route);
  });
  // After authentication (onRequest), before the route's own hooks and validation.
  app.addHook("preValidation", async (_request, reply) => reply.code(PASSED).send({}));
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await store.close();
  scratch.remove();
});

const declared = () =>
  routes
    .filter((r) => !r.url.startsWith(DOCS_PREFIX))
    .flatMap((r) =>
      [r.method]
        .flat()
        .filter((m) => m !== "HEAD")
        .map((m) => `${m} ${r.url}`),
    );

/** A concrete URL for a route pattern. */
const urlOf = (pattern: string) => pattern.replace(/:([A-Za-z]+)/g, "x");

async function call(key: string, headers: Record<string, string> = {}) {
  const [method, pattern] = key.split(" ") as [string, string];
  return app.inject({
    method: method as "GET",
    url: urlOf(pattern),
    headers: { "x-clawops-client": "test", ...headers },
  });
}

describe("role x route matrix", () => {
  it("classifies every route, and only routes that exist", () => {
    expect(declared().sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))("%s needs %s", async (key, needed) => {
    const anonymous = await call(key);
    expect(anonymous.statusCode, "without credentials").toBe(needed === "public" ? PASSED : 401);
    if (needed !== "public") {
      expect(anonymous.json()).toMatchObject({ error: { code: "UNAUTHORIZED" } });
      expect(anonymous.headers["www-authenticate"]).toBe('Bearer realm="clawops"');
    }
    for (const role of ROLES) {
      const answer = await call(key, { authorization: `Bearer ${tokens.get(role)}` });
      const allowed = needed === "public" || ROLES.indexOf(role) >= ROLES.indexOf(needed);
      expect(answer.statusCode, `as ${role}`).toBe(allowed ? PASSED : 403);
      if (!allowed) expect(answer.json()).toMatchObject({ error: { code: "FORBIDDEN" } });
    }
  });
});

describe("credentials", () => {
  it("refuses a malformed, unknown, revoked or expired token, saying which", async () => {
    const access = new AccessService({ store });
    const bearer = (token: string) =>
      call("GET /api/v1/bots", { authorization: `Bearer ${token}` });
    expect((await bearer("nope")).json()).toMatchObject({
      error: {
        code: "UNAUTHORIZED",
        message: expect.stringMatching(/not a clawops token/) as string,
      },
    });
    const forged = `${tokens.get("owner")!.slice(0, -4)}AAAA`;
    expect((await bearer(forged)).json()).toMatchObject({
      error: { message: "the bearer token is not valid" },
    });
    const { token, secret } = await access.createToken({ name: "gone", role: "viewer" }, owner);
    expect((await bearer(secret)).statusCode).toBe(PASSED);
    await access.revokeToken(token.id, owner);
    expect((await bearer(secret)).json()).toMatchObject({
      error: { message: 'the token "gone" was revoked' },
    });
    const later = new AccessService({ store, now: () => Date.now() + 2 * 86_400_000 });
    const short = await access.createToken(
      { name: "short", role: "viewer", expiresInMs: 86_400_000 },
      owner,
    );
    expect((await bearer(short.secret)).statusCode).toBe(PASSED);
    await expect(later.authenticate({ bearer: short.secret })).rejects.toMatchObject({
      code: "UNAUTHORIZED",
      message: expect.stringMatching(/^the token "short" expired at /) as string,
    });
  });

  it("logs in with a password: the cookie reads, a write needs the CSRF token too", async () => {
    const access = new AccessService({ store });
    await access.addUser(
      { name: "olive", password: "correct horse battery", role: "operator" },
      owner,
    );
    const login = await app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      headers: { "x-clawops-client": "web" },
      payload: { name: "olive", password: "correct horse battery" },
    });
    // The test's hook answers before the handler: log in through the service instead.
    expect(login.statusCode).toBe(PASSED);
    const { cookie, csrfToken } = await access.login("olive", "correct horse battery");
    const jar = { cookie: `${LOGIN_COOKIE}=${cookie}` };
    expect((await call("GET /api/v1/bots", jar)).statusCode).toBe(PASSED);
    const write = "POST /api/v1/bots/:name/start";
    expect((await call(write, jar)).json()).toMatchObject({
      error: { code: "FORBIDDEN", message: expect.stringMatching(/CSRF token/) as string },
    });
    expect((await call(write, { ...jar, [CSRF_HEADER]: "wrong" })).statusCode).toBe(403);
    expect((await call(write, { ...jar, [CSRF_HEADER]: csrfToken })).statusCode).toBe(PASSED);
    // An operator is not an admin, cookie or not.
    expect((await call("GET /api/v1/users", jar)).statusCode).toBe(403);
    await access.logout(cookie);
    expect((await call("GET /api/v1/bots", jar)).json()).toMatchObject({
      error: { code: "UNAUTHORIZED", message: "the login has ended: log in again" },
    });
  });
});
