import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely } from "kysely";
import { describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/postgres.js";
import { serviceUrl } from "../../test/helpers/services.js";
import { OpsError } from "../core/errors.js";
import { KyselyStore } from "./kysely-store.js";
import { openPostgresStore, redactDatabaseUrl } from "./postgres.js";
import type { Database } from "./schema.js";
import { openSqliteStore } from "./sqlite.js";
import { FairSqliteDialect } from "./sqlite-dialect.js";
import { describeStoreContract } from "./store.contract.js";

describeStoreContract("sqlite", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "clawops-store-"));
  const file = path.join(dir, "nested", "clawops.db");
  return {
    open: async () => openSqliteStore(file),
    teardown: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

const pgUrl = serviceUrl("CLAWOPS_TEST_DATABASE_URL", "PostgreSQL");
if (pgUrl) {
  describeStoreContract("postgres", async () => {
    const db = await createTestDatabase(pgUrl);
    return { open: () => openPostgresStore(db.url, 5_000), teardown: () => db.drop() };
  });
}

describe("store errors", () => {
  it("reports an unreachable PostgreSQL with the redacted URL and the reason", async () => {
    const error = await openPostgresStore(
      "postgres://app:hunter2@127.0.0.1:1/clawops",
      2_000,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpsError);
    expect((error as OpsError).code).toBe("STORE_UNREACHABLE");
    expect((error as OpsError).message).toContain("postgres://app:***@127.0.0.1:1/clawops");
    expect((error as OpsError).message).toContain("ECONNREFUSED");
    expect((error as OpsError).message).not.toContain("hunter2");
  });

  it("redacts passwords from database URLs", () => {
    expect(redactDatabaseUrl("postgresql://u:p%40ss@db:5432/x?sslmode=require")).toBe(
      "postgresql://u:***@db:5432/x?sslmode=require",
    );
    expect(redactDatabaseUrl("postgres://db/x")).toBe("postgres://db/x");
  });

  it("says the disk is full when SQLite cannot grow, not 'cannot rollback'", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "clawops-full-"));
    const sqlite = new SqliteDatabase(path.join(dir, "clawops.db"));
    const store = new KyselyStore(
      new Kysely<Database>({ dialect: new FairSqliteDialect({ database: sqlite }) }),
      "sqlite",
      path.join(dir, "clawops.db"),
      { sqlite },
    );
    try {
      await store.migrate();
      // SQLite's own limit: past it every write fails with SQLITE_FULL, as on a full disk.
      sqlite.pragma(`max_page_count = ${sqlite.pragma("page_count", { simple: true }) as number}`);
      let error: unknown = null;
      for (let i = 0; i < 200 && !error; i++) {
        error = await store
          .createBot({
            name: `bot-${i}`,
            owner: null,
            driver: "process",
            stateDir: path.join(dir, `state-${i}-${"x".repeat(500)}`),
            configPath: path.join(dir, `config-${i}.json`),
            port: 20_000 + i,
            desiredState: "stopped",
            labels: {},
            openclawBin: null,
          })
          .then(
            () => null,
            (e: unknown) => e,
          );
      }
      expect(error).toBeInstanceOf(OpsError);
      expect(error).toMatchObject({ code: "STORE_UNREACHABLE", details: { reason: "disk_full" } });
      expect((error as OpsError).message).toMatch(/^the store's disk is full \(SQLITE_FULL\)/);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports a SQLite file that cannot be opened", () => {
    expect(() => openSqliteStore("/dev/null/clawops.db")).toThrow(
      /cannot open SQLite database \/dev\/null\/clawops.db: EEXIST/,
    );
  });
});
