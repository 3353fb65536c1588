import { statSync } from "node:fs";
import path from "node:path";
import { DEFAULT_ORG } from "../core/access.js";
import { type Bot, type BotInput, MAX_PORT, botInputSchema } from "../core/bot.js";
import { realPath } from "../system/files.js";
import { findTcpListener, isSameLiveProcess } from "../system/proc.js";
import { OpsError, formatIssues } from "../core/errors.js";
import { toIssues } from "../core/validation.js";
import type { EventBus } from "../events/bus.js";
import type { NewBot, Store } from "../store/store.js";

export interface RegistryDeps {
  store: Store;
  bus: EventBus;
  dataDir: string;
  portBase: number;
  portSpacing: number;
  /** The host a bot registered here belongs to (docs/hosts.md); absent: none yet. */
  host?: string;
}

/**
 * Picks the lowest port on the `base + k * spacing` grid that keeps at least
 * `spacing` away from every taken port (the gateway derives ports above its own).
 */
export function resolveFreePort(taken: readonly number[], base: number, spacing: number): number {
  for (let port = base; port <= MAX_PORT; port += spacing) {
    if (taken.every((t) => Math.abs(t - port) >= spacing)) return port;
  }
  throw new OpsError("CONFLICT", `no free port left from ${base} in steps of ${spacing}`);
}

/** Validates user input; throws `VALIDATION` naming each bad field. */
export function parseBotInput(input: unknown): ReturnType<typeof botInputSchema.parse> {
  const parsed = botInputSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = toIssues(parsed.error);
  throw new OpsError("VALIDATION", `invalid bot:\n${formatIssues(issues)}`, { issues });
}

/** A bot to register, every default filled in (its organisation too). */
export type PlannedBot = Omit<Bot, "id" | "createdAt" | "updatedAt">;

/** Fills defaults: state dir under the data dir, config inside it, a free port. */
export function resolveNewBot(
  input: ReturnType<typeof botInputSchema.parse>,
  existing: readonly Bot[],
  deps: Pick<RegistryDeps, "dataDir" | "portBase" | "portSpacing">,
  /** Ports some other process listens on: not handed out. */
  busyPorts: readonly number[] = [],
): PlannedBot {
  const stateDir = path.resolve(input.stateDir ?? path.join(deps.dataDir, "bots", input.name));
  return {
    name: input.name,
    owner: input.owner ?? null,
    driver: input.driver,
    stateDir,
    configPath: path.resolve(input.configPath ?? path.join(stateDir, "openclaw.json")),
    port:
      input.port ??
      resolveFreePort(
        [...existing.map((b) => b.port), ...busyPorts],
        deps.portBase,
        deps.portSpacing,
      ),
    desiredState: input.desiredState,
    labels: input.labels,
    org: input.org ?? DEFAULT_ORG,
    // A bare command name stays a name (looked up on PATH when used).
    openclawBin: input.openclawBin?.includes("/")
      ? path.resolve(input.openclawBin)
      : (input.openclawBin ?? null),
  };
}

/**
 * What registering `input` would create, defaults filled in (state dir,
 * config path, a free port nothing listens on), without creating it.
 */
export async function planBot(deps: RegistryDeps, input: BotInput): Promise<PlannedBot> {
  return planAmong(deps, input, await deps.store.listBots());
}

/** `planBot` against a listing of the registry already made. */
function planAmong(deps: RegistryDeps, input: BotInput, existing: readonly Bot[]): PlannedBot {
  const parsed = parseBotInput(input);
  // A symlink to another bot's state dir is the same state dir: compare real paths.
  if (parsed.stateDir) parsed.stateDir = realPath(parsed.stateDir);
  // A port picked for the user must not be one that something already listens on.
  const busy: number[] = [];
  let resolved = resolveNewBot(parsed, existing, deps, busy);
  while (parsed.port === undefined && findTcpListener(resolved.port)) {
    busy.push(resolved.port);
    resolved = resolveNewBot(parsed, existing, deps, busy);
  }
  return resolved;
}

export interface RegisterOptions {
  /** Accept a config file that does not exist yet (`bot add --allow-missing`). */
  allowMissingConfig?: boolean;
}

/**
 * Registers a bot and records `bot.registered`. Never touches the bot's
 * files, but checks them: a state dir that is not a directory, a config that
 * is missing (unless allowed) or not a file, and a config or state dir that
 * another bot already uses are refused, naming what and whom.
 */
export async function registerBot(
  deps: RegistryDeps,
  input: BotInput,
  actor: string,
  options: RegisterOptions = {},
): Promise<Bot> {
  return registerAmong(deps, input, actor, options, await deps.store.listBots());
}

/** `registerBot` against a listing of the registry already made. */
async function registerAmong(
  deps: RegistryDeps,
  input: BotInput,
  actor: string,
  options: RegisterOptions,
  existing: readonly Bot[],
): Promise<Bot> {
  const planned = planAmong(deps, input, existing);
  checkBotPaths(planned, existing, options);
  const bot = await deps.store.createBot(
    deps.host === undefined ? planned : { ...planned, host: deps.host },
  );
  await deps.bus.publishAndWait({
    type: "bot.registered",
    botId: bot.id,
    actor,
    data: {
      name: bot.name,
      port: bot.port,
      driver: bot.driver,
      stateDir: bot.stateDir,
      org: bot.org,
    },
  });
  return bot;
}

