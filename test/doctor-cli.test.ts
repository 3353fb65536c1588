import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { GATEWAY_RUNTIME, gatewayRuntimeAvailable } from "./harness/gateway.js";
import { freePort, runCli, startUp, tempDir } from "./helpers/cli.js";
import { registerSecret } from "./helpers/witness.js";

registerSecret("sk-old-0000000000", "a legacy plaintext key");
registerSecret("sk-legacy-0000", "a legacy auth file's key");

/** `clawops doctor` as a user and a CI job run it: exit codes, formats, fixes, the API. */
describe.runIf(gatewayRuntimeAvailable())("clawops doctor on the command line", () => {
  const scratch = tempDir("clawops-doctor-cli-");
  const dir = scratch.dir;
  const cli = (args: string[]) => runCli(args, { cwd: dir });

  /** A gateway config: the three classic breakages, or (clean) none of them. */
  function writeConfig(name: string, broken: boolean) {
    const botDir = path.join(dir, name);
    mkdirSync(path.join(botDir, "state"), { recursive: true, mode: 0o700 });
    const file = path.join(botDir, "openclaw.json");
    writeFileSync(path.join(botDir, "state", "gateway-token"), `${"a1b2c3d4".repeat(6)}\n`, {
      mode: 0o600,
    });
    writeFileSync(
      file,
      `// ${name}
{
  gateway: {
    mode: "local",
    port: 18970,
    bind: "${broken ? "0.0.0.0" : "loopback"}",
    auth: ${broken ? '{ mode: "none" }' : '{ mode: "token", token: { source: "file", provider: "clawops", id: "value" } }'},
  },
  secrets: { providers: { clawops: { source: "file", path: "${botDir}/state/gateway-token", mode: "singleValue" } } },
  agents: { defaults: { model: { primary: "${broken ? "anthropic/claude-sonnet-4-6" : "local/m1"}" } } },
  models: { providers: { local: { baseUrl: "http://127.0.0.1:9/v1", api: "openai-completions", models: [{ id: "m1", name: "M1" }] } } },${
    broken ? '\n  providers: { openai: { apiKey: "sk-old-0000000000" } },' : ""
  }
  logging: { file: "${botDir}/openclaw.log" },
}
`,
      { mode: 0o600 },
    );
    return file;
  }

  beforeAll(() => {
    writeFileSync(
      path.join(dir, "clawops.yaml"),
      stringify({
        dataDir: path.join(dir, "data"),
        openclaw: { bin: GATEWAY_RUNTIME.openclaw, node: GATEWAY_RUNTIME.node },
        supervisor: { env: { HOME: dir, PATH: process.env.PATH ?? "/usr/bin:/bin" } },
      }),
    );
  });
  afterAll(() => scratch.remove());

  it("says what to check when nothing is registered and no config is named (exit 2)", async () => {
    const result = await cli(["doctor"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no bots are registered: name a config with --config PATH/);
  });

  it("reports the three classic breakages with paths and fixes, in text, JSON and GitHub formats", async () => {
    const file = writeConfig("broken", true);
    const text = await cli(["doctor", "--config", file, "--fast"]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/error {4}providers {2}\(openclaw\.json:\d+:3\)/);
    expect(text.stdout).toMatch(/error {4}gateway\.bind {2}\(openclaw\.json:6:5\)/);
    expect(text.stdout).toMatch(/no credential for provider "anthropic"/);
    expect(text.stdout).toMatch(/3 errors, \d+ warnings?, \d+ info; 2 fixable with --fix/);

    const json = await cli(["doctor", "--config", file, "--fast", "--json"]);
    expect(json.code).toBe(1);
    const { results } = JSON.parse(json.stdout) as {
      results: { report: { findings: { id: string; path: string; line?: number }[] } }[];
    };
    const ids = results[0]!.report.findings.map((f) => f.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        "legacy-keys/root-providers",
        "bind-safety/not-a-mode",
        "provider-credentials/missing",
      ]),
    );
    expect(json.stdout).not.toContain("sk-old-0000000000");

    const github = await cli(["doctor", "--config", file, "--fast", "--format", "github"]);
    expect(github.code).toBe(1);
    expect(github.stdout).toMatch(
      new RegExp(
        `^::error file=${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")},line=6,col=5,title=bind-safety/not-a-mode gateway\\.bind::`,
        "m",
      ),
    );
  });

  it("shows the diff without writing on --fix --dry-run, then fixes for real, keeping comments", async () => {
    const file = writeConfig("fixme", true);
    const before = readFileSync(file, "utf8");
    const dry = await cli(["doctor", "--config", file, "--fast", "--fix", "--dry-run"]);
    expect(dry.stdout).toContain('-    bind: "0.0.0.0",');
    expect(dry.stdout).toContain('+    bind: "loopback",');
    expect(dry.stdout).toContain("would fix  providers");
    // The diff is printed: the key it moves shows masked.
    expect(dry.stdout).toContain('apiKey: "[REDACTED]"');
    expect(dry.stdout).not.toContain("sk-old-0000000000");
    expect(readFileSync(file, "utf8")).toBe(before);

    const fixed = await cli(["doctor", "--config", file, "--fast", "--fix"]);
    expect(fixed.stdout).toMatch(/backup: .*openclaw\.json\.clawops-\d{8}T\d{6}Z\.bak/);
    expect(fixed.stdout).not.toContain("sk-old-0000000000");
    const after = readFileSync(file, "utf8");
    expect(after.startsWith("// fixme\n")).toBe(true);
    // The file keeps the key itself: only what is shown is masked.
    expect(after).toContain("sk-old-0000000000");
    expect(after).not.toContain("0.0.0.0");
    // What is left is the credential, which needs the operator's key.
    expect(fixed.code).toBe(1);
    expect(fixed.stdout).toMatch(/after the fixes:[\s\S]*no credential for provider "anthropic"/);
  });

  it("exits 0 on a clean config and 1 on warnings only with --strict", async () => {
    const file = writeConfig("clean", false);
    const clean = await cli(["doctor", "--config", file, "--fast"]);
    expect(clean.stdout).toMatch(/no findings|0 errors, 0 warnings/);
    expect(clean.code).toBe(0);
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace('mode: "local",', 'mode: "local",\n    mode: "local",'),
    );
    const warned = await cli(["doctor", "--config", file, "--fast"]);
    expect(warned.code).toBe(0);
    expect(warned.stdout).toMatch(/warning {2}gateway\.mode/);
    expect((await cli(["doctor", "--config", file, "--fast", "--strict"])).code).toBe(1);
  });

  it("runs OpenClaw's own doctor --fix only when asked by name, with a backup and the diff", async () => {
    const file = writeConfig("migrate", false);
    const stateDir = path.join(dir, "migrate", "state");
    const agentDir = path.join(stateDir, "agents", "main", "agent");
    mkdirSync(agentDir, { recursive: true });
    writeFileSync(
      path.join(agentDir, "auth-profiles.json"),
      JSON.stringify({
        version: 1,
        profiles: {
          "local:default": { type: "api_key", provider: "local", key: "sk-legacy-0000" },
        },
      }),
    );
    const target = ["--config", file, "--state-dir", stateDir];
    const before = await cli(["doctor", ...target, "--fast", "--json"]);
    expect(before.stdout).toContain("legacy-files/auth-profiles");
    // Plain --fix leaves it: it is OpenClaw's migration, not a minimal edit.
    await cli(["doctor", ...target, "--fast", "--fix"]);
    expect(existsSync(path.join(agentDir, "auth-profiles.json"))).toBe(true);

    const ran = await cli(["doctor", ...target, "--fast", "--openclaw-fix", "--json"]);
    const answer = JSON.parse(ran.stdout) as {
      openclawFix: { backup: string; diff: string };
      results: { report: { findings: { id: string }[] } }[];
    };
    expect(existsSync(answer.openclawFix.backup)).toBe(true);
    expect(answer.results[0]!.report.findings.map((f) => f.id)).not.toContain(
      "legacy-files/auth-profiles",
    );
    // Archived, not deleted.
    expect(readdirSync(agentDir).some((f) => f.startsWith("auth-profiles.json.migrated"))).toBe(
      true,
    );
    expect(ran.stdout).not.toContain("sk-legacy-0000");
  }, 120_000);

  it("lists its rules", async () => {
    const rules = await cli(["doctor", "--rules", "--json"]);
    const ids = (JSON.parse(rules.stdout) as { rules: { id: string }[] }).rules.map((r) => r.id);
    expect(ids).toEqual(
      expect.arrayContaining(["schema", "legacy-keys", "provider-credentials", "openclaw"]),
    );
  });

  it("answers over the API for a registered bot, and every registered bot by default", async () => {
    const port = await freePort();
    const file = writeConfig("apibot", true);
    expect(
      (
        await cli([
          "bot",
          "add",
          "apibot",
          "--port",
          "18970",
          "--config",
          file,
          "--state-dir",
          path.join(dir, "apibot", "state"),
        ])
      ).code,
    ).toBe(0);
    const daemon = await startUp({ cwd: dir, port });
    try {
      const response = await daemon.fetch(`/api/v1/bots/apibot/doctor?fast=true`);
      expect(response.status).toBe(200);
      const { report } = (await response.json()) as {
        report: { bot: string; counts: { error: number }; findings: { id: string }[] };
      };
      expect(report.bot).toBe("apibot");
      expect(report.counts.error).toBeGreaterThanOrEqual(3);
      expect((await daemon.fetch(`/api/v1/bots/nobody/doctor`)).status).toBe(404);
    } finally {
      await daemon.stop("SIGTERM");
    }
    const all = await cli(["doctor", "--fast"]);
    expect(all.code).toBe(1);
    expect(all.stdout).toMatch(/^apibot {2}/m);
  });
});
