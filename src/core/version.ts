import { readFileSync } from "node:fs";

/** clawops's own version, from its package.json (two levels up from src/core and dist/core). */
export const CLAWOPS_VERSION: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;
