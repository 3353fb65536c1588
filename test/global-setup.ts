import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { WITNESS_ENV, scanWitness } from "./helpers/witness.js";

/**
 * End-to-end tests run the built CLI and dashboard, so build once before any test file runs.
 * Then every test file records what clawops printed, served and stored
 * (helpers/witness.ts); once all have run, that record is scanned for the
 * secrets the tests gave clawops, and any hit fails the run.
 */
export default function setup(): () => void {
  const resolve = createRequire(import.meta.url).resolve;
  execFileSync(process.execPath, [resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
    stdio: "inherit",
  });
  // The dashboard too (npm run build's second half): the browser tests load it from dist/web.
  execFileSync(
    process.execPath,
    [
      path.join(path.dirname(resolve("vite/package.json")), "bin/vite.js"),
      "build",
      "--config",
      "web/vite.config.ts",
      "--logLevel",
      "warn",
    ],
    { stdio: "inherit" },
  );
  const witness = mkdtempSync(path.join(tmpdir(), "clawops-witness-"));
  process.env[WITNESS_ENV] = witness;
  return () => {
    const { secrets, bytes, leaks } = scanWitness(witness);
    const kb = (n: number) => `${Math.round(n / 1024)} KB`;
    console.log(
      `secrets scan: ${secrets} test secrets over ${kb(bytes.printed)} printed, ${kb(bytes.served)} served, ${kb(bytes.stored)} stored: ${leaks.length === 0 ? "none found" : `${leaks.length} found`}`,
    );
    if (leaks.length > 0) {
      const listed = leaks.map((l) => `  ${l.label} ${l.kind} in ${l.where}`).join("\n");
      // The witness is kept for a look at what leaked.
      throw new Error(`test secrets leaked (witness kept in ${witness}):\n${listed}`);
    }
    rmSync(witness, { recursive: true, force: true });
  };
}
