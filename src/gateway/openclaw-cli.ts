import { z } from "zod";
import { OpsError, errorMessage } from "../core/errors.js";
import { type RunResult, runProcess } from "../system/run.js";
import { parseAnswer } from "./answer.js";
import type { OpenClawCommand } from "./openclaw-locate.js";

/**
 * The `openclaw` CLI, run the safe way: located explicitly (with a Node that
 * satisfies its `engines`, see openclaw-locate.ts), through execFile-style argv
 * (never a shell), a timeout on every call that kills the whole process group,
 * secrets on stdin only, and JSON answers parsed into typed results.
 */

/** The environment every CLI call gets: quiet and offline, plus the instance's own variables. */
export function openClawEnv(instance: NodeJS.ProcessEnv, base = process.env): NodeJS.ProcessEnv {
  const keep = ["PATH", "HOME", "LANG", "TZ", "TMPDIR", "USER"];
  // Filled in, not spread together: on Node 20 each spread-and-extend made new hidden
  // classes, freed only by a full GC.
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (base[k]) env[k] = base[k];
  env.OPENCLAW_NO_AUTO_UPDATE = "1";
  env.DO_NOT_TRACK = "1";
  env.OPENCLAW_DISABLE_BONJOUR = "1";
  env.NO_COLOR = "1";
  return Object.assign(env, instance);
}

export interface CliCallOptions {
  /** The instance's variables: OPENCLAW_STATE_DIR, OPENCLAW_CONFIG_PATH, HOME ... */
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  signal?: AbortSignal;
}

const validateSchema = z.looseObject({
  valid: z.boolean(),
  path: z.string().optional(),
  issues: z.array(z.looseObject({ path: z.string(), message: z.string() })).default([]),
  warnings: z.array(z.unknown()).default([]),
  error: z.looseObject({ message: z.string() }).optional(),
});

const doctorSchema = z.looseObject({
  schemaVersion: z.number(),
  ok: z.boolean(),
  checksRun: z.number().optional(),
  findings: z.array(
    z.looseObject({
      checkId: z.string(),
      severity: z.string(),
      message: z.string(),
      path: z.string().optional(),
      requirement: z.string().optional(),
      fixHint: z.string().optional(),
    }),
  ),
});

const modelsStatusSchema = z.looseObject({
  resolvedDefault: z.string().nullable().optional(),
  auth: z.looseObject({
    storePath: z.string().optional(),
    providers: z.array(
      z.looseObject({
        provider: z.string(),
        effective: z.looseObject({ kind: z.string() }).optional(),
      }),
    ),
  }),
});

const sessionsSchema = z.looseObject({
  count: z.number(),
  sessions: z.array(
    z.looseObject({
      key: z.string(),
      sessionId: z.string().optional(),
      agentId: z.string().optional(),
      updatedAt: z.number().nullable().optional(),
      inputTokens: z.number().optional(),
      outputTokens: z.number().optional(),
      totalTokens: z.number().optional(),
      model: z.string().nullable().optional(),
      modelProvider: z.string().nullable().optional(),
    }),
  ),
});

const gatewayStatusSchema = z.looseObject({
  port: z
    .looseObject({
      status: z.string().optional(),
      listeners: z
        .array(z.looseObject({ pid: z.number(), commandLine: z.string().optional() }))
        .default([]),
    })
    .optional(),
  rpc: z.looseObject({
    ok: z.boolean(),
    url: z.string().optional(),
    version: z.string().optional(),
    error: z.string().optional(),
  }),
});

/** A located CLI with one typed wrapper per command clawops uses. */
export class OpenClawCli {
  constructor(
    readonly command: OpenClawCommand,
    private readonly defaultTimeoutMs = 60_000,
  ) {}

  /** `config validate --json`: exit 1 with a JSON verdict is an answer, not a failure. */
  async configValidate(options: CliCallOptions) {
    const run = await this.run(["config", "validate", "--json"], options);
    return this.parse("config validate", run, validateSchema, [0, 1]);
  }

  /** `config schema`: the installed version's JSON Schema (~2.4 MB). */
  async configSchema(options: CliCallOptions) {
    const run = await this.run(["config", "schema"], options);
    return this.parse("config schema", run, z.record(z.string(), z.unknown()), [0]);
  }

  /** `doctor --lint --json`: read-only; exit 1 means findings at or above the threshold. */
  async doctorLint(options: CliCallOptions) {
    const run = await this.run(["doctor", "--lint", "--json"], options);
    return this.parse("doctor --lint", run, doctorSchema, [0, 1]);
  }

  /**
   * `doctor --fix --yes --non-interactive`: OpenClaw's own repair. Broad: it
   * also edits skills, cron and wizard state; run it only when an operator
   * asks by name, with a backup (see doctor/fix.ts). Returns its output.
   */
  async doctorFix(options: CliCallOptions) {
    const run = await this.run(["doctor", "--fix", "--yes", "--non-interactive"], options);
    if (run.timedOut || run.code !== 0) throw this.failure("doctor --fix", run);
    return { output: `${run.stdout}${run.stderr}`.trim(), durationMs: run.durationMs };
  }

