/**
 * Staggered start (issue 19, docs/hosts.md): `clawops up` over GATEWAYS real
 * gateways declared desired-running, from the daemon's spawn to every gateway
 * running (live and ready), with `supervisor.startConcurrency` at each of
 * CONCURRENCY (default `1,2,GATEWAYS`: the last is no staggering at all).
 *
 *   npm run bench:stagger
 *   GATEWAYS=3 CONCURRENCY=1,3 RUNS=3 npm run bench:stagger
 *
 * GATEWAYS defaults to 3, this machine's limit of live gateways (about 1 GB
 * each; the 10 would be 10 GB and is not run here). RUNS (2) per
 * concurrency, interleaved. Per run: the time to all running, each gateway's
 * boot (its process start to running), and the starts that failed (a start
 * timeout missed under the storm shows as a restart).
 */
import { formatRows, machine, round, summarize } from "./stats.js";
import { realFleet } from "./real-fleet.js";

const GATEWAYS = Number(process.env.GATEWAYS ?? 3);
const RUNS = Number(process.env.RUNS ?? 2);
const CONCURRENCY = (process.env.CONCURRENCY ?? `1,2,${GATEWAYS}`)
  .split(",")
  .map(Number)
  .filter((c, i, all) => c > 0 && all.indexOf(c) === i);

interface Run {
  allMs: number;
  bootsMs: number[];
  restarts: number;
}

async function once(concurrency: number): Promise<Run> {
  const fleet = await realFleet({
    prefix: `clawops-bench-stagger-${concurrency}-`,
    gateways: GATEWAYS,
    clawops: { supervisor: { startConcurrency: concurrency } },
  });
  try {
    const started = performance.now();
    await fleet.up();
    const gateways = await fleet.allRunning(600_000);
    const allMs = performance.now() - started;
    return {
      allMs,
      bootsMs: gateways.map((g) => Date.parse(g.stateSince) - Date.parse(g.startedAt!)),
      restarts: gateways.reduce((sum, g) => sum + g.restarts, 0),
    };
  } finally {
    await fleet.close();
  }
}

async function main() {
  console.log(`clawops bench:stagger on ${await machine()}`);
  console.log(
    `${GATEWAYS} real gateways desired running; clawops up to all running, startConcurrency ${CONCURRENCY.join(" / ")}, ${RUNS} runs each\n`,
  );
  const runs = new Map<number, Run[]>(CONCURRENCY.map((c) => [c, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const concurrency of CONCURRENCY) {
      const result = await once(concurrency);
      runs.get(concurrency)!.push(result);
      console.log(
        `  run ${run + 1}, ${concurrency} at a time: all running after ${round(result.allMs)} ms; boots ${result.bootsMs.map(round).join(", ")} ms; restarts ${result.restarts}`,
      );
    }
  }
  console.log("\ntime from `clawops up` to every gateway running");
  console.log(
    formatRows(
      CONCURRENCY.map((c) => [
        `${c} at a time${c >= GATEWAYS ? " (no staggering)" : ""}`,
        summarize(runs.get(c)!.map((r) => r.allMs)),
      ]),
    ),
  );
  console.log("\neach gateway's boot (process start to running)");
  console.log(
    formatRows(
      CONCURRENCY.map((c) => [`${c} at a time`, summarize(runs.get(c)!.flatMap((r) => r.bootsMs))]),
    ),
  );
  const restarts = CONCURRENCY.map(
    (c) => `${c} at a time: ${runs.get(c)!.reduce((sum, r) => sum + r.restarts, 0)}`,
  );
  console.log(`\nrestarts (a missed start timeout): ${restarts.join("; ")}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
