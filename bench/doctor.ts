/**
 * Doctor benchmarks (issue 6): what the pre-start gate and `clawops doctor` cost.
 *
 *   npm run bench:doctor
 *
 * Issue 6 sets no speed target; the fuzz test bounds one quick run (parse,
 * schema, rules) at 100 ms. TRIALS (50) sets the warm runs.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import JSON5 from "json5";
import { ConfigDocument } from "../src/doctor/config-document.js";
import { DoctorChecker, type DoctorRequest } from "../src/doctor/checker.js";
import { DoctorThread } from "../src/doctor/off-thread.js";
import { OpenClawFacts } from "../src/doctor/openclaw-facts.js";
import { DOCTOR_RULES } from "../src/doctor/rules/index.js";
import { type DoctorInput, runDoctor } from "../src/doctor/run-doctor.js";
import { OpenClawCli } from "../src/gateway/openclaw-cli.js";
import { locateOpenClaw } from "../src/gateway/openclaw-locate.js";
import {
  GATEWAY_RUNTIME,
  gatewayRuntimeAvailable,
  minimalGatewayConfig,
} from "../test/harness/gateway.js";
import pino from "pino";
import { tempDir } from "../test/helpers/cli.js";
import { longestStall } from "../test/helpers/loop.js";
import { formatRows, machine, summarize } from "./stats.js";

const TRIALS = Number(process.env.TRIALS ?? 50);

async function main() {
  if (!gatewayRuntimeAvailable()) throw new Error("run scripts/install-gateway-runtime.sh first");
  console.log(`machine: ${await machine()}`);
  const scratch = tempDir("clawops-bench-doctor-");
  try {
    const dir = scratch.dir;
    for (const sub of ["state", "home", "tmp"]) mkdirSync(path.join(dir, sub), { mode: 0o700 });
    const configFile = path.join(dir, "openclaw.json");
    const config = minimalGatewayConfig({
      dir,
      port: 18990,
      token: "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c2b4d6f8e0a1c3e5a",
      llmBaseUrl: "http://127.0.0.1:9/v1",
    });
    writeFileSync(configFile, JSON5.stringify(config, null, 2), { mode: 0o600 });
    const cli = new OpenClawCli(await locateOpenClaw({ bin: GATEWAY_RUNTIME.openclaw }));
    const cacheDir = path.join(dir, "cache");
    const input = (facts: OpenClawFacts): DoctorInput => ({
      target: { configFile, stateDir: path.join(dir, "state"), bot: null },
      env: { PATH: process.env.PATH, HOME: path.join(dir, "home"), TMPDIR: path.join(dir, "tmp") },
      fleet: [],
      portSpacing: 20,
      openclaw: facts,
    });
    const time = async (work: () => Promise<unknown>) => {
      const started = performance.now();
      await work();
      return performance.now() - started;
    };

    // First run ever: `openclaw config schema` (~2 s) and the compile of the sections used.
    const noCache = await time(() =>
      runDoctor(input(new OpenClawFacts(cli, cacheDir)), { speed: "fast" }),
    );
    // A new daemon: the schema from the disk cache, compiled again.
    const cold: number[] = [];
    for (let i = 0; i < 5; i++)
      cold.push(
        await time(() => runDoctor(input(new OpenClawFacts(cli, cacheDir)), { speed: "fast" })),
      );
    // The gate in a running daemon: validators compiled.
    const facts = new OpenClawFacts(cli, cacheDir);
    await runDoctor(input(facts), { speed: "fast" });
    const warm: number[] = [];
    for (let i = 0; i < TRIALS; i++)
      warm.push(await time(() => runDoctor(input(facts), { speed: "fast" })));
    // Everything, OpenClaw's own lint included.
    const full: number[] = [];
    for (let i = 0; i < 3; i++)
      full.push(await time(() => runDoctor(input(facts), { speed: "all" })));

    // The loader alone on a large config (1,000 providers, ~330 KB).
    const big = {
      ...config,
      models: {
        providers: Object.fromEntries(
          Array.from({ length: 1000 }, (_, i) => [
            `p${i}`,
            {
              baseUrl: `https://llm${i}.example.com/v1`,
              api: "openai-completions",
              models: [{ id: "m", name: "M" }],
            },
          ]),
        ),
      },
    };
    const bigText = `// large\n${JSON5.stringify(big, null, 2)}`;
    const loader: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const parsed = ConfigDocument.parse(bigText);
      if (parsed.ok) parsed.document.locate(["models", "providers", "p999", "baseUrl"]);
      loader.push(performance.now() - started);
    }

    // The daemon's loop while the doctor checks a config near the size bound:
    // in the calling thread (the CLI) and in the daemon's worker thread. The
    // fast rules but provider-credentials, which asks `openclaw models status`
    // (a child process that takes ~20 s on this config, not loop time).
    const nearBound = {
      ...big,
      models: {
        providers: Object.fromEntries(
          Array.from({ length: 3200 }, (_, i) => [`p${i}`, big.models.providers.p0]),
        ),
      },
    };
    const boundFile = path.join(dir, "near-bound.json5");
    writeFileSync(boundFile, JSON5.stringify(nearBound, null, 2));
    const request: DoctorRequest = {
      target: { configFile: boundFile, stateDir: path.join(dir, "state"), bot: null },
      env: input(facts).env,
      fleet: [],
      portSpacing: 20,
      openclaw: { command: cli.command, timeoutMs: 60_000, cacheDir },
      ruleIds: DOCTOR_RULES.filter(
        (rule) => rule.speed === "fast" && rule.id !== "provider-credentials",
      ).map((rule) => rule.id),
    };
    const thread = new DoctorThread({ deadlineMs: 240_000, log: pino({ level: "silent" }) });
    const checker = new DoctorChecker();
    await thread.run(request); // warm: the worker's schema compiled, as in a running daemon
    await checker.run(request);
    const stallInline: number[] = [];
    const stallThread: number[] = [];
    for (let i = 0; i < 10; i++) {
      stallInline.push((await longestStall(() => checker.run(request))).longest);
      stallThread.push((await longestStall(() => thread.run(request))).longest);
    }
    await thread.close();
    const boundKb = Math.round(JSON5.stringify(nearBound, null, 2).length / 1024);

    console.log(
      formatRows([
        ["first run, schema from the CLI", summarize([noCache])],
        ["new process, schema from cache", summarize(cold)],
        ["pre-start gate, warm (fast rules)", summarize(warm)],
        ["full doctor incl. openclaw lint", summarize(full)],
        [`loader, ${Math.round(bigText.length / 1024)} KB config`, summarize(loader)],
        [`loop stall, ${boundKb} KB config, in-thread`, summarize(stallInline)],
        [`loop stall, ${boundKb} KB config, worker`, summarize(stallThread)],
      ]),
    );
    console.log("target: none set by issue 6; one quick run stays under 100 ms (fuzz test bound)");
  } finally {
    scratch.remove();
  }
}

await main();
