import cors from "@fastify/cors";
import helmet from "@fastify/helmet";
import type { FastifyInstance } from "fastify";
import type { ClawopsConfig } from "../config/schema.js";
import { OpsError } from "../core/errors.js";
import { isLoopbackBind } from "./host-guard.js";

type HttpConfig = ClawopsConfig["http"];

/**
 * Where the API may listen: loopback, or any address over TLS (`http.tls`;
 * every API call needs credentials, docs/access.md). Plain HTTP beyond
 * loopback only when `http.insecure` says the operator accepts credentials in
 * clear (a TLS proxy on another host, say). Refused at start otherwise.
 */
export function checkExposure(http: HttpConfig): void {
  if (isLoopbackBind(http.host) || http.tls || http.insecure) return;
  throw new OpsError(
    "CONFIG_INVALID",
    `http.host ${http.host} is not loopback and http.tls is not set: API tokens, passwords and login cookies would cross the network in clear. Give the daemon a certificate (http.tls: { cert, key }), or keep 127.0.0.1 behind a TLS reverse proxy on this host (docs/security.md), or set http.insecure: true to accept it`,
    {
      issues: [
        {
          path: "http.host",
          message: "not loopback, without http.tls, and http.insecure is not set",
          severity: "error",
        },
      ],
    },
  );
}

/** The /readyz note while the API is exposed in clear (null when it is not). */
export function exposureWarning(http: HttpConfig): string | null {
  return isLoopbackBind(http.host) || http.tls
    ? null
    : `the API listens on ${http.host} over plain HTTP (http.insecure): credentials cross the network in clear`;
}

/**
 * Security headers on every answer (@fastify/helmet; the API reference page
 * keeps its own Content-Security-Policy) and CORS for the configured
 * origins only: without any, no browser on another origin gets an answer it
 * can read, nor a preflight that lets it send `x-clawops-client`.
 */
export function registerExposure(app: FastifyInstance, http: HttpConfig): void {
  void app.register(helmet, {
    // JSON answers load nothing: the strictest policy. The reference page sets its own.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    // Over plain HTTP, HSTS belongs to the TLS proxy in front; served over TLS, it is ours.
    strictTransportSecurity: http.tls ? { maxAge: 15_552_000 } : false,
  });
  if (http.corsOrigins.length > 0) {
    void app.register(cors, {
      origin: http.corsOrigins,
      credentials: true,
      allowedHeaders: [
        "authorization",
        "content-type",
        "x-clawops-client",
        "x-csrf-token",
        "x-request-id",
      ],
      exposedHeaders: ["x-request-id", "retry-after"],
    });
  }
}
