import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ClawopsConfig } from "../config/schema.js";
import type { Bot } from "../core/bot.js";
import { OpsError } from "../core/errors.js";
import { ConfigDocument, applyConfigEdits, formatJsonPath } from "../doctor/config-document.js";
import { collectModelRefs, providerEnvVars } from "../doctor/model-refs.js";
import { isLoopbackUrl } from "../doctor/rules/provider-credentials.js";
import { type DoctorReport, instanceEnv } from "../doctor/run-doctor.js";
import type { DoctorService } from "../doctor/service.js";
import { type RegistryDeps, planBot, registerBot } from "../fleet/registry.js";
import { OpenClawCli } from "../gateway/openclaw-cli.js";
import { type OpenClawCommand } from "../gateway/openclaw-locate.js";
import { gatewayEnv } from "../gateway/environment.js";
import { writeFileAtomic } from "../system/files.js";
import { renderCaddyfile, renderSystemdUnit } from "./deploy-files.js";
import { type ModelChoice, modelOverlay } from "./providers.js";
import { BUILT_IN_TEMPLATES, type Environment, deepMerge, renderConfig } from "./template.js";
import { locateConfiguredOpenClaw } from "../runtime/runtimes.js";
import { VAULT_NAME } from "../core/vault.js";
import { type FirstTokenCopy, keepFirstToken } from "../vault/gateway-token.js";
import { Vault } from "../vault/vault.js";
import { trackCreated } from "./created-files.js";
import {
  VAULT_SECRETS_FILE,
  type VaultReference,
  checkRecordsExist,
  findVaultReferences,
  openRecords,
  providerKeyRecord,
  secretsFileText,
  withVaultReferences,
} from "./vault-refs.js";

export interface ProvisionRequest {
  name: string;
  env: Environment;
  port?: number;
  stateDir?: string;
  /** Writes nothing; with `validate`, the doctor runs on the rendered instance. */
  dryRun: boolean;
  validate: boolean;
  /** Where provider keys are read from (`OPENAI_API_KEY`, ...): clawops's environment. */
  variables: NodeJS.ProcessEnv;
  /** The model and provider, over the template's (`bot create --provider`). */
  model?: ModelChoice;
  /**
   * Write the instance even when a provider's key is missing: it boots, and
   * the doctor's finding says which variable to set (`bot create`). Without
   * it a missing key refuses the provisioning (the pre-deploy gate's stance).
   */
  allowMissingKeys?: boolean;
}

/** A provider's key as provisioning found it; never the key itself. */
export interface CredentialPlan {
  provider: string;
  /** The variable it comes from, or null when none of the provider's variables is set. */
  variable: string | null;
  /**
   * The vault record it comes from (the template's `{{vault:NAME}}` at the
   * provider's `apiKey`, else `provider/<id>` when that record exists), or
   * null. A record wins over a variable.
   */
  vault: string | null;
  /** A loopback model server needs no key. */
  required: boolean;
}

export interface ProvisionResult {
  bot: string;
  env: Environment;
  port: number;
  stateDir: string;
  configPath: string;
  templates: string[];
  credentials: CredentialPlan[];
  /** Values of `{{vault:NAME}}` written to the instance's secrets file (names and paths, never values). */
  vaultValues: { name: string; path: string }[];
  /** Files written (or, on a dry run, that would be). */
  files: string[];
  dryRun: boolean;
  /** The doctor on the rendered (dry run) or written instance. */
  report: DoctorReport | null;
  registered: boolean;
  /** Whether the generated gateway token has a copy in the vault; null on a dry run. */
  gatewayToken: FirstTokenCopy | null;
}

export interface ProvisionDeps {
  config: ClawopsConfig;
  registry: RegistryDeps;
  doctor: DoctorService;
}

