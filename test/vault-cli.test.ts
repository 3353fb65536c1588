import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep } from "../src/core/time.js";
import { CLI, type CliResult, cleanEnv, freePort, runCli, tempDir } from "./helpers/cli.js";
import { registerSecret } from "./helpers/witness.js";

const KEY_OLD = registerSecret(randomBytes(32).toString("base64"), "vault cli old key");
const KEY_NEW = registerSecret(randomBytes(32).toString("base64"), "vault cli new key");
const TOKEN = registerSecret(`123456789:${randomBytes(18).toString("hex")}`, "vault cli token");
const API_KEY = registerSecret(`sk-vault-${randomBytes(16).toString("hex")}`, "vault cli api key");

let work: ReturnType<typeof tempDir>;
beforeAll(() => {
  work = tempDir("clawops-vault-cli-");
});
afterAll(() => work.remove());

/** `clawops ARGS` in the work dir with `env` (the keys' variables) and `input` on stdin. */
function cli(args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return runCli(args, { cwd: work.dir, env, ...(input === undefined ? {} : { input }) });
}

function configure(keys: string): void {
  writeFileSync(path.join(work.dir, "clawops.yaml"), `vault:\n  keys:\n${keys}`);
}

/** Nothing printed carries a value or a key. */
function clean(result: CliResult): CliResult {
  for (const secret of [KEY_OLD, KEY_NEW, TOKEN, API_KEY]) {
    expect(result.stdout).not.toContain(secret);
    expect(result.stderr).not.toContain(secret);
  }
  return result;
}

describe("clawops vault", () => {
  it("puts from stdin only, lists, rotates to a new key in batches and reports status", async () => {
    configure("    - { id: k1, env: OLD_KEY }\n");
    const old = { OLD_KEY: KEY_OLD };
    const put = clean(await cli(["vault", "put", "bot/alpha/telegram"], old, `${TOKEN}\n`));
    expect(put).toMatchObject({
      code: 0,
      stdout: `stored bot/alpha/telegram (${TOKEN.length} bytes) under key k1\n`,
    });
    clean(await cli(["vault", "put", "provider/openai", "--json"], old, API_KEY));
    for (let i = 0; i < 5; i++) clean(await cli(["vault", "put", `bulk/${i}`], old, `v-${i}`));
    // A value on the command line is not an option: it would show in ps and shell history.
    const argv = clean(await cli(["vault", "put", "x/y", "--value", TOKEN], old));
    expect(argv.code).toBe(2);

    const list = clean(await cli(["vault", "list", "bot/", "--json"], old));
    expect(JSON.parse(list.stdout)).toEqual({
      entries: [
        expect.objectContaining({ name: "bot/alpha/telegram", kekId: "k1", bytes: TOKEN.length }),
      ],
    });

    configure("    - { id: k2, env: NEW_KEY }\n    - { id: k1, env: OLD_KEY }\n");
    const both = { OLD_KEY: KEY_OLD, NEW_KEY: KEY_NEW };
    const before = JSON.parse(clean(await cli(["vault", "status", "--json"], both)).stdout) as {
      toRotate: number;
    };
    expect(before.toRotate).toBe(7);
    const rotated = clean(await cli(["vault", "rotate", "--batch-size", "3", "--json"], both));
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout)).toMatchObject({
      keyId: "k2",
      total: 7,
      rewrapped: 7,
      remaining: 0,
    });
    expect(rotated.stderr).toBe(
      "  3/7 records handled, 3 re-wrapped\n  6/7 records handled, 6 re-wrapped\n  7/7 records handled, 7 re-wrapped\n",
    );

    // The old key can go: everything is readable by the new one alone.
    configure("    - { id: k2, env: NEW_KEY }\n");
    const status = clean(await cli(["vault", "status"], { NEW_KEY: KEY_NEW }));
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("7 record(s); all under the current key");
  });

  it("fails with the key's problem: a wrong key, a missing one, a key file others can read", async () => {
    configure("    - { id: k2, env: NEW_KEY }\n");
    const wrong = clean(await cli(["vault", "status"], { NEW_KEY: KEY_OLD }));
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/k2 \(current\)\s+env NEW_KEY\s+wrong key/);
    const missing = clean(await cli(["vault", "put", "a/b"], {}, "value-1"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^clawops: vault key "k2" is not set: set NEW_KEY/);

    const file = path.join(work.dir, "vault.key");
    writeFileSync(file, `${KEY_NEW}\n`);
    chmodSync(file, 0o644);
    configure(`    - { id: k2, file: vault.key }\n`);
    const open = clean(await cli(["vault", "put", "a/b", "--json"], {}, "value-2"));
    expect(open.code).toBe(2);
    const { error } = JSON.parse(open.stdout) as { error: { code: string; message: string } };
    expect(error.code).toBe("VAULT_KEY_INVALID");
    expect(error.message).toContain(`run \`chmod 600 ${file}\``);
    chmodSync(file, 0o600);
    expect(clean(await cli(["vault", "list"], {})).code).toBe(0);
  });

  it("refuses a tampered record when rotating, and leaves it as it is", async () => {
    configure("    - { id: k2, env: NEW_KEY }\n");
    clean(await cli(["vault", "put", "t/victim"], { NEW_KEY: KEY_NEW }, API_KEY));
    const db = new SqliteDatabase(path.join(work.dir, ".clawops", "clawops.db"));
    try {
      db.prepare("update vault_records set tag = zeroblob(16) where name = 't/victim'").run();
    } finally {
      db.close();
    }
    configure("    - { id: k3, env: NEWER_KEY }\n    - { id: k2, env: NEW_KEY }\n");
    const newer = registerSecret(randomBytes(32).toString("base64"), "vault cli newer key");
    const rotated = clean(await cli(["vault", "rotate"], { NEW_KEY: KEY_NEW, NEWER_KEY: newer }));
    expect(rotated.code).toBe(1);
    expect(rotated.stdout).toContain(
      'not re-wrapped: t/victim (key k2): vault record "t/victim" was refused: its value failed authentication',
    );
    expect(rotated.stdout).not.toContain(newer);
  });

  it("makes the daemon not ready while its records' key is missing, and says which", async () => {
    configure("    - { id: k2, env: NEW_KEY }\n");
    clean(await cli(["vault", "put", "n/ready"], { NEW_KEY: KEY_NEW }, API_KEY));
    const port = await freePort();
    const up = spawn(process.execPath, [CLI, "up", "--json"], {
      cwd: work.dir,
      env: cleanEnv({ CLAWOPS_HTTP_PORT: String(port) }),
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => up.once("exit", resolve));
    try {
      let answer: Response | null = null;
      for (let i = 0; i < 200 && answer === null; i += 1) {
        answer = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
        if (answer === null) await sleep(100);
      }
      expect(answer?.status).toBe(503);
      const readiness = (await answer!.json()) as { failing: { part: string; reason: string }[] };
      expect(readiness.failing).toEqual([
        {
          part: "vault",
          reason: expect.stringMatching(/^vault: vault key "k2" is not set: set NEW_KEY/) as string,
        },
      ]);
      const status = clean(await cli(["status"], { CLAWOPS_HTTP_PORT: String(port) }));
      expect(status.code).toBe(1);
      expect(status.stdout).toContain('ready    no: vault (vault: vault key "k2" is not set');
    } finally {
      up.kill("SIGTERM");
      await exited;
    }
  });
});
