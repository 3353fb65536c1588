import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep } from "../src/core/time.js";
import { type FakeLlm, FAKE_LLM_TEXT, startFakeLlm } from "./harness/fake-llm.js";
import { GATEWAY_HOOK_TIMEOUT, acquireGatewaySlot } from "./harness/gateway.js";
import {
  CLI,
  type RunningDaemon,
  freePort,
  runCli,
  runFile,
  startUp,
  tempDir,
} from "./helpers/cli.js";
import { registerSecret } from "./helpers/witness.js";

/**
 * The README's path, as a new user walks it (docs/quickstart.md): OpenClaw
 * installed by clawops from the npm registry into a fresh data dir, the
 * daemon, a bot created against a local OpenAI-compatible server (the fake
 * LLM), a chat turn, and the gateway back after the docs' `kill -9` recipe.
 * Only the CLI is used; nothing of the test gateway runtime.
 */
describe("quickstart: from a fresh data dir to a supervised, chatting gateway", () => {
  const work = tempDir("clawops-quickstart-");
  const bin = path.join(work.dir, "bin");
  let env: Record<string, string>;
  let llm: FakeLlm;
  let daemon: RunningDaemon | null = null;
  let release: (() => void) | null = null;
  const cli = (...args: string[]) => runCli(args, { cwd: work.dir, env });

  beforeAll(async () => {
    // `clawops` on PATH, as `npm link` puts it there: the docs' shell recipes call it by name.
    mkdirSync(bin);
    symlinkSync(CLI, path.join(bin, "clawops"));
    // With an `openai/*` model OpenClaw 2026.9.6 tries to npm-install its codex plugin at
    // every boot; its npm, under the gateway's own HOME, lacks this host's CA file and retries
    // for ~95 s before booting without it (docs/openclaw-2026.9.6.md). The default 120 s start
    // timeout leaves no room for that on a loaded CI host: the supervisor killed the boot.
    writeFileSync(path.join(work.dir, "clawops.yaml"), "supervisor:\n  startTimeout: 300s\n");
    env = {
      CLAWOPS_HTTP_PORT: String(await freePort()),
      PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
    };
    llm = await startFakeLlm();
  });

  afterAll(async () => {
    await daemon?.stop("SIGTERM");
    release?.();
    await llm?.close();
    work.remove();
  });

  it("installs OpenClaw and its Node into the data dir, verified, and reuses it", async () => {
    // An install downloads ~800 MB the first time.
    const installed = await runCli(["openclaw", "install"], {
      cwd: work.dir,
      env,
      timeoutMs: 840_000,
    });
    expect(installed.stderr).not.toMatch(/clawops: /);
    expect(installed.code).toBe(0);
    expect(installed.stdout).toMatch(
      /^installed: openclaw 2026\.9\.6 on node 24\.\d+\.\d+ \(OpenClaw 2026\.9\.6/,
    );
    const again = await cli("openclaw", "install", "--json");
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      result: { installed: false, isDefault: true, runtime: { version: "2026.9.6" } },
    });
    const placeholder = await cli("openclaw", "install", "0.0.1");
    expect(placeholder.code).toBe(2);
    expect(placeholder.stderr).toContain("an empty placeholder package, not the OpenClaw gateway");
  }, 900_000);

  // The install above holds no gateway slot: it downloads for minutes while other suites boot theirs.
  describe("with its gateway", () => {
    beforeAll(async () => {
      release = await acquireGatewaySlot();
    }, GATEWAY_HOOK_TIMEOUT);

    it("creates a bot against a local OpenAI-compatible server, starts it and chats", async () => {
      daemon = await startUp({ cwd: work.dir, port: Number(env.CLAWOPS_HTTP_PORT), env });
      const created = await cli(
        "bot",
        "create",
        "demo",
        "--provider",
        "openai-compatible",
        "--base-url",
        llm.baseUrl,
        "--model",
        "fake-model",
      );
      expect(created.stderr).toBe("");
      expect(created.code).toBe(0);
      expect(created.stdout).toContain("created demo on port");
      expect(created.stdout).toContain("local: none needed (a model server on this machine)");
      expect(created.stdout).toMatch(/^demo running: pid \d+/m);
      const { bot: demo } = JSON.parse((await cli("bot", "show", "demo", "--json")).stdout) as {
        bot: { stateDir: string };
      };
      registerSecret(
        readFileSync(path.join(demo.stateDir, "gateway-token"), "utf8").trim(),
        "the token bot create generated",
      );

      const list = JSON.parse((await cli("openclaw", "list", "--json")).stdout) as {
        runtimes: { version: string; bots: string[] }[];
      };
      expect(list.runtimes).toMatchObject([{ version: "2026.9.6", bots: ["demo"] }]);

      const chat = await cli("chat", "demo", "hello");
      expect(chat.stderr).toBe("");
      expect(chat.code).toBe(0);
      expect(chat.stdout).toContain(FAKE_LLM_TEXT);
      expect(llm.requests.some((r) => r.path.endsWith("/chat/completions"))).toBe(true);
    }, 300_000);

    it("brings the gateway back after the docs' kill -9 recipe", async () => {
      const before = await gatewayOf("demo");
      // docs/quickstart.md and docs/supervisor.md, verbatim.
      const killed = await runFile(
        "bash",
        ["-c", `kill -9 $(clawops status --json | jq '.gateways[] | select(.bot=="demo") | .pid')`],
        { cwd: work.dir, env, timeoutMs: 60_000 },
      );
      expect(killed.code).toBe(0);
      const deadline = Date.now() + 120_000;
      let after = before;
      while (Date.now() < deadline) {
        after = await gatewayOf("demo");
        if (after.state === "running" && after.pid !== before.pid) break;
        await sleep(500);
      }
      expect(after).toMatchObject({ state: "running", restarts: before.restarts + 1 });
      expect(after.lastExit?.reason).toBe("killed by SIGKILL");
      const chat = await cli("chat", "demo", "still there?");
      expect(chat.code).toBe(0);
      expect(chat.stdout).toContain(FAKE_LLM_TEXT);
    }, 300_000);

    it("creates a bot without any key: it boots, and says which variable to set", async () => {
      // One gateway at a time on this slot.
      expect((await cli("bot", "stop", "demo")).code).toBe(0);
      const created = await runCli(["bot", "create", "nokey", "--provider", "openai"], {
        cwd: work.dir,
        env: { ...env, OPENAI_API_KEY: "" },
        timeoutMs: 330_000,
      });
      expect(created.code, `${created.stdout}\n${created.stderr}`).toBe(0);
      expect(created.stdout).toContain("openai: MISSING");
      expect(created.stdout).toContain("OPENAI_API_KEY");
      expect(created.stdout).toMatch(/^nokey running: pid \d+/m);
      // The chat says what OpenClaw says: no key for the provider.
      const chat = await cli("chat", "nokey", "hello");
      expect(chat.code).toBe(1);
      expect(chat.stdout).toMatch(/No API key found for provider "openai"|openai/i);
      expect((await cli("bot", "stop", "nokey")).code).toBe(0);
    }, 420_000);
  });

  async function gatewayOf(bot: string) {
    const status = await cli("status", "--json");
    const answer = JSON.parse(status.stdout) as {
      gateways: {
        bot: string;
        state: string;
        pid: number | null;
        restarts: number;
        lastExit: { reason: string } | null;
      }[];
    };
    const gateway = answer.gateways.find((g) => g.bot === bot);
    if (!gateway) throw new Error(`no gateway of ${bot} in ${status.stdout}`);
    return gateway;
  }
});
