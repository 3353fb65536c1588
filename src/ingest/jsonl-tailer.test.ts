import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MESSAGE_TEXT_LIMIT, type MessageRecord } from "../core/session.js";
import { sleep } from "../core/time.js";
import {
  type JsonlBatch,
  type JsonlTailerOptions,
  type TailPosition,
  type TailPositionStore,
  createJsonlTailer,
  transcriptOf,
} from "./jsonl-tailer.js";

const FIXTURES = path.resolve(
  fileURLToPath(import.meta.url),
  "../../../test/fixtures/openclaw-2026.7.35",
);
const ID = "c6cbbf9f-a9e2-4fd6-8252-5dc277d72a15";

/** A position store in memory, as the store-backed one will behave. */
function memoryPositions(): TailPositionStore & { saved: Map<string, TailPosition> } {
  const saved = new Map<string, TailPosition>();
  return {
    saved,
    get: async (file) => saved.get(file) ?? null,
    save: async (file, position) => {
      saved.set(file, position);
    },
  };
}

/** A sink that keeps every batch, and messages by (session, seq) like the store's upsert. */
function collectingSink() {
  const batches: JsonlBatch[] = [];
  const bySeq = new Map<string, MessageRecord>();
  return {
    batches,
    bySeq,
    records: () => batches.flatMap((b) => b.records),
    sink: async (batch: JsonlBatch) => {
      batches.push(batch);
      for (const r of batch.records) bySeq.set(`${r.sessionId}#${r.seq}`, r);
    },
  };
}

function userLine(text: string, id = "u"): string {
  return `${JSON.stringify({ type: "message", id, timestamp: "2026-11-30T10:00:00.000Z", message: { role: "user", content: text } })}\n`;
}

let dir: string;
let positions: ReturnType<typeof memoryPositions>;
let out: ReturnType<typeof collectingSink>;
const tailer = (extra: Partial<JsonlTailerOptions> = {}) =>
  createJsonlTailer({ dir, botId: "bot-1", positions, sink: out.sink, ...extra });

