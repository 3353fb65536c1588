import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GATEWAY_RUNTIME, gatewayRuntimeAvailable } from "./harness/gateway.js";
import { CLI, type CliResult, freePort, runCli, tempDir } from "./helpers/cli.js";
import { registerSecret } from "./helpers/witness.js";

const SYSTEMD_ANALYZE = "/usr/bin/systemd-analyze";

/** True when systemd-analyze is installed; under CI=true its absence fails the suite. */
function systemdAnalyzeAvailable(): boolean {
  const ok = existsSync(SYSTEMD_ANALYZE);
  if (!ok && process.env.CI === "true")
    throw new Error(
      "systemd-analyze is missing under CI=true: scripts/services.sh installs it (Debian package systemd)",
    );
  return ok;
}

/**
 * `systemd-analyze verify` exits 0 on unknown keys and bad values (it only
 * warns), so a pass is exit 0 AND nothing on stderr. A user unit is verified
 * against a user manager, which needs XDG_RUNTIME_DIR: this container has no
 * login session, so the test gives it a private one (an environmental need,
 * not a relaxed check).
 */
function verify(unit: string, options: { user?: boolean; runtimeDir: string }): Promise<CliResult> {
  const args = [...(options.user ? ["--user"] : []), "verify", "--man=no", unit];
  return new Promise((resolve) => {
    execFile(
      SYSTEMD_ANALYZE,
      args,
      {
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          XDG_RUNTIME_DIR: options.runtimeDir,
          SYSTEMD_LOG_LEVEL: "notice",
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        resolve({
          code: error ? (typeof error.code === "number" ? error.code : 1) : 0,
          stdout,
          stderr,
        });
      },
    );
  });
}

/**
 * `clawops service install|status|uninstall` as an operator runs them, on a
 * host without systemd (this container): the unit is written, verified by
 * systemd's own `systemd-analyze verify`, install says that systemd is not
 * running and exits non-zero unless `--write-only`; uninstall removes only its
 * own unit. The gateway units `clawops provision` writes are verified the same way.
 */
