import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import type { Bot } from "../core/bot.js";
import { sleep } from "../core/time.js";
import { readProcStat } from "../system/proc.js";
import type { CheckOutcome, CheckSettings, CheckTarget } from "./check.js";
import { healthz } from "./healthz.js";

// A real process that answers /healthz until told to hang, in one of two ways: its event
// loop blocked off the CPU (a deadlock: Atomics.wait sleeps on a futex), or spinning on it
// (busy: a gateway under load looks like this to a probe that times out).
const SERVER = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" });
    return res.end('{"ok":true,"status":"live"}');
  }
  res.end("ok");
  if (req.url === "/deadlock")
    setImmediate(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
  if (req.url === "/spin") setImmediate(() => { for (;;); });
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

// 2 timeouts of 1.6 s make the 3 s of stillness a hang needs.
const SETTINGS: CheckSettings = { enabled: true, period: 5_000, timeout: 1_600, failures: 3 };

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

async function gateway() {
  const child = spawn(process.execPath, ["-e", SERVER], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  const port = Number(String((await once(child.stdout, "data"))[0]).trim());
  const target: CheckTarget = {
    bot: { port } as Bot,
    httpUrl: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    startedAtMs: Date.now(),
  };
  const history: { atMs: number; outcome: CheckOutcome }[] = [];
  return {
    child,
    /** One run of the check, remembered as the check loop remembers it. */
    async check() {
      const outcome = await healthz.run(target, SETTINGS, new AbortController().signal, history);
      history.push({ atMs: Date.now(), outcome });
      return outcome;
    },
    async get(path: string) {
      await fetch(`http://127.0.0.1:${port}${path}`);
    },
  };
}

describe("the healthz check", () => {
  it("calls a deadlocked process hung at its second timeout, looking again at once after the first", async () => {
    const g = await gateway();
    const live = await g.check();
    expect(live.ok).toBe(true);
    expect(live.message).toMatch(/^live in/);
    await g.get("/deadlock");
    const first = await g.check();
    expect(first).toMatchObject({ ok: false, rerunNow: true });
    expect(first.hung).toBeUndefined();
    expect(first.message).toMatch(
      /^no answer from .*\/healthz within 1600ms; pid \d+ was asleep \(state S\) and used no CPU for 1\.\ds$/,
    );
    const second = await g.check();
    expect(second).toMatchObject({ ok: false, hung: true });
    expect(second.message).toMatch(/; pid \d+ was asleep \(state S\) and used no CPU for 3\.\ds$/);
  });

  it("calls a stopped process (SIGSTOP) hung the same way", async () => {
    const g = await gateway();
    expect((await g.check()).ok).toBe(true);
    g.child.kill("SIGSTOP");
    // The stop is delivered asynchronously: until then the process is runnable, not stopped.
    while (readProcStat(g.child.pid!)?.state !== "T") await sleep(10);
    expect(await g.check()).toMatchObject({ ok: false, rerunNow: true });
    const second = await g.check();
    expect(second).toMatchObject({ ok: false, hung: true });
    expect(second.message).toMatch(/was stopped \(state T\) and used no CPU for 3\.\ds$/);
  });

  it("never calls a busy process hung by evidence: that is left to the failure count", async () => {
    const g = await gateway();
    expect((await g.check()).ok).toBe(true);
    await g.get("/spin");
    for (let run = 0; run < 3; run += 1) {
      const outcome = await g.check();
      expect(outcome.ok).toBe(false);
      expect(outcome.hung).toBeUndefined();
      expect(outcome.rerunNow).toBeUndefined();
      expect(outcome.message).toMatch(/; pid \d+ used \d+ms of CPU during the probe$/);
    }
  });
});
