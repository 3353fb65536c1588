import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

/**
 * Where `npm run build` puts the dashboard (web/vite.config.ts). The same folder from
 * `src/http/` (tests, tsx) and from `dist/http/` (the built daemon).
 */
export const DASHBOARD_DIR = fileURLToPath(new URL("../../dist/web/", import.meta.url));

/**
 * The dashboard's own files and nothing else: its script and style are files of its own
 * origin (no inline code), and it talks to its own origin only (the API, later `/ws`).
 */
const POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Mission Control at `/` (one page; it routes in the URL's fragment) and its hashed
 * files under `/assets/`, cached for good. A daemon run from a checkout that was never
 * built answers `/` with the command that builds it.
 */
export function registerDashboard(app: FastifyInstance, dir = DASHBOARD_DIR): void {
  const index = `${dir}index.html`;
  const page = existsSync(index) ? readFileSync(index, "utf8") : null;
  // In a scope of its own: the policy replaces helmet's on these answers only, and the API's
  // answers do not pay for a hook they never need.
  void app.register(async (scope) => {
    scope.addHook("onSend", async (_request, reply) => {
      void reply.header("content-security-policy", POLICY);
    });
    scope.get("/", { schema: { hide: true } }, (_request, reply) => {
      if (page === null)
        return reply
          .code(503)
          .type("text/plain; charset=utf-8")
          .send("the dashboard is not built: run npm run build in clawops's folder\n");
      return reply.type("text/html; charset=utf-8").header("cache-control", "no-cache").send(page);
    });
    if (page !== null)
      await scope.register(fastifyStatic, {
        root: `${dir}assets`,
        prefix: "/assets/",
        wildcard: true,
        index: false,
        // Names carry their content's hash: a new build is a new name.
        immutable: true,
        maxAge: "365d",
      });
    else
      scope.get("/assets/*", { schema: { hide: true } }, (_request, reply) => reply.callNotFound());
  });
}
