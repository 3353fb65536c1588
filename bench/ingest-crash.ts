/**
 * Ingest crash safety (issue 15): `clawops up` killed with SIGKILL KILLS (50)
 * times while a real gateway (kept running: `onExit: keep`) answers a stream
 * of chat turns (STREAMS conversations at once, the fake LLM at 1 ms a
 * chunk; a conversation moves to a new session every TURNS_PER_SESSION turns
 * so that whole sessions appear while clawops is down). Each restart is
 * killed at a random moment: on even kills within KILL_WINDOW_MS (3 s) of
 * /readyz (during the gateway's re-adoption or the catch-up), on odd ones up
 * to 2 s after the catch-up (during live ingest). Catch-up time: from the
 * spawn of `clawops up` until its store (read from outside) holds every
 * message of every turn the gateway had finished when it was spawned.
 *
 * At the end, the stream stopped and the last restart caught up, clawops's
 * store is compared with the gateway's own history (`chat.history` per
 * session, every page, `maxChars` as the ingest reads it): missing and extra
 * messages, duplicates, and each session's totals (messages, tokens, cost)
 * against the sums of its stored messages.
 */
import os from "node:os";
import { z } from "zod";
import { errorMessage } from "../src/core/errors.js";
import { sleep } from "../src/core/time.js";
import { normalizeMessage } from "../src/ingest/normalize.js";
import { chatTurn, formatPercentiles, startIngestFleet, type IngestFleet } from "./ingest-fleet.js";

const KILLS = Number(process.env.KILLS ?? 50);
const STREAMS = Number(process.env.STREAMS ?? 3);
const TURNS_PER_SESSION = 6;
const KILL_WINDOW_MS = Number(process.env.KILL_WINDOW_MS ?? 3_000);
const CATCH_UP_TIMEOUT_MS = 120_000;

const historySchema = z.looseObject({
  sessionId: z.string().optional(),
  messages: z.array(z.unknown()).default([]),
  hasMore: z.boolean().optional(),
  nextOffset: z.number().nullish(),
});

/** Chat turns sent without pause on STREAMS conversations until stopped. */
function chatStream(fleet: IngestFleet) {
  const finished = new Map<string, number>();
  const keys = new Set<string>();
  const failures: string[] = [];
  let running = true;
  const streams = Array.from({ length: STREAMS }, async (_, s) => {
    for (let n = 0; running; n += 1) {
      const key = `agent:main:crash-${s}-${Math.floor(n / TURNS_PER_SESSION)}`;
      keys.add(key);
      try {
        await chatTurn(fleet.client, key, `Turn ${n} of conversation ${s}.`, 60_000);
        finished.set(key, (finished.get(key) ?? 0) + 1);
      } catch (error) {
        failures.push(errorMessage(error));
        await sleep(500);
      }
    }
  });
  return {
    finished,
    keys,
    failures,
    async stop() {
      running = false;
      await Promise.all(streams);
    },
  };
}

/**
 * Watches the daemon's store until it holds 2 messages (the user's and the
 * answer) per finished turn of `snapshot`; `done` resolves with when
 * (performance.now()), or null once stopped or timed out.
 */
function watchCatchUp(fleet: IngestFleet, snapshot: ReadonlyMap<string, number>) {
  let stopped = false;
  const counts = () =>
    new Map(
      fleet
        .db()
        .prepare<[], { key: string; n: number }>(
          `select s.session_key as key, count(*) as n from messages m join sessions s
             on s.bot_id = m.bot_id and s.session_id = m.session_id group by s.session_key`,
        )
        .all()
        .map((r) => [r.key, r.n]),
    );
  const done = (async () => {
    const deadline = performance.now() + CATCH_UP_TIMEOUT_MS;
    while (!stopped && performance.now() < deadline) {
      const have = counts();
      if ([...snapshot].every(([key, turns]) => (have.get(key) ?? 0) >= 2 * turns))
        return performance.now();
      await sleep(20);
    }
    return null;
  })();
  return {
    done,
    stop: () => {
      stopped = true;
    },
  };
}

