import { z } from "zod";
import { duration } from "../../core/duration.js";
import { errorMessage } from "../../core/errors.js";
import { type VerifyTarget, runVerify } from "../../verify/verify.js";
import { type ReadinessDeps, componentSchema, defineCheck, envName, httpUrl } from "../check.js";
import { shownUrl } from "../redact.js";

const schema = componentSchema(
  "gateway",
  { weight: 3, timeout: "60s" },
  {
    /** A registered bot; without `bot` and `url`, one component per registered bot. */
    bot: z.string().min(1).optional(),
    /** The URL users reach the gateway at (its proxy); the bot's own port by default. */
    url: httpUrl.optional(),
    /** With `url` and no `bot`: the variable holding the gateway's token. */
    tokenEnv: envName.default("OPENCLAW_GATEWAY_TOKEN"),
    /** Also a real chat turn (it costs tokens): off by default. */
    chat: z.boolean().default(false),
    prompt: z.string().min(1).default("Reply with the word OK."),
    /** Budget of each probe and of the handshake. */
    stepTimeout: duration("15s"),
  },
);

type GatewayComponent = z.output<typeof schema>;

/**
 * A gateway, by `clawops verify`'s steps: the health probes, the doctor on its
 * config, the protocol v4 handshake, and (when asked) a real chat turn. Built
 * in for every registered bot.
 */
export const gateway = defineCheck({
  id: "gateway",
  title: "OpenClaw gateway",
  schema,
  target: (config) =>
    config.bot ? `bot ${config.bot}` : config.url ? shownUrl(config.url) : "every bot",
  async run(config, deps, signal) {
    let target: VerifyTarget;
    try {
      target = await resolveTarget(config, deps);
    } catch (error) {
      return {
        status: "fail",
        summary: errorMessage(error),
        fix: config.bot
          ? `clawops bot list shows the registered bots; the bot's config must set gateway.auth.token`
          : `export ${config.tokenEnv}=<the gateway's token>`,
      };
    }
    const report = await runVerify(target, {
      prompt: config.prompt,
      timeoutMs: config.stepTimeout,
      chatTimeoutMs: config.timeout,
      chat: config.chat,
      // The Control UI in a browser is `clawops verify`'s step: readiness stays headless.
      browser: null,
    });
    signal.throwIfAborted();
    const failed = report.steps.filter((s) => s.verdict === "fail");
    const steps = Object.fromEntries(report.steps.map((s) => [s.id, s.verdict]));
    const timings = Object.fromEntries(report.steps.map((s) => [`${s.id}Ms`, s.durationMs]));
    if (failed.length > 0) {
      const first = failed[0]!;
      return {
        status: "fail",
        summary: `${failed.map((s) => s.id).join(", ")} failed: ${first.detail}`,
        evidence: { url: report.target.url, ...steps },
        fix: first.fix ?? "clawops verify shows each step",
        timings,
      };
    }
    const passed = report.steps.filter((s) => s.verdict === "pass").map((s) => s.id);
    return {
      status: "pass",
      summary: `${passed.join(", ")} passed${config.chat ? "" : " (no chat turn: set chat: true to include one)"}`,
      evidence: { url: report.target.url, ...steps },
      timings,
    };
  },
});

async function resolveTarget(config: GatewayComponent, deps: ReadinessDeps): Promise<VerifyTarget> {
  if (config.bot) {
    const target = await deps.gatewayTarget(config.bot);
    return config.url ? { ...target, url: config.url } : target;
  }
  if (!config.url) throw new Error("a gateway component names a bot or a url");
  const token = deps.env[config.tokenEnv];
  if (!token) throw new Error(`${config.tokenEnv} is not set: no token for ${config.url}`);
  return { name: new URL(config.url).host, url: config.url, token };
}
