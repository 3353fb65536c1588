import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ClawopsConfig } from "../config/schema.js";
import type { Bot } from "../core/bot.js";
import { DoctorService } from "../doctor/service.js";
import type { Store } from "../store/store.js";
import { resolveGatewayTarget } from "./gateway-targets.js";
import { resolvePlan } from "./plan.js";
import { type ReadinessReport, type RunReadinessOptions, runReadiness } from "./runner.js";

export interface ReadinessInputs {
  config: ClawopsConfig;
  /** clawops's store, open; null when it could not be opened (the store check then fails). */
  store: Store | null;
  /** The registered bots (each gets a gateway check with `readiness.builtins`). */
  bots: readonly Bot[];
  env?: NodeJS.ProcessEnv;
  now?: () => number;
  /** Check ids or component names to run; every component when absent. */
  only?: readonly string[];
  /** The daemon's doctor, when there is one; a new one otherwise. */
  doctor?: DoctorService;
}

/**
 * A readiness report of the components clawops.yaml declares (and the
 * built-ins), the way `clawops readiness` and `GET /api/v1/readiness` make
 * it. Throws USAGE for an `only` entry matching nothing; never for what the
 * checks find.
 */
export async function createReadinessReport(
  inputs: ReadinessInputs,
  options: RunReadinessOptions = {},
): Promise<ReadinessReport> {
  const { config, bots } = inputs;
  const plan = resolvePlan(
    config,
    bots.map((b) => b.name),
    inputs.only,
  );
  const doctor = inputs.doctor ?? new DoctorService(config, () => Promise.resolve(bots));
  const scratchDir = mkdtempSync(path.join(tmpdir(), "clawops-readiness-"));
  try {
    return await runReadiness(
      plan,
      {
        env: inputs.env ?? process.env,
        now: inputs.now ?? Date.now,
        config,
        store: inputs.store,
        gatewayTarget: (name) => Promise.resolve(resolveGatewayTarget(config, bots, doctor, name)),
        scratchDir,
      },
      options,
    );
  } finally {
    rmSync(scratchDir, { recursive: true, force: true });
  }
}
