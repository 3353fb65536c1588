import type { z } from "zod";
import type { Bot } from "../core/bot.js";
import type { GatewayInstance } from "../core/gateway-state.js";
import type { Evidence } from "./evidence.js";
import type { RepairSettings } from "./settings.js";

/** The supervisor's controls as a repair may use them; `actor` is recorded on every change. */
export interface GatewayControl {
  instance(): Promise<GatewayInstance | null>;
  /** Waits (at most `timeoutMs`) while the supervisor relaunches the gateway by itself. */
  awaitRelaunch(timeoutMs: number, signal: AbortSignal): Promise<GatewayInstance | null>;
  start(reason: string): Promise<GatewayInstance>;
  stop(reason: string): Promise<GatewayInstance>;
  restart(reason: string): Promise<GatewayInstance>;
  /** The pids of every supervised gateway of the fleet (never to be killed as stale). */
  fleetPids(): Promise<number[]>;
}

/** Everything an action may touch: one bot, its gateway, and clawops's helpers for it. */
export interface ActionContext {
  bot: Bot;
  gateway: GatewayControl;
  /** Epoch ms when the fault was detected: a gateway started since then is a new instance. */
  since: number;
  /** After a readiness fault, a gateway is repaired only once it is ready too (/readyz 200). */
  requireReady: boolean;
  settings: RepairSettings;
  /** Runs clawops's doctor on a config file of this bot with the config rules only: error messages, [] when valid. */
  configProblems: (configFile: string) => Promise<string[]>;
  /** Runs the doctor's quick rules on the bot and applies its automatic fixes. */
  doctorFix(): Promise<ActionResult>;
  /** OpenClaw's own `doctor --fix` on the stopped bot, config backed up, diff returned. */
  openclawFix(): Promise<ActionResult>;
  /** clawops's own copy of the config the gateway last came up running with. */
  knownGood: string;
  /** Where clawops archives what a repair moves aside (`<dataDir>/archive/<bot>`). */
  archiveDir: string;
  now(): Date;
  signal: AbortSignal;
}

export interface ActionResult {
  /** What was done, in words. */
  detail: string;
  diff?: string;
  backup?: string;
}

/**
 * What makes an action a tier-2 deep fix: the fault in the evidence it fixes.
 * The diagnosis asks every action of the registry, in registry order, so a new
 * deep fix is its own file and one registry line.
 */
export interface DeepFix {
  /** The fault in words when the evidence shows one this action fixes; null otherwise. Pure. */
  cause(evidence: Evidence): string | null;
  /** Actions to run just before it (once per plan): `stop` for one that needs a stopped gateway. */
  before?: readonly RepairAction[];
}

/**
 * One allowlisted repair action: typed parameters (strict zod: anything
 * unexpected is rejected, never ignored), a precondition that says why it
 * cannot run now, the execution, and a verification of its effect. No action
 * runs a shell; none deletes user data; a config change is backed up and diffed.
 */
export interface RepairAction<P extends Record<string, unknown> = Record<string, unknown>> {
  name: string;
  /** One line, shown to operators and to the AI planner. */
  description: string;
  params: z.ZodType<P>;
  /** Null when it may run now; otherwise why not (the action is then skipped). */
  precondition(context: ActionContext, params: P): Promise<string | null>;
  execute(context: ActionContext, params: P): Promise<ActionResult>;
  /** Null when the intended effect holds; otherwise what is still wrong. */
  verify(context: ActionContext, params: P, result: ActionResult): Promise<string | null>;
  /** Set when the diagnosis may pick it from evidence (tier 2); absent for tier 1 and AI-only actions. */
  deepFix?: DeepFix;
}

/** Keeps each action's parameter type while the registry holds them side by side. */
export function defineAction<P extends Record<string, unknown>>(
  action: RepairAction<P>,
): RepairAction {
  return action;
}