  /**
   * `models status --json` (~2 s, offline): the providers that have a
   * credential (`auth.providers`, with where it comes from). It fails as a
   * whole when a secret reference does not resolve or a legacy auth file blocks the store.
   */
  async modelsStatus(options: CliCallOptions) {
    const run = await this.run(["models", "status", "--json"], options);
    if (run.code === 1 && !run.timedOut) {
      const answer = parseJsonOutput(run.stdout) as { error?: { message?: string } } | undefined;
      if (answer?.error?.message)
        throw new OpsError("GATEWAY_ERROR", `openclaw models status: ${answer.error.message}`);
    }
    return this.parse("models status", run, modelsStatusSchema, [0]);
  }

  /** `sessions --json`. */
  async sessions(options: CliCallOptions) {
    const run = await this.run(["sessions", "--json"], options);
    return this.parse("sessions", run, sessionsSchema, [0]);
  }

  /** `gateway status --json`; it exits 0 even when the gateway is down: read `rpc.ok`. */
  async gatewayStatus(options: CliCallOptions & { probeTimeoutMs?: number }) {
    const probeMs = options.probeTimeoutMs ?? 10_000;
    const run = await this.run(["gateway", "status", "--json", "--timeout", String(probeMs)], {
      ...options,
      timeoutMs: options.timeoutMs ?? probeMs + 20_000,
    });
    return this.parse("gateway status", run, gatewayStatusSchema, [0]);
  }

  /**
   * `models auth paste-api-key --provider P` with the key on stdin, never in
   * argv. The key is scrubbed from anything this returns or throws.
   */
  async pasteApiKey(provider: string, apiKey: string, options: CliCallOptions) {
    if (!/^[a-z0-9][a-z0-9._-]*$/i.test(provider))
      throw new OpsError("VALIDATION", `not a provider id: ${JSON.stringify(provider)}`);
    if (!apiKey.trim() || /[\r\n]/.test(apiKey.trim()))
      throw new OpsError("VALIDATION", "the API key is empty or spans several lines");
    const run = await this.run(["models", "auth", "paste-api-key", "--provider", provider], {
      ...options,
      input: `${apiKey.trim()}\n`,
    });
    const scrub = (text: string) => text.split(apiKey.trim()).join("<redacted>");
    if (run.code !== 0 || run.timedOut) {
      throw this.failure("models auth paste-api-key", {
        ...run,
        stdout: scrub(run.stdout),
        stderr: scrub(run.stderr),
      });
    }
    return { ok: true as const, durationMs: run.durationMs, output: scrub(run.stdout).trim() };
  }

  private async run(args: string[], options: CliCallOptions & { input?: string }) {
    const { entry, node } = this.command;
    const [file, argv] = node ? [node, [entry, ...args]] : [entry, args];
    try {
      return await runProcess(file, argv, {
        env: openClawEnv(options.env),
        input: options.input,
        timeoutMs: options.timeoutMs ?? this.defaultTimeoutMs,
        signal: options.signal,
      });
    } catch (error) {
      throw new OpsError("NOT_FOUND", `cannot run ${file}: ${errorMessage(error)}`);
    }
  }

  private parse<S extends z.ZodType>(
    name: string,
    run: RunResult,
    schema: S,
    okCodes: number[],
  ): z.output<S> & { exitCode: number; durationMs: number } {
    if (run.timedOut || run.code === null || !okCodes.includes(run.code))
      throw this.failure(name, run);
    const json = parseJsonOutput(run.stdout);
    if (json === undefined) {
      throw new OpsError(
        "GATEWAY_BAD_RESPONSE",
        `openclaw ${name} printed no JSON (exit ${run.code}): ${tail(run.stderr || run.stdout)}`,
      );
    }
    const data = parseAnswer(schema, json, `openclaw ${name}`, "<root>");
    return Object.assign(data as object, {
      exitCode: run.code,
      durationMs: run.durationMs,
    }) as z.output<S> & { exitCode: number; durationMs: number };
  }

  private failure(name: string, run: RunResult): OpsError {
    if (run.timedOut) {
      return new OpsError("TIMEOUT", `openclaw ${name} did not finish within ${run.durationMs}ms`, {
        retryable: true,
      });
    }
    const how = run.signal ? `was killed by ${run.signal}` : `exited ${run.code}`;
    return new OpsError(
      "GATEWAY_ERROR",
      `openclaw ${name} ${how}: ${tail(run.stderr || run.stdout)}`,
      {
        details: { exitCode: run.code, signal: run.signal },
      },
    );
  }
}

/** The JSON document a command printed, tolerating banner lines before it. */
export function parseJsonOutput(stdout: string): unknown {
  const text = stdout.trim();
  try {
    return JSON.parse(text);
  } catch {
    const start = text.search(/^[{[]/m);
    if (start <= 0) return undefined;
    try {
      return JSON.parse(text.slice(start));
    } catch {
      return undefined;
    }
  }
}

function tail(text: string, max = 600): string {
  const trimmed = text.trim();
  if (!trimmed) return "(no output)";
  return trimmed.length > max ? `…${trimmed.slice(-max)}` : trimmed;
}
