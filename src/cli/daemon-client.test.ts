import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { OpsError } from "../core/errors.js";
import { callDaemon } from "./daemon-client.js";

let server: Server | undefined;
afterEach(
  () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
);

/** A daemon stand-in answering every request with `status` and `body`. */
async function answering(status: number, body: unknown): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/x`;
}

async function rejection(url: string): Promise<OpsError> {
  const error = await callDaemon({ base: url, credential: null }, "").then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpsError);
  return error as OpsError;
}

describe("callDaemon", () => {
  it("rebuilds the daemon's error envelope with its issues, retryable and details", async () => {
    const issues = [
      { path: "port", message: "too big", severity: "error", fix: "use a port below 65536" },
      { path: "labels.team", message: "unusual", severity: "warning" },
    ];
    const url = await answering(503, {
      error: {
        code: "STORE_UNREACHABLE",
        message: "the store does not answer",
        retryable: true,
        issues,
        details: { store: "sqlite" },
        requestId: "req-1",
      },
    });
    const error = await rejection(url);
    expect(error.code).toBe("STORE_UNREACHABLE");
    expect(error.message).toBe("the store does not answer");
    expect(error.retryable).toBe(true);
    expect(error.issues).toEqual(issues);
    expect(error.details).toEqual({ store: "sqlite" });
  });

  it("keeps the code and message when an optional field is malformed", async () => {
    const url = await answering(400, {
      error: { code: "VALIDATION", message: "bad", issues: [{ nope: 1 }], retryable: "yes" },
    });
    const error = await rejection(url);
    expect([error.code, error.message, error.retryable, error.issues]).toEqual([
      "VALIDATION",
      "bad",
      false,
      [],
    ]);
  });

  it("returns a failing answer that is not an error (/readyz's 503) and refuses anything else", async () => {
    expect(
      await callDaemon({ base: await answering(503, { ready: false }), credential: null }, ""),
    ).toEqual({ ready: false });
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const error = await rejection(await answering(502, "not json object"));
    expect([error.code, error.message]).toEqual(["UNAVAILABLE", "daemon answered 502"]);
  });

  it("sends the local credential as a bearer token, and names the CLI", async () => {
    let seen: Record<string, unknown> = {};
    server = createServer((req, res) => {
      seen = { authorization: req.headers.authorization, client: req.headers["x-clawops-client"] };
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await callDaemon({ base, credential: "clawops_0123456789ab_secret" }, "/api/v1/status");
    expect(seen).toEqual({ authorization: "Bearer clawops_0123456789ab_secret", client: "cli" });
  });
});