/**
 * Creates a gateway instance from the template and an environment overlay:
 * openclaw.json (mode 600, the gateway token in a private file beside it),
 * each provider's key from clawops's environment written through OpenClaw's
 * CLI on stdin, a Caddyfile and a systemd unit; then registers the bot.
 * Refuses to overwrite an existing config or bot. A dry run writes nothing;
 * with `validate`, a doctor error on the rendered instance stops it before
 * anything is written (the result carries the report).
 */
export async function provision(
  deps: ProvisionDeps,
  request: ProvisionRequest,
): Promise<ProvisionResult> {
  const { config } = deps;
  if (await deps.registry.store.findBot(request.name)) {
    throw new OpsError("CONFLICT", `bot "${request.name}" is already registered`);
  }
  const planned = await planBot(deps.registry, {
    name: request.name,
    ...(request.port ? { port: request.port } : {}),
    ...(request.stateDir ? { stateDir: request.stateDir } : {}),
    labels: { env: request.env },
  });
  const templateDir = config.provision.templateDir ?? BUILT_IN_TEMPLATES;
  const template = renderConfig(templateDir, {
    name: planned.name,
    port: planned.port,
    stateDir: planned.stateDir,
    env: request.env,
    variables: request.variables,
  });
  const rendered = request.model
    ? { ...template, value: deepMerge(template.value, modelOverlay(request.model)) }
    : template;
  const vault = Vault.open(deps.registry.store.vault, config.vault, request.variables);
  const refs = findVaultReferences(rendered.value);
  const credentials = await withVaultKeys(
    vault,
    planCredentials(rendered.value, request.variables),
    refs,
  );
  const fileRefs = refs.filter((r) => r.target.kind === "secrets-file");
  await checkRecordsExist(vault, [
    ...fileRefs.map((r) => ({ name: r.name, usedAt: formatJsonPath(r.path) })),
    ...credentials.flatMap((c) =>
      c.vault ? [{ name: c.vault, usedAt: `the key of provider ${c.provider}` }] : [],
    ),
  ]);
  const written = withVaultReferences(rendered.value, refs, planned.stateDir);
  const missing = credentials.filter((c) => c.required && !c.variable && !c.vault);
  const deployDir = path.join(config.dataDir, "deploy", planned.name);
  const tokenFile = path.join(planned.stateDir, "gateway-token");
  const secretsFile = path.join(planned.stateDir, VAULT_SECRETS_FILE);
  const caddyfile = path.join(deployDir, "Caddyfile");
  const unitFile = path.join(deployDir, `openclaw-${planned.name}.service`);
  const files = [
    planned.configPath,
    tokenFile,
    ...(fileRefs.length > 0 ? [secretsFile] : []),
    caddyfile,
    unitFile,
  ];
  const result: ProvisionResult = {
    bot: planned.name,
    env: request.env,
    port: planned.port,
    stateDir: planned.stateDir,
    configPath: planned.configPath,
    templates: rendered.sources,
    credentials,
    vaultValues: fileRefs.map((r) => ({ name: r.name, path: formatJsonPath(r.path) })),
    files,
    dryRun: request.dryRun,
    report: null,
    registered: false,
    gatewayToken: null,
  };
  if (existsSync(planned.configPath)) {
    throw new OpsError(
      "CONFLICT",
      `${planned.configPath} already exists: provisioning never overwrites a config (check it with clawops doctor --config, or register it with clawops bot add)`,
    );
  }
  const configText = `// Provisioned by clawops for "${planned.name}" (${request.env}) from ${rendered.sources.join(" + ")}.\n// Edit freely; \`clawops doctor --bot ${planned.name}\` checks it.\n${JSON.stringify(written, null, 2)}\n`;
  const botForDoctor: Bot = {
    ...planned,
    id: "provisioning",
    createdAt: "",
    updatedAt: "",
  };

  if (request.dryRun || request.validate) {
    result.report = await checkRendered(deps, botForDoctor, written, credentials, fileRefs);
  }
  // The pre-deploy gate: with any doctor error nothing is written (the caller exits 1).
  if (request.validate && (result.report?.counts.error ?? 0) > 0) return result;
  if (missing.length > 0 && !request.dryRun && !request.allowMissingKeys) {
    throw new OpsError(
      "VALIDATION",
      `no key for ${missing.map((m) => `${m.provider} (set ${providerEnvVars(m.provider)[0]}, or put the vault record ${providerKeyRecord(m.provider)})`).join(", ")}: the instance would fail at its first chat`,
      { details: { missing: missing.map((m) => m.provider) } },
    );
  }
  if (request.dryRun) return result;

  const openclaw = await locateConfiguredOpenClaw(config.openclaw, null, config.dataDir);
  // Every record is opened before the first write: a bad one leaves nothing behind.
  const values = await openRecords(vault, [
    ...fileRefs.map((r) => r.name),
    ...credentials.flatMap((c) => (c.vault ? [c.vault] : [])),
  ]);
  const created = trackCreated(planned.stateDir);
  const token = randomBytes(24).toString("hex");
  try {
    mkdirSync(planned.stateDir, { recursive: true, mode: 0o700 });
    created.write(tokenFile, `${token}\n`, 0o600);
    if (fileRefs.length > 0)
      created.write(
        secretsFile,
        secretsFileText(new Map(fileRefs.map((r) => [r.name, values.get(r.name)!] as const))),
        0o600,
      );
    created.write(planned.configPath, configText, 0o600);
    created.write(caddyfile, renderCaddyfile(planned, config.provision.domain));
    created.write(unitFile, renderSystemdUnit(planned, openclaw));
    const keyOf = (c: CredentialPlan) =>
      c.vault ? values.get(c.vault) : c.variable ? request.variables[c.variable] : undefined;
    await storeCredentials(openclaw, config, botForDoctor, credentials, keyOf);
    // Last: a failure before it leaves no record behind, a failure of it leaves no files.
    result.gatewayToken = await keepFirstToken(
      vault,
      planned.name,
      { configPath: planned.configPath, tokenFile },
      token,
    );
  } catch (error) {
    created.undo();
    throw error;
  } finally {
    values.clear();
  }
  const bot = await registerBot(
    deps.registry,
    {
      name: planned.name,
      port: planned.port,
      stateDir: planned.stateDir,
      configPath: planned.configPath,
      labels: { env: request.env },
    },
    "provision",
  );
  result.registered = true;
  result.report = await deps.doctor.check(
    { configFile: planned.configPath, stateDir: planned.stateDir, bot },
    { speed: "fast" },
  );
  return result;
}

