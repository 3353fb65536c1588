import pino from "pino";
import { describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import type { DaemonContext } from "../daemon/context.js";
import { createMetrics } from "../daemon/metrics.js";
import { checkExposure, exposureWarning } from "./exposure.js";
import { buildHttpServer } from "./server.js";

const http = (settings: Record<string, unknown>) => configSchema.parse({ http: settings }).http;

describe("exposure", () => {
  it("listens on loopback; anything else only when http.insecure says so, and /readyz says it", () => {
    for (const host of ["127.0.0.1", "127.0.1.1", "::1", "[::1]", "localhost"]) {
      expect(() => checkExposure(http({ host }))).not.toThrow();
      expect(exposureWarning(http({ host }))).toBeNull();
    }
    for (const host of ["0.0.0.0", "::", "192.168.1.10", "example.com"]) {
      expect(() => checkExposure(http({ host }))).toThrow(
        expect.objectContaining({
          code: "CONFIG_INVALID",
          message: expect.stringContaining(`http.host ${host} is not loopback`) as string,
        }),
      );
      expect(() => checkExposure(http({ host, insecure: true }))).not.toThrow();
      expect(exposureWarning(http({ host, insecure: true }))).toMatch(/over plain HTTP/);
    }
  });

  it("sends security headers, and CORS answers only the configured origins", async () => {
    const ctx = {
      config: configSchema.parse({ http: { corsOrigins: ["https://ops.example.com"] } }),
      version: "0.0.0-test",
      metrics: createMetrics(),
      store: { sessions: {} },
    } as unknown as DaemonContext;
    const app = buildHttpServer(ctx, pino({ level: "silent" }));
    try {
      const health = await app.inject({ url: "/healthz" });
      expect(health.headers).toMatchObject({
        "x-content-type-options": "nosniff",
        "x-frame-options": "SAMEORIGIN",
        "content-security-policy": "default-src 'none';frame-ancestors 'none'",
      });
      const preflight = (origin: string) =>
        app.inject({
          method: "OPTIONS",
          url: "/api/v1/bots/alpha/start",
          headers: {
            origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "x-clawops-client,authorization",
          },
        });
      const allowed = await preflight("https://ops.example.com");
      expect(allowed.headers["access-control-allow-origin"]).toBe("https://ops.example.com");
      expect(allowed.headers["access-control-allow-credentials"]).toBe("true");
      expect(allowed.headers["access-control-allow-headers"]).toContain("x-clawops-client");
      const other = await preflight("https://evil.example");
      expect(other.headers["access-control-allow-origin"]).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});
