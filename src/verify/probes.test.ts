import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { StepFailure } from "./step.js";
import { checkProbes } from "./verify.js";

/** A gateway's probes as OpenClaw 2026.9.6 answers them: `/readyz` says `failing` while not ready. */
function gateway(readiness: () => { ready: boolean; failing: string[] }): Promise<Server> {
  const server = createServer((request, response) => {
    const answer = (status: number, body: object) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.url === "/healthz") return answer(200, { ok: true, status: "live" });
    const ready = readiness();
    answer(ready.ready ? 200 : 503, { ...ready, uptimeMs: 1 });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

describe("the probes step", () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it("waits out a gateway that is settling (a plugin reload) and then passes", async () => {
    let asked = 0;
    server = await gateway(() =>
      ++asked < 4 ? { ready: false, failing: ["plugin-reload"] } : { ready: true, failing: [] },
    );
    const outcome = await checkProbes(urlOf(server), 10_000);
    expect(asked).toBe(4);
    expect(outcome.detail).toBe("live and ready, once settled");
  });

  it("fails at once on a reason that does not pass by itself, naming it", async () => {
    let asked = 0;
    server = await gateway(() => {
      asked++;
      return { ready: false, failing: ["telegram"] };
    });
    const failure = await checkProbes(urlOf(server), 10_000).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StepFailure);
    expect((failure as StepFailure).message).toBe(
      "the gateway is live but not ready (HTTP 503, failing: telegram)",
    );
    expect(asked).toBe(1);
  });

  it("gives up on a gateway still settling when the budget is spent, saying so", async () => {
    server = await gateway(() => ({ ready: false, failing: ["startup-sidecars"] }));
    const failure = await checkProbes(urlOf(server), 1_200).catch((error: unknown) => error);
    expect((failure as StepFailure).message).toBe(
      "the gateway is live but not ready (HTTP 503, failing: startup-sidecars, still after 1200 ms)",
    );
  });
});