export async function benchCrash(): Promise<void> {
  const fleet = await startIngestFleet(1);
  const chat = chatStream(fleet);
  const catchUpFromSpawn: number[] = [];
  const catchUpFromReady: number[] = [];
  let killedBeforeCaughtUp = 0;
  try {
    let current = {
      spawnAt: performance.now(),
      readyAt: performance.now(),
      watch: watchCatchUp(fleet, new Map()),
    };
    await sleep(3_000);
    for (let i = 0; i <= KILLS; i += 1) {
      const last = i === KILLS;
      if (last) await chat.stop();
      let caughtAt: number | null;
      if (i % 2 === 0 && !last) {
        await sleep(Math.random() * KILL_WINDOW_MS);
        current.watch.stop();
        caughtAt = await current.watch.done;
      } else {
        caughtAt = await current.watch.done;
        if (!last) await sleep(Math.random() * 2_000);
      }
      if (i > 0) {
        if (caughtAt === null) killedBeforeCaughtUp += 1;
        else {
          catchUpFromSpawn.push(caughtAt - current.spawnAt);
          catchUpFromReady.push(caughtAt - current.readyAt);
        }
      }
      if (last) {
        if (caughtAt === null) throw new Error("the last restart did not catch up");
        break;
      }
      await fleet.daemon!.stop("SIGKILL");
      const snapshot = new Map(chat.finished);
      const spawnAt = performance.now();
      await fleet.up();
      current = { spawnAt, readyAt: performance.now(), watch: watchCatchUp(fleet, snapshot) };
      process.stderr.write(`kill ${i + 1}/${KILLS}\r`);
    }
    const final = watchCatchUp(fleet, new Map(chat.finished));
    if ((await final.done) === null) throw new Error("the store never held every finished turn");
    // What a turn adds after its end (its history read, 150 ms later) settles.
    await sleep(2_000);
    const turns = [...chat.finished.values()].reduce((a, b) => a + b, 0);
    const report = await compare(fleet, [...chat.keys]);
    console.log(
      `\n${KILLS} × kill -9 of clawops up; ${turns} chat turns over ${chat.keys.size} sessions meanwhile (${chat.failures.length} failed turns); load average ${os.loadavg()[0]!.toFixed(1)}`,
    );
    console.log(
      `killed during re-adoption or catch-up: ${killedBeforeCaughtUp}; after catching up: ${KILLS - killedBeforeCaughtUp}\n`,
    );
    console.log(
      formatPercentiles([
        ["catch-up: clawops up spawned → store holds what the gateway had", catchUpFromSpawn],
        ["  of which /readyz 200 → caught up", catchUpFromReady],
      ]),
    );
    console.log(`\n(milliseconds) catch-up measured on the restarts that lived long enough`);
    console.log(
      `gateway history: ${report.gateway} messages in ${report.sessions} sessions; clawops: ${report.stored}`,
    );
    console.log(
      `  missing ${report.missing}, duplicated ${report.duplicated}, not on the gateway ${report.extra}, usage differing ${report.usageDiffers}   (target 0 and 0)`,
    );
    console.log(
      `  session totals off their messages' sums: ${report.totalsOff.length} of ${report.sessions}${report.totalsOff.length ? `: ${report.totalsOff.join("; ")}` : ""}   (target 0)`,
    );
    if (chat.failures.length > 0)
      console.log(`failed turns: ${chat.failures.slice(0, 3).join(" | ")}`);
  } finally {
    await chat.stop();
    await fleet.close();
  }
}

interface StoredMessage {
  session_id: string;
  seq: number;
  tokens_input: number | null;
  tokens_output: number | null;
}

/** clawops's store against the gateway's own history of `keys`, and each session's totals against its messages. */
async function compare(fleet: IngestFleet, keys: string[]) {
  const onGateway = new Map<string, { input: number; output: number } | null>();
  const sessionIds = new Set<string>();
  for (const sessionKey of keys) {
    for (let offset: number | null | undefined = 0; offset != null;) {
      const page: z.infer<typeof historySchema> = await fleet.client.request(
        "chat.history",
        { sessionKey, limit: 200, offset, maxChars: 40_000 },
        historySchema,
        { timeoutMs: 60_000 },
      );
      if (!page.sessionId) break;
      sessionIds.add(page.sessionId);
      for (const raw of page.messages) {
        const n = normalizeMessage(raw, "gateway", page.sessionId);
        if (!n.ok) throw new Error(`unreadable gateway message: ${n.why}`);
        const u = n.message.usage;
        onGateway.set(
          `${page.sessionId}/${n.message.seq}`,
          u ? { input: u.input, output: u.output } : null,
        );
      }
      offset = page.hasMore && page.messages.length > 0 ? page.nextOffset : null;
    }
  }
  const db = fleet.db();
  const stored = db
    .prepare<[], StoredMessage>("select session_id, seq, tokens_input, tokens_output from messages")
    .all();
  const storedKeys = new Set(stored.map((m) => `${m.session_id}/${m.seq}`));
  let usageDiffers = 0;
  for (const m of stored) {
    const g = onGateway.get(`${m.session_id}/${m.seq}`);
    if (g === undefined) continue;
    const same = g
      ? m.tokens_input === g.input && m.tokens_output === g.output
      : m.tokens_input === null;
    if (!same) usageDiffers += 1;
  }
  const duplicated = db
    .prepare<[], { n: number }>(
      `select count(*) as n from (select session_id, seq from messages
         group by bot_id, session_id, seq having count(*) > 1)`,
    )
    .get()!.n;
  const totalsOff = db
    .prepare<[], { session_key: string; off: string }>(
      `select s.session_key,
         'messages ' || s.message_count || ' vs ' || count(m.seq) ||
         ', input ' || s.tokens_input || ' vs ' || coalesce(sum(m.tokens_input), 0) ||
         ', output ' || s.tokens_output || ' vs ' || coalesce(sum(m.tokens_output), 0) ||
         ', cost ' || s.cost_usd || ' vs ' || coalesce(sum(m.cost_usd), 0) as off
       from sessions s left join messages m on m.bot_id = s.bot_id and m.session_id = s.session_id
       group by s.bot_id, s.session_id
       having s.message_count != count(m.seq)
         or s.tokens_input != coalesce(sum(m.tokens_input), 0)
         or s.tokens_output != coalesce(sum(m.tokens_output), 0)
         or s.tokens_cache_read != coalesce(sum(m.tokens_cache_read), 0)
         or s.tokens_cache_write != coalesce(sum(m.tokens_cache_write), 0)
         or abs(s.cost_usd - coalesce(sum(m.cost_usd), 0)) > 1e-9`,
    )
    .all()
    .map((r) => `${r.session_key}: ${r.off}`);
  return {
    sessions: sessionIds.size,
    gateway: onGateway.size,
    stored: stored.length,
    missing: [...onGateway.keys()].filter((k) => !storedKeys.has(k)).length,
    extra: [...storedKeys].filter((k) => !onGateway.has(k)).length,
    duplicated,
    usageDiffers,
    totalsOff,
  };
}
