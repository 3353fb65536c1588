/**
 * The load generator's own benchmarks (issue 18). Each mode prints its figures and the target.
 *
 *   npm run bench:load                      connections + throughput + gateway
 *   npm run bench:load -- connections       CONNECTIONS (10,000) idle protocol connections held by one
 *                                           generator process (one core), against a stand-in in another
 *   npm run bench:load -- throughput        USERS (200) x MESSAGES (100) chat turns as fast as the
 *                                           stand-in answers: replies/s and replies per CPU second
 *   npm run bench:load -- artillery         the throughput shape again, clawops load and then Artillery
 *                                           (bench/artillery: installed on first use, run on the gateway
 *                                           runtime's Node 24) driving the same handshake and turns
 *   npm run bench:load -- gateway           10 users x 10 messages on a real gateway with the local fake
 *                                           LLM (needs `bash scripts/install-gateway-runtime.sh`)
 *
 * The stand-in (test/harness/standin-gateway.ts) speaks the gateway's handshake and chat
 * events and nothing else, in a child process: the generator's CPU is measured alone.
 * Artillery's figures are its own report's (its histograms of the same phases, from
 * bench/artillery/processor.cjs); its CPU is its process's (bash's `times` for the child),
 * less what a 1-user, 1-message run costs it (its start-up), so both sides count load only.
 */
import { execFileSync, fork } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runLoad } from "../src/loadtest/runner.js";
import { type LoadReport, renderMarkdown } from "../src/loadtest/report.js";
import { resolveScenario } from "../src/loadtest/scenario.js";
import { startFakeLlm } from "../test/harness/fake-llm.js";
import { GATEWAY_RUNTIME, startGateway } from "../test/harness/gateway.js";
import { startStandinGateway } from "../test/harness/standin-gateway.js";
import { machine } from "./stats.js";

const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10_000);
const USERS = Number(process.env.USERS ?? 200);
const MESSAGES = Number(process.env.MESSAGES ?? 100);
const TOKEN = "bench-standin-token-0123456789abcdef";
const TARGETS = { connectionsPerCore: 10_000 } as const;
const UNBOUNDED = { maxConnections: 1_000_000, maxRate: 1_000_000, maxDurationMs: 600_000 };

/** The stand-in in a child process (this file, mode `standin`); resolves its URL. */
async function spawnStandin(): Promise<{ url: string; stop(): void }> {
  const child = fork(fileURLToPath(import.meta.url), ["standin"], {
    execArgv: process.execArgv,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`stand-in exited ${code}`)));
    child.once("message", (m: { url: string }) => resolve(m.url));
  });
  return { url, stop: () => child.kill("SIGKILL") };
}

function line(report: LoadReport): string {
  const c = report.client;
  return `CPU ${c.cpuMs} ms (${c.cpuPercent} % of one core), peak RSS ${Math.round(c.peakRssBytes / 1048576)} MiB`;
}

async function connections() {
  const standin = await spawnStandin();
  try {
    const report = await runLoad({
      scenario: resolveScenario("connections", { users: CONNECTIONS, hold: "5s" }),
      targets: [{ name: "standin", url: standin.url, token: TOKEN }],
      bounds: UNBOUNDED,
    });
    const l = report.latency.connect!;
    const ok = report.connections.peakOpen >= TARGETS.connectionsPerCore;
    console.log(
      `\nconnections: ${CONNECTIONS} virtual users, each its own protocol v4 connection, held 5 s`,
    );
    console.log(
      `  peak open ${report.connections.peakOpen} of ${report.connections.attempted} (failed ${report.connections.failed}) in one generator process   (target >= ${TARGETS.connectionsPerCore} per core: ${ok ? "ok" : "MISSED"})`,
    );
    console.log(
      `  connect (upgrade, challenge, connect, hello-ok) p50 ${l.p50} / p95 ${l.p95} / p99 ${l.p99} / max ${l.max} ms; ${report.throughput.connectsPerSecond} connects/s over the run`,
    );
    console.log(`  ${line(report)}`);
  } finally {
    standin.stop();
  }
}

