/**
 * The CLI's own cost: wall time and CPU (user + system) of a `clawops` run
 * from process start to exit, per command, on embedded SQLite with no daemon
 * (what a script or a test pays for each call; the tests make hundreds).
 *
 *   npm run bench:cli
 *   RUNS=20 npm run bench:cli
 *
 * `clawops help` loads every command's code, as every run did before the
 * program loaded only the named command's registrar (src/cli/program.ts): it
 * is the peer in the same run. Target (this project's, for a CLI that feels
 * instant): a command's CPU p50 at most half of the load-everything run's.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { tempDir } from "../test/helpers/cli.js";
import { formatRows, machine, round, summarize } from "./stats.js";

const RUNS = Number(process.env.RUNS ?? 10);
const COMMANDS: readonly string[][] = [
  ["help"],
  ["version"],
  ["status", "--json"],
  ["bot", "list", "--json"],
  ["events", "--json", "--limit", "5"],
  ["doctor", "--help"],
];

const work = tempDir("clawops-bench-cli-");
try {
  writeFileSync(
    path.join(work.dir, "clawops.yaml"),
    JSON.stringify({ dataDir: path.join(work.dir, "data") }),
  );
  mkdirSync(path.join(work.dir, "data"), { recursive: true });
  // Each run reports its own CPU time at exit.
  const probe = path.join(work.dir, "cpu.cjs");
  writeFileSync(
    probe,
    `process.on("exit", () => { const u = process.cpuUsage(); require("fs").writeFileSync(process.env.CPU_OUT, String((u.user + u.system) / 1000)); });\n`,
  );
  const cli = path.resolve("bin/clawops.js");
  const samples = new Map<string, { wall: number[]; cpu: number[] }>();
  for (let run = 0; run < RUNS; run += 1) {
    for (const args of COMMANDS) {
      const name = args.join(" ");
      const out = path.join(work.dir, "cpu.txt");
      const started = performance.now();
      const result = spawnSync(process.execPath, ["--require", probe, cli, ...args], {
        cwd: work.dir,
        env: { ...process.env, CPU_OUT: out },
        encoding: "utf8",
      });
      const wall = performance.now() - started;
      // `status` says "the daemon is not running" with exit 1; a usage error (2) or a crash is not a run.
      if (result.status !== 0 && result.status !== 1)
        throw new Error(`clawops ${name} exited ${result.status}: ${result.stderr}`);
      const entry = samples.get(name) ?? { wall: [], cpu: [] };
      entry.wall.push(wall);
      entry.cpu.push(Number(readFileSync(out, "utf8")));
      samples.set(name, entry);
    }
  }
  console.log(`clawops bench:cli on ${await machine()}`);
  console.log(`\n${RUNS} runs of each command (embedded SQLite, no daemon)\n`);
  console.log("wall time, ms");
  console.log(formatRows([...samples].map(([name, s]) => [name, summarize(s.wall)] as const)));
  console.log("\nCPU (user + system), ms");
  console.log(formatRows([...samples].map(([name, s]) => [name, summarize(s.cpu)] as const)));
  const every = summarize(samples.get("help")!.cpu).p50;
  console.log(
    `\ntarget: each command's CPU p50 <= ${round(every / 2)} ms (half of help's ${every})`,
  );
  for (const [name, s] of samples) {
    if (name === "help") continue;
    const p50 = summarize(s.cpu).p50;
    console.log(`  ${name}: ${p50} ms ${p50 <= every / 2 ? "met" : "MISSED"}`);
  }
} finally {
  work.remove();
}
