import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { type Server, createServer as createTlsServer } from "node:tls";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACK_DIR } from "../src/monitoring/install.js";
import type { ReadinessReport } from "../src/readiness/runner.js";
import { sleep } from "../src/core/time.js";
import { type StandinGateway, startStandinGateway } from "./harness/standin-gateway.js";
import { type VoiceServers, startVoiceServers } from "./harness/voice.js";
import { type RunningDaemon, freePort, runCli, startUp, tempDir } from "./helpers/cli.js";
import {
  addUsers,
  chromiumAvailable,
  collectPageErrors,
  launchBrowser,
} from "./helpers/browser.js";
import { serviceUrl } from "./helpers/services.js";
import { registerSecret } from "./helpers/witness.js";
import { makeCertificate, opensslAvailable } from "./helpers/tls.js";

const run = promisify(execFile);

/** The tools the suite runs for real; under CI=true a missing one fails the suite, never skips it. */
function toolsAvailable(): boolean {
  const missing = ["prometheus", "espeak-ng", "redis-server"].filter(
    (tool) =>
      !["/usr/bin", "/usr/local/bin", "/bin"].some((dir) => existsSync(path.join(dir, tool))),
  );
  if (missing.length === 0) return opensslAvailable();
  if (process.env.CI === "true")
    throw new Error(`${missing.join(", ")} required under CI=true: run "npm run test:all"`);
  console.warn(`skipping readiness tests: ${missing.join(", ")} missing`);
  return false;
}

const PG = serviceUrl("CLAWOPS_TEST_DATABASE_URL", "PostgreSQL");
const REDIS = serviceUrl("CLAWOPS_TEST_REDIS_URL", "Redis");
const SENTENCE = "The quick brown fox jumps over the lazy dog.";
// Registered: the witness scan fails the run if clawops ever printed, served or stored them.
const STT_KEY = registerSecret("sk-stt-readiness-0123456789abcdef", "readiness STT key");
const GW_TOKEN = registerSecret(
  "readiness-gateway-token-0123456789abcdef",
  "readiness gateway token",
);
const PASSWORD = registerSecret(`pw-${randomBytes(12).toString("hex")}`, "readiness page password");
const SHOTS = process.env.TEST_SCREENSHOTS ?? path.join(tmpdir(), "clawops-screenshots");

/**
 * `clawops readiness` end to end: real PostgreSQL and Redis (scripts/services.sh)
 * and a second Redis with persistence, a real Prometheus scraping a real
 * `clawops up` with the pack's rules, TLS servers with certificates made by
 * openssl (valid, expiring, expired, for another host), a stand-in gateway,
 * and local STT/TTS/signalling servers at their wire protocols. Every check
 * in its passing and its failing state.
 */
