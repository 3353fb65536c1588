import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { sleep } from "../src/core/time.js";
import { findOnPath } from "../src/system/files.js";
import { type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import { GATEWAY_HOOK_TIMEOUT, gatewayRuntimeAvailable } from "./harness/gateway.js";
import { freePort, runCli, tempDir } from "./helpers/cli.js";
import { type Supervised, upWithGateway } from "./helpers/supervised.js";

const run = promisify(execFile);
const ROOT = path.resolve(fileURLToPath(import.meta.url), "../..");
const PACK = path.join(ROOT, "deploy", "monitoring");
const RUNBOOKS = path.join(ROOT, "docs", "runbooks");
const PLACEHOLDER = "__RUNBOOK_BASE__";

/**
 * Whether Prometheus's tools are here (Debian's `prometheus` and
 * `prometheus-alertmanager`, installed by scripts/services.sh). Outside CI a
 * missing one skips with a reason; under CI=true it fails: CI never passes by skipping.
 */
function toolsAvailable(): boolean {
  const missing = ["promtool", "prometheus", "amtool"].filter((tool) => !findOnPath(tool));
  if (missing.length === 0) return true;
  if (process.env.CI === "true")
    throw new Error(
      `${missing.join(", ")} required under CI=true but missing: run "npm run test:all" (installs prometheus and prometheus-alertmanager)`,
    );
  console.warn(`skipping the monitoring pack's tests: ${missing.join(", ")} missing`);
  return false;
}
const TOOLS = toolsAvailable();

interface Rule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules = (): Rule[] =>
  (
    parse(readFileSync(path.join(PACK, "alerts.yml"), "utf8")) as {
      groups: { rules: Rule[] }[];
    }
  ).groups.flatMap((g) => g.rules);

interface Panel {
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}
interface Dashboard {
  title: string;
  uid: string;
  panels: Panel[];
  templating: { list: { name: string }[] };
}
const dashboards = (): Dashboard[] =>
  readdirSync(path.join(PACK, "grafana"))
    .filter((name) => name.endsWith(".json"))
    .map((name) => JSON.parse(readFileSync(path.join(PACK, "grafana", name), "utf8")) as Dashboard);

/** Every panel's queries (rows' nested panels too), with Grafana's variables substituted. */
function panelQueries(vars: Record<string, string>): { where: string; expr: string }[] {
  const all: { where: string; expr: string }[] = [];
  const visit = (dashboard: Dashboard, panels: Panel[]) => {
    for (const panel of panels) {
      if (panel.panels) visit(dashboard, panel.panels);
      for (const target of panel.targets ?? []) {
        const expr = target.expr.replace(
          /\$\{(\w+)\}|\$(\w+)/g,
          (whole, braced?: string, bare?: string) => vars[braced ?? bare ?? ""] ?? whole,
        );
        all.push({ where: `${dashboard.title} / ${panel.title}`, expr });
      }
    }
  };
  for (const dashboard of dashboards()) visit(dashboard, dashboard.panels);
  return all;
}

describe.runIf(TOOLS)("the monitoring pack's files", () => {
  it("promtool checks the rules and passes their unit tests", async () => {
    const checked = await run("promtool", ["check", "rules", path.join(PACK, "alerts.yml")]);
    expect(checked.stdout).toMatch(/SUCCESS: \d+ rules found/);
    const tested = await run("promtool", ["test", "rules", path.join(PACK, "alerts.test.yml")]);
    expect(tested.stdout).toContain("SUCCESS");
  });

  it("unit-tests every alert both firing and not firing", () => {
    const tests = (
      parse(readFileSync(path.join(PACK, "alerts.test.yml"), "utf8")) as {
        tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
      }
    ).tests.flatMap((t) => t.alert_rule_test);
    for (const { alert } of rules()) {
      const cases = tests.filter((t) => t.alertname === alert);
      expect(
        cases.some((c) => c.exp_alerts.length > 0),
        `${alert} fires in a test`,
      ).toBe(true);
      expect(
        cases.some((c) => c.exp_alerts.length === 0),
        `${alert} stays quiet in a test`,
      ).toBe(true);
    }
  });

  it("gives every alert a severity and a runbook that exists, and every runbook an alert", () => {
    const linked = new Set<string>();
    for (const rule of rules()) {
      expect(["critical", "warning", "info"], rule.alert).toContain(rule.labels?.severity);
      const url = rule.annotations?.runbook_url ?? "";
      expect(url, rule.alert).toMatch(new RegExp(`^${PLACEHOLDER}/[a-z0-9-]+\\.md$`));
      const file = url.slice(PLACEHOLDER.length + 1);
      expect(existsSync(path.join(RUNBOOKS, file)), `${rule.alert}: docs/runbooks/${file}`).toBe(
        true,
      );
      expect(readFileSync(path.join(RUNBOOKS, file), "utf8")).toContain(`\`${rule.alert}\``);
      linked.add(file);
    }
    expect(readdirSync(RUNBOOKS).sort()).toEqual([...linked].sort());
    // The five the product names.
    for (const name of [
      "gateway-down",
      "gateway-high-error-rate",
      "gateway-ws-failures",
      "gateway-memory-growth",
      "provider-key-missing",
    ])
      expect(linked).toContain(`${name}.md`);
  });

  it("names only clawops commands that exist in the runbooks", async () => {
    const used = new Map<string, Set<string>>();
    for (const file of readdirSync(RUNBOOKS)) {
      const text = readFileSync(path.join(RUNBOOKS, file), "utf8");
      // Code only: the lines of fenced blocks and inline `code` spans (prose says "clawops keeps").
      const fenced = [...text.matchAll(/```\w*\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split("\n"));
      const inline = [...text.replace(/```[\s\S]*?```/g, "").matchAll(/`([^`]+)`/g)].map(
        (m) => m[1]!,
      );
      for (const code of [...fenced, ...inline]) {
        const match = /^clawops ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?/.exec(code.trim());
        if (!match) continue;
        const [, command, sub] = match;
        if (!used.has(command!)) used.set(command!, new Set());
        if (sub) used.get(command!)!.add(sub);
      }
    }
    expect(used.size).toBeGreaterThan(10);
    const help = async (args: string[]) =>
      (await runCli([...args, "--help"], { cwd: ROOT })).stdout;
    const commandsOf = (text: string) =>
      new Set(
        [...(text.split(/^Commands:$/m)[1] ?? "").matchAll(/^ {2}([a-z][a-z-]*)/gm)].map(
          (m) => m[1]!,
        ),
      );
    // Only commands used with a second word need their own help (one CLI start each, at once).
    const grouped = [...used].filter(([, subs]) => subs.size > 0);
    const [top, ...nested] = await Promise.all([
      help([]).then(commandsOf),
      ...grouped.map(([command]) => help([command]).then(commandsOf)),
    ]);
    for (const command of used.keys()) expect(top, `clawops ${command}`).toContain(command);
    grouped.forEach(([command, subs], i) => {
      // A word after a command without subcommands is its argument: nothing to check.
      if (nested[i]!.size === 0) return;
      for (const sub of subs) expect(nested[i], `clawops ${command} ${sub}`).toContain(sub);
    });
  });

  it("amtool accepts the Alertmanager example and routes by severity", async () => {
    const file = path.join(PACK, "alertmanager.yml");
    const checked = await run("amtool", ["check-config", file]);
    expect(checked.stdout).toContain("SUCCESS");
    const route = async (severity: string) =>
      (
        await run("amtool", [
          "config",
          "routes",
          "test",
          `--config.file=${file}`,
          `severity=${severity}`,
          "alertname=ClawopsGatewayDown",
        ])
      ).stdout.trim();
    expect(await route("critical")).toBe("clawops-critical");
    expect(await route("warning")).toBe("clawops-warning");
  });

  it("gives every dashboard panel a query, and every dashboard a uid", () => {
    const all = dashboards();
    expect(all.map((d) => d.uid).sort()).toEqual([
      "clawops-bot",
      "clawops-cost",
      "clawops-fleet",
      "clawops-repairs",
    ]);
    for (const dashboard of all)
      for (const panel of dashboard.panels)
        expect(panel.targets?.length, `${dashboard.title} / ${panel.title}`).toBeGreaterThan(0);
  });

  it("`clawops monitoring install` writes a pack promtool accepts, and refuses to overwrite", async () => {
    const scratch = tempDir("clawops-monitoring-install-");
    try {
      const dir = path.join(scratch.dir, "out");
      const base = "https://runbooks.example.com/clawops";
      const installed = await runCli(
        ["monitoring", "install", "--to", dir, "--runbook-base", base, "--json"],
        {
          cwd: scratch.dir,
        },
      );
      expect(installed.code, installed.stderr).toBe(0);
      const report = JSON.parse(installed.stdout) as {
        files: { path: string; status: string }[];
        scrape: string;
      };
      expect(report.files.length).toBeGreaterThan(20);
      expect(report.files.every((f) => f.status === "created")).toBe(true);
      expect(report.scrape).toContain("credentials_file:");
      expect(readFileSync(path.join(dir, "alerts.yml"), "utf8")).toContain(
        `${base}/gateway-down.md`,
      );
      expect(
        (await run("promtool", ["check", "rules", path.join(dir, "alerts.yml")])).stdout,
      ).toContain("SUCCESS");
      expect(
        (await run("promtool", ["test", "rules", path.join(dir, "alerts.test.yml")])).stdout,
      ).toContain("SUCCESS");

      writeFileSync(path.join(dir, "grafana", "fleet.json"), "{}\n");
      const refused = await runCli(["monitoring", "install", "--to", dir], { cwd: scratch.dir });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("grafana/fleet.json");
      const forced = await runCli(["monitoring", "install", "--to", dir, "--force"], {
        cwd: scratch.dir,
      });
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stdout).toMatch(/updated +\S+fleet\.json \(was kept as \S+\.bak-/);
      expect(forced.stdout).toContain("job_name: clawops");
    } finally {
      scratch.remove();
    }
  });
});

/** Output-only price: a cent per output token, so one chat turn has a cost. */
const PRICE = { input: 0, output: 10_000, cacheRead: 0, cacheWrite: 0 };

/**
 * The dashboards against real data: a real Prometheus (1 s scrapes) with the
 * installed rules, scraping a real `clawops up` that supervises a real
 * gateway, after a chat turn and a dry-run repair. Every panel's query must
 * return data, and every rule must evaluate without error.
 */
describe.runIf(TOOLS && gatewayRuntimeAvailable())("the dashboards on a real Prometheus", () => {
  let llm: FakeLlm;
  let hook: Server;
  let setup: Supervised;
  let prometheus: ChildProcess | null = null;
  let promUrl = "";
  let promLog = "";
  let scratch: ReturnType<typeof tempDir>;

  const query = async (expr: string) => {
    const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { result: unknown[] };
    };
    if (body.status !== "success") throw new Error(`${expr}: ${body.error}`);
    return body.data!.result;
  };

  beforeAll(async () => {
    scratch = tempDir("clawops-prometheus-");
    llm = await startFakeLlm();
    hook = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
    const hookPort = (hook.address() as { port: number }).port;
    setup = await upWithGateway({
      prefix: "clawops-monitoring-",
      bot: "alpha",
      owner: "team-a",
      llmBaseUrl: llm.baseUrl,
      modelCost: PRICE,
      clawops: {
        daemon: { selfCheckPeriod: "1s" },
        notify: { notifiers: [{ type: "webhook", url: `http://127.0.0.1:${hookPort}/hook` }] },
        budgets: [{ bot: "alpha", daily: 100 }],
      },
    });

    // What the operator does: install the pack, make a token, point Prometheus at both.
    const pack = path.join(scratch.dir, "pack");
    const installed = await setup.cli(["monitoring", "install", "--to", pack]);
    expect(installed.code, installed.stderr).toBe(0);
    const token = await setup.json<{ secret: string }>([
      "token",
      "create",
      "prometheus",
      "--role",
      "viewer",
    ]);
    const tokenFile = path.join(scratch.dir, "clawops.token");
    writeFileSync(tokenFile, token.secret, { mode: 0o600 });
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const config = path.join(scratch.dir, "prometheus.yml");
    writeFileSync(
      config,
      [
        "global: { scrape_interval: 1s, evaluation_interval: 1s }",
        `rule_files: ["${path.join(pack, "alerts.yml")}"]`,
        "scrape_configs:",
        "  - job_name: clawops",
        "    authorization:",
        "      type: Bearer",
        `      credentials_file: ${tokenFile}`,
        "    static_configs:",
        `      - targets: ["127.0.0.1:${setup.httpPort}"]`,
        "",
      ].join("\n"),
    );
    mkdirSync(path.join(scratch.dir, "data"));
    prometheus = spawn(
      "prometheus",
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(scratch.dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    prometheus.stdout!.on("data", (c: Buffer) => (promLog += c.toString()));
    prometheus.stderr!.on("data", (c: Buffer) => (promLog += c.toString()));
    for (const deadline = Date.now() + 30_000; ;) {
      if (prometheus.exitCode !== null) throw new Error(`prometheus exited:\n${promLog}`);
      const ready = await fetch(`${promUrl}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`prometheus not ready:\n${promLog}`);
      await sleep(200);
    }

    // Data for every panel: a priced chat turn (messages, tokens, cost) and a repair (planned).
    llm.enqueue({ text: "one two three" });
    const chat = await setup.cli(["chat", "alpha", "hello", "--session", "agent:main:monitoring"]);
    expect(chat.code, chat.stderr).toBe(0);
    // A turn the provider refuses: a failed message for the error-rate series.
    llm.enqueue({ error: { status: 400, message: "the model refused the request" } });
    const failed = await setup.cli(["chat", "alpha", "again", "--session", "agent:main:failing"]);
    expect(failed.code, failed.stdout).toBe(1);
    const repair = await setup.cli(["repair", "alpha", "--dry-run"]);
    expect(repair.code, repair.stderr).toBe(0);
  }, GATEWAY_HOOK_TIMEOUT);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus!.once("exit", resolve));
      prometheus.kill("SIGTERM");
      await Promise.race([exited, sleep(10_000)]);
      if (prometheus.exitCode === null) prometheus.kill("SIGKILL");
    }
    await setup?.close();
    await llm?.close();
    if (hook) await new Promise((resolve) => hook.close(resolve));
    scratch?.remove();
  }, 60_000);

  it("scrapes clawops with an API token and lists the bot for the dashboards' variable", async () => {
    for (const deadline = Date.now() + 30_000; ;) {
      const up = (await query('up{job="clawops"}')) as { value: [number, string] }[];
      if (up[0]?.value[1] === "1") break;
      if (Date.now() > deadline)
        throw new Error(`clawops never up: ${JSON.stringify(up)}\n${promLog}`);
      await sleep(500);
    }
    const values = (await (
      await fetch(`${promUrl}/api/v1/label/bot/values?match[]=clawops_gateway_up`)
    ).json()) as { data: string[] };
    expect(values.data).toEqual(["alpha"]);
  });

  it("answers every panel's query of every dashboard with data", async () => {
    const queries = panelQueries({ bot: "alpha", __rate_interval: "30s", __interval: "5s" });
    expect(queries.length).toBeGreaterThan(30);
    let empty: { where: string; expr: string }[] = queries;
    for (const deadline = Date.now() + 60_000; empty.length > 0;) {
      const results = await Promise.all(empty.map(async (q) => ({ q, rows: await query(q.expr) })));
      empty = results.filter((r) => r.rows.length === 0).map((r) => r.q);
      if (empty.length === 0) break;
      if (Date.now() > deadline)
        throw new Error(
          `panels without data:\n${empty.map((q) => `  ${q.where}: ${q.expr}`).join("\n")}`,
        );
      await sleep(1000);
    }
  });

  it("counts the failed turn as an error of the bot, not as a missing key", async () => {
    const errors = async (reason: string) =>
      (
        (await query(
          `sum(clawops_session_message_errors_total{bot="alpha",reason="${reason}"})`,
        )) as { value: [number, string] }[]
      )[0]?.value[1];
    for (const deadline = Date.now() + 30_000; (await errors("other")) !== "1";) {
      if (Date.now() > deadline) throw new Error(`no error counted: ${await errors("other")}`);
      await sleep(500);
    }
    expect(await errors("provider_key_missing")).toBe("0");
  });

  it("evaluates every alert rule without error; the failed turn makes the error-rate alert pending", async () => {
    const expected = rules()
      .map((r) => r.alert)
      .sort();
    for (const deadline = Date.now() + 20_000; ;) {
      const body = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as {
        data: {
          groups: {
            rules: { name: string; health: string; lastError?: string; state: string }[];
          }[];
        };
      };
      const loaded = body.data.groups.flatMap((g) => g.rules);
      expect(loaded.map((r) => r.name).sort()).toEqual(expected);
      const active = loaded
        .filter((r) => r.state !== "inactive")
        .map((r) => `${r.name} ${r.state}`);
      // Pending, not firing: the rule waits 5 minutes. Nothing else is wrong with the bot.
      const settled = loaded.every((r) => r.health === "ok") && active.length > 0;
      if (settled || Date.now() > deadline) {
        expect(loaded.filter((r) => r.health !== "ok")).toEqual([]);
        expect(active).toEqual(["ClawopsGatewayHighErrorRate pending"]);
        return;
      }
      await sleep(500);
    }
  });
});