/** The file checks of `registerBot`; throws VALIDATION or CONFLICT naming the path and the other bot. */
export function checkBotPaths(
  bot: Pick<NewBot, "name" | "stateDir" | "configPath">,
  others: readonly Bot[],
  options: RegisterOptions = {},
): void {
  const stateDir = fileKind(bot.stateDir);
  if (stateDir !== "missing" && stateDir !== "directory") {
    throw new OpsError(
      "VALIDATION",
      `state dir ${bot.stateDir} is a ${stateDir}, not a directory`,
      {
        issues: [{ path: "stateDir", message: `is a ${stateDir}`, severity: "error" }],
      },
    );
  }
  const mine = { "state dir": realPath(bot.stateDir), config: realPath(bot.configPath) };
  const refuseShared = (other: Bot, what: "state dir" | "config", theirs: string) => {
    if (mine[what] !== realPath(theirs)) return;
    throw new OpsError(
      "CONFLICT",
      `${what} ${mine[what]} is already used by bot "${other.name}": each bot needs its own ${what} (two gateways on one ${what} fight over its ${what === "config" ? "port, workspace and log file" : "database"})`,
      { details: { field: what === "config" ? "configPath" : "stateDir", bot: other.name } },
    );
  };
  for (const other of others) {
    if (other.name === bot.name) continue;
    refuseShared(other, "state dir", other.stateDir);
    refuseShared(other, "config", other.configPath);
  }
  const config = fileKind(bot.configPath);
  if (config === "missing" && !options.allowMissingConfig) {
    throw new OpsError(
      "VALIDATION",
      `config ${bot.configPath} does not exist: give the path of the gateway's openclaw.json, create a working one with "clawops bot create ${bot.name}", or pass --allow-missing to register it before it exists`,
      { issues: [{ path: "configPath", message: "does not exist", severity: "error" }] },
    );
  }
  if (config !== "missing" && config !== "file") {
    throw new OpsError("VALIDATION", `config ${bot.configPath} is a ${config}, not a file`, {
      issues: [{ path: "configPath", message: `is a ${config}`, severity: "error" }],
    });
  }
}

type FileKind = "missing" | "file" | "directory" | "special file" | "path through a file";

function fileKind(file: string): FileKind {
  try {
    const stat = statSync(file);
    return stat.isFile() ? "file" : stat.isDirectory() ? "directory" : "special file";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return "missing";
    // A folder on the way is a file: nothing can ever be created there.
    if (code === "ENOTDIR") return "path through a file";
    throw new OpsError("VALIDATION", `cannot check ${file}: ${(error as Error).message}`);
  }
}

/**
 * Finds a bot by name or id, or throws `NOT_FOUND` saying so. With `org`,
 * another organisation's bot is not found either, in the same words: its
 * existence is not revealed.
 */
export async function requireBot(store: Store, nameOrId: string, org?: string): Promise<Bot> {
  const bot = await store.findBot(nameOrId);
  if (!bot || (org !== undefined && bot.org !== org))
    throw new OpsError("NOT_FOUND", `no bot named "${nameOrId}"`, { details: { bot: nameOrId } });
  return bot;
}

/**
 * Removes a bot from the registry and records `bot.removed`. Its state dir,
 * config and logs stay where they are: clawops never deletes user data.
 */
export async function unregisterBot(
  deps: RegistryDeps,
  nameOrId: string,
  actor: string,
): Promise<Bot> {
  const bot = await requireBot(deps.store, nameOrId);
  const gateway = await deps.store.getInstance(bot.id);
  if (
    gateway?.pid &&
    gateway.pidStartTime &&
    isSameLiveProcess(gateway.pid, gateway.pidStartTime)
  ) {
    throw new OpsError(
      "CONFLICT",
      `${bot.name}'s gateway is running (pid ${gateway.pid}); stop it first (clawops bot stop ${bot.name}), or remove it with --force (API: ?force=true), which stops it, then removes it`,
      { details: { bot: bot.name, pid: gateway.pid, state: gateway.state } },
    );
  }
  await deps.store.removeBot(bot.id);
  await deps.bus.publishAndWait({
    type: "bot.removed",
    botId: bot.id,
    actor,
    data: { name: bot.name, stateDir: bot.stateDir, keptFiles: true },
  });
  return bot;
}

/** Registers or updates the bots declared in clawops.yaml (`fleet.bots`). */
export async function syncDeclaredBots(
  deps: RegistryDeps,
  declared: readonly ReturnType<typeof botInputSchema.parse>[],
): Promise<{ created: string[]; updated: string[] }> {
  const created: string[] = [];
  const updated: string[] = [];
  // One listing for the whole sync, kept current as it goes: per bot, a fleet of 100 read
  // the registry 200 times (every row of it each time) as the daemon started.
  const bots = await deps.store.listBots();
  for (const input of declared) {
    const current = bots.find((b) => b.name === input.name || b.id === input.name);
    if (!current) {
      // A declared bot may be provisioned later: its config need not exist yet.
      const options = { allowMissingConfig: true };
      bots.push(await registerAmong(deps, input, "config", options, bots));
      created.push(input.name);
      continue;
    }
    const next = resolveNewBot(input, [], { ...deps, portBase: current.port });
    checkBotPaths(next, bots, { allowMissingConfig: true });
    const patch = {
      owner: next.owner,
      driver: next.driver,
      stateDir: next.stateDir,
      configPath: next.configPath,
      port: input.port ?? current.port,
      desiredState: next.desiredState,
      labels: next.labels,
      openclawBin: next.openclawBin,
      org: next.org,
    };
    const changed = (Object.keys(patch) as (keyof typeof patch)[]).filter(
      (k) => JSON.stringify(patch[k]) !== JSON.stringify(current[k]),
    );
    if (changed.length === 0) continue;
    bots[bots.indexOf(current)] = await deps.store.updateBot(current.id, patch);
    await deps.bus.publishAndWait({
      type: "bot.updated",
      botId: current.id,
      actor: "config",
      data: { name: current.name, changed },
    });
    updated.push(input.name);
  }
  return { created, updated };
}