describe.runIf(PG && REDIS && toolsAvailable())("clawops readiness", () => {
  const scratch = tempDir("clawops-readiness-");
  const dir = scratch.dir;
  let daemon: RunningDaemon;
  let voice: VoiceServers;
  let gateway: StandinGateway;
  let prometheus: ChildProcess | null = null;
  let persistentRedis: ChildProcess | null = null;
  const tlsServers: Server[] = [];
  let promUrl = "";
  const closed = { port: 0 };
  const ports = { redis: 0, tls: { valid: 0, expired: 0, otherHost: 0 } };
  let validCa = "";
  const env = { STT_KEY, GW_TOKEN, WRONG_TOKEN: "not-the-gateway-token-0123456789abcd" };

  const readiness = async (args: string[], config = "clawops.yaml") => {
    const result = await runCli(["--config", config, "readiness", "--json", ...args], {
      cwd: dir,
      env,
    });
    let report: ReadinessReport | null = null;
    try {
      report = JSON.parse(result.stdout) as ReadinessReport;
    } catch {
      report = null;
    }
    return { ...result, report: report! };
  };
  const statuses = (report: ReadinessReport) =>
    Object.fromEntries(report.results.map((r) => [r.name, r.status]));
  const result = (report: ReadinessReport, name: string) =>
    report.results.find((r) => r.name === name)!;

  beforeAll(async () => {
    closed.port = await freePort();
    voice = await startVoiceServers({ transcript: SENTENCE });
    gateway = await startStandinGateway({ token: GW_TOKEN });

    // A Redis that keeps its data (the services' one runs with persistence off: the warning).
    ports.redis = await freePort();
    mkdirSync(path.join(dir, "redis"));
    persistentRedis = spawn(
      "redis-server",
      [
        "--bind",
        "127.0.0.1",
        "--port",
        String(ports.redis),
        "--dir",
        path.join(dir, "redis"),
        "--appendonly",
        "yes",
        "--save",
        "",
      ],
      { stdio: "ignore" },
    );

    // Certificates: valid for 127.0.0.1 (2 days), valid for another name, and expired.
    const valid = await makeCertificate(dir, "valid", ["127.0.0.1"]);
    validCa = valid.cert;
    const other = await makeCertificate(dir, "other", ["other.example"]);
    const expired = await expiredCertificate(dir);
    for (const [name, pair] of [
      ["valid", valid],
      ["otherHost", other],
      ["expired", expired],
    ] as const) {
      const server = createTlsServer(
        { cert: readFileSync(pair.cert), key: readFileSync(pair.key) },
        (socket) => socket.end(),
      );
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      tlsServers.push(server);
      ports.tls[name] = (server.address() as { port: number }).port;
    }

    // The operator's clawops.yaml; the daemon runs on it, and a broken twin says what fails.
    const httpPort = await freePort();
    promUrl = `http://127.0.0.1:${await freePort()}`;
    const backupsDir = path.join(dir, "backups");
    writeFileSync(
      path.join(dir, "clawops.yaml"),
      JSON.stringify({
        http: { publicMetrics: true },
        readiness: {
          components: [
            {
              check: "gateway",
              name: "gateway",
              url: `http://127.0.0.1:${gateway.port}`,
              tokenEnv: "GW_TOKEN",
            },
            // Latency budgets wide enough for a loaded CI host: the verdicts, not the host's speed.
            { check: "store", maxLatency: "2s" },
            { check: "postgres", url: PG, maxLatency: "2s" },
            { check: "redis", name: "redis", url: `redis://127.0.0.1:${ports.redis}` },
            { check: "redis", name: "redis-volatile", url: REDIS },
            { check: "prometheus", url: promUrl },
            { check: "tls", url: `https://127.0.0.1:${ports.tls.valid}`, ca: validCa, warnDays: 1 },
            {
              check: "tls",
              name: "tls-expiring",
              url: `https://127.0.0.1:${ports.tls.valid}`,
              ca: validCa,
            },
            { check: "backups", dir: backupsDir, maxAge: "1h" },
            { check: "stt", url: voice.apiBase, apiKeyEnv: "STT_KEY", maxMs: "3s" },
            { check: "tts", url: voice.apiBase, voice: "nova" },
            {
              check: "webrtc-signalling",
              url: voice.signallingUrl,
              send: '{"type":"join","room":"readiness"}',
              expect: "joined",
            },
          ],
        },
      }),
    );
    writeFileSync(
      path.join(dir, "broken.yaml"),
      JSON.stringify({
        database: {
          url: `postgres://clawops@127.0.0.1:${closed.port}/postgres`,
          connectTimeout: "1s",
        },
        backups: { dir: path.join(dir, "no-backups") },
        readiness: {
          components: [
            {
              check: "gateway",
              name: "gateway-token",
              url: `http://127.0.0.1:${gateway.port}`,
              tokenEnv: "WRONG_TOKEN",
            },
            {
              check: "gateway",
              name: "gateway-down",
              url: `http://127.0.0.1:${closed.port}`,
              tokenEnv: "GW_TOKEN",
            },
            { check: "postgres", url: PG!.replace(/\/[^/]*$/, "/no_such_database") },
            { check: "postgres", name: "postgres-old", url: PG, minVersion: 99 },
            { check: "redis", url: `redis://127.0.0.1:${closed.port}` },
            {
              check: "prometheus",
              name: "prometheus-down",
              url: promUrl,
              job: "clawops-elsewhere",
            },
            {
              check: "prometheus",
              name: "prometheus-rules",
              url: promUrl,
              ruleGroups: ["clawops-gateways", "team-slo"],
            },
            { check: "tls", name: "tls-expired", url: `https://127.0.0.1:${ports.tls.expired}` },
            {
              check: "tls",
              name: "tls-other-host",
              url: `https://127.0.0.1:${ports.tls.otherHost}`,
              ca: path.join(dir, "other.crt"),
            },
            { check: "tls", name: "tls-untrusted", url: `https://127.0.0.1:${ports.tls.valid}` },
            { check: "backups", name: "backups-none", dir: path.join(dir, "no-backups") },
            { check: "backups", name: "backups-old", dir: backupsDir, maxAge: "1ms" },
            { check: "stt", url: voice.apiBase, apiKeyEnv: "STT_KEY" },
            { check: "tts", url: voice.apiBase },
            {
              check: "webrtc-signalling",
              url: voice.signallingUrl,
              send: '{"type":"join"}',
              replyTimeout: "500ms",
            },
            {
              check: "webrtc-signalling",
              name: "signalling-path",
              url: voice.signallingUrl.replace("/signal", "/nope"),
            },
          ],
        },
      }),
    );
    daemon = await startUp({ cwd: dir, port: httpPort, env });
    const backup = await runCli(["backup", "--to", backupsDir, "--json"], { cwd: dir });
    expect(backup.code, backup.stderr).toBe(0);

    const promDir = path.join(dir, "prometheus");
    mkdirSync(path.join(promDir, "data"), { recursive: true });
    writeFileSync(
      path.join(promDir, "prometheus.yml"),
      [
        "global: { scrape_interval: 1s, evaluation_interval: 1s }",
        `rule_files: ["${path.join(PACK_DIR, "alerts.yml")}"]`,
        "scrape_configs:",
        "  - job_name: clawops",
        `    static_configs: [{ targets: ["127.0.0.1:${httpPort}"] }]`,
        "  - job_name: clawops-elsewhere",
        `    static_configs: [{ targets: ["127.0.0.1:${closed.port}"] }]`,
        "",
      ].join("\n"),
    );
    prometheus = spawn(
      "prometheus",
      [
        `--config.file=${path.join(promDir, "prometheus.yml")}`,
        `--storage.tsdb.path=${path.join(promDir, "data")}`,
        `--web.listen-address=${promUrl.slice("http://".length)}`,
        "--log.level=warn",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let promLog = "";
    prometheus.stderr!.on("data", (c: Buffer) => (promLog += c.toString()));
    // Ready when both jobs have been scraped once (up and down).
    for (const deadline = Date.now() + 30_000; ; await sleep(250)) {
      if (prometheus.exitCode !== null) throw new Error(`prometheus exited:\n${promLog}`);
      const targets = await fetch(`${promUrl}/api/v1/targets`)
        .then((r) => r.json() as Promise<{ data: { activeTargets: { health: string }[] } }>)
        .catch(() => null);
      const health = targets?.data.activeTargets.map((t) => t.health) ?? [];
      if (health.length === 2 && !health.includes("unknown")) break;
      if (Date.now() > deadline) throw new Error(`prometheus did not scrape:\n${promLog}`);
    }
  }, 90_000);

  afterAll(async () => {
    prometheus?.kill("SIGTERM");
    persistentRedis?.kill("SIGTERM");
    await daemon?.stop();
    await voice?.close();
    await gateway?.close();
    for (const server of tlsServers) server.close();
    if (prometheus && prometheus.exitCode === null)
      await Promise.race([new Promise((r) => prometheus!.once("exit", r)), sleep(5_000)]);
    scratch.remove();
  });

  it("passes every component set up right, warns where it should, and exits 0 with no failure", async () => {
    const before = voice.stt.requests.length;
    const { code, report, stderr } = await readiness([]);
    expect(code, stderr + JSON.stringify(report?.results, null, 1)).toBe(0);
    expect(statuses(report)).toEqual({
      backups: "pass",
      gateway: "pass",
      postgres: "pass",
      prometheus: "pass",
      redis: "pass",
      "redis-volatile": "warn",
      store: "pass",
      stt: "pass",
      tls: "pass",
      "tls-expiring": "warn",
      tts: "pass",
      "webrtc-signalling": "pass",
    });
    // Weights 20 in all; the warnings (weights 1 and 2) earn half: (20 - 1.5) / 20, rounded down.
    expect(report.score).toBe(92);
    expect(report.status).toBe("warn");
    // The STT server got a real spoken WAV and the key; the report never shows the key.
    const request = voice.stt.requests[before]!;
    expect(request.wav!.seconds).toBeGreaterThan(1.5);
    expect(request.wav!.bitsPerSample).toBe(16);
    expect(request.auth).toBe(`Bearer ${STT_KEY}`);
    expect(JSON.stringify(report)).not.toContain(STT_KEY);
    expect(JSON.stringify(report)).not.toContain(GW_TOKEN);
    expect(result(report, "redis-volatile").fix).toContain("appendonly yes");
    expect(result(report, "redis").evidence).toMatchObject({ appendonly: "yes" });
    expect(result(report, "postgres").summary).toMatch(/^PostgreSQL \d+\.\d+ answers SELECT 1/);
    expect(result(report, "prometheus").evidence).toMatchObject({ targets: 1, targetsUp: 1 });
    expect(result(report, "tls-expiring").summary).toMatch(/expires in [01] day\(s\), under 21/);
    expect(result(report, "stt").evidence.transcript).toContain("quick brown fox");
    expect(result(report, "gateway").evidence).toMatchObject({
      probes: "pass",
      websocket: "pass",
      chat: "skip",
    });
    expect(report.timings.components.stt!.transcribeMs).toBeLessThan(3_000);
  });

  it("fails every broken component, each with its evidence and fix, and exits 1", async () => {
    voice.stt.mode = "wrong";
    voice.tts.mode = "html";
    voice.signalling.mode = "mute";
    try {
      const { code, report, stderr } = await readiness([], "broken.yaml");
      expect(code, stderr).toBe(1);
      expect(statuses(report)).toEqual({
        "backups-none": "fail",
        "backups-old": "fail",
        "gateway-down": "fail",
        "gateway-token": "fail",
        postgres: "fail",
        "postgres-old": "warn",
        "prometheus-down": "fail",
        "prometheus-rules": "fail",
        redis: "fail",
        "signalling-path": "fail",
        store: "fail",
        stt: "fail",
        "tls-expired": "fail",
        "tls-other-host": "fail",
        "tls-untrusted": "fail",
        tts: "fail",
        "webrtc-signalling": "fail",
      });
      for (const r of report.results) expect(r.fix, r.name).toBeTruthy();
      const says = (name: string) => result(report, name).summary;
      expect(says("gateway-token")).toMatch(/^websocket failed/);
      expect(result(report, "gateway-token").fix).toContain("gateway.auth.token");
      expect(says("gateway-down")).toMatch(/probes.*ECONNREFUSED/);
      expect(says("postgres")).toContain('database "no_such_database" does not exist');
      expect(says("redis")).toContain("ECONNREFUSED");
      expect(says("prometheus-down")).toMatch(/target\(s\) down/);
      expect(says("prometheus-rules")).toContain("team-slo missing");
      expect(says("tls-expired")).toMatch(/expired on 2020-01-02/);
      expect(says("tls-other-host")).toContain("not valid for 127.0.0.1");
      expect(says("tls-untrusted")).toMatch(/not trusted: .*SELF_SIGNED/);
      expect(says("backups-none")).toContain("no backup in");
      expect(says("backups-old")).toMatch(/old, over 1ms/);
      expect(says("stt")).toContain("misses quick, brown, jumps, over, lazy");
      expect(says("tts")).toContain("text/html");
      expect(says("webrtc-signalling")).toContain("no reply within 500 ms");
      expect(says("signalling-path")).toContain("HTTP 400");
      expect(says("store")).toContain("store could not be opened");
      // Only postgres-old (a warning, weight 2) earns anything: 1 / 30.
      expect(report.score).toBe(3);
      expect(JSON.stringify(report)).not.toContain(STT_KEY);
    } finally {
      voice.stt.mode = "ok";
      voice.tts.mode = "ok";
      voice.signalling.mode = "ok";
    }
  });

  it("warns when speech works but misses the 3 s target, and fails a near-silent TTS answer", async () => {
    voice.stt.mode = "slow";
    voice.stt.slowMs = 3_200;
    voice.tts.mode = "silent";
    try {
      const { code, report } = await readiness(["--only", "stt,tts"]);
      expect(code).toBe(1);
      expect(report.results.map((r) => r.name)).toEqual(["stt", "tts"]);
      expect(result(report, "stt")).toMatchObject({ status: "warn" });
      expect(result(report, "stt").summary).toContain("slower than the 3000 ms target");
      expect(result(report, "stt").fix).toContain("3 s");
      expect(result(report, "tts")).toMatchObject({ status: "fail" });
      expect(result(report, "tts").summary).toMatch(/bytes of audio, under 2000/);
    } finally {
      voice.stt.mode = "ok";
      voice.tts.mode = "ok";
    }
  });

  it("gates CI on --fail-under, writes a Markdown report that diffs clean, and refuses bad input with exit 2", async () => {
    const markdown = path.join(dir, "readiness.md");
    const over = await readiness(["--fail-under", "90", "--markdown", markdown]);
    expect(over.code).toBe(0);
    const first = readFileSync(markdown, "utf8");
    const under = await readiness(["--fail-under", "95", "--markdown", markdown]);
    expect(under.code).toBe(1);
    // Same system, same report: nothing in it moves with the clock.
    expect(readFileSync(markdown, "utf8")).toBe(first);
    expect(first).toMatch(/^# Production readiness: 92\/100 \(warn\)$/m);
    expect(first).toContain("| ⚠️ warn | redis-volatile | Redis |");

    const unknown = await runCli(["readiness", "--only", "kafka"], { cwd: dir, env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--only kafka: no such check or component");
    const score = await runCli(["readiness", "--fail-under", "120"], { cwd: dir, env });
    expect(score.code).toBe(2);
    writeFileSync(
      path.join(dir, "bad.yaml"),
      JSON.stringify({
        readiness: { components: [{ check: "tls", url: "https://x", warnDays: "soon" }] },
      }),
    );
    const bad = await runCli(["--config", "bad.yaml", "readiness"], { cwd: dir, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("readiness.components[0].warnDays");
  });

  it("serves the report over the API, to the daemon-wide principals", async () => {
    const response = await daemon.fetch("/api/v1/readiness");
    expect(response.status).toBe(200);
    const body = (await response.json()) as { report: ReadinessReport; fresh: boolean };
    expect(statuses(body.report)).toMatchObject({
      gateway: "pass",
      "redis-volatile": "warn",
      stt: "pass",
    });
    expect(body.report.score).toBe(92);
    // Within readiness.maxReportAge the same report comes back, not a new run.
    const again = (await (await daemon.fetch("/api/v1/readiness")).json()) as {
      report: ReadinessReport;
    };
    expect(again.report.timings.generatedAt).toBe(body.report.timings.generatedAt);
    const fresh = (await (await daemon.fetch("/api/v1/readiness?refresh=true")).json()) as {
      report: ReadinessReport;
    };
    expect(fresh.report.timings.generatedAt).not.toBe(body.report.timings.generatedAt);
    expect(JSON.stringify(fresh)).not.toContain(STT_KEY);
    expect((await fetch(`${daemon.url}/api/v1/readiness`)).status).toBe(401);
    // Another organisation's principal does not see the infrastructure every organisation shares.
    expect((await runCli(["org", "add", "acme"], { cwd: dir })).code).toBe(0);
    const created = await runCli(
      ["token", "create", "acme-reader", "--role", "viewer", "--org", "acme", "--json"],
      { cwd: dir },
    );
    expect(created.code, created.stderr).toBe(0);
    const { secret } = JSON.parse(created.stdout) as { secret: string };
    const theirs = await fetch(`${daemon.url}/api/v1/readiness`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(theirs.status).toBe(403);
  });

  it.runIf(chromiumAvailable())(
    "shows the score and every component with its verdict, fix and evidence on the dashboard",
    async () => {
      await addUsers(dir, [["ada", "admin"]], PASSWORD);
      const browser = await launchBrowser();
      const errors: string[] = [];
      try {
        const page = await browser.context.newPage();
        collectPageErrors(page, errors);
        await page.setViewportSize({ width: 1280, height: 800 });
        await page.goto(daemon.url);
        await page.fill("#name", "ada");
        await page.fill("#password", PASSWORD);
        await page.click("button[type=submit]");
        await page.click("nav.pages >> text=Readiness");
        await page.locator("[data-testid=readiness-score]").waitFor({ timeout: 60_000 });
        expect(await page.locator("[data-testid=readiness-score]").textContent()).toBe("92/100");
        expect(await page.locator("li.readiness-item").count()).toBe(12);
        const volatile = page.locator('li[data-check="redis-volatile"]');
        expect(await volatile.locator(".verdict").textContent()).toBe("warn");
        expect(await volatile.locator(".fix").textContent()).toContain("appendonly yes");
        expect(await volatile.locator(".evidence").textContent()).toContain("appendonly");
        mkdirSync(SHOTS, { recursive: true });
        await page.screenshot({ path: path.join(SHOTS, "readiness.png"), fullPage: true });
        await page.emulateMedia({ colorScheme: "dark" });
        await page.screenshot({ path: path.join(SHOTS, "readiness-dark.png"), fullPage: true });
        await page.emulateMedia({ colorScheme: "light" });
        await page.setViewportSize({ width: 390, height: 844 });
        await page.screenshot({ path: path.join(SHOTS, "readiness-phone.png"), fullPage: true });
        expect(await page.content()).not.toContain(STT_KEY);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );

  // Last: it registers a bot, which every later report would check.
  it("checks every registered bot's gateway with no declaration, the doctor included", async () => {
    const stateDir = path.join(dir, "bots", "alpha");
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(
      path.join(stateDir, "openclaw.json"),
      JSON.stringify({ gateway: { port: gateway.port, auth: { mode: "token", token: GW_TOKEN } } }),
    );
    const added = await runCli(
      [
        "bot",
        "add",
        "alpha",
        "--port",
        String(gateway.port),
        "--state-dir",
        stateDir,
        "--desired",
        "stopped",
      ],
      { cwd: dir },
    );
    expect(added.code, added.stderr).toBe(0);
    const { report, stderr } = await readiness(["--only", "gateway:alpha"]);
    const alpha = result(report, "gateway:alpha");
    expect(alpha, stderr).toMatchObject({ source: "built-in", target: "bot alpha" });
    expect(alpha.evidence).toMatchObject({
      url: `http://127.0.0.1:${gateway.port}`,
      probes: "pass",
      websocket: "pass",
      chat: "skip",
    });
    // The doctor sees what is wrong with this bot: its port is held by a process that is not its
    // gateway (the stand-in, in this test's own process), so clawops could not start it there.
    expect(alpha).toMatchObject({ status: "fail" });
    expect(alpha.evidence.doctor).toBe("fail");
    expect(alpha.summary).toMatch(
      /^doctor failed: 1 error: fleet\/port-in-use: port \d+ is held by pid/,
    );
    expect(alpha.fix).toContain("clawops doctor");
    expect(JSON.stringify(report)).not.toContain(GW_TOKEN);
  });
});

/** A self-signed certificate for 127.0.0.1 that expired on 2 January 2020 (openssl ca sets past dates). */
async function expiredCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const ca = path.join(dir, "expired-ca");
  mkdirSync(ca);
  writeFileSync(path.join(ca, "index.txt"), "");
  writeFileSync(path.join(ca, "serial"), "01\n");
  writeFileSync(
    path.join(ca, "ca.cnf"),
    [
      "[ ca ]",
      "default_ca = CA_default",
      "[ CA_default ]",
      `database = ${path.join(ca, "index.txt")}`,
      `new_certs_dir = ${ca}`,
      `serial = ${path.join(ca, "serial")}`,
      "default_md = sha256",
      "policy = policy_any",
      "copy_extensions = copy",
      "[ policy_any ]",
      "commonName = supplied",
      "",
    ].join("\n"),
  );
  const key = path.join(dir, "expired.key");
  const cert = path.join(dir, "expired.crt");
  const csr = path.join(ca, "expired.csr");
  const opts = { env: { PATH: "/usr/bin:/bin", HOME: dir } };
  await run(
    "openssl",
    [
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      key,
      "-out",
      csr,
    ],
    opts,
  );
  await run(
    "openssl",
    [
      "ca",
      "-batch",
      "-config",
      path.join(ca, "ca.cnf"),
      "-selfsign",
      "-keyfile",
      key,
      "-in",
      csr,
      "-out",
      cert,
      "-startdate",
      "20200101000000Z",
      "-enddate",
      "20200102000000Z",
    ],
    opts,
  );
  return { cert, key };
}
