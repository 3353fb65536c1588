import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../../test/helpers/cli.js";
import type { Bot } from "../../core/bot.js";
import { sleep } from "../../core/time.js";
import { readProcStartTime, readProcStat } from "../../system/proc.js";
import { findStaleLocks } from "./dead-lock.js";

/** Locks naming real processes in each state a gateway's pid can be found in. */
describe("stale gateway locks", () => {
  const scratch = tempDir("clawops-locks-");
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill("SIGKILL");
    scratch.remove();
  });

  /** A bot whose state dir holds one gateway lock naming `pid` with its start time. */
  function botWithLock(name: string, pid: number, startTime: number | null): Bot {
    const stateDir = path.join(scratch.dir, name);
    const lockDir = path.join(stateDir, "tmp", `openclaw-${process.getuid!()}`);
    mkdirSync(lockDir, { recursive: true });
    writeFileSync(
      path.join(lockDir, "gateway.state.lock"),
      JSON.stringify({ pid, createdAt: new Date().toISOString(), port: 18789, startTime }),
    );
    return { stateDir } as Bot;
  }

  it("calls a live program of the lock's pid and start time reused (OpenClaw would exit 78)", () => {
    const other = spawn("sleep", ["30"], { stdio: "ignore" });
    children.push(other);
    const bot = botWithLock("reused", other.pid!, readProcStartTime(other.pid!));
    expect(findStaleLocks(bot)).toEqual([
      expect.objectContaining({ pid: other.pid, why: "reused" }),
    ]);
  });

  it("calls a zombie dead: the killed gateway waiting for its reaper is no reused pid", async () => {
    // `sleep 30` becomes the parent of the short sleep and never reaps it.
    const parent = spawn("sh", ["-c", "sleep 0.05 & echo $!; exec sleep 30"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    children.push(parent);
    const pid = await new Promise<number>((resolve) =>
      parent.stdout.once("data", (chunk: Buffer) => resolve(Number(String(chunk).trim()))),
    );
    const startTime = readProcStartTime(pid);
    while (readProcStat(pid)?.state !== "Z") await sleep(20);
    const bot = botWithLock("zombie", pid, startTime);
    expect(findStaleLocks(bot)).toEqual([expect.objectContaining({ pid, why: "dead" })]);
  });

  it("calls a gone pid dead, and has nothing to say of a state dir without locks", async () => {
    const gone = spawn("true", [], { stdio: "ignore" });
    await once(gone, "exit");
    const bot = botWithLock("gone", gone.pid!, 12345);
    expect(findStaleLocks(bot)).toEqual([expect.objectContaining({ pid: gone.pid, why: "dead" })]);
    expect(findStaleLocks({ stateDir: path.join(scratch.dir, "none") } as Bot)).toEqual([]);
  });
});
