import { z } from "zod";
import { duration } from "../core/duration.js";
import type { Store } from "../store/store.js";
import type { VerifyTarget } from "../verify/verify.js";

/** A check's verdict: `skip` is not scored (nothing to check, or its input is missing). */
export type ReadinessStatus = "pass" | "warn" | "fail" | "skip";

/**
 * What one check found. `evidence` holds the facts that stay the same from run
 * to run on an unchanged system (a version, a setting, an expiry date), so that
 * two reports diff cleanly; measured times go in `timings` (milliseconds).
 */
export interface ReadinessFinding {
  status: ReadinessStatus;
  /** One line: what was seen. */
  summary: string;
  evidence?: Record<string, string | number | boolean | null | string[]>;
  /** What to do about a warn or a fail. */
  fix?: string;
  timings?: Record<string, number>;
}

/**
 * The parts of clawops.yaml checks fall back on (a structural subset of
 * ClawopsConfig: the config's schema includes the checks' own).
 */
export interface HostSettings {
  dataDir: string;
  database: { url?: string | undefined };
  redis: { url?: string | undefined };
  backups: { enabled: boolean; every: number; dir?: string | undefined };
}

/** What the runner lends every check. Built by cli/ or the daemon; checks keep no state. */
export interface ReadinessDeps {
  /** Where `*Env` keys of a component are read (secrets never live in clawops.yaml). */
  env: NodeJS.ProcessEnv;
  /** Milliseconds since the epoch (injected so tests control time). */
  now: () => number;
  config: HostSettings;
  /** clawops's own store, open, for the `store` check; null when it could not be opened. */
  store: Store | null;
  /** The verify target of a registered bot (its URL, token and doctor); throws NOT_FOUND for no such bot. */
  gatewayTarget: (bot: string) => Promise<VerifyTarget>;
  /** A folder for scratch files (the spoken sample); removed after the run. */
  scratchDir: string;
}

/**
 * One kind of readiness check: its config schema (strict, defaults included;
 * `check` names it in clawops.yaml) and its protocol. Registered once in
 * `readiness/index.ts`. `run` never throws for what it finds: a component that
 * does not answer is a `fail` with the fix; it stops promptly when `signal` aborts.
 */
export interface ReadinessCheck<C = ComponentBase> {
  id: string;
  /** For people: "Redis", "TLS certificate". */
  title: string;
  /** The component's config in clawops.yaml. */
  schema: z.ZodType<C, unknown>;
  /** What it looks at, without credentials: a URL, a bot's name, a folder. */
  target(config: C, deps: Pick<ReadinessDeps, "config">): string;
  run(config: C, deps: ReadinessDeps, signal: AbortSignal): Promise<ReadinessFinding>;
}

/** The keys every component has, after parsing. */
export interface ComponentBase {
  check: string;
  name?: string | undefined;
  /** Its share of the score (see readiness/score.ts); the check's default when absent. */
  weight: number;
  /** Budget for the whole check, ms; past it the check fails as timed out. */
  timeout: number;
}

/**
 * A component's schema: `check: <id>`, an optional `name` (unique in the
 * report; the check's id by default), its `weight` and `timeout` with the
 * check's defaults, then the check's own keys.
 */
export function componentSchema<const T extends string, S extends z.ZodRawShape>(
  id: T,
  defaults: { weight: number; timeout: string },
  shape: S,
) {
  return z.strictObject({
    check: z.literal(id),
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, {
        error: "expected letters, digits, '.', '_', ':' or '-' (at most 64)",
      })
      .optional(),
    weight: z.number().min(0).max(100).default(defaults.weight),
    timeout: duration(defaults.timeout),
    ...shape,
  });
}

/** An http(s) URL in a component. */
export const httpUrl = z
  .string()
  .regex(/^https?:\/\/[^\s]+$/, { error: "expected an http:// or https:// URL" });

/** The name of an environment variable holding a secret. */
export const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an environment variable name" });

/** A check as its file declares it: typed by its schema, so that the registry's config union keeps each one's keys. */
export type DefinedCheck<S extends z.ZodType> = Omit<ReadinessCheck<z.output<S>>, "schema"> & {
  schema: S;
};

/** Declares a check (identity at run time; the types flow from `schema` to `run`'s config). */
export function defineCheck<S extends z.ZodType>(check: DefinedCheck<S>): DefinedCheck<S> {
  return check;
}

/**
 * The API key a component names in `apiKeyEnv`: `{key}` (undefined when it
 * names none), or the failed finding when the variable is not set.
 */
export function apiKeyFrom(
  apiKeyEnv: string | undefined,
  env: ReadinessDeps["env"],
): { key: string | undefined } | { missing: ReadinessFinding } {
  if (!apiKeyEnv) return { key: undefined };
  const key = env[apiKeyEnv];
  if (key) return { key };
  return {
    missing: {
      status: "fail",
      summary: `${apiKeyEnv} is not set: no API key to send`,
      fix: `export ${apiKeyEnv}=<the API key>`,
    },
  };
}
