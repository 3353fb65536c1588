import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpsEvent } from "../src/core/events.js";
import type { GatewayInstance } from "../src/core/gateway-state.js";
import type { RepairRecord } from "../src/core/repair.js";
import { sleep } from "../src/core/time.js";
import { GATEWAY_RUNTIME, minimalGatewayConfig } from "./harness/gateway.js";
import { type RunningDaemon, freePort, runCli, startUp, tempDir } from "./helpers/cli.js";

/**
 * Starts that cannot succeed whatever is restarted: a missing openclaw, one
 * that is not executable, a state dir that cannot be written. Through the CLI
 * against a real `clawops up`: the start fails with the real cause, and the
 * repair pipeline escalates once, at once, naming it, with no restart.
 */
describe("starts that no allowlisted action can fix", () => {
  const work = tempDir("clawops-start-failures-");
  let daemon: RunningDaemon;
  const env = { CLAWOPS_DATA_DIR: path.join(work.dir, "data"), CLAWOPS_HTTP_PORT: "" };
  const cli = (...args: string[]) => runCli(args, { cwd: work.dir, env });

  beforeAll(async () => {
    env.CLAWOPS_HTTP_PORT = String(await freePort());
    daemon = await startUp({ cwd: work.dir, port: Number(env.CLAWOPS_HTTP_PORT), env });
  });
  afterAll(async () => {
    await daemon?.stop();
    work.remove();
  });

  async function addBot(name: string, openclawBin: string) {
    const stateDir = path.join(work.dir, "data", "bots", name);
    mkdirSync(stateDir, { recursive: true });
    // Beside the state dir, not in it: the state dir case replaces it.
    const configPath = path.join(work.dir, "data", "bots", `${name}.json`);
    const port = await freePort();
    const config = minimalGatewayConfig({
      dir: stateDir,
      port,
      token: "f1e2d3c4b5a697887766554433221100aabbccdd",
      llmBaseUrl: "http://127.0.0.1:9/v1",
    });
    writeFileSync(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
    const added = await cli(
      "bot",
      "add",
      name,
      "--state-dir",
      stateDir,
      "--config",
      configPath,
      "--port",
      String(port),
      "--openclaw-bin",
      openclawBin,
    );
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
    return { stateDir, configPath };
  }

  /** The bot's repairs once one has ended, after a pause long enough for a second to show. */
  async function repairsOf(name: string): Promise<RepairRecord[]> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const listed = await cli("repairs", "--bot", name, "--json");
      const { repairs } = JSON.parse(listed.stdout) as { repairs: RepairRecord[] };
      if (repairs.some((r) => r.outcome !== "running")) {
        await sleep(3_000);
        return (
          JSON.parse((await cli("repairs", "--bot", name, "--json")).stdout) as {
            repairs: RepairRecord[];
          }
        ).repairs;
      }
      if (Date.now() > deadline) throw new Error(`no repair of ${name} ended in 60 s`);
      await sleep(250);
    }
  }

  async function gatewayOf(name: string): Promise<GatewayInstance & { bot: string }> {
    const status = JSON.parse((await cli("status", "--json")).stdout) as {
      gateways: (GatewayInstance & { bot: string })[];
    };
    return status.gateways.find((g) => g.bot === name)!;
  }

  async function failureEvents(botName: string) {
    const listed = await cli("events", "--bot", botName, "--json");
    const { events } = JSON.parse(listed.stdout) as { events: OpsEvent[] };
    return events.filter((e) => e.type === "gateway.state" && e.data.to === "failed");
  }

  const cases = [
    {
      name: "nobin",
      kind: "binary_missing",
      prepare: () => addBot("nobin", path.join(work.dir, "no-such-dir", "openclaw")),
      says: /openclaw CLI not found/,
      todo: "install OpenClaw (clawops openclaw install)",
    },
    {
      name: "noexec",
      kind: "binary_not_executable",
      prepare: async () => {
        const bin = path.join(work.dir, "openclaw-noexec");
        writeFileSync(bin, "#!/bin/sh\nexec true\n");
        chmodSync(bin, 0o644);
        return addBot("noexec", bin);
      },
      says: /EACCES|not executable/,
      todo: "make it executable (chmod +x)",
    },
    {
      name: "rostate",
      kind: "state_dir_unwritable",
      prepare: async () => {
        const files = await addBot("rostate", GATEWAY_RUNTIME.openclaw);
        // A path that cannot become a directory: even root cannot write there.
        rmSync(files.stateDir, { recursive: true, force: true });
        writeFileSync(files.stateDir, "not a directory\n");
        return files;
      },
      says: /state dir .* is not writable/,
      todo: "fix the state dir's ownership, permissions or disk",
    },
  ] as const;

  for (const c of cases) {
    it(`${c.kind}: the start says why, and one repair escalates at once without a restart`, async () => {
      await c.prepare();
      const started = await cli("bot", "start", c.name);
      expect({ code: started.code, said: `${started.stdout}${started.stderr}` }).toEqual({
        code: 1,
        said: expect.stringMatching(c.says) as string,
      });

      const repairs = await repairsOf(c.name);
      expect(repairs).toHaveLength(1);
      const [repair] = repairs;
      expect(repair).toMatchObject({ trigger: "start_failed", outcome: "escalated", tier: 0 });
      expect(repair!.actions).toEqual([]);
      expect(repair!.cause).toMatch(c.says);
      expect(repair!.summary).toMatch(/^escalated at once: no allowlisted action fixes /);
      expect(repair!.summary).toContain(c.todo);

      const gateway = await gatewayOf(c.name);
      expect(gateway).toMatchObject({ state: "failed", restarts: 0, pid: null });
      const failed = await failureEvents(c.name);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.data.failure).toMatchObject({ kind: c.kind });
    });
  }
});
