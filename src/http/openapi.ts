import swagger from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import {
  createJsonSchemaTransform,
  createJsonSchemaTransformObject,
} from "fastify-type-provider-zod";
import { z } from "zod";
import { CSRF_HEADER, LOGIN_COOKIE, accessOf } from "./auth.js";
import { SAFE_METHODS } from "./client.js";
import { registerDocsPage } from "./docs-page.js";

/** Where the OpenAPI document is served. */
export const OPENAPI_PATH = "/api/openapi.json";
/** Where the rendered API reference is served (its assets under `/api/docs/static/`). */
export const DOCS_PREFIX = "/api/docs";

/**
 * The page's Content-Security-Policy: everything from the daemon itself. Not
 * swagger-ui's default, which allows fonts and styles from any https origin,
 * images from validator.swagger.io, and `upgrade-insecure-requests` (which
 * breaks the page's assets on a daemon reached over plain HTTP by name).
 */
const DOCS_CSP =
  "default-src 'self'; base-uri 'self'; font-src 'self' data:; frame-ancestors 'self'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self'; form-action 'self'";

/**
 * zod describes a plain `z.object` answer as closed (`additionalProperties:
 * false`), but answers grow within `/api/v1` (docs/api.md): only strict
 * schemas (query strings, bodies) say that unknown keys are refused.
 */
const zodToJsonConfig = {
  override: (ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }) => {
    const def = (ctx.zodSchema as { _zod?: { def?: { type?: string; catchall?: unknown } } })._zod
      ?.def;
    if (
      def?.type === "object" &&
      def.catchall === undefined &&
      ctx.jsonSchema.additionalProperties === false
    )
      delete ctx.jsonSchema.additionalProperties;
  },
};
const zodTransform = createJsonSchemaTransform({ zodToJsonConfig });

/**
 * What each operation needs, per the route table (auth.ts `accessOf`): a
 * bearer token or the login cookie; a write also `x-clawops-client` (and,
 * with the cookie, the login's CSRF token). Public routes need nothing.
 */
const transform: typeof zodTransform = (input) => {
  const output = zodTransform(input);
  const access = accessOf(input.route);
  if (output.schema.hide || access === "public") return output;
  const write = ![input.route.method].flat().every((method) => SAFE_METHODS.has(method));
  const security: Record<string, string[]>[] = write
    ? [
        { bearerToken: [], clawopsClient: [] },
        { loginCookie: [], csrfToken: [], clawopsClient: [] },
      ]
    : [{ bearerToken: [] }, { loginCookie: [] }];
  const role = `Needs the ${access} role.`;
  const description = output.schema.description ? `${output.schema.description}\n\n${role}` : role;
  return { ...output, schema: { ...output.schema, security, description } };
};
const componentsOf = createJsonSchemaTransformObject({ zodToJsonConfig });

/**
 * The document's components, without those nothing refers to: the type
 * provider writes an input and an output variant of every schema with an
 * `id`, and most are only ever one of the two.
 */
const transformObject: typeof componentsOf = (input) => {
  const document = componentsOf(input) as {
    components?: { schemas?: Record<string, unknown> };
  } & Record<string, unknown>;
  const schemas = document.components?.schemas ?? {};
  const used = new Set<string>();
  const visit = (value: unknown) => {
    const text = JSON.stringify(value);
    for (const [, id] of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      if (id && !used.has(id)) {
        used.add(id);
        visit(schemas[id]);
      }
    }
  };
  visit(document.paths);
  const kept = Object.fromEntries(Object.entries(schemas).filter(([id]) => used.has(id)));
  return { ...document, components: { ...document.components, schemas: kept } } as ReturnType<
    typeof componentsOf
  >;
};

/**
 * Adds the OpenAPI 3.1 document, generated from every route's zod schemas,
 * at `GET /api/openapi.json`, and the reference page at `GET /api/docs`.
 * Must be registered before the routes: the document is built from the
 * routes declared after it. Both answer through the same hooks as the API
 * (host guard, request ids); the page's scripts and styles are files of the
 * `swagger-ui-dist` package, so it works without network access
 * (docs/api.md says why this page). The page is built on its first request.
 */
export function registerOpenApi(app: FastifyInstance, version: string) {
  void app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "clawops API",
        version,
        description:
          "The clawops daemon's REST API. Every error answers `{error: {code, message, issues?, details?, requestId}}`; see docs/api.md.",
      },
      components: {
        securitySchemes: {
          bearerToken: {
            type: "http",
            scheme: "bearer",
            description:
              "An API token (`clawops token create`): `clawops_<id>_<secret>`. The CLI on the daemon's host sends the local credential (docs/access.md).",
          },
          loginCookie: {
            type: "apiKey",
            in: "cookie",
            name: LOGIN_COOKIE,
            description: "Set by POST /api/v1/auth/login (HttpOnly, SameSite=Strict).",
          },
          csrfToken: {
            type: "apiKey",
            in: "header",
            name: CSRF_HEADER,
            description:
              "The login's CSRF token (the login's answer): required on writes made with the cookie.",
          },
          clawopsClient: {
            type: "apiKey",
            in: "header",
            name: "x-clawops-client",
            description:
              'Who calls: a short lowercase name ("script"; the CLI sends "cli"). Required on every POST, PATCH and DELETE (403 without it): a web page on another origin cannot send it.',
          },
        },
      },
    },
    transform,
    transformObject,
  });

  void app.register(async (scope) => {
    scope.get(
      OPENAPI_PATH,
      {
        schema: {
          hide: true,
          response: { 200: z.record(z.string(), z.unknown()) },
        },
      },
      async () => scope.swagger(),
    );
  });

  void app.register(async (scope) => {
    registerDocsPage(scope, DOCS_PREFIX, {
      // The page would otherwise send the document to validator.swagger.io for a badge.
      uiConfig: { validatorUrl: null },
      staticCSP: DOCS_CSP,
    });
  });
}
