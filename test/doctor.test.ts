import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configSchema } from "../src/config/schema.js";
import type { Bot } from "../src/core/bot.js";
import type { OpsError } from "../src/core/errors.js";
import type { Finding } from "../src/core/finding.js";
import { applyFixes } from "../src/doctor/fix.js";
import { OpenClawFacts } from "../src/doctor/openclaw-facts.js";
import { DoctorService } from "../src/doctor/service.js";
import {
  type DoctorInput,
  type DoctorReport,
  instanceEnv,
  runDoctor,
} from "../src/doctor/run-doctor.js";
import { OpenClawCli } from "../src/gateway/openclaw-cli.js";
import { locateOpenClaw } from "../src/gateway/openclaw-locate.js";
import { GATEWAY_RUNTIME, gatewayRuntimeAvailable } from "./harness/gateway.js";
import { tempDir } from "./helpers/cli.js";

/**
 * The doctor against a corpus of broken configs, with the real OpenClaw CLI
 * (its schema, `models status`, `config validate`): each rule fires on its
 * case, each fix repairs it with the comments kept, and a second fix changes nothing.
 */

const TOKEN = "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c2b4d6f8e0a1c3e5";
/** The token as a file secret ref: no secret in the config itself. */
const TOKEN_REF = '{ source: "file", provider: "clawops", id: "value" }';

/** A clean, valid config (JSON5, with comments) of a gateway on a loopback model server. */
function baseConfig(dir: string, extra = "") {
  return `// ops: managed by hand, keep this comment
{
  gateway: {
    mode: "local",
    port: 18950, // fixed by the firewall
    bind: "loopback",
    auth: { mode: "token", token: ${TOKEN_REF} },
    controlUi: { enabled: false },
  },
  agents: {
    defaults: {
      model: { primary: "fake/fake-model" },
      workspace: "${dir}/workspace",
      heartbeat: { every: "0m" },
    },
  },
  models: {
    mode: "merge",
    providers: {
      fake: {
        baseUrl: "http://127.0.0.1:9/v1",
        apiKey: "sk-local",
        api: "openai-completions",
        models: [{ id: "fake-model", name: "Fake Model", reasoning: false, input: ["text"],
                   cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
                   contextWindow: 128000, maxTokens: 4096 }],
      },
    },
  },
  secrets: {
    providers: { clawops: { source: "file", path: "${dir}/state/gateway-token", mode: "singleValue" } },
  },
  logging: { file: "${dir}/logs/openclaw.log" },
  memory: { search: { enabled: false } },
  cron: { enabled: false },
  update: { checkOnStart: false },
  telemetry: { enabled: false },${extra}
}
`;
}

/** A registered bot whose state dir and config live in `dir`. */
const botIn = (name: string, port: number, dir: string): Bot => ({
  id: `id-${name}`,
  name,
  owner: null,
  driver: "process",
  stateDir: path.join(dir, "state"),
  configPath: path.join(dir, "openclaw.json"),
  port,
  desiredState: "stopped",
  labels: {},
  openclawBin: null,
  org: "default",
  createdAt: "",
  updatedAt: "",
});

