import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackupManifest } from "../src/backup/manifest.js";
import { sleep } from "../src/core/time.js";
import { type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import { GATEWAY_HOOK_TIMEOUT, gatewayRuntimeAvailable } from "./harness/gateway.js";
import { freePort, runCli, tempDir } from "./helpers/cli.js";
import { createTestDatabase } from "./helpers/postgres.js";
import { serviceUrl } from "./helpers/services.js";
import { type Supervised, upWithGateway } from "./helpers/supervised.js";

type Rows = Record<string, string[]>;

/** Every table of a SQLite file, each row as JSON, sorted: what "the same data" means here. */
function sqliteRows(file: string): Rows {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name",
      )
      .pluck()
      .all() as string[];
    return Object.fromEntries(
      tables.map((t) => [
        t,
        db
          .prepare(`select * from "${t}"`)
          .all()
          .map((r) => JSON.stringify(r))
          .sort(),
      ]),
    );
  } finally {
    db.close();
  }
}

function integrity(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.pragma("integrity_check", { simple: true }) as string;
  } finally {
    db.close();
  }
}

function sha256(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/** The files of a backup, read back from disk: sha256 and size as the manifest says. */
function expectManifestMatches(dir: string, manifest: BackupManifest): void {
  for (const entry of manifest.files) {
    const file = path.join(dir, entry.path);
    expect(sha256(file), entry.path).toBe(entry.sha256);
    expect(readFileSync(file).length, entry.path).toBe(entry.bytes);
  }
}

/**
 * Issue 19 (backup and restore) on a real fleet: `clawops up` on SQLite runs a
 * real gateway that chats with the local LLM; `clawops backup` runs while a
 * turn is streaming; `clawops restore` puts it into fresh folders, and what
 * comes back is compared with what was there: the store's tables, the
 * gateway's databases (integrity and session rows), configs byte for byte,
 * every checksum. A damaged backup and a non-empty target are refused. The
 * daemon's scheduled backup shows in /readyz.
 */
describe.runIf(gatewayRuntimeAvailable())("clawops backup and restore on a live fleet", () => {
  let llm: FakeLlm;
  let up: Supervised;
  let backupsDir = "";
  const scratch = tempDir("clawops-restore-");

  beforeAll(async () => {
    llm = await startFakeLlm();
    up = await upWithGateway({
      prefix: "clawops-backup-",
      bot: "alpha",
      llmBaseUrl: llm.baseUrl,
      clawops: { backups: { enabled: true, every: "1h", keep: 2, dir: "./scheduled" } },
    });
    backupsDir = path.join(up.dir, "manual");
  }, GATEWAY_HOOK_TIMEOUT);

  afterAll(async () => {
    await up?.close();
    await llm?.close();
    scratch.remove();
  });

  const agentDb = (stateDir: string) =>
    path.join(stateDir, "agents", "main", "agent", "openclaw-agent.sqlite");

  it("takes the scheduled backup at start and shows its age in /readyz", async () => {
    const scheduled = path.join(up.dir, "scheduled");
    const ready = (await up
      .daemon()!
      .fetch("/readyz")
      .then((r) => r.json())) as {
      parts: {
        backups?: { ok: boolean; lastBackupAt: string | null; lastBackupAgeMs: number | null };
      };
    };
    expect(ready.parts.backups).toMatchObject({ ok: true, dir: scheduled });
    expect(ready.parts.backups!.lastBackupAt).not.toBeNull();
    const made = readdirSync(scheduled).filter((n) => n.startsWith("clawops-backup-"));
    expect(made.length).toBeGreaterThanOrEqual(1);
    const manifest = JSON.parse(
      readFileSync(path.join(scheduled, made[0]!, "manifest.json"), "utf8"),
    ) as BackupManifest;
    expect(manifest.origin).toBe("scheduled");
    expect(up.daemon()!.output()).toContain("backup.created");
  });

  it("backs up online while a chat turn streams, and restores every part into fresh folders", async () => {
    const first = await up.cli(["chat", "alpha", "Hello there", "--session", "agent:main:first"]);
    expect(first.code, first.stderr).toBe(0);
    await up.sessionWhere(
      (s) => s.sessionKey === "agent:main:first" && s.messageCount >= 2,
      "first turn",
    );

    // An answer that streams its first words, then waits for the backup to end.
    const release = llm.hold();
    llm.enqueue({ text: Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ") });
    const asked = llm.requests.length;
    let turnDone = false;
    const turn = up
      .cli(["chat", "alpha", "Tell me a long story", "--session", "agent:main:second"])
      .finally(() => (turnDone = true));
    for (let i = 0; llm.requests.length === asked; i += 1) {
      if (i > 600) throw new Error("the gateway never asked the LLM");
      await sleep(50);
    }
    const started = Date.now();
    const backup = await up.cli(["backup", "--to", backupsDir, "--json"]);
    console.log(`clawops backup during a streaming turn: ${Date.now() - started} ms`);
    expect(backup.code, backup.stderr).toBe(0);
    expect(turnDone, "the chat turn was still streaming when the backup ended").toBe(false);
    release();
    const second = await turn;
    expect(second.code, second.stderr).toBe(0);

    const { backup: summary } = JSON.parse(backup.stdout) as { backup: { dir: string } };
    const manifest = JSON.parse(
      readFileSync(path.join(summary.dir, "manifest.json"), "utf8"),
    ) as BackupManifest;
    expect(path.dirname(summary.dir)).toBe(backupsDir);
    // Nothing half-written beside it.
    expect(readdirSync(backupsDir)).toEqual([path.basename(summary.dir)]);
    expect(manifest).toMatchObject({
      format: "clawops-backup",
      origin: "manual",
      store: { kind: "sqlite", file: "store/clawops.db" },
      bots: [{ name: "alpha", stateDir: up.stateDir, configPath: up.configPath }],
    });
    expect(manifest.clawopsVersion).toMatch(/^\d+\.\d+\.\d+/);
    const paths = manifest.files.map((f) => f.path);
    expect(paths).toContain("clawops/clawops.yaml");
    expect(paths).toContain("bots/alpha/config/openclaw.json");
    expect(paths).toContain("clawops/known-good/alpha.json");
    const sqliteFiles = manifest.files.filter((f) => f.kind === "sqlite").map((f) => f.path);
    expect(sqliteFiles).toEqual(
      expect.arrayContaining([
        "bots/alpha/state/state/openclaw.sqlite",
        "bots/alpha/state/agents/main/agent/openclaw-agent.sqlite",
      ]),
    );
    // No SQLite side file and no lock was copied raw.
    expect(paths.filter((p) => /-(wal|shm|journal)$|\.lock$/.test(p))).toEqual([]);
    expectManifestMatches(summary.dir, manifest);

    const dataDir = path.join(scratch.dir, "data");
    const botsDir = path.join(scratch.dir, "bots");
    const restored = await runCli(
      ["restore", summary.dir, "--data-dir", dataDir, "--bots-dir", botsDir, "--json"],
      { cwd: scratch.dir },
    );
    expect(restored.code, restored.stderr).toBe(0);
    const result = (JSON.parse(restored.stdout) as { restore: { verified: number } }).restore;
    expect(result.verified).toBe(manifest.files.length);

    // The store: intact, and every row it holds is in the live store (which has moved on since).
    const restoredStore = path.join(dataDir, "clawops.db");
    expect(integrity(restoredStore)).toBe("ok");
    const before = sqliteRows(restoredStore);
    const live = sqliteRows(path.join(up.dir, "data", "clawops.db"));
    expect(Object.keys(before)).toEqual(Object.keys(live));
    expect(before.bots).toEqual(live.bots);
    expect(before.bots).toHaveLength(1);
    const sessions = before.sessions!.map((r) => JSON.parse(r) as { session_key: string });
    expect(sessions.map((s) => s.session_key)).toContain("agent:main:first");
    for (const table of ["events", "messages"]) {
      const missing = before[table]!.filter((row) => !live[table]!.includes(row));
      expect(missing, `${table} rows of the backup that the live store lacks`).toEqual([]);
    }

    // The gateway's databases: intact, with the first turn's session and its transcript.
    const restoredState = path.join(botsDir, "alpha", "state");
    for (const file of sqliteFiles) {
      const target = path.join(botsDir, file.replace(/^bots\//, ""));
      expect(integrity(target), file).toBe("ok");
    }
    const agent = sqliteRows(agentDb(restoredState));
    expect(agent.session_nodes!.length).toBeGreaterThan(0);
    expect(agent.session_nodes!.join("\n")).toContain("agent:main:first");
    expect(agent.transcript_events!.length).toBeGreaterThan(0);

    // Configs, byte for byte; every restored file as its checksum says.
    expect(readFileSync(path.join(botsDir, "alpha", "config", "openclaw.json"))).toEqual(
      readFileSync(up.configPath),
    );
    expect(readFileSync(path.join(dataDir, "clawops.yaml"))).toEqual(
      readFileSync(path.join(up.dir, "clawops.yaml")),
    );
    expect(readFileSync(path.join(dataDir, "known-good", "alpha.json"))).toEqual(
      readFileSync(path.join(up.dir, "data", "known-good", "alpha.json")),
    );
    for (const entry of manifest.files) {
      const target =
        entry.kind === "store"
          ? restoredStore
          : entry.bot
            ? path.join(botsDir, entry.path.replace(/^bots\//, ""))
            : path.join(dataDir, entry.path.replace(/^clawops\//, ""));
      expect(sha256(target), entry.path).toBe(entry.sha256);
    }

    // Never over existing data: the same folders again are refused, and nothing changes.
    const again = await runCli(
      ["restore", summary.dir, "--data-dir", dataDir, "--bots-dir", path.join(scratch.dir, "b2")],
      { cwd: scratch.dir },
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`--data-dir ${dataDir} is not empty`);
    expect(existsSync(path.join(scratch.dir, "b2"))).toBe(false);
    // Nor into a data dir a live daemon holds.
    const intoLive = await runCli(
      [
        "restore",
        summary.dir,
        "--data-dir",
        path.join(up.dir, "data"),
        "--bots-dir",
        path.join(scratch.dir, "b3"),
      ],
      { cwd: scratch.dir },
    );
    expect(intoLive.code).toBe(1);
    expect(intoLive.stderr).toContain("belongs to a running clawops daemon");
  }, 240_000);

  it("with clawops stopped, the restored store equals the live one table for table, and the gateway's sessions too", async () => {
    await up.stopDaemon();
    try {
      const backup = await up.cli(["backup", "--to", backupsDir, "--json"]);
      expect(backup.code, backup.stderr).toBe(0);
      const { dir } = (JSON.parse(backup.stdout) as { backup: { dir: string } }).backup;
      const dataDir = path.join(scratch.dir, "quiet-data");
      const botsDir = path.join(scratch.dir, "quiet-bots");
      const restored = await runCli(
        ["restore", dir, "--data-dir", dataDir, "--bots-dir", botsDir],
        { cwd: scratch.dir },
      );
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stdout).toContain(`data dir: ${dataDir}`);
      expect(sqliteRows(path.join(dataDir, "clawops.db"))).toEqual(
        sqliteRows(path.join(up.dir, "data", "clawops.db")),
      );
      const restoredAgent = sqliteRows(agentDb(path.join(botsDir, "alpha", "state")));
      const liveAgent = sqliteRows(agentDb(up.stateDir));
      expect(restoredAgent.session_nodes).toEqual(liveAgent.session_nodes);
      expect(restoredAgent.transcript_events).toEqual(liveAgent.transcript_events);
      expect(restoredAgent.session_nodes!.join("\n")).toContain("agent:main:second");
    } finally {
      await up.startDaemon();
    }
  }, 120_000);

  it("refuses a damaged backup, naming the file, and writes nothing", async () => {
    const [name] = readdirSync(backupsDir).sort();
    const damaged = path.join(scratch.dir, "damaged");
    cpSync(path.join(backupsDir, name!), damaged, { recursive: true });
    const victim = path.join(damaged, "bots/alpha/state/agents/main/agent/openclaw-agent.sqlite");
    const bytes = readFileSync(victim);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    writeFileSync(victim, bytes);
    const dataDir = path.join(scratch.dir, "never");
    const result = await runCli(
      [
        "restore",
        damaged,
        "--data-dir",
        dataDir,
        "--bots-dir",
        path.join(scratch.dir, "never-bots"),
        "--json",
      ],
      { cwd: scratch.dir },
    );
    expect(result.code).toBe(2);
    const { error } = JSON.parse(result.stdout) as {
      error: { code: string; message: string; details: { problems: { path: string }[] } };
    };
    expect(error.code).toBe("VALIDATION");
    expect(error.message).toContain("bots/alpha/state/agents/main/agent/openclaw-agent.sqlite");
    expect(error.details.problems.map((p) => p.path)).toEqual([
      "bots/alpha/state/agents/main/agent/openclaw-agent.sqlite",
    ]);
    expect(existsSync(dataDir)).toBe(false);
    expect(readdirSync(scratch.dir).filter((n) => n.includes(".restoring-"))).toEqual([]);
  });

  it("a restart of clawops takes no extra scheduled backup", () => {
    const made = readdirSync(path.join(up.dir, "scheduled")).filter((n) =>
      n.startsWith("clawops-backup-"),
    );
    expect(made).toHaveLength(1);
  });
});

const pgUrl = serviceUrl("CLAWOPS_TEST_DATABASE_URL", "PostgreSQL");

async function pgRows(url: string): Promise<Rows> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ name: string }>(
      "select tablename as name from pg_tables where schemaname = 'public' order by 1",
    );
    const out: Rows = {};
    for (const { name } of tables) {
      const { rows } = await client.query(`select * from "${name}"`);
      out[name] = rows.map((r) => JSON.stringify(r)).sort();
    }
    return out;
  } finally {
    await client.end();
  }
}

/** The PostgreSQL store: pg_dump in the backup, pg_restore into an empty database, same rows. */
describe.runIf(pgUrl)("clawops backup and restore on PostgreSQL", () => {
  let source: Awaited<ReturnType<typeof createTestDatabase>>;
  let target: Awaited<ReturnType<typeof createTestDatabase>>;
  const scratch = tempDir("clawops-backup-pg-");
  const dir = scratch.dir;

  beforeAll(async () => {
    source = await createTestDatabase(pgUrl!);
    target = await createTestDatabase(pgUrl!);
  });
  afterAll(async () => {
    await source?.drop();
    await target?.drop();
    scratch.remove();
  });

  it("round-trips the store and refuses a database that is not empty", async () => {
    writeFileSync(path.join(dir, "clawops.yaml"), "dataDir: ./data\n");
    const env = { CLAWOPS_DATABASE_URL: source.url };
    const cli = (args: string[], extra = env) => runCli(args, { cwd: dir, env: extra });
    const botDir = path.join(dir, "beta");
    mkdirSync(path.join(botDir, "state"), { recursive: true });
    writeFileSync(path.join(botDir, "openclaw.json"), '{ gateway: { mode: "local" } }\n');
    const port = await freePort();
    const added = await cli([
      "bot",
      "add",
      "beta",
      "--port",
      String(port),
      "--config",
      path.join(botDir, "openclaw.json"),
      "--state-dir",
      path.join(botDir, "state"),
    ]);
    expect(added.code, added.stderr).toBe(0);

    const backup = await cli(["backup", "--json"]);
    expect(backup.code, backup.stderr).toBe(0);
    const { dir: backupDir, store } = (
      JSON.parse(backup.stdout) as { backup: { dir: string; store: string } }
    ).backup;
    expect(store).toBe("postgres");
    const manifest = JSON.parse(
      readFileSync(path.join(backupDir, "manifest.json"), "utf8"),
    ) as BackupManifest;
    expect(manifest.store.file).toBe("store/clawops.pgdump");
    expectManifestMatches(backupDir, manifest);

    // The URL in the environment, not on the command line.
    const restore = (dataDir: string) =>
      cli(
        ["restore", backupDir, "--data-dir", dataDir, "--bots-dir", `${dataDir}-bots`, "--json"],
        {
          CLAWOPS_DATABASE_URL: target.url,
        },
      );
    const restored = await restore(path.join(dir, "restored"));
    expect(restored.code, restored.stderr).toBe(0);
    const sourceRows = await pgRows(source.url);
    expect(sourceRows.bots).toHaveLength(1);
    expect(await pgRows(target.url)).toEqual(sourceRows);
    expect(
      readFileSync(path.join(dir, "restored-bots", "beta", "config", "openclaw.json"), "utf8"),
    ).toBe('{ gateway: { mode: "local" } }\n');

    const refused = await restore(path.join(dir, "restored-again"));
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain("is not empty");
    expect(existsSync(path.join(dir, "restored-again"))).toBe(false);
  });
});
