import { readFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { z } from "zod";
import { OpsError } from "../core/errors.js";
import { duration } from "../core/duration.js";

/**
 * A load scenario is data: how many virtual users (one protocol connection
 * each), what each sends and how fast. The built-in ones are the shapes the
 * product documents ask for; `--scenario FILE` reads the same schema from
 * YAML or JSON.
 */

export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().default(""),
    /** Virtual users at the peak; each holds one connection. */
    users: z.number().int().min(1),
    /** Messages each user sends; null: until the ramp (or --max-duration) ends. 0: connect only. */
    messages: z.number().int().nonnegative().nullable().default(1),
    /** A user's pause between a reply and its next message. */
    think: duration("0ms"),
    /** Messages a user keeps in flight at once (rapid fire: many). */
    inflight: z.number().int().min(1).default(1),
    /** Each user talks in one session of its own, or each message opens a session of its own. */
    sessions: z.enum(["per-user", "per-message"]).default("per-user"),
    /** The message's size in bytes (padded with prose); 0: a short prompt. */
    payloadBytes: z
      .number()
      .int()
      .nonnegative()
      .max(4 * 1024 * 1024)
      .default(0),
    /** A user drops its connection and connects again after every N messages (0: never). */
    reconnectEvery: z.number().int().nonnegative().default(0),
    /** Users start spread over `up`, all stay for `hold`, then stop spread over `down`. */
    ramp: z
      .object({ up: duration("0ms"), hold: duration("0ms"), down: duration("0ms") })
      .strict()
      .optional(),
    /** Connections stay open this long after a user's last message (connection scale). */
    hold: duration("0ms"),
    /** Budget from chat.send to the turn's final frame. */
    replyTimeout: duration("2m"),
    connectTimeout: duration("15s"),
    /** What is said; `{n}` becomes the message's number. */
    prompt: z.string().min(1).default("Load test message {n}: reply with one short sentence."),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.messages === null && !s.ramp) {
      ctx.addIssue({
        code: "custom",
        path: ["messages"],
        message: "messages: null (send until the end) needs a ramp that says when the end is",
      });
    }
  });

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

/** The shapes the product documents name, smallest first. */
const BUILT_IN: readonly ScenarioInput[] = [
  { name: "smoke", description: "1 user, 3 messages: is the path alive", users: 1, messages: 3 },
  { name: "10x10", description: "10 users x 10 messages each", users: 10, messages: 10 },
  { name: "50x5", description: "50 users x 5 messages each", users: 50, messages: 5 },
  {
    name: "rapid-fire",
    description: "1 user fires 100 messages without waiting, each in a session of its own",
    users: 1,
    messages: 100,
    inflight: 100,
    sessions: "per-message",
  },
  {
    name: "large-payload",
    description: "5 users x 3 messages of 12 KB (over the 10 KB the documents name)",
    users: 5,
    messages: 3,
    payloadBytes: 12_000,
  },
  {
    name: "reconnect-storm",
    description: "50 users reconnect after every message, all at once",
    users: 50,
    messages: 4,
    reconnectEvery: 1,
  },
  {
    name: "ramp",
    description: "up to 20 users over 1 min, hold 2 min, down over 1 min, a message every 2 s each",
    users: 20,
    messages: null,
    think: "2s",
    ramp: { up: "1m", hold: "2m", down: "1m" },
  },
  {
    name: "connections",
    description: "1,000 idle connections held for 10 s (connection scale; no chat)",
    users: 1_000,
    messages: 0,
    hold: "10s",
  },
];

export const BUILT_IN_SCENARIOS: ReadonlyMap<string, Scenario> = new Map(
  BUILT_IN.map((s) => [s.name, scenarioSchema.parse(s)]),
);

/**
 * A built-in scenario by name, or one read from a YAML/JSON file; `overrides`
 * (from the command line) replace its fields before it is checked. Throws an
 * OpsError naming the file and the field when it is not a valid scenario.
 */
export function resolveScenario(
  nameOrFile: string,
  overrides: Partial<ScenarioInput> = {},
): Scenario {
  const builtIn = BUILT_IN.find((s) => s.name === nameOrFile);
  let input: unknown;
  let source: string;
  if (builtIn) {
    input = builtIn;
    source = `built-in scenario ${nameOrFile}`;
  } else if (/\.(ya?ml|json)$/i.test(nameOrFile)) {
    source = path.resolve(nameOrFile);
    let text: string;
    try {
      text = readFileSync(source, "utf8");
    } catch (error) {
      throw new OpsError(
        "CONFIG_INVALID",
        `cannot read scenario file ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    try {
      input = YAML.parse(text);
    } catch (error) {
      throw new OpsError(
        "CONFIG_INVALID",
        `${source} is not YAML or JSON: ${(error as Error).message}`,
      );
    }
  } else {
    throw new OpsError(
      "USAGE",
      `no scenario named ${nameOrFile}: use one of ${[...BUILT_IN_SCENARIOS.keys()].join(", ")}, or a .yaml/.json file`,
    );
  }
  const merged = { ...(input as object), ...definedOnly(overrides) };
  const parsed = scenarioSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new OpsError(
      "CONFIG_INVALID",
      `${source}: ${issue.path.join(".") || "<root>"}: ${issue.message}`,
      {
        details: {
          issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
        },
      },
    );
  }
  return parsed.data;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The most connections the scenario holds at once (a reconnect closes before it opens). */
export function peakConnections(scenario: Scenario): number {
  return scenario.users;
}

/** The messages the scenario sends in all; null when it sends until its ramp ends. */
export function plannedMessages(scenario: Scenario): number | null {
  return scenario.messages === null ? null : scenario.users * scenario.messages;
}

/** The scenario's own length when it is ramped, else null (it ends when its users are done). */
export function rampLengthMs(scenario: Scenario): number | null {
  const r = scenario.ramp;
  return r ? r.up + r.hold + r.down : null;
}