describe.runIf(gatewayRuntimeAvailable())("clawops doctor rules", () => {
  const scratch = tempDir("clawops-doctor-");
  let facts: OpenClawFacts;
  let cli: OpenClawCli;
  let count = 0;

  beforeAll(async () => {
    cli = new OpenClawCli(await locateOpenClaw({ bin: GATEWAY_RUNTIME.openclaw }));
    facts = new OpenClawFacts(cli, path.join(scratch.dir, "cache"));
  });
  afterAll(() => scratch.remove());

  /** One instance folder: its config written from `text` (a function of the folder), private modes. */
  function instance(text: (dir: string) => string) {
    const dir = path.join(scratch.dir, `case-${++count}`);
    for (const sub of ["state", "logs", "workspace", "home", "tmp"])
      mkdirSync(path.join(dir, sub), { recursive: true });
    chmodSync(path.join(dir, "state"), 0o700);
    writeFileSync(path.join(dir, "state", "gateway-token"), `${TOKEN}\n`, { mode: 0o600 });
    const configFile = path.join(dir, "openclaw.json");
    writeFileSync(configFile, text(dir), { mode: 0o600 });
    return { dir, configFile, stateDir: path.join(dir, "state") };
  }

  function input(
    target: { configFile: string; stateDir: string; dir: string },
    more: Partial<DoctorInput> = {},
  ): DoctorInput {
    return {
      target: { configFile: target.configFile, stateDir: target.stateDir, bot: null },
      env: {
        PATH: process.env.PATH,
        HOME: path.join(target.dir, "home"),
        TMPDIR: path.join(target.dir, "tmp"),
      },
      fleet: [],
      portSpacing: 20,
      openclaw: facts,
      ...more,
    };
  }

  /** The instance's environment as OpenClaw needs it: with its state dir and config. */
  const envOf = (target: ReturnType<typeof instance>) =>
    instanceEnv(input(target).target, input(target).env);

  const doctor = (target: ReturnType<typeof instance>, more: Partial<DoctorInput> = {}) =>
    runDoctor(input(target, more), { speed: "fast" });

  const ids = (report: DoctorReport) => report.findings.map((f) => f.id);
  const find = (report: DoctorReport, id: string): Finding => {
    const found = report.findings.find((f) => f.id === id);
    if (!found) throw new Error(`no ${id} in ${JSON.stringify(report.findings, null, 2)}`);
    return found;
  };

  /** Fixes, checks the fix held and kept the comments, and that a second run changes nothing. */
  async function fixAndRecheck(target: ReturnType<typeof instance>, gone: string) {
    const before = await doctor(target);
    const outcome = applyFixes(target.configFile, before.findings);
    expect(outcome.failed).toEqual([]);
    const text = readFileSync(target.configFile, "utf8");
    expect(text).toContain("// ops: managed by hand, keep this comment");
    expect(text).toContain("// fixed by the firewall");
    const after = await doctor(target);
    expect(ids(after)).not.toContain(gone);
    const again = applyFixes(target.configFile, after.findings);
    expect(again.diff).toBe("");
    expect(readFileSync(target.configFile, "utf8")).toBe(text);
    return { outcome, after, text };
  }

  it("finds nothing wrong in a clean config, and OpenClaw agrees it is valid", async () => {
    const target = instance((dir) => baseConfig(dir));
    const report = await doctor(target);
    expect(report.findings.filter((f) => f.severity !== "info")).toEqual([]);
    expect(report.openclawVersion).toBe(GATEWAY_RUNTIME.version);
    const verdict = await cli.configValidate({ env: envOf(target) });
    expect(verdict.valid).toBe(true);
  });

  it("reports a JSON5 syntax error with its line and column", async () => {
    const target = instance((dir) =>
      baseConfig(dir).replace('bind: "loopback",', 'bind: "loopback",,'),
    );
    const report = await doctor(target);
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({ id: "config/syntax", severity: "error", line: 6 });
    expect(report.findings[0]!.message).toMatch(/openclaw\.json:6:\d+: not valid JSON5/);
  });

  it("moves a root providers key under models.providers, keeping the key, as a fix", async () => {
    const target = instance((dir) =>
      baseConfig(
        dir,
        `\n  providers: {\n    openai: { apiKey: "sk-proj-legacy-0123456789" },\n  },`,
      ),
    );
    const report = await doctor(target);
    const finding = find(report, "legacy-keys/root-providers");
    const line = readFileSync(target.configFile, "utf8").split("\n").indexOf("  providers: {") + 1;
    expect(finding).toMatchObject({ severity: "error", path: "providers", line, column: 3 });
    // The generic schema error on the same path is folded into the specific finding.
    expect(finding.evidence?.alsoReportedBy).toEqual(["schema/unknown-key"]);
    expect(ids(report)).not.toContain("schema/unknown-key");
    // OpenClaw itself refuses it.
    expect((await cli.configValidate({ env: envOf(target) })).valid).toBe(false);

    const { outcome, after } = await fixAndRecheck(target, "legacy-keys/root-providers");
    expect(outcome.backup).toMatch(/openclaw\.json\.clawops-\d{8}T\d{6}Z\.bak$/);
    expect(readFileSync(outcome.backup!, "utf8")).toContain("sk-proj-legacy-0123456789");
    expect(outcome.diff).toContain("-  providers: {");
    expect(ids(after)).toContain("plaintext-secrets");
    const config = readFileSync(target.configFile, "utf8");
    expect(config).toMatch(/openai: \{\s+apiKey: "sk-proj-legacy-0123456789"/);
    expect((await cli.configValidate({ env: envOf(target) })).valid).toBe(true);
  });

  it("converts agents.list into agents.entries", async () => {
    const target = instance((dir) =>
      baseConfig(dir).replace(
        "  agents: {\n",
        '  agents: {\n    list: [{ id: "main", default: true, name: "Main" }],\n',
      ),
    );
    expect(find(await doctor(target), "legacy-keys/agents-list").severity).toBe("warning");
    await fixAndRecheck(target, "legacy-keys/agents-list");
    expect(readFileSync(target.configFile, "utf8")).toMatch(
      /entries: \{\s+main: \{\s+name: "Main"\s+\}/,
    );
    expect((await cli.configValidate({ env: envOf(target) })).warnings).toEqual([]);
  });

  it("removes retired gateway.controlUi.allowInsecureAuth", async () => {
    const target = instance((dir) =>
      baseConfig(dir).replace(
        "controlUi: { enabled: false }",
        "controlUi: { enabled: false, allowInsecureAuth: true }",
      ),
    );
    expect(find(await doctor(target), "legacy-keys/retired").path).toBe(
      "gateway.controlUi.allowInsecureAuth",
    );
    await fixAndRecheck(target, "legacy-keys/retired");
    expect((await cli.configValidate({ env: envOf(target) })).valid).toBe(true);
  });

  it("checks the schema of the installed OpenClaw: unknown keys and wrong types, with paths", async () => {
    const target = instance((dir) =>
      baseConfig(dir)
        .replace('mode: "local",', 'mode: "local",\n    foo: 1,')
        .replace("port: 18950", 'port: "abc"'),
    );
    const report = await doctor(target);
    expect(report.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: "schema/unknown-key", path: "gateway.foo", line: 5 }),
        expect.objectContaining({
          id: "schema/type",
          path: "gateway.port",
          message: "expected integer",
        }),
      ]),
    );
    const verdict = await cli.configValidate({ env: envOf(target) });
    expect(verdict.issues.map((i) => i.path).sort()).toEqual(["gateway", "gateway.port"]);
  });

  it("finds a model whose provider has no credential, naming the model and the command", async () => {
    const target = instance((dir) =>
      baseConfig(dir).replace(
        'model: { primary: "fake/fake-model" }',
        'model: { primary: "fake/fake-model", fallbacks: ["anthropic/claude-sonnet-4-6"] }',
      ),
    );
    const report = await doctor(target);
    const finding = find(report, "provider-credentials/missing");
    expect(finding).toMatchObject({
      severity: "error",
      path: "agents.defaults.model.fallbacks[0]",
    });
    expect(finding.message).toContain("anthropic/claude-sonnet-4-6");
    expect(finding.fix?.summary).toContain(
      "openclaw models auth paste-api-key --provider anthropic",
    );
    // The same config with the key in the gateway's environment is fine.
    const withKey = await doctor(target, {
      env: { ...input(target).env, ANTHROPIC_API_KEY: "sk-ant-test-0000000000" },
    });
    expect(ids(withKey)).not.toContain("provider-credentials/missing");
  });

  it("sees a key in the credential store through OpenClaw", async () => {
    const target = instance((dir) =>
      baseConfig(dir).replace(
        'model: { primary: "fake/fake-model" }',
        'model: { primary: "fake/fake-model", fallbacks: ["xai/grok-4"] }',
      ),
    );
    expect(ids(await doctor(target))).toContain("provider-credentials/missing");
    await cli.pasteApiKey("xai", "xai-test-key-0000000000", { env: envOf(target) });
    expect(ids(await doctor(target))).not.toContain("provider-credentials/missing");
  }, 120_000);

  it("flags an env reference that the gateway's environment does not set", async () => {
    const target = instance((dir) =>
      baseConfig(dir)
        .replace('model: { primary: "fake/fake-model" }', 'model: { primary: "remote/m1" }')
        .replace(
          "    providers: {\n",
          '    providers: {\n      remote: { baseUrl: "https://llm.example.com/v1", apiKey: "${REMOTE_KEY}", api: "openai-completions", models: [{ id: "m1", name: "M1" }] },\n',
        ),
    );
    expect(find(await doctor(target), "provider-credentials/unresolved").path).toBe(
      "models.providers.remote.apiKey",
    );
    const set = await doctor(target, { env: { ...input(target).env, REMOTE_KEY: "k-123" } });
    expect(ids(set)).not.toContain("provider-credentials/unresolved");
  });

  it("warns about a bare model id that falls back to the default provider", async () => {
    const target = instance((dir) =>
      baseConfig(dir).replace('primary: "fake/fake-model"', 'primary: "gpt-4o"'),
    );
    const report = await doctor(target);
    expect(find(report, "provider-credentials/bare-model").message).toContain('"openai/gpt-4o"');
    expect(find(report, "provider-credentials/missing").message).toContain("openai/gpt-4o");
  });

  it("refuses an unauthenticated non-loopback bind and fixes it to loopback", async () => {
    const target = instance((dir) =>
      baseConfig(dir)
        .replace('bind: "loopback"', 'bind: "lan"')
        .replace(`auth: { mode: "token", token: ${TOKEN_REF} }`, 'auth: { mode: "none" }'),
    );
    expect(find(await doctor(target), "bind-safety/unauthenticated")).toMatchObject({
      severity: "error",
      path: "gateway.bind",
      line: 6,
    });
    await fixAndRecheck(target, "bind-safety/unauthenticated");
    expect(readFileSync(target.configFile, "utf8")).toContain('bind: "loopback",');
  });

  it("takes 0.0.0.0 for what it is: every interface, not a bind mode", async () => {
    const target = instance((dir) =>
      baseConfig(dir).replace('bind: "loopback"', 'bind: "0.0.0.0"'),
    );
    const finding = find(await doctor(target), "bind-safety/not-a-mode");
    expect(finding.evidence?.alsoReportedBy).toEqual(["schema/anyOf"]);
    await fixAndRecheck(target, "bind-safety/not-a-mode");
  });

  it("judges the gateway token: placeholder, weak, unresolved", async () => {
    const withToken = (token: string) =>
      instance((dir) => baseConfig(dir).replace(`token: ${TOKEN_REF}`, `token: "${token}"`));
    expect(
      find(await doctor(withToken("change-me-now")), "gateway-token/placeholder").severity,
    ).toBe("error");
    expect(find(await doctor(withToken("short12")), "gateway-token/weak").message).toContain(
      "7 characters",
    );
    const unresolved = await doctor(withToken("${GW_TOKEN}"));
    expect(find(unresolved, "gateway-token/unresolved").message).toContain("GW_TOKEN");
    // Never the secret itself in what the doctor reports.
    expect(JSON.stringify(await doctor(withToken("short12")))).not.toContain("short12");
  });

  it("warns about secrets in plain text, but not about a loopback model server's marker", async () => {
    const target = instance((dir) =>
      baseConfig(dir).replace(
        "    providers: {\n",
        '    providers: {\n      remote: { baseUrl: "https://llm.example.com/v1", apiKey: "sk-remote-secret-0000", api: "openai-completions", models: [] },\n',
      ),
    );
    const report = await doctor(target);
    const plain = report.findings.filter((f) => f.id === "plaintext-secrets").map((f) => f.path);
    expect(plain).toEqual(["models.providers.remote.apiKey"]);
    expect(JSON.stringify(report)).not.toContain("sk-remote-secret-0000");
  });

  it("fixes permissions of the config and the state dir with chmod, idempotently", async () => {
    const target = instance((dir) => baseConfig(dir));
    chmodSync(target.configFile, 0o644);
    chmodSync(target.stateDir, 0o755);
    const report = await doctor(target);
    expect(
      report.findings.filter((f) => f.id.startsWith("file-permissions/")).map((f) => f.path),
    ).toEqual([target.configFile, target.stateDir]);
    const { outcome } = await fixAndRecheck(target, "file-permissions/readable");
    expect(outcome.backup).toBeNull();
  });

  it("finds a legacy auth-profiles.json and legacy JSONL sessions in the state dir", async () => {
    const target = instance((dir) => baseConfig(dir));
    const agentDir = path.join(target.stateDir, "agents", "main");
    mkdirSync(path.join(agentDir, "agent"), { recursive: true });
    mkdirSync(path.join(agentDir, "sessions"), { recursive: true });
    writeFileSync(
      path.join(agentDir, "agent", "auth-profiles.json"),
      JSON.stringify({
        version: 1,
        profiles: { "openai:default": { type: "api_key", provider: "openai", key: "sk-test" } },
      }),
    );
    writeFileSync(path.join(agentDir, "sessions", "sessions.json"), "{}");
    writeFileSync(path.join(agentDir, "sessions", "abc.jsonl"), '{"type":"session"}\n');
    const report = await doctor(target);
    expect(find(report, "legacy-files/auth-profiles").severity).toBe("error");
    expect(find(report, "legacy-files/jsonl-sessions").message).toContain("2 file(s)");
  });

  it("warns about a key written twice", async () => {
    const target = instance((dir) =>
      baseConfig(dir).replace('mode: "local",', 'mode: "local",\n    mode: "local",'),
    );
    expect(find(await doctor(target), "duplicate-keys")).toMatchObject({
      path: "gateway.mode",
      line: 5,
    });
  });

  describe("fleet", () => {
    let foreign: Server;
    beforeAll(async () => {
      foreign = createServer();
      await new Promise<void>((resolve) => foreign.listen(0, "127.0.0.1", resolve));
    });
    afterAll(() => new Promise<void>((resolve) => foreign.close(() => resolve())));

    it("finds ports too close to another bot's, a foreign listener, a shared state dir and a port mismatch", async () => {
      const target = instance((dir) => baseConfig(dir));
      const port = (foreign.address() as { port: number }).port;
      const me = botIn("me", port, target.dir);
      const neighbour = botIn("neighbour", port + 5, path.join(scratch.dir, "other"));
      const twin = { ...botIn("twin", port + 100, target.dir), desiredState: "running" as const };
      // A twin that stays stopped blocks nobody (registration refuses new ones).
      const stoppedTwin = botIn("stopped-twin", port + 200, target.dir);
      const report = await doctor(target, {
        target: { configFile: target.configFile, stateDir: target.stateDir, bot: me },
        fleet: [me, neighbour, twin, stoppedTwin],
      });
      expect(find(report, "fleet/port-collision").message).toContain("neighbour");
      expect(find(report, "fleet/port-in-use").message).toContain(`pid ${process.pid}`);
      const shared = report.findings.filter((f) => f.id === "fleet/shared-path");
      expect(shared.map((f) => f.evidence?.otherBot)).toEqual(["twin", "twin"]);
      expect(shared.find((f) => f.message.includes("share the config"))?.message).not.toMatch(
        /state dir/,
      );
      const mismatch = find(report, "fleet/port-mismatch");
      expect(mismatch.fix).toMatchObject({
        kind: "edit-config",
        edits: [{ op: "set", value: port }],
      });
      const outcome = applyFixes(target.configFile, [mismatch]);
      expect(outcome.applied).toHaveLength(1);
      expect(readFileSync(target.configFile, "utf8")).toContain(
        `port: ${port}, // fixed by the firewall`,
      );
    });
  });

  it("gates a start: passes a good config once, and refuses it again as soon as it breaks", async () => {
    const target = instance((dir) => baseConfig(dir));
    const bot = botIn("gate", 18950, target.dir);
    const config = configSchema.parse({
      dataDir: path.join(target.dir, "data"),
      openclaw: { bin: GATEWAY_RUNTIME.openclaw, node: GATEWAY_RUNTIME.node },
      supervisor: { env: { HOME: path.join(target.dir, "home") } },
    });
    const gate = new DoctorService(config, () => Promise.resolve([bot]));
    await gate.assertStartable(bot);
    await gate.assertStartable(bot); // unchanged: passes again (without running the rules)
    writeFileSync(
      target.configFile,
      readFileSync(target.configFile, "utf8").replace('bind: "loopback"', 'bind: "0.0.0.0"'),
    );
    const refused = (await gate.assertStartable(bot).catch((e: unknown) => e)) as OpsError;
    expect(refused.code).toBe("CONFIG_INVALID");
    expect(refused.message).toMatch(/^doctor found 1 error in gate's config: gateway\.bind: /);
    expect(refused.issues[0]).toMatchObject({ path: "gateway.bind", severity: "error" });
  });

  it("merges OpenClaw's own lint, attributed, without repeating what clawops found", async () => {
    const target = instance((dir) =>
      baseConfig(dir)
        .replace('bind: "loopback"', 'bind: "lan"')
        .replace(`auth: { mode: "token", token: ${TOKEN_REF} }`, 'auth: { mode: "none" }'),
    );
    const report = await runDoctor(input(target), { speed: "all" });
    expect(report.rules).toContain("openclaw");
    const bind = find(report, "bind-safety/unauthenticated");
    expect(bind.evidence?.alsoReportedBy).toContain("openclaw/core/doctor/security");
    // OpenClaw's findings that clawops has no rule for stay, attributed to OpenClaw.
    expect(report.findings.some((f) => f.id.startsWith("openclaw/"))).toBe(true);
  }, 60_000);
});
