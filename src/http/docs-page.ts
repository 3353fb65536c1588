import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** What the reference page is given (`@fastify/swagger-ui`'s options, those clawops sets). */
export interface DocsPageOptions {
  uiConfig: Record<string, unknown>;
  staticCSP: string;
}

/** Headers of the page's own answer that belong to its connection, not to the answer. */
const CONNECTION_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "date"]);

/**
 * Serves the reference page (`@fastify/swagger-ui`) at `prefix`, built on its first request
 * rather than when the daemon starts: the plugin and the static-file server under it are
 * ~1.3 MB of heap and their code, for a page most daemons never show. It runs in a Fastify
 * instance of its own over `app`'s OpenAPI document; each request reaches it through
 * `inject` after `app`'s hooks (host guard, request id, metrics) ran as for any route, and
 * what it does not have answers through `app`'s not-found handler, as before.
 */
export function registerDocsPage(
  app: FastifyInstance,
  prefix: string,
  options: DocsPageOptions,
): void {
  let page: Promise<FastifyInstance> | null = null;
  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    // A page that failed to build is tried again by the next request.
    page ??= buildPage(app, prefix, options).catch((error: unknown) => {
      page = null;
      throw error;
    });
    const answer = await (
      await page
    ).inject({
      method: request.method as "GET" | "HEAD",
      url: request.url,
      headers: request.headers,
    });
    if (answer.statusCode === 404) return reply.callNotFound();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !CONNECTION_HEADERS.has(name)) void reply.header(name, value);
    }
    return reply.code(answer.statusCode).send(answer.rawPayload);
  };
  for (const url of [prefix, `${prefix}/*`]) app.get(url, { schema: { hide: true } }, forward);
}

async function buildPage(
  app: FastifyInstance,
  prefix: string,
  options: DocsPageOptions,
): Promise<FastifyInstance> {
  const [{ default: Fastify }, { default: swagger }, { default: swaggerUi }] = await Promise.all([
    import("fastify"),
    import("@fastify/swagger"),
    import("@fastify/swagger-ui"),
  ]);
  const page = Fastify({ logger: false });
  // The document as `app` serves it at /api/openapi.json (built once, on first use).
  await page.register(swagger, {
    mode: "static",
    specification: { document: app.swagger() as never },
  });
  await page.register(swaggerUi, { routePrefix: prefix, ...options });
  await page.ready();
  return page;
}
