import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import { GATEWAY_HOOK_TIMEOUT, gatewayRuntimeAvailable } from "./harness/gateway.js";
import {
  chromiumAvailable,
  launchBrowser,
  addUsers,
  collectPageErrors,
} from "./helpers/browser.js";
import { type Supervised, upWithGateway } from "./helpers/supervised.js";
import { registerSecret } from "./helpers/witness.js";

const PASSWORD = registerSecret(`pw-${randomBytes(12).toString("hex")}`, "dashboard password");
/** A provider key as it would show in a gateway's log: the daemon masks it by its shape. */
const LOGGED_KEY = registerSecret(`sk-${randomBytes(16).toString("hex")}`, "key in a log line");
const SHOTS = process.env.TEST_SCREENSHOTS ?? path.join(tmpdir(), "clawops-screenshots");
/** USD per million tokens in the gateway's config: the turn has a cost to show. */
const PRICE = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };

/**
 * A bot's page past its overview, on real data: a real `clawops up` running
 * one real gateway (one of the machine's three slots) that had a chat turn
 * with a tool call, in one Chromium. The log tail, the sessions and their
 * transcript, the cost and the config with the doctor's findings show what
 * the gateway did, live, and never a secret.
 */
describe.runIf(chromiumAvailable() && gatewayRuntimeAvailable())("a bot's tabs in Chromium", () => {
  let llm: FakeLlm;
  let up: Supervised;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    llm = await startFakeLlm();
    up = await upWithGateway({
      prefix: "clawops-dashboard-bot-",
      bot: "alpha",
      llmBaseUrl: llm.baseUrl,
      modelCost: PRICE,
    });
    await addUsers(
      up.dir,
      [
        ["dana", "operator"],
        ["vic", "viewer"],
      ],
      PASSWORD,
    );
    llm.enqueue(
      { toolCall: { name: "ls", arguments: { path: "." } } },
      { text: "Listed the workspace." },
    );
    const chat = await up.cli(["chat", "alpha", "List the files.", "--session", "agent:main:ops"]);
    expect(chat.code, chat.stderr).toBe(0);
    await up.sessionWhere((s) => s.messageCount >= 4, "the chat turn's 4 messages");
    browser = await launchBrowser();
    page = await browser.context.newPage();
    collectPageErrors(page, errors);
    mkdirSync(SHOTS, { recursive: true });
    console.log(`screenshots: ${SHOTS}`);
  }, GATEWAY_HOOK_TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await up?.close();
    await llm?.close();
  });

  /** Desktop, phone width, and the phone in the other colour scheme. */
  const shoot = async (name: string) => {
    await page.screenshot({ path: path.join(SHOTS, `bot-${name}.png`), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: path.join(SHOTS, `bot-${name}-phone-dark.png`), fullPage: true });
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 1280, height: 800 });
  };
  const noSecretOnPage = async () => {
    const html = await page.content();
    expect(html).not.toContain(up.token);
    expect(html).not.toContain(LOGGED_KEY);
  };

  it("logs in and opens the bot's log tail, following new lines with secrets masked", async () => {
    await page.goto(up.daemon()!.url);
    await page.fill("#name", "dana");
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    await page.locator('tr[data-bot="alpha"]').waitFor();
    await page.goto(`${up.daemon()!.url}/#/bots/alpha/logs`);
    await page.locator(".log .log-line").first().waitFor({ timeout: 20_000 });
    // A line written now shows within the poll, its key masked by the daemon.
    const log = path.join(up.dir, "data", "logs", "alpha.log");
    appendFileSync(log, `dashboard-test provider said apiKey=${LOGGED_KEY}\n`);
    const fresh = page.locator(".log-line", { hasText: "dashboard-test provider said" });
    await fresh.waitFor({ timeout: 5_000 });
    expect(await fresh.textContent()).toContain("[REDACTED]");
    await noSecretOnPage();
    // Keyboard: the tabs are links in order, the log a focusable region.
    expect(await page.locator(".tabs a").allTextContents()).toEqual([
      "Overview",
      "Logs",
      "Sessions",
      "Cost",
      "Config",
    ]);
    expect(await page.locator(".tabs a[aria-current=page]").textContent()).toBe("Logs");
    expect(await page.locator(".log").getAttribute("tabindex")).toBe("0");
    await shoot("logs");
  });

  it("lists the sessions, opens the transcript with its tool call, and searches it", async () => {
    await page.click(".tabs >> text=Sessions");
    const row = page.locator("tr[data-session]", { hasText: "agent:main:ops" });
    await row.waitFor();
    await page.fill("input[aria-label='search sessions']", "no such words anywhere");
    await page.locator(".empty-state", { hasText: "No message contains" }).waitFor();
    await page.fill("input[aria-label='search sessions']", "list the");
    await row.waitFor();
    await shoot("sessions");
    await row.locator("a").click();
    expect(new URL(page.url()).hash).toMatch(/^#\/bots\/alpha\/sessions\/.+/);
    await page.locator(".msg").first().waitFor();
    const roles = await Promise.all(
      (await page.locator(".msg").all()).map((m) => m.getAttribute("data-role")),
    );
    expect(roles).toEqual(["user", "assistant", "assistant"]);
    const call = page.locator("details.tool-call");
    expect(await call.locator("summary").textContent()).toContain('ls {"path":"."}');
    // Collapsed until opened, from the keyboard.
    expect(await call.getAttribute("open")).toBeNull();
    await call.locator("summary").focus();
    await page.keyboard.press("Enter");
    await call.locator(".tool-result").waitFor();
    await page.fill("input[aria-label='search transcript']", "listed the workspace");
    await page.locator("[role=status]", { hasText: "1 of 3 match" }).waitFor();
    await page.fill("input[aria-label='search transcript']", "");
    await shoot("transcript");
    // Live: a new turn in another session shows in the list without a reload.
    await page.click("text=← Sessions");
    await page.fill("input[aria-label='search sessions']", "");
    llm.enqueue({ text: "Second answer." });
    const chat = await up.cli(["chat", "alpha", "Again.", "--session", "agent:main:second"]);
    expect(chat.code, chat.stderr).toBe(0);
    await page
      .locator("tr[data-session]", { hasText: "agent:main:second" })
      .waitFor({ timeout: 10_000 });
    await noSecretOnPage();
  });

  it("shows the cost by day and by model", async () => {
    await page.click(".tabs >> text=Cost");
    const model = page.locator('tr[data-model="fake/fake-model"]');
    await model.waitFor();
    expect(await model.locator("td.num").nth(0).textContent()).toBe("3");
    expect(await model.locator("td.num").nth(2).textContent()).toMatch(/^\$0\.\d{4}$/);
    const today = new Date().toISOString().slice(0, 10);
    const bar = page.locator(`svg.bars g[data-day="${today}"] rect`);
    expect(Number(await bar.getAttribute("height"))).toBeGreaterThan(100);
    expect(await page.locator("svg.bars g").count()).toBe(30);
    await shoot("cost");
  });

  it("shows the config masked, with the doctor's findings under their lines", async () => {
    await page.click(".tabs >> text=Config");
    const token = page.locator('.config li[data-path="gateway.auth.token"] .value');
    await token.waitFor();
    expect(await token.textContent()).toBe('"[REDACTED]"');
    expect(await page.locator('.config li[data-path="gateway.bind"] .value').textContent()).toBe(
      '"loopback"',
    );
    // The quick rules answer at once; OpenClaw's own lint (seconds) then replaces them.
    await page.locator(".counts").waitFor();
    const quick = (await up.api("/bots/alpha/doctor?fast=true").then((r) => r.json())) as {
      report: { findings: { id: string }[] };
    };
    await page.locator('.counts[data-scope="full"]').waitFor({ timeout: 100_000 });
    const shown = await Promise.all(
      (await page.locator("[data-finding]").all()).map((f) => f.getAttribute("data-finding")),
    );
    expect(shown).toEqual(expect.arrayContaining(quick.report.findings.map((f) => f.id)));
    const counted = (await page.locator(".counts").textContent())!.match(/\d+/g)!.map(Number);
    expect(shown.length).toBe(counted.reduce((a, b) => a + b, 0));
    // A finding about a config path is under that path's line.
    await page
      .locator('.config li[data-path="gateway.auth.token"] [data-finding]')
      .first()
      .waitFor();
    await noSecretOnPage();
    await shoot("config");
    expect(errors).toEqual([]);
  });

  it("shows a viewer the findings but neither the log nor the config, which the API refuses", async () => {
    await page.click("text=Log out");
    await page.locator("form").waitFor();
    await page.fill("#name", "vic");
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    // Logged in where the operator left: the bot's config tab.
    await page.locator(".who", { hasText: "vic · viewer" }).waitFor();
    await page.goto(`${up.daemon()!.url}/#/bots/alpha/config`);
    await page.locator(".counts").waitFor();
    expect(await page.locator("[data-finding]").count()).toBeGreaterThan(0);
    expect(await page.locator(".config").count()).toBe(0);
    await page.locator("text=The config itself is shown to operators").waitFor();
    await page.click(".tabs >> text=Logs");
    await page.locator("text=The gateway's log is shown to operators").waitFor();
    // The page asked for neither: no 403 in its console (the fetches below make two on purpose).
    expect(errors).toEqual([]);
    const statuses = await page.evaluate(async () =>
      Promise.all(
        ["/api/v1/bots/alpha/logs", "/api/v1/bots/alpha/config"].map(
          async (url) => (await fetch(url)).status,
        ),
      ),
    );
    expect(statuses).toEqual([403, 403]);
  });
});
