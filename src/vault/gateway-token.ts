import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { Bot } from "../core/bot.js";
import { OpsError, errorMessage, isOpsError } from "../core/errors.js";
import type { GatewayInstance } from "../core/gateway-state.js";
import { applyConfigEdits, isRecord } from "../doctor/config-document.js";
import { backupFile } from "../doctor/fix.js";
import type { EventBus } from "../events/bus.js";
import { requireBot } from "../fleet/registry.js";
import {
  envReference,
  jsonPointerKeys,
  readOpenClawConfig,
  secretProviderFiles,
} from "../gateway/openclaw-config.js";
import type { Store } from "../store/store.js";
import { writeFileAtomic } from "../system/files.js";
import type { Vault } from "./vault.js";

/** The vault record that keeps a bot's gateway token. */
export const gatewayTokenRecord = (bot: string) => `gateway-token/${bot}`;

/** 256 random bits as 64 hex characters (OpenClaw's audit wants 24 or more). */
const TOKEN_BYTES = 32;

/** Where a gateway reads its shared token from, as far as clawops can write it. */
export type TokenHome =
  /** A plain `gateway.auth.token` in the config. */
  | { kind: "config"; file: string }
  /** A file SecretRef: a `singleValue` file, or a JSON file at `pointer`. */
  | { kind: "file"; file: string; json: boolean; pointer: string };

/** The gateway states whose process must restart to take a new token. */
const RESTART_STATES: ReadonlySet<GatewayInstance["state"]> = new Set([
  "starting",
  "running",
  "degraded",
]);

export interface TokenRotationDeps {
  store: Store;
  bus: EventBus;
  vault: Vault;
  supervisor: {
    instance(botId: string): Promise<GatewayInstance | null>;
    restart(
      nameOrId: string,
      actor: string,
      options: { reason: string; keepDesired: boolean },
    ): Promise<GatewayInstance>;
  };
  /** The environment the bot's gateway gets (`gatewayEnv`): file refs may name `~`. */
  envFor(bot: Bot): NodeJS.ProcessEnv;
  now?: () => Date;
}

/** What a rotation did; never the token. */
export interface TokenRotation {
  bot: Bot;
  /** The vault record holding the new token. */
  record: string;
  /** The new token MASKED: `…` and its last 4 characters, enough to tell two tokens apart. */
  token: string;
  /** The file the gateway reads it from, and what it is. */
  written: { kind: TokenHome["kind"]; file: string };
  /** The config's copy from before (mode 600), when the config itself was edited. */
  backup: string | null;
  /** True when the gateway was running and was restarted (drain-safe) to take it. */
  restarted: boolean;
  gateway: GatewayInstance | null;
}

/**
 * Issues a new gateway token for a bot: sealed in the vault first (a vault
 * without a usable key stops here, before anything of the gateway changes),
 * then written where the gateway reads it (a plain config value after a
 * backup, or the private file its SecretRef names), then, when the gateway
 * runs, a restart through the supervisor (which drains chat turns first).
 * clawops's own clients read the token from the config at each connection,
 * so they follow. Publishes `bot.token_rotated` (without the token).
 */
export async function rotateGatewayToken(
  deps: TokenRotationDeps,
  nameOrId: string,
  actor: string,
): Promise<TokenRotation> {
  const bot = await requireBot(deps.store, nameOrId);
  const home = locateGatewayToken(bot.configPath, deps.envFor(bot));
  const token = randomBytes(TOKEN_BYTES).toString("hex");
  const record = gatewayTokenRecord(bot.name);
  const text = renderTokenFile(home, token);
  // Asked before anything is written: a caller that cannot restart a live gateway refuses here.
  const before = await deps.supervisor.instance(bot.id);
  await deps.vault.put(record, token);
  const backup = writeTokenFile(home, text, deps.now?.() ?? new Date());
  let gateway = before;
  const restart = before !== null && RESTART_STATES.has(before.state);
  if (restart) {
    try {
      gateway = await deps.supervisor.restart(bot.id, actor, {
        reason: "gateway token rotated",
        keepDesired: true,
      });
    } catch (error) {
      await publish(deps, bot, actor, { record, written: home.kind, restarted: false });
      throw new OpsError(
        isOpsError(error) ? error.code : "INTERNAL",
        `the new token of ${bot.name} is written (${home.file}) and kept in the vault as ${record}, but the restart failed: ${errorMessage(error)}; the running gateway keeps the old token until "clawops bot restart ${bot.name}"`,
        { details: { record, written: home.file, backup } },
      );
    }
  }
  await publish(deps, bot, actor, { record, written: home.kind, restarted: restart });
  return {
    bot,
    record,
    token: `…${token.slice(-4)}`,
    written: { kind: home.kind, file: home.file },
    backup,
    restarted: restart,
    gateway,
  };
}

/**
 * Where the gateway of `configPath` reads its token. Throws `VALIDATION`
 * naming why clawops cannot rotate it: another auth mode, no token, or a
 * token from the environment or a command (rotate it at its source).
 */
