import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningDaemon, freePort, runCli, startUp, tempDir } from "./helpers/cli.js";

/** A small real file system of its own (tmpfs): the only honest way to fill a disk. */
function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const work = tempDir("clawops-disk-");
const disk = path.join(work.dir, "disk");
mkdirSync(disk);
const mounted = process.getuid?.() === 0 && mountTmpfs(disk, "8m");
if (!mounted) {
  const why = "needs root to mount a small tmpfs (it fills a real disk)";
  if (process.env.CI === "true") throw new Error(`full-disk suite: ${why}`);
  console.warn(`skipping the full-disk suite: ${why}`);
}

describe.runIf(mounted)("a full disk under the store", () => {
  const env: Record<string, string> = { CLAWOPS_DATA_DIR: path.join(disk, "data") };
  const filler = path.join(disk, "filler");
  let daemon: RunningDaemon;
  const cli = (...args: string[]) => runCli(args, { cwd: work.dir, env });
  const readiness = async () =>
    (await (await fetch(`${daemon.url}/readyz`)).json()) as {
      ready: boolean;
      parts: { store: { ok: boolean; reason?: string } };
    };

  beforeAll(async () => {
    env.CLAWOPS_HTTP_PORT = String(await freePort());
    daemon = await startUp({ cwd: work.dir, port: Number(env.CLAWOPS_HTTP_PORT), env });
  });

  afterAll(async () => {
    await daemon?.stop();
    execFileSync("umount", [disk]);
    work.remove();
  });

  it("says so plainly, refuses writes cleanly, and works again once there is room", async () => {
    expect((await cli("bot", "add", "before", "--allow-missing")).code).toBe(0);
    // Fill every byte that is left.
    const fd = openSync(filler, "w");
    const block = Buffer.alloc(64 * 1024, 1);
    try {
      for (;;) writeSync(fd, block);
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe("ENOSPC");
    } finally {
      closeSync(fd);
    }

    const added = await cli("bot", "add", "during", "--allow-missing");
    expect(added.code).toBe(2);
    expect(added.stderr).toMatch(/^clawops: the store's disk is full \((SQLITE_FULL|0 KiB free)/);
    expect(added.stderr).not.toMatch(/internal error|cannot rollback/);

    const api = await daemon.fetch(`/api/v1/bots`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-clawops-client": "test" },
      body: JSON.stringify({ name: "during-api", allowMissingConfig: true }),
    });
    expect(api.status).toBe(503);
    expect(await api.json()).toMatchObject({
      error: { code: "STORE_UNREACHABLE", details: { reason: "disk_full" } },
    });
    const notReady = await readiness();
    expect(notReady.ready).toBe(false);
    expect(notReady.parts.store.ok).toBe(false);
    expect(notReady.parts.store.reason).toMatch(
      /cannot write: .*(disk full|SQLITE_FULL|disk is full)/,
    );

    rmSync(filler);
    expect((await cli("bot", "add", "after", "--allow-missing")).code).toBe(0);
    await expect.poll(async () => (await readiness()).ready, { timeout: 20_000 }).toBe(true);
    const names = (
      JSON.parse((await cli("bot", "list", "--json")).stdout) as {
        bots: { name: string }[];
      }
    ).bots.map((b) => b.name);
    expect(names).toEqual(["after", "before"]);
    const db = new SqliteDatabase(path.join(disk, "data", "clawops.db"), { readonly: true });
    try {
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    } finally {
      db.close();
    }
  }, 120_000);
});
