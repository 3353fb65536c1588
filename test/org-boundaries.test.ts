import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { GatewayInstance } from "../src/core/gateway-state.js";
import { sleep } from "../src/core/time.js";
import { type FakeTelegram, startFakeTelegram } from "./harness/fake-telegram.js";
import { type RunningDaemon, freePort, runCli, startUp, tempDir } from "./helpers/cli.js";
import { STAND_IN } from "./helpers/fleet.js";

const OPS_CHAT = 1111;
const ACME_CHAT = 2222;
const ACME_TOKEN = "654321:TEST-acme-telegram-token_mnopqrstuvwx";

/**
 * Organisations beyond the API (issue 16): what `/metrics` and a Telegram
 * chat show and obey. A `clawops up` runs two stand-in gateways, `alpha` of
 * the default organisation and `beta` of `acme`, with one Telegram
 * notifier for the install's operators and one that serves `acme` only.
 */
describe("organisation boundaries in metrics and chats", () => {
  let work: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;
  let ops: FakeTelegram;
  let acme: FakeTelegram;
  const cli = (...args: string[]) => runCli(args, { cwd: work.dir });
  async function json<T>(...args: string[]): Promise<T> {
    const result = await cli(...args, "--json");
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    return JSON.parse(result.stdout) as T;
  }
  async function addRunningBot(name: string, ...extra: string[]) {
    const dir = path.join(work.dir, "bots", name);
    mkdirSync(dir, { recursive: true });
    const config = path.join(dir, "openclaw.json");
    writeFileSync(config, JSON.stringify({ standIn: {} }));
    const port = String(await freePort());
    await json(
      "bot",
      "add",
      name,
      "--port",
      port,
      "--state-dir",
      dir,
      "--config",
      config,
      ...extra,
    );
    await json("bot", "set", name, "--desired", "running");
  }
  const texts = (telegram: FakeTelegram, chat: number, since = 0) =>
    telegram.calls
      .filter((c) => c.seq >= since && c.method === "sendMessage" && c.params.chat_id === chat)
      .map((c) => String(c.params.text));
  /** Sends a command from a chat and resolves with the bot's reply to it. */
  async function command(telegram: FakeTelegram, chat: number, text: string): Promise<string> {
    const since = telegram.calls.length;
    telegram.pushMessage(chat, text);
    const reply = await telegram.waitForCall(
      "sendMessage",
      (params, call) => call.seq >= since && params.chat_id === chat,
      15_000,
    );
    return String(reply.params.text);
  }
  const scrape = (token?: string) =>
    fetch(`${daemon.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const token = async (name: string, org: string) =>
    (await json<{ secret: string }>("token", "create", name, "--role", "viewer", "--org", org))
      .secret;

  beforeAll(async () => {
    work = tempDir("clawops-org-bounds-");
    ops = await startFakeTelegram();
    acme = await startFakeTelegram(ACME_TOKEN);
    const httpPort = await freePort();
    const telegram = { type: "telegram", pollTimeout: "1s" };
    writeFileSync(
      path.join(work.dir, "clawops.yaml"),
      stringify({
        dataDir: path.join(work.dir, "data"),
        http: { port: httpPort },
        openclaw: { bin: STAND_IN },
        statusPages: { acme: { title: "Acme <bots>" } },
        supervisor: {
          doctorBeforeStart: false,
          restart: { initialDelay: "100ms" },
          checks: { wsHealth: { enabled: false } },
        },
        notify: {
          notifiers: [
            { ...telegram, name: "ops", chatIds: [OPS_CHAT], apiRoot: ops.apiRoot },
            {
              ...telegram,
              name: "acme",
              org: "acme",
              chatIds: [ACME_CHAT],
              apiRoot: acme.apiRoot,
              tokenEnv: "ACME_TELEGRAM_TOKEN",
            },
          ],
        },
      }),
    );
    daemon = await startUp({
      cwd: work.dir,
      port: httpPort,
      env: { CLAWOPS_TELEGRAM_TOKEN: ops.token, ACME_TELEGRAM_TOKEN: acme.token },
    });
    await json("org", "add", "acme");
    await addRunningBot("alpha");
    await addRunningBot("beta", "--org", "acme");
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
    await ops?.close();
    await acme?.close();
    work?.remove();
  });

  afterEach((context) => {
    if (context.task.result?.state === "fail")
      console.error(daemon.output().split("\n").slice(-40).join("\n"));
  });

  it("answers /metrics to credentials only, each organisation its own bots' series", async () => {
    expect((await scrape()).status).toBe(401);
    const [acmeToken, defaultToken] = [
      await token("scrape-acme", "acme"),
      await token("scrape", "default"),
    ];
    // Per-bot gauges are refreshed by the daemon's self-check (every 5 s).
    let all = "";
    for (let i = 0; i < 60 && !/clawops_gateway_restarts\{bot="beta"\}/.test(all); i += 1) {
      all = await (await daemon.fetch("/metrics")).text();
      await sleep(250);
    }
    expect(all).toMatch(/clawops_gateway_restarts\{bot="alpha"\}/);
    expect(all).toMatch(/clawops_gateway_restarts\{bot="beta"\}/);

    const acmeView = await (await scrape(acmeToken)).text();
    expect(acmeView).toMatch(/clawops_gateway_restarts\{bot="beta"\} \d/);
    expect(acmeView).not.toContain('bot="alpha"');
    expect(acmeView).not.toContain("clawops_ready");
    expect(acmeView).not.toContain("clawops_process_");

    const defaultView = await (await scrape(defaultToken)).text();
    expect(defaultView).toMatch(/clawops_gateway_restarts\{bot="alpha"\} \d/);
    expect(defaultView).not.toContain('bot="beta"');
    expect(defaultView).toMatch(/^clawops_ready 1$/m);
  });

  it("obeys an organisation's chat on its own bots only", async () => {
    const acmeStatus = await command(acme, ACME_CHAT, "/status");
    expect(acmeStatus).toContain("beta");
    expect(acmeStatus).not.toContain("alpha");
    const opsStatus = await command(ops, OPS_CHAT, "/status");
    expect(opsStatus).toContain("alpha");
    expect(opsStatus).toContain("beta");

    for (const text of ["/repair alpha", "/logs alpha", "/pause alpha", "/history alpha"])
      expect(await command(acme, ACME_CHAT, text)).toContain('no bot named "alpha"');
    expect(await command(acme, ACME_CHAT, "/pause")).toContain(
      'this chat serves organisation "acme" only',
    );
    const status = (await (await daemon.fetch("/api/v1/repairs/status")).json()) as {
      pauses: unknown[];
    };
    expect(status.pauses).toEqual([]);

    expect(await command(acme, ACME_CHAT, "/pause beta maintenance")).toMatch(/paused/i);
    expect(await command(acme, ACME_CHAT, "/resume beta")).toMatch(/resumed/i);
  });

  it("publishes a status page of one organisation's bots, with nothing but names and states", async () => {
    const page = await fetch(`${daemon.url}/status/acme`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toMatch(
      /^default-src 'none'; style-src 'sha256-/,
    );
    const html = await page.text();
    expect(html).toContain("<h1>Acme &#60;bots&#62;</h1>");
    expect(html).toMatch(/<span class="name">beta<\/span><span class="tag up">operational/);
    expect(html).not.toContain("alpha");
    expect(html).not.toContain("<script");
    const { gateways } = (await (await daemon.fetch("/api/v1/status")).json()) as {
      gateways: (GatewayInstance & { bot: string })[];
    };
    const beta = gateways.find((g) => g.bot === "beta")!;
    // Neither its port, its pid nor the supervisor's reason is anyone's business.
    for (const secretish of [String(beta.pid), beta.reason]) expect(html).not.toContain(secretish);
    expect(html).not.toMatch(/127\.0\.0\.1|:\d{4,5}\b/);

    const json = (await (await fetch(`${daemon.url}/api/v1/status-pages/acme`)).json()) as {
      overall: string;
      bots: { name: string; status: string; days: unknown[] }[];
    };
    expect(json.overall).toBe("up");
    expect(json.bots.map((b) => [b.name, b.status, b.days.length])).toEqual([["beta", "up", 30]]);
    // An organisation without a page, and one that does not exist, answer the same.
    for (const org of ["default", "nobody"]) {
      const missing = await fetch(`${daemon.url}/status/${org}`);
      expect(missing.status).toBe(404);
      expect(await missing.text()).toContain(`no status page named \\"${org}\\"`);
    }
  });

  it("tells an organisation's chat about its own bots only", async () => {
    const [opsSince, acmeSince] = [ops.calls.length, acme.calls.length];
    const { gateways } = (await (await daemon.fetch("/api/v1/status")).json()) as {
      gateways: (GatewayInstance & { bot: string })[];
    };
    const pid = (bot: string) => gateways.find((g) => g.bot === bot)!.pid!;
    process.kill(pid("alpha"), "SIGKILL");
    await ops.waitForCall(
      "sendMessage",
      (params, call) => call.seq >= opsSince && /alpha/.test(String(params.text)),
      30_000,
    );
    process.kill(pid("beta"), "SIGKILL");
    await acme.waitForCall(
      "sendMessage",
      (params, call) => call.seq >= acmeSince && /beta/.test(String(params.text)),
      30_000,
    );
    // Each lane keeps its order: anything about alpha would have reached acme before beta's news.
    const told = texts(acme, ACME_CHAT, acmeSince);
    expect(told.some((t) => t.includes("beta"))).toBe(true);
    expect(told.filter((t) => t.includes("alpha"))).toEqual([]);
  });
});
