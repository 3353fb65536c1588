import { HEADLESS_CHROMIUM_ARGS } from "../../src/verify/browser.js";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BrowserContext, type Page, chromium } from "playwright-core";
import { expect } from "vitest";
import { runCli } from "./cli.js";

/** Debian's Chromium (scripts/services.sh installs it): a test tool's own download fails offline. */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Whether the browser suites can run: outside CI a missing Chromium skips
 * them with a visible reason; under CI=true it fails (CI never passes by skipping).
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === "true")
    throw new Error(
      `Chromium is required under CI=true but ${CHROMIUM} is missing: run "npm run test:all"`,
    );
  console.warn(`skipping browser tests: ${CHROMIUM} is missing (run "npm run test:all")`);
  return false;
}

/**
 * A headless Chromium with a fresh profile, quiet and offline: one per suite
 * (share it across the suite's tests; a page per test). `close` removes the profile.
 */
export async function launchBrowser(): Promise<{
  context: BrowserContext;
  close(): Promise<void>;
}> {
  const profile = mkdtempSync(path.join(tmpdir(), "clawops-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", ...HEADLESS_CHROMIUM_ARGS],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Collects a page's script errors and console errors (CSP violations among
 * them) into `errors`, but for the refusals the API answers on purpose
 * (`expected`: a 401 before the login, a viewer's 403).
 */
export function collectPageErrors(
  page: Page,
  errors: string[],
  expected = /status of 40[13]/,
): void {
  page.on("console", (m) => {
    if (m.type() === "error" && !expected.test(m.text())) errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
}

/** Dashboard users made with the CLI, each with `password`, as an operator would. */
export async function addUsers(
  cwd: string,
  users: readonly (readonly [name: string, role: string])[],
  password: string,
): Promise<void> {
  for (const [name, role] of users) {
    const added = await runCli(["user", "add", name, "--role", role], {
      cwd,
      input: `${password}\n`,
    });
    expect(added.code, added.stderr).toBe(0);
  }
}
