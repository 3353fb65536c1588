import { createRedactor, redactDeep } from "../core/redact.js";
import { errorMessage } from "../core/errors.js";
import type { ReadinessDeps, ReadinessFinding, ReadinessStatus } from "./check.js";
import type { PlannedComponent } from "./plan.js";
import { urlPassword } from "./redact.js";
import { resolveOverall, resolveScore } from "./score.js";

/** One component's verdict in a report. */
export interface ReadinessResult {
  name: string;
  check: string;
  title: string;
  /** What was checked, without credentials. */
  target: string;
  /** `readiness.components[N]` or `built-in`. */
  source: string;
  weight: number;
  status: ReadinessStatus;
  summary: string;
  evidence: NonNullable<ReadinessFinding["evidence"]>;
  fix?: string;
}

/**
 * A readiness report. Everything but `timings` is stable from run to run on an
 * unchanged system (results sorted by name, no clock readings), so two
 * reports' JSON or Markdown diff to what changed; `timings` holds the clock.
 */
export interface ReadinessReport {
  /** 0-100, see readiness/score.ts. */
  score: number;
  status: "pass" | "warn" | "fail";
  counts: Record<ReadinessStatus, number>;
  results: ReadinessResult[];
  timings: {
    generatedAt: string;
    durationMs: number;
    /** Per component: its `durationMs` and what its check measured. */
    components: Record<string, Record<string, number>>;
  };
}

export interface RunReadinessOptions {
  signal?: AbortSignal;
  /** Called once before the checks start, with the components' names (for progress). */
  onStart?: (names: string[]) => void;
  /** Called as each component finishes (for progress). */
  onResult?: (result: ReadinessResult, done: number, total: number) => void;
}

/**
 * Runs every planned component at once, each within its `timeout` (past it:
 * `fail`, and its work is aborted). Never throws for what a check finds or
 * for a check that throws. Secrets the components reference (`*Env`
 * variables, URL passwords, gateway tokens) are masked in the report.
 */
export async function runReadiness(
  plan: readonly PlannedComponent[],
  deps: ReadinessDeps,
  options: RunReadinessOptions = {},
): Promise<ReadinessReport> {
  const started = performance.now();
  const secrets: string[] = [];
  for (const { config } of plan) {
    for (const [key, value] of Object.entries(config)) {
      if (key.endsWith("Env") && typeof value === "string" && deps.env[value])
        secrets.push(deps.env[value]);
      const password = urlPassword(value);
      if (password) secrets.push(password);
    }
  }
  const password = urlPassword(deps.config.database.url) ?? urlPassword(deps.config.redis.url);
  if (password) secrets.push(password);
  options.onStart?.(plan.map((p) => p.name));
  let done = 0;
  const timed = await Promise.all(
    plan.map(async (component) => {
      const one = await runOne(component, deps, options.signal);
      const redact = createRedactor([...secrets, ...one.secrets]);
      const result = redactDeep(one.result, redact);
      done += 1;
      options.onResult?.(result, done, plan.length);
      return { result, timings: one.timings };
    }),
  );
  timed.sort((a, b) => a.result.name.localeCompare(b.result.name));
  const results = timed.map((t) => t.result);
  const counts = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const r of results) counts[r.status] += 1;
  return {
    score: resolveScore(results),
    status: resolveOverall(results),
    counts,
    results,
    timings: {
      generatedAt: new Date(deps.now()).toISOString(),
      durationMs: Math.round(performance.now() - started),
      components: Object.fromEntries(timed.map((t) => [t.result.name, t.timings])),
    },
  };
}

async function runOne(
  component: PlannedComponent,
  deps: ReadinessDeps,
  outer: AbortSignal | undefined,
): Promise<{ result: ReadinessResult; timings: Record<string, number>; secrets: string[] }> {
  const { check, config } = component;
  const controller = new AbortController();
  const abortOuter = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", abortOuter, { once: true });
  const started = performance.now();
  const secrets: string[] = [];
  // A gateway's token is a secret the component does not name: collect it as the check resolves it.
  const lent: ReadinessDeps = {
    ...deps,
    gatewayTarget: async (bot) => {
      const target = await deps.gatewayTarget(bot);
      secrets.push(target.token);
      return target;
    },
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessFinding>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error("timed out"));
      resolve({
        status: "fail",
        summary: `no answer within ${config.timeout} ms`,
        fix: `the component is too slow or hangs: check it; or raise its timeout in clawops.yaml (${component.source})`,
      });
    }, config.timeout);
  });
  let finding: ReadinessFinding;
  try {
    finding = await Promise.race([
      check.run(config, lent, controller.signal).catch((error: unknown): ReadinessFinding => ({
        status: "fail",
        summary: controller.signal.aborted ? "aborted" : `the check failed: ${errorMessage(error)}`,
        fix: "see the message",
      })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener("abort", abortOuter);
    controller.abort();
  }
  let target: string;
  try {
    target = check.target(config, deps);
  } catch {
    target = "";
  }
  return {
    result: {
      name: component.name,
      check: check.id,
      title: check.title,
      target,
      source: component.source,
      weight: config.weight,
      status: finding.status,
      summary: finding.summary,
      evidence: finding.evidence ?? {},
      ...(finding.fix && finding.status !== "pass" ? { fix: finding.fix } : {}),
    },
    timings: { durationMs: Math.round(performance.now() - started), ...(finding.timings ?? {}) },
    secrets,
  };
}