describe.runIf(systemdAnalyzeAvailable())("clawops service", () => {
  const scratch = tempDir("clawops-service-");
  const dir = scratch.dir;
  const home = path.join(dir, "home");
  const runtimeDir = path.join(dir, "runtime");
  const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, ".config") };
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runCli(args, { cwd: dir, env: { ...env, ...extra } });

  beforeAll(() => {
    mkdirSync(home, { recursive: true });
    mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(dir, "clawops.yaml"), "dataDir: ./data\n");
  });
  afterAll(() => scratch.remove());

  it("has no systemd here: install writes the unit, says so and exits 1; --write-only exits 0", async () => {
    expect(existsSync("/run/systemd/system")).toBe(false);
    const installed = await cli(["service", "install", "--user"]);
    expect(installed.code).toBe(1);
    const unitFile = path.join(home, ".config/systemd/user/clawops.service");
    expect(installed.stderr).toContain("systemd is not running on this host");
    expect(installed.stderr).toContain(unitFile);
    expect(existsSync(unitFile)).toBe(true);

    const again = await cli(["service", "install", "--user", "--write-only", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    const result = (JSON.parse(again.stdout) as { service: Record<string, unknown> }).service;
    expect(result).toMatchObject({ unitFile, change: "unchanged", systemd: false, enabled: false });
    const envFile = path.join(home, ".config/clawops/clawops.env");
    expect(statSync(envFile).mode & 0o777).toBe(0o600);

    const unit = readFileSync(unitFile, "utf8");
    expect(unit).toContain(
      `ExecStart=${process.execPath} ${CLI} --config ${path.join(dir, "clawops.yaml")} up`,
    );
    expect(unit).toContain("Restart=on-failure");
    expect(unit).toContain("NoNewPrivileges=yes");
    expect(unit).toContain("ProtectSystem=strict");
    expect(unit).toContain(`ReadWritePaths=${path.join(dir, "data")}`);
    expect(unit).toContain("PrivateTmp=yes");
    expect(unit).toContain(`EnvironmentFile=-${envFile}`);
    const checked = await verify(unitFile, { user: true, runtimeDir });
    expect(checked.stderr).toBe("");
    expect(checked.code).toBe(0);
  });

  it("writes a system unit with a dedicated user that systemd-analyze verifies, and backs up a different one", async () => {
    const unitDir = path.join(dir, "system");
    const secrets = path.join(dir, "etc", "clawops.env");
    const args = ["service", "install", "--unit-dir", unitDir, "--secrets-file", secrets];
    // `daemon` exists on every Debian; a missing user only warns with --unit-dir (write only).
    const first = await cli([...args, "--run-as", "daemon", "--json"]);
    expect(first.code, first.stderr).toBe(0);
    const unitFile = path.join(unitDir, "clawops.service");
    const unit = readFileSync(unitFile, "utf8");
    expect(unit).toContain("User=daemon");
    expect(unit).toContain("ProtectHome=yes");
    expect(unit).toContain(`EnvironmentFile=-${secrets}`);
    expect(unit).not.toMatch(/CLAWOPS_VAULT_KEY=|PASSWORD/);
    const checked = await verify(unitFile, { runtimeDir });
    expect(checked.stderr).toBe("");
    expect(checked.code).toBe(0);

    // A different unit there (an operator's edit) is kept beside the new one.
    writeFileSync(unitFile, `${unit}# edited by hand\n`);
    const second = await cli([...args, "--run-as", "daemon", "--json"]);
    expect(second.code, second.stderr).toBe(0);
    const { service } = JSON.parse(second.stdout) as {
      service: { change: string; backup: string };
    };
    expect(service.change).toBe("updated");
    expect(readFileSync(service.backup, "utf8")).toContain("# edited by hand");
    expect(readFileSync(unitFile, "utf8")).toBe(unit);
    // The environment file is the operator's: never rewritten.
    writeFileSync(secrets, "CLAWOPS_VAULT_KEY=x\n");
    await cli([...args, "--run-as", "daemon"]);
    expect(readFileSync(secrets, "utf8")).toBe("CLAWOPS_VAULT_KEY=x\n");

    const status = await cli([
      "service",
      "status",
      "--unit-dir",
      unitDir,
      "--secrets-file",
      secrets,
      "--run-as",
      "daemon",
    ]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain("written by clawops, current");
    expect(status.stdout).toContain("systemd is not running on this host");
  });

  it("uninstall removes only the unit clawops wrote", async () => {
    const unitDir = path.join(dir, "foreign");
    mkdirSync(unitDir, { recursive: true });
    const foreign = path.join(unitDir, "clawops.service");
    writeFileSync(foreign, "[Service]\nExecStart=/bin/true\n");
    const refused = await cli(["service", "uninstall", "--unit-dir", unitDir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("was not written by clawops");
    expect(existsSync(foreign)).toBe(true);

    const removed = await cli(["service", "uninstall", "--user", "--json"]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({ service: { removed: true } });
    expect(existsSync(path.join(home, ".config/systemd/user/clawops.service"))).toBe(false);
    // The secrets file stays.
    expect(existsSync(path.join(home, ".config/clawops/clawops.env"))).toBe(true);
    const nothing = await cli(["service", "uninstall", "--user"]);
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toContain("nothing to remove");
  });

  it.runIf(gatewayRuntimeAvailable())(
    "verifies the gateway unit that `clawops provision` writes",
    async () => {
      const work = path.join(dir, "provision");
      mkdirSync(work, { recursive: true });
      writeFileSync(
        path.join(work, "clawops.yaml"),
        // Not OpenClaw's default port: the quickstart suite's gateway may hold 18789 meanwhile.
        `dataDir: ./data\nfleet:\n  portBase: ${await freePort()}\nopenclaw:\n  bin: ${GATEWAY_RUNTIME.openclaw}\n  node: ${GATEWAY_RUNTIME.node}\n`,
      );
      // The key goes through OpenClaw's CLI into the instance's store (no gateway runs).
      const made = await runCli(["provision", "demo"], {
        cwd: work,
        env: {
          ...env,
          ANTHROPIC_API_KEY: registerSecret("sk-ant-service-test-key-0123456789", "a provider key"),
        },
      });
      expect(made.code, made.stderr).toBe(0);
      const deploy = path.join(work, "data", "deploy", "demo");
      const unitFile = path.join(deploy, "openclaw-demo.service");
      expect(readdirSync(deploy)).toContain("openclaw-demo.service");
      const unit = readFileSync(unitFile, "utf8");
      expect(unit).toMatch(/^ExecStart=\/\S+\/bin\/node \/\S+\/openclaw\.mjs gateway run/m);
      const checked = await verify(unitFile, { runtimeDir });
      expect(checked.stderr).toBe("");
      expect(checked.code).toBe(0);
    },
    180_000,
  );
});
