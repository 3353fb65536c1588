import type { Command } from "commander";
import type { Bot } from "../../core/bot.js";
import { OpsError, isOpsError } from "../../core/errors.js";
import { LIVE_STATES, type GatewayInstance } from "../../core/gateway-state.js";
import { gatewayEnv } from "../../gateway/environment.js";
import { gatewayTokenFrom, readOpenClawConfig } from "../../gateway/openclaw-config.js";
import { type TokenRotation, rotateGatewayToken } from "../../vault/gateway-token.js";
import { Vault } from "../../vault/vault.js";
import { act } from "../act.js";
import { type CommandOptions, loadCliConfig, withRegistry } from "../context.js";
import { callDaemon, daemonEndpoint } from "../daemon-client.js";
import { EXIT, emit } from "../output.js";

interface RotateTokenOptions extends CommandOptions {
  show?: boolean;
}

type Rotation = TokenRotation & {
  note?: string;
  /** With `--show` only: the new token in full, read on this host. */
  shown?: string;
};

/**
 * `clawops bot rotate-token NAME`: through the daemon, which restarts the
 * gateway; without a daemon, only a gateway that is not running (the keys
 * then come from this shell, as for `clawops vault`).
 */
export function registerRotateToken(bot: Command) {
  bot
    .command("rotate-token")
    .argument("<name>", "bot name or id")
    .description(
      "issue a new gateway token: kept in the vault (gateway-token/<name>), written where the gateway reads it (its config after a backup, or its token file), the running gateway restarted drain-safe; printed masked",
    )
    .option(
      "--show",
      "also print the new token in full, once, read from the gateway's files on this host (to configure a remote client)",
    )
    .option("--json", "print JSON")
    .action(
      act(async (options: RotateTokenOptions, name: string) => {
        const loaded = loadCliConfig(options);
        const { config } = loaded;
        const rotation = await rotate(options, name, loaded);
        const shown = options.show
          ? gatewayTokenFrom(
              readOpenClawConfig(rotation.bot.configPath),
              gatewayEnv(config.supervisor.env, rotation.bot),
            )
          : null;
        emit(options, shown ? { ...rotation, shown } : rotation, render);
        return EXIT.ok;
      }),
    );
}

async function rotate(
  options: CommandOptions,
  name: string,
  loaded: ReturnType<typeof loadCliConfig>,
): Promise<Rotation> {
  const { config } = loaded;
  const path = `/api/v1/bots/${encodeURIComponent(name)}/rotate-token`;
  const { startTimeout, readyTimeout, stopTimeout, drainTimeout } = config.supervisor;
  try {
    return await callDaemon<Rotation>(daemonEndpoint(config), path, {
      method: "POST",
      timeoutMs: drainTimeout + stopTimeout + startTimeout + readyTimeout + 10_000,
    });
  } catch (error) {
    if (!isOpsError(error) || error.code !== "DAEMON_NOT_RUNNING") throw error;
  }
  return withRegistry(
    options,
    async ({ store, bus }) => {
      const refuseRunning = (g: GatewayInstance | null): GatewayInstance | null => {
        if (g && LIVE_STATES.has(g.state))
          throw new OpsError(
            "DAEMON_NOT_RUNNING",
            `the daemon is not running and ${name}'s gateway was last seen ${g.state}: start the daemon ("clawops up") so that it restarts the gateway with the new token`,
          );
        return g;
      };
      const rotation = await rotateGatewayToken(
        {
          store,
          bus,
          vault: Vault.open(store.vault, config.vault),
          supervisor: {
            instance: async (botId) => refuseRunning(await store.getInstance(botId)),
            restart: () => Promise.reject(new Error("no daemon to restart the gateway")),
          },
          envFor: (bot: Bot) => gatewayEnv(config.supervisor.env, bot),
        },
        name,
        "cli",
      );
      return {
        ...rotation,
        note: "the daemon is not running: the gateway takes the new token at its next start",
      };
    },
    loaded,
  );
}

function render(r: Rotation): string {
  const lines = [
    `rotated the gateway token of ${r.bot.name}: ${r.token}`,
    `  vault:     ${r.record}`,
    `  written:   ${r.written.file}${r.written.kind === "config" ? " (gateway.auth.token)" : ""}`,
  ];
  if (r.backup) lines.push(`  backup:    ${r.backup} (holds the retired token)`);
  if (r.shown) lines.push(`  token:     ${r.shown}`);
  lines.push(
    r.restarted
      ? `  gateway:   restarted, ${r.gateway?.state ?? "unknown"}${r.gateway?.pid ? ` (pid ${r.gateway.pid})` : ""}`
      : `  gateway:   ${r.note ?? "not running: it takes the new token at its next start"}`,
  );
  return lines.join("\n");
}