/** Providers the config uses or defines, each with the variable its key would come from. */
export function planCredentials(
  config: Record<string, unknown>,
  variables: NodeJS.ProcessEnv,
): CredentialPlan[] {
  const defined = (config.models as { providers?: Record<string, { baseUrl?: unknown }> })
    ?.providers;
  const providers = new Set([
    ...collectModelRefs(config).map((r) => r.provider),
    ...Object.keys(defined ?? {}),
  ]);
  return [...providers].sort().map((provider) => ({
    provider,
    variable: providerEnvVars(provider).find((v) => variables[v]) ?? null,
    vault: null,
    required: !isLoopbackUrl(defined?.[provider]?.baseUrl),
  }));
}

/**
 * Each provider's key from the vault where there is one: the template's
 * `{{vault:NAME}}` at its `apiKey`, else the record `provider/<id>` when it
 * exists. A record wins over a variable (the vault is what the operator
 * keeps for clawops); nothing is decrypted here.
 */
async function withVaultKeys(
  vault: Vault,
  credentials: CredentialPlan[],
  refs: readonly VaultReference[],
): Promise<CredentialPlan[]> {
  const explicit = new Map(
    refs.flatMap((r) =>
      r.target.kind === "provider-key" ? [[r.target.provider, r.name] as const] : [],
    ),
  );
  return Promise.all(
    credentials.map(async (c) => {
      const conventional = providerKeyRecord(c.provider);
      // A provider id that is no record name (upper case, say) has no conventional record.
      const found = VAULT_NAME.test(conventional) && (await vault.entry(conventional)) !== null;
      const name = explicit.get(c.provider) ?? (found ? conventional : null);
      return name ? { ...c, variable: null, vault: name } : c;
    }),
  );
}

