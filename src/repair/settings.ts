import { z } from "zod";
import { duration } from "../core/duration.js";
import { ACTION_NAMES } from "./actions/index.js";

const aiSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** OpenAI-compatible base URL, e.g. `http://127.0.0.1:11434/v1` (the planner POSTs `<url>/chat/completions`). */
    url: z.url({ protocol: /^https?$/ }).optional(),
    /** Any chat model the endpoint serves (Qwen, Llama, GPT, ...). */
    model: z.string().min(1).optional(),
    /** The endpoint's key comes from this environment variable (never from clawops.yaml). */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .default("CLAWOPS_AI_API_KEY"),
    timeout: duration("60s"),
    /** The longest plan accepted; a longer one is rejected whole. */
    maxActions: z.number().int().min(1).max(20).default(5),
    /** Gateway log lines sent as context (after redaction). */
    logLines: z.number().int().min(0).max(500).default(80),
  })
  .prefault({})
  .superRefine((ai, ctx) => {
    if (!ai.enabled) return;
    for (const key of ["url", "model"] as const) {
      if (!ai[key])
        ctx.addIssue({ code: "custom", path: [key], message: `required when ai.enabled is true` });
    }
  });

/** `repair` in clawops.yaml. */
export const repairConfigSchema = z
  .strictObject({
    /** Repair automatically on the supervisor's events; manual repairs work either way. */
    enabled: z.boolean().default(true),
    /** Plan and record, but change nothing (also per request: `clawops repair --dry-run`). */
    dryRun: z.boolean().default(false),
    budget: z
      .strictObject({
        /** Automatic repairs per bot per hour; the next trigger starts a cooldown. */
        maxPerHour: z.number().int().min(1).max(1000).default(3),
        cooldown: duration("30m"),
      })
      .prefault({}),
    /** The actions a repair (and the AI planner) may use. */
    allowlist: z
      .array(z.enum(ACTION_NAMES))
      .default([...ACTION_NAMES])
      .refine((names) => new Set(names).size === names.length, { error: "duplicate action" }),
    /** Kill a process on a bot's port that is not an OpenClaw gateway of the bot's state dir. */
    killForeignListeners: z.boolean().default(false),
    /** A gateway degraded (not ready) for this long is repaired. */
    readinessGrace: duration("5m"),
    /** Restart a gateway whose memory check warns (supervisor.checks.rss). */
    restartOnMemory: z.boolean().default(true),
    /** How long a repair waits for a relaunch the supervisor has under way (a start itself is bounded by supervisor.startTimeout). */
    verifyTimeout: duration("3m"),
    ai: aiSchema,
  })
  .prefault({});

export type RepairSettings = z.output<typeof repairConfigSchema>;
