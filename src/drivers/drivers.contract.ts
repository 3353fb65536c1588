import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { Bot } from "../core/bot.js";
import type { OpsError } from "../core/errors.js";
import { sleep } from "../core/time.js";
import {
  isRunningProcess,
  liveGroupMembers,
  readProcStartTime,
  readProcStat,
} from "../system/proc.js";
import type { GatewayDriver, GatewayProcess } from "./driver.js";

const STAND_IN = path.resolve(
  fileURLToPath(import.meta.url),
  "../../../test/fixtures/stand-in-gateway.mjs",
);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function live(port: number, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return true;
    await sleep(25);
  }
  return false;
}

/**
 * The one suite every gateway driver passes, on the stand-in gateway: start,
 * take over a gateway of the same state dir instead of starting a second,
 * attach by pid and start time, see a kill at once, stop the whole group
 * (SIGKILL after the grace), and refuse a held port or an unwritable state dir.
 */
export function describeDriverContract(name: string, make: () => GatewayDriver) {
  describe(`driver contract: ${name}`, () => {
    const cleanups: (() => void)[] = [];
    afterEach(() => {
      for (const cleanup of cleanups.splice(0).reverse()) cleanup();
    });

    async function newBot(standIn: object = {}): Promise<Bot> {
      const dir = mkdtempSync(path.join(tmpdir(), "clawops-driver-"));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const stateDir = path.join(dir, "state");
      mkdirSync(stateDir);
      const configPath = path.join(dir, "openclaw.json");
      writeFileSync(configPath, JSON.stringify({ standIn }));
      const now = new Date().toISOString();
      return {
        id: name,
        name: "contract",
        owner: null,
        driver: make().kind,
        stateDir,
        configPath,
        port: await freePort(),
        desiredState: "running",
        labels: {},
        openclawBin: STAND_IN,
        org: "default",
        createdAt: now,
        updatedAt: now,
      };
    }

    async function start(driver: GatewayDriver, bot: Bot): Promise<GatewayProcess> {
      const logFile = path.join(bot.stateDir, "..", "gateway.log");
      const gateway = await driver.start({
        bot,
        openclaw: {
          entry: STAND_IN,
          node: process.execPath,
          nodeVersion: null,
          version: null,
          source: "config",
        },
        env: { PATH: process.env.PATH },
        logFile,
      });
      cleanups.push(() => {
        try {
          process.kill(-gateway.pid, "SIGKILL");
        } catch {
          // Gone.
        }
      });
      return gateway;
    }

    it("starts a gateway in a process group of its own, output in the log file", async () => {
      const driver = make();
      const bot = await newBot();
      const gateway = await start(driver, bot);
      expect(gateway.startTime).toBe(readProcStartTime(gateway.pid));
      expect(readProcStat(gateway.pid)?.pgid).toBe(gateway.pid);
      expect(await live(bot.port)).toBe(true);
      expect(readFileSync(gateway.logFile!, "utf8")).toContain(
        `stand-in: listening on ${bot.port}`,
      );
    });

    it("takes over a gateway already running on the bot's state dir instead of starting a second", async () => {
      const bot = await newBot();
      const external = spawn(
        process.execPath,
        [STAND_IN, "gateway", "run", "--port", String(bot.port)],
        {
          env: {
            PATH: process.env.PATH,
            OPENCLAW_STATE_DIR: bot.stateDir,
            OPENCLAW_CONFIG_PATH: bot.configPath,
          },
          stdio: "ignore",
          detached: true,
        },
      );
      cleanups.push(() => external.kill("SIGKILL"));
      expect(await live(bot.port)).toBe(true);
      const gateway = await start(make(), bot);
      expect(gateway).toMatchObject({ pid: external.pid, child: false });
    });

    it("attaches by pid and start time, and never to a reused pid", async () => {
      const driver = make();
      const bot = await newBot();
      const gateway = await start(driver, bot);
      const attached = driver.attach(gateway.pid, gateway.startTime);
      expect(attached?.pid).toBe(gateway.pid);
      expect(driver.attach(gateway.pid, gateway.startTime + 1)).toBeNull();
      process.kill(gateway.pid, "SIGKILL");
      const seen = await Promise.race([
        attached!.exited.then(() => true),
        sleep(1_000).then(() => false),
      ]);
      expect(seen).toBe(true);
      expect(driver.attach(gateway.pid, gateway.startTime)).toBeNull();
    });

    it("sees a kill -9 at once", async () => {
      const bot = await newBot();
      const gateway = await start(make(), bot);
      await live(bot.port);
      const killedAt = performance.now();
      process.kill(gateway.pid, "SIGKILL");
      const killedAtMs = Date.now();
      const exit = await gateway.exited;
      expect(performance.now() - killedAt).toBeLessThan(500);
      if (gateway.child) expect(exit).toMatchObject({ code: null, signal: "SIGKILL" });
      // Last known alive: at the kill at the earliest, no later than the exit was seen.
      expect(exit.aliveAt).toBeGreaterThanOrEqual(killedAtMs - 150);
      expect(exit.aliveAt).toBeLessThanOrEqual(Date.now());
    });

    it("stops the whole group, with SIGKILL once the grace is over", async () => {
      const driver = make();
      const polite = await newBot();
      const first = await start(driver, polite);
      await live(polite.port);
      expect(await driver.stop(first, 5_000)).toMatchObject(first.child ? { code: 0 } : {});
      expect(isRunningProcess(first.pid)).toBe(false);

      const stubborn = await newBot({ ignoreTerm: true });
      const second = await start(driver, stubborn);
      await live(stubborn.port);
      const stoppedAt = performance.now();
      await driver.stop(second, 300);
      expect(performance.now() - stoppedAt).toBeGreaterThanOrEqual(290);
      expect(isRunningProcess(second.pid)).toBe(false);
      expect(liveGroupMembers(second.pid)).toEqual([]);
    });

    it("refuses a port held by another process, naming it", async () => {
      const bot = await newBot();
      const squatter = createServer().listen(bot.port, "127.0.0.1");
      cleanups.push(() => squatter.close());
      await new Promise((resolve) => squatter.once("listening", resolve));
      const error = (await start(make(), bot).catch((e: unknown) => e)) as OpsError;
      expect(error.code).toBe("PORT_IN_USE");
      expect(error.message).toContain(`port ${bot.port} is already held by pid ${process.pid}`);
    });

    it("refuses a state dir it cannot write", async () => {
      const bot = await newBot();
      const file = path.join(bot.stateDir, "file");
      writeFileSync(file, "");
      const error = (await start(make(), { ...bot, stateDir: path.join(file, "state") }).catch(
        (e: unknown) => e,
      )) as OpsError;
      expect(error.code).toBe("CONFIG_INVALID");
      expect(error.message).toMatch(/the state dir .*file\/state is not writable \(ENOTDIR\)/);
    });
  });
}
