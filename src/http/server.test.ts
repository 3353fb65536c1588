import type { FastifyInstance, RouteOptions } from "fastify";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DaemonContext } from "../daemon/context.js";
import { configSchema } from "../config/schema.js";
import { createMetrics } from "../daemon/metrics.js";
import { DOCS_PREFIX, OPENAPI_PATH } from "./openapi.js";
import { buildHttpServer } from "./server.js";

/**
 * Only what the requests below reach: validation answers before any handler
 * runs, so most of the daemon is absent on purpose (a handler that needs it
 * would fail the test loudly).
 */
function fakeContext(): DaemonContext {
  const page = { sessions: [], nextCursor: null };
  return {
    config: {
      dataDir: "/nonexistent",
      http: configSchema.parse({}).http,
      access: configSchema.parse({}).access,
    },
    version: "0.0.0-test",
    metrics: createMetrics(),
    store: { sessions: { listSessions: () => Promise.resolve(page) } },
    // Who may call what is access.test.ts's subject: here every request is the local CLI.
    access: {
      authenticate: () =>
        Promise.resolve({
          principal: { kind: "local", id: "t", name: "local", org: "default", role: "owner" },
        }),
    },
  } as unknown as DaemonContext;
}

/** Fastify route options as the `onRoute` hook sees them. */
type Declared = Pick<RouteOptions, "url" | "method" | "schema" | "handler">;

let app: FastifyInstance;
const routes: Declared[] = [];

beforeAll(async () => {
  app = buildHttpServer(fakeContext(), pino({ level: "silent" }));
  app.addHook("onRoute", (route) => {
    routes.push(route);
  });
  await app.ready();
});
afterAll(() => app.close());

const apiRoutes = () =>
  routes.filter((r) => r.url.startsWith("/api/") && !r.url.startsWith(DOCS_PREFIX));
const methodsOf = (route: Declared) =>
  Array.isArray(route.method) ? route.method : [route.method];

describe("route schemas", () => {
  it("sees the API's routes", () => {
    expect(apiRoutes().length).toBeGreaterThan(20);
  });

  it("every /api/ route has a response schema, and params/query schemas where it takes them", () => {
    const missing: string[] = [];
    for (const route of apiRoutes()) {
      const name = `${methodsOf(route).join(",")} ${route.url}`;
      const schema = route.schema ?? {};
      const ok = Object.keys(schema.response ?? {}).filter((status) => status.startsWith("2"));
      if (ok.length === 0) missing.push(`${name}: no 2xx response schema`);
      if (route.url.includes(":") && !schema.params) missing.push(`${name}: no params schema`);
      // A handler that reads the query must have it validated (and documented) first.
      if (route.handler.toString().includes(".query") && !schema.querystring)
        missing.push(`${name}: reads the query without a querystring schema`);
      if (route.url !== OPENAPI_PATH && !(schema.tags?.length && schema.summary))
        missing.push(`${name}: no tag or summary for the reference page`);
      const errors = Object.keys(schema.response ?? {}).filter((status) => status >= "400");
      if (route.url !== OPENAPI_PATH && !errors.includes("400"))
        missing.push(`${name}: no error envelope schema`);
    }
    expect(missing).toEqual([]);
  });
});

