import path from "node:path";
import {
  type Bot,
  type BotPatch,
  type BotUpdate,
  RESTART_FIELDS,
  botUpdateSchema,
} from "../core/bot.js";
import { OpsError, formatIssues, isOpsError } from "../core/errors.js";
import { type GatewayInstance, LIVE_STATES } from "../core/gateway-state.js";
import { toIssues } from "../core/validation.js";
import { describeListener, findTcpListener } from "../system/proc.js";
import {
  type RegisterOptions,
  type RegistryDeps,
  checkBotPaths,
  requireBot,
  unregisterBot,
} from "./registry.js";

/** What `changeBot` needs of the supervisor (the daemon's `Supervisor`); null without a daemon. */
export interface GatewayControl {
  instance(botId: string): Promise<GatewayInstance | null>;
  start(nameOrId: string, actor: string): Promise<GatewayInstance>;
  stop(nameOrId: string, actor: string, options?: { reason?: string }): Promise<GatewayInstance>;
  restart(
    nameOrId: string,
    actor: string,
    options?: { reason?: string; keepDesired?: boolean },
  ): Promise<GatewayInstance>;
}

export interface BotChange {
  bot: Bot;
  /** The fields that changed (none: the update asked for what already was). */
  changed: (keyof BotUpdate)[];
  /** The gateway after the change: restarted, started or stopped as the change asked; null without a daemon. */
  gateway: GatewayInstance | null;
  /** What was done to the gateway: `restarted` for a new port or config, `started`, `stopped`, or nothing. */
  gatewayAction: "restarted" | "started" | "stopped" | null;
}

/** Validates an update; throws `VALIDATION` naming each bad or unknown field. */
export function parseBotUpdate(input: unknown): BotUpdate {
  const parsed = botUpdateSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = toIssues(parsed.error);
  throw new OpsError("VALIDATION", `invalid bot update:\n${formatIssues(issues)}`, { issues });
}

/**
 * Changes a registered bot, with the checks of its registration (the config
 * path's, the port's uniqueness) and records `bot.updated`. With a daemon's
 * `control`, the gateway follows: a live gateway whose port or config
 * changed is restarted through the supervisor's restart (drained, and only
 * once the doctor's gate passes the new config: when the gate refuses, the
 * change is undone and the running gateway kept, `RESTART_REFUSED`); a new
 * desired state starts or stops it. A new port that another process listens
 * on is refused (`CONFLICT`) while the gateway is live: the restart would
 * take it down for a start that cannot bind. Files are never touched.
 */
export async function changeBot(
  deps: RegistryDeps,
  control: GatewayControl | null,
  nameOrId: string,
  input: unknown,
  actor: string,
  options: RegisterOptions & { org?: string } = {},
): Promise<BotChange> {
  const update = parseBotUpdate(input);
  const bot = await requireBot(deps.store, nameOrId, options.org);
  const patch = patchOf(update);
  const changed = (Object.keys(patch) as (keyof BotPatch & keyof BotUpdate)[]).filter(
    (k) => JSON.stringify(patch[k] ?? null) !== JSON.stringify(bot[k] ?? null),
  );
  const before = await control?.instance(bot.id);
  const live = before ? LIVE_STATES.has(before.state) : false;
  if (changed.length === 0) return { bot, changed, gateway: before ?? null, gatewayAction: null };

  if (patch.configPath !== undefined && changed.includes("configPath"))
    checkBotPaths({ ...bot, configPath: patch.configPath }, await deps.store.listBots(), options);
  if (live && patch.port !== undefined && changed.includes("port")) refuseHeldPort(patch.port);
  const next = await record(deps, bot, pick(patch, changed), changed, actor);
  if (!control) return { bot: next, changed, gateway: null, gatewayAction: null };

  const restartNeeded = changed.some((k) => RESTART_FIELDS.includes(k));
  const desired = changed.includes("desiredState") ? next.desiredState : null;
  if (live && desired === "stopped") {
    const gateway = await control.stop(bot.id, actor, { reason: "desired state set to stopped" });
    return { bot: next, changed, gateway, gatewayAction: "stopped" };
  }
  if (live && restartNeeded) {
    const reason = `registry changed (${changed.filter((k) => RESTART_FIELDS.includes(k)).join(", ")})`;
    try {
      const gateway = await control.restart(bot.id, actor, { reason, keepDesired: true });
      return { bot: next, changed, gateway, gatewayAction: "restarted" };
    } catch (error) {
      // The running gateway was kept: so is the registry entry it runs with.
      if (isOpsError(error) && error.code === "RESTART_REFUSED")
        await record(deps, next, pick(bot, changed), changed, actor);
      throw error;
    }
  }
  // A gateway the supervisor brings back by itself (backoff) reads the new entry as it starts.
  if (!live && desired === "running") {
    const gateway = await control.start(bot.id, actor);
    return { bot: next, changed, gateway, gatewayAction: "started" };
  }
  return { bot: next, changed, gateway: await control.instance(bot.id), gatewayAction: null };
}

/**
 * Unregisters a bot (its files stay). A live gateway refuses it (`CONFLICT`)
 * unless `force`: then the gateway is stopped first through `control` (the
 * daemon's supervisor, or one made for the command), drained like any stop,
 * and the bot removed once it has stopped.
 */
export async function removeBot(
  deps: RegistryDeps,
  control: GatewayControl | null,
  nameOrId: string,
  actor: string,
  options: { force?: boolean; org?: string } = {},
): Promise<{ removed: Bot; stopped: GatewayInstance | null }> {
  const bot = await requireBot(deps.store, nameOrId, options.org);
  let stopped: GatewayInstance | null = null;
  const gateway = options.force && control ? await control.instance(bot.id) : null;
  // Not only a live one: a gateway in backoff would be started again by its restart policy.
  if (control && gateway && gateway.state !== "stopped")
    stopped = await control.stop(bot.id, actor, { reason: "stopped to remove the bot" });
  return { removed: await unregisterBot(deps, bot.id, actor), stopped };
}

/** The registry's patch for an update: the config path made absolute. */
function patchOf(update: BotUpdate): BotPatch {
  const patch: BotPatch = {};
  if (update.port !== undefined) patch.port = update.port;
  if (update.configPath !== undefined) patch.configPath = path.resolve(update.configPath);
  if (update.labels !== undefined) patch.labels = update.labels;
  if (update.owner !== undefined) patch.owner = update.owner;
  if (update.desiredState !== undefined) patch.desiredState = update.desiredState;
  return patch;
}

function pick(from: BotPatch | Bot, keys: readonly (keyof BotPatch)[]): BotPatch {
  return Object.fromEntries(keys.map((k) => [k, from[k]]));
}

async function record(
  deps: RegistryDeps,
  bot: Bot,
  patch: BotPatch,
  changed: readonly string[],
  actor: string,
): Promise<Bot> {
  const next = await deps.store.updateBot(bot.id, patch);
  await deps.bus.publishAndWait({
    type: "bot.updated",
    botId: bot.id,
    actor,
    data: { name: bot.name, changed: [...changed] },
  });
  return next;
}

function refuseHeldPort(port: number): void {
  const holder = findTcpListener(port);
  if (!holder) return;
  throw new OpsError(
    "CONFLICT",
    `port ${port} is in use by ${describeListener(holder)}: the running gateway was kept on its port (a restart there could not bind)`,
    { details: { field: "port", port } },
  );
}
