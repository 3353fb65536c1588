import { z } from "zod";
import { duration } from "../core/duration.js";
import type { ComponentBase, ReadinessCheck } from "./check.js";
import { backups } from "./checks/backups.js";
import { gateway } from "./checks/gateway.js";
import { postgres } from "./checks/postgres.js";
import { prometheus } from "./checks/prometheus.js";
import { redis } from "./checks/redis.js";
import { store } from "./checks/store.js";
import { stt } from "./checks/stt.js";
import { tls } from "./checks/tls.js";
import { tts } from "./checks/tts.js";
import { webrtcSignalling } from "./checks/webrtc-signalling.js";

export type { ReadinessCheck, ReadinessDeps, ReadinessFinding, ReadinessStatus } from "./check.js";

/** The concrete checks, as a tuple so the config union keeps each one's type. */
const PLUGINS = [
  store,
  gateway,
  backups,
  postgres,
  redis,
  prometheus,
  tls,
  stt,
  tts,
  webrtcSignalling,
] as const;

/** Every readiness check, in one place; the `readiness.components` schema comes from here. */
export const READINESS_CHECKS: readonly ReadinessCheck[] = PLUGINS;

/** The check with this id, or undefined. */
export function readinessCheck(id: string): ReadinessCheck | undefined {
  return READINESS_CHECKS.find((c) => c.id === id);
}

type Schemas<T extends readonly { schema: unknown }[]> = { [K in keyof T]: T[K]["schema"] };

const componentConfigSchema = z.discriminatedUnion(
  "check",
  PLUGINS.map((plugin) => plugin.schema) as unknown as Schemas<typeof PLUGINS>,
);

/** `readiness` in clawops.yaml: the components of a production deployment (docs/readiness.md). */
export const readinessConfigSchema = z
  .strictObject({
    /**
     * The checks that need no declaration: the store, every registered bot's
     * gateway (unless a gateway component is declared), and backups when
     * `backups.enabled`. Off: only the declared components.
     */
    builtins: z.boolean().default(true),
    /** The daemon keeps its last report this long before `GET /api/v1/readiness` runs a new one. */
    maxReportAge: duration("5m"),
    components: z.array(componentConfigSchema).default([]),
  })
  .prefault({});

export type ReadinessConfig = z.output<typeof readinessConfigSchema>;
export type ComponentConfig = ComponentBase & Record<string, unknown>;
