/**
 * The load generator's own benchmarks (issue 18). Each mode prints its figures and the target.
 *
 *   npm run bench:load                      connections + throughput + gateway
 *   npm run bench:load -- connections       CONNECTIONS (10,000) idle protocol connections held by one
 *                                           generator process (one core), against a stand-in in another
 *   npm run bench:load -- throughput        USERS (200) x MESSAGES (100) chat turns as fast as the
 *                                           stand-in answers: replies/s and replies per CPU second
 *   npm run bench:load -- gateway           10 users x 10 messages on a real gateway with the local fake
 *                                           LLM (needs `bash scripts/install-gateway-runtime.sh`)
 *
 * The stand-in (test/harness/standin-gateway.ts) speaks the gateway's handshake and chat
 * events and nothing else, in a child process: the generator's CPU is measured alone.
 * The side-by-side run against Artillery is not here yet (see bench/RESULTS.md).
 */
import { fork } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { runLoad } from "../src/loadtest/runner.js";
import { type LoadReport, renderMarkdown } from "../src/loadtest/report.js";
import { resolveScenario } from "../src/loadtest/scenario.js";
import { startFakeLlm } from "../test/harness/fake-llm.js";
import { startGateway } from "../test/harness/gateway.js";
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

const MODES = { connections, throughput, gateway } as const;

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
