import { hostname, networkInterfaces } from "node:os";
import type { FastifyRequest } from "fastify";
import { describe, expect, it } from "vitest";
import { OpsError } from "../core/errors.js";
import { type HostSettings, createHostGuard } from "./host-guard.js";

function verdict(settings: HostSettings, headers: Record<string, string>, method = "GET") {
  const guard = createHostGuard(settings);
  try {
    guard({ headers, method } as unknown as FastifyRequest);
    return "ok";
  } catch (error) {
    expect(error).toBeInstanceOf(OpsError);
    return (error as OpsError).code;
  }
}

const loopback: HostSettings = { host: "127.0.0.1", allowedHosts: [] };

describe("host guard (DNS rebinding)", () => {
  it("answers the daemon's own names and refuses any other Host", () => {
    for (const host of ["127.0.0.1:7878", "localhost:7878", "LOCALHOST", "[::1]:7878", "127.0.0.1"])
      expect(verdict(loopback, { host })).toBe("ok");
    for (const host of [
      "evil.example",
      "evil.example:7878",
      "localhost.evil.example",
      "127.0.0.1.nip.io:7878",
      "user@127.0.0.1",
      "127.0.0.1/x",
      "",
    ])
      expect(verdict(loopback, { host }), host).toBe(host ? "HOST_NOT_ALLOWED" : "BAD_REQUEST");
  });

  it("adds configured names, exact or by domain", () => {
    const settings = { ...loopback, allowedHosts: ["ops.example.com", "*.bots.example.net"] };
    expect(verdict(settings, { host: "ops.example.com:443" })).toBe("ok");
    expect(verdict(settings, { host: "a.bots.example.net" })).toBe("ok");
    expect(verdict(settings, { host: "bots.example.net" })).toBe("HOST_NOT_ALLOWED");
    expect(verdict(settings, { host: "evilbots.example.net" })).toBe("HOST_NOT_ALLOWED");
  });

  it("bound to every address, answers each local address and the host name, not other names", () => {
    const all = { host: "0.0.0.0", allowedHosts: [] };
    const local = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
    if (local) expect(verdict(all, { host: `${local}:7878` })).toBe("ok");
    expect(verdict(all, { host: hostname() })).toBe("ok");
    expect(verdict(all, { host: "203.0.113.9" })).toBe("HOST_NOT_ALLOWED");
    expect(verdict(all, { host: "evil.example" })).toBe("HOST_NOT_ALLOWED");
  });

  it("lets state change only from the daemon's own origin", () => {
    const host = "127.0.0.1:7878";
    expect(verdict(loopback, { host, origin: "http://127.0.0.1:7878" }, "POST")).toBe("ok");
    expect(verdict(loopback, { host }, "POST")).toBe("ok"); // scripts and the CLI send no Origin
    for (const origin of [
      "http://evil.example",
      "http://127.0.0.1:3000",
      "http://localhost:7878",
      "null",
      "file://",
    ])
      expect(verdict(loopback, { host, origin }, "DELETE"), origin).toBe("FORBIDDEN");
    // Reading is the Host check's business alone.
    expect(verdict(loopback, { host, origin: "http://evil.example" }, "GET")).toBe("ok");
  });
});