/** Each key through `openclaw models auth paste-api-key` with the key on stdin. */
async function storeCredentials(
  openclaw: OpenClawCommand,
  config: ClawopsConfig,
  bot: Bot,
  credentials: CredentialPlan[],
  keyOf: (credential: CredentialPlan) => string | undefined,
) {
  const cli = new OpenClawCli(openclaw, config.openclaw.timeout);
  const env = instanceEnv(
    { configFile: bot.configPath, stateDir: bot.stateDir, bot },
    gatewayEnv(config.supervisor.env, bot),
  );
  const pasted: string[] = [];
  for (const credential of credentials) {
    const key = keyOf(credential);
    if (!key) continue;
    await cli.pasteApiKey(credential.provider, key, { env });
    pasted.push(credential.provider);
  }
  // paste-api-key points a configured provider's apiKey at the profile ("p:manual");
  // OpenClaw 2026.9.6's own lint then calls that a plaintext secret. Without the
  // field the provider still uses its stored profile (`models status`: "profiles").
  const text = readFileSync(bot.configPath, "utf8");
  const parsed = ConfigDocument.parse(text);
  if (!parsed.ok) return;
  const edits = pasted
    .filter((p) => parsed.document.get(["models", "providers", p, "apiKey"]) === `${p}:manual`)
    .map((p) => ({ op: "remove" as const, path: ["models", "providers", p, "apiKey"] }));
  if (edits.length > 0) writeFileAtomic(bot.configPath, applyConfigEdits(text, edits), 0o600);
}

/** The doctor on the rendered instance in a scratch folder, keys and vault values as if written. */
async function checkRendered(
  deps: ProvisionDeps,
  bot: Bot,
  rendered: Record<string, unknown>,
  credentials: CredentialPlan[],
  fileRefs: readonly VaultReference[],
): Promise<DoctorReport> {
  const scratch = mkdtempSync(path.join(tmpdir(), "clawops-provision-"));
  try {
    const stateDir = path.join(scratch, "state");
    mkdirSync(stateDir, { mode: 0o700 });
    const configFile = path.join(scratch, "openclaw.json");
    // The rendered paths point at the real state dir: here they point at the scratch one.
    const text = JSON.stringify(rendered, null, 2).split(bot.stateDir).join(stateDir);
    writeFileSync(path.join(stateDir, "gateway-token"), `${randomBytes(24).toString("hex")}\n`, {
      mode: 0o600,
    });
    writeFileSync(configFile, text, { mode: 0o600 });
    if (fileRefs.length > 0)
      writeFileSync(
        path.join(stateDir, VAULT_SECRETS_FILE),
        // Stand-ins as strong as real values: the doctor judges a token's strength.
        secretsFileText(
          new Map(fileRefs.map((r) => [r.name, randomBytes(24).toString("hex")] as const)),
        ),
        { mode: 0o600 },
      );
    const keys = Object.fromEntries(
      credentials.flatMap((c) => {
        const variable = c.variable ?? (c.vault ? providerEnvVars(c.provider)[0] : undefined);
        return variable ? [[variable, "provisioned"]] : [];
      }),
    );
    const report = await deps.doctor.check(
      { configFile, stateDir, bot: { ...bot, stateDir, configPath: configFile } },
      { speed: "fast", extraEnv: keys },
    );
    // Report the paths the instance will have, not the scratch folder's.
    const paths = JSON.stringify(report)
      .split(stateDir)
      .join(bot.stateDir)
      .split(configFile)
      .join(bot.configPath);
    return JSON.parse(paths) as DoctorReport;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
