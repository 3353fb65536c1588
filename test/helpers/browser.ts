import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

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
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
