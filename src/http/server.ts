import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { OpsError } from "../core/errors.js";
import { SAFE_METHODS, clientOf } from "./client.js";
import type { Logger } from "pino";
import type { DaemonContext } from "../daemon/context.js";
import { createAuditHook } from "./audit.js";
import { createAuthCheck } from "./auth.js";
import { createClientErrorHandler, errorBody, handleHttpError } from "./errors.js";
import { createHostGuard } from "./host-guard.js";
import { registerExposure } from "./exposure.js";
import { registerOwnerRouting } from "./owner-host.js";
import { registerOpenApi } from "./openapi.js";
import type { TlsMaterial } from "./tls.js";
import { createLimits, registerRateLimit } from "./rate-limits.js";
import { sseRoute } from "./realtime/sse-route.js";
import { closeStrayUpgrade, wsRoute } from "./realtime/ws-route.js";
import { accessRoutes } from "./routes/access.js";
import { registerSetupPage } from "./setup-page.js";
import { statusPageRoutes } from "./status-page.js";
import { registerDashboard } from "./dashboard.js";
import { botMoveRoutes } from "./routes/bot-move.js";
import { botRoutes } from "./routes/bots.js";
import { botTokenRoutes } from "./routes/bot-tokens.js";
import { approvalRoutes } from "./routes/approvals.js";
import { budgetRoutes } from "./routes/budgets.js";
import { botFileRoutes } from "./routes/bot-files.js";
import { doctorRoutes } from "./routes/doctor.js";
import { eventRoutes } from "./routes/events.js";
import { sessionRoutes } from "./routes/sessions.js";
import { probeRoutes } from "./routes/probes.js";
import { readinessRoutes } from "./routes/readiness.js";
import { repairRoutes } from "./routes/repairs.js";
import { healthRoutes } from "./routes/health.js";
import { notificationRoutes } from "./routes/notifications.js";
import { statusRoutes } from "./routes/status.js";
import { scheduleRoutes } from "./routes/schedules.js";
import { taskRoutes } from "./routes/tasks.js";
import { type Api, serializerCompiler, validatorCompiler } from "./schema.js";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Builds the HTTP server (not listening yet); HTTPS with `tls` (src/http/tls.ts `loadTls`). */
export function buildHttpServer(
  ctx: DaemonContext,
  log: Logger,
  tls: TlsMaterial | null = null,
): FastifyInstance {
  const app = Fastify({
    // pino's Logger and Fastify's logger type differ only in generics.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: log as FastifyBaseLogger,
    requestIdHeader: false,
    // A caller's X-Request-Id is kept when it is safe to log; otherwise a new one is made.
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: 1_048_576,
    // Node would answer a request without Host with an empty 400 of its own; the host
    // guard answers it in the envelope instead.
    http: { requireHostHeader: false },
    // Node's https server takes its HTTP options beside the certificate; the type is http's.
    ...(tls ? { https: { cert: tls.cert, key: tls.key, requireHostHeader: false } } : {}),
    // Errors found before routing (a malformed URL, an over-long path segment) and by
    // Node's parser (oversized headers, bad framing) answer in the envelope too.
    frameworkErrors: (error, request, reply) => {
      void handleHttpError(error, request, reply);
    },
    clientErrorHandler: createClientErrorHandler(log),
  });
  // Node answers an `Expect` it does not know with an empty 417 unless someone listens.
  app.server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    const body = JSON.stringify(
      errorBody(
        "EXPECTATION_FAILED",
        `Expect: ${String(req.headers.expect).slice(0, 100)} is not supported`,
        requestId,
      ),
    );
    res.writeHead(417, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      "x-request-id": requestId,
    });
    res.end(body);
  });
  const checkHost = createHostGuard({
    host: ctx.config.http.host,
    allowedHosts: ctx.config.http.allowedHosts,
  });

  const checkAuth = createAuthCheck(ctx.access);
  app.decorateRequest("principal", null);
  app.decorateRequest("authenticated", null);
  app.addHook("onRequest", async (request, reply) => {
    void reply.header("x-request-id", request.id);
    checkHost(request);
    // A web page the operator visits can POST to loopback, but it cannot send a custom
    // header cross-site without a CORS preflight, which this server never grants.
    if (!SAFE_METHODS.has(request.method) && clientOf(request) === null) {
      throw new OpsError(
        "FORBIDDEN",
        `${request.method} needs the x-clawops-client header (e.g. "x-clawops-client: script"); clawops's CLI sends it`,
      );
    }
    await checkAuth(request);
  });
  app.addHook("onResponse", createAuditHook(ctx.store));
  app.addHook("onResponse", async (request) => closeStrayUpgrade(request));
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    ctx.metrics.httpRequests.inc({
      method: request.method,
      route,
      status: String(reply.statusCode),
    });
    ctx.metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  app.setErrorHandler(handleHttpError);
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(
        errorBody(
          "NOT_FOUND",
          `no route ${request.method} ${request.url.slice(0, 200)}`,
          request.id,
        ),
      ),
  );

  // Requests are validated, and answers described, by each route's zod schemas.
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerExposure(app, ctx.config.http);
  registerOpenApi(app, ctx.version);
  registerRateLimit(app, ctx.redis);
  // Declared in a plugin so that they come after the OpenAPI plugin, which collects routes as
  // they are declared; the hooks and handlers above apply to them as to every route.
  void app.register(async (scope) => {
    const api: Api = scope.withTypeProvider();
    const limits = createLimits(scope, ctx.config.access.limits);
    // After authentication (the root's onRequest): the caller is known.
    scope.addHook("onRequest", (request) => limits.checkWrite(request));
    registerOwnerRouting(scope, ctx);
    probeRoutes(api, ctx);
    accessRoutes(api, ctx, limits);
    registerSetupPage(scope);
    statusPageRoutes(api, ctx);
    registerDashboard(scope);
    statusRoutes(api, ctx);
    healthRoutes(api, ctx);
    botRoutes(api, ctx);
    botTokenRoutes(api, ctx);
    botMoveRoutes(api, ctx);
    doctorRoutes(api, ctx);
    botFileRoutes(api, ctx);
    eventRoutes(api, ctx);
    sessionRoutes(api, ctx);
    repairRoutes(api, ctx);
    notificationRoutes(api, ctx);
    budgetRoutes(api, ctx);
    approvalRoutes(api, ctx);
    taskRoutes(api, ctx);
    scheduleRoutes(api, ctx);
    readinessRoutes(api, ctx);
    // The hub is read when a client connects: what builds the server need not have one yet.
    sseRoute(api, () => ctx.realtime);
    wsRoute(scope, () => ctx.realtime, ctx.config.http);
  });
  return app;
}
