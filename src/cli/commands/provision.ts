import path from "node:path";
import { type Command, Option } from "commander";
import type { Finding } from "../../core/finding.js";
import { DoctorService } from "../../doctor/service.js";
import {
  type CredentialPlan,
  type ProvisionRequest,
  type ProvisionResult,
  provision,
} from "../../provision/provision.js";
import { ENVIRONMENTS, type Environment } from "../../provision/template.js";
import { act } from "../act.js";
import { parsePort } from "../arguments.js";
import type { LoadedConfig } from "../../config/load.js";
import { type CommandOptions, withRegistry } from "../context.js";
import { EXIT, emit } from "../output.js";

interface ProvisionOptions extends InstanceOptions {
  dryRun?: boolean;
  validate?: boolean;
}

export function registerProvision(program: Command) {
  program
    .command("provision")
    .argument("<bot>", "the new bot's name")
    .description(
      "create a gateway instance from the template and an environment overlay: openclaw.json, provider keys (from the vault's provider/<id> records or OPENAI_API_KEY, ANTHROPIC_API_KEY, ... through openclaw's CLI), {{vault:NAME}} values, a Caddyfile and a systemd unit; then register it",
    )
    .addOption(
      new Option("--env <env>", "environment overlay").choices(ENVIRONMENTS).default("dev"),
    )
    .option("--port <port>", "gateway port (default: the next free one)", parsePort)
    .option("--state-dir <dir>", "the instance's state dir (default: <dataDir>/bots/<bot>)")
    .option("--dry-run", "render and report, write nothing")
    .option("--validate", "run the doctor on the rendered instance; any error fails (exit 1)")
    .option("--json", "print JSON")
    .action(
      act(async (options: ProvisionOptions, name: string) => {
        const result = await provisionFromCli(options, name, {
          dryRun: options.dryRun ?? false,
          validate: options.validate ?? false,
        });
        emit(options, { result }, ({ result: r }) => render(r));
        return (result.report?.counts.error ?? 0) > 0 ? EXIT.failure : EXIT.ok;
      }),
    );
}

/** The options `provision` and `bot create` share. */
export interface InstanceOptions extends CommandOptions {
  env: Environment;
  port?: number;
  stateDir?: string;
}

/** Provisions `name` with the registry's deps and the shared options; `request` adds the rest. */
export function provisionFromCli(
  options: InstanceOptions,
  name: string,
  request: Omit<ProvisionRequest, "name" | "env" | "port" | "stateDir" | "variables">,
  loaded?: LoadedConfig,
): Promise<ProvisionResult> {
  return withRegistry(
    options,
    (registry) =>
      provision(
        {
          config: registry.config,
          registry,
          doctor: new DoctorService(registry.config, () => registry.store.listBots()),
        },
        {
          ...request,
          name,
          env: options.env,
          ...(options.port ? { port: options.port } : {}),
          ...(options.stateDir ? { stateDir: path.resolve(options.stateDir) } : {}),
          variables: process.env,
        },
      ),
    loaded,
  );
}

/** Where a provider's key comes from, in words; null when from nowhere. */
export function credentialSource(c: CredentialPlan): string | null {
  if (c.vault) return `from vault record ${c.vault}`;
  return c.variable ? `from $${c.variable}` : null;
}

function render(result: ProvisionResult): string {
  const lines = [
    `${result.registered ? "provisioned" : result.dryRun ? "would provision" : "NOT provisioned (the doctor found errors; nothing was written):"} ${result.bot} (${result.env}) on port ${result.port}`,
    `  templates:   ${result.templates.join(" + ")}`,
    ...result.files.map((f, i) => `  ${i === 0 ? "files:      " : "            "} ${f}`),
    ...result.credentials.map(
      (c) =>
        `  credential:  ${c.provider}: ${credentialSource(c) ? `${credentialSource(c)}, written to OpenClaw's store` : c.required ? "MISSING" : "none needed (loopback model server)"}`,
    ),
    ...result.vaultValues.map(
      (v) => `  vault:       ${v.path}: from vault record ${v.name}, in the private secrets file`,
    ),
  ];
  if (result.gatewayToken)
    lines.push(
      `  token:       ${result.gatewayToken.record ? `a copy in vault record ${result.gatewayToken.record}` : `no copy in the vault: ${result.gatewayToken.note}`}`,
    );
  if (result.registered) lines.push(`  registered:  clawops bot start ${result.bot}`);
  if (result.report) {
    const { error, warning, info } = result.report.counts;
    lines.push(`  doctor:      ${error} errors, ${warning} warnings, ${info} info`);
    for (const f of result.report.findings.filter((x: Finding) => x.severity !== "info"))
      lines.push(`    ${f.severity} ${f.path}: ${f.message}`);
  }
  return lines.join("\n");
}
