import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { sleep } from "../src/core/time.js";
import { CLI, cleanEnv, freePort, lanAddress, runCli, tempDir } from "./helpers/cli.js";
import { type TestCertificate, makeCertificate, opensslAvailable } from "./helpers/tls.js";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTPS request that trusts `ca` only (verification on, the name checked as usual). */
function httpsCall(
  url: string,
  ca: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? "GET", headers: init.headers, ca }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

/**
 * The daemon serving HTTPS itself (`http.tls`), against a certificate made
 * by openssl in the test: refused without TLS (or with a mismatched key) on a
 * LAN address, served over TLS only with the CLI verifying it, a `Secure`
 * login cookie, and no exposure warning in /readyz (only the certificate's
 * near end).
 */
describe.runIf(opensslAvailable())("the daemon over TLS", () => {
  const scratch = tempDir("clawops-tls-daemon-");
  const dir = scratch.dir;
  const host = lanAddress();
  let port = 0;
  let one: TestCertificate;
  let two: TestCertificate;
  let daemon: ChildProcess | null = null;
  let output = "";
  const base = () => `https://${host}:${port}`;
  const yaml = (http: Record<string, unknown>) =>
    stringify({ dataDir: path.join(dir, "data"), http: { host, port, ...http } });
  const cli = (args: string[], input?: string) =>
    runCli(args, { cwd: dir, ...(input === undefined ? {} : { input }) });

  beforeAll(async () => {
    port = await freePort();
    one = await makeCertificate(dir, "one", [host, "127.0.0.1", "clawops.test"]);
    two = await makeCertificate(dir, "two", [host]);
  });
  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      const exited = new Promise((resolve) => daemon!.once("exit", resolve));
      daemon.kill("SIGTERM");
      await exited;
    }
    scratch.remove();
  });

  it("refuses to start on a LAN address without TLS, or with a key that is not the certificate's", async () => {
    writeFileSync(path.join(dir, "clawops.yaml"), yaml({}));
    const plain = await cli(["up"]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain(`http.host ${host} is not loopback and http.tls is not set`);

    writeFileSync(
      path.join(dir, "clawops.yaml"),
      yaml({ tls: { cert: "one.crt", key: "two.key" } }),
    );
    const mismatch = await cli(["up"]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain(
      `http.tls.key: ${two.key} is not the key of the certificate ${one.cert}`,
    );
  }, 60_000);

  it("serves HTTPS only, the CLI verifying it; the login cookie is Secure; /readyz warns of the certificate's end only", async () => {
    // Relative paths: relative to clawops.yaml.
    writeFileSync(
      path.join(dir, "clawops.yaml"),
      yaml({ tls: { cert: "one.crt", key: "one.key" } }),
    );
    daemon = spawn(process.execPath, [CLI, "up", "--json"], {
      cwd: dir,
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    daemon.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    daemon.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const ca = readFileSync(one.cert, "utf8");
    let ready: Answer | null = null;
    for (let i = 0; i < 200 && ready?.status !== 200; i++) {
      if (daemon.exitCode !== null) throw new Error(`clawops up exited:\n${output}`);
      ready = await httpsCall(`${base()}/readyz`, ca).catch(() => null);
      if (ready?.status !== 200) await sleep(100);
    }
    expect(ready?.status).toBe(200);
    const readiness = JSON.parse(ready!.body) as {
      parts: Record<string, { warning?: string }>;
      warnings: { part: string; warning: string }[];
    };
    expect(readiness.parts.http?.warning).toBeUndefined();
    // The test's certificate lives two days: ready, and warned of (docs/security.md).
    expect(readiness.warnings).toEqual([
      {
        part: "tls",
        warning: expect.stringMatching(
          /^the served certificate \(\S*one\.crt\) expires in 1 day\(s\), at \d{4}-.+: renew it and restart clawops$/,
        ) as string,
      },
    ]);
    expect(ready!.headers["strict-transport-security"]).toBe("max-age=15552000; includeSubDomains");
    expect(output).toContain(`"http":"https://${host}:${port}"`);

    // No plain listener beside it, and a client that does not trust the certificate is refused.
    await expect(fetch(`http://${host}:${port}/healthz`)).rejects.toThrow();
    await expect(fetch(`${base()}/healthz`)).rejects.toThrow();

    // The CLI speaks HTTPS with the certificate of clawops.yaml.
    const status = await cli(["status", "--json"]);
    expect(status.stderr).toBe("");
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as { daemon: { http: string } }).daemon.http).toBe(base());

    // A CLI that expects another certificate refuses the daemon's rather than trusting it.
    writeFileSync(path.join(dir, "other.yaml"), yaml({ tls: { cert: "two.crt", key: "two.key" } }));
    const other = await cli(["--config", "other.yaml", "status", "--json"]);
    expect(other.code).toBe(1);
    const { error } = JSON.parse(other.stdout) as { error: { code: string; message: string } };
    expect(error.code).toBe("UNAVAILABLE");
    expect(error.message).toContain(`cannot talk to the daemon at ${base()} over TLS`);

    // A password login over TLS gets a Secure cookie.
    const added = await cli(
      ["user", "add", "alice", "--role", "viewer"],
      "correct horse battery\n",
    );
    expect(added.code).toBe(0);
    const login = await httpsCall(`${base()}/api/v1/auth/login`, ca, {
      method: "POST",
      headers: { "content-type": "application/json", "x-clawops-client": "test" },
      body: JSON.stringify({ name: "alice", password: "correct horse battery" }),
    });
    expect(login.status).toBe(200);
    expect(String(login.headers["set-cookie"])).toMatch(/^clawops_login=[^;]+; .*; Secure$/);
  }, 90_000);
});
