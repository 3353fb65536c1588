import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { sleep } from "../core/time.js";
import { readProcStat } from "./proc.js";

describe("readProcStat", () => {
  it("reads the state and the CPU time a hang verdict rests on", async () => {
    // CPU time grows while a thread runs (200 ms of spinning: up to 20 ticks of 10 ms).
    const before = readProcStat(process.pid)!;
    const until = performance.now() + 200;
    while (performance.now() < until);
    expect(readProcStat(process.pid)!.cpuTicks).toBeGreaterThan(before.cpuTicks);

    // A stopped process shows T at once, and its CPU time stands still.
    const child = spawn(process.execPath, ["-e", "for (;;);"], { stdio: "ignore" });
    try {
      await sleep(200);
      child.kill("SIGSTOP");
      while (readProcStat(child.pid!)?.state !== "T") await sleep(5);
      const stopped = readProcStat(child.pid!)!;
      expect(stopped.cpuTicks).toBeGreaterThan(0);
      await sleep(300);
      expect(readProcStat(child.pid!)).toMatchObject({ state: "T", cpuTicks: stopped.cpuTicks });
    } finally {
      child.kill("SIGKILL");
    }
  });
});
