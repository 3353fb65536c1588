import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

/*
 * Files of an OpenClaw state dir that clawops looks at: the doctor judges
 * them, repair archives them, the start gate's signature includes them.
 */

/** The subdirectories of `dir`; [] when it cannot be read. */
export function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** The entries of `dir`; [] when it cannot be read. */
export function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Where an agent's JSON-era credential file lives. */
export function authProfilesFile(stateDir: string, agent: string): string {
  return path.join(stateDir, "agents", agent, "agent", "auth-profiles.json");
}

/** Legacy `agents/<id>/agent/auth-profiles.json` files of a state dir. */
export function findLegacyAuthFiles(stateDir: string): string[] {
  return listDirs(path.join(stateDir, "agents"))
    .map((agent) => authProfilesFile(stateDir, agent))
    .filter((file) => existsSync(file));
}
