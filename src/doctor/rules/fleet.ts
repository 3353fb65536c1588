import type { Bot } from "../../core/bot.js";
import type { Finding } from "../../core/finding.js";
import { realPath } from "../../system/files.js";
import { describeListener, isListenerOf } from "../../system/proc.js";
import { type DoctorRule, asRecord, configFinding } from "../rule.js";

/**
 * The fleet around one gateway: its port against every other bot's (a gateway
 * derives more ports above its own), against whatever listens there now, and
 * its state dir against every other bot's.
 */
export const fleet: DoctorRule = {
  id: "fleet",
  description: "ports and state dirs do not collide across bots or with other programs",
  speed: "fast",
  scope: "fleet",
  check(context) {
    const findings: Finding[] = [];
    const bot = context.target.bot;
    const configPort = asRecord(context.config.gateway)?.port;
    const port = bot?.port ?? (typeof configPort === "number" ? configPort : null);
    if (bot && typeof configPort === "number" && configPort !== bot.port) {
      findings.push(
        configFinding(context, ["gateway", "port"], {
          id: "fleet/port-mismatch",
          severity: "warning",
          message: `gateway.port is ${configPort} but ${bot.name} is registered on ${bot.port}: clawops passes --port ${bot.port}, a hand-run \`openclaw gateway\` would use ${configPort}`,
          evidence: { configPort, registeredPort: bot.port },
          fix: {
            kind: "edit-config",
            summary: `set gateway.port to ${bot.port}`,
            edits: [{ op: "set", path: ["gateway", "port"], value: bot.port }],
          },
        }),
      );
    }
    if (port === null) return findings;
    for (const other of context.fleet) {
      if (other.id === bot?.id) continue;
      const distance = Math.abs(other.port - port);
      if (distance < context.portSpacing) {
        findings.push({
          id: "fleet/port-collision",
          severity: "error",
          path: "gateway.port",
          file: context.target.configFile,
          message: `port ${port} is ${distance === 0 ? "the same as" : `${distance} away from`} ${botName(other, bot)}'s ${other.port}; gateways derive ports above their own, keep them ${context.portSpacing} apart (fleet.portSpacing)`,
          evidence: { port, otherBot: seen(other, bot), otherPort: other.port },
          fix: {
            kind: "manual",
            summary: `move one of them: clawops bot remove, then bot add without --port picks a free one`,
          },
        });
      }
    }
    const listener = context.listenerOn(port);
    const own = context.runningGatewayPid();
    if (listener && !(own !== null && isListenerOf(listener, own))) {
      findings.push({
        id: "fleet/port-in-use",
        severity: "error",
        path: "gateway.port",
        file: context.target.configFile,
        message: `port ${port} is held by ${describeListener(listener)}, not by ${bot ? `${bot.name}'s gateway` : "this gateway"}: it cannot start there`,
        evidence: { port, pid: listener.pid, cmdline: listener.cmdline },
        fix: { kind: "manual", summary: "stop that process, or give the bot another port" },
      });
    }
    if (bot) findings.push(...sharedPaths(bot, context.fleet));
    return findings;
  },
};

/**
 * Paths this bot shares with another that is meant to run. A registered twin
 * that stays stopped harms nobody: it does not block this bot (registration
 * refuses new twins; these are older registrations).
 */
function sharedPaths(bot: Bot, bots: readonly Bot[]): Finding[] {
  const findings: Finding[] = [];
  const mine = { "state dir": realPath(bot.stateDir), config: realPath(bot.configPath) };
  const shared = (other: Bot, what: "state dir" | "config", theirs: string) => {
    const path = mine[what];
    if (path !== realPath(theirs)) return;
    findings.push({
      id: "fleet/shared-path",
      severity: "error",
      path: what === "config" ? bot.configPath : bot.stateDir,
      message: `${bot.name} and ${seen(other, bot) ?? "a bot of another organisation"} share the ${what} ${path}: ${what === "config" ? "both gateways would use its port, workspace, log file and token" : "two gateways on one state dir fight over its database (exit 78)"}`,
      evidence: { bot: bot.name, otherBot: seen(other, bot), path },
      fix: { kind: "manual", summary: `give each bot its own ${what}` },
    });
  };
  for (const other of bots) {
    if (other.id === bot.id || other.desiredState !== "running") continue;
    shared(other, "state dir", other.stateDir);
    shared(other, "config", other.configPath);
  }
  return findings;
}

/**
 * Another bot as a finding about `bot` names it: ports and paths are the
 * host's, so a collision with another organisation's bot is found, but that
 * bot is not named (its organisation's principals alone see it, docs/access.md).
 */
function seen(other: Bot, bot: Bot | null): string | null {
  return !bot || other.org === bot.org ? other.name : null;
}

function botName(other: Bot, bot: Bot | null): string {
  const name = seen(other, bot);
  return name === null ? "a bot of another organisation" : `bot ${name}`;
}
