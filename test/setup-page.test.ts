import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchBrowser } from "./helpers/browser.js";
import { type RunningDaemon, freePort, startUp, tempDir } from "./helpers/cli.js";
import { registerSecret } from "./helpers/witness.js";

const PASSWORD = registerSecret(`pw-${randomBytes(12).toString("hex")}`, "setup page password");

/**
 * The one-time setup link as its reader meets it: `clawops up` on a fresh
 * data dir, the link opened in a real Chromium, the form filled in. The page
 * runs under its own Content-Security-Policy: a script the policy did not
 * allow would leave the form dead, and Chromium reports it on the console.
 */
describe.runIf(chromiumAvailable())("the setup page in Chromium", () => {
  let work: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let link = "";

  beforeAll(async () => {
    work = tempDir("clawops-setup-page-");
    daemon = await startUp({ cwd: work.dir, port: await freePort() });
    link = readFileSync(path.join(work.dir, ".clawops", "setup-link"), "utf8").trim();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await daemon?.stop("SIGTERM");
    work.remove();
  });

  /** A page whose console errors (CSP violations among them) are collected. */
  async function open(url: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url);
    return { page, errors };
  }

  it("says what is missing when the link lost its token", async () => {
    const { page, errors } = await open(link.split("#")[0]!);
    await expect(page.locator("#message").textContent()).resolves.toContain(
      "needs the whole setup link",
    );
    expect(await page.locator("#setup").isHidden()).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("creates the first owner from the link and logs them in", async () => {
    const { page, errors } = await open(link);
    // The token leaves the address bar (and the history) at once.
    expect(page.url()).toBe(`${daemon.url}/setup`);
    await page.fill("#name", "founder");
    await page.fill("#password", PASSWORD);
    await page.fill("#repeat", `${PASSWORD}-typo`);
    await page.click("button");
    await expect(page.locator("#message").textContent()).resolves.toBe("The two passwords differ.");
    await page.fill("#repeat", PASSWORD);
    await page.click("button");
    await page.locator("#message.done").waitFor();
    expect(await page.locator("#message").textContent()).toContain("Owner founder created");
    const cookie = (await browser.context.cookies()).find((c) => c.name === "clawops_login");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    // The browser is now logged in as the owner.
    const me = await page.evaluate(async () => (await fetch("/api/v1/auth/me")).json());
    expect(me).toMatchObject({ principal: { kind: "user", name: "founder", role: "owner" } });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows the API's refusal when the link was used", async () => {
    const { page } = await open(link);
    await page.fill("#name", "second");
    await page.fill("#password", PASSWORD);
    await page.fill("#repeat", PASSWORD);
    await page.click("button");
    await page.locator("#message.error").waitFor();
    expect(await page.locator("#message").textContent()).toContain(
      "the first owner exists already",
    );
    await page.close();
  });
});