export function locateGatewayToken(configPath: string, env: NodeJS.ProcessEnv): TokenHome {
  const config = readOpenClawConfig(configPath);
  const auth = isRecord(config.gateway) ? config.gateway.auth : undefined;
  const mode = isRecord(auth) ? auth.mode : undefined;
  const raw = isRecord(auth) ? auth.token : undefined;
  const refuse = (why: string) =>
    new OpsError("VALIDATION", `cannot rotate the gateway token of ${configPath}: ${why}`, {
      issues: [{ path: "gateway.auth.token", message: why, severity: "error" }],
    });
  if (mode !== undefined && mode !== "token")
    throw refuse(`gateway.auth.mode is ${JSON.stringify(mode)}, not "token"`);
  if (typeof raw === "string" && raw !== "") {
    const variable = envReference(raw);
    if (variable)
      throw refuse(
        `the token comes from the variable ${variable}: set a new value where the gateway's environment is made (supervisor.env), or write gateway.auth.token in the config`,
      );
    return { kind: "config", file: configPath };
  }
  if (isRecord(raw) && raw.source === "file" && typeof raw.provider === "string") {
    const provider = secretProviderFiles(config, env).get(raw.provider);
    if (!provider) throw refuse(`no file provider secrets.providers.${raw.provider}`);
    const json = provider.mode !== "singleValue";
    const pointer = typeof raw.id === "string" ? raw.id : "";
    if (json && !pointer.startsWith("/")) throw refuse("the file ref's id is not a JSON pointer");
    return { kind: "file", file: provider.file, json, pointer };
  }
  if (isRecord(raw))
    throw refuse(
      `the token comes from a ${String(raw.source)} ref: rotate it at its source, or point it at a file`,
    );
  throw refuse("the config sets no gateway.auth.token");
}

/**
 * The new content of `home`'s file with `token` in it. Reads the file, writes
 * nothing: a file that cannot be read or edited fails here, before the vault
 * or the gateway change.
 */
export function renderTokenFile(home: TokenHome, token: string): string {
  if (home.kind === "config")
    return applyConfigEdits(readFileSync(home.file, "utf8"), [
      { op: "set", path: ["gateway", "auth", "token"], value: token },
    ]);
  if (!home.json) return `${token}\n`;
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(home.file, "utf8"));
  } catch (error) {
    throw new OpsError(
      "CONFIG_INVALID",
      `cannot read the token file ${home.file}: ${errorMessage(error)}`,
    );
  }
  const root = isRecord(document) ? document : {};
  const keys = jsonPointerKeys(home.pointer);
  let node = root;
  for (const key of keys.slice(0, -1)) {
    const child = node[key];
    node = isRecord(child) ? child : (node[key] = {});
  }
  node[keys.at(-1)!] = token;
  return `${JSON.stringify(root, null, 2)}\n`;
}

/**
 * Writes `text` to `home`'s file atomically. A config is backed up first (the
 * backup, returned, holds the retired token, mode 600); a token file is
 * clawops's own or a secrets file, replaced without a copy (mode 600).
 */
export function writeTokenFile(home: TokenHome, text: string, now: Date): string | null {
  if (home.kind !== "config") {
    writeFileAtomic(home.file, text, 0o600);
    return null;
  }
  const backup = backupFile(home.file, now);
  writeFileAtomic(home.file, text, statSync(home.file).mode & 0o777);
  return backup;
}

function publish(
  deps: TokenRotationDeps,
  bot: Bot,
  actor: string,
  data: { record: string; written: TokenHome["kind"]; restarted: boolean },
) {
  return deps.bus.publishAndWait({
    type: "bot.token_rotated",
    botId: bot.id,
    actor,
    data: { name: bot.name, ...data },
  });
}

/** Where a freshly provisioned gateway's token is kept besides its file. */
export interface FirstTokenCopy {
  /** The vault record with a copy; null when none was made. */
  record: string | null;
  /** Why there is no copy, in words. */
  note: string | null;
}

/**
 * Keeps a copy of a new instance's first token in the vault (`gateway-token/<bot>`,
 * as `rotate-token` does), when the config reads its token from `tokenFile`
 * and the vault's current key is there. Without a key there is no copy, and
 * the note says how one is made later; any other vault failure throws.
 */
export async function keepFirstToken(
  vault: Vault,
  bot: string,
  files: { configPath: string; tokenFile: string },
  token: string,
): Promise<FirstTokenCopy> {
  let home: TokenHome | null = null;
  try {
    home = locateGatewayToken(files.configPath, process.env);
  } catch {
    // The template takes its token elsewhere (a vault value, the environment): nothing to copy.
  }
  if (home?.kind !== "file" || path.resolve(home.file) !== path.resolve(files.tokenFile))
    return { record: null, note: "the config does not read the generated token file" };
  const record = gatewayTokenRecord(bot);
  try {
    await vault.put(record, token);
    return { record, note: null };
  } catch (error) {
    if (!isOpsError(error) || error.code !== "VAULT_KEY_MISSING") throw error;
    return {
      record: null,
      note: `no vault key (${error.message}): the token is in its file only; \`clawops bot rotate-token ${bot}\` keeps the next one in the vault`,
    };
  }
}
