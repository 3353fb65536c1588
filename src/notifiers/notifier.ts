import type { Logger } from "pino";
import { z } from "zod";
import type { Issue } from "../core/errors.js";
import type { Notification, OpsControl } from "../core/notification.js";

/** What every notifier gets from the hub that builds it. */
export interface NotifierDeps {
  /** Already bound to `{ notifier: <name> }`. */
  log: Logger;
  /** What chat commands act on (only notifiers that take commands use it), scoped to its `org`. */
  control: OpsControl;
  env: NodeJS.ProcessEnv;
  /** Milliseconds since the epoch; injected so tests control time. */
  now: () => number;
  /** Its unique name in this config (`name`, or the type with an index when repeated). */
  name: string;
}

/**
 * One destination for notifications. The hub calls `send` for one
 * notification at a time per notifier, so an implementation needs no queue.
 */
export interface Notifier {
  readonly name: string;
  /**
   * Delivers one notification, retrying what is worth retrying. Rejects when it
   * gave up (the hub counts and logs it); the error message must not contain secrets.
   * Stops promptly when `signal` aborts.
   */
  send(notification: Notification, signal: AbortSignal): Promise<void>;
  /** Whether this notifier wants the notification at all (a filter, not a drop). */
  accepts?(notification: Notification): boolean;
  /** Starts what listens (a command poller); resolves once started, runs until `signal` aborts. */
  start?(signal: AbortSignal): Promise<void>;
  /** Stops listening and releases connections; never rejects. */
  close?(): Promise<void>;
  /** Configuration problems found when it was built or since (a rejected token); never throws. */
  issues?(): Issue[];
}

/** The fields every notifier's config has; a plugin's schema extends this with its own. */
export function notifierSchema<const T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.strictObject({
    type: z.literal(type),
    /** How logs, health and issues call it; defaults to the type. */
    name: z.string().min(1).max(64).optional(),
    /**
     * The organisation it serves: only its bots' notifications, and chat
     * commands on its bots only. Unset: every organisation's, as for the
     * install's own operators (docs/access.md "Organisations").
     */
    org: z.string().min(1).optional(),
    ...shape,
  });
}

/**
 * A kind of notifier: its config schema (strict, defaults included) and how to
 * build one from a parsed config. Registered once in `notifiers/index.ts`.
 */
export interface NotifierPlugin<
  S extends z.ZodType<{ type: string; name?: string | undefined; org?: string | undefined }> =
    z.ZodType<{ type: string; name?: string | undefined; org?: string | undefined }>,
> {
  readonly type: string;
  readonly schema: S;
  /** Never throws for a config the schema accepted; problems surface through `issues()`. */
  create(config: z.output<S>, deps: NotifierDeps): Notifier;
}
