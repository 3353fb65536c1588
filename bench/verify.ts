/**
 * `clawops verify` wall time on a healthy deployment (issue 18; target: under
 * 30 s, most of it the chat turn). A real OpenClaw 2026.9.6 gateway with its
 * Control UI under `clawops up`, the local fake LLM answering at once; RUNS
 * (5) verifications of the registered bot, each the CLI as a user runs it:
 * probes, doctor (with OpenClaw's own lint), WebSocket, a chat turn and the
 * Control UI in Chromium.
 *
 *   npm run bench:verify          (needs `npm run build` and scripts/install-gateway-runtime.sh)
 */
import { loadavg } from "node:os";
import type { VerifyReport } from "../src/verify/verify.js";
import { startFakeLlm } from "../test/harness/fake-llm.js";
import { upWithGateway } from "../test/helpers/supervised.js";
import { formatRows, machine, summarize } from "./stats.js";

const RUNS = Number(process.env.RUNS ?? 5);
const TARGET_MS = 30_000;

async function main() {
  const llm = await startFakeLlm();
  const up = await upWithGateway({
    prefix: "clawops-bench-verify-",
    bot: "alpha",
    llmBaseUrl: llm.baseUrl,
    editConfig: (config) => {
      config.gateway.controlUi = { enabled: true };
    },
  });
  const wall: number[] = [];
  const byStep = new Map<string, number[]>();
  try {
    console.log(`load average ${loadavg()[0]!.toFixed(1)}; ${RUNS} runs of clawops verify alpha`);
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      const result = await up.cli(["verify", "alpha", "--json"]);
      wall.push(performance.now() - started);
      const report = JSON.parse(result.stdout) as VerifyReport;
      if (!report.passed) throw new Error(`verify failed: ${JSON.stringify(report.steps)}`);
      for (const step of report.steps) {
        byStep.set(step.id, [...(byStep.get(step.id) ?? []), step.durationMs]);
      }
    }
  } finally {
    await up.close();
    await llm.close();
  }
  const rows: [string, ReturnType<typeof summarize>][] = [
    ["clawops verify (CLI wall)", summarize(wall)],
    ...[...byStep].map(
      ([id, ms]) => [`  step ${id}`, summarize(ms)] as [string, ReturnType<typeof summarize>],
    ),
  ];
  console.log(formatRows(rows));
  const worst = Math.max(...wall);
  console.log(
    `verify wall time p50 ${Math.round(summarize(wall).p50)} ms, max ${Math.round(worst)} ms   (target < ${TARGET_MS} ms: ${worst < TARGET_MS ? "ok" : "MISSED"})`,
  );
  console.log(`\n${await machine()}`);
}

await main();
