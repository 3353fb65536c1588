import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import type { ClawopsConfig } from "../config/schema.js";
import type { Bot } from "../core/bot.js";
import { OpsError } from "../core/errors.js";
import { findRunningGateway } from "../drivers/discover.js";
import { OpenClawCli } from "../gateway/openclaw-cli.js";
import { type OpenClawCommand } from "../gateway/openclaw-locate.js";
import { gatewayEnv } from "../gateway/environment.js";
import { DoctorChecker, type DoctorRunner, schemaCacheDir } from "./checker.js";
import { findLegacyAuthFiles } from "../gateway/state-files.js";
import type { DoctorTarget } from "./rule.js";
import { type OpenClawFixOutcome, runOpenClawFix } from "./fix.js";
import { type DoctorOptions, type DoctorReport, instanceEnv } from "./run-doctor.js";
import { locateConfiguredOpenClaw, openClawLookupKey } from "../runtime/runtimes.js";

/**
 * Errors the gate lets through: the driver checks them again at spawn time
 * and reports them its own way (a held port becomes a `gateway.port_conflict`
 * event with the holder, which repair acts on).
 */
const LEFT_TO_THE_DRIVER: ReadonlySet<string> = new Set(["fleet/port-in-use"]);

/**
 * Errors that break chats, not the boot: a provider without a credential fails
 * at its first chat ("No API key found"), while the gateway starts and answers
 * its probes. Refusing the start would turn a bot that cannot chat yet into one
 * that does not run at all; `clawops doctor` and `bot create` report them.
 */
const CHAT_TIME: ReadonlySet<string> = new Set(["provider-credentials/missing"]);

/**
 * The doctor as clawops runs it: a bot is checked with its own openclaw CLI
 * and the environment clawops gives its gateway; a bare config file with this
 * process's environment. The runs themselves happen in `runner`: this thread
 * for the CLI; in the daemon, a worker thread for large configs (`DoctorRouter`).
 */
export class DoctorService {
  private readonly commands = new Map<string, Promise<OpenClawCommand | null>>();
  /** Per bot, the signature of the inputs the start gate last passed. */
  private readonly passed = new Map<string, string>();
  /** The fleet listing under way, which every gate that asks meanwhile shares. */
  private listing: Promise<readonly Bot[]> | null = null;
  /** Per fleet listing, the digest of its ports and paths (the same for every gate sharing it). */
  private readonly fleetDigests = new WeakMap<readonly Bot[], string>();

  constructor(
    private readonly config: ClawopsConfig,
    private readonly listBots: () => Promise<readonly Bot[]>,
    private readonly runner: DoctorRunner = new DoctorChecker(),
  ) {}

  /** `extraEnv`: variables the gateway will have beyond clawops's (keys about to be provisioned). */
  async check(
    target: DoctorTarget,
    options: DoctorOptions & { extraEnv?: NodeJS.ProcessEnv } = {},
  ): Promise<DoctorReport> {
    return this.checkAmong(target, options, await this.fleet());
  }

  /** `check` against a fleet already listed. */
  private async checkAmong(
    target: DoctorTarget,
    options: DoctorOptions & { extraEnv?: NodeJS.ProcessEnv },
    fleet: readonly Bot[],
  ): Promise<DoctorReport> {
    const { config } = this;
    const bot = target.bot;
    const command = await this.commandFor(bot?.openclawBin);
    return this.runner.run({
      target,
      env: {
        ...(bot ? gatewayEnv(config.supervisor.env, bot) : process.env),
        ...options.extraEnv,
      },
      fleet,
      portSpacing: config.fleet.portSpacing,
      openclaw: command && {
        command,
        timeoutMs: config.openclaw.timeout,
        cacheDir: schemaCacheDir(config.dataDir),
      },
      ...(options.speed ? { speed: options.speed } : {}),
      ...(options.scopes ? { scopes: options.scopes } : {}),
      ...(options.rules ? { ruleIds: options.rules.map((rule) => rule.id) } : {}),
    });
  }

  /** Ends the runner's worker, if it has one. */
  close(): Promise<void> {
    return this.runner.close();
  }

