import type { Logger } from "pino";
import { z } from "zod";
import { duration } from "../core/duration.js";
import { errorMessage, type Issue } from "../core/errors.js";
import type { OpsControl } from "../core/notification.js";
import { createHub, type HubEntry, type NotificationHub } from "./hub.js";
import type { NotifierPlugin } from "./notifier.js";
import { telegram } from "./telegram/index.js";
import { webhook } from "./webhook.js";

export type { NotificationHub, NotifierHealth } from "./hub.js";
export type { Notifier, NotifierDeps, NotifierPlugin } from "./notifier.js";

/** The concrete plugins, as a tuple so the config union keeps each one's type. */
const PLUGINS = [telegram, webhook] as const;

/** Every kind of notifier, in one place; the config schema and the factory come from here. */
export const NOTIFIERS: readonly NotifierPlugin[] = PLUGINS;

type Schemas<T extends readonly { schema: unknown }[]> = { [K in keyof T]: T[K]["schema"] };

const notifierConfigSchema = z.discriminatedUnion(
  "type",
  PLUGINS.map((plugin) => plugin.schema) as unknown as Schemas<typeof PLUGINS>,
);

/** The `notify` section of clawops.yaml. */
export const notifyConfigSchema = z
  .strictObject({
    /** The same `dedupeKey` within this window is sent once. */
    dedupeWindow: duration("10m"),
    /** Per bot (notifications about no bot share the "fleet" budget). */
    rateLimit: z
      .strictObject({
        count: z.number().int().min(1).default(6),
        window: duration("10m"),
      })
      .prefault({}),
    notifiers: z.array(notifierConfigSchema).default([]),
  })
  .prefault({});

export type NotifyConfig = z.output<typeof notifyConfigSchema>;
export type NotifierConfig = z.output<typeof notifierConfigSchema>;

export interface NotificationHubDeps {
  log: Logger;
  /** What a notifier's chat commands act on: the bots of `org`, or every bot when it is unset. */
  control: (org: string | undefined) => OpsControl;
  /** The organisation of a bot, by name (null when unknown: it then counts as the fleet's). */
  botOrg: (name: string) => string | null;
  /** The organisation of notifications about no bot (or an unknown one). */
  fleetOrg: string;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
}

/**
 * Builds every configured notifier behind one hub. Never throws: a notifier
 * that cannot work (a token that is not set) reports it through `issues()`.
 */
export function createNotificationHub(
  config: NotifyConfig,
  deps: NotificationHubDeps,
): NotificationHub {
  const now = deps.now ?? Date.now;
  const env = deps.env ?? process.env;
  const issues: Issue[] = [];
  const entries: HubEntry[] = [];
  const names = uniqueNames(config.notifiers);
  config.notifiers.forEach((notifierConfig, index) => {
    const path = `notifiers[${index}]`;
    const name = names[index]!;
    const plugin = NOTIFIERS.find((p) => p.type === notifierConfig.type);
    if (!plugin) {
      issues.push({ path: `${path}.type`, message: `unknown notifier type`, severity: "error" });
      return;
    }
    try {
      const notifier = plugin.create(notifierConfig, {
        log: deps.log.child({ notifier: name }),
        control: deps.control(notifierConfig.org),
        env,
        now,
        name,
      });
      entries.push({ type: plugin.type, path, notifier, org: notifierConfig.org });
    } catch (error) {
      issues.push({ path, message: `cannot start: ${errorMessage(error)}`, severity: "error" });
    }
  });
  return createHub(
    entries,
    {
      dedupeWindowMs: config.dedupeWindow,
      rateLimit: { count: config.rateLimit.count, windowMs: config.rateLimit.window },
    },
    {
      log: deps.log,
      now,
      issues,
      orgOf: (n) => (n.bot === null ? null : deps.botOrg(n.bot)) ?? deps.fleetOrg,
    },
  );
}

/** `name`, else the type; a repeated one gets `-2`, `-3`, ... so health and logs tell them apart. */
function uniqueNames(configs: readonly NotifierConfig[]): string[] {
  const used = new Set<string>();
  return configs.map((config) => {
    const base = config.name ?? config.type;
    let name = base;
    for (let n = 2; used.has(name); n += 1) name = `${base}-${n}`;
    used.add(name);
    return name;
  });
}
