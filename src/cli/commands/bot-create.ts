import { type Command, Option } from "commander";
import type { ProvisionResult } from "../../provision/provision.js";
import { PROVIDER_CHOICES, type ProviderChoice, guessProvider } from "../../provision/providers.js";
import { ENVIRONMENTS } from "../../provision/template.js";
import { act } from "../act.js";
import { parsePort } from "../arguments.js";
import { loadCliConfig } from "../context.js";
import { EXIT, emit } from "../output.js";
import { type LifecycleAnswer, lifecycle, renderLifecycle } from "./lifecycle.js";
import { type InstanceOptions, credentialSource, provisionFromCli } from "./provision.js";

interface CreateOptions extends InstanceOptions {
  provider?: ProviderChoice;
  model?: string;
  baseUrl?: string;
  start: boolean;
}

/**
 * `clawops bot create NAME`: a bot that runs from one command. Renders a
 * working openclaw.json from the built-in template (loopback, token auth, a
 * generated token), writes the provider's key from its environment variable
 * through OpenClaw's CLI, registers the bot and starts it. A missing key does
 * not stop it: the gateway boots, and the doctor's finding names the variable.
 */
export function registerBotCreate(bot: Command) {
  bot
    .command("create")
    .argument("<name>", "bot name: lowercase letters, digits, '-' or '_'")
    .description(
      "create a working gateway (openclaw.json, token, the provider's key), register it and start it",
    )
    .addOption(
      new Option(
        "--provider <provider>",
        "model provider (default: the one whose key is set: ANTHROPIC_API_KEY, OPENAI_API_KEY, OPENROUTER_API_KEY, GEMINI_API_KEY; else anthropic)",
      ).choices(PROVIDER_CHOICES),
    )
    .option("--model <id>", "model id at that provider (default: a current model of the provider)")
    .option(
      "--base-url <url>",
      "your model server: an OpenAI-compatible API root (http://127.0.0.1:8080/v1) or Ollama's (http://127.0.0.1:11434)",
    )
    .addOption(
      new Option("--env <env>", "environment overlay of the template")
        .choices(ENVIRONMENTS)
        .default("dev"),
    )
    .option("--port <port>", "gateway port (default: the next free one)", parsePort)
    .option("--state-dir <dir>", "the gateway's state dir (default: <dataDir>/bots/<name>)")
    .option("--no-start", "create and register only")
    .option("--json", "print JSON")
    .action(
      act(async (options: CreateOptions, name: string) => {
        const loaded = loadCliConfig(options);
        const provider = options.provider ?? guessProvider(process.env);
        const result = await provisionFromCli(
          options,
          name,
          {
            dryRun: false,
            validate: false,
            allowMissingKeys: true,
            model: {
              provider,
              ...(options.model ? { model: options.model } : {}),
              ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
            },
          },
          loaded,
        );
        if (!options.json) process.stdout.write(`${renderCreated(result)}\n`);
        const started = options.start ? await lifecycle(options, "start", name, loaded) : null;
        if (options.json)
          process.stdout.write(`${JSON.stringify({ result, start: started }, null, 2)}\n`);
        else if (started) emit(options, started, (a) => renderStart(a, result));
        if (!started) return EXIT.ok;
        const state = started.gateway?.state;
        return started.note || state === "running" || state === "degraded" ? EXIT.ok : EXIT.failure;
      }),
    );
}

function renderCreated(result: ProvisionResult): string {
  const lines = [
    `created ${result.bot} on port ${result.port}`,
    `  config:      ${result.configPath}`,
    `  state dir:   ${result.stateDir}`,
    ...result.credentials.map(
      (c) =>
        `  credential:  ${c.provider}: ${credentialSource(c) ? `${credentialSource(c)}, written to OpenClaw's credential store` : c.required ? "MISSING (see below)" : "none needed (a model server on this machine)"}`,
    ),
  ];
  const findings = result.report?.findings.filter((f) => f.severity !== "info") ?? [];
  for (const f of findings) {
    lines.push(`  ${f.severity}: ${f.message}`);
    if (f.fix) lines.push(`    fix: ${f.fix.summary}`);
  }
  return lines.join("\n");
}

function renderStart(answer: LifecycleAnswer, result: ProvisionResult): string {
  const lines = [renderLifecycle(answer)];
  const running = answer.gateway?.state === "running" || answer.gateway?.state === "degraded";
  if (running || answer.note) {
    lines.push(
      "",
      "next:",
      `  clawops chat ${result.bot} "hello"      one chat turn through the gateway`,
      `  clawops status --watch               the fleet, live`,
      `  clawops doctor --bot ${result.bot}         its config checked`,
    );
  }
  return lines.join("\n");
}