  /**
   * The pre-start gate: the quick rules on `bot`; any error finding refuses
   * the start (CONFIG_INVALID, the findings in `issues`). A gateway of the
   * bot that already runs is adopted as it is, not judged.
   */
  async assertStartable(bot: Bot, options: { planned?: boolean } = {}): Promise<void> {
    // A gateway of the bot already running is adopted as it is; a planned restart replaces it.
    if (!options.planned && findRunningGateway(bot)) return;
    // A restart after a crash must not wait for `models status` again when
    // nothing the gate looks at changed since it last passed.
    const fleet = await this.fleet();
    const signature = this.gateSignature(bot, fleet);
    if (this.passed.get(bot.id) === signature) return;
    const report = await this.checkAmong(
      { configFile: bot.configPath, stateDir: bot.stateDir, bot },
      { speed: "fast" },
      fleet,
    );
    const errors = report.findings.filter(
      (f) => f.severity === "error" && !LEFT_TO_THE_DRIVER.has(f.id) && !CHAT_TIME.has(f.id),
    );
    if (errors.length === 0) {
      this.passed.set(bot.id, signature);
      return;
    }
    this.passed.delete(bot.id);
    const listed = errors.map((f) => `${f.path}: ${f.message}`).join("; ");
    throw new OpsError(
      "CONFIG_INVALID",
      `doctor found ${errors.length} error${errors.length === 1 ? "" : "s"} in ${bot.name}'s config: ${listed} (details: clawops doctor --bot ${bot.name})`,
      {
        issues: errors.map((f) => ({
          path: f.path,
          message: f.message,
          severity: "error" as const,
          ...(f.fix ? { fix: f.fix.summary } : {}),
        })),
        // The kind of failed start this is, for the supervisor's event and repair.
        details: { findings: errors, failure: "config_rejected" },
      },
    );
  }

  /**
   * OpenClaw's own `doctor --fix` on one target, asked for by name: the
   * gateway must be stopped (OpenClaw migrates stores the gateway holds
   * open); the config is backed up and the diff returned.
   */
  async openclawFix(target: DoctorTarget): Promise<OpenClawFixOutcome> {
    const bot = target.bot;
    const pid = bot ? (findRunningGateway(bot)?.pid ?? null) : null;
    if (pid !== null) {
      throw new OpsError(
        "CONFLICT",
        `${bot!.name}'s gateway is running (pid ${pid}): stop it first (clawops bot stop ${bot!.name})`,
      );
    }
    const command = await this.commandFor(bot?.openclawBin);
    if (!command)
      throw new OpsError(
        "NOT_FOUND",
        "the openclaw CLI was not found (set openclaw.bin in clawops.yaml)",
      );
    const env = instanceEnv(
      target,
      bot ? gatewayEnv(this.config.supervisor.env, bot) : process.env,
    );
    return runOpenClawFix(
      new OpenClawCli(command, this.config.openclaw.timeout),
      target.configFile,
      env,
    );
  }

  /**
   * What the gate's verdict depends on: the config file (size, mtime), the
   * bot's registration, the fleet's ports and paths, the gateway environment,
   * the legacy credential files of its state dir. The credential store is not
   * in it: a key removed from the store shows at the next changed config, or
   * in `clawops doctor`. A digest: kept per bot, the inputs themselves (the
   * whole fleet's paths) would be ~20 KB a bot at 100 bots.
   */
  private gateSignature(bot: Bot, fleet: readonly Bot[]): string {
    let file = "missing";
    try {
      const stat = statSync(bot.configPath);
      file = `${stat.size}:${stat.mtimeMs}:${stat.ino}`;
    } catch {
      // A missing config never passes, so its signature never matches.
    }
    let places = this.fleetDigests.get(fleet);
    if (places === undefined) {
      places = digest(JSON.stringify(fleet.map((b) => [b.id, b.port, b.stateDir, b.configPath])));
      this.fleetDigests.set(fleet, places);
    }
    // A legacy credential file dropped into the state dir makes the gateway exit at boot.
    const legacy = findLegacyAuthFiles(bot.stateDir);
    return digest(JSON.stringify([file, bot, places, this.config.supervisor.env, legacy]));
  }

  /**
   * The registered bots. A check that asks while a listing is under way takes that one: a
   * fleet of 100 starting at once read every row of the registry 200 times over (the gate,
   * then the known-good config), as fast as the store answered, all of it at once in memory.
   */
  private fleet(): Promise<readonly Bot[]> {
    this.listing ??= this.listBots().finally(() => {
      this.listing = null;
    });
    return this.listing;
  }

  /** Where one openclaw CLI is; null when it cannot be found (its rules then say so). */
  private commandFor(botBin: string | null | undefined): Promise<OpenClawCommand | null> {
    const { openclaw, dataDir } = this.config;
    const key = openClawLookupKey(openclaw, botBin, dataDir);
    let command = this.commands.get(key);
    if (!command) {
      command = locateConfiguredOpenClaw(openclaw, botBin, dataDir).catch(() => {
        // Not cached: the CLI may be installed by the next check.
        this.commands.delete(key);
        return null;
      });
      this.commands.set(key, command);
    }
    return command;
  }
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("base64");
}
