import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { sleep } from "../../src/core/time.js";

/** True when Debian's caddy is installed; under CI=true its absence fails the suite. */
export function caddyAvailable(): boolean {
  const ok = existsSync("/usr/bin/caddy");
  if (!ok && process.env.CI === "true")
    throw new Error(
      "caddy is missing under CI=true: scripts/test.sh installs it (Debian package caddy)",
    );
  return ok;
}

export interface RunningCaddy {
  stop(): void;
}

/**
 * Real Caddy serving `sites` (Caddyfile site blocks), its admin endpoint and
 * automatic HTTPS off, its state under `dir`. Resolves once `readyUrl`
 * answers (any HTTP status).
 */
export async function startCaddy(
  dir: string,
  sites: string,
  readyUrl: string,
): Promise<RunningCaddy> {
  const home = path.join(dir, "caddy-home");
  mkdirSync(home, { recursive: true });
  const file = path.join(dir, "Caddyfile");
  writeFileSync(file, `{\n\tadmin off\n\tauto_https off\n}\n${sites}`);
  const caddy: ChildProcess = spawn(
    "/usr/bin/caddy",
    ["run", "--adapter", "caddyfile", "--config", file],
    {
      env: { ...process.env, HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home },
      stdio: "ignore",
    },
  );
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(readyUrl).then(
        () => true,
        () => false,
      )
    )
      return { stop: () => caddy.kill("SIGKILL") };
    await sleep(100);
  }
  caddy.kill("SIGKILL");
  throw new Error(`caddy did not answer at ${readyUrl} within 10 s`);
}
