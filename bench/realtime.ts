/**
 * The realtime API (issue 16) against socket.io as the peer, in one run:
 *
 * - connect + auth: WebSocket opened at 200 connects/s, time from the
 *   socket's creation to the server's "connected" (after authentication);
 * - idle memory: the server's RSS (after GC) with N idle authenticated
 *   connections, minus its RSS without them, per connection;
 * - fan-out: a ~200-byte event published to a room of 1k and 10k members,
 *   time from the publish to its arrival at the last member.
 *
 * Each server runs in a child process of its own (its RSS is its alone); the
 * clients run in this process. Loopback only; every phase is bounded.
 *
 *   npm run bench:realtime
 *   IDLE=10000 FANOUT=1000,10000 CONNECTS=1000 npm run bench:realtime
 */
import { type ChildProcess, execSync, fork } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { formatRows, machine, summarize } from "./stats.js";
import { type BenchServer, type ServerKind, startBenchServer } from "./realtime-server.js";
import { type ClientDriver, clientDriver, nowMs } from "./realtime-clients.js";

const IDLE = Number(process.env.IDLE ?? 10_000);
const FANOUT = (process.env.FANOUT ?? "1000,10000").split(",").map(Number);
const CONNECTS = Number(process.env.CONNECTS ?? 1000);
const CONNECT_RATE = 200;
/** Publishes per fan-out size: enough for a p99, bounded in time. */
const ROUNDS = (members: number) => (members <= 1000 ? 200 : 50);
const KINDS = (process.env.KINDS ?? "clawops,socket.io").split(",") as ServerKind[];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ServerHandle {
  child: ChildProcess;
  url: string;
  token: string;
  ask<T>(command: Record<string, unknown>): Promise<T>;
}

