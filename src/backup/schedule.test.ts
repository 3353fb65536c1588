import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { resolveConfig } from "../config/load.js";
import type { ClawopsConfig } from "../config/schema.js";
import { createBackup } from "./create.js";
import { BackupScheduler } from "./schedule.js";

const HOUR = 3_600_000;

describe("BackupScheduler", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function setup(keep: number) {
    const root = mkdtempSync(path.join(tmpdir(), "clawops-schedule-"));
    dirs.push(root);
    const resolved = resolveConfig(
      { dataDir: "data", backups: { enabled: true, every: "1h", keep, dir: "backups" } },
      { baseDir: root },
    );
    if (!resolved.ok) throw new Error(JSON.stringify(resolved.issues));
    const config: ClawopsConfig = resolved.config;
    const db = new Database(path.join(root, "data-store.db"));
    db.exec("create table t(x); insert into t values (1)");
    db.close();
    config.database.sqlitePath = path.join(root, "data-store.db");
    let clock = Date.now();
    const lines: string[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => lines.push(line) });
    const scheduler = new BackupScheduler({
      config,
      configFile: null,
      listBots: () => Promise.resolve([]),
      log,
      now: () => clock,
      // In-thread: the worker needs the built dist/ (the daemon's e2e test covers that path).
      create: (options) => createBackup(options),
    });
    const folder = path.join(root, "backups");
    return {
      scheduler,
      folder,
      lines,
      later: (ms: number) => (clock += ms),
      made: () => readdirSync(folder).filter((n) => n.startsWith("clawops-backup-")),
    };
  }

  it("takes a backup when none is younger than `every`, not before, and keeps only `keep` of its own", async () => {
    const s = setup(2);
    expect(s.scheduler.status()).toMatchObject({ ok: true, lastBackupAt: null });
    await s.scheduler.tick();
    expect(s.made()).toHaveLength(1);
    expect(s.lines.join("")).toContain("backup.created");
    s.later(10 * 60_000);
    await s.scheduler.tick();
    expect(s.made()).toHaveLength(1);
    expect(s.scheduler.status().lastBackupAgeMs).toBeGreaterThan(9 * 60_000);

    // A manual backup in the same folder is neither counted nor deleted.
    const config = (s.scheduler as unknown as { deps: { config: ClawopsConfig } }).deps.config;
    const manual = await createBackup({
      config,
      configFile: null,
      bots: [],
      destDir: s.folder,
      origin: "manual",
    });
    for (let i = 0; i < 3; i += 1) {
      s.later(HOUR);
      await new Promise((r) => setTimeout(r, 2)); // distinct folder names
      await s.scheduler.tick();
    }
    const left = s.made();
    expect(left).toHaveLength(3);
    expect(left).toContain(path.basename(manual.dir));
    expect(s.lines.join("")).toContain("backup.pruned");
  });

  it("warns in its status when the newest backup is older than twice `every`", async () => {
    const s = setup(3);
    await s.scheduler.tick();
    s.later(2 * HOUR + 60_000);
    expect(s.scheduler.status().warning).toMatch(/the newest backup is 2h old/);
  });
});
