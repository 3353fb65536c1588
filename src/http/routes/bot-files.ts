import { z } from "zod";
import { SECRET_NAME, redactDeep } from "../../core/redact.js";
import { errorMessage } from "../../core/errors.js";
import type { DaemonContext } from "../../daemon/context.js";
import { gatewayLogFile, readLogAfter } from "../../gateway/log-file.js";
import { envReference, readOpenClawConfig } from "../../gateway/openclaw-config.js";
import { botRedactor } from "../../repair/bot-context.js";
import { scopedBot } from "../org-scope.js";
import { type Api, botParams, withErrors } from "../schema.js";

const MASK = "[REDACTED]";

const logQuery = z.strictObject({
  cursor: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .meta({ description: "the `cursor` of the previous answer; absent: the log's last lines" }),
});

const logPageSchema = z.object({
  lines: z.array(z.string()),
  cursor: z.number().int(),
  reset: z.boolean(),
  truncated: z.boolean(),
});

const configSchema = z.object({
  configFile: z.string(),
  config: z.record(z.string(), z.unknown()).nullable(),
  problem: z.string().nullable(),
});

/**
 * What a bot's gateway wrote and was given, read from its files: its log
 * (`<dataDir>/logs/<bot>.log`, paged by byte cursor) and its config. Both are
 * the gateway's raw material, masked best-effort (known secrets, secret
 * shapes, secret-named keys): a string of an unknown shape could still pass,
 * so they need the operator role, like the Telegram `/logs` command's chats.
 */
export function botFileRoutes(app: Api, ctx: DaemonContext) {
  const redactorOf = (bot: Parameters<typeof botRedactor>[0]) =>
    botRedactor(bot, ctx.config.supervisor.env, ctx.config.dataDir);

  app.get(
    "/api/v1/bots/:name/logs",
    {
      config: { access: "operator", onOwnerHost: true },
      schema: {
        tags: ["bots"],
        summary: "The gateway's log after a cursor, secrets masked (poll with the cursor)",
        params: botParams,
        querystring: logQuery,
        response: withErrors({ 200: logPageSchema }),
      },
    },
    async (request) => {
      const bot = await scopedBot(ctx, request, request.params.name);
      const page = readLogAfter(
        gatewayLogFile(ctx.config.dataDir, bot.name),
        request.query.cursor ?? null,
      );
      const redact = redactorOf(bot);
      return { ...page, lines: page.lines.map(redact) };
    },
  );

  app.get(
    "/api/v1/bots/:name/config",
    {
      config: { access: "operator", onOwnerHost: true },
      schema: {
        tags: ["bots"],
        summary: "The gateway's config with every secret masked (the doctor says what is wrong)",
        params: botParams,
        response: withErrors({ 200: configSchema }),
      },
    },
    async (request) => {
      const bot = await scopedBot(ctx, request, request.params.name);
      try {
        const config = readOpenClawConfig(bot.configPath);
        return {
          configFile: bot.configPath,
          config: redactDeep(maskSecretKeys(config), redactorOf(bot)),
          problem: null,
        };
      } catch (error) {
        // The doctor's findings say more; the message names no content (json5Problem).
        return { configFile: bot.configPath, config: null, problem: errorMessage(error) };
      }
    },
  );
}

/**
 * Every string under a secret-named key (or inside one) masked, whatever its
 * shape; a `${VAR}` reference stays (it names where the secret is, not the secret).
 */
export function maskSecretKeys<T>(value: T, key = ""): T {
  if (typeof value === "string")
    return (SECRET_NAME.test(key) && envReference(value) === null ? MASK : value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => maskSecretKeys(v, key)) as T;
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, maskSecretKeys(v, SECRET_NAME.test(k) ? k : key)]),
    ) as T;
  return value;
}