/** Starts a server child process (this file, mode `server`), with `--expose-gc` for RSS. */
async function spawnServer(kind: ServerKind): Promise<ServerHandle> {
  const child = fork(fileURLToPath(import.meta.url), ["server", kind], {
    execArgv: [...process.execArgv, "--expose-gc"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let next = 0;
  const waiting = new Map<number, (value: unknown) => void>();
  const ready = new Promise<{ url: string; token: string }>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${kind} server exited ${code}`)));
    child.on(
      "message",
      (message: { id?: number; ready?: { url: string; token: string }; value?: unknown }) => {
        if (message.ready) resolve(message.ready);
        else if (message.id !== undefined) waiting.get(message.id)?.(message.value);
      },
    );
  });
  const { url, token } = await ready;
  return {
    child,
    url,
    token,
    ask: <T>(command: Record<string, unknown>) =>
      new Promise<T>((resolve) => {
        const id = next++;
        waiting.set(id, (value) => {
          waiting.delete(id);
          resolve(value as T);
        });
        child.send({ ...command, id });
      }),
  };
}

/** The server side: answers `rss`, `publish` and `stop` over IPC. */
async function serve(kind: ServerKind): Promise<void> {
  const server: BenchServer = await startBenchServer(kind);
  process.on("message", (command: { id: number; cmd: string; seq?: number }) => {
    const answer = (value: unknown) => process.send!({ id: command.id, value });
    if (command.cmd === "publish") {
      const started = nowMs();
      server.publish(command.seq!, started);
      // The publish call's own time: encoding and handing the frame to every socket.
      answer(nowMs() - started);
    } else if (command.cmd === "rss") {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      void sleep(300).then(() => {
        gc?.();
        answer(process.memoryUsage().rss);
      });
    } else if (command.cmd === "stop") {
      void server.close().then(() => {
        answer(null);
        process.exit(0);
      });
    }
  });
  process.send!({ ready: { url: server.url, token: server.token } });
}

/** Connects `count` clients at `rate` a second; the time of each until the server said connected. */
async function pacedConnects(driver: ClientDriver, count: number, rate: number, from: string) {
  const times: number[] = [];
  const pending: Promise<void>[] = [];
  const started = nowMs();
  for (let i = 0; i < count; i += 1) {
    const due = started + (i * 1000) / rate;
    const wait = due - nowMs();
    if (wait > 0) await sleep(wait);
    pending.push(
      driver.connect(from).then(({ ms, client }) => {
        times.push(ms);
        client.close();
      }),
    );
  }
  await Promise.all(pending);
  return times;
}

/** Opens `count` idle authenticated clients, at most 100 handshakes in flight. */
async function openIdle(driver: ClientDriver, count: number, from: string[]) {
  const clients: Awaited<ReturnType<ClientDriver["connect"]>>["client"][] = [];
  let opened = 0;
  const worker = async () => {
    while (opened < count) {
      const i = opened++;
      clients.push((await driver.connect(from[i % from.length]!)).client);
    }
  };
  await Promise.all(Array.from({ length: 100 }, worker));
  return clients;
}

/** Publishes `rounds` events to the room; each round's time until the last member got it. */
async function fanOut(
  server: ServerHandle,
  clients: Awaited<ReturnType<ClientDriver["connect"]>>["client"][],
  rounds: number,
): Promise<{ lastClient: number[]; publishCall: number[] }> {
  const samples: number[] = [];
  const calls: number[] = [];
  let round = -1;
  let received = 0;
  let done: ((ms: number) => void) | null = null;
  for (const client of clients)
    client.onEvent((seq, sentAt) => {
      if (seq !== round) return;
      received += 1;
      if (received === clients.length) done?.(nowMs() - sentAt);
    });
  for (round = 0; round < rounds; round += 1) {
    received = 0;
    const arrived = new Promise<number>((resolve, reject) => {
      done = resolve;
      setTimeout(
        () => reject(new Error(`round ${round}: ${received}/${clients.length} after 10 s`)),
        10_000,
      ).unref();
    });
    calls.push(await server.ask<number>({ cmd: "publish", seq: round }));
    samples.push(await arrived);
    await sleep(20);
  }
  return { lastClient: samples, publishCall: calls };
}

/** Loopback source addresses: each phase its own, so TIME_WAIT of one never starves the next. */
const sources = (first: number, count: number) =>
  Array.from({ length: count }, (_, i) => `127.0.0.${first + i}`);

async function measure(kind: ServerKind) {
  const server = await spawnServer(kind);
  const driver = clientDriver(kind, server.url, server.token);
  try {
    await pacedConnects(driver, 50, 500, "127.0.0.2"); // warm-up
    const connects = await pacedConnects(driver, CONNECTS, CONNECT_RATE, "127.0.0.3");
    await sleep(500);
    const rssBefore = await server.ask<number>({ cmd: "rss" });
    const idle = await openIdle(driver, Math.max(IDLE, ...FANOUT), sources(10, 4));
    await sleep(500);
    const rssIdle = await server.ask<number>({ cmd: "rss" });
    const fan: [number, Awaited<ReturnType<typeof fanOut>>][] = [];
    let subscribed = 0;
    for (const members of FANOUT) {
      const room = idle.slice(0, members);
      await Promise.all(room.slice(subscribed).map((client) => client.subscribe("bot:alpha")));
      subscribed = members;
      fan.push([members, await fanOut(server, room, ROUNDS(members))]);
    }
    for (const client of idle) client.close();
    return { connects, idleBytes: (rssIdle - rssBefore) / idle.length, idle: idle.length, fan };
  } finally {
    await Promise.race([server.ask({ cmd: "stop" }), sleep(5_000)]);
    server.child.kill("SIGKILL");
  }
}

async function main() {
  const limit = Number(execSync("ulimit -n", { shell: "/bin/sh" }).toString().trim());
  if (limit < Math.max(IDLE, ...FANOUT) + 1_000)
    throw new Error(`ulimit -n is ${limit}: raise it (ulimit -n 25000) or lower IDLE and FANOUT`);
  console.log(`machine: ${await machine()}`);
  console.log(`date: ${new Date().toISOString()}`);
  // The machine may be shared: its load says how much the figures below are the machine's.
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(" ");
  console.log(`load average before: ${load()}`);
  const results: [ServerKind, Awaited<ReturnType<typeof measure>>][] = [];
  for (const kind of KINDS) results.push([kind, await measure(kind)]);

  const rows: [string, ReturnType<typeof summarize>][] = [];
  for (const [kind, r] of results) {
    rows.push([
      `${kind}: connect + auth at ${CONNECT_RATE}/s, ${r.connects.length}×`,
      summarize(r.connects),
    ]);
    for (const [members, samples] of r.fan) {
      rows.push([
        `${kind}: fan-out to ${members}, last client, ${samples.lastClient.length}×`,
        summarize(samples.lastClient),
      ]);
      rows.push([`  of which the server's publish call`, summarize(samples.publishCall)]);
    }
  }
  console.log(`load average after: ${load()}`);
  console.log(`\n${formatRows(rows)}\n(milliseconds)\n`);
  const target = (value: number, limitValue: number, unit: string) =>
    `${value.toFixed(value < 100 ? 2 : 0)} ${unit}   (target <= ${limitValue} ${unit}) ${value <= limitValue ? "ok" : "MISSED"}`;
  for (const [kind, r] of results) {
    console.log(`${kind}:`);
    const connect = summarize(r.connects);
    console.log(`  connect + auth p99 at ${CONNECT_RATE}/s  ${target(connect.p99, 50, "ms")}`);
    console.log(`  RSS per idle connection (${r.idle})  ${target(r.idleBytes / 1024, 16, "KiB")}`);
    for (const [members, { lastClient: samples }] of r.fan) {
      const limitMs = members <= 1000 ? 50 : 500;
      console.log(
        `  fan-out ${members} last-client p99   ${target(summarize(samples).p99, limitMs, "ms")}`,
      );
    }
  }
}

if (process.argv[2] === "server") await serve(process.argv[3] as ServerKind);
else await main();
