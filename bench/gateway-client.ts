/**
 * Gateway client latency against a real OpenClaw gateway on loopback:
 * connect + handshake (WebSocket open, challenge, connect, hello-ok) over 200
 * fresh connections, and the `health` RPC round trip on one warm connection.
 * A bare WebSocket open on the same gateway is the floor the handshake sits on.
 *
 *   npm run bench:gateway            (needs scripts/install-gateway-runtime.sh)
 *   CONNECTS=500 RPCS=5000 npm run bench:gateway
 */
import WebSocket from "ws";
import { GatewayClient } from "../src/gateway/client.js";
import { gatewayMethods } from "../src/gateway/methods.js";
import { startFakeLlm } from "../test/harness/fake-llm.js";
import { GATEWAY_RUNTIME, gatewayRuntimeAvailable, startGateway } from "../test/harness/gateway.js";
import { formatRows, machine, summarize } from "./stats.js";

const CONNECTS = Number(process.env.CONNECTS ?? 200);
const RPCS = Number(process.env.RPCS ?? 1000);

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function bareOpen(url: string): Promise<void> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  ws.terminate();
}

async function main() {
  if (!gatewayRuntimeAvailable()) process.exit(2);
  const llm = await startFakeLlm();
  const gateway = await startGateway({ llmBaseUrl: llm.baseUrl });
  try {
    console.log(
      `gateway ${GATEWAY_RUNTIME.version} ready in ${gateway.bootMs}ms on ${gateway.wsUrl}`,
    );
    const connect = () =>
      GatewayClient.connect({ url: gateway.wsUrl, token: gateway.token, reconnect: false }).then(
        (client) => client.close(),
      );
    for (let i = 0; i < 20; i += 1) await connect(); // warm-up: JIT, the gateway's first-connect paths

    const opens: number[] = [];
    const handshakes: number[] = [];
    for (let i = 0; i < CONNECTS; i += 1) {
      opens.push(await timed(() => bareOpen(gateway.wsUrl)));
      handshakes.push(await timed(connect));
    }

    const client = await GatewayClient.connect({ url: gateway.wsUrl, token: gateway.token });
    const api = gatewayMethods(client);
    for (let i = 0; i < 50; i += 1) await api.health();
    const health: number[] = [];
    for (let i = 0; i < RPCS; i += 1) health.push(await timed(() => api.health()));
    client.close();

    const rows = [
      [`ws open only (floor), ${CONNECTS}×`, summarize(opens)],
      [`connect + handshake, ${CONNECTS}×`, summarize(handshakes)],
      [`health RPC round trip, ${RPCS}×`, summarize(health)],
    ] as const;
    console.log(`\n${formatRows(rows)}\n`);
    console.log(
      "target (issue 3): report p50/p99 of connect+handshake over 200 connects and of the health RPC; no threshold set",
    );
    console.log(`machine: ${await machine()}`);
    console.log(`date: ${new Date().toISOString()}`);
  } finally {
    await gateway.stop();
    await llm.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
