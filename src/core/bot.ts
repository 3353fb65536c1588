import { z } from "zod";
import { ACCESS_NAME, ACCESS_NAME_HINT } from "./access.js";

export const BOT_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const DRIVERS = ["process", "adopted"] as const;
export const DESIRED_STATES = ["running", "stopped"] as const;

export type Driver = (typeof DRIVERS)[number];
export type DesiredState = (typeof DESIRED_STATES)[number];

/** The gateway's own derived ports sit above its base port, so bots are spaced apart. */
export const MIN_PORT = 1024;
export const MAX_PORT = 65535;

export const portSchema = z
  .number({ error: `expected a number from ${MIN_PORT} to ${MAX_PORT}` })
  .int({ error: `expected a number from ${MIN_PORT} to ${MAX_PORT}` })
  .min(MIN_PORT, { error: `expected a number from ${MIN_PORT} to ${MAX_PORT}` })
  .max(MAX_PORT, { error: `expected a number from ${MIN_PORT} to ${MAX_PORT}` });

export const botNameSchema = z.string().regex(BOT_NAME, {
  error:
    "expected 1-63 characters: lowercase letters, digits, '-' or '_', starting with a letter or digit",
});

const labelKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/, {
  error: "label keys are 1-63 characters of letters, digits, '.', '_', '/' or '-'",
});

/** What a user gives to register a bot; paths are resolved by the registry. */
export const botInputSchema = z
  .object({
    name: botNameSchema,
    port: portSchema.optional(),
    owner: z.string().max(200).optional(),
    driver: z.enum(DRIVERS).default("process"),
    stateDir: z.string().min(1).optional(),
    configPath: z.string().min(1).optional(),
    /** The openclaw CLI for this bot when not clawops's default (clawops.yaml `openclaw.bin`). */
    openclawBin: z.string().min(1).optional(),
    desiredState: z.enum(DESIRED_STATES).default("stopped"),
    labels: z.record(labelKey, z.string().max(200)).default({}),
    /** The organisation it belongs to (default `DEFAULT_ORG`); fixed at registration. */
    org: z.string().regex(ACCESS_NAME, { error: ACCESS_NAME_HINT }).optional(),
  })
  .strict();

export type BotInput = z.input<typeof botInputSchema>;

/**
 * What may change on a registered bot (`PATCH /api/v1/bots/{name}`, `clawops
 * bot set`): unknown fields are refused. `labels` replaces the labels; a null
 * `owner` clears it.
 */
export const botUpdateSchema = z
  .strictObject({
    port: portSchema.optional(),
    configPath: z.string().min(1).optional(),
    labels: z.record(labelKey, z.string().max(200)).optional(),
    owner: z.string().max(200).nullable().optional(),
    desiredState: z.enum(DESIRED_STATES).optional(),
  })
  .meta({ title: "bot update" });

export type BotUpdate = z.infer<typeof botUpdateSchema>;

/** The fields of a `BotUpdate` that change what the gateway process runs with: a live one is restarted. */
export const RESTART_FIELDS: readonly (keyof BotUpdate)[] = ["port", "configPath"];

/** A registered bot: one OpenClaw gateway in the fleet. */
export interface Bot {
  id: string;
  name: string;
  owner: string | null;
  driver: Driver;
  /** Absolute path of the gateway's OPENCLAW_STATE_DIR. */
  stateDir: string;
  /** Absolute path of the gateway's openclaw.json. */
  configPath: string;
  port: number;
  desiredState: DesiredState;
  labels: Record<string, string>;
  /** This bot's openclaw CLI; null means clawops's default. */
  openclawBin: string | null;
  /** The organisation it belongs to: only that organisation's principals see it (docs/access.md). */
  org: string;
  /**
   * The host whose daemon runs its gateway (docs/hosts.md); null until a
   * daemon claims it. Always set on bots read from the store.
   */
  host?: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Fields that may change on an existing bot. */
export type BotPatch = Partial<
  Pick<
    Bot,
    | "owner"
    | "driver"
    | "stateDir"
    | "configPath"
    | "port"
    | "desiredState"
    | "labels"
    | "openclawBin"
    | "org"
  >
>;
