import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type FoundBackup,
  listBackups,
  pruneScheduledBackups,
  resolveExpired,
} from "./retention.js";

const at = (day: number) => new Date(Date.UTC(2026, 10, day)).toISOString();
const found = (day: number, origin: FoundBackup["origin"]): FoundBackup => ({
  dir: `/b/${origin}-${day}`,
  createdAt: at(day),
  origin,
});

describe("resolveExpired", () => {
  it("chooses the scheduled backups beyond the newest `keep`, oldest ones, in any input order", () => {
    const backups = [
      found(3, "scheduled"),
      found(1, "scheduled"),
      found(5, "scheduled"),
      found(2, "scheduled"),
    ];
    expect(resolveExpired(backups, 2).map((b) => b.dir)).toEqual([
      "/b/scheduled-2",
      "/b/scheduled-1",
    ]);
  });

  it("never chooses a manual backup, however old, nor counts it against `keep`", () => {
    const backups = [
      found(1, "manual"),
      found(2, "scheduled"),
      found(3, "manual"),
      found(4, "scheduled"),
    ];
    expect(resolveExpired(backups, 2)).toEqual([]);
    expect(resolveExpired(backups, 1).map((b) => b.dir)).toEqual(["/b/scheduled-2"]);
  });

  it("keeps everything when there are no more than `keep`", () => {
    expect(resolveExpired([found(1, "scheduled")], 7)).toEqual([]);
    expect(resolveExpired([], 1)).toEqual([]);
  });
});

describe("pruneScheduledBackups", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const manifest = (createdAt: string, origin: string) => ({
    format: "clawops-backup",
    formatVersion: 1,
    createdAt,
    clawopsVersion: "0.1.0",
    origin,
    durationMs: 1,
    store: { kind: "sqlite", file: "store/clawops.db", location: "/x/clawops.db" },
    bots: [],
    files: [],
    skipped: [],
  });

  it("deletes only folders whose manifest says the schedule made them, beyond `keep`", () => {
    const root = mkdtempSync(path.join(tmpdir(), "clawops-retention-"));
    dirs.push(root);
    const make = (name: string, content: unknown) => {
      mkdirSync(path.join(root, name));
      if (content !== undefined)
        writeFileSync(path.join(root, name, "manifest.json"), JSON.stringify(content));
    };
    make("clawops-backup-1", manifest(at(1), "scheduled"));
    make("clawops-backup-2", manifest(at(2), "scheduled"));
    make("clawops-backup-3", manifest(at(3), "scheduled"));
    make("clawops-backup-0", manifest(at(0), "manual"));
    // Not provably clawops's: no manifest, a malformed one, another name.
    make("clawops-backup-x", undefined);
    make("clawops-backup-y", { format: "something else", origin: "scheduled" });
    make("my-own-backup", manifest(at(0), "scheduled"));

    expect(listBackups(root).map((b) => path.basename(b.dir))).toEqual([
      "clawops-backup-3",
      "clawops-backup-2",
      "clawops-backup-1",
      "clawops-backup-0",
    ]);
    const pruned = pruneScheduledBackups(root, 1);
    expect(pruned.map((b) => path.basename(b.dir))).toEqual([
      "clawops-backup-2",
      "clawops-backup-1",
    ]);
    expect(readdirSync(root).sort()).toEqual([
      "clawops-backup-0",
      "clawops-backup-3",
      "clawops-backup-x",
      "clawops-backup-y",
      "my-own-backup",
    ]);
  });

  it("is a no-op on a folder that does not exist", () => {
    expect(pruneScheduledBackups(path.join(tmpdir(), "clawops-no-such-folder-xyz"), 1)).toEqual([]);
  });
});
