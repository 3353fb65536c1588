/**
 * Several hosts, one fleet (issue 19, docs/hosts.md): two `clawops up`
 * daemons on this machine as separate hosts on one real PostgreSQL.
 *
 *   npm run bench:hosts                 both measurements
 *   npm run bench:hosts -- handover     leader hand-over after kill -9 of the leader (target <= 10 s)
 *   npm run bench:hosts -- routing      a lifecycle call routed through another host's daemon vs a local one
 *                                       (target: <= 50 ms more at p99)
 *
 * Needs the built CLI (`npm run build`) and PostgreSQL: CLAWOPS_TEST_DATABASE_URL, as the
 * tests get it from `bash scripts/services.sh start DIR`. RUNS (10) hand-overs;
 * CALLS (500) calls of each kind.
 */
import { sleep } from "../src/core/time.js";
import { createTestDatabase } from "../test/helpers/postgres.js";
import { type RunningDaemon, freePort, startUp, tempDir } from "../test/helpers/cli.js";
import { formatRows, machine, summarize } from "./stats.js";

const RUNS = Number(process.env.RUNS ?? 10);
const CALLS = Number(process.env.CALLS ?? 500);
const HANDOVER_TARGET_MS = 10_000;
const ROUTING_TARGET_MS = 50;
const WRITE = { method: "POST", headers: { "x-clawops-client": "bench" } };

interface Host {
  id: string;
  dir: ReturnType<typeof tempDir>;
  port: number;
  daemon: RunningDaemon | null;
}

async function main() {
  const adminUrl = process.env.CLAWOPS_TEST_DATABASE_URL;
  if (!adminUrl) {
    console.error(
      "bench:hosts needs PostgreSQL: source the output of `bash scripts/services.sh start DIR`",
    );
    process.exit(2);
  }
  const modes = process.argv.slice(2);
  const run = (mode: string) => modes.length === 0 || modes.includes(mode);
  console.log(`clawops bench:hosts on ${await machine()}`);
  const db = await createTestDatabase(adminUrl);
  const hosts: Host[] = [];
  try {
    for (const id of ["bench-a", "bench-b"]) {
      const dir = tempDir(`clawops-${id}-`);
      hosts.push({ id, dir, port: await freePort(), daemon: null });
    }
    const up = async (host: Host) => {
      host.daemon = await startUp({
        cwd: host.dir.dir,
        port: host.port,
        env: { CLAWOPS_DATABASE_URL: db.url, CLAWOPS_HOST_ID: host.id },
      });
      return host.daemon;
    };
    for (const host of hosts) await up(host);
    if (run("routing")) await routing(hosts);
    if (run("handover")) await handover(hosts, up);
  } finally {
    for (const host of hosts) {
      await host.daemon?.stop("SIGKILL");
      host.dir.remove();
    }
    await db.drop();
  }
}

async function isLeader(host: Host): Promise<boolean> {
  const response = await host.daemon!.fetch("/api/v1/status").catch(() => null);
  if (!response?.ok) return false;
  return ((await response.json()) as { daemon: { leader: boolean } }).daemon.leader;
}

/** kill -9 of the leader, then the time until the other daemon says it leads. */
async function handover(hosts: Host[], up: (host: Host) => Promise<RunningDaemon>) {
  const samples: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    let leader: Host | undefined;
    const deadline = Date.now() + 20_000;
    while (!leader && Date.now() < deadline) {
      for (const host of hosts) if (await isLeader(host)) leader = host;
      if (!leader) await sleep(50);
    }
    if (!leader) throw new Error("no leader within 20 s");
    const follower = hosts.find((h) => h !== leader)!;
    const killedAt = performance.now();
    await leader.daemon!.stop("SIGKILL");
    leader.daemon = null;
    while (!(await isLeader(follower))) {
      if (performance.now() - killedAt > 30_000) throw new Error("no hand-over within 30 s");
      await sleep(20);
    }
    samples.push(performance.now() - killedAt);
    process.stdout.write(`  hand-over ${run + 1}/${RUNS}: ${Math.round(samples.at(-1)!)} ms\n`);
    await up(leader);
  }
  const summary = summarize(samples);
  console.log(
    "\nleader hand-over after kill -9 of the leader (poll of the follower's status every 20 ms)",
  );
  console.log(formatRows([["kill -9 to new leader", summary]]));
  console.log(
    `target <= ${HANDOVER_TARGET_MS} ms: p50 ${summary.p50} ms, max ${summary.max} ms: ${summary.max <= HANDOVER_TARGET_MS ? "met" : "MISSED"}`,
  );
}

/**
 * The same lifecycle route (`POST /api/v1/bots/NAME/stop` on a stopped bot:
 * the supervisor's stop runs and answers at once, no gateway boots), on a
 * bot of the daemon's own host and on one of the other host's, interleaved.
 */
async function routing(hosts: Host[]) {
  const [a, b] = hosts as [Host, Host];
  for (const [host, name] of [
    [a, "local-bot"],
    [b, "remote-bot"],
  ] as const) {
    const response = await host.daemon!.fetch("/api/v1/bots", {
      method: "POST",
      headers: { ...WRITE.headers, "content-type": "application/json" },
      body: JSON.stringify({ name, allowMissingConfig: true }),
    });
    if (response.status !== 201) throw new Error(`register ${name}: ${await response.text()}`);
  }
  const call = async (name: string) => {
    const started = performance.now();
    const response = await a.daemon!.fetch(`/api/v1/bots/${name}/stop`, WRITE);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${name}: ${response.status}`);
    return performance.now() - started;
  };
  for (let i = 0; i < 50; i++) await Promise.all([call("local-bot"), call("remote-bot")]);
  const local: number[] = [];
  const routed: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    local.push(await call("local-bot"));
    routed.push(await call("remote-bot"));
  }
  const [l, r] = [summarize(local), summarize(routed)];
  console.log(
    "\nlifecycle call through host bench-a: POST /api/v1/bots/NAME/stop on a stopped bot (no gateway boot)",
  );
  console.log(
    formatRows([
      ["local (bench-a's bot)", l],
      ["routed (bench-b's bot)", r],
    ]),
  );
  const added = Math.round((r.p99 - l.p99) * 100) / 100;
  console.log(
    `routing adds ${added} ms at p99 (${Math.round((r.p50 - l.p50) * 100) / 100} ms at p50); target <= ${ROUTING_TARGET_MS} ms: ${added <= ROUTING_TARGET_MS ? "met" : "MISSED"}`,
  );
}

await main();
