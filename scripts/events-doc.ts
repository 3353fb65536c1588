/**
 * Writes docs/events.md from the event catalogue (src/core/events.ts):
 *
 *   npm run docs:events
 *
 * src/core/events.test.ts fails when the committed page differs from what
 * this renders, so the page cannot drift from the schemas.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import { z } from "zod";
import { EVENT_CATALOGUE, EVENT_TYPES } from "../src/core/events.js";
import { START_FAILURES } from "../src/core/start-failure.js";

interface JsonSchema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
}

export const EVENTS_DOC = path.resolve(fileURLToPath(import.meta.url), "../../docs/events.md");

/** The page, formatted as `npm run lint` wants it. */
export async function renderEventsDoc(): Promise<string> {
  const options = await resolveConfig(EVENTS_DOC);
  return format(renderMarkdown(), { ...options, parser: "markdown" });
}

function renderMarkdown(): string {
  const out = [
    "# Events",
    "",
    "<!-- Generated from src/core/events.ts by `npm run docs:events`; do not edit by hand. -->",
    "",
    "Every change clawops makes or sees is an event: gateway state changes, checks that tripped,",
    "repairs, registry changes, the daemon's start and stop. In-process consumers (repair,",
    "notifiers) get each event as it is published; the store keeps them (`clawops events`,",
    "`GET /api/v1/events`), and webhooks, the realtime API and scripts read the same shapes.",
    "",
    "Each event has the same envelope:",
    "",
    "| field | type | meaning |",
    "|---|---|---|",
    "| `id` | integer | the store's id, increasing (stored events only) |",
    "| `ts` | string | ISO 8601 time, UTC, when it was published |",
    "| `type` | string | one of the types below |",
    "| `version` | integer | the version of the type's schema it was published with |",
    "| `botId` | string or null | the bot it concerns |",
    "| `actor` | string | who or what caused it: `cli`, `api`, `daemon`, `supervisor`, `repair`, `config`; a request through the API adds its request id (`cli#<id>`, `api#<id>`) |",
    "| `data` | object | the type's fields, below |",
    "",
    "Versioning: a type's `data` only gains optional fields within a version. Removing or",
    "renaming a field, or changing its type or meaning, is a new version of that type; events",
    "keep the version they were written with, so history stays readable.",
    "",
  ];
  for (const type of EVENT_TYPES) {
    const spec = EVENT_CATALOGUE[type];
    const schema = z.toJSONSchema(spec.data, { io: "input" }) as JsonSchema;
    out.push(`## \`${type}\` (version ${spec.version})`, "", spec.summary, "");
    out.push(SCOPES[spec.scope], "");
    if ("stored" in spec && spec.stored === false)
      out.push("Delivered live only: the event log does not keep it.", "");
    out.push("| field | type | required | meaning |", "|---|---|---|---|");
    out.push(...fieldRows(schema, ""), "");
  }
  out.push(
    "## Failed starts: `failure.kind`",
    "",
    "A start that fails before a gateway process runs says why as a kind, in the `failure` of its",
    "`gateway.state` event (to `failed`, or to `crashed` for the kinds that are retried):",
    "",
    "| kind | meaning |",
    "|---|---|",
    ...Object.entries(START_FAILURES).map(([kind, meaning]) => `| \`${kind}\` | ${meaning} |`),
  );
  return `${out.join("\n").trimEnd()}\n`;
}

const SCOPES = {
  bot: "Concerns one bot (`botId` is set).",
  fleet: "Concerns no bot (`botId` is null).",
  either: "Concerns one bot, or the whole fleet (`botId` null).",
};

function fieldRows(schema: JsonSchema, prefix: string): string[] {
  const required = new Set(schema.required ?? []);
  const rows: string[] = [];
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const key = `${prefix}${name}`;
    rows.push(
      `| \`${key}\` | ${typeOf(field)} | ${required.has(name) ? "yes" : "no"} | ${field.description ?? nested(field)?.description ?? ""} |`,
    );
    const inner = nested(field);
    if (inner?.properties) rows.push(...fieldRows(inner, `${key}.`));
  }
  return rows;
}

/** The object inside a field that may also be null. */
function nested(field: JsonSchema): JsonSchema | undefined {
  if (field.properties) return field;
  return field.anyOf?.find((s) => s.properties);
}

function typeOf(field: JsonSchema): string {
  if (field.anyOf) return field.anyOf.map(typeOf).join(" or ");
  if (field.const !== undefined) return `\`${JSON.stringify(field.const)}\``;
  if (field.enum) return field.enum.map((v) => `\`${String(v)}\``).join(", ");
  if (field.type === "array") return `array of ${field.items ? typeOf(field.items) : "values"}`;
  if (Array.isArray(field.type)) return field.type.join(" or ");
  return field.type ?? "any";
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(EVENTS_DOC, await renderEventsDoc());
  console.log(`wrote ${path.relative(process.cwd(), EVENTS_DOC)}`);
}
