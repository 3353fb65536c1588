import path from "node:path";
import type { Bot } from "../core/bot.js";
import { OpsError } from "../core/errors.js";
import { findRunningGateway } from "../drivers/discover.js";
import { OpenClawCli } from "../gateway/openclaw-cli.js";
import { type OpenClawCommand } from "../gateway/openclaw-locate.js";
import { OpenClawFacts } from "./openclaw-facts.js";
import type { DoctorTarget, RuleScope } from "./rule.js";
import { DOCTOR_RULES } from "./rules/index.js";
import { type DoctorReport, runDoctor } from "./run-doctor.js";

/**
 * One doctor run as plain data, so that it can cross to a worker thread:
 * everything `runDoctor` needs, the openclaw CLI named by its location
 * rather than as an object.
 */
export interface DoctorRequest {
  target: DoctorTarget;
  env: NodeJS.ProcessEnv;
  fleet: readonly Bot[];
  portSpacing: number;
  /** The openclaw CLI to ask; null when it was not found (rules that need it say so). */
  openclaw: { command: OpenClawCommand; timeoutMs: number; cacheDir: string } | null;
  speed?: "fast" | "all";
  scopes?: readonly RuleScope[];
  /** Registered rule ids to choose from; default every rule. */
  ruleIds?: readonly string[];
}

/** Where doctor runs happen: in this thread, in a worker (`DoctorThread`), or either by size (`DoctorRouter`). */
export interface DoctorRunner {
  run(request: DoctorRequest): Promise<DoctorReport>;
  close(): Promise<void>;
}

/**
 * Runs doctor requests in the calling thread. Keeps one `OpenClawFacts` per
 * CLI, so each schema is read and compiled once per thread.
 */
export class DoctorChecker implements DoctorRunner {
  private readonly facts = new Map<string, OpenClawFacts>();

  run(request: DoctorRequest): Promise<DoctorReport> {
    const bot = request.target.bot;
    return runDoctor(
      {
        target: request.target,
        env: request.env,
        fleet: request.fleet,
        portSpacing: request.portSpacing,
        openclaw: request.openclaw && this.factsFor(request.openclaw),
        runningGatewayPid: () => (bot ? (findRunningGateway(bot)?.pid ?? null) : null),
      },
      {
        ...(request.speed ? { speed: request.speed } : {}),
        ...(request.scopes ? { scopes: request.scopes } : {}),
        ...(request.ruleIds ? { rules: registeredRules(request.ruleIds) } : {}),
      },
    );
  }

  async close(): Promise<void> {
    this.facts.clear();
  }

  private factsFor(cli: NonNullable<DoctorRequest["openclaw"]>): OpenClawFacts {
    const key = JSON.stringify([cli.command.entry, cli.command.node, cli.timeoutMs]);
    let facts = this.facts.get(key);
    if (!facts) {
      facts = new OpenClawFacts(new OpenClawCli(cli.command, cli.timeoutMs), cli.cacheDir);
      this.facts.set(key, facts);
    }
    return facts;
  }
}

/** The schema cache of a data dir. */
export function schemaCacheDir(dataDir: string): string {
  return path.join(dataDir, "cache");
}

function registeredRules(ids: readonly string[]) {
  return ids.map((id) => {
    const rule = DOCTOR_RULES.find((r) => r.id === id);
    if (!rule) throw new OpsError("INTERNAL", `no doctor rule is registered as ${id}`);
    return rule;
  });
}
