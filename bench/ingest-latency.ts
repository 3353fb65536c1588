/**
 * Ingest latency (issue 15): how long after a gateway commits a reply
 * clawops has it. TURNS chat turns, one at a time, through a real gateway
 * that a built `clawops up` supervises; per turn, from the `chat` final frame
 * (on the bench's own protocol connection) to
 *  (a) the assistant message's row in `clawops up`'s SQLite store, seen by
 *      polling that file read-only every POLL_MS from outside the daemon;
 *  (b) the `session.message` event on clawops's bus. The daemon publishes
 *      it to in-process subscribers only (it is not in the event log, and
 *      there is no realtime API yet), so the bench runs the daemon's own
 *      ingest in-process beside it: `IngestService` + `StoreSink` + a real
 *      SQLite store + a real `EventBus`, following the same gateway as a
 *      second connection, and timestamps the bus delivery.
 * The assistant's `session.message` frame reaches subscribers before the
 * `chat` final frame, so both figures are mostly negative; the bench's
 * connection subscribes to sessions too, and the time from that frame to
 * (a) and (b) is the ingest's own cost. All times are this process's
 * performance.now().
 */
import { gatewaySecrets } from "../src/gateway/environment.js";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { z } from "zod";
import { newInstance } from "../src/core/gateway-state.js";
import { EventBus } from "../src/events/bus.js";
import { IngestService } from "../src/ingest/service.js";
import { ingestConfigSchema } from "../src/ingest/settings.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import { tempDir } from "../test/helpers/cli.js";
import { chatTurn, formatPercentiles, pollFor, startIngestFleet } from "./ingest-fleet.js";
import { percentile } from "./stats.js";

const TURNS = Number(process.env.TURNS ?? 30);
const POLL_MS = 2;
const TARGET_P99_MS = 250;
const SESSION_KEY = "agent:main:latency";

export async function benchLatency(): Promise<void> {
  const fleet = await startIngestFleet();
  const scratch = tempDir("clawops-bench-latency-");
  const store = openSqliteStore(path.join(scratch.dir, "in-process.db"));
  const log = pino({ level: process.env.BENCH_LOG ?? "silent" });
  const bus = new EventBus((batch) => store.appendEvents(batch), log);
  let service: IngestService | null = null;
  try {
    await store.migrate();
    const bot = await store.createBot({
      name: "alpha",
      owner: "bench",
      driver: "adopted",
      stateDir: path.join(fleet.dir, "alpha", "state"),
      configPath: fleet.configPath,
      port: fleet.gatewayPort,
      desiredState: "running",
      labels: {},
      openclawBin: null,
    });
    const running = { ...newInstance(bot.id), state: "running" as const };
    service = new IngestService({
      settings: ingestConfigSchema.parse(undefined),
      store,
      bus,
      log,
      instances: () => Promise.resolve([running]),
      envFor: () => ({}),
      secretsFor: (b) => gatewaySecrets({}, b),
    });
    const answers: number[] = [];
    bus.subscribe((event) => {
      if (event.type === "session.message" && event.data.role === "assistant")
        answers.push(performance.now());
    });
    await service.start();
    const following = await pollFor(
      () => (service!.status()[0]?.connected ? true : undefined),
      50,
      60_000,
    );
    if (!following) throw new Error("the in-process ingest did not connect");
    await service.idle();

    const written: number[] = [];
    fleet.client.onEvent((e) => {
      const p = e.payload as { sessionKey?: string; message?: { role?: string } };
      if (
        e.event === "session.message" &&
        p.sessionKey === SESSION_KEY &&
        p.message?.role === "assistant"
      )
        written.push(performance.now());
    });
    await fleet.client.request("sessions.subscribe", {}, z.unknown());
    const assistantRows = fleet.db().prepare<[string], { n: number }>(
      `select count(*) as n from messages m join sessions s
           on s.bot_id = m.bot_id and s.session_id = m.session_id
         where s.session_key = ? and m.role = 'assistant'`,
    );
    const toRow: number[] = [];
    const toBus: number[] = [];
    const frameToRow: number[] = [];
    const frameToBus: number[] = [];
    // Turn 0 warms the path up (the session is created, the price database loaded): not counted.
    for (let k = 0; k <= TURNS; k += 1) {
      const rowAt = pollFor(
        () => (assistantRows.get(SESSION_KEY)!.n >= k + 1 ? performance.now() : undefined),
        POLL_MS,
        30_000,
      );
      const busAt = pollFor(() => answers[k], 1, 30_000);
      const frameAt = pollFor(() => written[k], 1, 30_000);
      const finalAt = await chatTurn(fleet.client, SESSION_KEY, `Latency turn ${k}.`);
      const [row, published, frame] = await Promise.all([rowAt, busAt, frameAt]);
      if (row === null || published === null || frame === null)
        throw new Error(`turn ${k}: row ${row} / event ${published} / frame ${frame}`);
      if (k > 0) {
        toRow.push(row - finalAt);
        toBus.push(published - finalAt);
        frameToRow.push(row - frame);
        frameToBus.push(published - frame);
      }
      // A turn's history read follows 150 ms after its end: the next turn comes after it.
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    console.log(`\n${TURNS} turns, one at a time, one session, OpenClaw gateway under clawops up`);
    console.log(
      `load average ${os.loadavg()[0]!.toFixed(1)}; negative: clawops had it before the final frame arrived\n`,
    );
    console.log(
      formatPercentiles([
        [`chat final → assistant row in clawops up's store (polled every ${POLL_MS} ms)`, toRow],
        ["chat final → session.message on the bus (in-process IngestService)", toBus],
        ["gateway's session.message frame (assistant) → row in clawops up's store", frameToRow],
        ["gateway's session.message frame (assistant) → session.message on the bus", frameToBus],
      ]),
    );
    const verdict = (samples: number[]) =>
      percentile(
        [...samples].sort((a, b) => a - b),
        99,
      ) <= TARGET_P99_MS
        ? "ok"
        : "MISSED";
    console.log(
      `\n(milliseconds) target p99 <= ${TARGET_P99_MS} ms: store ${verdict(toRow)}, bus ${verdict(toBus)}`,
    );
  } finally {
    service?.close();
    await bus.flush(5_000);
    bus.close();
    await store.close();
    scratch.remove();
    await fleet.close();
  }
}
