import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "./cli.js";
import { WITNESS_ENV, registerSecret, scanWitness, witnessStores, witnessText } from "./witness.js";

describe("the suite's secrets witness", () => {
  const scratch = tempDir("clawops-witness-test-");
  const runWide = process.env[WITNESS_ENV];
  afterAll(() => {
    process.env[WITNESS_ENV] = runWide;
    scratch.remove();
  });

  it("finds a registered secret in what was printed, served or stored, and names where", () => {
    const witness = path.join(scratch.dir, "witness");
    mkdirSync(witness);
    process.env[WITNESS_ENV] = witness;
    try {
      const token = registerSecret("b3c1f0a9e8d7c6b5a4f3e2d1", "a gateway token");
      registerSecret("short", "too short to scan");
      witnessText("printed", "clawops status", `pid 42 token=${token}\n`);
      witnessText("served", "GET /api/v1/status", '{"ok":true}');
      const dataDir = path.join(scratch.dir, "data");
      mkdirSync(dataDir);
      writeFileSync(path.join(dataDir, "clawops.db"), Buffer.from(`\0\0SQLite ${token}\0`));
      writeFileSync(path.join(dataDir, "openclaw.json"), `{ token: "${token}" }`);
      witnessStores(scratch.dir);
    } finally {
      process.env[WITNESS_ENV] = runWide;
    }

    const summary = scanWitness(witness);
    expect(summary.secrets).toBe(1);
    expect(summary.bytes.served).toBeGreaterThan(0);
    // The gateway's own config holds its token by design: only clawops's store is scanned.
    expect(summary.leaks).toEqual([
      {
        label: "a gateway token",
        kind: "printed",
        where: expect.stringContaining('(under "clawops status")') as string,
      },
      {
        label: "a gateway token",
        kind: "stored",
        where: expect.stringContaining("data_clawops.db") as string,
      },
    ]);
  });
});
