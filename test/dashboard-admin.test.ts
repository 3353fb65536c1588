import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bot } from "../src/core/bot.js";
import type { RepairStatus } from "../src/core/repair.js";
import {
  chromiumAvailable,
  launchBrowser,
  addUsers,
  collectPageErrors,
} from "./helpers/browser.js";
import { type RunningDaemon, tempDir } from "./helpers/cli.js";
import { upWithStandIns } from "./helpers/fleet.js";
import { registerSecret } from "./helpers/witness.js";

const PASSWORD = registerSecret(`pw-${randomBytes(12).toString("hex")}`, "admin pages password");
const SHOTS = process.env.TEST_SCREENSHOTS ?? path.join(tmpdir(), "clawops-screenshots");
const CLIENT = { "x-clawops-client": "test" };

/**
 * Mission Control's admin pages in Chromium, on a real `clawops up` whose two
 * bots run stand-in gateways (no OpenClaw needed): an admin manages tokens and
 * users, sees a notification arrive in the bell without a reload, and pauses
 * and resumes a bot's automatic repair; a viewer sees none of it and the API
 * refuses the viewer anyway.
 */
describe.runIf(chromiumAvailable())("the admin pages in Chromium", () => {
  let work: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    work = tempDir("clawops-admin-pages-");
    daemon = await upWithStandIns(work.dir, [
      { name: "alpha", desiredState: "running" },
      { name: "bravo", desiredState: "stopped" },
    ]);
    await addUsers(
      work.dir,
      [
        ["ada", "admin"],
        ["vic", "viewer"],
      ],
      PASSWORD,
    );
    browser = await launchBrowser();
    page = await browser.context.newPage();
    collectPageErrors(page, errors);
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], {
      origin: daemon.url,
    });
    mkdirSync(SHOTS, { recursive: true });
    console.log(`screenshots: ${SHOTS}`);
  });
  afterAll(async () => {
    await browser?.close();
    await daemon?.stop("SIGTERM");
    work.remove();
  });

  /** Desktop light and dark, and phone width. */
  const shoot = async (name: string) => {
    await page.screenshot({ path: path.join(SHOTS, `admin-${name}.png`), fullPage: true });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: path.join(SHOTS, `admin-${name}-dark.png`), fullPage: true });
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(SHOTS, `admin-${name}-phone.png`), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  };
  const logIn = async (name: string) => {
    await page.context().clearCookies();
    await page.goto(daemon.url);
    await page.fill("#name", name);
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    await page.locator('tr[data-bot="alpha"]').waitFor();
  };
  const asBearer = (secret: string) =>
    fetch(`${daemon.url}/api/v1/status`, { headers: { authorization: `Bearer ${secret}` } });
  const repairStatus = async () =>
    (await (await daemon.fetch("/api/v1/repairs/status")).json()) as RepairStatus;
  const bellLabel = () => page.locator("a.bell").getAttribute("aria-label");

  it("creates a token and shows its secret once; revoked, the API refuses it", async () => {
    await logIn("ada");
    await page.click("nav.pages >> text=Access");
    await page.locator(".access-page").waitFor();
    await page.fill(".new-token input[name=name]", "ci-reader");
    await page.selectOption(".new-token select[name=role]", "viewer");
    await page.fill(".new-token input[name=days]", "30");
    await page.click(".new-token button[type=submit]");
    const shown = page.locator(".secret-value");
    await shown.waitFor();
    const secret = registerSecret((await shown.textContent())!, "token made on the page");
    expect(secret).toMatch(/^clawops_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(await page.locator(".secret").textContent()).toContain("shown this once");
    await page.locator(".secret").getByRole("button", { name: "Copy", exact: true }).click();
    const said = page.locator(".secret [aria-live]");
    await said.filter({ hasNotText: "Send it as" }).waitFor();
    expect(await said.textContent()).toBe("Copied to the clipboard.");
    const clipboard = await page.evaluate(() =>
      (
        globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
      ).navigator.clipboard.readText(),
    );
    expect(clipboard).toBe(secret);
    expect((await asBearer(secret)).status).toBe(200);
    const row = page.locator('tr[data-token="ci-reader"]');
    await row.waitFor();
    expect(await row.textContent()).toContain("viewer");
    await shoot("access");
    // The secret was in the creating answer only: a reload does not bring it back.
    await page.reload();
    await row.waitFor();
    expect(await page.locator(".secret").count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    await row.locator("button", { hasText: "Revoke" }).click();
    await row.locator("button", { hasText: "Yes, revoke" }).click();
    await row.waitFor({ state: "detached" });
    expect((await asBearer(secret)).status).toBe(401);
    await page.check("text=Show revoked tokens");
    await page.locator('tr[data-token="ci-reader"][data-revoked="yes"]').waitFor();
    await page.uncheck("text=Show revoked tokens");
  });

  it("adds a user who can then log in, and removes them", async () => {
    await page.fill(".add-user input[name=name]", "newbie");
    await page.fill(".add-user input[name=password]", PASSWORD);
    await page.selectOption(".add-user select[name=role]", "operator");
    await page.click(".add-user button[type=submit]");
    const row = page.locator('tr[data-user="newbie"]');
    await row.waitFor();
    expect(await row.textContent()).toContain("operator");
    // An admin grants roles up to their own: no owner on offer.
    expect(await page.locator(".add-user select[name=role] option").allTextContents()).toEqual([
      "viewer",
      "operator",
      "admin",
    ]);
    const login = await fetch(`${daemon.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", ...CLIENT },
      body: JSON.stringify({ name: "newbie", password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    await row.locator("button", { hasText: "Remove" }).click();
    await row.locator("button", { hasText: "Yes, remove" }).click();
    await row.waitFor({ state: "detached" });
    const { users } = (await (await daemon.fetch("/api/v1/users")).json()) as {
      users: { name: string }[];
    };
    expect(users.map((u) => u.name).sort()).toEqual(["ada", "vic"]);
  });

  it("rings the bell for a notification raised on the server, without a reload", async () => {
    await page.goto(`${daemon.url}/#/`);
    await page.locator(".connection.live").waitFor();
    expect(await bellLabel()).toBe("Notifications");
    // A page that reloaded would lose this.
    await page.evaluate(() => Object.assign(globalThis, { stillTheSamePage: true }));
    const repaired = await daemon.fetch("/api/v1/bots/alpha/repair", {
      method: "POST",
      headers: CLIENT,
    });
    expect(repaired.status).toBe(200);
    await page.locator("a.bell[aria-label='Notifications, 1 unread']").waitFor();
    expect(await page.evaluate(() => "stillTheSamePage" in globalThis)).toBe(true);
    expect(await page.locator(".bell-count").textContent()).toBe("1");
    await page.click("a.bell");
    const notice = page.locator(".notice.unread", { hasText: "alpha recovered" });
    await notice.waitFor();
    expect(await notice.locator(".badge").textContent()).toBe("recovered");
    await shoot("notifications");
    await notice.locator("button", { hasText: "Mark read" }).click();
    await page.locator(".notice:not(.unread)", { hasText: "alpha recovered" }).waitFor();
    expect(await bellLabel()).toBe("Notifications");
    // The list is the daemon's and the read mark the browser's: both outlive a reload.
    await page.reload();
    await page.locator(".notice:not(.unread)", { hasText: "alpha recovered" }).waitFor();
    expect(await bellLabel()).toBe("Notifications");
  });

  it("pauses and resumes a bot's automatic repair from the Repairs page", async () => {
    const { bots } = (await (await daemon.fetch("/api/v1/bots")).json()) as { bots: Bot[] };
    const alpha = bots.find((b) => b.name === "alpha")!;
    await page.click("nav.pages >> text=Repairs");
    const row = page.locator('.budgets tr[data-bot="alpha"]');
    await row.waitFor();
    expect(await row.textContent()).toContain("/ 3 used");
    await page.fill(".reason-field input", "upgrading OpenClaw");
    await row.locator("button", { hasText: "Pause" }).click();
    await page.locator('.budgets tr[data-bot="alpha"][data-paused="yes"]').waitFor();
    const paused = (await repairStatus()).pauses.find((p) => p.botId === alpha.id);
    expect(paused).toMatchObject({ reason: "upgrading OpenClaw" });
    expect(paused!.by).toMatch(/^user:ada#/);
    expect(await row.textContent()).toContain("upgrading OpenClaw");
    await shoot("repairs");
    // Resumed elsewhere (the API): the page follows the event without a reload.
    const resumed = await daemon.fetch("/api/v1/bots/alpha/repair/resume", {
      method: "POST",
      headers: CLIENT,
    });
    expect(resumed.status).toBe(200);
    await page.locator('.budgets tr[data-bot="alpha"][data-paused="no"]').waitFor();
    // And from the page, both ways.
    await row.locator("button", { hasText: "Pause" }).click();
    await page.locator('.budgets tr[data-bot="alpha"][data-paused="yes"]').waitFor();
    await row.locator("button", { hasText: "Resume" }).click();
    await page.locator('.budgets tr[data-bot="alpha"][data-paused="no"]').waitFor();
    expect((await repairStatus()).pauses).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("shows a viewer no Access link and no pause button, and the API refuses them", async () => {
    await logIn("vic");
    // Readiness is a viewer's page too (the install's own organisation).
    expect(await page.locator("nav.pages a").allTextContents()).toEqual([
      "Fleet",
      "Tasks",
      "Approvals",
      "Repairs",
      "Readiness",
    ]);
    await page.goto(`${daemon.url}/#/access`);
    await page.locator('tr[data-bot="alpha"]').waitFor();
    expect(await page.locator(".access-page").count()).toBe(0);
    await page.goto(`${daemon.url}/#/repairs`);
    await page.locator('.budgets tr[data-bot="alpha"]').waitFor();
    expect(await page.locator(".budgets button").count()).toBe(0);
    expect(await page.locator(".reason-field").count()).toBe(0);
    // With the login's own cookie and CSRF token.
    const statuses = await page.evaluate(async () => {
      const csrf =
        (
          globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }
        ).sessionStorage.getItem("clawops.csrf") ?? "";
      const write = {
        "content-type": "application/json",
        "x-clawops-client": "web",
        "x-csrf-token": csrf,
      };
      const call = async (path: string, init: RequestInit = {}) =>
        (await fetch(`/api/v1${path}`, { credentials: "same-origin", ...init })).status;
      return {
        users: await call("/users"),
        tokens: await call("/tokens"),
        create: await call("/tokens", {
          method: "POST",
          headers: write,
          body: JSON.stringify({ name: "sneaky", role: "viewer" }),
        }),
        pause: await call("/bots/alpha/repair/pause", { method: "POST", headers: write }),
        notifications: await call("/notifications"),
      };
    });
    expect(statuses).toEqual({
      users: 403,
      tokens: 403,
      create: 403,
      pause: 403,
      notifications: 200,
    });
    expect(errors).toEqual([]);
  });
});
