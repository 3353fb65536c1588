import { type Server, createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../test/helpers/cli.js";
import { probe, probeGatewayHttp } from "./probes.js";

// The real gateway's answers are checked in test/gateway-harness.test.ts; these are the
// servers that are *not* a healthy gateway, which a real gateway cannot be made to be.
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe("gateway HTTP probes", () => {
  it("reports nothing listening as unreachable", async () => {
    const port = await freePort();
    const result = await probe(`http://127.0.0.1:${port}`, "healthz");
    expect(result).toMatchObject({ ok: false, status: null, failure: "unreachable" });
    expect(!result.ok && result.message).toContain("ECONNREFUSED");
  });

  it("says so when an HTTP server answers 200 but is not OpenClaw", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>It works!</html>");
    });
    const report = await probeGatewayHttp(url);
    expect(report.isOpenClaw).toBe(false);
    expect(report.probes.healthz).toMatchObject({
      ok: false,
      status: 200,
      failure: "not-openclaw",
    });
    expect(!report.probes.healthz.ok && report.probes.healthz.message).toContain(
      "answered HTTP 200 (text/html) but not as an OpenClaw gateway",
    );
    // JSON of the wrong shape is not OpenClaw either.
    const json = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: "UP" }));
    });
    expect((await probe(json, "healthz")).ok).toBe(false);
  });

  it("times out on a server that never answers", async () => {
    const url = await serve(() => undefined);
    const started = Date.now();
    const result = await probe(url, "readyz", { timeoutMs: 300 });
    expect(result).toMatchObject({ ok: false, failure: "timeout" });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("parses a gateway that is starting or draining (503) as OpenClaw, not ready", async () => {
    const url = await serve((req, res) => {
      res.writeHead(req.url === "/healthz" ? 200 : 503, { "content-type": "application/json" });
      const bodies: Record<string, unknown> = {
        "/healthz": { ok: true, status: "live" },
        "/startupz": {
          ok: false,
          status: "starting",
          version: "2026.9.6",
          uptimeMs: 4716,
          pendingReason: "startup-sidecars",
        },
        "/readyz": {
          ready: false,
          failing: ["startup-sidecars"],
          uptimeMs: 4720,
          eventLoop: { degraded: false, delayP99Ms: 12 },
        },
      };
      res.end(JSON.stringify(bodies[req.url ?? ""] ?? {}));
    });
    const report = await probeGatewayHttp(url);
    expect(report).toMatchObject({
      isOpenClaw: true,
      live: true,
      started: false,
      ready: false,
      version: "2026.9.6",
      uptimeMs: 4716,
      failing: ["startup-sidecars"],
      eventLoop: { degraded: false, delayP99Ms: 12 },
    });
  });
});
