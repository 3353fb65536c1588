import { GatewayClient } from "../gateway/client.js";
import { gatewayMethods } from "../gateway/methods.js";
import { gatewayTokenFrom, readOpenClawConfig } from "../gateway/openclaw-config.js";
import { errorMessage } from "../core/errors.js";
import { type Check, checkSettings } from "./check.js";

/**
 * The WebSocket side: a protocol v4 handshake with the bot's own token and a
 * `health` RPC. HTTP can answer while the WebSocket layer is wedged (or the
 * token is wrong): that is degraded, not a reason to restart.
 */
export const wsHealth: Check = {
  name: "wsHealth",
  effect: "degrade",
  schema: checkSettings({ period: "30s", timeout: "5s", failures: 2 }),
  async run(target, settings) {
    let token: string | undefined;
    try {
      token = gatewayTokenFrom(readOpenClawConfig(target.bot.configPath)) ?? undefined;
    } catch (error) {
      return { ok: false, message: errorMessage(error) };
    }
    const started = performance.now();
    let client: GatewayClient | null = null;
    try {
      client = await GatewayClient.connect({
        url: `${target.httpUrl.replace(/^http/, "ws")}/`,
        ...(token ? { token } : {}),
        auth: "backend",
        connectTimeoutMs: settings.timeout,
        requestTimeoutMs: settings.timeout,
        reconnect: false,
      });
      await gatewayMethods(client).health();
      return {
        ok: true,
        message: `health RPC in ${Math.round(performance.now() - started)}ms`,
        facts: { version: client.hello.server.version },
      };
    } catch (error) {
      return { ok: false, message: `WebSocket health: ${errorMessage(error)}` };
    } finally {
      client?.close();
    }
  },
};
