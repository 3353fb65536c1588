import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { LOGIN_TTL_MS } from "../../access/service.js";
import { FirstOwnerSetup, removeSetupLink } from "../../access/setup.js";
import type { Principal } from "../../core/access.js";
import { OpsError, isOpsError } from "../../core/errors.js";
import type { DaemonContext } from "../../daemon/context.js";
import { LOGIN_COOKIE, presented } from "../auth.js";
import type { createLimits } from "../rate-limits.js";
import {
  auditEntrySchema,
  loginBodySchema,
  newTokenSchema,
  newUserSchema,
  principalSchema,
  setupBodySchema,
  tokenSchema,
  userSchema,
} from "../records/access.js";
import { type Api, queryBoolean, withErrors } from "../schema.js";

const DAY_MS = 86_400_000;
type Limits = ReturnType<typeof createLimits>;
const auditQuery = z.strictObject({
  actor: z.string().min(1).max(200).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

/** Logins, users, API tokens and the audit trail (admin routes are one organisation's). */
export function accessRoutes(app: Api, ctx: DaemonContext, limits: Limits) {
  const { access } = ctx;
  const me = (principal: Principal | null): Principal => {
    if (!principal) throw new OpsError("UNAUTHORIZED", "no credentials");
    return principal;
  };

  app.post(
    "/api/v1/auth/login",
    {
      config: { access: "public" },
      schema: {
        tags: ["access"],
        summary: "Log in with a password: sets the login cookie, answers the CSRF token",
        description:
          "Writes made with the cookie must send the CSRF token in `x-csrf-token`. 100 failures an hour for one name answer 429 with `Retry-After`.",
        body: loginBodySchema,
        response: withErrors(
          { 200: z.object({ user: userSchema, csrfToken: z.string(), expiresAt: z.string() }) },
          401,
          429,
        ),
      },
    },
    async (request, reply) => {
      await limits.checkLogin(request);
      const { cookie, csrfToken, expiresAt, user } = await access
        .login(request.body.name, request.body.password)
        .catch(async (error: unknown) => {
          if (isOpsError(error) && error.code === "UNAUTHORIZED") await limits.loginFailed(request);
          throw error;
        });
      setLoginCookie(request, reply, cookie);
      return { user, csrfToken, expiresAt };
    },
  );

  const setup = new FirstOwnerSetup({ store: ctx.store, access });
  app.post(
    "/api/v1/auth/setup",
    {
      config: { access: "public" },
      schema: {
        tags: ["access"],
        summary: "Create the first owner with the one-time setup link's token, and log in",
        description:
          "Only while clawops has no user: the daemon prints the link at its first start (`clawops user setup-link` makes a new one). The token works once, for 24 hours, and for nothing else.",
        body: setupBodySchema,
        response: withErrors(
          { 201: z.object({ user: userSchema, csrfToken: z.string(), expiresAt: z.string() }) },
          400,
          401,
          409,
        ),
      },
    },
    async (request, reply) => {
      const { token, name, password } = request.body;
      const { cookie, csrfToken, expiresAt, user } = await setup.complete(token, name, password);
      // The audit trail names the new owner, not "anonymous".
      request.principal = {
        kind: "user",
        id: user.id,
        name: user.name,
        org: user.org,
        role: user.role,
      };
      removeSetupLink(ctx.config.dataDir);
      request.log.info({ user: user.name }, "access.first_owner");
      setLoginCookie(request, reply, cookie);
      return reply.code(201).send({ user, csrfToken, expiresAt });
    },
  );

  app.post(
    "/api/v1/auth/logout",
    {
      config: { access: "viewer" },
      schema: {
        tags: ["access"],
        summary: "End the login of the cookie sent",
        response: withErrors({ 200: z.object({ loggedOut: z.boolean() }) }, 401),
      },
    },
    async (request, reply) => {
      const { cookie } = presented(request);
      if (cookie !== undefined) await access.logout(cookie);
      void reply.header(
        "set-cookie",
        `${LOGIN_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`,
      );
      return { loggedOut: cookie !== undefined };
    },
  );

  app.get(
    "/api/v1/auth/me",
    {
      schema: {
        tags: ["access"],
        summary: "Who the credentials sent are",
        response: withErrors({ 200: z.object({ principal: principalSchema }) }, 401),
      },
    },
    async (request) => ({ principal: me(request.principal) }),
  );

  app.get(
    "/api/v1/users",
    {
      config: { access: "admin" },
      schema: {
        tags: ["access"],
        summary: "The organisation's users",
        response: withErrors({ 200: z.object({ users: z.array(userSchema) }) }, 401, 403),
      },
    },
    async (request) => ({ users: await access.listUsers(me(request.principal)) }),
  );

  app.post(
    "/api/v1/users",
    {
      config: { access: "admin" },
      schema: {
        tags: ["access"],
        summary: "Add a user (a role at most the caller's)",
        body: newUserSchema,
        response: withErrors({ 201: z.object({ user: userSchema }) }, 401, 403, 409),
      },
    },
    async (request, reply) => {
      const user = await access.addUser(request.body, me(request.principal));
      return reply.status(201).send({ user });
    },
  );

  app.delete(
    "/api/v1/users/:name",
    {
      config: { access: "admin" },
      schema: {
        tags: ["access"],
        summary: "Remove a user: their tokens are revoked and their logins end",
        params: z.object({ name: z.string() }),
        response: withErrors({ 200: z.object({ removed: userSchema }) }, 401, 403),
      },
    },
    async (request) => ({
      removed: await access.removeUser(request.params.name, me(request.principal)),
    }),
  );

  app.get(
    "/api/v1/tokens",
    {
      config: { access: "admin" },
      schema: {
        tags: ["access"],
        summary: "The organisation's live API tokens (never their secrets)",
        description: "With `revoked=true`, the revoked ones too (kept for the audit trail).",
        querystring: z.strictObject({ revoked: queryBoolean }),
        response: withErrors({ 200: z.object({ tokens: z.array(tokenSchema) }) }, 401, 403),
      },
    },
    async (request) => ({
      tokens: await access.listTokens(me(request.principal), request.query.revoked ?? false),
    }),
  );

  app.post(
    "/api/v1/tokens",
    {
      config: { access: "admin" },
      schema: {
        tags: ["access"],
        summary: "Create an API token: its secret is in this answer only",
        body: newTokenSchema,
        response: withErrors(
          { 201: z.object({ token: tokenSchema, secret: z.string() }) },
          401,
          403,
          409,
        ),
      },
    },
    async (request, reply) => {
      const { expiresInDays, ...input } = request.body;
      const created = await access.createToken(
        { ...input, expiresInMs: expiresInDays === undefined ? undefined : expiresInDays * DAY_MS },
        me(request.principal),
      );
      return reply.status(201).send(created);
    },
  );

  app.delete(
    "/api/v1/tokens/:id",
    {
      config: { access: "admin" },
      schema: {
        tags: ["access"],
        summary: "Revoke an API token (by id or name)",
        params: z.object({ id: z.string() }),
        response: withErrors({ 200: z.object({ revoked: tokenSchema }) }, 401, 403),
      },
    },
    async (request) => ({
      revoked: await access.revokeToken(request.params.id, me(request.principal)),
    }),
  );

  app.get(
    "/api/v1/audit",
    {
      config: { access: "admin" },
      schema: {
        tags: ["access"],
        summary: "The audit trail: every state-changing call, newest first",
        querystring: auditQuery,
        response: withErrors({ 200: z.object({ entries: z.array(auditEntrySchema) }) }, 401, 403),
      },
    },
    async (request) => {
      const principal = me(request.principal);
      const org = principal.kind === "local" ? undefined : principal.org;
      return { entries: await ctx.store.access.listAudit({ ...request.query, org }) };
    },
  );
}

function setLoginCookie(request: FastifyRequest, reply: FastifyReply, cookie: string): void {
  const secure = request.protocol === "https" ? "; Secure" : "";
  void reply.header(
    "set-cookie",
    `${LOGIN_COOKIE}=${cookie}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${LOGIN_TTL_MS / 1000}${secure}`,
  );
}