async function throughput() {
  const standin = await spawnStandin();
  try {
    const report = await runLoad({
      scenario: resolveScenario("10x10", { users: USERS, messages: MESSAGES }),
      targets: [{ name: "standin", url: standin.url, token: TOKEN }],
      bounds: UNBOUNDED,
    });
    const r = report.latency.reply!;
    console.log(
      `\nthroughput: ${USERS} users x ${MESSAGES} messages, no think time, against the stand-in`,
    );
    console.log(
      `  ${report.messages.replied}/${report.messages.sent} replied, ${report.throughput.repliesPerSecond} replies/s, ${report.client.repliesPerCpuSecond} replies per CPU second of the generator`,
    );
    console.log(`  reply p50 ${r.p50} / p95 ${r.p95} / p99 ${r.p99} ms; ${line(report)}`);
  } finally {
    standin.stop();
  }
}

async function gateway() {
  const llm = await startFakeLlm();
  const gw = await startGateway({ llmBaseUrl: llm.baseUrl });
  try {
    const report = await runLoad({
      scenario: resolveScenario("10x10"),
      targets: [{ name: "gateway", url: gw.wsUrl, token: gw.token }],
      bounds: { ...UNBOUNDED, maxRate: 100 },
    });
    console.log(
      "\ngateway: the 10x10 scenario on one real OpenClaw gateway, the fake LLM answering at once",
    );
    console.log(renderMarkdown(report));
  } finally {
    await gw.stop();
    await llm.close();
  }
}

const ARTILLERY_DIR = fileURLToPath(new URL("./artillery/", import.meta.url));

interface ArtilleryRun {
  replies: number;
  errors: number;
  wallMs: number;
  /** From its first to its last metric (its report's own clock): the load without its start-up. */
  loadMs: number | null;
  cpuMs: number;
  reply: { p50: number; p95: number; p99: number } | null;
}