beforeEach(() => {
  dir = path.join(mkdtempSync(path.join(tmpdir(), "clawops-jsonl-")), "sessions");
  mkdirSync(dir);
  positions = memoryPositions();
  out = collectingSink();
});
afterEach(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

describe("transcriptOf", () => {
  it("knows transcripts and their archives, and nothing else", () => {
    expect(transcriptOf(`${ID}.jsonl`)).toEqual({ sessionId: ID, archived: null });
    expect(transcriptOf(`${ID}.jsonl.reset.2026-11-30T09-18-07.411Z`)).toEqual({
      sessionId: ID,
      archived: "reset",
    });
    expect(transcriptOf(`${ID}.jsonl.deleted.2026-11-30T09-19-35.025Z`)?.archived).toBe("deleted");
    expect(transcriptOf(`${ID}-topic-42.jsonl`)?.sessionId).toBe(`${ID}-topic-42`);
    for (const other of [
      `${ID}.trajectory.jsonl`,
      `${ID}.trajectory-path.json`,
      `${ID}.jsonl.lock`,
      "sessions.json",
      "sessions.json.123.abc.tmp",
      ".openclaw-trajectory-.1.x.tmp",
      `${ID}.checkpoint.1.jsonl`,
    ])
      expect(transcriptOf(other)).toBeNull();
  });
});

describe("a sessions folder from a real 2026.7.35 gateway", () => {
  it("reads every transcript and archive once, and nothing on the next scan", async () => {
    cpSync(path.join(FIXTURES, "sessions"), dir, { recursive: true });
    writeFileSync(path.join(dir, `${ID}.trajectory.jsonl`), userLine("not a transcript"));
    const t = tailer();
    const first = await t.scanOnce();
    expect(first).toMatchObject({ files: 4, failed: 0 });
    const bySession: Record<string, JsonlBatch[]> = {};
    for (const b of out.batches) (bySession[b.sessionId] ??= []).push(b);
    expect(Object.keys(bySession).sort()).toEqual([
      "2dd67267-be79-481c-8cad-d10e9d455232",
      ID,
      "cf4a0b8b-950e-4688-ab1e-b4e634a39024",
      "fad647bd-0803-4a3d-94e9-23e1f8f3348c",
    ]);
    expect(bySession["fad647bd-0803-4a3d-94e9-23e1f8f3348c"]![0]!.archived).toBe("reset");
    expect(bySession["2dd67267-be79-481c-8cad-d10e9d455232"]![0]!.archived).toBe("deleted");
    const live = bySession[ID]![0]!;
    expect(live.records).toHaveLength(11);
    expect(live.meta.map((m) => m.type)).toEqual(["session", "model_change"]);
    expect(live.skipped).toEqual({ "ignored-type": 6 });
    expect(live.position).toMatchObject({
      line: 19,
      offset: statSync(path.join(dir, `${ID}.jsonl`)).size,
    });
    // The header-only transcript a reset creates: meta, no records.
    expect(bySession["cf4a0b8b-950e-4688-ab1e-b4e634a39024"]![0]!.meta).toHaveLength(1);

    const again = await t.scanOnce();
    expect(again.batches).toBe(0);
    // A tailer restarted on the saved positions reads nothing again either.
    expect((await tailer().scanOnce()).batches).toBe(0);
  });
});

describe("following one transcript", () => {
  const file = () => path.join(dir, "s1.jsonl");

  it("keeps a partial last line until its newline comes", async () => {
    const t = tailer();
    const third = userLine("three");
    writeFileSync(file(), userLine("one") + userLine("two") + third.slice(0, 20));
    await t.scanOnce();
    expect(out.records().map((r) => [r.seq, r.text])).toEqual([
      [0, "one"],
      [1, "two"],
    ]);
    expect(positions.saved.get("s1.jsonl")!.offset).toBe(
      Buffer.byteLength(userLine("one") + userLine("two")),
    );
    await t.scanOnce();
    expect(out.batches).toHaveLength(1);
    appendFileSync(file(), third.slice(20));
    await t.scanOnce();
    expect(out.records().map((r) => [r.seq, r.text])).toEqual([
      [0, "one"],
      [1, "two"],
      [2, "three"],
    ]);
  });

  it("reads a truncated file again from its start", async () => {
    const t = tailer();
    writeFileSync(file(), userLine("one") + userLine("two") + userLine("three"));
    await t.scanOnce();
    truncateSync(file(), 0);
    appendFileSync(file(), userLine("fresh"));
    await t.scanOnce();
    const last = out.batches.at(-1)!;
    expect(last.reread).toBe("truncated");
    expect(last.records.map((r) => [r.seq, r.text])).toEqual([[0, "fresh"]]);
  });

  it("reads a replaced file (new inode) again; the same lines get the same seq", async () => {
    const t = tailer();
    writeFileSync(file(), readFileSync(path.join(FIXTURES, "rewrite/before.jsonl")));
    await t.scanOnce();
    const before = new Map(out.bySeq);
    // What OpenClaw did after an aborted turn: a new file renamed over the transcript.
    writeFileSync(`${file()}.tmp`, readFileSync(path.join(FIXTURES, "rewrite/after.jsonl")));
    renameSync(`${file()}.tmp`, file());
    await t.scanOnce();
    const reread = out.batches.at(-1)!;
    expect(reread.reread).toBe("replaced");
    expect(reread.firstLine).toBe(0);
    // The repaired line keeps its seq with its new text; the unchanged lines are the same.
    expect(before.get("s1#13")!.text).toBe("401 invalid api key");
    expect(out.bySeq.get("s1#13")!.text).toBe("[assistant turn failed before producing content]");
    for (const seq of [4, 5, 8, 9, 10, 12, 15])
      expect(out.bySeq.get(`s1#${seq}`)).toEqual(before.get(`s1#${seq}`));
    expect([...out.bySeq.keys()].filter((k) => !before.has(k))).toEqual(["s1#16", "s1#17"]);
  });

  it("notices a rewrite in place (same inode, grown) by the bytes before its offset", async () => {
    const t = tailer();
    writeFileSync(file(), readFileSync(path.join(FIXTURES, "rewrite/before.jsonl")));
    await t.scanOnce();
    const inode = statSync(file()).ino;
    writeFileSync(file(), readFileSync(path.join(FIXTURES, "rewrite/after.jsonl")));
    expect(statSync(file()).ino).toBe(inode);
    await t.scanOnce();
    expect(out.batches.at(-1)!.reread).toBe("rewritten");
    expect(out.bySeq.get("s1#13")!.text).toBe("[assistant turn failed before producing content]");
  });

  it("counts a malformed line, skips it and keeps the numbering", async () => {
    writeFileSync(file(), `${userLine("one")}{"type":"message","mess\n\n${userLine("after")}`);
    await tailer().scanOnce();
    const batch = out.batches[0]!;
    expect(batch.records.map((r) => [r.seq, r.text])).toEqual([
      [0, "one"],
      [3, "after"],
    ]);
    expect(batch.skipped).toEqual({ "malformed-json": 1, empty: 1 });
    expect(batch.problems.map((p) => [p.seq, p.reason, typeof p.detail])).toEqual([
      [1, "malformed-json", "string"],
    ]);
  });

  it("reads a 5 MB line across read chunks, keeping a bounded text and its size", async () => {
    const big = "é".repeat(2.5 * 1024 * 1024);
    writeFileSync(file(), userLine(big) + userLine("next"));
    await tailer({ readChunkBytes: 64 * 1024 }).scanOnce();
    const [first, second] = out.records();
    expect(first!.text.length).toBe(MESSAGE_TEXT_LIMIT);
    expect(first!.textBytes).toBe(5 * 1024 * 1024);
    expect(second).toMatchObject({ seq: 1, text: "next" });
  });

  it("counts a line over the limit without parsing it", async () => {
    writeFileSync(file(), userLine("x".repeat(300_000)) + userLine("next"));
    await tailer({ readChunkBytes: 16 * 1024, maxLineBytes: 100_000 }).scanOnce();
    const batch = out.batches[0]!;
    expect(batch.skipped).toEqual({ "line-too-large": 1 });
    expect(batch.records.map((r) => [r.seq, r.text])).toEqual([[1, "next"]]);
  });

  it("advances only after the sink succeeded", async () => {
    writeFileSync(file(), userLine("one"));
    let fail = true;
    const t = tailer({
      sink: async (batch) => {
        if (fail) throw new Error("store down");
        await out.sink(batch);
      },
      onError: () => undefined,
    });
    expect((await t.scanOnce()).failed).toBe(1);
    expect(positions.saved.size).toBe(0);
    fail = false;
    await t.scanOnce();
    expect(out.records().map((r) => r.text)).toEqual(["one"]);
  });

  it("hands over big files in batches, each saved", async () => {
    writeFileSync(file(), Array.from({ length: 25 }, (_, i) => userLine(`m${i}`)).join(""));
    await tailer({ maxBatchRecords: 10 }).scanOnce();
    expect(out.batches.map((b) => [b.firstLine, b.records.length])).toEqual([
      [0, 10],
      [10, 10],
      [20, 5],
    ]);
  });

  it("carries a reset archive on from where its live file was read", async () => {
    writeFileSync(file(), userLine("one"));
    const t = tailer();
    await t.scanOnce();
    appendFileSync(file(), userLine("two"));
    renameSync(file(), path.join(dir, "s1.jsonl.reset.2026-11-30T10-00-00.000Z"));
    await t.scanOnce();
    expect(out.batches.map((b) => [b.file, b.archived, b.records.map((r) => r.seq)])).toEqual([
      ["s1.jsonl", null, [0]],
      ["s1.jsonl.reset.2026-11-30T10-00-00.000Z", "reset", [1]],
    ]);
  });

  it("announces an archive once even when it holds no new line", async () => {
    writeFileSync(file(), userLine("one"));
    const t = tailer();
    await t.scanOnce();
    renameSync(file(), path.join(dir, "s1.jsonl.deleted.2026-11-30T10-00-00.000Z"));
    await t.scanOnce();
    await t.scanOnce();
    expect(out.batches.map((b) => [b.archived, b.firstLine, b.records.length])).toEqual([
      [null, 0, 1],
      ["deleted", 1, 0],
    ]);
    expect(positions.saved.get("s1.jsonl.deleted.2026-11-30T10-00-00.000Z")!.line).toBe(1);
  });
});

describe("run", () => {
  const file = () => path.join(dir, "s1.jsonl");

  async function until(check: () => boolean, ms: number): Promise<number> {
    const started = Date.now();
    while (!check()) {
      if (Date.now() - started > ms) throw new Error(`not within ${ms}ms`);
      await sleep(10);
    }
    return Date.now() - started;
  }

  /** Runs a tailer until the returned stop (which resolves once `run` returned). */
  async function follow(extra: Partial<JsonlTailerOptions>, settleMs: number) {
    const controller = new AbortController();
    const running = tailer(extra).run(controller.signal);
    await sleep(settleMs);
    return async () => {
      controller.abort();
      await running;
    };
  }

  it("sees a write at once through fs.watch", async () => {
    const stop = await follow({ pollIntervalMs: 60_000 }, 100);
    appendFileSync(file(), userLine("one"));
    expect(await until(() => out.records().length === 1, 3_000)).toBeLessThan(1_000);
    appendFileSync(file(), userLine("two"));
    await until(() => out.records().length === 2, 3_000);
    await stop();
  });

  it("the stat poll catches a write that no watch event announced", async () => {
    const stop = await follow({ watch: false, pollIntervalMs: 200 }, 50);
    appendFileSync(file(), userLine("quiet"));
    await until(() => out.records().length === 1, 2_000);
    await stop();
  });

  it("waits for a sessions folder that does not exist yet", async () => {
    rmSync(dir, { recursive: true });
    const stop = await follow({ pollIntervalMs: 100 }, 150);
    mkdirSync(dir);
    writeFileSync(file(), userLine("first"));
    await until(() => out.records().length === 1, 2_000);
    appendFileSync(file(), userLine("second"));
    await until(() => out.records().length === 2, 2_000);
    await stop();
  });

  it("stops promptly when aborted", async () => {
    const stop = await follow({ pollIntervalMs: 60_000 }, 50);
    const started = Date.now();
    await stop();
    expect(Date.now() - started).toBeLessThan(200);
  });
});
