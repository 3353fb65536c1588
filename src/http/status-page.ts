import { createHash } from "node:crypto";
import { z } from "zod";
import { OpsError } from "../core/errors.js";
import { memoFor } from "../core/memo.js";
import type { DaemonContext } from "../daemon/context.js";
import { PUBLIC_STATUSES } from "../fleet/health.js";
import { type StatusPage, buildStatusPage } from "../fleet/status-page.js";
import { type Api, withErrors } from "./schema.js";

/** A page is built at most this often per organisation, however often it is asked for. */
const CACHE_MS = 30_000;

const STYLE = `
:root { color-scheme: light dark; --up: #2e9d4f; --degraded: #d49b1c; --down: #c93b3b; --off: #9aa3ad; }
body { font: 15px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
.overall { padding: .6rem .9rem; border-radius: 6px; color: #fff; font-weight: 600; margin: 1rem 0 1.5rem; }
.bot { margin: 0 0 1.25rem; }
.row { display: flex; justify-content: space-between; gap: 1rem; }
.name { font-weight: 600; overflow-wrap: anywhere; }
.days { display: grid; grid-template-columns: repeat(30, 1fr); gap: 2px; margin-top: .35rem; }
.days span { height: 1.6rem; border-radius: 2px; }
.up { background: var(--up); } .degraded { background: var(--degraded); }
.down { background: var(--down); } .off { background: var(--off); }
.tag.up, .tag.degraded, .tag.down, .tag.off { background: none; }
.tag.up { color: var(--up); } .tag.degraded { color: var(--degraded); }
.tag.down { color: var(--down); } .tag.off { color: var(--off); }
small, footer { color: #778; }
footer { margin-top: 2rem; font-size: .85rem; }
`;
const POLICY = [
  "default-src 'none'",
  `style-src 'sha256-${createHash("sha256").update(STYLE).digest("base64")}'`,
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");
const WORDS = { up: "operational", degraded: "degraded", down: "down", off: "not running" };
const OVERALL = {
  up: "All bots operational",
  degraded: "Some bots degraded",
  down: "Some bots are down",
  off: "No bot is running",
};

const statusEnum = z.enum(PUBLIC_STATUSES);
const pageSchema = z
  .object({
    title: z.string(),
    generatedAt: z.string(),
    overall: statusEnum,
    bots: z.array(
      z.object({
        name: z.string(),
        status: statusEnum,
        uptime: z.number().nullable(),
        days: z.array(z.object({ date: z.string(), status: statusEnum })),
      }),
    ),
  })
  .meta({ id: "StatusPage" });

/**
 * Public status pages (docs/dashboard.md "Status page"): for each
 * organisation in `statusPages`, `/status/<org>` (HTML, no script, refreshed
 * every minute) and its JSON. No login; nothing but bot names and statuses.
 * Any other name answers 404, whether or not the organisation exists.
 */
export function statusPageRoutes(app: Api, ctx: DaemonContext) {
  const build = memoFor(CACHE_MS, (org) =>
    buildStatusPage({
      store: ctx.store,
      org,
      title: ctx.config.statusPages[org]?.title ?? org,
      instances: () => ctx.supervisor.instances(),
    }),
  );
  const pageOf = (org: string): Promise<StatusPage> => {
    if (!ctx.config.statusPages[org])
      throw new OpsError("NOT_FOUND", `no status page named "${org}"`);
    return build(org);
  };
  const params = z.object({ org: z.string().min(1).max(100) });

  app.get(
    "/api/v1/status-pages/:org",
    {
      config: { access: "public" },
      schema: {
        tags: ["status page"],
        summary:
          "An organisation's public status: bot names, status now and per UTC day for 30 days",
        params,
        response: withErrors({ 200: pageSchema }),
      },
    },
    async (request) => pageOf(request.params.org),
  );

  app.get(
    "/status/:org",
    { config: { access: "public" }, schema: { hide: true, params } },
    async (request, reply) => {
      const page = await pageOf(request.params.org);
      return reply
        .header("content-type", "text/html; charset=utf-8")
        .header("content-security-policy", POLICY)
        .header("cache-control", "no-cache")
        .send(renderPage(page));
    },
  );
}

export function renderPage(page: StatusPage): string {
  const bots = page.bots.map((bot) => {
    const uptime = bot.uptime === null ? "" : ` · ${(bot.uptime * 100).toFixed(2)} % over 30 days`;
    const days = bot.days
      .map((d) => `<span class="${d.status}" title="${d.date}: ${WORDS[d.status]}"></span>`)
      .join("");
    return `<section class="bot"><div class="row"><span class="name">${escape(bot.name)}</span><span class="tag ${bot.status}">${WORDS[bot.status]}<small>${uptime}</small></span></div><div class="days" aria-label="the last 30 days">${days}</div></section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="60"><meta name="referrer" content="no-referrer">
<title>${escape(page.title)}: status</title><style>${STYLE}</style></head>
<body><h1>${escape(page.title)}</h1>
<div class="overall ${page.overall}">${OVERALL[page.overall]}</div>
${bots.join("\n") || "<p>No bots.</p>"}
<footer>Updated ${page.generatedAt.replace("T", " ").slice(0, 16)} UTC · each bar is a UTC day, oldest first</footer>
</body></html>
`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