/** One Artillery run of `users` x `messages` against `url`, with its CPU (bash's `times`). */
function runArtillery(url: string, users: number, messages: number): ArtilleryRun {
  const dir = mkdtempSync(path.join(tmpdir(), "clawops-artillery-"));
  try {
    const script = path.join(dir, "script.json");
    const output = path.join(dir, "report.json");
    writeFileSync(
      script,
      JSON.stringify({
        config: {
          target: url,
          processor: path.join(ARTILLERY_DIR, "processor.cjs"),
          phases: [{ duration: 1, arrivalCount: users }],
          variables: { token: TOKEN },
        },
        scenarios: [
          {
            engine: "ws",
            flow: [{ function: "handshake" }, { loop: [{ function: "chat" }], count: messages }],
          },
        ],
      }),
    );
    const started = performance.now();
    // `times` prints the shell's and then its children's user and system time.
    const out = execFileSync(
      "bash",
      [
        "-c",
        '"$@" >/dev/null; times',
        "artillery",
        GATEWAY_RUNTIME.node,
        path.join(ARTILLERY_DIR, "node_modules/artillery/bin/run"),
        "run",
        "--output",
        output,
        script,
      ],
      { env: { ...process.env, ARTILLERY_DISABLE_TELEMETRY: "true", DO_NOT_TRACK: "1" } },
    ).toString();
    const wallMs = performance.now() - started;
    const children = out.trim().split("\n").at(-1)!.split(" ").map(seconds);
    const report = JSON.parse(readFileSync(output, "utf8")) as {
      aggregate: {
        firstMetricAt?: number;
        lastMetricAt?: number;
        counters: Record<string, number>;
        summaries: Record<string, { p50: number; p95: number; p99: number }>;
      };
    };
    const counters = report.aggregate.counters;
    const reply = report.aggregate.summaries["openclaw.reply_ms"];
    return {
      replies: counters["openclaw.replies"] ?? 0,
      errors: Object.entries(counters)
        .filter(([k]) => k.startsWith("errors."))
        .reduce((sum, [, v]) => sum + v, 0),
      wallMs,
      loadMs:
        report.aggregate.firstMetricAt && report.aggregate.lastMetricAt
          ? report.aggregate.lastMetricAt - report.aggregate.firstMetricAt
          : null,
      cpuMs: (children[0]! + children[1]!) * 1_000,
      reply: reply ? { p50: reply.p50, p95: reply.p95, p99: reply.p99 } : null,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** bash's `times` figure ("1m2.345s") in seconds. */
function seconds(text: string): number {
  const m = /^(\d+)m([\d.]+)s$/.exec(text);
  if (!m) throw new Error(`unexpected times output: ${text}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

async function artillery() {
  if (!existsSync(path.join(ARTILLERY_DIR, "node_modules/artillery/bin/run"))) {
    console.log("installing Artillery into bench/artillery (npm ci, no browser download)…");
    execFileSync("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], {
      cwd: ARTILLERY_DIR,
      stdio: "inherit",
      env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1" },
    });
  }
  const standin = await spawnStandin();
  try {
    const ours = await runLoad({
      scenario: resolveScenario("10x10", { users: USERS, messages: MESSAGES }),
      targets: [{ name: "standin", url: standin.url, token: TOKEN }],
      bounds: UNBOUNDED,
    });
    const idle = runArtillery(standin.url, 1, 1);
    const theirs = runArtillery(standin.url, USERS, MESSAGES);
    const theirCpu = Math.max(1, theirs.cpuMs - idle.cpuMs);
    // Its report's first-to-last metric span; its process's life less the start-up run can be
    // shorter than that run on a quiet host (20,000,000 replies/s was printed once).
    const theirWall = theirs.loadMs ?? Math.max(1, theirs.wallMs - idle.wallMs);
    const r = ours.latency.reply!;
    console.log(
      `\nartillery: ${USERS} users x ${MESSAGES} messages against the same stand-in, one after the other`,
    );
    console.log(
      "generator        replied  errors  replies/s  CPU ms  replies per CPU s  reply p50/p95/p99 ms",
    );
    console.log(
      `clawops load     ${String(ours.messages.replied).padStart(7)}  ${String(ours.messages.failed).padStart(6)}  ${String(ours.throughput.repliesPerSecond).padStart(9)}  ${String(ours.client.cpuMs).padStart(6)}  ${String(ours.client.repliesPerCpuSecond).padStart(17)}  ${r.p50}/${r.p95}/${r.p99}`,
    );
    const perCpu = Math.round(theirs.replies / (theirCpu / 1_000));
    console.log(
      `artillery 2.0.34 ${String(theirs.replies).padStart(7)}  ${String(theirs.errors).padStart(6)}  ${String(Math.round(theirs.replies / (theirWall / 1_000))).padStart(9)}  ${String(Math.round(theirCpu)).padStart(6)}  ${String(perCpu).padStart(17)}  ${theirs.reply ? `${theirs.reply.p50}/${theirs.reply.p95}/${theirs.reply.p99}` : "-"}`,
    );
    console.log(
      `  (Artillery's CPU less its 1-user, 1-message run's: ${Math.round(idle.cpuMs)} ms of start-up; its wall time ${theirs.loadMs === null ? `less that run's ${Math.round(idle.wallMs)} ms` : `from its first to its last metric, ${Math.round(theirs.loadMs)} ms`})`,
    );
    const ok = ours.client.repliesPerCpuSecond > perCpu;
    console.log(
      `  target: more messages per CPU second than Artillery: ${ok ? "ok" : "MISSED"} (${ours.client.repliesPerCpuSecond} vs ${perCpu})`,
    );
  } finally {
    standin.stop();
  }
}

const MODES = { connections, throughput, artillery, gateway } as const;

async function main() {
  if (process.argv[2] === "standin") {
    const standin = await startStandinGateway({ token: TOKEN, deltas: 3 });
    process.send!({ url: standin.url });
    return;
  }
  const asked = process.argv.slice(2);
  const modes = asked.length > 0 ? asked : Object.keys(MODES);
  console.log(`machine: ${await machine()}`);
  console.log(`date: ${new Date().toISOString()}`);
  console.log(
    `load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  for (const mode of modes) {
    const run = MODES[mode as keyof typeof MODES];
    if (!run) throw new Error(`no mode ${mode}: ${Object.keys(MODES).join(", ")}`);
    await run();
  }
}

await main();
