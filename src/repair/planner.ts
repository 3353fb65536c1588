import { z } from "zod";
import { errorMessage } from "../core/errors.js";
import { REPAIR_ACTIONS } from "./actions/index.js";
import type { ActionName } from "./actions/index.js";
import type { RepairSettings } from "./settings.js";

/** The only shape of answer accepted from the model; anything else is rejected whole. */
const planSchema = z.strictObject({
  diagnosis: z.string().max(4_000),
  actions: z
    .array(
      z.strictObject({
        action: z.string(),
        params: z.record(z.string(), z.unknown()).default({}),
        bot: z.string().optional(),
        reason: z.string().max(1_000).optional(),
      }),
    )
    .min(1),
});

export interface PlannedStep {
  action: ActionName;
  params: Record<string, unknown>;
  reason: string;
}

export type PlanVerdict =
  { ok: true; diagnosis: string; steps: PlannedStep[] } | { ok: false; reason: string };

export interface PlanRules {
  bot: string;
  allowlist: readonly ActionName[];
  maxActions: number;
}

/**
 * Checks a model's answer: JSON of exactly the plan's shape, at most
 * `maxActions` steps, each an allowlisted action with parameters its own
 * strict schema accepts, none aimed at another bot. One bad step rejects the
 * whole plan: half a plan is not what the model meant.
 */
export function validatePlan(content: string, rules: PlanRules): PlanVerdict {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stripFence(content));
  } catch (error) {
    return { ok: false, reason: `not JSON: ${errorMessage(error)}` };
  }
  const plan = planSchema.safeParse(parsed);
  if (!plan.success) {
    const issue = plan.error.issues[0]!;
    return {
      ok: false,
      reason: `not a plan: ${issue.path.join(".") || "<root>"}: ${issue.message}`,
    };
  }
  const { actions, diagnosis } = plan.data;
  if (actions.length > rules.maxActions)
    return {
      ok: false,
      reason: `${actions.length} actions; at most ${rules.maxActions} are accepted`,
    };
  const steps: PlannedStep[] = [];
  for (const [index, step] of actions.entries()) {
    const where = `actions[${index}] (${JSON.stringify(step.action).slice(0, 80)})`;
    if (step.bot !== undefined && step.bot !== rules.bot)
      return { ok: false, reason: `${where} targets bot "${step.bot}", not "${rules.bot}"` };
    if (!(rules.allowlist as readonly string[]).includes(step.action))
      return { ok: false, reason: `${where} is not on the allowlist` };
    const name = step.action as ActionName;
    const params = REPAIR_ACTIONS[name].params.safeParse(step.params);
    if (!params.success) {
      const issue = params.error.issues[0]!;
      return {
        ok: false,
        reason: `${where} has bad parameters: ${issue.path.join(".") || "params"}: ${issue.message}`,
      };
    }
    steps.push({ action: name, params: params.data, reason: step.reason ?? "" });
  }
  return { ok: true, diagnosis, steps };
}

/** Models like to wrap JSON in a Markdown fence; only a fence around the whole answer is removed. */
function stripFence(content: string): string {
  const match = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/.exec(content);
  return match ? match[1]! : content;
}

export function planPrompt(bot: string, allowlist: readonly ActionName[], context: unknown) {
  const actions = allowlist
    .map((name) => {
      const shape = name === "wait" ? ' params: {"seconds": 1-300}' : " params: {} (no parameters)";
      return `- ${name}: ${REPAIR_ACTIONS[name].description};${shape}`;
    })
    .join("\n");
  const system = [
    "You diagnose a failed OpenClaw gateway and propose a repair plan for clawops to execute.",
    `You may only use these actions, for bot "${bot}" only:`,
    actions,
    'Answer with one JSON object and nothing else: {"diagnosis": "<what is wrong, in one paragraph>", "actions": [{"action": "<name>", "params": {}, "reason": "<why>"}]}.',
    "No shell commands, no other actions, no other bots. If nothing on the list can help, answer with a plan whose only action is wait and explain in the diagnosis.",
  ].join("\n");
  return [
    { role: "system", content: system },
    { role: "user", content: `Evidence (secrets redacted):\n${JSON.stringify(context, null, 2)}` },
  ];
}

/** Asks the configured OpenAI-compatible endpoint; the answer's text, or why there is none. */
export async function requestPlan(
  ai: RepairSettings["ai"],
  apiKey: string | undefined,
  messages: { role: string; content: string }[],
  signal: AbortSignal,
): Promise<{ content: string } | { error: string }> {
  const url = `${ai.url!.replace(/\/+$/, "")}/chat/completions`;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      },
      body: JSON.stringify({
        model: ai.model,
        messages,
        temperature: 0,
        response_format: { type: "json_object" },
      }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(ai.timeout)]),
    });
    if (!response.ok) return { error: `${url} answered HTTP ${response.status}` };
    const body = (await response.json()) as {
      choices?: { message?: { content?: unknown } }[];
    };
    const content = body.choices?.[0]?.message?.content;
    if (typeof content !== "string")
      return { error: "the answer has no choices[0].message.content" };
    return { content };
  } catch (error) {
    const name = (error as Error).name;
    if (name === "TimeoutError") return { error: `no answer from ${url} within ${ai.timeout}ms` };
    return { error: `cannot reach ${url}: ${errorMessage(error)}` };
  }
}
