import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayInstance } from "../src/core/gateway-state.js";
import type { FleetHealth } from "../src/fleet/health.js";
import { sleep } from "../src/core/time.js";
import {
  chromiumAvailable,
  launchBrowser,
  addUsers,
  collectPageErrors,
} from "./helpers/browser.js";
import { type RunningDaemon, runCli, tempDir } from "./helpers/cli.js";
import { upWithStandIns } from "./helpers/fleet.js";
import { registerSecret } from "./helpers/witness.js";

const PASSWORD = registerSecret(`pw-${randomBytes(12).toString("hex")}`, "dashboard password");
/** Where the run's screenshots go (look at them: docs/testing.md). */
const SHOTS = process.env.TEST_SCREENSHOTS ?? path.join(tmpdir(), "clawops-screenshots");

/**
 * Mission Control as an operator meets it: `clawops up` with three bots on
 * stand-in gateways, a user made with the CLI, the dashboard in a real
 * Chromium. A gateway killed behind its back shows as restarted without a reload.
 */
describe.runIf(chromiumAvailable())("the dashboard in Chromium", () => {
  let work: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    work = tempDir("clawops-dashboard-");
    daemon = await upWithStandIns(work.dir, [
      { name: "alpha", desiredState: "running", labels: { team: "ops" } },
      { name: "bravo", desiredState: "running", labels: { team: "ops" } },
      { name: "charlie", desiredState: "stopped", labels: { team: "ops" } },
    ]);
    await addUsers(
      work.dir,
      [
        ["dana", "operator"],
        ["vic", "viewer"],
      ],
      PASSWORD,
    );
    browser = await launchBrowser();
    page = await browser.context.newPage();
    collectPageErrors(page, errors);
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await daemon?.stop("SIGTERM");
    work.remove();
  });

  const row = (bot: string) => page.locator(`tr[data-bot="${bot}"]`);

  it("asks for a login, and refuses a wrong password", async () => {
    await page.goto(daemon.url);
    await page.locator("form").waitFor();
    await page.screenshot({ path: path.join(SHOTS, "dashboard-login.png") });
    await page.fill("#name", "dana");
    await page.fill("#password", "not the password");
    await page.click("button[type=submit]");
    await expect(page.locator("[role=alert]").textContent()).resolves.toContain(
      "wrong user name or password",
    );
  });

  it("shows every bot, worst first, with its state", async () => {
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    await row("alpha").locator(".badge.up").waitFor({ timeout: 20_000 });
    await row("bravo").locator(".badge.up").waitFor({ timeout: 20_000 });
    expect(await page.locator(".who").textContent()).toBe("dana · operator of default");
    // Fed by its organisation's events over /ws, not only by polling.
    await page.locator(".connection.live").waitFor();
    expect(await row("charlie").getAttribute("data-verdict")).toBe("off");
    // Off bots come last.
    const order = await Promise.all(
      (await page.locator("tbody tr").all()).map((r) => r.getAttribute("data-bot")),
    );
    expect(order).toEqual(["alpha", "bravo", "charlie"]);
    await page.fill("input[type=search]", "charl");
    expect(await page.locator("tbody tr").count()).toBe(1);
    await page.fill("input[type=search]", "");
    await page.screenshot({ path: path.join(SHOTS, "dashboard-fleet.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 800 });
    await page.screenshot({ path: path.join(SHOTS, "dashboard-fleet-phone.png"), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("shows a gateway killed behind its back restarting, without a reload", async () => {
    const status = (await (await daemon.fetch("/api/v1/status")).json()) as {
      gateways: (GatewayInstance & { bot: string })[];
    };
    const alpha = status.gateways.find((g) => g.bot === "alpha")!;
    process.kill(alpha.pid!, "SIGKILL");
    const restarts = row("alpha").locator("td[data-col=restarts]");
    const deadline = Date.now() + 30_000;
    while ((await restarts.textContent()) !== "1") {
      if (Date.now() > deadline) throw new Error("the restart never showed");
      await sleep(250);
    }
    await row("alpha").locator(".badge.up").waitFor({ timeout: 30_000 });
    expect(errors).toEqual([]);
  });

  it("scores each bot's last 24 h and sorts by any column", async () => {
    // The crash costs alpha a restart (and whatever its repair counted); bravo never faltered.
    await row("bravo").locator("td[data-col=health]").filter({ hasText: "100" }).waitFor();
    const alpha = Number(await row("alpha").locator("td[data-col=health]").textContent());
    expect(alpha).toBeGreaterThan(0);
    expect(alpha).toBeLessThanOrEqual(100);
    expect(await row("charlie").locator("td[data-col=health]").textContent()).toBe("–");
    expect(await row("alpha").locator("td[data-col=cost]").textContent()).toBe("$0");
    // The memory check's readings draw a curve once there are two.
    await row("alpha").locator("td[data-col=memory] svg.sparkline").waitFor({ timeout: 30_000 });
    const names = async () =>
      Promise.all((await page.locator("tbody tr").all()).map((r) => r.getAttribute("data-bot")));
    await page.getByRole("button", { name: "Restarts 24 h" }).click();
    expect((await names())[0]).toBe("alpha");
    expect(await page.locator("th[aria-sort=ascending]").textContent()).toBe("Restarts 24 h ▾");
    await page.getByRole("button", { name: "Bot", exact: true }).click();
    expect(await names()).toEqual(["alpha", "bravo", "charlie"]);
    await page.getByRole("button", { name: "Bot", exact: true }).click();
    expect(await names()).toEqual(["charlie", "bravo", "alpha"]);
    await page.screenshot({ path: path.join(SHOTS, "dashboard-fleet-health.png"), fullPage: true });
    await page.getByRole("button", { name: "State", exact: true }).click();
    expect(errors).toEqual([]);

    // The CLI reads the same from the store, and names the stretch alpha was down.
    const cli = await runCli(["health", "alpha", "--window", "7d", "--json"], { cwd: work.dir });
    expect(cli.code, cli.stderr).toBe(0);
    const [health] = (JSON.parse(cli.stdout) as FleetHealth).bots;
    expect(health).toMatchObject({ bot: "alpha", crashes: 1 });
    expect(health!.spans!.some((s) => s.status === "down")).toBe(true);
    const human = await runCli(["health"], { cwd: work.dir });
    expect(human.stdout).toMatch(/^BOT +SCORE +UPTIME/);
    expect(human.stdout).toContain("charlie");
    const wrong = await runCli(["health", "--window", "1y"], { cwd: work.dir });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain("expected one of 24h, 7d, 30d");
  });

  it("opens a bot: the crash is in its timeline, and an operator can restart it", async () => {
    await row("alpha").locator("a.name").click();
    expect(new URL(page.url()).hash).toBe("#/bots/alpha");
    const timeline = page.locator(".timeline li");
    await timeline.filter({ hasText: "→ crashed" }).first().waitFor();
    // Its status strip over the window shows the crash, and the figures count it.
    await page.locator(".health-summary .strip .down").first().waitFor();
    expect(await page.locator(".health-summary p").textContent()).toMatch(/1 crash\b/);
    await page.getByRole("button", { name: "7d" }).click();
    expect(await page.getByRole("button", { name: "7d" }).getAttribute("aria-pressed")).toBe(
      "true",
    );
    await timeline.filter({ hasText: "→ crashed" }).first().waitFor();
    await page.screenshot({ path: path.join(SHOTS, "dashboard-bot.png"), fullPage: true });
    expect(await page.locator(".actions button").allTextContents()).toEqual([
      "Start",
      "Restart",
      "Stop",
      "Repair now",
    ]);
    await page.getByRole("button", { name: "Restart", exact: true }).click();
    await timeline.filter({ hasText: "running → stopping" }).first().waitFor({ timeout: 30_000 });
    await page.locator(".detail-head .badge.up").waitFor({ timeout: 30_000 });
    expect(await page.locator(".actions [role=alert]").count()).toBe(0);
    expect(errors).toEqual([]);
    await page.click("text=← Fleet");
    await row("alpha").waitFor();
  });

  it("serves the page under its own policy and the API refuses the logged-out", async () => {
    const answer = await fetch(daemon.url);
    expect(answer.headers.get("content-security-policy")).toContain("script-src 'self'");
    await page.click("text=Log out");
    await page.locator("form").waitFor();
    expect(await page.evaluate(async () => (await fetch("/api/v1/status")).status)).toBe(401);
  });

  it("shows a viewer no actions, and the API refuses them anyway", async () => {
    await page.fill("#name", "vic");
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    await row("alpha").waitFor();
    await page.goto(`${daemon.url}/#/bots/alpha`);
    await page.locator(".detail-head .badge").waitFor();
    expect(await page.locator(".actions").count()).toBe(0);
    // The page's own CSRF token: the refusal is the role's, not a missing token's.
    const csrf = String(await page.evaluate("sessionStorage.getItem('clawops.csrf')"));
    const refused = await page.evaluate(
      async (token) =>
        (
          await fetch("/api/v1/bots/alpha/restart", {
            method: "POST",
            headers: { "x-csrf-token": token, "x-clawops-client": "web" },
          })
        ).status,
      csrf,
    );
    expect(refused).toBe(403);
  });
});
