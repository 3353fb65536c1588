import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, runCli, tempDir } from "./helpers/cli.js";

let work: ReturnType<typeof tempDir>;
beforeAll(() => {
  work = tempDir("clawops-cli-");
});
afterAll(() => work.remove());

const cli = (...args: string[]) => runCli(args, { cwd: work.dir });

describe("clawops CLI", () => {
  it("prints its version, as text and JSON", async () => {
    const text = await cli("version");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^clawops \d+\.\d+\.\d+ \(node 2\d\./);
    const json = JSON.parse((await cli("version", "--json")).stdout) as {
      clawops: string;
      node: string;
    };
    expect(json.node).toBe(process.versions.node);
  });

  it("manages the bot registry: add, list, show, remove", async () => {
    const added = await cli("bot", "add", "demo", "--port", "18800", "--allow-missing", "--json");
    expect(added.code).toBe(0);
    const { bot } = JSON.parse(added.stdout) as {
      bot: { name: string; port: number; stateDir: string; configPath: string };
    };
    expect(bot).toMatchObject({
      name: "demo",
      port: 18800,
      stateDir: path.join(work.dir, ".clawops", "bots", "demo"),
      configPath: path.join(work.dir, ".clawops", "bots", "demo", "openclaw.json"),
    });
    // Registering never creates the bot's files.
    expect(existsSync(bot.stateDir)).toBe(false);

    const second = await cli(
      "bot",
      "add",
      "prod-1",
      "--owner",
      "ops@example.com",
      "--driver",
      "adopted",
      "--state-dir",
      "/srv/openclaw/prod-1",
      "--config",
      "/etc/openclaw/prod-1.json",
      "--label",
      "env=prod",
      "--label",
      "team=core",
      "--desired",
      "running",
      "--allow-missing",
    );
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("registered prod-1 on port 18829");

    const list = JSON.parse((await cli("bot", "list", "--json")).stdout) as {
      bots: { name: string }[];
    };
    expect(list.bots.map((b) => b.name)).toEqual(["demo", "prod-1"]);
    const table = (await cli("bot", "list")).stdout;
    expect(table).toMatch(/^NAME\s+ORG\s+PORT\s+DRIVER\s+DESIRED\s+OWNER\s+STATE DIR$/m);
    expect(table).toMatch(
      /^prod-1\s+default\s+18829\s+adopted\s+running\s+ops@example.com\s+\/srv\/openclaw\/prod-1$/m,
    );

    const show = JSON.parse((await cli("bot", "show", "prod-1", "--json")).stdout) as {
      bot: { configPath: string; labels: Record<string, string>; owner: string };
    };
    expect(show.bot).toMatchObject({
      configPath: "/etc/openclaw/prod-1.json",
      labels: { env: "prod", team: "core" },
      owner: "ops@example.com",
    });

    const removed = await cli("bot", "remove", "demo");
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain("files kept");
    const missing = await cli("bot", "show", "demo", "--json");
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toEqual({
      error: { code: "NOT_FOUND", message: 'no bot named "demo"', details: { bot: "demo" } },
    });

    const events = JSON.parse((await cli("events", "--bot", "prod-1", "--json")).stdout) as {
      events: { type: string; actor: string }[];
    };
    expect(events.events).toMatchObject([{ type: "bot.registered", actor: "cli" }]);
    const all = (await cli("events", "--type", "bot.")).stdout;
    expect(all).toMatch(/bot\.removed\s+cli/);
  });

  it("names the field in validation errors and exits 2", async () => {
    const bad = await cli("bot", "add", "Bad_Name!", "--port", "80");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("name: expected 1-63 characters");
    expect(bad.stderr).toContain("port: expected a number from 1024 to 65535");
    const json = await cli("bot", "add", "ok-name", "--port", "70000", "--json");
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({
      error: { code: "VALIDATION", issues: [{ path: "port" }] },
    });
    const notNumber = await cli("bot", "add", "ok-name", "--port", "abc");
    expect(notNumber.code).toBe(2);
    expect(notNumber.stderr).toContain("'--port <port>' argument 'abc' is invalid");
    const badDriver = await cli("bot", "add", "ok-name", "--driver", "docker");
    expect(badDriver.code).toBe(2);
    expect(badDriver.stderr).toContain("Allowed choices are process, adopted");
  });

  it("refuses conflicts, exiting 1", async () => {
    await cli("bot", "add", "taken", "--port", "19000", "--allow-missing");
    const dup = await cli("bot", "add", "taken", "--port", "19100", "--allow-missing");
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('a bot named "taken" already exists');
    const port = await cli("bot", "add", "other", "--port", "19000", "--allow-missing");
    expect(port.stderr).toContain('port 19000 is already used by bot "taken"');
  });

  it("checks a new bot's files: missing config, state dir that is a file, another bot's config", async () => {
    const missing = await cli("bot", "add", "ghost", "--config", "/nowhere/openclaw.json");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("config /nowhere/openclaw.json does not exist");
    expect(missing.stderr).toContain("--allow-missing");

    const file = path.join(work.dir, "state-is-a-file");
    writeFileSync(file, "");
    const stateFile = await cli("bot", "add", "filed", "--state-dir", file, "--allow-missing");
    expect(stateFile.code).toBe(2);
    expect(stateFile.stderr).toContain(`state dir ${file} is a file, not a directory`);

    const config = path.join(work.dir, "shared.json");
    writeFileSync(config, "{}");
    expect((await cli("bot", "add", "first", "--config", config)).code).toBe(0);
    const twin = await cli("bot", "add", "second", "--config", config, "--desired", "stopped");
    expect(twin.code).toBe(1);
    expect(twin.stderr).toContain(`config ${config} is already used by bot "first"`);
    // Nothing was registered by the refusals.
    const list = JSON.parse((await cli("bot", "list", "--json")).stdout) as {
      bots: { name: string }[];
    };
    const names = list.bots.map((b) => b.name);
    expect(names).toContain("first");
    for (const refused of ["ghost", "filed", "second"]) expect(names).not.toContain(refused);
  });

  it("says plainly when the daemon is not running", async () => {
    const port = String(await freePort());
    const status = await runCli(["status"], { cwd: work.dir, env: { CLAWOPS_HTTP_PORT: port } });
    expect(status.code).toBe(1);
    expect(status.stderr).toContain(
      `the daemon is not running: nothing answers at http://127.0.0.1:${port}`,
    );
    expect(status.stderr).toContain('start it with "clawops up"');
    const json = await runCli(["status", "--json"], {
      cwd: work.dir,
      env: { CLAWOPS_HTTP_PORT: port },
    });
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: "DAEMON_NOT_RUNNING" } });
  });

  it("treats unknown commands and options as usage errors (exit 2)", async () => {
    expect((await cli("frobnicate")).code).toBe(2);
    expect((await cli("bot", "list", "--colour")).code).toBe(2);
    const help = await cli("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: clawops");
  });
});