describe("OpenAPI document", () => {
  it("is OpenAPI 3.1 with every route and method", async () => {
    const answer = await app.inject({ method: "GET", url: OPENAPI_PATH });
    expect(answer.statusCode).toBe(200);
    const doc = answer.json<{
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>();
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.version).toBe("0.0.0-test");
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    for (const route of apiRoutes().filter((r) => r.url !== OPENAPI_PATH)) {
      const path = route.url.replace(/:([A-Za-z]+)/g, "{$1}");
      for (const method of methodsOf(route).filter((m) => m !== "HEAD"))
        expect(documented, `${method} ${path}`).toContain(`${method} ${path}`);
    }
    // Every API call needs credentials; state-changing ones x-clawops-client too; probes nothing.
    expect(doc.paths["/api/v1/bots"]?.post).toMatchObject({
      security: [
        { bearerToken: [], clawopsClient: [] },
        { loginCookie: [], csrfToken: [], clawopsClient: [] },
      ],
    });
    expect(doc.paths["/api/v1/bots"]?.get).toMatchObject({
      security: [{ bearerToken: [] }, { loginCookie: [] }],
    });
    expect(doc.paths["/healthz"]?.get).not.toHaveProperty("security");
    expect(doc.paths["/api/v1/auth/login"]?.post).not.toHaveProperty("security");
    const sessions = doc.paths["/api/v1/sessions"]?.get;
    expect(Object.keys(sessions?.responses ?? {})).toEqual(
      expect.arrayContaining(["200", "400", "404", "500"]),
    );
  });

  it("serves the reference page and every asset it loads itself, through the host guard", async () => {
    const page = await app.inject({ method: "GET", url: DOCS_PREFIX });
    expect(page.statusCode).toBe(200);
    // Offline: nothing the page loads comes from another origin, and its CSP allows none.
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map(([, url]) => url!);
    expect(assets.length).toBeGreaterThan(2);
    for (const url of assets) {
      expect(url).toMatch(/^\/api\/docs\//);
      expect((await app.inject({ method: "GET", url })).statusCode, url).toBe(200);
    }
    expect(page.headers["content-security-policy"]).not.toMatch(/https:|swagger\.io|upgrade/);
    for (const url of [OPENAPI_PATH, DOCS_PREFIX]) {
      const refused = await app.inject({ method: "GET", url, headers: { host: "evil.example" } });
      expect(refused.statusCode).toBe(421);
      expect(refused.json()).toMatchObject({ error: { code: "HOST_NOT_ALLOWED" } });
    }
  });

  it("answers under the page's prefix as the API does: its copy of the document, HEAD, 404s", async () => {
    const json = await app.inject({ method: "GET", url: `${DOCS_PREFIX}/json` });
    expect(json.json()).toEqual((await app.inject({ method: "GET", url: OPENAPI_PATH })).json());
    expect(json.headers["x-request-id"]).toBeTruthy();
    const head = await app.inject({ method: "HEAD", url: DOCS_PREFIX });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe("");
    const missing = await app.inject({ method: "GET", url: `${DOCS_PREFIX}/static/nothing.js` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
  });

  it("describes answers as open to new fields, and every component it lists is used", async () => {
    const doc = (await app.inject({ method: "GET", url: OPENAPI_PATH })).json<{
      components: { schemas: Record<string, { additionalProperties?: unknown }> };
    }>();
    const schemas = doc.components.schemas;
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining(["Bot", "Gateway", "Session", "Message", "ErrorEnvelope"]),
    );
    expect(Object.keys(schemas).filter((id) => id.endsWith("Input"))).toEqual([]);
    expect(schemas.Bot?.additionalProperties).toBeUndefined();
  });
});

describe("request validation", () => {
  it.each([
    ["/api/v1/sessions?limit=abc", "limit"],
    ["/api/v1/sessions?since=yesterday", "since"],
    ["/api/v1/sessions?limit=0", "limit"],
    ["/api/v1/sessions?nope=1", "nope"],
    ["/api/v1/events?after=-1", "after"],
    ["/api/v1/cost?by=planet", "by"],
  ])("%s answers 400 in the envelope naming %s", async (url, field) => {
    const answer = await app.inject({
      method: "GET",
      url,
      headers: { "x-request-id": "req-test-1" },
    });
    expect(answer.statusCode).toBe(400);
    expect(answer.headers["x-request-id"]).toBe("req-test-1");
    const body = answer.json<{
      error: { code: string; message: string; issues: { path: string }[]; requestId: string };
    }>();
    expect(body.error.code).toBe("VALIDATION");
    expect(body.error.requestId).toBe("req-test-1");
    expect(body.error.message).toMatch(new RegExp(`^invalid query:\\n${field}: `));
    expect(body.error.issues.map((i) => i.path)).toEqual([field]);
    expect(Object.keys(body)).toEqual(["error"]);
  });

  it("passes a valid query on to the handler, coerced", async () => {
    const answer = await app.inject({ method: "GET", url: "/api/v1/sessions?limit=5&since=24h" });
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toBe('{"sessions":[],"nextCursor":null}');
  });
});
