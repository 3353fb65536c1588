import { z } from "zod";
import { canary } from "./canary.js";
import type { Check, CheckSettings } from "./check.js";
import { healthz } from "./healthz.js";
import { readyz } from "./readyz.js";
import { rss } from "./rss.js";
import { wsHealth } from "./ws-health.js";

/**
 * Every check the supervisor runs, in one place. Process exit is not here: it
 * is an event from the driver, immediate rather than polled.
 */
export const CHECKS: readonly Check[] = [healthz, readyz, wsHealth, rss, canary];

/** `supervisor.checks` in clawops.yaml: one entry per check, each with its defaults. */
export const checksConfigSchema = z
  .strictObject(Object.fromEntries(CHECKS.map((c) => [c.name, c.schema.prefault({})])))
  .prefault({});

export type ChecksConfig = Record<string, CheckSettings>;
